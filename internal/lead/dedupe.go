package lead

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/freshplan/leads/internal/auth"
)

// DuplicateError is a hard duplicate: another non-deleted lead of the
// territory has the same normalized e-mail or phone. ExistingLeadID is set
// only when the caller may see that lead.
type DuplicateError struct {
	Field          string
	ExistingStatus Status
	ExistingLeadID *uuid.UUID
}

func (e *DuplicateError) Error() string {
	return "lead: duplicate " + e.Field + " (existing lead is " + string(e.ExistingStatus) + ")"
}

func (e *DuplicateError) Unwrap() error { return ErrConflict }

// Candidate is a lead that may be the same customer.
type Candidate struct {
	ID          uuid.UUID `json:"id"`
	CompanyName string    `json:"companyName"`
	City        *string   `json:"city"`
	Territory   string    `json:"territory"`
	Status      Status    `json:"status"`
	OwnerUserID string    `json:"ownerUserId"`
	Reason      string    `json:"reason"` // email, phone, same_name_city, similar_name
	Similarity  float64   `json:"similarity"`
}

// SoftDuplicateError warns of leads that look like the same customer; the
// client may repeat with force and an override reason.
type SoftDuplicateError struct{ Candidates []Candidate }

func (e *SoftDuplicateError) Error() string {
	return fmt.Sprintf("lead: %d possible duplicates", len(e.Candidates))
}

func (e *SoftDuplicateError) Unwrap() error { return ErrConflict }

// minOverrideReason is the shortest reason accepted for a forced create.
const minOverrideReason = 10

// hardDuplicate reports the first lead that collides with l on e-mail or
// phone in its territory.
func hardDuplicate(ctx context.Context, tx pgx.Tx, l *Lead, exclude uuid.UUID) error {
	if l.EmailNormalized == nil && l.PhoneE164 == nil {
		return nil
	}
	var excl *uuid.UUID
	if exclude != uuid.Nil {
		excl = &exclude
	}
	var id *uuid.UUID // only when the caller may see the lead
	var status, field string
	var visible bool
	err := tx.QueryRow(ctx, `SELECT lead_id, lead_status, field, visible FROM lead_conflicts($1, $2, $3, $4) LIMIT 1`,
		l.Territory, l.EmailNormalized, l.PhoneE164, excl).Scan(&id, &status, &field, &visible)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("lead: duplicate check: %w", err)
	}
	return &DuplicateError{Field: field, ExistingStatus: Status(status), ExistingLeadID: id}
}

const candidatesSQL = `SELECT id, company_name, city, territory, status, owner_user_id,
	CASE WHEN $5::text IS NOT NULL AND email_normalized = $5 THEN 'email'
	     WHEN $6::text IS NOT NULL AND phone_e164 = $6 THEN 'phone'
	     WHEN company_name_normalized = $2 AND lower(city) = lower($3) THEN 'same_name_city'
	     ELSE 'similar_name' END,
	similarity(company_name_normalized, coalesce($2, ''))::float8 AS sim
FROM leads
WHERE territory = $1 AND status <> 'DELETED' AND id IS DISTINCT FROM $4
  AND (($5::text IS NOT NULL AND email_normalized = $5) OR ($6::text IS NOT NULL AND phone_e164 = $6)
    OR (company_name_normalized = $2 AND lower(city) = lower($3))
    OR (company_name_normalized % $2 AND similarity(company_name_normalized, $2) >= 0.7))
ORDER BY sim DESC, created_at
LIMIT $7`

// candidates lists up to limit visible leads that may be the same customer:
// same e-mail or phone, same name in the same city, or a similar name.
func candidates(ctx context.Context, tx pgx.Tx, territory string, name, city, email, phone *string, exclude *uuid.UUID, limit int) ([]Candidate, error) {
	rows, err := tx.Query(ctx, candidatesSQL, territory, name, city, exclude, email, phone, limit)
	if err != nil {
		return nil, fmt.Errorf("lead: candidates: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Candidate])
	if err != nil {
		return nil, fmt.Errorf("lead: candidates: %w", err)
	}
	return out, nil
}

// softDuplicates is the WARNING check of a create: visible leads with the
// same name in the same city, or a similar name.
func softDuplicates(ctx context.Context, tx pgx.Tx, l *Lead) ([]Candidate, error) {
	return candidates(ctx, tx, l.Territory, l.CompanyNameNormalized, l.City, nil, nil, nil, 5)
}

// uniqueField maps a unique violation of the duplicate indexes to its field.
func uniqueField(err error) (string, bool) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return "", false
	}
	switch {
	case strings.Contains(pgErr.ConstraintName, "email"):
		return "email", true
	case strings.Contains(pgErr.ConstraintName, "phone"):
		return "phone", true
	}
	return "", false
}

// duplicateOf explains a unique violation that a concurrent write caused
// after l's duplicate check passed: the index decided, the answer is 409,
// with the colliding lead when the caller may see it.
func duplicateOf(l *Lead, exclude uuid.UUID) func(ctx context.Context, tx pgx.Tx, field string) error {
	return func(ctx context.Context, tx pgx.Tx, field string) error {
		if l != nil {
			if dup := hardDuplicate(ctx, tx, l, exclude); dup != nil {
				return dup
			}
		}
		return &DuplicateError{Field: field}
	}
}

// DuplicateQuery is the input of the duplicates lookup.
type DuplicateQuery struct {
	CompanyName, City, Email, Phone *string
	CountryCode                     string
}

// Duplicates returns up to 10 leads the caller may see that could be the
// same customer.
func (s *Service) Duplicates(ctx context.Context, p auth.Principal, q DuplicateQuery) ([]Candidate, error) {
	v := &ValidationError{}
	territory := s.territoryOf(v, strings.ToUpper(q.CountryCode))
	if q.CompanyName == nil && q.Email == nil && q.Phone == nil {
		v.add("companyName", "give at least one of companyName, email, phone")
	}
	if err := v.orNil(); err != nil {
		return nil, err
	}
	probe := &Lead{Territory: territory, Email: q.Email, Phone: q.Phone, City: q.City}
	if q.CompanyName != nil {
		probe.CompanyName = *q.CompanyName
	}
	s.normalize(probe)
	var out []Candidate
	err := s.inTx(ctx, p, func(tx pgx.Tx) (err error) {
		out, err = candidates(ctx, tx, territory, probe.CompanyNameNormalized, probe.City, probe.EmailNormalized, probe.PhoneE164, nil, 10)
		return err
	})
	return out, err
}

// checkNew refuses a new lead that duplicates another one: a hard duplicate
// always; soft duplicates unless forced, and a forced create is audited.
// It returns the audit entry of a forced create, to be written with the lead.
func checkNew(ctx context.Context, tx pgx.Tx, l *Lead) (*audit, error) {
	if err := hardDuplicate(ctx, tx, l, uuid.Nil); err != nil {
		return nil, err
	}
	found, err := softDuplicates(ctx, tx, l)
	if err != nil || len(found) == 0 {
		return nil, err
	}
	if l.DuplicateOverrideReason == nil {
		return nil, &SoftDuplicateError{Candidates: found}
	}
	ids := make([]string, len(found))
	for i, c := range found {
		ids[i] = c.ID.String()
	}
	return &audit{"lead.force_created", map[string]any{"reason": *l.DuplicateOverrideReason, "candidates": ids}}, nil
}

// countConflict counts a refused duplicate by its field.
func (s *Service) countConflict(err error) {
	var d *DuplicateError
	var soft *SoftDuplicateError
	switch {
	case errors.As(err, &d):
		s.metrics.LeadsConflicts.WithLabelValues(d.Field).Inc()
	case errors.As(err, &soft):
		s.metrics.LeadsConflicts.WithLabelValues("company").Inc()
	}
}
