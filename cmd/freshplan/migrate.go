package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/postgres"
)

func migrate(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := resolveDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	return postgres.Migrate(ctx, cfg.MigrateDatabaseURL, log)
}

// resolveDatabase fills in the database URLs: a local PostgreSQL (found or
// started) when nothing is configured.
func resolveDatabase(ctx context.Context, cfg config.Config, log *slog.Logger) (config.Config, error) {
	if !cfg.UsesLocalDatabase() {
		return cfg, nil
	}
	url, err := postgres.EnsureLocal(ctx, postgres.LocalOptions{Logger: log})
	if err != nil {
		return cfg, fmt.Errorf("no database configured and no local PostgreSQL usable: %w", err)
	}
	log.Info("using local PostgreSQL", "database", "freshplan")
	cfg.DatabaseURL = url
	if cfg.MigrateDatabaseURL == "" {
		cfg.MigrateDatabaseURL = url
	}
	return cfg, nil
}

// connect resolves the database, migrates it when asked, and opens a small
// pool for a tool command.
func connect(ctx context.Context, cfg config.Config, log *slog.Logger, migrate bool) (*pgxpool.Pool, error) {
	cfg, err := resolveDatabase(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := postgres.Migrate(ctx, cfg.MigrateDatabaseURL, log); err != nil {
			return nil, err
		}
	}
	return postgres.Open(ctx, cfg.DatabaseURL, 4)
}
