//go:build e2e

package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// TestE2EReadmeBenchCommandsRun runs the bench commands of the README's
// "Performance, measured here" section on the built binary, each with
// --duration 5s, --leads 2000 and --settle 0s added (later flags win) so
// that CI runs them in seconds: each starts the service on a database of its own,
// drives it over HTTP and prints its table and Markdown summary; every
// committed event reached the stream once and the consumers' counts
// agree; --compare adds the side-by-side references; --out writes JSON.
func TestE2EReadmeBenchCommandsRun(t *testing.T) {
	blocks := readmeBlocks(t, "Performance, measured here")
	require.Len(t, blocks, 1)
	lines := strings.Split(strings.TrimSpace(blocks[0]), "\n")
	require.Len(t, lines, 4, "burst, soak, max and widget")
	dir := t.TempDir()
	for _, line := range lines {
		args := strings.Fields(line)
		require.Equal(t, "freshplan", args[0], line)
		var report string
		for i, a := range args {
			if a == "--out" {
				report = filepath.Join(dir, args[i+1])
				args[i+1] = report
			}
		}
		scenario := args[3]
		t.Run(scenario, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
			defer cancel()
			// --settle 0s: the other end-to-end tests keep the machine busy,
			// and 2,000 leads leave the service no start-up work to wait for.
			cmd := exec.CommandContext(ctx, freshplanBinary(t), append(args[1:], "--duration", "5s", "--leads", "2000", "--settle", "0s")...)
			cmd.Env = append(cleanEnv(), "DATABASE_URL="+pgtest.AdminURL(), "FRESHPLAN_DB_MAX_CONNS=8", "FRESHPLAN_LOG_LEVEL=warn")
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s\n%s", line, out)
			t.Logf("%s\n%s", line, out)
			require.Contains(t, string(out), "| "+scenario+" |", "the Markdown summary")
			require.NotContains(t, string(out), "failed, first:")
			if strings.Contains(line, "--compare") {
				require.Contains(t, string(out), "side by side: pgbench")
			}
			if report == "" {
				return
			}
			b, err := os.ReadFile(report)
			require.NoError(t, err)
			var rep struct {
				Runs []struct {
					Committed, Received, Lost, Duplicates int
					Consumed, ConsumedExpected            float64
				}
			}
			require.NoError(t, json.Unmarshal(b, &rep))
			require.NotEmpty(t, rep.Runs)
			for _, r := range rep.Runs {
				require.Positive(t, r.Committed)
				require.Equal(t, r.Committed, r.Received)
				require.Zero(t, r.Lost)
				require.Zero(t, r.Duplicates)
				require.Equal(t, r.ConsumedExpected, r.Consumed)
			}
		})
	}
}
