package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// TestHousekeepingRunsAsRiverPeriodicJobs: the wired service, as the login
// role, runs event retention and the Idempotency-Key cleanup through
// River at start (its leader inserts them), and they complete.
func TestHousekeepingRunsAsRiverPeriodicJobs(t *testing.T) {
	db := pgtest.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	runService(ctx, t, db)

	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for done := 0; done < 2; {
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(DISTINCT kind) FROM river_job
			WHERE kind IN ('event_retention', 'idempotency_cleanup') AND state = 'completed'`).Scan(&done))
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal("the housekeeping jobs did not complete")
		}
	}
}
