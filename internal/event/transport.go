package event

import (
	"context"
	"time"
)

// The transport carries only hints: the outbox is the event, and a lost
// hint costs latency, never an event. LISTEN/NOTIFY is one implementation
// (package pgnotify); a distributed log can be another without touching
// producers, consumers or the Bus.

// Notifier sends the after-commit hint that new events exist, once for
// every event and once per topic named by the batch's events.
type Notifier interface {
	Notify(ctx context.Context, topics []string) error
}

// Listener subscribes a replica to the hints.
type Listener interface {
	// Listen returns a live subscription; hints sent after it returns are
	// not missed.
	Listen(ctx context.Context) (Subscription, error)
}

// Subscription is one connection's life of hints.
type Subscription interface {
	// Wait returns nil when a hint arrived or timeout passed (the caller
	// reads the outbox either way), and an error when the subscription is
	// broken and must be replaced.
	Wait(ctx context.Context, timeout time.Duration) error
	Close(ctx context.Context) error
}
