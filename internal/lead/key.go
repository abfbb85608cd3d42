package lead

import (
	"time"

	"github.com/google/uuid"

	"github.com/freshplan/leads/internal/event"
)

// Event types of SPEC §5.
const (
	TypeCreated           = "lead.created"
	TypeStatusChanged     = "lead.status_changed"
	TypeActivityAdded     = "lead.activity_added"
	TypeAssigned          = "lead.assigned"
	TypeFollowUpProcessed = "lead.followup.processed"
)

// TopicDashboard is the hint topic of the events the cockpit reacts to.
const TopicDashboard = "dashboard_updates"

// Idempotency keys of SPEC §5, built only from event data, so the Java
// consumers compute the same ones.

// StatusChangedKey is leadId|oldStatus|newStatus|changedAt.
func StatusChangedKey(leadID uuid.UUID, from, to string, at time.Time) uuid.UUID {
	return event.NameUUID(leadID.String() + "|" + from + "|" + to + "|" + event.FormatTime(at))
}

// FollowUpKey is leadId|followUpType|dueAt.
func FollowUpKey(leadID uuid.UUID, followUpType string, due time.Time) uuid.UUID {
	return event.NameUUID(leadID.String() + "|" + followUpType + "|" + event.FormatTime(due))
}

// CreatedKey is leadId|lead.created|createdAt.
func CreatedKey(leadID uuid.UUID, at time.Time) uuid.UUID {
	return event.NameUUID(leadID.String() + "|" + TypeCreated + "|" + event.FormatTime(at))
}

// ActivityAddedKey is activityId|lead.activity_added.
func ActivityAddedKey(activityID uuid.UUID) uuid.UUID {
	return event.NameUUID(activityID.String() + "|" + TypeActivityAdded)
}

// AssignedKey is leadId|lead.assigned|changedAt.
func AssignedKey(leadID uuid.UUID, at time.Time) uuid.UUID {
	return event.NameUUID(leadID.String() + "|" + TypeAssigned + "|" + event.FormatTime(at))
}
