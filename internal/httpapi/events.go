package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/freshplan/leads/internal/event"
)

type eventPage struct {
	Data []json.RawMessage `json:"data"`
	Next string            `json:"next"`
}

// listEvents is the event feed the caller may see (SPEC §5), oldest first,
// as CloudEvents JSON; next is the after= of the following page.
func (s *server) listEvents(w http.ResponseWriter, r *http.Request) (reply, error) {
	p := queryParams(r)
	pos, err := event.ParseCursor(p.q.Get("after"))
	if err != nil {
		p.bad("after", "must be a cursor returned as next or as an SSE id")
	}
	limit := p.integer("limit", 100, 1, 1000, "must be an integer from 1 to 1000")
	if err := p.err(); err != nil {
		return reply{}, err
	}
	events, next, err := s.feed.Read(r.Context(), principal(r), pos, limit)
	if err != nil {
		return reply{}, err
	}
	page := eventPage{Data: make([]json.RawMessage, 0, len(events)), Next: next.Cursor()}
	for _, e := range events {
		page.Data = append(page.Data, e.Raw)
	}
	return jsonReply(http.StatusOK, page), nil
}
