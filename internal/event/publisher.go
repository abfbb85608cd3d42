package event

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/metric"
)

// Publisher writes events into business transactions and, after they
// commit, has the relay send the hints.
type Publisher struct {
	metrics   *metric.Set
	log       *slog.Logger
	allowAnon bool
	now       func() time.Time

	notifier Notifier
	wake     chan struct{}
	mu       sync.Mutex
	pending  []pendingHint
}

const maxPendingHints = 8192

type pendingHint struct {
	typ    string
	topics []string
	at     time.Time
}

// NewPublisher returns a Publisher whose relay hints through n. allowAnon
// is the tests-only switch freshplan.security.allow-unauthenticated-publisher;
// now is the clock.
func NewPublisher(n Notifier, metrics *metric.Set, log *slog.Logger, allowAnon bool, now func() time.Time) *Publisher {
	if allowAnon {
		log.Warn("allow-unauthenticated-publisher is ON: events without an acting user are accepted; for tests only")
	}
	return &Publisher{notifier: n, metrics: metrics, log: log, allowAnon: allowAnon, now: now, wake: make(chan struct{}, 1)}
}

// Write adds events to the outbox within tx, in a round trip of their own.
// actor is the user or job the events are published for; without one the
// publish is refused.
func (p *Publisher) Write(ctx context.Context, tx pgx.Tx, actor string, events ...Event) error {
	b := &pgx.Batch{}
	if err := p.Queue(b, actor, events...); err != nil || b.Len() == 0 {
		return err
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		for _, e := range events {
			p.metrics.EventsPublished.WithLabelValues(e.Type, Module, "failure").Inc()
		}
		return fmt.Errorf("event: outbox insert: %w", err)
	}
	return nil
}

// Queue adds the outbox insert of events to b, a batch the caller sends in
// its transaction: the events then cost no round trip of their own.
func (p *Publisher) Queue(b *pgx.Batch, actor string, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	if actor == "" && !p.allowAnon {
		for _, e := range events {
			p.metrics.EventsPublished.WithLabelValues(e.Type, Module, "unauthenticated").Inc()
		}
		return ErrUnauthenticated
	}
	args, err := insertArgs(actor, events)
	if err != nil {
		return err
	}
	b.Queue(insertSQL, args...)
	return nil
}

// Committed is called after the transaction that wrote events committed:
// it counts them and asks the relay for the hints.
func (p *Publisher) Committed(events []Event) {
	if len(events) == 0 {
		return
	}
	now := p.now()
	p.mu.Lock()
	for _, e := range events {
		// Bounded: without a running relay (tools, tests) hints must not pile up.
		if len(p.pending) < maxPendingHints {
			p.pending = append(p.pending, pendingHint{typ: e.Type, topics: e.Topics, at: now})
		}
	}
	p.mu.Unlock()
	for _, e := range events {
		p.metrics.EventsPublished.WithLabelValues(e.Type, Module, "success").Inc()
	}
	select {
	case p.wake <- struct{}{}:
	default: // a hint is already due; it covers these events too
	}
}

// RunRelay sends the hints until ctx ends. Commits that arrive while a
// hint is on its way are covered by the next one, so there is at most one
// hint per topic per batch, never one per row, and never inside the
// business transaction (with NOTIFY that would serialize every commit on
// the server's notify lock).
func (p *Publisher) RunRelay(ctx context.Context) {
	// A notifier that holds a connection gives it back when the relay ends.
	if c, ok := p.notifier.(interface{ Close() }); ok {
		defer c.Close()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		}
		p.mu.Lock()
		batch := p.pending
		p.pending = nil
		p.mu.Unlock()
		var topics []string
		for _, h := range batch {
			for _, t := range h.topics {
				if !slices.Contains(topics, t) {
					topics = append(topics, t)
				}
			}
		}
		if err := p.notifier.Notify(ctx, topics); err != nil {
			// The listeners' poll finds the events anyway; only latency suffers.
			p.log.WarnContext(ctx, "event relay: hint failed", "error", err)
			continue
		}
		done := p.now()
		for _, h := range batch {
			p.metrics.EventLatency.WithLabelValues(h.typ, "publish_notify").Observe(ms(done.Sub(h.at)))
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
