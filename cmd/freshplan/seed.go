package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/freshplan/leads/internal/cockpit"
	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/demo"
	"github.com/freshplan/leads/internal/followup"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/territory"
)

const seedUsage = `seed --demo | seed --leads N [--activities M] [--seed S] [--territory-share DE=0.4]

--demo loads the demo users, leads and activities (once) and prints how to get each user's token.

--leads N loads N leads and M activities (default 5 per lead) with COPY, for benchmarks at scale:
users per territory (sales.de.0001 ..., manager.de.01 ..., admin.01) and, per territory, the SALES
user bench.sales.de (.ch, .at) who owns 1,000 leads and collaborates on 100 (a tenth and a hundredth
of a territory under 10,000 leads). Leads split DE 60 %, CH 20 %, AT 20 % unless --territory-share
says otherwise (DE=0.4 gives 400,000 of 1,000,000 to DE and 300,000 each to CH and AT). Names,
cities, postal codes, statuses, dates and activities look like a real territory; about 1 % of the
leads are near-duplicates. The same --seed and --as-of give the same rows. No outbox events or audit
rows are written for the seeded rows; after the load, every lead gets its follow-up records as a deploy
onto existing leads would: sent where the lead says so, passed where the due time is over (never
mailed late), scheduled with its job where it is still ahead.

COPY is refused under row-level security, so --leads connects with FRESHPLAN_MIGRATE_DATABASE_URL
(default DATABASE_URL), which must name a superuser or a role with BYPASSRLS. When that role owns
leads and activities (the schema owner), their indexes and keys are dropped before the load and built
again after it (their definitions wait in the table seed_pending_index meanwhile; a seed that stops
half-way leaves them there and the next seed --leads builds them first); otherwise the rows go in
through the indexes, which is many times slower. It migrates first and refuses a database it has
seeded before.`

func seed(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	return seedTo(ctx, cfg, log, args, os.Stdout)
}

func seedTo(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := newFlagSet("seed", seedUsage)
	demoData := fs.Bool("demo", false, "load demo users, leads and activities")
	leads := fs.Int("leads", 0, "load this many leads with COPY (scale data)")
	activities := fs.Int("activities", 0, "activities to load with --leads (default 5 per lead)")
	seedValue := fs.Uint64("seed", 1, "random seed of --leads: the same seed gives the same rows")
	shares := fs.String("territory-share", "", "share of the leads per territory, e.g. DE=0.4 or DE=0.5,CH=0.3; the rest split as 60:20:20")
	asOf := fs.String("as-of", "", "the day the --leads data ends (YYYY-MM-DD, default today); registrations reach two years back")
	streams := fs.Int("streams", 2, "with --leads: parallel COPY connections, index builds and generating goroutines")
	keepIndexes := fs.Bool("keep-indexes", false, "with --leads: load through the indexes instead of rebuilding them (slow)")
	noVacuum := fs.Bool("no-vacuum", false, "with --leads: only ANALYZE at the end, no VACUUM")
	asJSON := fs.Bool("json", false, "with --leads: print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("seed: unexpected argument %q", fs.Arg(0))
	}
	if !*demoData && *leads <= 0 {
		return errors.New("seed: give --demo or --leads N (N > 0)")
	}
	opts := demo.ScaleOptions{Leads: *leads, Activities: 5 * *leads, Seed: *seedValue, Streams: *streams,
		KeepIndexes: *keepIndexes, SkipVacuum: *noVacuum, Log: log}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "activities" {
			opts.Activities = *activities
		}
	})
	if *shares != "" {
		s, err := demo.ParseShares(*shares)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		opts.Shares = s
	}
	if *asOf != "" {
		t, err := time.Parse(time.DateOnly, *asOf)
		if err != nil {
			return fmt.Errorf("seed: --as-of: want YYYY-MM-DD: %w", err)
		}
		opts.AsOf = t
	}
	if *demoData {
		pool, err := connect(ctx, cfg, log, true)
		if err != nil {
			return err
		}
		err = demo.Seed(ctx, pool, log, out)
		pool.Close()
		if err != nil || *leads <= 0 {
			return err
		}
	}
	return seedScale(ctx, cfg, log, opts, *asJSON, out)
}

// seedScale loads the scale data as the migration role: COPY needs a role
// that bypasses row-level security (FORCE RLS holds even for the owner).
func seedScale(ctx context.Context, cfg config.Config, log *slog.Logger, opts demo.ScaleOptions, asJSON bool, out io.Writer) error {
	cfg, err := resolveDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	if err := postgres.Migrate(ctx, cfg.MigrateDatabaseURL, log); err != nil {
		return err
	}
	pool, err := postgres.Open(ctx, cfg.MigrateDatabaseURL, int32(max(opts.Streams, 1)+1))
	if err != nil {
		return err
	}
	defer pool.Close()
	report, err := demo.SeedScale(ctx, pool, opts)
	if err != nil {
		return err
	}
	// The seeded leads get their follow-up records (and the jobs of those
	// still ahead) as a deploy onto existing leads would.
	territories, err := territory.Load(ctx, pool)
	if err != nil {
		return err
	}
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("seed: river: %w", err)
	}
	followUps, err := followup.NewScheduler(jobs, territories).Backfill(ctx, pool, time.Now(), 10_000)
	if err != nil {
		return err
	}
	// And the cockpit's aggregates, by the recount a deploy runs.
	aggregates, err := cockpit.NewAggregator(territories).Recount(ctx, pool, 10_000)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			*demo.ScaleReport
			FollowUps  followup.BackfillResult `json:"followUps"`
			Aggregates cockpit.RecountResult   `json:"aggregates"`
		}{report, followUps, aggregates})
	}
	printScaleReport(out, report)
	fmt.Fprintf(out, "\nFollow-ups: %d scheduled, %d recorded as sent, %d passed (due before they were scheduled).\n",
		followUps.Scheduled, followUps.Sent, followUps.Passed)
	fmt.Fprintf(out, "Cockpit aggregates: %d leads counted into %d rows in %s.\n", aggregates.Leads, aggregates.Rows,
		aggregates.Duration.Round(100*time.Millisecond))
	return nil
}

func printScaleReport(out io.Writer, r *demo.ScaleReport) {
	fmt.Fprintf(out, "Seeded %d leads, %d activities and %d users (seed %d, as of %s) in %s",
		r.Leads, r.Activities, r.Users, r.Seed, r.AsOf.Format(time.DateOnly), r.Load.Round(100*time.Millisecond))
	if r.RebuiltIndexes {
		fmt.Fprintf(out, " (%s of it rebuilding the indexes)", r.IndexBuild.Round(100*time.Millisecond))
	}
	if r.Vacuum > 0 {
		fmt.Fprintf(out, ", then VACUUM (ANALYZE) in %s", r.Vacuum.Round(100*time.Millisecond))
	}
	fmt.Fprintf(out, ".\n\n%-9s %10s %6s %9s  %-15s %6s %13s\n", "territory", "leads", "reps", "managers", "bench user", "owns", "collaborates")
	for _, t := range r.Territories {
		fmt.Fprintf(out, "%-9s %10d %6d %9d  %-15s %6d %13d\n", t.Code, t.Leads, t.Reps, t.Managers, t.BenchUser, t.BenchOwned, t.BenchCollaborating)
	}
	fmt.Fprintf(out, "\nTable sizes with indexes: users %s, leads %s, activities %s.\n",
		mib(r.TableBytes["users"]), mib(r.TableBytes["leads"]), mib(r.TableBytes["activities"]))
	fmt.Fprintln(out, "Tokens of the bench users (development auth):")
	for _, t := range r.Territories {
		fmt.Fprintf(out, "  go run ./cmd/freshplan token --user %s --role SALES --territory %s\n", t.BenchUser, t.Code)
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
