package event

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/postgres"
)

// Retain deletes outbox rows and processed keys older than keep, in short
// batches (long transactions would hold back every reader's watermark).
// Rows a shared consumer has not passed yet are kept whatever their age.
func Retain(ctx context.Context, pool *pgxpool.Pool, keep time.Duration, now time.Time) (int64, error) {
	cutoff := now.Add(-keep)
	var total int64
	for {
		var n int64
		err := postgres.InTx(ctx, pool, auth.System(), func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `DELETE FROM event_outbox WHERE id IN (
				SELECT id FROM event_outbox WHERE created_at < $1
				AND id <= coalesce((SELECT min(last_id) FROM event_consumer WHERE enabled), 9223372036854775807)
				ORDER BY id LIMIT 5000)`, cutoff)
			n = tag.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("event: retention: %w", err)
		}
		total += n
		if n < 5000 {
			break
		}
	}
	err := postgres.InTx(ctx, pool, auth.System(), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM processed_event WHERE processed_at < $1`, cutoff)
		return err
	})
	if err != nil {
		return total, fmt.Errorf("event: retention of processed keys: %w", err)
	}
	return total, nil
}
