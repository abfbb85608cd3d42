package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// repoRoot is where the README's commands run.
const repoRoot = "../.."

// TestReadmeWalkthrough runs the shell blocks of the README's "Try it"
// section, as written, in one bash: `make run &` serves fresh demo data from
// a database of the test's own on a free FRESHPLAN_ADDR, BASE points the
// commands at it, and every curl answers the status the walkthrough
// expects. The last block stops make, and with it the service.
func TestReadmeWalkthrough(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is not installed (.ci/run installs it)")
	}
	// The HTTP statuses of the blocks' curl commands, block by block, in
	// order: a change of the walkthrough changes this table, so the README
	// cannot drift from what the service does.
	want := [][]int{
		{200}, // list
		{201, 200, 304, 200, 201, 200, 200, 204, 200}, // create, read, change, activity, reassign, delete
		{201, 201, 422}, // Idempotency-Key: created, replayed, other body
		{200, 409, 201}, // duplicates, WARNING, forced
		{200},           // events
		{},              // kill %make
	}
	blocks := readmeBlocks(t, "Try it")
	require.Len(t, blocks, len(want), "blocks of the README's Try it section")
	script := strings.Join(blocks, "\n")
	require.Equal(t, 1, strings.Count(script, "http://localhost:8080"), "only BASE's default names the URL")
	require.NotContains(t, script, "localhost:8080/", "every URL starts with $BASE")

	db := pgtest.New(t)
	addr := freeAddr(t)
	base := "http://" + addr
	stdout, stderr := runWalkthrough(t, blocks, []string{
		"BASE=" + base, "FRESHPLAN_ADDR=" + addr, "FRESHPLAN_BIN=" + freshplanBinary(t),
		"DATABASE_URL=" + db.URL, "FRESHPLAN_LISTENER_APPLICATION_NAME=readme-" + db.Name,
	})
	t.Logf("stderr (make and the service's log):\n%s", stderr)
	for i, got := range statusesPerBlock(t, stdout, len(blocks)) {
		require.Equal(t, want[i], got, "statuses of block %d:\n%s", i+1, blocks[i])
	}
	require.Contains(t, stdout, "Idempotent-Replayed: true")
	require.Contains(t, stdout, `"companyName":"Hotel Adler"`, "the duplicate check finds the lead created before")

	// The service printed its real URL and token commands that work as printed.
	require.Contains(t, stdout, "Serving on "+base+";")
	requirePrintedTokenCommandWorks(t, stdout, "sales.de.anna")

	// kill %make stopped make, and make's SIGTERM the service.
	_, err := net.DialTimeout("tcp", addr, time.Second)
	require.Error(t, err, "the service still listens after make was killed")
}

// readmeBlocks returns the ```sh blocks of the README section titled title.
func readmeBlocks(t *testing.T, title string) []string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n## "+title+"\n")
	require.True(t, ok, "README has no section %q", title)
	section, _, _ = strings.Cut(section, "\n## ")
	var blocks []string
	for _, m := range regexp.MustCompile("(?ms)^```sh\n(.*?)^```$").FindAllStringSubmatch(section, -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// runWalkthrough runs blocks in one bash in the repository's root, each
// after a marker line, and returns what it printed. bash and everything it
// starts share a process group, which the test kills when it ends, so no
// server outlives a failure.
func runWalkthrough(t *testing.T, blocks, env []string) (string, string) {
	t.Helper()
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for i, b := range blocks {
		fmt.Fprintf(&script, "printf '\\n%s\\n'\n%s\n", blockMarker(i), b)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir = repoRoot
	cmd.Env = append(cleanEnv(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// The service holds bash's stdout until it has stopped; a service that
	// does not stop fails the test instead of hanging it.
	cmd.WaitDelay = 30 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	err := cmd.Wait()
	require.NoError(t, err, "the walkthrough failed\nstdout:\n%s\nstderr:\n%s", &stdout, &stderr)
	return stdout.String(), stderr.String()
}

func blockMarker(i int) string { return fmt.Sprintf("### README block %d", i+1) }

// statusesPerBlock splits stdout at the block markers and returns the
// status lines curl -i printed in each block.
func statusesPerBlock(t *testing.T, stdout string, n int) [][]int {
	t.Helper()
	statusLine := regexp.MustCompile(`(?m)^HTTP/[0-9.]+ ([0-9]{3})`)
	statuses := make([][]int, n)
	rest := stdout
	for i := range n {
		_, after, ok := strings.Cut(rest, blockMarker(i)+"\n")
		require.True(t, ok, "block %d did not run:\n%s", i+1, stdout)
		rest = after
		out, _, _ := strings.Cut(rest, blockMarker(i+1)+"\n")
		statuses[i] = []int{}
		for _, m := range statusLine.FindAllStringSubmatch(out, -1) {
			var code int
			_, err := fmt.Sscan(m[1], &code)
			require.NoError(t, err)
			statuses[i] = append(statuses[i], code)
		}
	}
	return statuses
}

// requirePrintedTokenCommandWorks runs the token command the demo printed
// for user, as printed, in the repository's root.
func requirePrintedTokenCommandWorks(t *testing.T, stdout, user string) {
	t.Helper()
	var command string
	for _, line := range strings.Split(stdout, "\n") {
		if _, after, ok := strings.Cut(line, "  go run "); ok && strings.Contains(line, "--user "+user+" ") {
			command = "go run " + after
		}
	}
	require.NotEmpty(t, command, "no token command printed for %s:\n%s", user, stdout)
	cmd := exec.CommandContext(t.Context(), "bash", "-c", command)
	cmd.Dir, cmd.Env = repoRoot, cleanEnv()
	out, err := cmd.Output()
	require.NoError(t, err, command)
	require.Len(t, strings.Split(strings.TrimSpace(string(out)), "."), 3, "a JWT from %s", command)
}
