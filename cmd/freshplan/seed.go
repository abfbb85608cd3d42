package main

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/demo"
)

func seed(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := newFlagSet("seed", "seed --demo\n\nLoads the demo users, leads and activities (once) and prints how to get each user's token.")
	demoData := fs.Bool("demo", false, "load demo users, leads and activities")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*demoData {
		return errors.New("seed: only --demo is supported")
	}
	pool, err := connect(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer pool.Close()
	return demo.Seed(ctx, pool, log, os.Stdout)
}
