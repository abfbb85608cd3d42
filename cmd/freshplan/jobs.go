package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/idempotency"
)

// The housekeeping that one replica should do, not each: River's elected
// leader inserts these periodic jobs, and any replica works them.

type retentionArgs struct{}

func (retentionArgs) Kind() string { return "event_retention" }

type retentionWorker struct {
	river.WorkerDefaults[retentionArgs]
	pool *pgxpool.Pool
	keep time.Duration
	now  func() time.Time
	log  *slog.Logger
}

func (w *retentionWorker) Work(ctx context.Context, _ *river.Job[retentionArgs]) error {
	n, err := event.Retain(ctx, w.pool, w.keep, w.now())
	if n > 0 {
		w.log.InfoContext(ctx, "event retention", "deleted", n, "older_than", w.keep)
	}
	return err
}

type idempotencyCleanupArgs struct{}

func (idempotencyCleanupArgs) Kind() string { return "idempotency_cleanup" }

type idempotencyCleanupWorker struct {
	river.WorkerDefaults[idempotencyCleanupArgs]
	store *idempotency.Store
	log   *slog.Logger
}

func (w *idempotencyCleanupWorker) Work(ctx context.Context, _ *river.Job[idempotencyCleanupArgs]) error {
	n, err := w.store.Cleanup(ctx)
	if n > 0 {
		w.log.InfoContext(ctx, "idempotency cleanup", "deleted", n)
	}
	return err
}

// housekeeping registers the workers and returns the periodic jobs:
// retention hourly, the Idempotency-Key cleanup every 10 minutes, both
// once at start.
func housekeeping(workers *river.Workers, pool *pgxpool.Pool, keep time.Duration, idem *idempotency.Store,
	now func() time.Time, log *slog.Logger) []*river.PeriodicJob {
	river.AddWorker(workers, &retentionWorker{pool: pool, keep: keep, now: now, log: log})
	river.AddWorker(workers, &idempotencyCleanupWorker{store: idem, log: log})
	onStart := &river.PeriodicJobOpts{RunOnStart: true}
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return retentionArgs{}, nil }, onStart),
		river.NewPeriodicJob(river.PeriodicInterval(10*time.Minute),
			func() (river.JobArgs, *river.InsertOpts) { return idempotencyCleanupArgs{}, nil }, onStart),
	}
}
