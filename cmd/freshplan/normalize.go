package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/protection"
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
	return withService(ctx, cfg, log, func(svc *service, _ *pgxpool.Pool) error {
		res, err := svc.leads.Backfill(ctx, *batch)
		if err != nil {
			return err
		}
		return json.NewEncoder(out).Encode(res)
	})
}

// withService runs fn on the wired service of a one-off command.
func withService(ctx context.Context, cfg config.Config, log *slog.Logger, fn func(*service, *pgxpool.Pool) error) error {
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
	return fn(svc, pool)
}

// followupsCmd gives leads without follow-up records theirs: once after a
// deploy onto leads that predate the automation.
func followupsCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := newFlagSet("followups", "followups --backfill [--batch 10000]\n\n"+
		"Gives every lead without follow-up records its records: sent where the lead says so, passed where\n"+
		"the due time is over (never mailed late), scheduled with its job where it is still ahead.")
	backfill := fs.Bool("backfill", false, "record the follow-ups of existing leads")
	batch := fs.Int("batch", 10_000, "leads per transaction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*backfill || *batch < 1 {
		return errors.New("followups: use --backfill [--batch N]")
	}
	return withService(ctx, cfg, log, func(svc *service, pool *pgxpool.Pool) error {
		start := time.Now()
		res, err := svc.followups.Backfill(ctx, pool, start, *batch)
		if err != nil {
			return err
		}
		log.InfoContext(ctx, "follow-up backfill", "leads", res.Leads, "duration", time.Since(start))
		return json.NewEncoder(out).Encode(res)
	})
}

func protectCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := newFlagSet("protect", "protect [--batch 5000]\n\n"+
		"Runs the lead protection walk once, as the daily job does: moves every lead whose deadline has\n"+
		"passed (REMINDER, GRACE_PERIOD, EXPIRED) and queues the owners' notices; prints what it did.")
	batch := fs.Int("batch", protection.BatchSize, "leads read per query")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *batch < 1 {
		return errors.New("protect: --batch must be at least 1")
	}
	return withService(ctx, cfg, log, func(svc *service, _ *pgxpool.Pool) error {
		res, err := svc.leads.Protect(ctx, *batch, svc.notices.Notify)
		if err != nil {
			return err
		}
		log.InfoContext(ctx, "lead protection", "scanned", res.Scanned, "duration", res.Duration)
		return json.NewEncoder(out).Encode(struct {
			lead.ProtectionResult
			DurationMs int64 `json:"durationMs"`
		}{res, res.Duration.Milliseconds()})
	})
}
