package main

import (
	"context"
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

// bench measures the event pipeline against the naive design (pg_notify
// inside each business transaction) on a scratch database of its own, at
// full speed and at a fixed rate, and prints the report (table and JSON).
func bench(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := newFlagSet("bench", "bench [--writers 8] [--duration 10s] [--rate 1000]\n\n"+
		"Measures the event pipeline against the naive design (pg_notify inside each transaction)\n"+
		"on a scratch database and prints the report as a table and JSON.")
	writers := fs.Int("writers", 8, "concurrent writers")
	duration := fs.Duration("duration", 10*time.Second, "measuring window per run")
	rate := fs.Int("rate", 1000, "events/s of the fixed-rate runs")
	base := fs.String("url", "", "measure request latencies of the service at this URL instead (dev auth)")
	iterations := fs.Int("iterations", 200, "with --url: requests per operation and caller")
	status := fs.String("status", "ACTIVE", "with --url: the list's status filter")
	search := fs.String("q", "gast", "with --url: the search text")
	streams := fs.Int("streams", 0, "with --url: open this many cockpit streams (10 of them admins) while activities are written at --rate for --duration")
	var callers listFlag
	fs.Var(&callers, "as", "with --url: caller NAME=USER:ROLE[:TERRITORY] (repeatable; default the seeded bench users)")
	if err := fs.Parse(args); err != nil {
		return err
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
