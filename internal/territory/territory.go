// Package territory is the registry of the territories: the data spaces
// (currency, VAT, language) that leads belong to and users are granted.
// It is loaded once at start from the territories table, so every part of
// the service agrees on which codes exist.
package territory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/postgres"
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
	// loc is TimeZone, read once by New (time.LoadLocation reads the zone
	// database from disk on every call).
	loc *time.Location
}

// Location is the territory's time zone.
func (t Territory) Location() (*time.Location, error) {
	if t.loc != nil {
		return t.loc, nil
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("territory: time zone of %s: %w", t.Code, err)
	}
	return loc, nil
}

// Registry answers which territories exist and which country belongs to
// which. It is read-only after construction, so it is safe for concurrent use.
type Registry struct {
	list      []Territory
	byCode    map[string]Territory
	byCountry map[string]string
}

// New builds a registry of list.
func New(list []Territory) *Registry {
	r := &Registry{list: slices.Clone(list), byCode: map[string]Territory{}, byCountry: map[string]string{}}
	slices.SortFunc(r.list, func(a, b Territory) int { return strings.Compare(a.Code, b.Code) })
	for i := range r.list {
		t := &r.list[i]
		t.loc, _ = t.Location() // an unknown zone fails where it is used
		r.byCode[t.Code] = *t
		for _, c := range t.CountryCodes {
			r.byCountry[c] = t.Code
		}
	}
	return r
}

// Load reads the territories table.
func Load(ctx context.Context, pool *pgxpool.Pool) (*Registry, error) {
	var list []Territory
	err := postgres.InTx(ctx, pool, auth.System(), func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT code, name, currency, vat_rate::float8, locale, time_zone, country_codes
			FROM territories ORDER BY code`)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Territory])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("territory: load: %w", err)
	}
	return New(list), nil
}

// Known reports whether code is a territory.
func (r *Registry) Known(code string) bool {
	_, ok := r.byCode[code]
	return ok
}

// Get returns the territory of code.
func (r *Registry) Get(code string) (Territory, bool) {
	t, ok := r.byCode[code]
	return t, ok
}

// ForCountry returns the territory code of an ISO 3166 alpha-2 country.
func (r *Registry) ForCountry(country string) (string, bool) {
	t, ok := r.byCountry[country]
	return t, ok
}

// Countries lists every country that belongs to a territory, sorted.
func (r *Registry) Countries() []string {
	out := make([]string, 0, len(r.byCountry))
	for c := range r.byCountry {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Visible lists the territories p may see, by code.
func (r *Registry) Visible(p auth.Principal) []Territory {
	out := []Territory{}
	for _, t := range r.list {
		if p.SeesTerritory(t.Code) {
			out = append(out, t)
		}
	}
	return out
}

// All lists every territory, by code.
func (r *Registry) All() []Territory { return slices.Clone(r.list) }

// ErrUnknown: no territory has the code.
var ErrUnknown = errors.New("territory: unknown")

// Location is the time zone of territory code.
func (r *Registry) Location(code string) (*time.Location, error) {
	t, ok := r.byCode[code]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknown, code)
	}
	return t.Location()
}
