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
	var dup error
	b := &pgx.Batch{}
	queueHardDuplicate(b, l, exclude, &dup)
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	return dup
}

// queueHardDuplicate adds hardDuplicate's lookup to b; dup receives the
// collision, if any.
func queueHardDuplicate(b *pgx.Batch, l *Lead, exclude uuid.UUID, dup *error) {
	if l.EmailNormalized == nil && l.PhoneE164 == nil {
		return
	}
	var excl *uuid.UUID
	if exclude != uuid.Nil {
		excl = &exclude
	}
	b.Queue(`SELECT lead_id, lead_status, field, visible FROM lead_conflicts($1, $2, $3, $4) LIMIT 1`,
		l.Territory, l.EmailNormalized, l.PhoneE164, excl).QueryRow(func(r pgx.Row) error {
		var id *uuid.UUID // only when the caller may see the lead
		var status, field string
		var visible bool
		err := r.Scan(&id, &status, &field, &visible)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return nil
		case err != nil:
			return fmt.Errorf("lead: duplicate check: %w", err)
		}
		*dup = &DuplicateError{Field: field, ExistingStatus: Status(status), ExistingLeadID: id}
		return nil
	})
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
	var out []Candidate
	b := &pgx.Batch{}
	queueCandidates(b, p, &out)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	return out, nil
}

// queueCandidates adds candidates' lookup to b; out receives the leads.
func queueCandidates(b *pgx.Batch, p probe, out *[]Candidate) {
	b.Queue(candidatesSQL, p.territory, p.name, p.city, p.postal, p.domain, p.email, p.phone, p.limit).Query(func(rows pgx.Rows) error {
		list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Candidate])
		if err != nil {
			return fmt.Errorf("lead: candidates: %w", err)
		}
		*out = list
		return nil
	})
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
	// Both checks in one round trip: the hard one (e-mail, phone) decides
	// first; the soft one (the WARNING) lists up to 5 visible leads with the
	// same or a similar name in the same city or postal code, or with the
	// same website domain.
	var dup error
	var found []Candidate
	b := &pgx.Batch{}
	queueHardDuplicate(b, l, uuid.Nil, &dup)
	queueCandidates(b, probeOf(l, 5), &found)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	if dup != nil || len(found) == 0 {
		return nil, dup
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
