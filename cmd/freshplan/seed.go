package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"

	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/demo"
	"github.com/freshplan/leads/internal/postgres"
)

func seed(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	demoData := fs.Bool("demo", false, "load demo users, leads and activities")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*demoData {
		return errors.New("seed: only --demo is supported")
	}
	cfg, err := resolveDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	if err := postgres.Migrate(ctx, cfg.MigrateDatabaseURL, log); err != nil {
		return err
	}
	pool, err := postgres.Open(ctx, cfg.DatabaseURL, 4)
	if err != nil {
		return err
	}
	defer pool.Close()
	return demo.Seed(ctx, pool, log, os.Stdout)
}
