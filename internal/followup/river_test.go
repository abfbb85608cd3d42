package followup_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/followup"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
	"github.com/freshplan/leads/internal/territory"
)

// TestRiverRunsDueFollowUps: River's client, on connections of the login
// role switched to the system role (with exactly the grants of the
// migrations), runs the follow-ups of a lead registered ten days ago: both
// mails are queued once.
func TestRiverRunsDueFollowUps(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	pool := db.AppPool(t)
	system, err := postgres.OpenSystem(ctx, db.AppURL, 4)
	require.NoError(t, err)
	t.Cleanup(system.Close)
	territories, err := territory.Load(ctx, pool)
	require.NoError(t, err)
	quiet := slog.New(slog.DiscardHandler)
	m := metric.New()
	// The service's clock stands ten days back: the lead's follow-ups are
	// due when it is created (River runs jobs by the database's clock).
	registered := time.Now().Add(-10 * 24 * time.Hour)
	now := func() time.Time { return registered }
	workers := river.NewWorkers()
	client, err := river.NewClient(riverpgxv5.New(system), &river.Config{Logger: quiet, Workers: workers,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}}})
	require.NoError(t, err)
	leads := lead.NewService(lead.Deps{Pool: pool, Publisher: event.NewPublisher(pgnotify.NewRelay(pool), m, quiet, false, now),
		Metrics: m, Territories: territories, Hooks: []lead.TxHook{followup.NewScheduler(client, territories)}, Now: now, Log: quiet})
	river.AddWorker(workers, followup.NewWorker(leads, territories, followup.Links{BaseURL: "https://leads.example",
		Secret: []byte("0123456789abcdef0123456789abcdef")}, m))

	completed, stop := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer stop()
	require.NoError(t, client.Start(ctx))
	defer func() { require.NoError(t, client.Stop(context.Background())) }()

	email, yes := "kueche@linde.example", true
	l, err := leads.Create(ctx, anna, lead.CreateInput{CompanyName: "Gasthaus Linde", Email: &email, EmailConsent: &yes})
	require.NoError(t, err)
	for range 2 {
		select {
		case ev := <-completed:
			require.Equal(t, river.EventKindJobCompleted, ev.Kind, "job error: %v", ev.Job.Errors)
		case <-ctx.Done():
			t.Fatal("the follow-ups did not run")
		}
	}
	var sent, mails int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM follow_up WHERE lead_id = $1 AND state = 'SENT'),
		(SELECT count(*) FROM mail_outbox WHERE lead_id = $1)`, l.ID).Scan(&sent, &mails))
	require.Equal(t, []int{2, 2}, []int{sent, mails})
}
