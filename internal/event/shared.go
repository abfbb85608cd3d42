package event

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/postgres"
)

// runShared processes the shared consumers whenever the listener read new
// events, and on every poll interval as a safety net.
func (b *Bus) runShared(ctx context.Context) {
	if len(b.shared) == 0 {
		return
	}
	t := time.NewTicker(b.cfg.PollInterval)
	defer t.Stop()
	for {
		received := b.now()
		for _, c := range b.shared {
			for {
				more, err := b.processShared(ctx, c, received)
				if err != nil && ctx.Err() == nil {
					b.log.WarnContext(ctx, "shared consumer batch failed; will retry", "consumer", c.name, "error", err)
				}
				if !more || err != nil {
					break
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-b.sharedWake:
		case <-t.C:
		}
	}
}

// processShared handles one batch for c in one transaction that holds the
// consumer's position row. Another replica skips the locked row, so each
// event is processed by exactly one replica; the effects, the processed
// keys and the new position commit together. The batch runs without a
// savepoint per event; when a handler fails, it is rolled back and run
// again event by event, each in a savepoint, so that only the failing
// event is retried and parked.
func (b *Bus) processShared(ctx context.Context, c *sharedConsumer, received time.Time) (more bool, err error) {
	more, failed, err := b.sharedBatch(ctx, c, received, nil)
	if failed != nil {
		b.log.WarnContext(ctx, "shared consumer batch failed; running it event by event", "consumer", c.name,
			"event_id", failed.id, "error", failed.err)
		more, _, err = b.sharedBatch(ctx, c, received, failed)
	}
	return more, err
}

// failure is the event a batch failed on, which counts as its first try.
type failure struct {
	id  string
	err error
}

// sharedBatch runs one batch; all at once when failed is nil, else event
// by event. It reports the first failure of an all-at-once run instead of
// committing.
func (b *Bus) sharedBatch(ctx context.Context, c *sharedConsumer, received time.Time, failed *failure) (more bool, fail *failure, err error) {
	em := &emitter{pub: b.pub}
	ctx = context.WithValue(ctx, emitterKey{}, em)
	var handled []Delivered
	err = postgres.InTx(ctx, b.pool, auth.System(), func(tx pgx.Tx) error {
		pos, enabled, ok, err := lockConsumer(ctx, tx, c.name)
		if !ok || err != nil {
			return err // another replica is on it
		}
		events, next, m, err := Fetch(ctx, tx, auth.System(), pos, b.cfg.SharedBatchSize)
		if err != nil {
			return err
		}
		more = m
		var todo []Delivered
		for _, d := range events {
			switch {
			case slices.Contains(c.ignore, d.Type):
			case b.cfg.Disabled || !enabled:
				b.metrics.EventsConsumed.WithLabelValues(d.Type, Module, "disabled").Inc()
			default:
				todo = append(todo, d)
			}
		}
		if failed == nil {
			handled, fail, err = b.handleAll(ctx, tx, c, todo)
			if err != nil {
				fail = &failure{err: err}
			}
			if fail != nil {
				return errRunAgain
			}
		} else {
			for _, d := range todo {
				tried := 0
				if d.Envelope.ID == failed.id {
					tried = 1
				}
				if err := b.handleShared(ctx, tx, c, d, received, tried); err != nil {
					return err
				}
			}
		}
		_, err = tx.Exec(ctx, `UPDATE event_consumer SET watermark = $2::text::xid8, last_id = $3,
			in_flight = $4::text[]::xid8[], snapshot_xmax = $5::text::xid8, updated_at = now() WHERE name = $1`,
			c.name, fmt.Sprint(next.Watermark), next.LastID, nonNil(next.InFlight), nilIfEmpty(next.Xmax))
		if err != nil {
			return fmt.Errorf("event: consumer advance: %w", err)
		}
		return nil
	})
	if errors.Is(err, errRunAgain) {
		return more, fail, nil
	}
	if err == nil {
		if b.pub != nil {
			b.pub.Committed(em.events)
		}
		for _, d := range handled {
			b.observe(d, received)
		}
	}
	return more, nil, err
}

var errRunAgain = errors.New("event: batch failed; run again event by event")

// lockConsumer takes c's position row, or reports !ok when another replica
// holds it.
func lockConsumer(ctx context.Context, tx pgx.Tx, name string) (pos Position, enabled, ok bool, err error) {
	if _, err := tx.Exec(ctx, `INSERT INTO event_consumer (name, watermark, last_id) VALUES ($1, '0', 0)
		ON CONFLICT (name) DO NOTHING`, name); err != nil {
		return pos, false, false, fmt.Errorf("event: consumer row: %w", err)
	}
	err = tx.QueryRow(ctx, `SELECT last_id, in_flight::text[], coalesce(snapshot_xmax::text, ''), enabled FROM event_consumer
		WHERE name = $1 FOR UPDATE SKIP LOCKED`, name).Scan(&pos.LastID, &pos.InFlight, &pos.Xmax, &enabled)
	if err == pgx.ErrNoRows {
		return pos, false, false, nil
	}
	if err != nil {
		return pos, false, false, fmt.Errorf("event: consumer position: %w", err)
	}
	return pos, enabled, true, nil
}

// handleAll records the processed keys of events in one statement and runs
// the handler on those not processed before, on tx itself. It returns the
// events handled, or the first that failed.
func (b *Bus) handleAll(ctx context.Context, tx pgx.Tx, c *sharedConsumer, events []Delivered) ([]Delivered, *failure, error) {
	if len(events) == 0 {
		return nil, nil, nil
	}
	ids := make([]string, len(events))
	for i, d := range events {
		ids[i] = d.Envelope.ID
	}
	rows, err := tx.Query(ctx, `INSERT INTO processed_event (consumer, event_id) SELECT $1, unnest($2::uuid[])
		ON CONFLICT DO NOTHING RETURNING event_id::text`, c.name, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("event: processed keys: %w", err)
	}
	fresh := map[string]bool{}
	var id string
	if _, err := pgx.ForEachRow(rows, []any{&id}, func() error { fresh[id] = true; return nil }); err != nil {
		return nil, nil, fmt.Errorf("event: processed keys: %w", err)
	}
	var todo []Delivered
	for _, d := range events {
		if fresh[d.Envelope.ID] {
			todo = append(todo, d)
		} else {
			b.metrics.EventsConsumed.WithLabelValues(d.Type, Module, "duplicate").Inc()
		}
	}
	if len(todo) == 0 {
		return nil, nil, nil
	}
	if err := safe(func() error { return c.h(ctx, tx, todo) }); err != nil {
		f := &failure{err: err}
		if ee, ok := errors.AsType[*EventError](err); ok {
			f.id = ee.ID
		}
		return nil, f, nil
	}
	return todo, nil, nil
}

// handleShared runs one event: skipped when its key was processed before,
// else the handler and the processed key in one savepoint, retried, and
// parked when it keeps failing; tried is how often it failed already.
func (b *Bus) handleShared(ctx context.Context, tx pgx.Tx, c *sharedConsumer, d Delivered, received time.Time, tried int) error {
	attempts := tried
	err := retry(ctx, max(b.cfg.RetryAttempts-tried, 1), b.cfg.RetryBackoff, func() error {
		attempts++
		sp, err := tx.Begin(ctx)
		if err != nil {
			return err
		}
		tag, err := sp.Exec(ctx, `INSERT INTO processed_event (consumer, event_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, c.name, d.Envelope.ID)
		if err != nil {
			_ = sp.Rollback(ctx)
			return err
		}
		if tag.RowsAffected() == 0 {
			b.metrics.EventsConsumed.WithLabelValues(d.Type, Module, "duplicate").Inc()
			return sp.Commit(ctx)
		}
		if err := safe(func() error { return c.h(ctx, sp, []Delivered{d}) }); err != nil {
			_ = sp.Rollback(ctx)
			return err
		}
		if err := sp.Commit(ctx); err != nil {
			return err
		}
		b.observe(d, received)
		return nil
	})
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	b.metrics.EventsConsumed.WithLabelValues(d.Type, Module, "failure").Inc()
	b.log.ErrorContext(ctx, "shared consumer failed; event parked", "consumer", c.name, "event_id", d.Envelope.ID, "error", err)
	_, perr := tx.Exec(ctx, `INSERT INTO parked_event (consumer, event_id, outbox_id, attempts, last_error)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (consumer, event_id) DO UPDATE
		SET attempts = parked_event.attempts + EXCLUDED.attempts, last_error = EXCLUDED.last_error, parked_at = now()`,
		c.name, d.Envelope.ID, d.ID, attempts, truncate(err.Error(), 2000))
	return perr
}

// Emit queues the outbox insert of events into b, a batch the shared
// consumer's handler sends in its transaction, as the system; they are
// announced once the batch commits. A handler that derives facts from
// events (aggregates) tells the replicas this way that they changed.
func Emit(ctx context.Context, b *pgx.Batch, events ...Event) error {
	em, ok := ctx.Value(emitterKey{}).(*emitter)
	if !ok || em.pub == nil {
		return errors.New("event: Emit outside a shared consumer of a bus that emits")
	}
	if err := em.pub.Queue(b, auth.System().UserID, events...); err != nil {
		return err
	}
	em.events = append(em.events, events...)
	return nil
}

// emitter collects what the handlers of a shared consumer's batch emit,
// to announce it once the batch committed.
type emitter struct {
	pub    *Publisher
	events []Event
}

type emitterKey struct{}
