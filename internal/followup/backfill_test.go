package followup_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/followup"
	"github.com/freshplan/leads/internal/postgres/pgtest"
	"github.com/freshplan/leads/internal/territory"
)

// TestBackfillRecordsExistingLeads: leads that predate the automation get
// their records: sent where their fields say so, passed where the time is
// over (never mailed late), scheduled with a job where it is still ahead;
// a second run does nothing.
func TestBackfillRecordsExistingLeads(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := t.Context()
	pool := db.AppPool(t)
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC) // Monday, 11:00 in Berlin
	insert := func(registered time.Time, t3Sent *time.Time) uuid.UUID {
		id := uuid.New()
		db.Exec(t, `INSERT INTO leads (id, company_name, territory, owner_user_id, registered_at, t3_follow_up_sent_at,
			created_at, created_by, updated_at, updated_by) VALUES ($1, $2, 'DE', 'anna', $3, $4, $3, 'anna', $3, 'anna')`,
			id, "Lead "+id.String()[:8], registered, t3Sent)
		return id
	}
	sent := now.Add(-7 * 24 * time.Hour)
	old := insert(now.Add(-10*24*time.Hour), &sent) // T3 sent, T7 passed
	fresh := insert(now, nil)                       // both ahead
	middle := insert(now.Add(-5*24*time.Hour), nil) // Wednesday 25th: T3 passed, T7 on Wednesday 2 December
	territories, err := territory.Load(ctx, pool)
	require.NoError(t, err)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	s := followup.NewScheduler(client, territories)

	res, err := s.Backfill(ctx, pool, now, 2)
	require.NoError(t, err)
	require.Equal(t, followup.BackfillResult{Leads: 3, Scheduled: 3, Sent: 1, Passed: 2}, res)
	state := func(id uuid.UUID, kind string) (string, bool) {
		var st string
		var job bool
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT f.state || coalesce(':' || f.reason, ''),
			EXISTS (SELECT 1 FROM river_job j WHERE j.id = f.job_id AND j.scheduled_at = f.due_at)
			FROM follow_up f WHERE f.lead_id = $1 AND f.kind = $2`, id, kind).Scan(&st, &job))
		return st, job
	}
	for _, c := range []struct {
		id    uuid.UUID
		kind  string
		state string
		job   bool
	}{
		{old, "T3", "SENT", false}, {old, "T7", "SKIPPED:passed", false},
		{fresh, "T3", "SCHEDULED", true}, {fresh, "T7", "SCHEDULED", true},
		{middle, "T3", "SKIPPED:passed", false}, {middle, "T7", "SCHEDULED", true},
	} {
		st, job := state(c.id, c.kind)
		require.Equal(t, c.state, st, "%s %s", c.id, c.kind)
		require.Equal(t, c.job, job, "%s %s", c.id, c.kind)
	}
	again, err := s.Backfill(ctx, pool, now, 2)
	require.NoError(t, err)
	require.Zero(t, again.Leads)
}
