package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/idempotency"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/postgres"
)

// idempotent applies SPEC §4 to a POST, PATCH or DELETE route: a request
// with an Idempotency-Key runs once; a repeat gets the stored response.
func (s *server) idempotent(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			next(w, r)
			return
		}
		if !idempotency.ValidKey(key) {
			writeProblem(w, r, invalid(lead.FieldError{Field: "Idempotency-Key", Message: "must be 1 to 255 printable ASCII characters"}))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			writeProblem(w, r, decodeProblem(err))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		p := principal(r)
		claim := idempotency.NewClaim(p.UserID, key, idempotency.Fingerprint(r.Method, r.URL.Path, body), s.now)
		if s.replayed(w, r, claim) {
			return
		}
		rec := &responseBuffer{header: http.Header{}}
		next(rec, r.WithContext(idempotency.WithClaim(r.Context(), claim)))
		switch {
		case claim.Outcome() != nil:
			s.refuse(w, r, claim.Outcome())
		case claim.Stored() != nil:
			s.count("stored")
			rec.copyTo(w)
		case rec.status < 500:
			// Nothing changed (validation, not found, conflict ...): store the
			// answer on its own, so a repeat gets the same one.
			resp := idempotency.Response{Status: rec.status, Header: idempotency.HeaderSubset(rec.header), Body: rec.body.Bytes()}
			if err := postgres.InTx(r.Context(), s.pool, p, func(tx pgx.Tx) error {
				return idempotency.StoreOutcome(r.Context(), tx, claim, resp)
			}); err != nil {
				s.log.ErrorContext(r.Context(), "idempotency: store outcome failed", "error", err)
			}
			s.count("stored")
			rec.copyTo(w)
		default:
			rec.copyTo(w) // 5xx: not stored; the client may retry
		}
	}
}

// replayed answers from a finished earlier request with the same key.
func (s *server) replayed(w http.ResponseWriter, r *http.Request, claim *idempotency.Claim) bool {
	var resp *idempotency.Response
	var fingerprint string
	err := postgres.InTx(r.Context(), s.pool, principal(r), func(tx pgx.Tx) (err error) {
		resp, fingerprint, err = idempotency.Lookup(r.Context(), tx, claim.UserID, claim.Key, s.now())
		return err
	})
	switch {
	case err != nil:
		s.fail(w, r, err)
		return true
	case resp == nil:
		return false
	case fingerprint != claim.Fingerprint:
		s.refuse(w, r, idempotency.ErrMismatch)
		return true
	}
	s.refuse(w, r, &idempotency.ReplayError{Response: *resp})
	return true
}

func (s *server) refuse(w http.ResponseWriter, r *http.Request, outcome error) {
	var replay *idempotency.ReplayError
	switch {
	case errors.As(outcome, &replay):
		s.count("replayed")
		for k, v := range replay.Response.Header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(replay.Response.Status)
		_, _ = w.Write(replay.Response.Body)
	case errors.Is(outcome, idempotency.ErrMismatch):
		s.count("mismatch")
		p := invalid(lead.FieldError{Field: "Idempotency-Key", Message: "was already used for a different request; use a new key"})
		p.Type, p.Title = problemBase+"idempotency-key-reused", "Idempotency-Key reused"
		writeProblem(w, r, p)
	default:
		s.count("in_progress")
		writeProblem(w, r, newProblem(http.StatusConflict, "idempotency-in-progress", "Request in progress",
			"A request with this Idempotency-Key is still running; retry shortly."))
	}
}

func (s *server) count(result string) {
	if s.metrics != nil {
		s.metrics.IdempotencyRequests.WithLabelValues(result).Inc()
	}
}

// responseBuffer holds a handler's response until the middleware decides
// what to send.
type responseBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *responseBuffer) Header() http.Header { return b.header }
func (b *responseBuffer) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *responseBuffer) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *responseBuffer) copyTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}

// rendered is a success response computed once, both for the client and
// for the idempotency store.
func rendered(status int, v any, header ...string) idempotency.Response {
	resp := idempotency.Response{Status: status, Header: map[string]string{}}
	for i := 0; i+1 < len(header); i += 2 {
		resp.Header[header[i]] = header[i+1]
	}
	if v != nil {
		b, _ := json.Marshal(v)
		resp.Body = append(b, '\n')
		resp.Header["Content-Type"] = "application/json"
	}
	return resp
}

// respond renders result and writes it; with an Idempotency-Key the same
// renderer has stored it in the business transaction already.
func respond(w http.ResponseWriter, resp idempotency.Response) {
	for k, v := range resp.Header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

func leadResponse(status int) func(any) idempotency.Response {
	return func(v any) idempotency.Response {
		l := v.(*lead.Lead)
		h := []string{"ETag", etag(l.Version)}
		if status == http.StatusCreated {
			h = append(h, "Location", "/api/leads/"+l.ID.String())
		}
		return rendered(status, l, h...)
	}
}

func noContent(any) idempotency.Response {
	return idempotency.Response{Status: http.StatusNoContent, Header: map[string]string{}}
}

func activityResponse(v any) idempotency.Response { return rendered(http.StatusCreated, v) }

// bindRenderer gives the request's claim, if any, the handler's renderer.
func bindRenderer(r *http.Request, render func(any) idempotency.Response) {
	if c := idempotency.FromContext(r.Context()); c != nil {
		c.Render(render)
	}
}
