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

// candidatesSQL asks lead_duplicates (migration 00009) for the leads that
// may be the same customer: same e-mail or phone, the same name in the same
// city, or a similar name (trigram similarity >= 0.7) in the same city or
// postal code or with the same website domain — anywhere in the territory
// only when neither city nor postal code is given (SPEC §3). The function
// runs each rule through its own index, which a query under row-level
// security could not (the trigram operators are not LEAKPROOF), and
// returns only the leads the caller may see, most similar first.
const candidatesSQL = `SELECT lead_id, company_name, city, territory, status, owner_user_id, reason, similarity
	FROM lead_duplicates($1, $2, $3, $4, $5, $6, $7, NULL, $8)`

// probe is what a duplicate lookup compares: a lead's normalized fields.
type probe struct {
	territory                  string
	name, city, postal, domain *string
	email, phone               *string
	limit                      int
}

// probeOf is the lookup of l's look-alikes; hard duplicates (e-mail, phone)
// are lead_conflicts' business, so they are left out.
func probeOf(l *Lead, limit int) probe {
	return probe{territory: l.Territory, name: l.CompanyNameNormalized, city: l.City, postal: l.PostalCode,
		domain: l.WebsiteDomain, limit: limit}
}

// candidates lists up to p.limit visible leads that may be the same
// customer as p.
func candidates(ctx context.Context, tx pgx.Tx, p probe) ([]Candidate, error) {
	rows, err := tx.Query(ctx, candidatesSQL, p.territory, p.name, p.city, p.postal, p.domain, p.email, p.phone, p.limit)
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
// same or a similar name in the same city or postal code, or with the same
// website domain.
func softDuplicates(ctx context.Context, tx pgx.Tx, l *Lead) ([]Candidate, error) {
	return candidates(ctx, tx, probeOf(l, 5))
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
	// PostalCode and Website narrow a similar name like City does; the
	// website's domain (else the e-mail's) is compared.
	PostalCode, Website *string
	CountryCode         string
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
	l := &Lead{Territory: territory, Email: q.Email, Phone: q.Phone, City: q.City, PostalCode: q.PostalCode,
		Website: q.Website}
	if q.CompanyName != nil {
		l.CompanyName = *q.CompanyName
	}
	s.normalize(l)
	lookup := probeOf(l, 10)
	lookup.email, lookup.phone = l.EmailNormalized, l.PhoneE164
	var out []Candidate
	err := s.inTx(ctx, p, func(tx pgx.Tx) (err error) {
		out, err = candidates(ctx, tx, lookup)
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
