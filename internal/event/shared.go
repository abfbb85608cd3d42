package event

import (
	"context"
	"errors"
	"fmt"
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
// keys and the new position commit together.
func (b *Bus) processShared(ctx context.Context, c *sharedConsumer, received time.Time) (more bool, err error) {
	em := &emitter{pub: b.pub}
	ctx = context.WithValue(ctx, emitterKey{}, em)
	defer func() {
		if err == nil && b.pub != nil {
			b.pub.Committed(em.events)
		}
	}()
	err = postgres.InTx(ctx, b.pool, auth.System(), func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO event_consumer (name, watermark, last_id) VALUES ($1, '0', 0)
			ON CONFLICT (name) DO NOTHING`, c.name); err != nil {
			return fmt.Errorf("event: consumer row: %w", err)
		}
		var pos Position
		var enabled bool
		err := tx.QueryRow(ctx, `SELECT last_id, in_flight::text[], coalesce(snapshot_xmax::text, ''), enabled FROM event_consumer
			WHERE name = $1 FOR UPDATE SKIP LOCKED`, c.name).Scan(&pos.LastID, &pos.InFlight, &pos.Xmax, &enabled)
		if err == pgx.ErrNoRows {
			return nil // another replica is on it
		}
		if err != nil {
			return fmt.Errorf("event: consumer position: %w", err)
		}
		events, next, m, err := Fetch(ctx, tx, auth.System(), pos, b.cfg.BatchSize)
		if err != nil {
			return err
		}
		more = m
		for _, d := range events {
			if b.cfg.Disabled || !enabled {
				b.metrics.EventsConsumed.WithLabelValues(d.Type, Module, "disabled").Inc()
				continue
			}
			if err := b.handleShared(ctx, tx, c, d, received); err != nil {
				return err
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
	return more, err
}

// handleShared runs one event: skipped when its key was processed before,
// else the handler and the processed key in one savepoint, retried, and
// parked when it keeps failing.
func (b *Bus) handleShared(ctx context.Context, tx pgx.Tx, c *sharedConsumer, d Delivered, received time.Time) error {
	var attempts int
	err := retry(ctx, b.cfg.RetryAttempts, b.cfg.RetryBackoff, func() error {
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
		if err := safe(func() error { return c.h(ctx, sp, d) }); err != nil {
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

// emitter collects what the handlers of a shared consumer's batch emit,
// to announce it once the batch committed.
type emitter struct {
	pub    *Publisher
	events []Event
}

type emitterKey struct{}

// Emit writes e in tx, the transaction of the shared consumer's handler
// that calls it, as the system; it is announced once the batch commits.
// A handler that derives facts from events (aggregates) tells the replicas
// this way that they changed.
func Emit(ctx context.Context, tx pgx.Tx, e Event) error {
	em, ok := ctx.Value(emitterKey{}).(*emitter)
	if !ok || em.pub == nil {
		return errors.New("event: Emit outside a shared consumer of a bus that emits")
	}
	if err := em.pub.Write(ctx, tx, auth.System().UserID, e); err != nil {
		return err
	}
	em.events = append(em.events, e)
	return nil
}
