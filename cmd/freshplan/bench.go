package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/demo"
	"github.com/freshplan/leads/internal/loadtest"
	"github.com/freshplan/leads/internal/postgres"
)

const benchUsage = `bench --scenario burst|soak|max|widget (--url URL | --self [--leads N]) [--rate R] [--duration D] [--compare] [--out report.json]
bench --url URL [--as NAME=USER:ROLE[:TERRITORY]] [--streams N]
bench [--writers 8] [--duration 10s] [--rate 1000]

With --scenario, drives the service over HTTP with an open-loop load (each iteration starts on a
fixed schedule) and measures API latency per endpoint, publish → notify and notify → processed (the
service's histograms), end to end (an event's time to its receipt on an ADMIN's live stream), and
that every committed event was consumed exactly once; prints a table and a Markdown summary, and
writes the JSON report with --out. Scenarios (default rate and duration: the seeds' load shapes):
  burst   a lead created and activated per iteration, 400/s for 5 minutes
  soak    the same at 100/s for 10 minutes, the service's memory and goroutines sampled
  max     status changes of a pool of leads, doubling the rate from --rate until end-to-end p95
          exceeds --budget or anything is lost, then narrowing: the highest rate that holds
  widget  the burst's writes at 100/s with widget, list and search reads at --read-rate
--self starts the service (this binary) on a fresh database with --leads pre-seeded and drops it
afterwards; --url drives a running one with dev auth (tokens minted with FRESHPLAN_DEV_JWT_SECRET) or
--token/--watch-token. --compare measures on a database of its own, in the same run: pgbench running
the service's status-change statements (bench/status_change.pgbench) and the naive design (pg_notify
in each transaction) against the pipeline in process.

Without --scenario: --url measures request latencies one at a time (or --streams live streams);
with neither, the event pipeline against the naive design in process on a scratch database.`

// bench measures the service over HTTP (--scenario), its requests one at
// a time (--url), or the event pipeline against the naive design in
// process, and prints the report.
func bench(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := newFlagSet("bench", benchUsage)
	writers := fs.Int("writers", 8, "concurrent writers")
	duration := fs.Duration("duration", 10*time.Second, "measuring window (per run)")
	rate := fs.Int("rate", 1000, "events/s of the fixed-rate runs; with --scenario iterations/s")
	base := fs.String("url", "", "the service's URL (dev auth unless --token)")
	iterations := fs.Int("iterations", 200, "with --url: requests per operation and caller")
	status := fs.String("status", "ACTIVE", "with --url: the list's status filter")
	search := fs.String("q", "gast", "with --url: the search text")
	streams := fs.Int("streams", 0, "with --url: open this many cockpit streams (10 of them admins) while activities are written at --rate for --duration")
	var callers listFlag
	fs.Var(&callers, "as", "with --url: caller NAME=USER:ROLE[:TERRITORY] (repeatable; default the seeded bench users)")
	var sb serviceBench
	fs.StringVar(&sb.scenario, "scenario", "", "burst, soak, max or widget: drive the service over HTTP")
	fs.BoolVar(&sb.self, "self", false, "with --scenario: start the service on a fresh database instead of --url")
	fs.IntVar(&sb.leads, "leads", 100_000, "with --self: leads pre-seeded (freshplan seed --leads)")
	fs.DurationVar(&sb.settle, "settle", 2*time.Minute, "with --self: wait up to this long for the machine to go idle after the service's start")
	fs.BoolVar(&sb.compare, "compare", false, "with --scenario: measure pgbench and the naive design side by side")
	fs.StringVar(&sb.out, "out", "", "with --scenario: write the JSON report to this file")
	fs.StringVar(&sb.mix, "mix", "", "with --scenario: create+status or status (default per scenario)")
	fs.IntVar(&sb.readRate, "read-rate", 50, "with --scenario widget: reads per second")
	fs.DurationVar(&sb.budget, "budget", 200*time.Millisecond, "with --scenario max: the end-to-end p95 a rate must keep")
	fs.StringVar(&sb.token, "token", "", "with --scenario: the writer's bearer token (a MANAGER of DE)")
	fs.StringVar(&sb.watchToken, "watch-token", "", "with --scenario: the watcher's bearer token (an ADMIN)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if sb.scenario != "" {
		def, ok := scenarioDefaults[sb.scenario]
		if !ok {
			return fmt.Errorf("bench: --scenario %q: want burst, soak, max or widget", sb.scenario)
		}
		if (*base == "") == !sb.self {
			return errors.New("bench: --scenario needs --url or --self (one of them)")
		}
		sb.base, sb.rate, sb.duration = *base, def.rate, def.duration
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "rate":
				sb.rate = *rate
			case "duration":
				sb.duration = *duration
			}
		})
		if sb.mix == "" {
			sb.mix = def.mix
		}
		if sb.mix != "create+status" && sb.mix != "status" {
			return fmt.Errorf("bench: --mix %q: want create+status or status", sb.mix)
		}
		return benchService(ctx, cfg, log, out, sb)
	}
	if *base != "" && *streams > 0 {
		return benchStreams(ctx, cfg, out, *base, *streams, *rate, *duration)
	}
	if *base != "" {
		return benchRequests(ctx, cfg, out, loadtest.RequestOptions{BaseURL: *base, Iterations: *iterations,
			Status: *status, Search: *search}, callers)
	}
	cfg, err := resolveDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	url, drop, err := scratchDatabase(ctx, cfg.MigrateDatabaseURL, log)
	if err != nil {
		return err
	}
	defer drop()
	var results []loadtest.Result
	for _, r := range []int{0, *rate} {
		for _, run := range []func(context.Context, loadtest.Options) (loadtest.Result, error){loadtest.Naive, loadtest.Pipeline} {
			res, err := run(ctx, loadtest.Options{URL: url, Writers: *writers, Duration: *duration, Rate: r})
			if err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			results = append(results, res)
		}
	}
	loadtest.Report(out, results...)
	return nil
}

// scratchDatabase creates and migrates a database for the bench, and
// returns its URL and how to drop it.
func scratchDatabase(ctx context.Context, adminURL string, log *slog.Logger) (string, func(), error) {
	cc, err := pgx.ParseConfig(adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("bench: %w", err)
	}
	name := fmt.Sprintf("freshplan_bench_%d", time.Now().UnixNano())
	admin, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return "", nil, fmt.Errorf("bench: %w", err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		admin.Close(ctx)
		return "", nil, fmt.Errorf("bench: create database: %w", err)
	}
	drop := func() {
		_, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		admin.Close(context.Background())
	}
	url := postgres.WithDatabase(adminURL, name)
	if err := postgres.Migrate(ctx, url, log); err != nil {
		drop()
		return "", nil, err
	}
	return url, drop, nil
}

// defaultCallers are the users `freshplan seed --leads` creates for the
// benchmarks: a manager of the big territory, a rep who owns 1,000 leads
// and collaborates on 100, and an admin.
var defaultCallers = []string{"manager=manager.de.01:MANAGER:DE", "sales=" + demo.BenchUser("DE") + ":SALES:DE", "admin=" + demo.AdminUser + ":ADMIN"}

// benchRequests measures each request of the scale targets, one client,
// as each caller, against a running service with dev auth.
func benchRequests(ctx context.Context, cfg config.Config, out io.Writer, o loadtest.RequestOptions, callers []string) error {
	if len(callers) == 0 {
		callers = defaultCallers
	}
	o.Tokens = map[string]string{}
	iss := auth.DevIssuer{Secret: []byte(cfg.DevJWTSecret)}
	for _, c := range callers {
		name, spec, ok := strings.Cut(c, "=")
		parts := strings.Split(spec, ":")
		if !ok || len(parts) < 2 {
			return fmt.Errorf("bench: --as %q: want NAME=USER:ROLE[:TERRITORY]", c)
		}
		tok, err := iss.Issue(parts[0], []string{parts[1]}, parts[2:], parts[0], "", time.Hour)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		o.Tokens[name] = tok
	}
	results, err := loadtest.Requests(ctx, o)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	loadtest.ReportRequests(out, results)
	return nil
}

// benchStreams opens n streams against the service at base, n-10 of SALES
// users of DE and 10 of admins, and writes activities at rate for d.
func benchStreams(ctx context.Context, cfg config.Config, out io.Writer, base string, n, rate int, d time.Duration) error {
	iss := auth.DevIssuer{Secret: []byte(cfg.DevJWTSecret)}
	issue := func(user, role string, territories ...string) (string, error) {
		return iss.Issue(user, []string{role}, territories, user, "", 2*time.Hour)
	}
	o := loadtest.StreamOptions{BaseURL: base, Rate: rate, Duration: d}
	watchers := min(10, n)
	for i := range n {
		var tok string
		var err error
		if i < watchers {
			tok, err = issue(fmt.Sprintf("stream.admin.%02d", i), "ADMIN")
			o.Watchers = append(o.Watchers, tok)
		} else {
			tok, err = issue(fmt.Sprintf("stream.rep.%04d", i), "SALES", "DE")
			o.Reps = append(o.Reps, tok)
		}
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	var err error
	if o.Writer, err = issue("stream.writer", "ADMIN"); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	res, err := loadtest.Streams(ctx, o)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	loadtest.ReportStreams(out, res)
	return nil
}
