package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/freshplan/leads/api"
	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/demo"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/httpapi"
	"github.com/freshplan/leads/internal/idempotency"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/user"
)

func serve(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	demoData := fs.Bool("demo", false, "load demo data and accept development tokens")
	fs.BoolVar(&cfg.DevAuth, "dev-auth", cfg.DevAuth, "accept HS256 development tokens (never in production)")
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *demoData {
		cfg.DevAuth = true
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg, err := resolveDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	if err := postgres.Migrate(ctx, cfg.MigrateDatabaseURL, log); err != nil {
		return err
	}
	pool, err := postgres.Open(ctx, cfg.DatabaseURL, cfg.MaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()
	verifier, err := newVerifier(ctx, cfg, log)
	if err != nil {
		return err
	}
	metrics := metric.New()
	pub := event.NewPublisher(pool, metrics, log, cfg.AllowUnauthenticatedPublisher)
	bus := event.NewBus(event.Config{ConnString: cfg.DatabaseURL, ApplicationName: cfg.ListenerAppName,
		Disabled: !cfg.Features.CrossModuleEvents}, pool, metrics, log)
	leads := lead.NewService(pool, pub, metrics, time.Now, log)
	users := user.NewDirectory(pool, time.Now)
	if *demoData {
		if err := demo.Seed(ctx, pool, log, os.Stdout); err != nil {
			return err
		}
	}
	go pub.RunRelay(ctx)
	go func() { _ = bus.Run(ctx) }()
	go event.RunRetention(ctx, pool, cfg.EventRetention, time.Hour, log)
	go idempotency.RunCleanup(ctx, pool, 10*time.Minute, log)
	deps := httpapi.Deps{Events: bus, Leads: leads, Users: users, Verifier: verifier, Pool: pool, Log: log, OpenAPI: api.OpenAPI}
	if cfg.Features.Prometheus {
		deps.Metrics = metrics
	}
	return listen(ctx, cfg, log, httpapi.New(deps))
}

func newVerifier(ctx context.Context, cfg config.Config, log *slog.Logger) (auth.Verifier, error) {
	var chain auth.Chain
	if cfg.OIDCIssuer != "" {
		v, err := auth.NewOIDCVerifier(ctx, auth.OIDCConfig{IssuerURL: cfg.OIDCIssuer, Audience: cfg.OIDCAudience,
			JWKSURL: cfg.OIDCJWKSURL, Leeway: cfg.TokenLeeway, Now: time.Now})
		if err != nil {
			return nil, fmt.Errorf("oidc: %w", err)
		}
		chain = append(chain, v)
	}
	if cfg.DevAuth {
		log.Warn("dev auth is ON: HS256 development tokens are accepted; never run like this in production")
		chain = append(chain, auth.DevVerifier{Secret: []byte(cfg.DevJWTSecret), Leeway: cfg.TokenLeeway, Now: time.Now})
	}
	return chain, nil
}

// listen serves until ctx ends (SIGTERM), then drains open requests.
func listen(ctx context.Context, cfg config.Config, log *slog.Logger, h http.Handler) error {
	srv := &http.Server{Addr: cfg.Addr, Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("listening", "addr", cfg.Addr, "dev_auth", cfg.DevAuth)
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}
