package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/freshplan/leads/api"
	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/followup"
	"github.com/freshplan/leads/internal/httpapi"
	"github.com/freshplan/leads/internal/idempotency"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/territory"
	"github.com/freshplan/leads/internal/user"
)

// service is the running service's parts, wired once from the Config.
type service struct {
	handler http.Handler
	leads   *lead.Service
	// background runs the relay, the listener, the metric collector and
	// the cleanups until ctx ends.
	background func(ctx context.Context)
}

// wire builds the service on pool: the one place that knows every part.
func wire(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, verifier auth.Verifier, log *slog.Logger) (*service, error) {
	now := time.Now
	territories, err := territory.Load(ctx, pool)
	if err != nil {
		return nil, err
	}
	verifier = auth.KnownTerritories(verifier, territories.Known)
	metrics := metric.New()
	pub := event.NewPublisher(pgnotify.NewRelay(pool), metrics, log, cfg.AllowUnauthenticatedPublisher, now)
	listener := pgnotify.NewListener(pgnotify.Config{ConnString: cfg.DatabaseURL, ApplicationName: cfg.ListenerAppName})
	bus := event.NewBus(event.Config{Disabled: !cfg.Features.CrossModuleEvents}, pool, listener, metrics, log, now)
	idem := idempotency.NewStore(pool, now)
	// Insert-only for now: follow-ups are scheduled with the lead; their
	// worker comes with the mail outbox.
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("wire: river: %w", err)
	}
	leads := lead.NewService(lead.Deps{Pool: pool, Publisher: pub, Metrics: metrics, Territories: territories,
		Hooks: []lead.TxHook{idempotency.NewHook(now), followup.NewScheduler(jobs, territories)}, Now: now, Log: log})
	collector := metric.NewCollector(5*time.Second, log, bus.Probe, pgnotify.QueueProbe(pool, metrics),
		postgres.XactAgeProbe(pool, metrics))
	deps := httpapi.Deps{Events: bus, Feed: event.NewFeed(pool), Leads: leads, Users: user.NewDirectory(pool, now),
		Idempotency: idem, Verifier: verifier, DB: pool, Log: log, OpenAPI: api.OpenAPI}
	if cfg.Features.Prometheus {
		deps.Metrics = metrics
	}
	background := func(ctx context.Context) {
		go pub.RunRelay(ctx)
		go func() { _ = bus.Run(ctx) }()
		go collector.Run(ctx)
		go event.RunRetention(ctx, pool, cfg.EventRetention, time.Hour, now, log)
		go idem.RunCleanup(ctx, 10*time.Minute, log)
	}
	return &service{handler: httpapi.New(deps), leads: leads, background: background}, nil
}
