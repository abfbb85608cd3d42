package httpapi

import (
	"context"
	"net/http"
	"time"
)

type check struct {
	Name   string         `json:"name"`
	Status string         `json:"status"`
	Data   map[string]any `json:"data,omitempty"`
}

type health struct {
	Status string  `json:"status"`
	Checks []check `json:"checks"`
}

func (s *server) live(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, health{Status: "UP", Checks: []check{}})
}

// ready is UP when every check is: the database answers within 2 s and
// the event listener is connected; the mailer's check only reports.
func (s *server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	db := check{Name: "database", Status: "UP"}
	if err := s.db.Ping(ctx); err != nil {
		db.Status = "DOWN"
		db.Data = map[string]any{"error": "database not reachable"}
		s.log.WarnContext(ctx, "readiness: database down", "error", err)
	}
	h := health{Status: db.Status, Checks: []check{db}}
	if s.events != nil {
		up, data := s.events.Health(ctx)
		c := check{Name: "lead-event-handler", Status: "UP", Data: data}
		if !up {
			c.Status, h.Status = "DOWN", "DOWN"
		}
		h.Checks = append(h.Checks, c)
	}
	if s.mailer != nil {
		h.Checks = append(h.Checks, check{Name: "followup-mailer", Status: "UP", Data: s.mailer.Check(ctx)})
	}
	code := http.StatusOK
	if h.Status != "UP" {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, h)
}

func (s *server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(s.openapi)
}
