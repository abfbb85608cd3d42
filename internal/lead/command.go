package lead

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
)

// change collects what a command did besides updating the lead row.
type change struct {
	activities []*Activity
	audits     []audit
	events     []pendingEvent
}

type audit struct {
	action  string
	details map[string]any
}

// Update applies a partial update at the given version.
func (s *Service) Update(ctx context.Context, p auth.Principal, id uuid.UUID, version int, in UpdateInput) (*Lead, error) {
	var changed *Lead
	explain := func(ctx context.Context, tx pgx.Tx, field string) error {
		return duplicateOf(changed, id)(ctx, tx, field)
	}
	out, err := s.command(ctx, p, id, version, CommandUpdate, explain, func(tx pgx.Tx, l *Lead) (*Lead, []event.Event, *pgx.Batch, error) {
		now := s.clock()
		before := *l
		ch, err := s.applyUpdate(ctx, tx, p, l, in, now)
		if err != nil {
			return nil, nil, nil, err
		}
		failed := normalizeLead(l)
		if in.Phone.Set {
			s.countNormalization(failed)
		}
		if len(ch.activities) == 0 && reflect.DeepEqual(before, *l) {
			return l, nil, nil, nil // nothing changed: no new version
		}
		if !sameValue(before.EmailNormalized, l.EmailNormalized) || !sameValue(before.PhoneE164, l.PhoneE164) || before.Territory != l.Territory {
			if err := hardDuplicate(ctx, tx, l, l.ID); err != nil {
				return nil, nil, nil, err
			}
		}
		changed = l
		if ev, ok := updatedSince(&before, l, p.UserID, now); ok {
			ch.events = append(ch.events, ev)
		}
		out, events, b := s.save(ctx, p, l, ch, now)
		return out, events, b, nil
	})
	s.countConflict(err)
	return out, err
}

func sameValue(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// Delete soft-deletes a lead (MANAGER and ADMIN).
func (s *Service) Delete(ctx context.Context, p auth.Principal, id uuid.UUID, version int) error {
	_, err := s.command(ctx, p, id, version, CommandDelete, nil, func(tx pgx.Tx, l *Lead) (*Lead, []event.Event, *pgx.Batch, error) {
		if !privileged(p) {
			return nil, nil, nil, refuse(ErrForbidden, "only a manager may delete a lead")
		}
		now := s.clock()
		ch := &change{}
		if err := setStatus(p, l, StatusDeleted, ch, now); err != nil {
			return nil, nil, nil, err
		}
		ch.audits = append(ch.audits, audit{"lead.deleted", map[string]any{"previousVersion": version}})
		out, events, b := s.save(ctx, p, l, ch, now)
		return out, events, b, nil
	})
	return err
}

// AddActivity records a user's activity. A meaningful one sets
// lastActivityAt and brings a lead in REMINDER or GRACE_PERIOD back to ACTIVE.
func (s *Service) AddActivity(ctx context.Context, p auth.Principal, id uuid.UUID, in ActivityInput) (*Activity, error) {
	v := &ValidationError{}
	if !slices.Contains(UserActivityTypes, in.Type) {
		v.add("type", "must be one of %s", strings.Join(UserActivityTypes, ", "))
	}
	desc := text(v, "description", &in.Description, 4000)
	outcome := text(v, "outcome", in.Outcome, maxText)
	now := s.clock()
	at := occurredAt(v, in.OccurredAt, now)
	if err := v.orNil(); err != nil {
		return nil, err
	}
	a := newActivity(id, in.Type, "", p.UserID, at)
	if desc != nil {
		a.Description = *desc
	}
	a.Outcome = outcome
	err := s.write(ctx, p, write{name: CommandAddActivity, run: func(tx pgx.Tx) (any, []event.Event, *pgx.Batch, error) {
		l, err := lockLead(ctx, tx, p, id)
		if err != nil {
			return nil, nil, nil, err
		}
		if l.Status == StatusDeleted {
			return nil, nil, nil, refuse(ErrConflict, "the lead is deleted")
		}
		ch := &change{activities: []*Activity{a}, events: []pendingEvent{activityAdded(a)}}
		if a.Meaningful {
			if l.LastActivityAt == nil || at.After(*l.LastActivityAt) {
				l.LastActivityAt = &at
				l.Paused.AtActivity = l.pausedAt(now)
			}
			if (l.Status == StatusReminder || l.Status == StatusGracePeriod) && l.ClockStoppedAt == nil {
				s.reactivate(p, l, ch, now)
			}
		}
		_, events, b := s.save(ctx, p, l, ch, now)
		return a, events, b, nil
	}})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (s *Service) reactivate(p auth.Principal, l *Lead, ch *change, now time.Time) {
	ch.activities = append(ch.activities, newActivity(l.ID, ActivityStatusChange,
		fmt.Sprintf("%s -> %s (meaningful contact)", l.Status, StatusActive), p.UserID, now))
	ch.events = append(ch.events, statusChanged(l, l.Status, StatusActive, p.UserID, now, "meaningful contact"))
	l.Status = StatusActive
	l.ReminderSentAt, l.GracePeriodStartAt = nil, nil
}

// Activities returns one page of a lead's timeline, newest first.
func (s *Service) Activities(ctx context.Context, p auth.Principal, id uuid.UUID, page, size int) ([]Activity, int, error) {
	var list []Activity
	var total int
	err := s.inTx(ctx, p, func(tx pgx.Tx) error {
		if _, err := getLead(ctx, tx, id); err != nil {
			return err
		}
		var err error
		list, total, err = listActivities(ctx, tx, id, size, page*size)
		return err
	})
	return list, total, err
}

// save queues the writes of a change — the lead row, its activities and
// audit rows — and returns the lead as it will be written (filled in when
// the batch is sent) with the events of the change.
func (s *Service) save(ctx context.Context, p auth.Principal, l *Lead, ch *change, now time.Time) (*Lead, []event.Event, *pgx.Batch) {
	// Derived fields are current: Update normalized them, the other
	// commands do not touch the fields they derive from.
	l.UpdatedAt, l.UpdatedBy = now, p.UserID
	out := &Lead{}
	b := &pgx.Batch{}
	queueUpdateLead(b, l, out)
	for _, a := range ch.activities {
		queueActivity(b, a, now)
	}
	for _, a := range ch.audits {
		queueAudit(b, now, p.UserID, a.action, l, a.details)
	}
	// The row is locked, so the version written is the one read plus one.
	written := *l
	written.Version++
	return out, complete(ctx, &written, ch.events), b
}

func setStatus(p auth.Principal, l *Lead, to Status, ch *change, now time.Time) error {
	return moveStatus(p, l, to, ch, now, ActivityStatusChange, fmt.Sprintf("%s -> %s", l.Status, to), "")
}

// moveStatus moves l to `to` with an activity of type typ and a
// lead.status_changed event, if p may make the move.
func moveStatus(p auth.Principal, l *Lead, to Status, ch *change, now time.Time, typ, description, reason string) error {
	if err := checkTransition(l.Status, to, p.Role(), l.ClockStoppedAt != nil); err != nil {
		return err
	}
	ch.activities = append(ch.activities, newActivity(l.ID, typ, description, p.UserID, now))
	ch.events = append(ch.events, statusChanged(l, l.Status, to, p.UserID, now, reason))
	switch to {
	case StatusExpired:
		l.ExpiredAt = &now
	case StatusActive:
		l.ReminderSentAt, l.GracePeriodStartAt, l.ExpiredAt = nil, nil, nil
	case StatusReminder:
		l.ReminderSentAt = &now
	case StatusGracePeriod:
		l.GracePeriodStartAt = &now
	}
	if to == StatusReminder || to == StatusGracePeriod {
		l.Paused.AtStatus = l.pausedAt(now)
	}
	l.Status = to
	return nil
}
