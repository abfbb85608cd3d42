package mail

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres"
)

// backlogSQL reads the pending mails through mail_outbox_pending_idx;
// there are few unless the relay is down.
const backlogSQL = `SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)
	FROM mail_outbox WHERE state = 'PENDING'`

// BacklogProbe sets the mail outbox gauges for the polling collector.
func BacklogProbe(pool *pgxpool.Pool, m *metric.Set) metric.Probe {
	return func(ctx context.Context) error {
		pending, oldest, err := backlog(ctx, pool)
		if err != nil {
			return err
		}
		m.MailPending.Set(float64(pending))
		m.MailOldestPending.Set(oldest.Seconds())
		return nil
	}
}

// backlog is how many mails wait and how long the oldest has.
func backlog(ctx context.Context, pool *pgxpool.Pool) (pending int64, oldest time.Duration, err error) {
	err = postgres.InTx(ctx, pool, auth.System(), func(tx pgx.Tx) error {
		var seconds float64
		if err := tx.QueryRow(ctx, backlogSQL).Scan(&pending, &seconds); err != nil {
			return fmt.Errorf("mail: backlog: %w", err)
		}
		oldest = time.Duration(seconds * float64(time.Second))
		return nil
	})
	return pending, oldest, err
}
