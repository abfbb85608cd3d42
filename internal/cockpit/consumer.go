package cockpit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/territory"
)

// ConsumerName is the shared consumer that keeps the aggregates.
const ConsumerName = "cockpit"

// lockKey is the advisory lock a full recount holds alone and the
// consumer shares: the two never write the aggregates at once.
const lockKey = 0x636f636b706974 // "cockpit"

// Aggregator keeps the aggregates: every event of a lead brings the lead's
// contribution up to date with the lead as it is now, so events applied
// twice, late or out of order change nothing more, and once the consumer
// reached the outbox's tail the aggregates are a recount of the leads.
type Aggregator struct {
	territories *territory.Registry
}

// NewAggregator returns an Aggregator.
func NewAggregator(territories *territory.Registry) *Aggregator {
	return &Aggregator{territories: territories}
}

// TypeWidgetChanged is the event the aggregator emits when a lead's
// figures changed, with everyone who could see them before or after as
// its audience: the replicas drop those cached widgets and push the new
// ones to their streams.
const TypeWidgetChanged = "cockpit.widget_changed"

// Handle is the shared consumer's handler.
func (a *Aggregator) Handle(ctx context.Context, tx pgx.Tx, d event.Delivered) error {
	if d.Subject == uuid.Nil || d.Type == TypeWidgetChanged {
		return nil
	}
	l, exists, old, err := readState(ctx, tx, d.Subject)
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	now, err := a.sync(b, d.Subject, l, exists, old)
	if err != nil {
		return err
	}
	if exists {
		if err := a.recent(ctx, tx, b, d, l); err != nil {
			return err
		}
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("cockpit: apply: %w", err)
	}
	return a.announce(ctx, tx, d, old, now)
}

// Sync brings lead id's contribution up to date in tx, as the system,
// without announcing it (repairs, and the plans tests check).
func (a *Aggregator) Sync(ctx context.Context, tx pgx.Tx, id uuid.UUID) error {
	l, exists, old, err := readState(ctx, tx, id)
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	if _, err := a.sync(b, id, l, exists, old); err != nil {
		return err
	}
	return tx.SendBatch(ctx, b).Close()
}

// sync queues what it takes to bring lead id's contribution from old up
// to date, and returns what it is now.
func (a *Aggregator) sync(b *pgx.Batch, id uuid.UUID, l leadRow, exists bool, old projection) (now projection, err error) {
	if exists {
		if now, err = a.project(l.snapshot); err != nil {
			return now, err
		}
	}
	if old.territory == now.territory && slices.Equal(old.users, now.users) && slices.Equal(old.contributions, now.contributions) {
		return now, nil
	}
	d := deltas{}
	d.add(old.territory, old.users, old.contributions, -1)
	d.add(now.territory, now.users, now.contributions, 1)
	queueProjection(b, id, now)
	queueDeltas(b, d)
	return now, nil
}

type widgetChangedData struct {
	LeadID uuid.UUID `json:"leadId"`
	Cause  string    `json:"cause"` // the type of the event that changed it
}

// announce emits TypeWidgetChanged for each territory the lead counted in
// before or after, to the users of both and of the event's audience.
func (a *Aggregator) announce(ctx context.Context, tx pgx.Tx, d event.Delivered, old, now projection) error {
	users := slices.Concat(old.users, now.users, []string{d.Audience.Owner}, d.Audience.Collaborators)
	slices.Sort(users)
	users = slices.DeleteFunc(slices.Compact(users), func(u string) bool { return u == "" })
	territories := []string{d.Audience.Territory, old.territory, now.territory}
	slices.Sort(territories)
	for _, t := range slices.Compact(territories) {
		if t == "" {
			continue
		}
		e := event.Event{Type: TypeWidgetChanged, Key: event.NameUUID(ConsumerName + "|" + d.Envelope.ID + "|" + t),
			Subject: d.Subject, SubjectVersion: d.SubjectVersion, Audience: event.Audience{Territory: t, Collaborators: users},
			Topics: []string{lead.TopicDashboard}, Time: d.CreatedAt, CausationID: d.Envelope.ID,
			Data: widgetChangedData{LeadID: d.Subject, Cause: d.Type}}
		if err := event.Emit(ctx, tx, e); err != nil {
			return fmt.Errorf("cockpit: announce: %w", err)
		}
	}
	return nil
}

// project is what s contributes, in its territory's zone.
func (a *Aggregator) project(s snapshot) (projection, error) {
	loc, err := a.territories.Location(s.Territory)
	if err != nil {
		return projection{}, err
	}
	return projection{territory: s.Territory, users: s.users(), contributions: s.contributions(loc)}, nil
}

// RecentFollowUp is an entry of recentFollowUps.
type RecentFollowUp struct {
	LeadID       uuid.UUID  `json:"leadId"`
	CompanyName  string     `json:"companyName"`
	FollowUpType string     `json:"followUpType"`
	DueAt        *time.Time `json:"dueAt"`
	ProcessedAt  time.Time  `json:"processedAt"`
	Result       string     `json:"result"`
}

// RecentActivity is an entry of recentActivities.
type RecentActivity struct {
	LeadID      uuid.UUID `json:"leadId"`
	CompanyName string    `json:"companyName"`
	ActivityID  uuid.UUID `json:"activityId"`
	Type        string    `json:"type"`
	OccurredAt  time.Time `json:"occurredAt"`
	UserID      string    `json:"userId"`
}

// recent queues the entry of the recent lists an event makes, if any.
func (a *Aggregator) recent(ctx context.Context, tx pgx.Tx, b *pgx.Batch, d event.Delivered, l leadRow) error {
	switch d.Type {
	case lead.TypeFollowUpProcessed:
		var data struct {
			FollowUpType string `json:"followUpType"`
			Result       string `json:"result"`
			ProcessedAt  string `json:"processedAt"`
		}
		if err := json.Unmarshal(d.Envelope.Data, &data); err != nil {
			return fmt.Errorf("cockpit: %s: %w", d.Type, err)
		}
		due, err := followUpDue(ctx, tx, l.ID, data.FollowUpType)
		if err != nil {
			return fmt.Errorf("cockpit: follow-up: %w", err)
		}
		at, _ := time.Parse(time.RFC3339Nano, data.ProcessedAt)
		return queueRecent(b, "followup", at, d.ID, l.ID, d.Audience, RecentFollowUp{LeadID: l.ID, CompanyName: l.company,
			FollowUpType: data.FollowUpType, DueAt: due, ProcessedAt: at, Result: data.Result})
	case lead.TypeActivityAdded:
		var data struct {
			ActivityID uuid.UUID `json:"activityId"`
			Type       string    `json:"type"`
			OccurredAt string    `json:"occurredAt"`
			UserID     string    `json:"userId"`
		}
		if err := json.Unmarshal(d.Envelope.Data, &data); err != nil {
			return fmt.Errorf("cockpit: %s: %w", d.Type, err)
		}
		at, _ := time.Parse(time.RFC3339Nano, data.OccurredAt)
		return queueRecent(b, "activity", at, d.ID, l.ID, d.Audience, RecentActivity{LeadID: l.ID, CompanyName: l.company,
			ActivityID: data.ActivityID, Type: data.Type, OccurredAt: at, UserID: data.UserID})
	}
	return nil
}
