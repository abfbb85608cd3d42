package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/cockpit"
	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/loadtest"
	"github.com/freshplan/leads/internal/protection"
)

// serviceBench are the flags of a scenario against the service over HTTP.
type serviceBench struct {
	scenario   string
	base       string // --url; empty with --self
	self       bool
	leads      int           // --self: leads pre-seeded
	settle     time.Duration // --self: the longest wait for an idle machine after the start
	compare    bool
	out        string // JSON report
	mix        string
	rate       int
	readRate   int
	duration   time.Duration
	budget     time.Duration
	token      string // the writer's token; default a dev token
	watchToken string
}

// scenarioDefaults are each scenario's rate and duration when the flags
// do not say: the seeds' load shapes.
var scenarioDefaults = map[string]struct {
	rate     int
	duration time.Duration
	mix      string
}{
	loadtest.Burst:  {400, 5 * time.Minute, "create+status"},
	loadtest.Soak:   {100, 10 * time.Minute, "create+status"},
	loadtest.Max:    {100, 30 * time.Second, "status"},
	loadtest.Widget: {100, time.Minute, "create+status"},
}

// benchService runs the scenario against the service at --url, or with
// --self against one it starts on a fresh database; with --compare it
// measures the side-by-side references on a database of their own.
func benchService(ctx context.Context, cfg config.Config, log *slog.Logger, out io.Writer, b serviceBench) error {
	rep := loadtest.ServiceReport{Machine: fmt.Sprintf("%s/%s, %d cores", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()), Leads: b.leads}
	needDB := b.self || b.compare
	if needDB {
		var err error
		if cfg, err = resolveDatabase(ctx, cfg, log); err != nil {
			return err
		}
	}
	if b.self {
		base, stop, err := startSelf(ctx, cfg, log, b.leads, b.settle)
		if err != nil {
			return err
		}
		defer stop()
		b.base = base
	}
	o, err := serviceOptions(cfg, b)
	if err != nil {
		return err
	}
	if b.scenario == loadtest.Max {
		_, runs, err := loadtest.MaxRate(ctx, o, b.budget, func(r loadtest.ServiceResult) {
			fmt.Fprintf(out, "max: %d/s achieved %.0f/s, end-to-end p95 %s, lost %d, holds %v\n",
				r.Rate, r.Achieved, r.EndToEnd.P95.Round(time.Microsecond), r.Lost, loadtest.Holds(r, b.budget))
		})
		rep.Runs = runs
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	} else {
		res, err := loadtest.RunService(ctx, b.scenario, o)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		rep.Runs = []loadtest.ServiceResult{res}
	}
	if b.compare {
		ref, err := references(ctx, cfg, log, max(b.leads, 10_000), min(b.duration, 30*time.Second))
		if err != nil {
			return err
		}
		rep.References = &ref
	}
	rep.WriteTable(out)
	fmt.Fprintln(out)
	rep.WriteMarkdown(out)
	if b.out != "" {
		f, err := os.Create(b.out)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		return rep.WriteJSON(f)
	}
	return nil
}

// serviceOptions mints the development tokens the flags do not give.
func serviceOptions(cfg config.Config, b serviceBench) (loadtest.ServiceOptions, error) {
	iss := auth.DevIssuer{Secret: []byte(cfg.DevJWTSecret)}
	issue := func(given, user, role string, territories ...string) (string, error) {
		if given != "" {
			return given, nil
		}
		return iss.Issue(user, []string{role}, territories, user, "", 24*time.Hour)
	}
	o := loadtest.ServiceOptions{BaseURL: b.base, Rate: b.rate, Mix: b.mix, Duration: b.duration, ReadRate: b.readRate,
		Readers: map[string]string{}}
	var err error
	if o.Writer, err = issue(b.token, "bench.writer", "MANAGER", "DE"); err != nil {
		return o, fmt.Errorf("bench: %w", err)
	}
	if o.Watcher, err = issue(b.watchToken, "bench.watcher", "ADMIN"); err != nil {
		return o, fmt.Errorf("bench: %w", err)
	}
	if b.scenario == loadtest.Widget {
		for name, spec := range map[string][]string{"manager": {"manager.de.01", "MANAGER", "DE"}, "sales": {"bench.sales.de", "SALES", "DE"}} {
			if o.Readers[name], err = issue("", spec[0], spec[1], spec[2:]...); err != nil {
				return o, fmt.Errorf("bench: %w", err)
			}
		}
	}
	return o, nil
}

// startSelf seeds leads into a fresh database and starts `freshplan serve`
// on it in a process of its own (its memory and CPU are the service's),
// and returns its URL once it is ready, and how to stop it and drop the
// database.
func startSelf(ctx context.Context, cfg config.Config, log *slog.Logger, leads int, settle time.Duration) (string, func(), error) {
	url, drop, err := scratchDatabase(ctx, cfg.MigrateDatabaseURL, log)
	if err != nil {
		return "", nil, err
	}
	seedCfg := cfg
	seedCfg.DatabaseURL, seedCfg.MigrateDatabaseURL = url, url
	if leads > 0 {
		if err := seedTo(ctx, seedCfg, log, []string{"--leads", strconv.Itoa(leads)}, io.Discard); err != nil {
			drop()
			return "", nil, err
		}
	}
	bin, err := os.Executable()
	if err != nil {
		drop()
		return "", nil, fmt.Errorf("bench: %w", err)
	}
	addr, err := freeLoopback()
	if err != nil {
		drop()
		return "", nil, err
	}
	logFile, err := os.CreateTemp("", "freshplan-bench-service-*.log")
	if err != nil {
		drop()
		return "", nil, fmt.Errorf("bench: %w", err)
	}
	cmd := exec.Command(bin, "serve", "--dev-auth", "--addr", addr)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "FRESHPLAN_MIGRATE_DATABASE_URL="+url, "FRESHPLAN_LOG_LEVEL=warn",
		"FRESHPLAN_LISTENER_APPLICATION_NAME=freshplan-bench-"+filepath.Base(url))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		drop()
		return "", nil, fmt.Errorf("bench: start the service: %w", err)
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		_ = logFile.Close()
		drop()
	}
	base := "http://" + addr
	if err := waitReady(ctx, base, 2*time.Minute); err != nil {
		stop()
		return "", nil, fmt.Errorf("bench: the service did not get ready (log: %s): %w", logFile.Name(), err)
	}
	// Its start-up work (the protection walk over every lead, due jobs)
	// is not what a run measures.
	began := time.Now()
	done, err := waitStartup(ctx, url, settle)
	if err != nil {
		stop()
		return "", nil, err
	}
	if !done && settle > 0 {
		log.Warn("bench: the service's start-up work is still running; the run measures it too", "settle", settle.String())
	}
	if _, err := loadtest.WaitIdle(ctx, 0.3, settle-time.Since(began)); err != nil {
		stop()
		return "", nil, err
	}
	log.Info("bench: service started", "url", base, "log", logFile.Name(), "settled_after", time.Since(began).Round(time.Second).String())
	return base, stop, nil
}

// waitStartup waits, up to limit, until the service's start-up work is
// done (done): the protection walk River runs on start has completed, no
// job is due, and the cockpit's consumer has read the outbox to its end.
// Idleness alone does not tell: the machine is calm for a few seconds
// before the walk begins, while River elects its leader (a run that began
// then measured the walk: 5.7 s end to end at 100 status changes/s). url
// is the scratch database's, as its owner, whom row-level security does
// not hide the outbox from.
func waitStartup(ctx context.Context, url string, limit time.Duration) (done bool, err error) {
	if limit <= 0 {
		return false, nil
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return false, fmt.Errorf("bench: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); {
		err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM river_job WHERE kind = $1 AND state = 'completed')
			AND NOT EXISTS (SELECT FROM river_job WHERE state IN ('available', 'pending', 'retryable', 'running', 'scheduled')
				AND scheduled_at <= now())
			AND coalesce((SELECT last_id FROM event_consumer WHERE name = $2), 0) >= coalesce((SELECT max(id) FROM event_outbox), 0)`,
			protection.JobArgs{}.Kind(), cockpit.ConsumerName).Scan(&done)
		if err != nil || done {
			return done, err
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return false, nil
}

// waitReady polls the readiness probe.
func waitReady(ctx context.Context, base string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		res, err := http.Get(base + "/q/health/ready")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %v", limit, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// references measures, on a database of their own, pgbench running the
// service's status-change statements and the in-process designs (naive
// and pipeline) at full speed and at 1,000 events/s.
func references(ctx context.Context, cfg config.Config, log *slog.Logger, leads int, d time.Duration) (loadtest.References, error) {
	var ref loadtest.References
	url, drop, err := scratchDatabase(ctx, cfg.MigrateDatabaseURL, log)
	if err != nil {
		return ref, err
	}
	defer drop()
	if ref.Pgbench, err = loadtest.Pgbench(ctx, url, leads, 8, d); err != nil {
		return ref, err
	}
	for _, run := range []struct {
		into   *loadtest.Result
		rate   int
		design func(context.Context, loadtest.Options) (loadtest.Result, error)
	}{{&ref.Naive, 0, loadtest.Naive}, {&ref.Pipeline, 0, loadtest.Pipeline},
		{&ref.NaiveAtRate, 1000, loadtest.Naive}, {&ref.PipelineAtRate, 1000, loadtest.Pipeline}} {
		if *run.into, err = run.design(ctx, loadtest.Options{URL: url, Writers: 8, Duration: d, Rate: run.rate}); err != nil {
			return ref, fmt.Errorf("bench: %w", err)
		}
	}
	return ref, nil
}

// freeLoopback is a loopback address with a port free a moment ago.
func freeLoopback() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
