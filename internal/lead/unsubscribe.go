package lead

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
)

// CommandUnsubscribe blocks a lead's contact at its own request.
const CommandUnsubscribe = "unsubscribe"

// ActivityUnsubscribed records a contact's unsubscribe.
const ActivityUnsubscribed = "UNSUBSCRIBED"

// Unsubscribe sets contactBlocked on lead id, at the contact's request
// (their signed unsubscribe link), as the system: an activity and a
// lead.updated event record it. A lead already blocked stays as it is.
func (s *Service) Unsubscribe(ctx context.Context, id uuid.UUID) error {
	p := auth.System()
	_, err := s.command(ctx, p, id, AnyVersion, CommandUnsubscribe, nil, func(tx pgx.Tx, l *Lead) (*Lead, []event.Event, *pgx.Batch, error) {
		if l.ContactBlocked {
			return l, nil, nil, nil
		}
		now := s.clock()
		l.ContactBlocked = true
		ch := &change{
			activities: []*Activity{newActivity(l.ID, ActivityUnsubscribed, "unsubscribed through the link in a mail", p.UserID, now)},
			events:     []pendingEvent{updated(l, []string{"contactBlocked"}, p.UserID, now)},
		}
		out, events, b := s.save(ctx, p, l, ch, now)
		return out, events, b, nil
	})
	return err
}
