package lead

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
)

// CommandBackdate changes a lead's registration date, as a TxHook sees it
// (the follow-up scheduler moves the follow-ups that have not run).
const CommandBackdate = "backdate"

// ActivityRegistrationBackdated records a changed registration date.
const ActivityRegistrationBackdated = "REGISTRATION_BACKDATED"

// minBackdateReason is the shortest reason accepted for a backdating.
const minBackdateReason = 10

// BackdateInput is the body of PUT /api/leads/{id}/registered-at.
type BackdateInput struct {
	RegisteredAt *time.Time `json:"registeredAt"`
	Reason       string     `json:"reason"`
}

func (in BackdateInput) validate(now time.Time) error {
	v := &ValidationError{}
	switch {
	case in.RegisteredAt == nil:
		v.add("registeredAt", "is required")
	case in.RegisteredAt.After(now):
		v.add("registeredAt", "may not be in the future")
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(in.Reason)); n < minBackdateReason || n > maxText {
		v.add("reason", "must be %d to %d characters", minBackdateReason, maxText)
	}
	return v.orNil()
}

// Backdate moves a lead's registration date into the past (MANAGER and
// ADMIN): a lead registered on paper at a trade fair days before it was
// typed in. Its protection and follow-ups count from the new date.
func (s *Service) Backdate(ctx context.Context, p auth.Principal, id uuid.UUID, version int, in BackdateInput) (*Lead, error) {
	if err := in.validate(s.clock()); err != nil {
		return nil, err
	}
	return s.command(ctx, p, id, version, CommandBackdate, nil, func(tx pgx.Tx, l *Lead) (*Lead, []event.Event, *pgx.Batch, error) {
		if !privileged(p) {
			return nil, nil, nil, refuse(ErrForbidden, "only a manager may change the registration date")
		}
		now := s.clock()
		from, to, reason := l.RegisteredAt, in.RegisteredAt.UTC().Truncate(time.Microsecond), strings.TrimSpace(in.Reason)
		l.RegisteredAt = to
		ch := &change{
			activities: []*Activity{newActivity(l.ID, ActivityRegistrationBackdated,
				"registered "+event.FormatTime(from)+" -> "+event.FormatTime(to)+": "+reason, p.UserID, now)},
			audits: []audit{{"lead.registration_backdated", map[string]any{"from": from, "to": to, "reason": reason}}},
			events: []pendingEvent{updated(l, []string{"registeredAt"}, p.UserID, now)},
		}
		out, events, b := s.save(ctx, p, l, ch, now)
		return out, events, b, nil
	})
}
