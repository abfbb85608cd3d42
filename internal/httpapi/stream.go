package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/cockpit"
	"github.com/freshplan/leads/internal/event"
)

const (
	// heartbeat keeps proxies from closing an idle stream.
	heartbeat = 15 * time.Second
	// widgetEvery is the most often a stream gets its widget again.
	widgetEvery = time.Second
	// streamWrite bounds one write to a stream: a client that takes longer
	// is gone.
	streamWrite = 10 * time.Second
	// replayPage is how many events a resume reads per query.
	replayPage = 500
)

// stream is GET /api/cockpit/stream: Server-Sent Events with the events
// the caller may see (event lead-event, id a feed cursor) and, with the
// widget on, the caller's widget (event lead-widget) when it changes, at
// most once a second. Last-Event-ID (or ?lastEventId=) resumes from the
// outbox.
func (s *server) stream(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	only := strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("territory")))
	var scope cockpit.Scope
	if s.widgets != nil {
		var err error
		if scope, err = s.widgets.Scope(p, only); err != nil {
			s.fail(w, r, widgetScopeProblem(err))
			return
		}
	}
	resume := r.Header.Get("Last-Event-ID")
	if resume == "" {
		resume = r.URL.Query().Get("lastEventId")
	}
	var from *event.Position
	if resume != "" {
		pos, err := event.ParseCursor(resume)
		if err != nil {
			s.fail(w, r, invalid(FieldError{Field: "Last-Event-ID", Message: badCursor}))
			return
		}
		from = &pos
	}
	sub := s.hub.Subscribe(p, scope)
	defer s.hub.Unsubscribe(sub)
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	out := &sse{w: w, rc: rc}

	sent := map[string]bool{}
	if from != nil {
		if err := s.replayEvents(r, p, *from, out, sent); err != nil {
			s.log.WarnContext(r.Context(), "stream: replay", "error", err)
			return
		}
	}
	var lastWidget time.Time
	pushWidget := func() error {
		if s.widgets == nil {
			return nil
		}
		widget, err := s.widgets.Widget(r.Context(), p, scope, false)
		if err != nil {
			return err
		}
		// Counted from the write, not the read: a read that waited for a
		// connection must not bring the next push closer.
		defer func() { lastWidget = time.Now() }()
		return out.send("", "lead-widget", widget)
	}
	if err := pushWidget(); err != nil {
		return
	}
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	later := time.NewTimer(time.Hour)
	later.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case <-sub.Dropped:
			s.log.WarnContext(r.Context(), "stream fell behind and was closed", "user_id", p.UserID)
			_ = out.send("", "overflow", map[string]string{"detail": "The stream fell behind; reconnect to resume."})
			return
		case <-beat.C:
			err = out.comment("heartbeat")
		case <-later.C:
			err = pushWidget()
		case d := <-sub.Events:
			switch {
			case d.Type == cockpit.TypeWidgetChanged:
				if wait := widgetEvery - time.Since(lastWidget); wait > 0 {
					later.Reset(wait) // pushes once when the second is over
				} else {
					err = pushWidget()
				}
			case !sent[d.Envelope.ID]:
				err = out.send(d.Resume, "lead-event", d.Raw)
			}
		}
		if err != nil {
			return
		}
	}
}

// replayEvents writes the events after from that p may see, oldest first.
func (s *server) replayEvents(r *http.Request, p auth.Principal, from event.Position, out *sse, sent map[string]bool) error {
	for pos := from; ; {
		events, next, err := s.feed.Read(r.Context(), p, pos, replayPage)
		if errors.Is(err, event.ErrBadCursor) {
			return out.send("", "error", map[string]string{"detail": "Last-Event-ID " + badCursor})
		}
		if err != nil {
			return err
		}
		for _, d := range events {
			if d.Type == cockpit.TypeWidgetChanged {
				continue
			}
			sent[d.Envelope.ID] = true
			if err := out.send(d.Resume, "lead-event", d.Raw); err != nil {
				return err
			}
		}
		if len(events) < replayPage {
			return nil
		}
		pos = next
	}
}

func widgetScopeProblem(err error) error {
	switch {
	case errors.Is(err, cockpit.ErrUnknownTerritory):
		return invalid(FieldError{Field: "territory", Message: "must be a territory code"})
	case errors.Is(err, cockpit.ErrForbidden):
		return newProblem(http.StatusForbidden, "forbidden", "Forbidden", "Your role may not see the lead widget of this scope.")
	}
	return err
}

// sse writes Server-Sent Events, each flushed, each within streamWrite.
type sse struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (s *sse) send(id, name string, data any) error {
	raw, ok := data.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(data); err != nil {
			return err
		}
	}
	var b strings.Builder
	if id != "" {
		fmt.Fprintf(&b, "id: %s\n", id)
	}
	fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", name, raw)
	return s.write(b.String())
}

func (s *sse) comment(text string) error { return s.write(": " + text + "\n\n") }

func (s *sse) write(text string) error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(streamWrite))
	if _, err := s.w.Write([]byte(text)); err != nil {
		return err
	}
	return s.rc.Flush()
}
