package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// TestHousekeepingRunsAsRiverPeriodicJobs: the wired service, as the login
// role, runs event retention and the Idempotency-Key cleanup through
// River at start (its leader inserts them), and they complete.
func TestHousekeepingRunsAsRiverPeriodicJobs(t *testing.T) {
	db := pgtest.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cfg := config.Config{DatabaseURL: db.AppURL, DevAuth: true, DevJWTSecret: "a-test-secret-of-at-least-32-bytes!!",
		EventRetention: time.Hour, ShutdownTimeout: 10 * time.Second}.WithDevDefaults()
	pool, err := postgres.Open(ctx, db.AppURL, 8)
	require.NoError(t, err)
	defer pool.Close()
	svc, err := wire(ctx, cfg, pool, auth.DevVerifier{Secret: []byte(cfg.DevJWTSecret)}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer svc.close()
	bg, stop := context.WithCancel(ctx)
	defer stop()
	svc.background(bg)

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
