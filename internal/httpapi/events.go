package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/lead"
)

type eventPage struct {
	Data []json.RawMessage `json:"data"`
	Next string            `json:"next"`
}

// listEvents is the event feed the caller may see (SPEC §5), oldest first,
// as CloudEvents JSON; next is the after= of the following page.
func (s *server) listEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var fields []lead.FieldError
	pos, err := event.ParseCursor(q.Get("after"))
	if err != nil {
		fields = append(fields, lead.FieldError{Field: "after", Message: "must be a cursor returned as next or as an SSE id"})
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			fields = append(fields, lead.FieldError{Field: "limit", Message: "must be an integer from 1 to 1000"})
		}
		limit = n
	}
	if fields != nil {
		writeProblem(w, r, invalid(fields...))
		return
	}
	events, next, _, err := event.Fetch(r.Context(), s.pool, principal(r), pos, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := eventPage{Data: make([]json.RawMessage, 0, len(events)), Next: next.Cursor()}
	for _, e := range events {
		page.Data = append(page.Data, e.Raw)
	}
	writeJSON(w, http.StatusOK, page)
}
