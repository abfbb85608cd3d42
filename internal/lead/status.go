package lead

import (
	"slices"

	"github.com/freshplan/leads/internal/auth"
)

// transitions is the manual transition table of SPEC §2. DELETED is
// reachable from every non-deleted status by MANAGER or ADMIN and is added
// by Allowed.
var transitions = map[Status][]Status{
	StatusRegistered:  {StatusActive, StatusQualified, StatusLost, StatusExpired},
	StatusActive:      {StatusQualified, StatusReminder, StatusLost, StatusExpired},
	StatusReminder:    {StatusActive, StatusGracePeriod, StatusQualified, StatusLost, StatusExpired},
	StatusGracePeriod: {StatusActive, StatusQualified, StatusLost, StatusExpired},
	StatusQualified:   {StatusConverted, StatusLost},
	StatusExpired:     {StatusActive},
}

// automaticTransitions are the moves of the protection automation (SPEC §2),
// the only ones SYSTEM makes: it passes no check of the manual table.
var automaticTransitions = map[Status][]Status{
	StatusRegistered:  {StatusReminder, StatusExpired},
	StatusActive:      {StatusReminder, StatusExpired},
	StatusReminder:    {StatusGracePeriod, StatusExpired},
	StatusGracePeriod: {StatusExpired},
}

// privileged is a manager or an admin: the roles that may delete, reassign,
// stop the clock and reopen an expired lead. SYSTEM is not one of them.
func privileged(p auth.Principal) bool { return privilegedRole(p.Role()) }

func privilegedRole(r auth.Role) bool { return r == auth.RoleManager || r == auth.RoleAdmin }

// Allowed lists the statuses role may move a lead to from `from`. A stopped
// clock freezes the status except for deletion.
func Allowed(from Status, role auth.Role, clockStopped bool) []Status {
	if clockStopped && role == auth.RoleSystem {
		return nil
	}
	if role == auth.RoleSystem {
		return slices.Clone(automaticTransitions[from])
	}
	var out []Status
	if !clockStopped {
		for _, to := range transitions[from] {
			if from == StatusExpired && !privilegedRole(role) {
				continue
			}
			out = append(out, to)
		}
	}
	if from != StatusDeleted && privilegedRole(role) {
		out = append(out, StatusDeleted)
	}
	return out
}

// checkTransition explains why from → to is refused, or returns nil.
func checkTransition(from, to Status, role auth.Role, clockStopped bool) error {
	allowed := Allowed(from, role, clockStopped)
	if slices.Contains(allowed, to) {
		return nil
	}
	reason := "not an allowed transition"
	switch {
	case clockStopped && to != StatusDeleted:
		reason = "the lead's clock is stopped"
	case from == to:
		reason = "the lead already has this status"
	case slices.Contains(transitions[from], to) || to == StatusDeleted:
		reason = "your role may not make this transition"
	}
	if allowed == nil {
		allowed = []Status{}
	}
	return &TransitionError{From: from, To: to, Allowed: allowed, Reason: reason}
}

// IsMeaningful reports whether an activity type counts as a real contact.
func IsMeaningful(t string) bool { return slices.Contains(meaningfulActivities, t) }

var (
	meaningfulActivities = []string{"QUALIFIED_CALL", "MEETING", "DEMO", "ROI_PRESENTATION", "SAMPLE_SENT", "EMAIL", "CALL", "ORDER"}
	// UserActivityTypes are the types a user may record; the rest are the
	// system's own (CREATED, STATUS_CHANGE, ...).
	UserActivityTypes = append(slices.Clone(meaningfulActivities), "NOTE", "FOLLOW_UP", "SAMPLE_FEEDBACK")
)

// System activity types written by the service itself.
const (
	ActivityCreated      = "CREATED"
	ActivityStatusChange = "STATUS_CHANGE"
	ActivityAssigned     = "ASSIGNED"
	ActivityClockStopped = "CLOCK_STOPPED"
	ActivityClockResumed = "CLOCK_RESUMED"
	ActivityReactivated  = "REACTIVATED"
)
