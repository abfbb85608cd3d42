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
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/territory"
)

// Service runs the lead commands and queries, each in one transaction
// scoped to the caller.
type Service struct {
	pool        *pgxpool.Pool
	pub         *event.Publisher
	metrics     *metric.Set
	territories *territory.Registry
	hooks       []TxHook
	now         func() time.Time
	log         *slog.Logger
}

// Deps is what a Service is built from.
type Deps struct {
	Pool        *pgxpool.Pool
	Publisher   *event.Publisher
	Metrics     *metric.Set
	Territories *territory.Registry
	Hooks       []TxHook         // join every command's transaction, in this order
	Now         func() time.Time // the clock
	Log         *slog.Logger
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	return &Service{pool: d.Pool, pub: d.Publisher, metrics: d.Metrics, territories: d.Territories,
		hooks: d.Hooks, now: d.Now, log: d.Log}
}

// clock returns the current time at PostgreSQL's precision, in UTC.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func (s *Service) inTx(ctx context.Context, p auth.Principal, fn func(pgx.Tx) error) error {
	return postgres.InTx(ctx, s.pool, p, fn)
}

// write is one command. run reads what it needs and returns its result,
// its events and the batch of its writes; the outbox insert joins that
// batch, so a command's writes and events cost one round trip and commit
// together. explain, when set, answers a write that a unique index refused
// (a concurrent duplicate that passed the check).
type write struct {
	name    string
	run     func(tx pgx.Tx) (any, []event.Event, *pgx.Batch, error)
	explain func(ctx context.Context, tx pgx.Tx, field string) error
}

// write runs w in a transaction with the hooks around it. The relay hears
// of the events only after the commit.
func (s *Service) write(ctx context.Context, p auth.Principal, w write) error {
	var events []event.Event
	var refused error // the command failed, and the hooks recorded it
	err := s.inTx(ctx, p, func(tx pgx.Tx) error {
		steps, err := s.beginHooks(ctx, tx, w.name)
		if err != nil {
			return err
		}
		if len(steps) == 0 {
			_, events, err = s.apply(ctx, tx, p, w)
			return err
		}
		var result any
		refused, result, events, err = s.applyWithSteps(ctx, tx, p, w, steps)
		if err != nil || refused != nil {
			return err
		}
		for _, st := range steps {
			if err := st.Done(ctx, tx, result); err != nil {
				return err
			}
		}
		return nil
	})
	switch {
	case err != nil:
		return s.explainAfter(ctx, p, w, err)
	case refused != nil:
		return refused
	}
	s.pub.Committed(events)
	return nil
}

func (s *Service) beginHooks(ctx context.Context, tx pgx.Tx, command string) ([]TxStep, error) {
	var steps []TxStep
	for _, h := range s.hooks {
		st, err := h.Begin(ctx, tx, command)
		if err != nil {
			return nil, err
		}
		if st != nil {
			steps = append(steps, st)
		}
	}
	return steps, nil
}

// applyWithSteps runs w behind a savepoint. When w fails, its writes are
// rolled back to the savepoint and the steps record the failure; refused
// is then the command's error and the transaction may still commit.
func (s *Service) applyWithSteps(ctx context.Context, tx pgx.Tx, p auth.Principal, w write, steps []TxStep) (refused error, result any, events []event.Event, err error) {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("lead: savepoint: %w", err)
	}
	result, events, err = s.apply(ctx, sp, p, w)
	if err == nil {
		if err = sp.Commit(ctx); err == nil {
			return nil, result, events, nil
		}
	}
	if rerr := sp.Rollback(ctx); rerr != nil {
		return nil, nil, nil, errors.Join(err, rerr)
	}
	refused = s.explain(ctx, tx, w, err)
	for _, st := range steps {
		if ferr := st.Failed(ctx, tx, refused); ferr != nil {
			return nil, nil, nil, ferr
		}
	}
	return refused, nil, nil, nil
}

// apply runs w's reads and sends its writes and events in one batch.
func (s *Service) apply(ctx context.Context, tx pgx.Tx, p auth.Principal, w write) (any, []event.Event, error) {
	result, events, b, err := w.run(tx)
	if err != nil {
		return nil, nil, err
	}
	if b == nil {
		b = &pgx.Batch{}
	}
	if err := s.pub.Queue(b, p.UserID, events...); err != nil {
		return nil, nil, err
	}
	// Outside a savepoint the writes travel with the COMMIT: a command
	// takes two round trips, its reads and its writes. Their results fill
	// in when InTx commits, before write returns.
	if b.Len() > 0 && !postgres.SendWithCommit(tx, b) {
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, nil, fmt.Errorf("lead: write: %w", err)
		}
	}
	return result, events, nil
}

// explain turns a unique violation of w into the duplicate it is, read in
// tx (which must be usable); other errors stay as they are.
func (s *Service) explain(ctx context.Context, tx pgx.Tx, w write, err error) error {
	field, ok := uniqueField(err)
	if !ok || w.explain == nil {
		return err
	}
	return w.explain(ctx, tx, field)
}

// explainAfter is explain for a transaction that was rolled back: the
// duplicate is looked up in a transaction of its own.
func (s *Service) explainAfter(ctx context.Context, p auth.Principal, w write, err error) error {
	if _, ok := uniqueField(err); !ok || w.explain == nil {
		return err
	}
	out := err
	_ = s.inTx(ctx, p, func(tx pgx.Tx) error {
		out = s.explain(ctx, tx, w, err)
		return nil
	})
	return out
}

// Create registers a lead. SALES become its owner; MANAGER and ADMIN may name
// another known user of the lead's territory.
func (s *Service) Create(ctx context.Context, p auth.Principal, in CreateInput) (*Lead, error) {
	l, err := s.newLead(p, in)
	if err != nil {
		return nil, err
	}
	out := &Lead{} // filled when the batch is sent
	err = s.write(ctx, p, write{name: CommandCreate, explain: duplicateOf(l, uuid.Nil), run: func(tx pgx.Tx) (any, []event.Event, *pgx.Batch, error) {
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
	}})
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
		Website:       website(v, in.Website),
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
	l.Territory = s.territoryOf(v, l.CountryCode)
	if src := enum(v, "source", in.Source, Sources); src != nil {
		l.Source = *src
	}
	if in.OwnerUserID != nil {
		l.OwnerUserID = strings.TrimSpace(*in.OwnerUserID)
		if !userID(l.OwnerUserID) {
			v.add("ownerUserId", "must be a user id")
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
			return refuse(ErrForbidden, "only a manager may register a lead for another owner")
		}
	}
	return refuse(ErrForbidden, "you may not register leads in territory %s", l.Territory)
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

// AnyVersion is the version of If-Match: *, which matches whatever exists.
const AnyVersion = 0

// command locks the lead, checks the caller's version and runs change on it.
func (s *Service) command(ctx context.Context, p auth.Principal, id uuid.UUID, version int, name string,
	explain func(ctx context.Context, tx pgx.Tx, field string) error,
	change func(tx pgx.Tx, l *Lead) (*Lead, []event.Event, *pgx.Batch, error)) (*Lead, error) {
	var out *Lead
	err := s.write(ctx, p, write{name: name, explain: explain, run: func(tx pgx.Tx) (any, []event.Event, *pgx.Batch, error) {
		l, err := lockLead(ctx, tx, p, id)
		if err != nil {
			return nil, nil, nil, err
		}
		if version != AnyVersion && version != l.Version {
			return nil, nil, nil, refuse(ErrVersionMismatch, "lead is at version %d", l.Version)
		}
		var events []event.Event
		var b *pgx.Batch
		out, events, b, err = change(tx, l)
		return out, events, b, err
	}})
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
