package followup_test

import (
	"log/slog"
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
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
	"github.com/freshplan/leads/internal/territory"
)

// TestCreateSchedulesBothFollowUps: registering a lead writes its two
// follow-up records and their River jobs in the same transaction, as the
// service's login role (so the grants River's insert needs are in place),
// due at 09:00 local on a workday; a refused create schedules nothing.
func TestCreateSchedulesBothFollowUps(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := t.Context()
	pool := db.AppPool(t)
	territories, err := territory.Load(ctx, pool)
	require.NoError(t, err)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	sched := followup.NewScheduler(client, territories)
	quiet := slog.New(slog.DiscardHandler)
	m := metric.New()
	// Wednesday 2 December 2026, 15:00 in Zurich.
	now := func() time.Time { return time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC) }
	svc := lead.NewService(lead.Deps{Pool: pool, Publisher: event.NewPublisher(pgnotify.NewRelay(pool), m, quiet, false, now),
		Metrics: m, Territories: territories, Hooks: []lead.TxHook{sched},
		Now: now, Log: quiet})
	ch := "CH"
	reto := auth.Principal{UserID: "reto", Roles: []auth.Role{auth.RoleSales}, Territories: []string{"CH"}}
	email := "kueche@sonne-zuerich.example"
	l, err := svc.Create(ctx, reto, lead.CreateInput{CompanyName: "Hotel Sonne", Email: &email, CountryCode: &ch})
	require.NoError(t, err)

	type record struct {
		Kind, Territory, State string
		Due, Scheduled         time.Time
		Args                   string
	}
	rows, err := db.Pool.Query(ctx, `SELECT f.kind, f.territory, f.state, f.due_at, j.scheduled_at, j.args::text
		FROM follow_up f JOIN river_job j ON j.id = f.job_id WHERE f.lead_id = $1 ORDER BY f.kind`, l.ID)
	require.NoError(t, err)
	var got []record
	for rows.Next() {
		var r record
		require.NoError(t, rows.Scan(&r.Kind, &r.Territory, &r.State, &r.Due, &r.Scheduled, &r.Args))
		got = append(got, r)
	}
	require.NoError(t, rows.Err())
	zurich, err := time.LoadLocation("Europe/Zurich")
	require.NoError(t, err)
	// + 3 is Saturday: Monday 7 December; + 7 is Wednesday 9 December.
	t3, t7 := time.Date(2026, 12, 7, 9, 0, 0, 0, zurich), time.Date(2026, 12, 9, 9, 0, 0, 0, zurich)
	require.Len(t, got, 2)
	for i, want := range []struct {
		kind string
		due  time.Time
	}{{"T3", t3}, {"T7", t7}} {
		require.Equal(t, want.kind, got[i].Kind)
		require.Equal(t, "CH", got[i].Territory)
		require.Equal(t, "SCHEDULED", got[i].State)
		require.True(t, want.due.Equal(got[i].Due), "%s due %s", want.kind, got[i].Due)
		require.True(t, want.due.Equal(got[i].Scheduled), "%s job at %s", want.kind, got[i].Scheduled)
		require.JSONEq(t, `{"leadId":"`+l.ID.String()+`","followUp":"`+want.kind+`"}`, got[i].Args)
	}

	count := func() []int {
		var jobs, records int
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM river_job), (SELECT count(*) FROM follow_up)`).
			Scan(&jobs, &records))
		return []int{jobs, records}
	}
	// Scheduling again (a retried backfill, say) adds nothing.
	require.NoError(t, postgres.InTx(ctx, pool, reto, func(tx pgx.Tx) error { return sched.Schedule(ctx, tx, l) }))
	require.Equal(t, []int{2, 2}, count())
	// A create refused as a duplicate schedules nothing.
	_, err = svc.Create(ctx, reto, lead.CreateInput{CompanyName: "Hotel Sonne Zwei", Email: &email, CountryCode: &ch})
	require.ErrorIs(t, err, lead.ErrConflict)
	require.Equal(t, []int{2, 2}, count())
}
