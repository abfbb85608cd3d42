package lead

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/auth"
)

// Territory is a data space: currency, VAT and language of its leads.
type Territory struct {
	Code         string   `json:"code"`
	Name         string   `json:"name"`
	Currency     string   `json:"currency"`
	VATRate      float64  `json:"vatRate"`
	Locale       string   `json:"locale"`
	TimeZone     string   `json:"timeZone"`
	CountryCodes []string `json:"countryCodes"`
}

// Territories lists the territories the caller belongs to (all for ADMIN).
func (s *Service) Territories(ctx context.Context, p auth.Principal) ([]Territory, error) {
	var out []Territory
	err := s.inTx(ctx, p, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT code, name, currency, vat_rate::float8, locale, time_zone, country_codes
			FROM territories ORDER BY code`)
		if err != nil {
			return fmt.Errorf("lead: territories: %w", err)
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Territory])
		return err
	})
	return out, err
}
