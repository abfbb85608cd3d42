package lead

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/postgres"
)

// BackfillResult counts what a backfill did.
type BackfillResult struct {
	Scanned   int `json:"scanned"`
	Updated   int `json:"updated"`
	Conflicts int `json:"conflicts"` // rows whose new value collides with another lead; left as they were
	Invalid   int `json:"invalid"`   // phone numbers that do not normalize
}

// Backfill re-normalizes every lead in batches of size, one short
// transaction per batch, so it can run beside the live service. Derived
// fields only: versions and update stamps stay as they are.
func (s *Service) Backfill(ctx context.Context, size int) (BackfillResult, error) {
	var res BackfillResult
	after := uuid.Nil
	for {
		n := 0
		err := postgres.InTx(ctx, s.pool, auth.System(), func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT `+leadColumns+` FROM leads WHERE id > $1 ORDER BY id LIMIT $2`, after, size)
			if err != nil {
				return err
			}
			batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*Lead, error) { return scanLead(r) })
			if err != nil {
				return err
			}
			for _, l := range batch {
				n++
				after = l.ID
				if err := s.backfillOne(ctx, tx, l, &res); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("lead: backfill: %w", err)
		}
		res.Scanned += n
		if n < size {
			return res, nil
		}
	}
}

func (s *Service) backfillOne(ctx context.Context, tx pgx.Tx, l *Lead, res *BackfillResult) error {
	before := *l
	failed := normalizeLead(l)
	res.Invalid += len(failed)
	s.countNormalization(failed)
	if sameValue(before.EmailNormalized, l.EmailNormalized) && sameValue(before.CompanyNameNormalized, l.CompanyNameNormalized) &&
		sameValue(before.PhoneE164, l.PhoneE164) && sameValue(before.WebsiteDomain, l.WebsiteDomain) {
		return nil
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return err
	}
	_, err = sp.Exec(ctx, `UPDATE leads SET email_normalized = $2, company_name_normalized = $3, phone_e164 = $4,
		website_domain = $5 WHERE id = $1`, l.ID, l.EmailNormalized, l.CompanyNameNormalized, l.PhoneE164, l.WebsiteDomain)
	if _, dup := uniqueField(err); dup {
		res.Conflicts++
		s.log.WarnContext(ctx, "backfill: normalized value collides with another lead; row left as it was", "lead_id", l.ID)
		return sp.Rollback(ctx)
	}
	if err != nil {
		_ = sp.Rollback(ctx)
		return err
	}
	res.Updated++
	return sp.Commit(ctx)
}
