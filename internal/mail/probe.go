package mail

import (
	"context"
	"fmt"

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
		return postgres.InTx(ctx, pool, auth.System(), func(tx pgx.Tx) error {
			var pending, oldest float64
			if err := tx.QueryRow(ctx, backlogSQL).Scan(&pending, &oldest); err != nil {
				return fmt.Errorf("mail: backlog: %w", err)
			}
			m.MailPending.Set(pending)
			m.MailOldestPending.Set(oldest)
			return nil
		})
	}
}
