package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"

	"time"

	"github.com/freshplan/leads/bench"
)

// PgbenchResult is pgbench running the service's status-change statements
// (bench/status_change.pgbench: the same statements in the same two round
// trips) on leads of a database of its own: the limit of this schema on
// this machine.
type PgbenchResult struct {
	Clients   int     `json:"clients"`
	Seconds   float64 `json:"seconds"`
	TPS       float64 `json:"tps"`
	LatencyMs float64 `json:"latencyAverageMs"`
	Output    string  `json:"-"`
}

// Pgbench seeds leads DE leads into the migrated database at url with
// bench/seed_leads.sql (psql) and runs bench/status_change.pgbench with
// clients connections for d.
func Pgbench(ctx context.Context, url string, leads, clients int, d time.Duration) (PgbenchResult, error) {
	dir, err := os.MkdirTemp("", "freshplan-pgbench")
	if err != nil {
		return PgbenchResult{}, err
	}
	defer os.RemoveAll(dir)
	for _, name := range []string{"seed_leads.sql", "status_change.pgbench"} {
		b, err := bench.Files.ReadFile(name)
		if err != nil {
			return PgbenchResult{}, err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return PgbenchResult{}, err
		}
	}
	seed := exec.CommandContext(ctx, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "n="+strconv.Itoa(leads), "-v", "terr=DE",
		"-v", "seed=0.42", "-v", "deleted=0", "-f", filepath.Join(dir, "seed_leads.sql"), "-c", "VACUUM ANALYZE leads", url)
	if out, err := seed.CombinedOutput(); err != nil {
		return PgbenchResult{}, fmt.Errorf("loadtest: psql seed_leads.sql (psql comes with PostgreSQL's client): %w: %s", err, out)
	}
	run := exec.CommandContext(ctx, "pgbench", "-n", "-M", "prepared", "-c", strconv.Itoa(clients), "-j", "2",
		"-T", strconv.Itoa(max(int(d.Seconds()), 1)), "-D", "leads="+strconv.Itoa(leads), "-f", filepath.Join(dir, "status_change.pgbench"), url)
	var out bytes.Buffer
	run.Stdout, run.Stderr = &out, &out
	if err := run.Run(); err != nil {
		return PgbenchResult{}, fmt.Errorf("loadtest: pgbench: %w: %s", err, out.String())
	}
	res := PgbenchResult{Clients: clients, Seconds: d.Seconds(), Output: out.String()}
	if m := regexp.MustCompile(`tps = ([0-9.]+)`).FindStringSubmatch(res.Output); m != nil {
		res.TPS, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := regexp.MustCompile(`latency average = ([0-9.]+) ms`).FindStringSubmatch(res.Output); m != nil {
		res.LatencyMs, _ = strconv.ParseFloat(m[1], 64)
	}
	if res.TPS == 0 {
		return res, fmt.Errorf("loadtest: pgbench printed no tps: %s", res.Output)
	}
	return res, nil
}
