package followup

import (
	"slices"
	"time"

	"github.com/freshplan/leads/internal/lead"
)

// Reason is why a due follow-up was not sent (SPEC §6), one per rule; it
// is recorded on the follow-up and carried by its event.
type Reason string

// The skip rules of SPEC §6, in the order they are checked.
const (
	SkipStatus         Reason = "status"          // no longer REGISTERED, ACTIVE or REMINDER
	SkipClockStopped   Reason = "clock_stopped"   // the protection clock is stopped
	SkipNoEmail        Reason = "no_email"        // nobody to write to
	SkipNoConsent      Reason = "no_consent"      // emailConsent is not true
	SkipContactBlocked Reason = "contact_blocked" // the contact asked not to be contacted
	SkipRecentActivity Reason = "recent_activity" // a meaningful activity within the follow-up's days
)

// mailableStatuses are the statuses in which a lead still gets follow-ups.
var mailableStatuses = []lead.Status{lead.StatusRegistered, lead.StatusActive, lead.StatusReminder}

// Skip is the reason k is not sent to l at now, or "" when it is sent.
// l.LastActivityAt is the time of its last meaningful activity.
func Skip(k Kind, l *lead.Lead, now time.Time) Reason {
	switch {
	case !slices.Contains(mailableStatuses, l.Status):
		return SkipStatus
	case l.ClockStoppedAt != nil:
		return SkipClockStopped
	case l.Email == nil || *l.Email == "":
		return SkipNoEmail
	case !l.EmailConsent:
		return SkipNoConsent
	case l.ContactBlocked:
		return SkipContactBlocked
	case l.LastActivityAt != nil && now.Sub(*l.LastActivityAt) < k.quietWindow():
		return SkipRecentActivity
	}
	return ""
}
