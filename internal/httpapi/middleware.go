package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/web"
)

type requestIDKey struct{}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// requestID takes a sane X-Request-ID from the client or makes one, and
// returns it on the response; it is the correlation id of what follows.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !validRequestID.MatchString(id) {
			id = uuid.NewString()
		}
		w.Header().Set("X-Request-ID", id)
		ctx := event.WithCorrelationID(context.WithValue(r.Context(), requestIDKey{}, id), id)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// RequestID returns the request's correlation id.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logAndRecover logs every request once and turns a panic into a 500
// problem, so no request can take the server down.
func (s *server) logAndRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic", "panic", v, "stack", string(debug.Stack()))
				if sw.status == 0 {
					writeProblem(sw, r, newProblem(http.StatusInternalServerError, "internal", "Internal error",
						"The request failed. Quote the X-Request-ID header when you report it."))
				}
			}
			level := slog.LevelInfo
			if sw.status >= 500 {
				level = slog.LevelError
			}
			elapsed := time.Since(start)
			s.log.Log(r.Context(), level, "http request", "method", r.Method, "route", r.Pattern, "status", sw.status,
				"duration_ms", float64(elapsed.Microseconds())/1000, "request_id", RequestID(r.Context()))
			if s.metrics != nil {
				route := r.Pattern
				if route == "" {
					route = "unmatched" // bounded label values: never the raw path
				}
				s.metrics.HTTPDuration.WithLabelValues(route, methodLabel(r.Method), strconv.Itoa(sw.status)).Observe(elapsed.Seconds())
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// authenticate turns the bearer token into a principal and fails closed: no
// token, a bad token, no role or no territory means no data.
func (s *server) authenticate(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, ok := bearer(r)
		if !ok {
			unauthorized(w, r, "A bearer token is required.")
			return
		}
		p, err := s.verifier.Verify(r.Context(), raw)
		if err != nil {
			if !errors.Is(err, auth.ErrUnauthenticated) {
				s.log.ErrorContext(r.Context(), "token verification failed", "error", err)
			}
			unauthorized(w, r, "The bearer token is not valid.")
			return
		}
		switch {
		case p.Role() == "":
			writeProblem(w, r, newProblem(http.StatusForbidden, "forbidden", "Forbidden", "Your token carries no FreshPlan role."))
			return
		case p.Role() != auth.RoleAdmin && len(p.Territories) == 0:
			writeProblem(w, r, newProblem(http.StatusForbidden, "forbidden", "Forbidden", "Your token carries no territory."))
			return
		}
		if err := s.users.Record(r.Context(), p); err != nil {
			s.fail(w, r, err)
			return
		}
		next(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	}
}

// bearer is the request's token: the Authorization header's, or for a
// safe request from the service's own pages (the cockpit's stream) the
// session cookie's. A change always needs the header, so no other site can
// make a browser change anything with its cookie.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		if c, err := r.Cookie(web.SessionCookie); err == nil && c.Value != "" {
			return c.Value, true
		}
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

func unauthorized(w http.ResponseWriter, r *http.Request, detail string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="freshplan"`)
	writeProblem(w, r, newProblem(http.StatusUnauthorized, "unauthorized", "Unauthorized", detail))
}

func principal(r *http.Request) auth.Principal {
	p, _ := auth.FromContext(r.Context())
	return p
}

// methodLabel keeps the metric's label values fixed whatever a client sends.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete, http.MethodPut, http.MethodHead, http.MethodOptions:
		return m
	}
	return "OTHER"
}
