package cockpit

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
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

// TypeWidgetChanged is the event the aggregator emits when a batch changed
// a territory's figures, with everyone who could see the changed leads
// before or after as its audience: the replicas drop those cached widgets
// and push the new ones to their streams.
const TypeWidgetChanged = "cockpit.widget_changed"

// Handle is the shared consumer's handler. It takes a batch's events at
// once: it reads each lead once, brings its contribution up to date,
// sums the deltas of all leads, and writes them, the projections, the
// recent lists' entries and the announcements in one round trip, so that
// a territory's counters are written once per batch, not once per event.
func (a *Aggregator) Handle(ctx context.Context, tx pgx.Tx, events []event.Delivered) error {
	// Each lead's events, the leads in the order they first appear.
	var ids []uuid.UUID
	byLead := map[uuid.UUID][]event.Delivered{}
	for _, d := range events {
		if d.Subject == uuid.Nil || d.Type == TypeWidgetChanged {
			continue
		}
		if _, seen := byLead[d.Subject]; !seen {
			ids = append(ids, d.Subject)
		}
		byLead[d.Subject] = append(byLead[d.Subject], d)
	}
	if len(ids) == 0 {
		return nil
	}
	states, err := readStates(ctx, tx, ids)
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	d := deltas{}
	changed := map[uuid.UUID]bool{}
	moved := map[uuid.UUID]projection{}
	for _, id := range ids {
		st := states[id]
		now, err := a.sync(d, moved, st)
		if err != nil {
			return &event.EventError{ID: byLead[id][0].Envelope.ID, Err: err}
		}
		st.now = now
		states[id] = st
		_, changed[id] = moved[id]
	}
	if err := queueProjections(b, moved); err != nil {
		return err
	}
	queueDeltas(b, d)
	for _, ev := range events {
		st, ok := states[ev.Subject]
		if !ok || !st.exists {
			continue
		}
		listed, err := a.recent(ctx, tx, b, ev, st.lead)
		if err != nil {
			return &event.EventError{ID: ev.Envelope.ID, Err: err}
		}
		changed[ev.Subject] = changed[ev.Subject] || listed
	}
	announce := announcements(ids, byLead, states, changed)
	if err := event.Emit(ctx, b, announce...); err != nil {
		return fmt.Errorf("cockpit: announce: %w", err)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("cockpit: apply: %w", err)
	}
	return nil
}

// Sync brings lead id's contribution up to date in tx, as the system,
// without announcing it (repairs, and the plans tests check).
func (a *Aggregator) Sync(ctx context.Context, tx pgx.Tx, id uuid.UUID) error {
	states, err := readStates(ctx, tx, []uuid.UUID{id})
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	d := deltas{}
	moved := map[uuid.UUID]projection{}
	if _, err := a.sync(d, moved, states[id]); err != nil {
		return err
	}
	if err := queueProjections(b, moved); err != nil {
		return err
	}
	queueDeltas(b, d)
	return tx.SendBatch(ctx, b).Close()
}

// sync adds to d what it takes to bring the lead's contribution from what
// was applied up to date, and returns its projection now, which it adds
// to moved when it changed.
func (a *Aggregator) sync(d deltas, moved map[uuid.UUID]projection, st state) (now projection, err error) {
	if st.exists {
		if now, err = a.project(st.lead.snapshot); err != nil {
			return now, err
		}
	}
	old := st.old
	if old.territory == now.territory && slices.Equal(old.users, now.users) && slices.Equal(old.contributions, now.contributions) {
		return now, nil
	}
	d.add(old.territory, old.users, old.contributions, -1)
	d.add(now.territory, now.users, now.contributions, 1)
	moved[st.id] = now
	return now, nil
}

type widgetChangedData struct {
	Leads int `json:"leads"` // how many leads' figures changed
}

// announcements are the TypeWidgetChanged events of a batch: one per
// territory whose figures changed, to the users who could see any of its
// changed leads before or after (their projections' users and their
// events' audiences). One per territory and batch, not one per lead: each
// replica reads every announcement with each of its local consumers, and
// at one per lead they had doubled the events the replicas read.
func announcements(ids []uuid.UUID, byLead map[uuid.UUID][]event.Delivered, states map[uuid.UUID]state, changed map[uuid.UUID]bool) []event.Event {
	users := map[string][]string{} // territory → users
	leads := map[string]int{}      // territory → leads changed
	var last event.Delivered
	for _, id := range ids {
		if !changed[id] {
			continue
		}
		st := states[id]
		seen := slices.Concat(st.old.users, st.now.users)
		territories := []string{st.old.territory, st.now.territory}
		for _, d := range byLead[id] {
			seen = append(append(seen, d.Audience.Owner), d.Audience.Collaborators...)
			territories = append(territories, d.Audience.Territory)
			if d.ID > last.ID {
				last = d
			}
		}
		slices.Sort(territories)
		for _, t := range slices.Compact(territories) {
			if t != "" {
				users[t] = append(users[t], seen...)
				leads[t]++
			}
		}
	}
	var out []event.Event
	for _, t := range slices.Sorted(maps.Keys(users)) {
		u := users[t]
		slices.Sort(u)
		u = slices.DeleteFunc(slices.Compact(u), func(s string) bool { return s == "" })
		out = append(out, event.Event{Type: TypeWidgetChanged, Key: event.NameUUID(ConsumerName + "|" + last.Envelope.ID + "|" + t),
			Audience: event.Audience{Territory: t, Collaborators: u}, Topics: []string{lead.TopicDashboard},
			Time: last.CreatedAt, CausationID: last.Envelope.ID, Data: widgetChangedData{Leads: leads[t]}})
	}
	return out
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
func (a *Aggregator) recent(ctx context.Context, tx pgx.Tx, b *pgx.Batch, d event.Delivered, l leadRow) (bool, error) {
	switch d.Type {
	case lead.TypeFollowUpProcessed:
		var data struct {
			FollowUpType string `json:"followUpType"`
			Result       string `json:"result"`
			ProcessedAt  string `json:"processedAt"`
		}
		if err := json.Unmarshal(d.Envelope.Data, &data); err != nil {
			return false, fmt.Errorf("cockpit: %s: %w", d.Type, err)
		}
		due, err := followUpDue(ctx, tx, l.ID, data.FollowUpType)
		if err != nil {
			return false, fmt.Errorf("cockpit: follow-up: %w", err)
		}
		at, _ := time.Parse(time.RFC3339Nano, data.ProcessedAt)
		return true, queueRecent(b, "followup", at, d.ID, l.ID, d.Audience, RecentFollowUp{LeadID: l.ID, CompanyName: l.company,
			FollowUpType: data.FollowUpType, DueAt: due, ProcessedAt: at, Result: data.Result})
	case lead.TypeActivityAdded:
		var data struct {
			ActivityID uuid.UUID `json:"activityId"`
			Type       string    `json:"type"`
			OccurredAt string    `json:"occurredAt"`
			UserID     string    `json:"userId"`
		}
		if err := json.Unmarshal(d.Envelope.Data, &data); err != nil {
			return false, fmt.Errorf("cockpit: %s: %w", d.Type, err)
		}
		at, _ := time.Parse(time.RFC3339Nano, data.OccurredAt)
		return true, queueRecent(b, "activity", at, d.ID, l.ID, d.Audience, RecentActivity{LeadID: l.ID, CompanyName: l.company,
			ActivityID: data.ActivityID, Type: data.Type, OccurredAt: at, UserID: data.UserID})
	}
	return false, nil
}
