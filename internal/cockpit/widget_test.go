package cockpit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/cockpit"
	"github.com/freshplan/leads/internal/followup"
	"github.com/freshplan/leads/internal/lead"
)

func manager(territories ...string) auth.Principal {
	return auth.Principal{UserID: "manager." + territories[0], Roles: []auth.Role{auth.RoleManager}, Territories: territories}
}

// fixture registers, on Wednesday 2 December 2026 at 11:00 and 13:00 in
// Berlin:
//
//	L1 anna DE: backdated 5 days, its T3 sent at 11:00, a call at 13:00; QUALIFIED
//	L2 anna DE: REGISTERED
//	L3 ben DE, anna collaborates: ACTIVE
//	L4 carla AT: REGISTERED
//	L5 dario CH: clock stopped
//	L6 ben DE: backdated to 5 June, so its protection ends on 5 December
//	   and both of its follow-ups are long overdue
func fixture(t *testing.T) (*env, map[string]uuid.UUID) {
	t.Helper()
	e := newEnv(t, time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	ctx := t.Context()
	ids := map[string]uuid.UUID{}
	create := func(name, owner, country string) *lead.Lead {
		email, yes, city := "einkauf@"+name+".example", true, "Ort "+name
		l, err := e.leads.Create(ctx, rep(owner), lead.CreateInput{CompanyName: "Betrieb " + name, City: &city,
			Email: &email, EmailConsent: &yes, CountryCode: &country})
		require.NoError(t, err)
		ids[name] = l.ID
		return l
	}
	backdate := func(l *lead.Lead, at time.Time) *lead.Lead {
		l, err := e.leads.Backdate(ctx, admin, l.ID, l.Version, lead.BackdateInput{RegisteredAt: &at,
			Reason: "Messekontakt, nachgetragen"})
		require.NoError(t, err)
		return l
	}
	update := func(l *lead.Lead, in lead.UpdateInput) *lead.Lead {
		l, err := e.leads.Update(ctx, admin, l.ID, l.Version, in)
		require.NoError(t, err)
		return l
	}
	status := func(s lead.Status) lead.UpdateInput {
		return lead.UpdateInput{Status: lead.Opt[lead.Status]{Set: true, V: s}}
	}

	l1 := backdate(create("L1", "anna", "DE"), e.clock.AddDate(0, 0, -5))
	require.NoError(t, e.worker.Work(ctx, &river.Job[followup.JobArgs]{Args: followup.JobArgs{LeadID: l1.ID, FollowUp: followup.T3}}))
	*e.clock = e.clock.Add(2 * time.Hour) // 13:00 in Berlin: the customer calls back
	_, err := e.leads.AddActivity(ctx, rep("anna"), l1.ID, lead.ActivityInput{Type: "CALL", Description: "Rückruf"})
	require.NoError(t, err)
	l1, err = e.leads.Get(ctx, auth.System(), l1.ID)
	require.NoError(t, err)
	update(l1, status(lead.StatusQualified))
	create("L2", "anna", "DE")
	l3 := create("L3", "ben", "DE")
	l3 = update(l3, lead.UpdateInput{AddCollaborators: []string{"anna"}})
	update(l3, status(lead.StatusActive))
	create("L4", "carla", "AT")
	update(create("L5", "dario", "CH"), lead.UpdateInput{StopClock: lead.Opt[bool]{Set: true, V: true},
		StopReason: lead.Opt[string]{Set: true, V: "Umbau"}})
	backdate(create("L6", "ben", "DE"), time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
	e.settled(t)
	return e, ids
}

func statuses(pairs ...any) map[string]int64 {
	out := map[string]int64{}
	for _, s := range lead.Statuses {
		if s != lead.StatusDeleted {
			out[string(s)] = 0
		}
	}
	for i := 0; i < len(pairs); i += 2 {
		out[string(pairs[i].(lead.Status))] = int64(pairs[i+1].(int))
	}
	return out
}

// TestWidgetFiguresPerScope: the widget of a rep, of managers and of an
// admin on the fixture equal what was worked out by hand, including the
// local day of "today".
func TestWidgetFiguresPerScope(t *testing.T) {
	t.Parallel()
	e, ids := fixture(t)
	reader := cockpit.NewReader(e.pool, e.territories, func() time.Time { return *e.clock })
	read := func(p auth.Principal, only string) *cockpit.Widget {
		t.Helper()
		s, err := cockpit.ScopeOf(p, only, e.territories)
		require.NoError(t, err)
		w, err := reader.Widget(t.Context(), p, s)
		require.NoError(t, err)
		return w
	}

	anna := read(rep("anna"), "")
	require.Equal(t, cockpit.LeadStats{Total: 3, ExpiringSoon: 0,
		ByStatus: statuses(lead.StatusQualified, 1, lead.StatusRegistered, 1, lead.StatusActive, 1)}, anna.LeadStats)
	// L1's T3 went out; T3 of L2 and L3 and every T7 wait, none overdue.
	require.Equal(t, []int64{2, 3, 0, 1, 0}, []int64{anna.PendingT3Count, anna.PendingT7Count, anna.OverdueCount,
		anna.CompletedT3Today, anna.CompletedT7Today})
	// The one lead that got its T3 is qualified and called back within 7 days.
	require.Equal(t, []float64{100, 0, 100, 0}, []float64{anna.T3ConversionRate, anna.T7ConversionRate,
		anna.T3ResponseRate, anna.T7ResponseRate})
	require.Equal(t, cockpit.Trend{CurrentValue: 100, PreviousValue: 0, Trend: "UP"}, anna.ConversionTrend)
	require.Len(t, anna.TrendDays, 7)
	require.Equal(t, cockpit.TrendDay{Date: "2026-12-02", Sent: 1, Converted: 1, Responded: 1}, anna.TrendDays[6])
	require.Equal(t, cockpit.TrendDay{Date: "2026-11-26"}, anna.TrendDays[0])
	require.False(t, anna.IsManagerView)
	require.Equal(t, []string{"DE"}, anna.Territories)
	require.Len(t, anna.RecentFollowUps, 1)
	require.Equal(t, ids["L1"], anna.RecentFollowUps[0].LeadID)
	require.Equal(t, "sent", anna.RecentFollowUps[0].Result)
	require.Equal(t, "T3", anna.RecentFollowUps[0].FollowUpType)
	require.Len(t, anna.RecentActivities, 1)
	require.Equal(t, "CALL", anna.RecentActivities[0].Type)

	de := read(manager("DE"), "")
	require.Equal(t, cockpit.LeadStats{Total: 4, ExpiringSoon: 1,
		ByStatus: statuses(lead.StatusQualified, 1, lead.StatusRegistered, 2, lead.StatusActive, 1)}, de.LeadStats)
	require.Equal(t, []int64{3, 4, 2, 1}, []int64{de.PendingT3Count, de.PendingT7Count, de.OverdueCount, de.CompletedT3Today})
	require.True(t, de.IsManagerView)

	ch := read(manager("CH"), "")
	require.Equal(t, cockpit.LeadStats{Total: 1, ClockStopped: 1, ByStatus: statuses(lead.StatusRegistered, 1)}, ch.LeadStats)
	require.Empty(t, ch.RecentFollowUps)
	require.Empty(t, ch.RecentActivities)

	all := read(admin, "")
	require.Equal(t, int64(6), all.LeadStats.Total)
	require.Equal(t, []string{"AT", "CH", "DE"}, all.Territories)
	at := read(admin, "AT")
	require.Equal(t, int64(1), at.LeadStats.Total)

	// At 00:30 in Berlin the sent T3 belongs to yesterday; what is overdue
	// stays overdue.
	*e.clock = time.Date(2026, 12, 2, 23, 30, 0, 0, time.UTC)
	de = read(manager("DE"), "")
	require.Zero(t, de.CompletedT3Today)
	require.Equal(t, "2026-12-03", de.TrendDays[6].Date, "Berlin's today")
	require.Equal(t, int64(1), de.TrendDays[5].Sent)
	require.Equal(t, int64(2), de.OverdueCount)
	// After 5 December 00:00 L6's protection end has passed.
	*e.clock = time.Date(2026, 12, 4, 22, 59, 0, 0, time.UTC)
	require.Equal(t, int64(1), read(manager("DE"), "").LeadStats.ExpiringSoon)
	*e.clock = time.Date(2026, 12, 4, 23, 0, 0, 0, time.UTC)
	require.Zero(t, read(manager("DE"), "").LeadStats.ExpiringSoon)
}

// TestWidgetScopesFailClosed: no role, a territory outside the caller's,
// or a rep asking for a territory: no widget.
func TestWidgetScopesFailClosed(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t)
	for _, tc := range []struct {
		p    auth.Principal
		only string
		err  error
	}{
		{auth.Principal{UserID: "nobody", Territories: []string{"DE"}}, "", cockpit.ErrForbidden},
		{manager("CH"), "DE", cockpit.ErrForbidden},
		{rep("anna"), "DE", cockpit.ErrForbidden},
		{manager("DE"), "XX", cockpit.ErrUnknownTerritory},
		{auth.Principal{Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE"}}, "", cockpit.ErrForbidden},
	} {
		_, err := cockpit.ScopeOf(tc.p, tc.only, e.territories)
		require.ErrorIs(t, err, tc.err, "%+v %q", tc.p, tc.only)
	}
	// A rep of DE reads nothing of CH or AT, even asking the reader directly.
	reader := cockpit.NewReader(e.pool, e.territories, func() time.Time { return *e.clock })
	w, err := reader.Widget(t.Context(), rep("anna"), cockpit.Scope{Key: "x", User: "dario", Territories: []string{"CH"}})
	require.NoError(t, err)
	require.Zero(t, w.LeadStats.Total)
	require.Empty(t, w.RecentFollowUps)
}

// TestRecentListsKeepTheNewestTen: activities recorded out of order (some
// backdated) leave each unit's list with the ten newest by their time,
// newest first, for the rep and the territory alike.
func TestRecentListsKeepTheNewestTen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	ctx := t.Context()
	l, err := e.leads.Create(ctx, rep("anna"), lead.CreateInput{CompanyName: "Gasthaus Linde"})
	require.NoError(t, err)
	// Hours back from now, in the order they are recorded.
	back := []int{5, 1, 13, 2, 9, 0, 12, 3, 8, 11, 4, 7, 10, 6}
	for _, h := range back {
		at := e.clock.Add(-time.Duration(h) * time.Hour).Format(time.RFC3339)
		_, err := e.leads.AddActivity(ctx, rep("anna"), l.ID, lead.ActivityInput{Type: "NOTE", OccurredAt: &at,
			Description: fmt.Sprint(h, " Stunden zuvor")})
		require.NoError(t, err)
	}
	e.settled(t)
	reader := cockpit.NewReader(e.pool, e.territories, func() time.Time { return *e.clock })
	for _, p := range []auth.Principal{rep("anna"), manager("DE")} {
		s, err := cockpit.ScopeOf(p, "", e.territories)
		require.NoError(t, err)
		w, err := reader.Widget(ctx, p, s)
		require.NoError(t, err)
		var got []time.Time
		for _, a := range w.RecentActivities {
			got = append(got, a.OccurredAt)
		}
		var want []time.Time
		for h := range 10 {
			want = append(want, e.clock.Add(-time.Duration(h)*time.Hour))
		}
		require.Equal(t, len(want), len(got), p.UserID)
		for i := range want {
			require.True(t, want[i].Equal(got[i]), "%s: entry %d is %s, want %s", p.UserID, i, got[i], want[i])
		}
	}
}
