package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"golang.org/x/oauth2"

	"github.com/freshplan/leads/api"
	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/cockpit"
	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/demo"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/followup"
	"github.com/freshplan/leads/internal/httpapi"
	"github.com/freshplan/leads/internal/idempotency"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/mail"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/protection"
	"github.com/freshplan/leads/internal/territory"
	"github.com/freshplan/leads/internal/user"
	"github.com/freshplan/leads/internal/web"
)

// service is the running service's parts, wired once from the Config.
type service struct {
	handler   http.Handler
	leads     *lead.Service
	followups *followup.Scheduler
	notices   *protection.Notifier
	widgets   *cockpit.Cache // nil with the widget off
	// background runs the relay, the listener, the metric collector, the
	// cleanups and River's job client until ctx ends.
	background func(ctx context.Context)
	// close stops River's client, waiting for running jobs up to the
	// shutdown timeout, and closes its pool; after background's ctx ended.
	close func()
}

// wire builds the service on pool: the one place that knows every part.
func wire(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, verifier auth.Verifier, log *slog.Logger) (*service, error) {
	now := time.Now
	territories, err := territory.Load(ctx, pool)
	if err != nil {
		return nil, err
	}
	verifier = auth.Cached(auth.KnownTerritories(verifier, territories.Known), 10_000, time.Minute, now)
	metrics := metric.New()
	var codes []string
	for _, t := range territories.All() {
		codes = append(codes, t.Code)
	}
	metrics.StartAtZero(codes)
	pub := event.NewPublisher(pgnotify.NewRelay(pool), metrics, log, cfg.AllowUnauthenticatedPublisher, now)
	listener := pgnotify.NewListener(pgnotify.Config{ConnString: cfg.ListenURL(), ApplicationName: cfg.ListenerAppName})
	bus := event.NewBus(event.Config{Disabled: !cfg.Features.CrossModuleEvents}, pool, listener, metrics, log, now)
	// The cockpit: its aggregates kept by one replica, its widgets cached
	// and dropped by each.
	aggregator := cockpit.NewAggregator(territories)
	bus.SharedBatch(cockpit.ConsumerName, aggregator.Handle, cockpit.TypeWidgetChanged)
	bus.Emitting(pub)
	var widgets *cockpit.Cache
	if cfg.Features.LeadWidget {
		widgets = cockpit.NewCache(cockpit.NewReader(pool, territories, now), metrics)
		bus.Local("cockpit-cache", widgets.Invalidate)
	}
	// After the cache: a stream told of a change must not read the widget
	// from before it.
	hub := cockpit.NewHub(metrics)
	bus.Local("cockpit-stream", hub.Deliver)
	idem := idempotency.NewStore(pool, now)
	// River's client works on connections of its own, as the system role.
	system, err := postgres.OpenSystem(ctx, cfg.DatabaseURL, 5)
	if err != nil {
		return nil, fmt.Errorf("wire: river pool: %w", err)
	}
	workers := river.NewWorkers()
	jobs, err := river.NewClient(riverpgxv5.New(system), &river.Config{Logger: log, Workers: workers,
		RescueStuckJobsAfter: cfg.JobRescueAfter, JobTimeout: jobTimeout(cfg),
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: followup.MaxWorkers}},
		PeriodicJobs: append(housekeeping(workers, pool, cfg.EventRetention, idem, now, log),
			protection.PeriodicJob(territories))})
	if err != nil {
		system.Close()
		return nil, fmt.Errorf("wire: river: %w", err)
	}
	scheduler := followup.NewScheduler(jobs, territories)
	leads := lead.NewService(lead.Deps{Pool: pool, Publisher: pub, Metrics: metrics, Territories: territories,
		Hooks: []lead.TxHook{idempotency.NewHook(now), scheduler}, Now: now, Log: log})
	river.AddWorker(workers, followup.NewWorker(leads, territories,
		followup.Links{BaseURL: cfg.PublicURL, Secret: []byte(cfg.UnsubscribeSecret)}, metrics))
	notices := protection.NewNotifier(territories, cfg.PublicURL)
	river.AddWorker(workers, protection.NewWorker(leads, notices, log))
	collector := metric.NewCollector(5*time.Second, log, bus.Probe, pgnotify.QueueProbe(pool, metrics),
		postgres.XactAgeProbe(pool, metrics), followup.QueueProbe(pool, metrics), mail.BacklogProbe(pool, metrics))
	mcfg := mailConfig(cfg)
	sender, sink := mailSender(cfg, mcfg.DeliveryTimeout(), log)
	var mailer *mail.Mailer
	if sender != nil {
		mailer = mail.NewMailer(mail.NewOutbox(pool), sender, mcfg, metrics, now, log)
	}
	deps := httpapi.Deps{Events: bus, Feed: event.NewFeed(pool), Leads: leads, Users: user.NewDirectory(pool, now),
		Idempotency: idem, Verifier: verifier, DB: pool, Log: log, OpenAPI: api.OpenAPI,
		UnsubscribeSecret: []byte(cfg.UnsubscribeSecret), Widgets: widgets, Stream: hub}
	if cfg.Features.Prometheus {
		deps.Metrics = metrics
	}
	if sink != nil {
		deps.DevMail = sink
	}
	deps.Mailer = mail.NewHealth(pool, cfg.SMTP.Host, cfg.SMTP.Port, sink != nil)
	if deps.Pages, err = pages(ctx, cfg, verifier, widgets, leads, log); err != nil {
		system.Close()
		return nil, err
	}
	var started atomic.Bool
	background := func(ctx context.Context) {
		// A deploy onto leads the aggregates never counted: decided before
		// the consumer starts counting, recounted beside it.
		if uncounted, err := aggregator.Uncounted(ctx, pool); err != nil {
			log.Error("cockpit", "error", err)
		} else if uncounted {
			go func() {
				res, err := aggregator.Recount(ctx, pool, 10_000)
				if err != nil {
					log.Error("cockpit: recount", "error", err)
					return
				}
				log.Info("cockpit: recounted", "leads", res.Leads, "rows", res.Rows, "duration", res.Duration)
			}()
		}
		go pub.RunRelay(ctx)
		go func() { _ = bus.Run(ctx) }()
		go collector.Run(ctx)
		if mailer != nil {
			go mailer.Run(ctx)
		}
		if err := jobs.Start(ctx); err != nil {
			log.Error("river: start", "error", err)
			return
		}
		started.Store(true)
	}
	closeJobs := func() {
		if started.Load() {
			sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
			defer cancel()
			if err := jobs.Stop(sctx); err != nil {
				log.Warn("river: stop", "error", err)
			}
		}
		system.Close()
	}
	return &service{handler: httpapi.New(deps), leads: leads, followups: scheduler, notices: notices, widgets: widgets, background: background, close: closeJobs}, nil
}

// mailSender is how mails leave: the SMTP relay of the Config; without
// one, with dev auth, the sink of /dev/mail; else none, and mails wait in
// the outbox for a relay to be configured.
func mailSender(cfg config.Config, timeout time.Duration, log *slog.Logger) (mail.Sender, *mail.Sink) {
	switch {
	case cfg.SMTP.Host != "":
		return mail.NewSMTP(mail.SMTPConfig{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, From: cfg.SMTP.From,
			Username: cfg.SMTP.Username, Password: cfg.SMTP.Password, StartTLS: cfg.SMTP.StartTLS, Timeout: timeout}), nil
	case cfg.DevAuth:
		sink := mail.NewSink()
		return sink, sink
	}
	log.Warn("no SMTP relay configured (FRESHPLAN_SMTP_HOST): follow-up mails wait in the mail outbox")
	return nil, nil
}

// mailConfig is the mailer's configuration: the package's defaults with
// the lease and the first retry's wait of the Config, where set.
func mailConfig(cfg config.Config) mail.Config {
	c := mail.DefaultConfig()
	if cfg.MailLease > 0 {
		c.Lease = cfg.MailLease
	}
	if cfg.MailRetryAfter > 0 {
		c.Backoff = mail.Backoff(cfg.MailRetryAfter)
	}
	return c
}

// jobTimeout is River's default (a minute), or less where lost jobs are
// rescued sooner: River rescues only jobs running longer than their timeout.
func jobTimeout(cfg config.Config) time.Duration {
	if cfg.JobRescueAfter > 0 {
		return min(time.Minute, cfg.JobRescueAfter/2)
	}
	return 0
}

// pages are the browser's pages: signed in by picking a demo user with dev
// auth, else through the OIDC issuer when a client id is configured; nil
// without either.
func pages(ctx context.Context, cfg config.Config, verifier auth.Verifier, widgets *cockpit.Cache, leads *lead.Service,
	log *slog.Logger) (*web.Site, error) {
	wc := web.Config{Verifier: verifier, Widgets: widgets, Leads: leads, Secret: []byte(cfg.SessionSecret), Log: log}
	switch {
	case cfg.DevAuth:
		wc.Dev, wc.DemoUser = &auth.DevIssuer{Secret: []byte(cfg.DevJWTSecret)}, demo.Users
	case cfg.OIDCClientID != "":
		provider, err := oidc.NewProvider(ctx, cfg.OIDCIssuer)
		if err != nil {
			return nil, fmt.Errorf("wire: oidc discovery: %w", err)
		}
		wc.OIDC = &oauth2.Config{ClientID: cfg.OIDCClientID, ClientSecret: cfg.OIDCClientSecret, Endpoint: provider.Endpoint(),
			RedirectURL: cfg.PublicURL + "/login/callback", Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
	default:
		return nil, nil
	}
	return web.New(wc), nil
}
