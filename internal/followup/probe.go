package followup

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres"
)

// queueSQL counts, per follow-up type, the due follow-ups not yet
// processed (through follow_up_due_idx) and the jobs River is running.
const queueSQL = `SELECT k.kind,
	(SELECT count(*) FROM follow_up f WHERE f.state = 'SCHEDULED' AND f.due_at <= now() AND f.kind = k.kind),
	(SELECT count(*) FROM river_job j WHERE j.state = 'running' AND j.kind = 'followup' AND j.args->>'followUp' = k.kind)
	FROM unnest($1::text[]) AS k(kind)`

// QueueProbe sets freshplan_followup_queue_size for the polling collector.
func QueueProbe(pool *pgxpool.Pool, m *metric.Set) metric.Probe {
	kinds := make([]string, len(Kinds))
	for i, k := range Kinds {
		kinds[i] = string(k)
	}
	return func(ctx context.Context) error {
		return postgres.InTx(ctx, pool, auth.System(), func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, queueSQL, kinds)
			if err != nil {
				return fmt.Errorf("followup: queue size: %w", err)
			}
			defer rows.Close()
			for rows.Next() {
				var kind string
				var pending, processing float64
				if err := rows.Scan(&kind, &pending, &processing); err != nil {
					return fmt.Errorf("followup: queue size: %w", err)
				}
				m.FollowUpQueueSize.WithLabelValues(kind, "pending").Set(pending)
				m.FollowUpQueueSize.WithLabelValues(kind, "processing").Set(processing)
			}
			return rows.Err()
		})
	}
}
