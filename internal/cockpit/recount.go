package cockpit

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

// RecountResult says what a recount did.
type RecountResult struct {
	Leads    int           `json:"leads"`
	Rows     int           `json:"rows"` // aggregate rows written
	Duration time.Duration `json:"-"`
}

// Recount rebuilds the aggregates from the leads as they are now, reading
// them by primary key in pages of size: what a deploy onto existing data
// and `seed --leads` run. It holds the consumer off meanwhile; the events
// committed during the recount then change only what changed after the
// lead was read.
func (a *Aggregator) Recount(ctx context.Context, pool *pgxpool.Pool, size int) (RecountResult, error) {
	start := time.Now()
	var res RecountResult
	err := postgres.InTx(ctx, pool, auth.System(), func(tx pgx.Tx) error {
		if err := clearForRecount(ctx, tx); err != nil {
			return err
		}
		totals := deltas{}
		for after := uuid.Nil; ; {
			page, err := readLeads(ctx, tx, after, size)
			if err != nil {
				return err
			}
			rows := make([][]any, 0, len(page))
			for _, l := range page {
				p, err := a.project(l.snapshot)
				if err != nil {
					return err
				}
				totals.add(p.territory, p.users, p.contributions, 1)
				rows = append(rows, []any{l.ID, p.territory, nonNil(p.users), nonNil(p.contributions)})
				after = l.ID
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"cockpit_lead"}, []string{"lead_id", "territory", "users", "contributions"},
				pgx.CopyFromRows(rows)); err != nil {
				return err
			}
			res.Leads += len(page)
			if len(page) < size {
				break
			}
		}
		res.Rows = len(totals)
		return writeTotals(ctx, tx, totals)
	})
	if err != nil {
		return res, fmt.Errorf("cockpit: recount: %w", err)
	}
	res.Duration = time.Since(start)
	return res, nil
}

// writeTotals writes the counts into the emptied table, 10,000 rows a
// statement.
func writeTotals(ctx context.Context, tx pgx.Tx, totals deltas) error {
	chunk := deltas{}
	flush := func() error {
		b := &pgx.Batch{}
		queueCounts(b, chunk)
		clear(chunk)
		return tx.SendBatch(ctx, b).Close()
	}
	for k, v := range totals {
		chunk[k] = v
		if len(chunk) == 10_000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// Uncounted reports whether leads exist that no recount or event ever
// counted: the first start after a deploy onto existing data.
func (a *Aggregator) Uncounted(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	var needed bool
	err := postgres.InTx(ctx, pool, auth.System(), func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, uncountedSQL).Scan(&needed)
	})
	if err != nil {
		return false, fmt.Errorf("cockpit: uncounted: %w", err)
	}
	return needed, nil
}
