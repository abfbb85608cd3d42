package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// built is the freshplan binary the tests run, built once per test binary
// into a directory TestMain removes.
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// freshplanBinary builds cmd/freshplan on first use and returns its path.
func freshplanBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "freshplan-bin-")
		if built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "freshplan")
		out, err := exec.Command("go", "build", "-o", built.path, ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %w: %s", err, out)
		}
	})
	require.NoError(t, built.err)
	return built.path
}

// runBinary runs the freshplan binary with args and env added to a
// configuration-free environment, and returns its exit code and output.
func runBinary(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, freshplanBinary(t), args...)
	cmd.Env = append(cleanEnv(), env...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), string(out)
	}
	require.NoError(t, err, "run freshplan %v", args)
	return 0, string(out)
}

// cleanEnv is the test's environment without the service's configuration
// (FRESHPLAN_*, DATABASE_URL, BASE) and without make's variables, like the
// shell of a user who just cloned the repository.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "FRESHPLAN_"), strings.HasPrefix(name, "MAKE"),
			name == "MFLAGS", name == "DATABASE_URL", name == "BASE":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// TestSubcommandHelp: every subcommand's --help prints its usage and exits
// 0, without touching a database.
func TestSubcommandHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		flag string // one flag the usage must list; "" when it has none
	}{
		{[]string{"serve", "--help"}, "-addr"},
		{[]string{"migrate", "--help"}, ""},
		{[]string{"seed", "--help"}, "-demo"},
		{[]string{"token", "--help"}, "-territory"},
		{[]string{"events", "--help"}, "-consumer"},
		{[]string{"events", "replay", "--help"}, "-from"},
		{[]string{"normalize", "--help"}, "-backfill"},
		{[]string{"followups", "--help"}, "-backfill"},
		{[]string{"protect", "--help"}, "-batch"},
		{[]string{"bench", "--help"}, "-writers"},
		{[]string{"bench", "-h"}, "-rate"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			// An address nothing listens on: help must not need a database.
			code, out := runBinary(t, []string{"DATABASE_URL=postgres://nobody@127.0.0.1:1/none?sslmode=disable"}, tc.args...)
			require.Equal(t, 0, code, out)
			require.Contains(t, out, "usage: freshplan "+tc.args[0])
			require.Contains(t, out, tc.flag)
			require.NotContains(t, out, "ERROR")
		})
	}
}

// TestPGEnvWithoutServer: PG* variables turn the local fallback off; when
// they point at nothing the error says so, not only "connection refused".
func TestPGEnvWithoutServer(t *testing.T) {
	code, out := runBinary(t, []string{"PGHOST=127.0.0.1", "PGPORT=1"}, "migrate")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "DATABASE_URL is not set but PGHOST and PGPORT are, so the local PostgreSQL fallback is off")
}

// TestListenTakenPort: a taken port fails at once, before the database is
// touched (this one answers nothing), with the ways to choose another.
func TestListenTakenPort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	code, out := runBinary(t, []string{"DATABASE_URL=postgres://nobody@127.0.0.1:1/none?connect_timeout=1"},
		"serve", "--dev-auth", "--addr", taken.Addr().String())
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "FRESHPLAN_ADDR")
	require.Contains(t, out, "--addr")
	require.Contains(t, out, taken.Addr().String())
	require.NotContains(t, out, "127.0.0.1:1", "the port is checked before the database")
}

func TestBaseURL(t *testing.T) {
	bound := &net.TCPAddr{IP: net.IPv4zero, Port: 8080}
	for addr, want := range map[string]string{
		":8080":          "http://localhost:8080",
		"0.0.0.0:8080":   "http://localhost:8080",
		"[::]:8080":      "http://localhost:8080",
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		"[::1]:8080":     "http://[::1]:8080",
		"example.test:0": "http://example.test:8080", // the bound port, not 0
	} {
		require.Equal(t, want, baseURL(addr, bound), addr)
	}
}

// TestBenchRefusesBadScenarioFlags: a scenario it does not know, no
// service to drive, or an unknown mix is a clear error before any work.
func TestBenchRefusesBadScenarioFlags(t *testing.T) {
	env := []string{"DATABASE_URL=postgres://nobody@127.0.0.1:1/none?sslmode=disable"}
	for args, want := range map[string]string{
		"bench --scenario nope --self":                 "want burst, soak, max or widget",
		"bench --scenario burst":                       "--scenario needs --url or --self",
		"bench --scenario burst --self --url http://x": "--scenario needs --url or --self",
		"bench --scenario max --self --mix both":       "want create+status or status",
	} {
		code, out := runBinary(t, env, strings.Fields(args)...)
		require.NotEqual(t, 0, code, args)
		require.Contains(t, out, want, args)
	}
}
