package event

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/maypok86/otter/v2"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/postgres"
)

// LocalHandler is an in-memory effect, run in every replica.
type LocalHandler func(ctx context.Context, d Delivered) error

// SharedHandler is an effect in the database (or outside), run by exactly
// one replica, inside the transaction that records the event as processed.
type SharedHandler func(ctx context.Context, tx pgx.Tx, d Delivered) error

// SharedBatchHandler is a SharedHandler that takes the events of a batch
// at once, in outbox order, so that it can apply them together (rows many
// events change, written once). When it fails, the bus hands it the events
// one by one; an *EventError says which one failed.
type SharedBatchHandler func(ctx context.Context, tx pgx.Tx, events []Delivered) error

// EventError is the failure of a batch handler on one event.
type EventError struct {
	ID  string // the event's id
	Err error
}

func (e *EventError) Error() string { return fmt.Sprintf("event %s: %v", e.ID, e.Err) }
func (e *EventError) Unwrap() error { return e.Err }

// eachOf runs h on each event of a batch.
func eachOf(h SharedHandler) SharedBatchHandler {
	return func(ctx context.Context, tx pgx.Tx, events []Delivered) error {
		for _, d := range events {
			if err := safe(func() error { return h(ctx, tx, d) }); err != nil {
				return &EventError{ID: d.Envelope.ID, Err: err}
			}
		}
		return nil
	}
}

// retry runs fn up to attempts times with doubling backoff.
func retry(ctx context.Context, attempts int, backoff time.Duration, fn func() error) error {
	var err error
	for i := range attempts {
		if err = fn(); err == nil {
			return nil
		}
		if i+1 < attempts {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff << i):
			}
		}
	}
	return err
}

// dedupe is the hot-path memory of processed idempotency keys of the local
// consumers, bounded in size and age.
type dedupe struct {
	cache *otter.Cache[string, struct{}]
}

func newDedupe(size int, ttl time.Duration, rec *statsCounter) *dedupe {
	return &dedupe{cache: otter.Must(&otter.Options[string, struct{}]{
		MaximumSize:      size,
		ExpiryCalculator: otter.ExpiryWriting[string, struct{}](ttl),
		StatsRecorder:    rec.counter,
	})}
}

func (d *dedupe) seen(consumer, key string) bool {
	_, ok := d.cache.GetIfPresent(consumer + "|" + key)
	return ok
}

func (d *dedupe) mark(consumer, key string) { d.cache.Set(consumer+"|"+key, struct{}{}) }

type localConsumer struct {
	name string
	h    LocalHandler
}

type sharedConsumer struct {
	name   string
	h      SharedBatchHandler
	ignore []string
}

// park records an event a consumer gave up on, so an admin can see and
// replay it, and the rest of the stream goes on.
func park(ctx context.Context, pool *pgxpool.Pool, consumer string, d Delivered, attempts int, cause error) error {
	return postgres.InTx(ctx, pool, auth.System(), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO parked_event (consumer, event_id, outbox_id, attempts, last_error)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (consumer, event_id) DO UPDATE
			SET attempts = parked_event.attempts + EXCLUDED.attempts, last_error = EXCLUDED.last_error, parked_at = now()`,
			consumer, d.Envelope.ID, d.ID, attempts, truncate(cause.Error(), 2000))
		return err
	})
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (b *Bus) runLocal(ctx context.Context, c *localConsumer, d Delivered, received time.Time) {
	key := d.Envelope.IdempotencyKey
	if b.dedupe.seen(c.name, key) {
		b.metrics.EventsConsumed.WithLabelValues(d.Type, Module, "duplicate").Inc()
		return
	}
	err := retry(ctx, b.cfg.RetryAttempts, b.cfg.RetryBackoff, func() error { return safe(func() error { return c.h(ctx, d) }) })
	if err != nil {
		b.metrics.EventsConsumed.WithLabelValues(d.Type, Module, "failure").Inc()
		b.log.ErrorContext(ctx, "event consumer failed; event parked", "consumer", c.name, "event_id", key, "error", err)
		if perr := park(ctx, b.pool, c.name, d, b.cfg.RetryAttempts, err); perr != nil {
			b.log.ErrorContext(ctx, "park failed", "consumer", c.name, "event_id", key, "error", perr)
		}
		return
	}
	b.dedupe.mark(c.name, key)
	b.observe(d, received)
}

func (b *Bus) observe(d Delivered, received time.Time) {
	now := b.now()
	b.metrics.EventsConsumed.WithLabelValues(d.Type, Module, "success").Inc()
	b.metrics.EventLatency.WithLabelValues(d.Type, "notify_process").Observe(ms(now.Sub(received)))
	b.metrics.EventLatency.WithLabelValues(d.Type, "end_to_end").Observe(ms(now.Sub(d.CreatedAt)))
}

// safe turns a handler's panic into an error, so one bad event cannot stop
// the listener.
func safe(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("event: handler panic: %v", v)
		}
	}()
	return fn()
}
