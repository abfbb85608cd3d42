package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"time"

	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/metric"
)

// normalizeCmd re-normalizes the existing leads (after a change of the
// normalization rules or of the phone-number library).
func normalizeCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("normalize", flag.ContinueOnError)
	backfill := fs.Bool("backfill", false, "re-normalize every existing lead")
	batch := fs.Int("batch", 500, "leads per transaction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*backfill || *batch < 1 {
		return errors.New("normalize: use --backfill [--batch N]")
	}
	pool, err := connect(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer pool.Close()
	m := metric.New()
	svc := lead.NewService(pool, event.NewPublisher(pool, m, log, false), m, time.Now, log)
	res, err := svc.Backfill(ctx, *batch)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(res)
}
