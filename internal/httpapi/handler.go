package httpapi

import (
	"encoding/json"
	"net/http"
)

// reply is a handler's successful answer, rendered once: for the client,
// and for the Idempotency-Key store when the request carries a key.
type reply struct {
	status int
	header map[string]string
	body   []byte
}

// jsonReply renders v as a JSON body with status and header pairs.
func jsonReply(status int, v any, header ...string) reply {
	r := reply{status: status, header: map[string]string{}}
	for i := 0; i+1 < len(header); i += 2 {
		r.header[header[i]] = header[i+1]
	}
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			// Our own types always marshal; a failure is a bug, not input.
			panic("httpapi: reply: " + err.Error())
		}
		r.body = append(b, '\n')
		r.header["Content-Type"] = "application/json"
	}
	return r
}

func (rep reply) write(w http.ResponseWriter) {
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

// handlerFunc is a JSON handler: it returns its answer or an error, which
// the adapter turns into the problem for it (a *Problem passes as it is).
type handlerFunc func(w http.ResponseWriter, r *http.Request) (reply, error)

// handle adapts a handlerFunc to net/http.
func (s *server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rep, err := h(w, r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		rep.write(w)
	}
}
