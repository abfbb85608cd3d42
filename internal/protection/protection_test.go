package protection_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres/pgtest"
	"github.com/freshplan/leads/internal/protection"
	"github.com/freshplan/leads/internal/territory"
)

type env struct {
	db      *pgtest.DB
	leads   *lead.Service
	notices *protection.Notifier
	clock   *time.Time
}

// newEnv is the lead service as the login role on a clock the test moves,
// with anna (who has an address) and ben (who has none) in the directory.
func newEnv(t *testing.T) *env {
	t.Helper()
	db := pgtest.New(t)
	pool := db.AppPool(t)
	territories, err := territory.Load(t.Context(), pool)
	require.NoError(t, err)
	clock := time.Date(2026, 1, 20, 10, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	quiet := slog.New(slog.DiscardHandler)
	m := metric.New()
	leads := lead.NewService(lead.Deps{Pool: pool, Publisher: event.NewPublisher(pgnotify.NewRelay(pool), m, quiet, false, now),
		Metrics: m, Territories: territories, Now: now, Log: quiet})
	db.Exec(t, `INSERT INTO users (id, name, email, roles, territories) VALUES
		('anna', 'Anna Berger', 'anna.berger@freshplan.example', '{SALES}', '{DE}'),
		('ben', 'Ben Roth', '', '{SALES}', '{DE}')`)
	return &env{db: db, leads: leads, notices: protection.NewNotifier(territories, "https://leads.example"), clock: &clock}
}

var (
	anna    = auth.Principal{UserID: "anna", Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE"}}
	ben     = auth.Principal{UserID: "ben", Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE"}}
	manager = auth.Principal{UserID: "maria", Roles: []auth.Role{auth.RoleManager}, Territories: []string{"DE"}}
	berlin  = mustZone("Europe/Berlin")
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func (e *env) create(t *testing.T, p auth.Principal, name string) *lead.Lead {
	t.Helper()
	l, err := e.leads.Create(t.Context(), p, lead.CreateInput{CompanyName: name})
	require.NoError(t, err)
	return l
}

// runAt runs the daily walk at the given time and returns what it did.
func (e *env) runAt(t *testing.T, at time.Time) lead.ProtectionResult {
	t.Helper()
	*e.clock = at
	res, err := e.leads.Protect(t.Context(), 2, e.notices.Notify) // small batches: the walk pages
	require.NoError(t, err)
	return res
}

func (e *env) get(t *testing.T, id uuid.UUID) *lead.Lead {
	t.Helper()
	l, err := e.leads.Get(t.Context(), auth.System(), id)
	require.NoError(t, err)
	return l
}

func (e *env) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, e.db.Pool.QueryRow(t.Context(), sql, args...).Scan(&n))
	return n
}

// local is a wall-clock time in Berlin.
func local(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, berlin)
}

const justBefore = time.Microsecond

func TestProtectionMovesALeadAtTheStartOfEachDeadlineDayInItsZone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	*e.clock = local(2026, 1, 20, 11, 0)
	l := e.create(t, anna, "Gasthaus Linde")
	other := e.create(t, ben, "Hotel Post") // registered with it; its owner has no address

	// 60 calendar days after 20 January is 21 March, from 00:00 in Berlin
	// (23:00 UTC the day before), whatever the hour of the registration.
	require.Zero(t, e.runAt(t, local(2026, 3, 21, 0, 0).Add(-justBefore)).Reminders)
	res := e.runAt(t, local(2026, 3, 21, 0, 0))
	require.Equal(t, 2, res.Reminders)
	require.Equal(t, 2, res.Scanned)
	got := e.get(t, l.ID)
	require.Equal(t, lead.StatusReminder, got.Status)
	require.Equal(t, local(2026, 3, 21, 0, 0).UTC(), *got.ReminderSentAt)
	require.Equal(t, 2, got.Version, "one change")

	// The owner's notice is in the mail outbox, once, with the deadlines.
	var recipient, subject, text, messageID string
	require.NoError(t, e.db.Pool.QueryRow(ctx, `SELECT recipient, subject, text_body, message_id FROM mail_outbox
		WHERE lead_id = $1`, l.ID).Scan(&recipient, &subject, &text, &messageID))
	require.Equal(t, "anna.berger@freshplan.example", recipient)
	require.Equal(t, "Lead-Schutz: Gasthaus Linde – Erinnerung", subject)
	require.Contains(t, text, "Hallo Anna Berger,")
	require.Contains(t, text, "beginnt am 31.03.2026 die Nachfrist; der Schutz endet spätestens am 20.07.2026.")
	require.Contains(t, text, "https://leads.example/leads/"+l.ID.String())
	require.Equal(t, protection.MessageID(got, lead.StatusReminder, *got.ReminderSentAt), messageID)
	// The activity and the event of the transition.
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM activities WHERE lead_id = $1 AND type = 'REMINDER_SENT'
		AND user_id = 'SYSTEM'`, l.ID))
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM event_outbox WHERE type = 'lead.status_changed'
		AND subject_id = $1 AND envelope->'data'->>'oldStatus' = 'REGISTERED' AND envelope->'data'->>'newStatus' = 'REMINDER'
		AND envelope->'data'->>'changedBy' = 'SYSTEM'`, l.ID))
	// No address, no notice; the timeline says so.
	require.Zero(t, e.count(t, `SELECT count(*) FROM mail_outbox WHERE lead_id = $1`, other.ID))
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM activities WHERE lead_id = $1 AND type = 'REMINDER_SENT'
		AND description LIKE '%no e-mail address%'`, other.ID))

	// A second run the same day changes nothing.
	require.Equal(t, lead.ProtectionResult{Scanned: 2}, withoutDuration(e.runAt(t, local(2026, 3, 21, 9, 0))))

	// REMINDER for 10 days: 31 March 00:00, summer time by then (22:00 UTC).
	require.Zero(t, e.runAt(t, local(2026, 3, 31, 0, 0).Add(-justBefore)).GracePeriod)
	require.Equal(t, 2, e.runAt(t, local(2026, 3, 31, 0, 0)).GracePeriod)
	require.Equal(t, lead.StatusGracePeriod, e.get(t, l.ID).Status)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM mail_outbox WHERE lead_id = $1
		AND subject = 'Lead-Schutz: Gasthaus Linde – Nachfrist begonnen' AND text_body LIKE '%läuft der Schutz am 10.04.2026 ab.%'`, l.ID))

	// GRACE_PERIOD for 10 days: EXPIRED, without a notice.
	require.Zero(t, e.runAt(t, local(2026, 4, 10, 0, 0).Add(-justBefore)).Expired)
	require.Equal(t, 2, e.runAt(t, local(2026, 4, 10, 0, 0)).Expired)
	got = e.get(t, l.ID)
	require.Equal(t, lead.StatusExpired, got.Status)
	require.Equal(t, local(2026, 4, 10, 0, 0).UTC(), *got.ExpiredAt)
	require.Equal(t, 2, e.count(t, `SELECT count(*) FROM mail_outbox WHERE lead_id = $1`, l.ID))
	require.Equal(t, 3, e.count(t, `SELECT count(*) FROM event_outbox WHERE type = 'lead.status_changed'
		AND subject_id = $1`, l.ID))
	require.Zero(t, e.runAt(t, local(2026, 6, 1, 0, 0)).Scanned, "expired leads are not watched")
}

func withoutDuration(r lead.ProtectionResult) lead.ProtectionResult {
	r.Duration = 0
	return r
}

func TestProtectionEndsSixMonthsAfterRegistrationUnlessQualified(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	*e.clock = local(2025, 8, 31, 15, 0)
	worked := e.create(t, anna, "Kantine Nord")
	qualified := e.create(t, anna, "Hotel Adler")
	_, err := e.leads.Update(ctx, anna, qualified.ID, qualified.Version, lead.UpdateInput{
		Status: lead.Opt[lead.Status]{Set: true, V: lead.StatusQualified}})
	require.NoError(t, err)
	// Worked all along: a call every month keeps the reminder away.
	for m := time.September; m <= time.December+2; m++ {
		*e.clock = time.Date(2025, m, 15, 10, 0, 0, 0, berlin)
		_, err := e.leads.AddActivity(ctx, anna, worked.ID, lead.ActivityInput{Type: "CALL", Description: "Anruf"})
		require.NoError(t, err)
		require.Zero(t, e.runAt(t, *e.clock).Reminders)
	}
	// 31 August + 6 months is the last day of February, as on a calendar.
	require.Zero(t, e.runAt(t, local(2026, 2, 28, 0, 0).Add(-justBefore)).Expired)
	require.Equal(t, 1, e.runAt(t, local(2026, 2, 28, 0, 0)).Expired)
	require.Equal(t, lead.StatusExpired, e.get(t, worked.ID).Status)
	require.Equal(t, lead.StatusQualified, e.get(t, qualified.ID).Status)
}

func TestAStoppedClockPausesProtectionAndEachDeadlineGetsThePausesAfterItsStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	*e.clock = local(2026, 1, 20, 11, 0)
	l := e.create(t, anna, "Gasthaus Linde")
	stop := func(at time.Time) {
		*e.clock = at
		cur := e.get(t, l.ID)
		_, err := e.leads.Update(ctx, manager, l.ID, cur.Version, lead.UpdateInput{
			StopClock: lead.Opt[bool]{Set: true, V: true}, StopReason: lead.Opt[string]{Set: true, V: "Kunde im Umbau"}})
		require.NoError(t, err)
	}
	resume := func(at time.Time) {
		*e.clock = at
		cur := e.get(t, l.ID)
		_, err := e.leads.Update(ctx, manager, l.ID, cur.Version, lead.UpdateInput{StopClock: lead.Opt[bool]{Set: true}})
		require.NoError(t, err)
	}

	// Stopped for 5 days in February: nothing moves while it stands, and
	// the reminder comes 5 days (120 hours) after the start of 21 March.
	stop(local(2026, 2, 1, 12, 0))
	require.Zero(t, e.runAt(t, local(2026, 3, 25, 0, 0)).Scanned, "a stopped clock is not watched")
	resume(local(2026, 2, 6, 12, 0))
	reminderDue := local(2026, 3, 21, 0, 0).Add(5 * 24 * time.Hour)
	require.Zero(t, e.runAt(t, reminderDue.Add(-justBefore)).Reminders)
	require.Equal(t, 1, e.runAt(t, reminderDue).Reminders)

	// Stopped for 3 days in REMINDER: the grace period starts 10 days
	// after the reminder's day plus those 3, not plus the 5 before it.
	stop(local(2026, 3, 30, 12, 0))
	resume(local(2026, 4, 2, 12, 0))
	graceDue := local(2026, 4, 5, 0, 0).Add(3 * 24 * time.Hour) // reminded on 26 March (local), + 10 days
	require.Zero(t, e.runAt(t, graceDue.Add(-justBefore)).GracePeriod)
	require.Equal(t, 1, e.runAt(t, graceDue).GracePeriod)

	// A meaningful contact reactivates it; the next reminder counts 60 days
	// from the contact, without the pauses before it.
	*e.clock = local(2026, 4, 9, 14, 0)
	_, err := e.leads.AddActivity(ctx, anna, l.ID, lead.ActivityInput{Type: "MEETING", Description: "Termin"})
	require.NoError(t, err)
	require.Equal(t, lead.StatusActive, e.get(t, l.ID).Status)
	next := local(2026, 6, 8, 0, 0) // 9 April + 60 days
	require.Zero(t, e.runAt(t, next.Add(-justBefore)).Reminders)
	require.Equal(t, 1, e.runAt(t, next).Reminders)
	// The protection end carries every pause: 20 July + 8 days.
	require.Equal(t, local(2026, 7, 20, 0, 0).Add(8*24*time.Hour), lead.ProtectionEnd(e.get(t, l.ID), berlin))
}

func TestTheDailyRunStartsAfterMidnightInTheTerritoriesZones(t *testing.T) {
	t.Parallel()
	territories := territory.New([]territory.Territory{{Code: "DE", TimeZone: "Europe/Berlin"},
		{Code: "CH", TimeZone: "Europe/Zurich"}, {Code: "PT", TimeZone: "Europe/Lisbon"}})
	s := protection.Daily(territories, 5*time.Minute)
	// Berlin and Zurich share midnight; Lisbon's is an hour later.
	next := func(after time.Time) time.Time { return s.Next(after).UTC() }
	require.Equal(t, local(2026, 3, 29, 0, 5).UTC(), next(local(2026, 3, 28, 23, 10)))
	lisbon := mustZone("Europe/Lisbon")
	require.Equal(t, time.Date(2026, 3, 29, 0, 5, 0, 0, lisbon).UTC(), next(local(2026, 3, 29, 0, 5)))
	// The night summer time begins: the next Berlin midnight is 22:00 UTC.
	require.Equal(t, time.Date(2026, 3, 29, 22, 5, 0, 0, time.UTC), next(time.Date(2026, 3, 29, 0, 5, 0, 0, lisbon)))
}
