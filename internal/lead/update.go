package lead

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/auth"
)

// applyUpdate changes l in memory as in asks, checking every rule first.
func (s *Service) applyUpdate(ctx context.Context, tx pgx.Tx, p auth.Principal, l *Lead, in UpdateInput, now time.Time) (*change, error) {
	if l.Status == StatusDeleted {
		if in.Status.Set && !in.Status.Null {
			return nil, checkTransition(l.Status, in.Status.V, p.Role(), l.ClockStoppedAt != nil)
		}
		return nil, refuse(ErrConflict, "the lead is deleted")
	}
	if !privileged(p) && l.OwnerUserID != p.UserID {
		return nil, refuse(ErrForbidden, "only the owner or a manager may change this lead")
	}
	v := &ValidationError{}
	s.applyFields(v, l, in)
	ch := &change{}
	if err := v.orNil(); err != nil {
		return nil, err
	}
	if !p.SeesTerritory(l.Territory) {
		return nil, refuse(ErrForbidden, "you may not move a lead to territory %s", l.Territory)
	}
	if err := applyClock(v, p, l, in, ch, now); err != nil {
		return nil, err
	}
	if in.Status.Set {
		if in.Status.Null || !slices.Contains(Statuses, in.Status.V) {
			return nil, &ValidationError{Fields: []FieldError{{"status", "must be a lead status"}}}
		}
		if err := setStatus(p, l, in.Status.V, ch, now); err != nil {
			return nil, err
		}
	}
	if err := s.applyPeople(ctx, tx, p, l, in, ch, now); err != nil {
		return nil, err
	}
	return ch, nil
}

// applyFields copies the plain fields of a patch onto l.
func (s *Service) applyFields(v *ValidationError, l *Lead, in UpdateInput) {
	if in.CompanyName.Set {
		l.CompanyName = companyName(v, in.CompanyName.V)
	}
	optional := []struct {
		field string
		in    Opt[string]
		dst   **string
		check func(*ValidationError, *string) *string
	}{
		{"contactPerson", in.ContactPerson, &l.ContactPerson, maxLen("contactPerson", maxText)},
		{"email", in.Email, &l.Email, email},
		{"phone", in.Phone, &l.Phone, phone},
		{"website", in.Website, &l.Website, website},
		{"street", in.Street, &l.Street, maxLen("street", maxText)},
		{"postalCode", in.PostalCode, &l.PostalCode, maxLen("postalCode", 20)},
		{"city", in.City, &l.City, maxLen("city", maxText)},
		{"businessType", in.BusinessType, &l.BusinessType, func(v *ValidationError, s *string) *string {
			return enum(v, "businessType", s, BusinessTypes)
		}},
	}
	for _, o := range optional {
		switch {
		case !o.in.Set:
		case o.in.Null:
			*o.dst = nil
		default:
			val := o.in.V
			*o.dst = o.check(v, &val)
		}
	}
	if in.CountryCode.Set {
		if in.CountryCode.Null {
			v.add("countryCode", "must not be null")
		} else {
			l.CountryCode = strings.ToUpper(strings.TrimSpace(in.CountryCode.V))
			l.Territory = s.territoryOf(v, l.CountryCode)
		}
	}
	if in.Source.Set {
		if src := enum(v, "source", &in.Source.V, Sources); src != nil && !in.Source.Null {
			l.Source = *src
		}
	}
	if in.EmailConsent.Set {
		l.EmailConsent = !in.EmailConsent.Null && in.EmailConsent.V
	}
	if in.ContactBlocked.Set {
		l.ContactBlocked = !in.ContactBlocked.Null && in.ContactBlocked.V
	}
}

func maxLen(field string, max int) func(*ValidationError, *string) *string {
	return func(v *ValidationError, s *string) *string { return text(v, field, s, max) }
}

// applyClock stops or resumes the protection clock (MANAGER and ADMIN).
func applyClock(v *ValidationError, p auth.Principal, l *Lead, in UpdateInput, ch *change, now time.Time) error {
	if !in.StopClock.Set || in.StopClock.Null {
		if in.StopReason.Set {
			return &ValidationError{Fields: []FieldError{{"stopReason", "only allowed together with stopClock: true"}}}
		}
		return nil
	}
	if !privileged(p) {
		return refuse(ErrForbidden, "only a manager may stop or resume the clock")
	}
	if !in.StopClock.V {
		if l.ClockStoppedAt == nil {
			return refuse(ErrConflict, "the clock is not stopped")
		}
		ch.activities = append(ch.activities, newActivity(l.ID, ActivityClockResumed, "Clock resumed", p.UserID, now))
		ch.audits = append(ch.audits, audit{"lead.clock_resumed", map[string]any{"stoppedAt": l.ClockStoppedAt}})
		l.Paused.Total += now.Sub(*l.ClockStoppedAt)
		l.ClockStoppedAt, l.StopReason = nil, nil
		return nil
	}
	if l.ClockStoppedAt != nil {
		return refuse(ErrConflict, "the clock is already stopped")
	}
	reason := text(v, "stopReason", &in.StopReason.V, 1000)
	if reason == nil && len(v.Fields) == 0 {
		v.add("stopReason", "is required when stopping the clock")
	}
	if err := v.orNil(); err != nil {
		return err
	}
	l.ClockStoppedAt, l.StopReason = &now, reason
	ch.activities = append(ch.activities, newActivity(l.ID, ActivityClockStopped, *reason, p.UserID, now))
	ch.audits = append(ch.audits, audit{"lead.clock_stopped", map[string]any{"reason": *reason}})
	return nil
}

// applyPeople reassigns the owner and edits the collaborators: only to
// known users with access to the lead's territory, and at most
// maxCollaborators of them. Every list is bounded before it is looked at,
// and the merge is linear.
func (s *Service) applyPeople(ctx context.Context, tx pgx.Tx, p auth.Principal, l *Lead, in UpdateInput, ch *change, now time.Time) error {
	v := &ValidationError{}
	add := userIDs(v, "addCollaborators", in.AddCollaborators)
	remove := userIDs(v, "removeCollaborators", in.RemoveCollaborators)
	newOwner := l.OwnerUserID
	if in.OwnerUserID.Set {
		newOwner = strings.TrimSpace(in.OwnerUserID.V)
		if in.OwnerUserID.Null || !userID(newOwner) {
			v.add("ownerUserId", "must be a user id")
		}
	}
	if err := v.orNil(); err != nil {
		return err
	}
	collaborators := mergeCollaborators(l.CollaboratorUserIDs, add, remove, newOwner)
	// A lead from before the limit may hold more; it may shrink, not grow.
	if n := len(collaborators); n > maxCollaborators && n > len(l.CollaboratorUserIDs) {
		v.add("addCollaborators", "a lead has at most %d collaborators", maxCollaborators)
		return v
	}
	if newOwner != l.OwnerUserID {
		if !privileged(p) {
			return refuse(ErrForbidden, "only a manager may reassign a lead")
		}
		if err := requireKnown(ctx, tx, l.Territory, "ownerUserId", []string{newOwner}); err != nil {
			return err
		}
		ch.activities = append(ch.activities, newActivity(l.ID, ActivityAssigned,
			"Owner changed", p.UserID, now))
		ch.audits = append(ch.audits, audit{"lead.reassigned", map[string]any{"from": l.OwnerUserID, "to": newOwner}})
		ch.events = append(ch.events, assigned(l, l.OwnerUserID, newOwner, now))
		l.OwnerUserID = newOwner
	}
	if err := requireKnown(ctx, tx, l.Territory, "addCollaborators", exceptSelf(p, add)); err != nil {
		return err
	}
	l.CollaboratorUserIDs = collaborators
	return nil
}

// mergeCollaborators is current plus add, less remove and the owner, in
// order, without duplicates; linear in the lengths of the lists.
func mergeCollaborators(current, add, remove []string, owner string) []string {
	drop := make(map[string]bool, len(remove)+1)
	for _, id := range remove {
		drop[id] = true
	}
	drop[owner] = true
	out := make([]string, 0, len(current)+len(add))
	for _, id := range slices.Concat(current, add) {
		if !drop[id] {
			drop[id] = true // a second occurrence is dropped as well
			out = append(out, id)
		}
	}
	return out
}
