package followup_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/followup"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres/pgtest"
	"github.com/freshplan/leads/internal/territory"
)

type workerEnv struct {
	db      *pgtest.DB
	metrics *metric.Set
	leads   *lead.Service
	worker  *followup.Worker
	clock   *time.Time
}

// newWorkerEnv is the lead service with the scheduler, and the worker, as
// the service's login role, on a clock the test moves.
func newWorkerEnv(t *testing.T) *workerEnv {
	t.Helper()
	db := pgtest.New(t)
	pool := db.AppPool(t)
	territories, err := territory.Load(t.Context(), pool)
	require.NoError(t, err)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	clock := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC) // a Monday
	now := func() time.Time { return clock }
	quiet := slog.New(slog.DiscardHandler)
	m := metric.New()
	leads := lead.NewService(lead.Deps{Pool: pool, Publisher: event.NewPublisher(pgnotify.NewRelay(pool), m, quiet, false, now),
		Metrics: m, Territories: territories, Hooks: []lead.TxHook{followup.NewScheduler(client, territories)}, Now: now, Log: quiet})
	w := followup.NewWorker(leads, territories, followup.Links{BaseURL: "https://leads.example", Secret: []byte("0123456789abcdef0123456789abcdef")}, m)
	return &workerEnv{db: db, metrics: m, leads: leads, worker: w, clock: &clock}
}

func (e *workerEnv) work(t *testing.T, id uuid.UUID, k followup.Kind) {
	t.Helper()
	require.NoError(t, e.worker.Work(t.Context(), &river.Job[followup.JobArgs]{Args: followup.JobArgs{LeadID: id, FollowUp: k}}))
}

func (e *workerEnv) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, e.db.Pool.QueryRow(t.Context(), sql, args...).Scan(&n))
	return n
}

var anna = auth.Principal{UserID: "anna", Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE"}}

func TestWorkerQueuesTheMailOnce(t *testing.T) {
	t.Parallel()
	e := newWorkerEnv(t)
	ctx := t.Context()
	email, yes, restaurant := "kueche@linde.example", true, "RESTAURANT"
	l, err := e.leads.Create(ctx, anna, lead.CreateInput{CompanyName: "Gasthaus Linde", Email: &email, EmailConsent: &yes,
		BusinessType: &restaurant})
	require.NoError(t, err)
	*e.clock = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC) // Thursday 09:00 in Berlin: T+3 is due
	e.work(t, l.ID, followup.T3)
	e.work(t, l.ID, followup.T3) // River retried, or a second replica: nothing more

	var recipient, subject, text, messageID, unsubscribe string
	require.NoError(t, e.db.Pool.QueryRow(ctx, `SELECT recipient, subject, text_body, message_id, unsubscribe_url
		FROM mail_outbox WHERE lead_id = $1`, l.ID).Scan(&recipient, &subject, &text, &messageID, &unsubscribe))
	require.Equal(t, email, recipient)
	require.Equal(t, "Ihr kostenloses Probierpaket von FreshPlan, Gasthaus Linde", subject)
	require.Contains(t, text, "- Premium-Gemüseauswahl\n- Chef's Special\n- Weihnachts-Catering")
	require.Equal(t, followup.MessageID(l.ID, followup.T3), messageID)
	token := unsubscribe[len("https://leads.example/unsubscribe?token="):]
	id, err := followup.ParseUnsubscribeToken([]byte("0123456789abcdef0123456789abcdef"), token)
	require.NoError(t, err)
	require.Equal(t, l.ID, id)

	got, err := e.leads.Get(ctx, anna, l.ID)
	require.NoError(t, err)
	require.Equal(t, l.Status, got.Status, "a follow-up never changes the status")
	require.Equal(t, l.Version+1, got.Version)
	require.Equal(t, 1, got.FollowUpCount)
	require.NotNil(t, got.T3FollowUpSentAt)
	require.Nil(t, got.T7FollowUpSentAt)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM mail_outbox`))
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM follow_up WHERE lead_id = $1 AND kind = 'T3' AND state = 'SENT'`, l.ID))
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM activities WHERE lead_id = $1 AND type = 'FOLLOW_UP_SENT'`, l.ID))
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM event_outbox WHERE subject_id = $1 AND type = 'lead.followup.processed'
		AND envelope->'data'->>'result' = 'sent' AND envelope->'data'->>'followUpType' = 'T3'
		AND (envelope->'data'->>'t3Count')::int = 1`, l.ID))
}

func TestWorkerRecordsASkipWithItsReason(t *testing.T) {
	t.Parallel()
	e := newWorkerEnv(t)
	ctx := t.Context()
	email := "info@kantine-nord.example"
	l, err := e.leads.Create(ctx, anna, lead.CreateInput{CompanyName: "Kantine Nord", Email: &email})
	require.NoError(t, err)
	*e.clock = time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	e.work(t, l.ID, followup.T7)

	require.Zero(t, e.count(t, `SELECT count(*) FROM mail_outbox`))
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM follow_up WHERE lead_id = $1 AND kind = 'T7' AND state = 'SKIPPED'
		AND reason = 'no_consent'`, l.ID))
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM event_outbox WHERE subject_id = $1 AND type = 'lead.followup.processed'
		AND envelope->'data'->>'result' = 'skipped' AND envelope->'data'->>'reason' = 'no_consent'`, l.ID))
	got, err := e.leads.Get(ctx, anna, l.ID)
	require.NoError(t, err)
	require.Equal(t, l.Version, got.Version, "a skip writes nothing to the lead")
	require.Zero(t, got.FollowUpCount)
	require.Equal(t, 1.0, testutil.ToFloat64(e.metrics.FollowUpSent.WithLabelValues("T7", "DE", "skipped")))
	require.Equal(t, 1, testutil.CollectAndCount(e.metrics.FollowUpBatchDuration))
}

func TestUnsubscribeTokens(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef")
	id := uuid.New()
	token := followup.UnsubscribeToken(secret, id)
	got, err := followup.ParseUnsubscribeToken(secret, token)
	require.NoError(t, err)
	require.Equal(t, id, got)
	other := followup.UnsubscribeToken(secret, uuid.New())
	for _, bad := range []string{"", "xyz", token[:len(token)-2], other[:22] + token[22:],
		followup.UnsubscribeToken([]byte("another secret of thirty-two byte"), id)} {
		_, err := followup.ParseUnsubscribeToken(secret, bad)
		require.ErrorIs(t, err, followup.ErrBadToken, bad)
	}
}

// TestQueueProbeCountsDueFollowUps: the gauge shows the follow-ups due and
// not processed, per type, and drops as they are processed.
func TestQueueProbeCountsDueFollowUps(t *testing.T) {
	t.Parallel()
	e := newWorkerEnv(t)
	ctx := t.Context()
	*e.clock = time.Now().Add(-10 * 24 * time.Hour) // both follow-ups are due by now
	email, yes := "kueche@linde.example", true
	l, err := e.leads.Create(ctx, anna, lead.CreateInput{CompanyName: "Gasthaus Linde", Email: &email, EmailConsent: &yes})
	require.NoError(t, err)
	probe := followup.QueueProbe(e.db.AppPool(t), e.metrics)
	gauge := func(kind, state string) float64 {
		return testutil.ToFloat64(e.metrics.FollowUpQueueSize.WithLabelValues(kind, state))
	}
	require.NoError(t, probe(ctx))
	require.Equal(t, []float64{1, 1, 0}, []float64{gauge("T3", "pending"), gauge("T7", "pending"), gauge("T3", "processing")})
	e.work(t, l.ID, followup.T3)
	require.NoError(t, probe(ctx))
	require.Equal(t, []float64{0, 1}, []float64{gauge("T3", "pending"), gauge("T7", "pending")})
}

// TestEachSkipReasonIsRecorded: for every skip rule of SPEC §6 a lead in
// that state, through the service, gets its due T+3 skipped by the worker
// with that reason on the follow-up record and in the event, and no mail.
func TestEachSkipReasonIsRecorded(t *testing.T) {
	t.Parallel()
	manager := auth.Principal{UserID: "maria", Roles: []auth.Role{auth.RoleManager}, Territories: []string{"DE"}}
	yes := true
	str := func(s string) lead.Opt[string] { return lead.Opt[string]{Set: true, V: s} }
	for _, tc := range []struct {
		reason followup.Reason
		email  bool
		change func(e *workerEnv, l *lead.Lead) error
	}{
		{followup.SkipStatus, true, func(e *workerEnv, l *lead.Lead) error {
			_, err := e.leads.Update(t.Context(), anna, l.ID, l.Version, lead.UpdateInput{
				Status: lead.Opt[lead.Status]{Set: true, V: lead.StatusQualified}})
			return err
		}},
		{followup.SkipClockStopped, true, func(e *workerEnv, l *lead.Lead) error {
			_, err := e.leads.Update(t.Context(), manager, l.ID, l.Version, lead.UpdateInput{
				StopClock: lead.Opt[bool]{Set: true, V: true}, StopReason: str("Umbau")})
			return err
		}},
		{followup.SkipNoEmail, false, func(*workerEnv, *lead.Lead) error { return nil }},
		{followup.SkipNoConsent, true, func(e *workerEnv, l *lead.Lead) error {
			_, err := e.leads.Update(t.Context(), anna, l.ID, l.Version, lead.UpdateInput{EmailConsent: lead.Opt[bool]{Set: true}})
			return err
		}},
		{followup.SkipContactBlocked, true, func(e *workerEnv, l *lead.Lead) error {
			_, err := e.leads.Update(t.Context(), anna, l.ID, l.Version, lead.UpdateInput{ContactBlocked: lead.Opt[bool]{Set: true, V: true}})
			return err
		}},
		{followup.SkipRecentActivity, true, func(e *workerEnv, l *lead.Lead) error {
			*e.clock = time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC) // the day before T+3
			_, err := e.leads.AddActivity(t.Context(), anna, l.ID, lead.ActivityInput{Type: "CALL", Description: "Rückruf"})
			return err
		}},
	} {
		t.Run(string(tc.reason), func(t *testing.T) {
			t.Parallel()
			e := newWorkerEnv(t)
			in := lead.CreateInput{CompanyName: "Gasthaus Linde", EmailConsent: &yes}
			if tc.email {
				email := "kueche@linde.example"
				in.Email = &email
			}
			l, err := e.leads.Create(t.Context(), anna, in)
			require.NoError(t, err)
			require.NoError(t, tc.change(e, l))
			*e.clock = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC) // T+3 is due
			e.work(t, l.ID, followup.T3)

			require.Zero(t, e.count(t, `SELECT count(*) FROM mail_outbox`))
			require.Equal(t, 1, e.count(t, `SELECT count(*) FROM follow_up WHERE lead_id = $1 AND kind = 'T3'
				AND state = 'SKIPPED' AND reason = $2`, l.ID, string(tc.reason)))
			require.Equal(t, 1, e.count(t, `SELECT count(*) FROM event_outbox WHERE subject_id = $1
				AND type = 'lead.followup.processed' AND envelope->'data'->>'result' = 'skipped'
				AND envelope->'data'->>'reason' = $2`, l.ID, string(tc.reason)))
		})
	}
}
