package cockpit

import (
	"context"
	"sync"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/metric"
)

// StreamBuffer is how many events a live stream may fall behind before it
// is closed (the browser resumes from its last id through the feed). The
// bus hands over a whole page of the outbox at once (up to 1,000 events),
// so a stream that sees everything must hold a page and more.
const StreamBuffer = 2048

// Hub fans the events this replica receives out to its live streams, each
// through the visibility rule: one LISTEN connection feeds them all, and a
// slow stream never holds up the others.
type Hub struct {
	mu      sync.Mutex
	subs    map[*Subscription]struct{}
	metrics *metric.Set
}

// NewHub returns a Hub.
func NewHub(metrics *metric.Set) *Hub {
	return &Hub{subs: map[*Subscription]struct{}{}, metrics: metrics}
}

// Subscription is one live stream.
type Subscription struct {
	principal auth.Principal
	scope     Scope
	// Events are the events the stream may see, and the widget changes of
	// its scope (TypeWidgetChanged), shared with the other streams and not
	// to be changed. Pointers keep a thousand full-size buffers from being
	// hundreds of megabytes the garbage collector scans on every cycle.
	Events chan *event.Delivered
	// Dropped is closed when the stream fell too far behind.
	Dropped chan struct{}
}

// Subscribe opens a stream for p on scope s.
func (h *Hub) Subscribe(p auth.Principal, s Scope) *Subscription {
	sub := &Subscription{principal: p, scope: s, Events: make(chan *event.Delivered, StreamBuffer), Dropped: make(chan struct{})}
	h.mu.Lock()
	h.subs[sub] = struct{}{}
	h.mu.Unlock()
	h.metrics.ActiveWidgets.WithLabelValues("lead").Inc()
	return sub
}

// Unsubscribe closes sub's stream.
func (h *Hub) Unsubscribe(sub *Subscription) {
	h.mu.Lock()
	_, open := h.subs[sub]
	delete(h.subs, sub)
	h.mu.Unlock()
	if open {
		h.metrics.ActiveWidgets.WithLabelValues("lead").Dec()
	}
}

// Deliver is the local consumer: it hands d to every stream that may see
// it, without waiting; a stream whose buffer is full is dropped. A stream
// shows a widget change of its scope, or an event its principal may see.
func (h *Hub) Deliver(_ context.Context, d event.Delivered) error {
	wants := func(sub *Subscription) bool { return d.Audience.VisibleTo(sub.principal) }
	if d.Type == TypeWidgetChanged {
		r := reachOf(d.Audience)
		wants = func(sub *Subscription) bool { return r.touches(sub.scope.Key) }
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		if !wants(sub) {
			continue
		}
		select {
		case sub.Events <- &d:
		default:
			delete(h.subs, sub)
			close(sub.Dropped)
			h.metrics.ActiveWidgets.WithLabelValues("lead").Dec()
		}
	}
	return nil
}
