package followup_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/followup"
	"github.com/freshplan/leads/internal/lead"
)

// TestSkipHasOneReasonPerRule: each rule of SPEC §6 alone skips with its
// own reason; a lead that breaks none gets the mail.
func TestSkipHasOneReasonPerRule(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	email := "kueche@gasthaus-linde.example"
	eligible := func() *lead.Lead {
		return &lead.Lead{Status: lead.StatusRegistered, Email: &email, EmailConsent: true}
	}
	ago := func(d time.Duration) *time.Time { v := now.Add(-d); return &v }
	empty := ""
	cases := []struct {
		name   string
		kind   followup.Kind
		change func(*lead.Lead)
		want   followup.Reason
	}{
		{"eligible", followup.T3, func(*lead.Lead) {}, ""},
		{"active", followup.T7, func(l *lead.Lead) { l.Status = lead.StatusActive }, ""},
		{"reminder", followup.T3, func(l *lead.Lead) { l.Status = lead.StatusReminder }, ""},
		{"qualified", followup.T3, func(l *lead.Lead) { l.Status = lead.StatusQualified }, followup.SkipStatus},
		{"grace period", followup.T7, func(l *lead.Lead) { l.Status = lead.StatusGracePeriod }, followup.SkipStatus},
		{"clock stopped", followup.T3, func(l *lead.Lead) { l.ClockStoppedAt = ago(time.Hour) }, followup.SkipClockStopped},
		{"no e-mail", followup.T3, func(l *lead.Lead) { l.Email = nil }, followup.SkipNoEmail},
		{"empty e-mail", followup.T3, func(l *lead.Lead) { l.Email = &empty }, followup.SkipNoEmail},
		{"no consent", followup.T7, func(l *lead.Lead) { l.EmailConsent = false }, followup.SkipNoConsent},
		{"blocked", followup.T3, func(l *lead.Lead) { l.ContactBlocked = true }, followup.SkipContactBlocked},
		{"T+3, activity 2 days ago", followup.T3, func(l *lead.Lead) { l.LastActivityAt = ago(48 * time.Hour) }, followup.SkipRecentActivity},
		{"T+3, activity 3 days ago", followup.T3, func(l *lead.Lead) { l.LastActivityAt = ago(72 * time.Hour) }, ""},
		{"T+7, activity 6 days ago", followup.T7, func(l *lead.Lead) { l.LastActivityAt = ago(6 * 24 * time.Hour) }, followup.SkipRecentActivity},
		{"T+7, activity 7 days ago", followup.T7, func(l *lead.Lead) { l.LastActivityAt = ago(7 * 24 * time.Hour) }, ""},
	}
	for _, c := range cases {
		l := eligible()
		c.change(l)
		require.Equal(t, c.want, followup.Skip(c.kind, l, now), c.name)
	}
}
