package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/freshplan/leads/internal/event"
)

type eventPage struct {
	Data []json.RawMessage `json:"data"`
	Next string            `json:"next"`
}

const badCursor = "must be a cursor returned as next or as an SSE id"

// listEvents is the event feed the caller may see (SPEC §5), oldest first,
// as CloudEvents JSON; next is the after= of the following page.
func (s *server) listEvents(w http.ResponseWriter, r *http.Request) (reply, error) {
	p := queryParams(r)
	pos, err := event.ParseCursor(p.q.Get("after"))
	if err != nil {
		p.bad("after", badCursor)
	}
	limit := p.integer("limit", 100, 1, 1000, "must be an integer from 1 to 1000")
	if err := p.err(); err != nil {
		return reply{}, err
	}
	events, next, err := s.feed.Read(r.Context(), principal(r), pos, limit)
	if errors.Is(err, event.ErrBadCursor) {
		// Well-formed, but beyond what the server has issued: the feed
		// checks that against the outbox in the read itself.
		return reply{}, invalid(FieldError{Field: "after", Message: badCursor})
	}
	if err != nil {
		return reply{}, err
	}
	page := eventPage{Data: make([]json.RawMessage, 0, len(events)), Next: next.Cursor()}
	for _, e := range events {
		page.Data = append(page.Data, e.Raw)
	}
	return jsonReply(http.StatusOK, page), nil
}
