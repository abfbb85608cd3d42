package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"

	"github.com/freshplan/leads/internal/config"
)

// normalizeCmd re-normalizes the existing leads (after a change of the
// normalization rules or of the phone-number library).
func normalizeCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := newFlagSet("normalize", "normalize --backfill [--batch 500]\n\nRe-normalizes every lead in short batches (after a change of the rules).")
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
	svc, err := wire(ctx, cfg, pool, nil, log)
	if err != nil {
		return err
	}
	defer svc.close()
	res, err := svc.leads.Backfill(ctx, *batch)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(res)
}
