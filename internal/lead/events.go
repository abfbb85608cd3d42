package lead

import (
	"context"
	"reflect"
	"slices"
	"strconv"
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

// TypeUpdated is lead.updated (SPEC §5): a committed change that no more
// specific event describes.
const TypeUpdated = "lead.updated"

// UpdatedKey is leadId|lead.updated|leadVersion.
func UpdatedKey(leadID uuid.UUID, version int) uuid.UUID {
	return event.NameUUID(leadID.String() + "|" + TypeUpdated + "|" + strconv.Itoa(version))
}

type updatedData struct {
	LeadID                 uuid.UUID `json:"leadId"`
	ChangedFields          []string  `json:"changedFields"`
	ChangedBy              string    `json:"changedBy"`
	ChangedAt              string    `json:"changedAt"`
	OldCollaboratorUserIDs *[]string `json:"oldCollaboratorUserIds,omitempty"` // where they changed
}

// updated is the lead.updated event of a change to fields of the locked
// lead l, which is written at the next version.
func updated(l *Lead, fields []string, by string, at time.Time) pendingEvent {
	return pendingEvent{typ: TypeUpdated, key: UpdatedKey(l.ID, l.Version+1), at: at,
		data: updatedData{LeadID: l.ID, ChangedFields: fields, ChangedBy: by, ChangedAt: event.FormatTime(at)}}
}

// eventFields are the fields whose change only lead.updated reports
// (status and owner have events of their own), by their API names.
var eventFields = []struct {
	name string
	get  func(*Lead) any
}{
	{"companyName", func(l *Lead) any { return l.CompanyName }},
	{"contactPerson", func(l *Lead) any { return l.ContactPerson }},
	{"email", func(l *Lead) any { return l.Email }},
	{"phone", func(l *Lead) any { return l.Phone }},
	{"website", func(l *Lead) any { return l.Website }},
	{"street", func(l *Lead) any { return l.Street }},
	{"postalCode", func(l *Lead) any { return l.PostalCode }},
	{"city", func(l *Lead) any { return l.City }},
	{"countryCode", func(l *Lead) any { return l.CountryCode }},
	{"territory", func(l *Lead) any { return l.Territory }},
	{"businessType", func(l *Lead) any { return l.BusinessType }},
	{"source", func(l *Lead) any { return l.Source }},
	{"emailConsent", func(l *Lead) any { return l.EmailConsent }},
	{"contactBlocked", func(l *Lead) any { return l.ContactBlocked }},
	{"collaboratorUserIds", func(l *Lead) any { return l.CollaboratorUserIDs }},
	{"clockStoppedAt", func(l *Lead) any { return l.ClockStoppedAt }},
	{"stopReason", func(l *Lead) any { return l.StopReason }},
}

// updatedSince is the lead.updated event of what changed from before to
// l, with the collaborators who lost the lead in its audience; ok is
// false when nothing changed that another event does not report.
func updatedSince(before, l *Lead, by string, at time.Time) (ev pendingEvent, ok bool) {
	var fields []string
	for _, f := range eventFields {
		if !same(f.get(before), f.get(l)) {
			fields = append(fields, f.name)
		}
	}
	if len(fields) == 0 {
		return pendingEvent{}, false
	}
	ev = updated(l, fields, by, at)
	if slices.Contains(fields, "collaboratorUserIds") {
		data := ev.data.(updatedData)
		old := append([]string{}, before.CollaboratorUserIDs...)
		data.OldCollaboratorUserIDs = &old
		ev.data, ev.extra = data, old
	}
	return ev, true
}

// same compares field values; an empty list is the same as none.
func same(a, b any) bool {
	if x, ok := a.([]string); ok {
		return slices.Equal(x, b.([]string))
	}
	return reflect.DeepEqual(a, b)
}
