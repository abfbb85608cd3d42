package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/google/uuid"

	"github.com/freshplan/leads/internal/idempotency"
	"github.com/freshplan/leads/internal/lead"
)

// idempotent applies SPEC §4 to a POST, PATCH or DELETE route: a request
// with an Idempotency-Key executes once; a repeat gets the stored response.
// Whether a request runs is decided only by the claim in the command's
// transaction (see package idempotency); the lookup here is a fast path
// that replays what is already committed.
func (s *server) idempotent(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			next(w, r)
			return
		}
		if !idempotency.ValidKey(key) {
			writeProblem(w, r, invalid(FieldError{Field: "Idempotency-Key", Message: "must be 1 to 255 printable ASCII characters"}))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			writeProblem(w, r, decodeProblem(err))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		claim := idempotency.NewClaim(principal(r).UserID, key, idempotency.Fingerprint(r.Method, r.URL.Path, body))
		if s.replayed(w, r, claim) {
			return
		}
		rec := &responseBuffer{header: http.Header{}}
		next(rec, r.WithContext(idempotency.WithClaim(r.Context(), claim)))
		switch {
		case claim.Outcome() != nil:
			s.refuse(w, r, claim.Outcome())
		case rec.status < 500 && claim.Stored() != nil:
			s.count("stored")
			rec.copyTo(w)
		default:
			// Not stored: refused before a command ran (validation, media
			// type, If-Match ...), refused by the command without executing
			// (its transaction rolled back with the key's row), or a server
			// error. The key stays free for the corrected request or a retry.
			s.count("not_stored")
			rec.copyTo(w)
		}
	}
}

// bindClaim gives the request's claim, if any, the handler's renderer of
// a success and the renderer of a refusal, so the command's transaction can
// store the answer it will get, and the lead the path names, which a
// stored refusal is about.
func (s *server) bindClaim(r *http.Request, render func(any) reply) {
	c := idempotency.FromContext(r.Context())
	if c == nil {
		return
	}
	if id, err := uuid.Parse(r.PathValue("id")); err == nil {
		c.About(id)
	}
	c.Render(func(result any) idempotency.Response { return stored(render(result)) },
		func(err error) idempotency.Response {
			p := problemFor(s.log, r, err)
			p.Instance = r.URL.Path
			body, _ := json.Marshal(p)
			return idempotency.Response{Status: p.Status, Body: append(body, '\n'),
				Header: map[string]string{"Content-Type": "application/problem+json"}}
		})
}

func stored(rep reply) idempotency.Response {
	return idempotency.Response{Status: rep.status, Header: rep.header, Body: rep.body}
}

// replayed answers from a finished earlier request with the same key.
func (s *server) replayed(w http.ResponseWriter, r *http.Request, claim *idempotency.Claim) bool {
	resp, fingerprint, err := s.idem.Lookup(r.Context(), principal(r), claim.Key)
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
	if errors.As(outcome, &replay) {
		s.replay(w, r, replay.Response)
		return
	}
	if errors.Is(outcome, idempotency.ErrMismatch) {
		s.count("mismatch")
	} else {
		s.count("in_progress")
	}
	writeProblem(w, r, idempotencyProblem(outcome))
}

// replay answers with a stored response, if the caller may still see the
// leads it is about: a body stored for a caller must not outlive the
// caller's right to read it (a lead reassigned away from a SALES user).
// Otherwise the answer is the 404 of any lead the caller may not see.
func (s *server) replay(w http.ResponseWriter, r *http.Request, resp idempotency.Response) {
	if err := s.mayStillSee(r, resp.Leads); err != nil {
		if lead.IsNotFound(err) {
			s.count("replay_hidden")
		}
		s.fail(w, r, err)
		return
	}
	s.count("replayed")
	for k, v := range resp.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

// mayStillSee reads each lead as the caller; lead.ErrNotFound when one is
// no longer visible.
func (s *server) mayStillSee(r *http.Request, leads []uuid.UUID) error {
	for _, id := range leads {
		if _, err := s.leads.Get(r.Context(), principal(r), id); err != nil {
			return fmt.Errorf("httpapi: replay: %w", err)
		}
	}
	return nil
}

// idempotencyProblem is the answer to a key that was reused for another
// request, or whose first request still runs.
func idempotencyProblem(err error) *Problem {
	if errors.Is(err, idempotency.ErrMismatch) {
		p := invalid(FieldError{Field: "Idempotency-Key", Message: "was already used for a different request; use a new key"})
		p.Type, p.Title = problemBase+"idempotency-key-reused", "Idempotency-Key reused"
		return p
	}
	return newProblem(http.StatusConflict, "idempotency-in-progress", "Request in progress",
		"A request with this Idempotency-Key is still running; retry shortly.")
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
