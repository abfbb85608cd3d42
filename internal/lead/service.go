package lead

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/idempotency"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres"
)

// Service runs the lead commands and queries, each in one transaction
// scoped to the caller.
type Service struct {
	pool    *pgxpool.Pool
	pub     *event.Publisher
	metrics *metric.Set
	now     func() time.Time
	log     *slog.Logger
}

// NewService returns a Service; now is the clock (injected for tests).
func NewService(pool *pgxpool.Pool, pub *event.Publisher, metrics *metric.Set, now func() time.Time, log *slog.Logger) *Service {
	return &Service{pool: pool, pub: pub, metrics: metrics, now: now, log: log}
}

// clock returns the current time at PostgreSQL's precision, in UTC.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func (s *Service) inTx(ctx context.Context, p auth.Principal, fn func(pgx.Tx) error) error {
	return postgres.InTx(ctx, s.pool, p, fn)
}

// write runs a command. fn reads what it needs and returns its result,
// its events and the batch of its writes; the outbox insert joins that
// batch, so a command's writes and events cost one round trip and commit
// together. The relay hears of the events only after the commit. With an
// Idempotency-Key the key is recorded first and the response stored last,
// in the same transaction.
func (s *Service) write(ctx context.Context, p auth.Principal, fn func(pgx.Tx) (any, []event.Event, *pgx.Batch, error)) error {
	claim := idempotency.FromContext(ctx)
	var events []event.Event
	err := postgres.InTx(ctx, s.pool, p, func(tx pgx.Tx) error {
		if claim != nil {
			if err := claim.Begin(ctx, tx); err != nil {
				return err
			}
		}
		result, evs, b, err := fn(tx)
		if err != nil {
			return err
		}
		if b == nil {
			b = &pgx.Batch{}
		}
		if err := s.pub.Queue(b, p.UserID, evs...); err != nil {
			return err
		}
		if b.Len() > 0 {
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return fmt.Errorf("lead: write: %w", err)
			}
		}
		events = evs
		if claim != nil {
			return claim.Finish(ctx, tx, result)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.pub.Committed(events)
	return nil
}

// Create registers a lead. SALES become its owner; MANAGER and ADMIN may name
// another known user of the lead's territory.
func (s *Service) Create(ctx context.Context, p auth.Principal, in CreateInput) (*Lead, error) {
	l, err := s.newLead(p, in)
	if err != nil {
		return nil, err
	}
	out := &Lead{} // filled when the batch is sent
	err = s.write(ctx, p, func(tx pgx.Tx) (any, []event.Event, *pgx.Batch, error) {
		if err := requireKnown(ctx, tx, l.Territory, "ownerUserId", exceptSelf(p, []string{l.OwnerUserID})); err != nil {
			return nil, nil, nil, err
		}
		if err := requireKnown(ctx, tx, l.Territory, "collaboratorUserIds", exceptSelf(p, l.CollaboratorUserIDs)); err != nil {
			return nil, nil, nil, err
		}
		forced, err := checkNew(ctx, tx, l)
		if err != nil {
			return nil, nil, nil, err
		}
		b := &pgx.Batch{}
		queueInsertLead(b, l, out)
		if forced != nil {
			queueAudit(b, l.CreatedAt, p.UserID, forced.action, l, forced.details)
		}
		queueActivity(b, newActivity(l.ID, ActivityCreated, "Lead registered", p.UserID, l.CreatedAt), l.CreatedAt)
		written := *l
		written.Version = 1
		return out, complete(ctx, &written, []pendingEvent{created(&written)}), b, nil
	})
	if field, ok := uniqueField(err); ok {
		err = s.raceDuplicate(ctx, p, l, uuid.Nil, field)
	}
	if err != nil {
		s.countConflict(err)
		return nil, err
	}
	s.log.InfoContext(ctx, "lead created", "lead_id", out.ID, "territory", out.Territory, "user_id", p.UserID)
	// The log handler masks both; the line helps support trace a contact.
	s.log.DebugContext(ctx, "lead contact", "lead_id", out.ID, "email", deref(out.Email), "phone", deref(out.Phone))
	return out, nil
}

func (s *Service) newLead(p auth.Principal, in CreateInput) (*Lead, error) {
	v := &ValidationError{}
	now := s.clock()
	l := &Lead{
		ID:            uuid.Must(uuid.NewV7()),
		CompanyName:   companyName(v, in.CompanyName),
		ContactPerson: text(v, "contactPerson", in.ContactPerson, maxText),
		Email:         email(v, in.Email),
		Phone:         phone(v, in.Phone),
		Website:       text(v, "website", in.Website, 2048),
		Street:        text(v, "street", in.Street, maxText),
		PostalCode:    text(v, "postalCode", in.PostalCode, 20),
		City:          text(v, "city", in.City, maxText),
		CountryCode:   "DE",
		BusinessType:  enum(v, "businessType", in.BusinessType, BusinessTypes),
		Source:        "WEB_FORMULAR",
		Status:        StatusRegistered,
		OwnerUserID:   p.UserID,
		RegisteredAt:  now,
		CreatedAt:     now,
		CreatedBy:     p.UserID,
		UpdatedAt:     now,
		UpdatedBy:     p.UserID,
	}
	if in.CountryCode != nil {
		l.CountryCode = strings.ToUpper(strings.TrimSpace(*in.CountryCode))
	}
	l.Territory = territoryOf(v, l.CountryCode)
	if src := enum(v, "source", in.Source, Sources); src != nil {
		l.Source = *src
	}
	if in.OwnerUserID != nil {
		l.OwnerUserID = strings.TrimSpace(*in.OwnerUserID)
		if l.OwnerUserID == "" {
			v.add("ownerUserId", "must not be blank")
		}
	}
	l.CollaboratorUserIDs = userIDs(v, "collaboratorUserIds", in.CollaboratorUserIDs)
	l.EmailConsent = in.EmailConsent != nil && *in.EmailConsent
	if in.Force != nil && *in.Force {
		if r := text(v, "overrideReason", in.OverrideReason, 1000); r == nil || len([]rune(*r)) < minOverrideReason {
			v.add("overrideReason", "must give at least %d characters of reason when force is true", minOverrideReason)
		} else {
			l.DuplicateOverrideReason = r
		}
	} else if in.OverrideReason != nil {
		v.add("overrideReason", "only allowed together with force: true")
	}
	s.normalize(l)
	if err := v.orNil(); err != nil {
		return nil, err
	}
	if err := mayCreate(p, l); err != nil {
		return nil, err
	}
	return l, nil
}

func mayCreate(p auth.Principal, l *Lead) error {
	switch p.Role() {
	case auth.RoleAdmin:
		return nil
	case auth.RoleManager:
		if p.InTerritory(l.Territory) {
			return nil
		}
	case auth.RoleSales:
		if p.InTerritory(l.Territory) && l.OwnerUserID == p.UserID {
			return nil
		}
		if p.InTerritory(l.Territory) {
			return fmt.Errorf("%w: only a manager may register a lead for another owner", ErrForbidden)
		}
	}
	return fmt.Errorf("%w: you may not register leads in territory %s", ErrForbidden, l.Territory)
}

// exceptSelf drops the caller from ids: a caller is always known to itself.
func exceptSelf(p auth.Principal, ids []string) []string {
	return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == p.UserID })
}

// requireKnown fails with a 422-style error when an id is not a recorded
// user with access to territory.
func requireKnown(ctx context.Context, tx pgx.Tx, territory, field string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	known, err := knownUsers(ctx, tx, ids, territory)
	if err != nil {
		return err
	}
	v := &ValidationError{}
	for _, id := range ids {
		if !known[id] {
			v.add(field, "%q is not a known user with access to territory %s", id, territory)
		}
	}
	return v.orNil()
}

// Get returns a lead the caller may see.
func (s *Service) Get(ctx context.Context, p auth.Principal, id uuid.UUID) (*Lead, error) {
	var out *Lead
	err := s.inTx(ctx, p, func(tx pgx.Tx) (err error) {
		out, err = getLead(ctx, tx, id)
		return err
	})
	return out, err
}

// ListQuery filters, sorts and pages the lead list.
type ListQuery struct {
	Status    *Status
	Territory *string
	Owner     *string
	Q         *string
	Sort      string
	Desc      bool
	Page      int
	Size      int
}

// SortFields are the fields the list may be sorted by.
func SortFields() []string {
	keys := make([]string, 0, len(sortColumns))
	for k := range sortColumns {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// List returns one page of the leads the caller may see, and their total.
func (s *Service) List(ctx context.Context, p auth.Principal, q ListQuery) ([]Lead, int, error) {
	if _, ok := sortColumns[q.Sort]; !ok {
		return nil, 0, &ValidationError{Fields: []FieldError{{Field: "sort", Message: "unknown sort field"}}}
	}
	var list []Lead
	var total int
	err := s.inTx(ctx, p, func(tx pgx.Tx) (err error) {
		list, total, err = listLeads(ctx, tx, q)
		return err
	})
	return list, total, err
}

// likePattern turns a search text into an ILIKE pattern that matches it
// literally anywhere.
func likePattern(q *string) *string {
	if q == nil {
		return nil
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	p := "%" + r.Replace(*q) + "%"
	return &p
}

// AnyVersion is the version of If-Match: *, which matches whatever exists.
const AnyVersion = 0

// command locks the lead, checks the caller's version and runs change on it.
func (s *Service) command(ctx context.Context, p auth.Principal, id uuid.UUID, version int,
	change func(tx pgx.Tx, l *Lead) (*Lead, []event.Event, *pgx.Batch, error)) (*Lead, error) {
	var out *Lead
	err := s.write(ctx, p, func(tx pgx.Tx) (any, []event.Event, *pgx.Batch, error) {
		l, err := lockLead(ctx, tx, id)
		if err != nil {
			return nil, nil, nil, err
		}
		if version != AnyVersion && version != l.Version {
			return nil, nil, nil, fmt.Errorf("%w: lead is at version %d", ErrVersionMismatch, l.Version)
		}
		var events []event.Event
		var b *pgx.Batch
		out, events, b, err = change(tx, l)
		return out, events, b, err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// IsNotFound reports whether err means "no such lead for this caller".
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
