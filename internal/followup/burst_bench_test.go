package followup_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/followup"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/mail"
	"github.com/freshplan/leads/internal/mail/mailtest"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
	"github.com/freshplan/leads/internal/territory"
)

// BenchmarkFollowUpBurst: 10,000 follow-ups (5,000 leads, T+3 and T+7)
// fall due at once; River's workers and one mailer deliver them to a real
// SMTP server in the test. It reports the seconds until the last mail
// arrived and a status change's p95 before and during the burst:
//
//	go test -run '^$' -bench FollowUpBurst -benchtime 1x ./internal/followup/
func BenchmarkFollowUpBurst(b *testing.B) {
	const leads = 5000
	db := pgtest.New(b)
	ctx := b.Context()
	pool := db.AppPool(b)
	system, err := postgres.OpenSystem(ctx, db.AppURL, 8)
	require.NoError(b, err)
	b.Cleanup(system.Close)
	territories, err := territory.Load(ctx, pool)
	require.NoError(b, err)
	quiet := slog.New(slog.DiscardHandler)
	m := metric.New()
	workers := river.NewWorkers()
	client, err := river.NewClient(riverpgxv5.New(system), &river.Config{Logger: quiet, Workers: workers,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: followup.MaxWorkers}}})
	require.NoError(b, err)
	scheduler := followup.NewScheduler(client, territories)
	svc := lead.NewService(lead.Deps{Pool: pool, Publisher: event.NewPublisher(pgnotify.NewRelay(pool), m, quiet, false, time.Now),
		Metrics: m, Territories: territories, Now: time.Now, Log: quiet})
	river.AddWorker(workers, followup.NewWorker(svc, territories, followup.Links{BaseURL: "https://leads.example",
		Secret: []byte("0123456789abcdef0123456789abcdef")}, m))

	// 5,000 consenting leads registered ten days ago, their follow-ups due.
	db.Exec(b, `INSERT INTO leads (id, company_name, email, email_consent, territory, owner_user_id, registered_at,
		created_at, created_by, updated_at, updated_by)
		SELECT gen_random_uuid(), 'Betrieb ' || i, 'kueche' || i || '@betrieb.example', true, 'DE', 'anna',
			now() - interval '10 days', now() - interval '10 days', 'anna', now(), 'anna'
		FROM generate_series(1, $1::int) i`, leads)
	rows, err := db.Pool.Query(ctx, `SELECT id, territory, registered_at FROM leads`)
	require.NoError(b, err)
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (lead.Lead, error) {
		var l lead.Lead
		return l, r.Scan(&l.ID, &l.Territory, &l.RegisteredAt)
	})
	require.NoError(b, err)
	mgr := auth.Principal{UserID: "mia", Roles: []auth.Role{auth.RoleManager}, Territories: []string{"DE"}}
	for chunk := range slices.Chunk(all, 500) {
		require.NoError(b, postgres.InTx(ctx, pool, mgr, func(tx pgx.Tx) error {
			for i := range chunk {
				if err := scheduler.Schedule(ctx, tx, &chunk[i]); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	probe, err := svc.Create(ctx, mgr, lead.CreateInput{CompanyName: "Messlead"})
	require.NoError(b, err)
	// statusP95 changes the probe lead's status n times, or until done
	// closes when n is 0, and returns the p95 of those changes.
	statusP95 := func(n int, done <-chan struct{}) time.Duration {
		var took []time.Duration
		to := []lead.Status{lead.StatusActive, lead.StatusReminder}
		for i := 0; n == 0 || i < n; i++ {
			if n == 0 {
				select {
				case <-done:
					slices.Sort(took)
					return took[len(took)*95/100]
				default:
				}
			}
			start := time.Now()
			_, err := svc.Update(ctx, mgr, probe.ID, lead.AnyVersion, lead.UpdateInput{Status: lead.Opt[lead.Status]{Set: true, V: to[i%2]}})
			require.NoError(b, err)
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		return took[len(took)*95/100]
	}
	idle := statusP95(200, nil)

	srv := mailtest.NewServer(b)
	mailer := mail.NewMailer(mail.NewOutbox(pool), mail.NewSMTP(mail.SMTPConfig{Host: srv.Host, Port: srv.Port,
		From: "vertrieb@freshplan.example", Timeout: 10 * time.Second}), mail.DefaultConfig(), m, time.Now, quiet)
	b.ResetTimer()
	start := time.Now()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	require.NoError(b, client.Start(runCtx))
	defer func() { _ = client.Stop(context.Background()) }()
	go mailer.Run(runCtx)
	var during time.Duration
	busy, arrived := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(busy)
		during = statusP95(0, arrived) // for the whole burst
	}()
	deadline := time.After(5 * time.Minute)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for len(srv.Received()) < 2*leads {
		select {
		case <-tick.C:
		case <-deadline:
			b.Fatalf("only %d of %d mails arrived", len(srv.Received()), 2*leads)
		}
	}
	elapsed := time.Since(start)
	close(arrived)
	<-busy
	b.StopTimer()
	seen := map[string]bool{}
	for _, m := range srv.Received() {
		id := m.Msg.Header.Get("Message-ID")
		require.False(b, seen[id], "mail %s twice", id)
		seen[id] = true
	}
	b.ReportMetric(elapsed.Seconds(), "s/10k-mails")
	b.ReportMetric(float64(idle.Microseconds())/1000, "ms-status-p95-idle")
	b.ReportMetric(float64(during.Microseconds())/1000, "ms-status-p95-burst")
}
