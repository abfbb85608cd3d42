package lead

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/freshplan/leads/internal/event"
)

// Event data of SPEC §5; field names are the seeds', so their consumers
// find what they expect.

type createdData struct {
	LeadID      uuid.UUID `json:"leadId"`
	CompanyName string    `json:"companyName"`
	Territory   string    `json:"territory"`
	OwnerUserID string    `json:"ownerUserId"`
	CreatedBy   string    `json:"createdBy"`
	CreatedAt   string    `json:"createdAt"`
}

type statusChangedData struct {
	LeadID      uuid.UUID `json:"leadId"`
	CompanyName string    `json:"companyName"`
	OldStatus   Status    `json:"oldStatus"`
	NewStatus   Status    `json:"newStatus"`
	ChangedBy   string    `json:"changedBy"`
	ChangedAt   string    `json:"changedAt"`
	Territory   string    `json:"territory"`
	Reason      string    `json:"reason,omitempty"`
}

type activityAddedData struct {
	LeadID     uuid.UUID `json:"leadId"`
	ActivityID uuid.UUID `json:"activityId"`
	Type       string    `json:"type"`
	Meaningful bool      `json:"meaningful"`
	OccurredAt string    `json:"occurredAt"`
	UserID     string    `json:"userId"`
}

type assignedData struct {
	LeadID         uuid.UUID `json:"leadId"`
	OldOwnerUserID string    `json:"oldOwnerUserId"`
	NewOwnerUserID string    `json:"newOwnerUserId"`
	ChangedAt      string    `json:"changedAt"`
}

// pendingEvent is an event whose lead version and audience are filled in
// when the lead row is written.
type pendingEvent struct {
	typ   string
	key   uuid.UUID
	at    time.Time
	data  any
	extra []string // further users who may see it (a previous owner)
}

func statusChanged(l *Lead, from, to Status, by string, at time.Time, reason string) pendingEvent {
	return pendingEvent{typ: TypeStatusChanged, key: StatusChangedKey(l.ID, string(from), string(to), at), at: at,
		data: statusChangedData{LeadID: l.ID, CompanyName: l.CompanyName, OldStatus: from, NewStatus: to, ChangedBy: by,
			ChangedAt: event.FormatTime(at), Territory: l.Territory, Reason: reason}}
}

func activityAdded(a *Activity) pendingEvent {
	return pendingEvent{typ: TypeActivityAdded, key: ActivityAddedKey(a.ID), at: a.OccurredAt,
		data: activityAddedData{LeadID: a.LeadID, ActivityID: a.ID, Type: a.Type, Meaningful: a.Meaningful,
			OccurredAt: event.FormatTime(a.OccurredAt), UserID: a.UserID}}
}

func assigned(l *Lead, from, to string, at time.Time) pendingEvent {
	return pendingEvent{typ: TypeAssigned, key: AssignedKey(l.ID, at), at: at, extra: []string{from},
		data: assignedData{LeadID: l.ID, OldOwnerUserID: from, NewOwnerUserID: to, ChangedAt: event.FormatTime(at)}}
}

func created(l *Lead) pendingEvent {
	return pendingEvent{typ: TypeCreated, key: CreatedKey(l.ID, l.CreatedAt), at: l.CreatedAt,
		data: createdData{LeadID: l.ID, CompanyName: l.CompanyName, Territory: l.Territory, OwnerUserID: l.OwnerUserID,
			CreatedBy: l.CreatedBy, CreatedAt: event.FormatTime(l.CreatedAt)}}
}

// complete turns pending events into events of the lead as written.
func complete(ctx context.Context, l *Lead, pending []pendingEvent) []event.Event {
	out := make([]event.Event, 0, len(pending))
	for _, p := range pending {
		audience := slices.Clone(l.CollaboratorUserIDs)
		for _, u := range p.extra {
			if u != l.OwnerUserID && !slices.Contains(audience, u) {
				audience = append(audience, u)
			}
		}
		out = append(out, event.Event{Type: p.typ, Key: p.key, Subject: l.ID, SubjectVersion: l.Version,
			Audience: event.Audience{Territory: l.Territory, Owner: l.OwnerUserID, Collaborators: audience},
			Topics:   []string{TopicDashboard}, Time: p.at, CorrelationID: event.CorrelationID(ctx), Data: p.data})
	}
	return out
}
