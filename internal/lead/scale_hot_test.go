package lead_test

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
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
	"github.com/freshplan/leads/internal/territory"
)

// TestStatusChangesAreHOT changes statuses through the service and reads
// from the statistics that every one of those updates was HOT (no index
// entry written), while a delete — the one write of deleted_at — is not.
// Statistics are kept per backend and flushed lazily; a backend flushes
// when it exits, so the service runs on a pool of its own that the test
// closes before it reads them. An update is HOT only if its new version
// fits on the page, and pruning the old versions away can be held back by
// any long transaction on the server (the snapshot's xmin spans databases),
// so the test writes no more versions than one page holds unpruned: the
// HOT share it reads is then decided by the indexes alone.
func TestStatusChangesAreHOT(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := t.Context()
	pool, err := postgres.Open(ctx, db.URL, 2)
	require.NoError(t, err)
	territories, err := territory.Load(ctx, pool)
	require.NoError(t, err)
	log := slog.New(slog.DiscardHandler)
	m := metric.New()
	svc := lead.NewService(lead.Deps{Pool: pool, Publisher: event.NewPublisher(pgnotify.NewRelay(pool), m, log, false, time.Now),
		Metrics: m, Territories: territories, Now: time.Now, Log: log})
	mia := auth.Principal{UserID: "mia", Roles: []auth.Role{auth.RoleManager}, Territories: []string{"DE"}}

	cycle := []lead.Status{lead.StatusActive, lead.StatusReminder, lead.StatusGracePeriod, lead.StatusActive}
	var ids []uuid.UUID
	for i := range 4 {
		l, err := svc.Create(ctx, mia, lead.CreateInput{CompanyName: "Kantine " + string(rune('A'+i)),
			City: str("Köln"), Email: str(uuid.NewString() + "@example.com")})
		require.NoError(t, err)
		ids = append(ids, l.ID)
	}
	changes := 0
	for _, to := range cycle {
		for _, id := range ids {
			_, err := svc.Update(ctx, mia, id, lead.AnyVersion, lead.UpdateInput{Status: lead.Opt[lead.Status]{Set: true, V: to}})
			require.NoError(t, err)
			changes++
		}
	}
	require.NoError(t, svc.Delete(ctx, mia, ids[0], lead.AnyVersion))
	pool.Close()

	var updated, hot int64
	require.Eventually(t, func() bool {
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables
			WHERE relid = 'leads'::regclass`).Scan(&updated, &hot))
		return updated == int64(changes+1)
	}, 10*time.Second, 50*time.Millisecond, "the service's backends flush their statistics as they exit")
	require.Equal(t, int64(changes), hot, "every status change is HOT, the delete is not")
}
