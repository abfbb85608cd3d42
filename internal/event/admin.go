package event

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/postgres"
)

// Parked is an event a consumer gave up on.
type Parked struct {
	Consumer  string    `json:"consumer"`
	EventID   uuid.UUID `json:"eventId"`
	OutboxID  int64     `json:"outboxId"`
	Type      string    `json:"type"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"lastError"`
	ParkedAt  time.Time `json:"parkedAt"`
}

// ListParked returns the parked events, oldest first.
func ListParked(ctx context.Context, pool *pgxpool.Pool) ([]Parked, error) {
	var out []Parked
	err := postgres.InTx(ctx, pool, auth.System(), func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT p.consumer, p.event_id, p.outbox_id, coalesce(o.type, ''), p.attempts, p.last_error, p.parked_at
			FROM parked_event p LEFT JOIN event_outbox o ON o.id = p.outbox_id ORDER BY p.parked_at`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Parked])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("event: parked: %w", err)
	}
	return out, nil
}

// CountParked returns the number of parked events per consumer.
func CountParked(ctx context.Context, pool *pgxpool.Pool) (map[string]int, error) {
	out := map[string]int{}
	err := postgres.InTx(ctx, pool, auth.System(), func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT consumer, count(*) FROM parked_event GROUP BY consumer`)
		if err != nil {
			return err
		}
		var name string
		var n int
		_, err = pgx.ForEachRow(rows, []any{&name, &n}, func() error { out[name] = n; return nil })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("event: count parked: %w", err)
	}
	return out, nil
}

// Replay makes a shared consumer process the outbox from id `from` on
// again: its position moves back, and the processed keys and parked entries
// of that range are cleared, so the running service redoes them.
func Replay(ctx context.Context, pool *pgxpool.Pool, consumer string, from int64) (int64, error) {
	var cleared int64
	err := postgres.InTx(ctx, pool, auth.System(), func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE event_consumer SET last_id = $2, in_flight = '{}', snapshot_xmax = NULL, updated_at = now()
			WHERE name = $1 AND last_id >= $2`, consumer, from-1)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("event: no shared consumer %q past id %d", consumer, from)
		}
		tag, err = tx.Exec(ctx, `DELETE FROM processed_event WHERE consumer = $1
			AND event_id IN (SELECT event_id FROM event_outbox WHERE id >= $2)`, consumer, from)
		if err != nil {
			return err
		}
		cleared = tag.RowsAffected()
		_, err = tx.Exec(ctx, `DELETE FROM parked_event WHERE consumer = $1 AND outbox_id >= $2`, consumer, from)
		return err
	})
	return cleared, err
}
