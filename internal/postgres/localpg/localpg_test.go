package localpg

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const systemAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func randomDBName(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "freshplan_test_" + hex.EncodeToString(b)
}

// assertDatabase connects to dbURL and checks it is database db and
// answers select 1.
func assertDatabase(t *testing.T, ctx context.Context, dbURL, db string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connect %s: %v", dbURL, err)
	}
	defer conn.Close(ctx)
	var one int
	var name string
	if err := conn.QueryRow(ctx, "select 1, current_database()").Scan(&one, &name); err != nil {
		t.Fatalf("select 1: %v", err)
	}
	if one != 1 || name != db {
		t.Fatalf("got (%d, %q), want (1, %q)", one, name, db)
	}
}

func TestEnsureRunningServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	admin, err := connectLocal(ctx, systemAdminURL)
	if err != nil {
		t.Fatalf("no PostgreSQL accepting user postgres without password on 127.0.0.1:5432 (.ci/run sets that up): %v", err)
	}
	db := randomDBName(t)
	t.Cleanup(func() {
		defer admin.Close(context.Background())
		if _, err := admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()); err != nil {
			t.Errorf("drop database %s: %v", db, err)
		}
	})

	opts := Options{
		Database:  db,
		DataDir:   filepath.Join(t.TempDir(), "pgdata"), // never used: a server answers
		Logger:    testLogger(t),
		pgBinGlob: "-", // fail rather than start a cluster
	}
	u1, err := Ensure(ctx, opts)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	assertDatabase(t, ctx, u1, db)

	u2, err := Ensure(ctx, opts)
	if err != nil {
		t.Fatalf("Ensure again: %v", err)
	}
	if u2 != u1 {
		t.Errorf("second URL %q differs from first %q", u2, u1)
	}
	assertDatabase(t, ctx, u2, db)

	// The Unix-socket candidates alone find the same server.
	if _, err := os.Stat("/var/run/postgresql/.s.PGSQL.5432"); err == nil {
		opts.candidates = defaultLocalCandidates()[1:]
		u3, err := Ensure(ctx, opts)
		if err != nil {
			t.Fatalf("Ensure via Unix socket: %v", err)
		}
		if !strings.Contains(u3, "host=%2Fvar%2Frun%2Fpostgresql") {
			t.Errorf("URL %q does not use the Unix socket", u3)
		}
		assertDatabase(t, ctx, u3, db)
	}
}

func TestEnsureNothingAvailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := Ensure(ctx, Options{
		DataDir:    filepath.Join(t.TempDir(), "pgdata"),
		Logger:     testLogger(t),
		candidates: []string{"postgres://postgres@127.0.0.1:1/postgres?sslmode=disable"},
		pgBinGlob:  "-",
	})
	if err == nil {
		t.Fatal("Ensure succeeded with no server and no binaries")
	}
	for _, want := range []string{"no PostgreSQL answered on localhost", "DATABASE_URL", "apt-get install postgresql"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestEnsurePrivateCluster(t *testing.T) {
	binDir, err := findPGBinDir("")
	if err != nil {
		t.Fatalf("PostgreSQL server binaries (initdb, pg_ctl) not installed (apt-get install postgresql): %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	// As root the server runs as postgres, which must be able to reach the
	// data directory: t.TempDir's parents may not be traversable by it.
	base, err := os.MkdirTemp("/tmp", "freshplan-pg-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(base, "pgdata")
	t.Cleanup(func() {
		r, err := newPGRunner(binDir)
		if err == nil {
			if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); err == nil {
				out, err := r.run(context.Background(), "pg_ctl", "-D", dataDir, "-m", "fast", "-w", "stop")
				if err != nil {
					t.Errorf("pg_ctl stop: %v: %s", err, out)
				}
			}
		}
		if err := os.RemoveAll(base); err != nil {
			t.Errorf("remove %s: %v", base, err)
		}
	})

	port := freePort(t)
	db := randomDBName(t)
	var logged bytes.Buffer
	opts := Options{
		Database:   db,
		DataDir:    dataDir,
		Port:       port,
		Logger:     slog.New(slog.NewJSONHandler(io.MultiWriter(&logged, testWriter{t}), nil)),
		candidates: []string{"postgres://postgres@127.0.0.1:1/postgres?sslmode=disable"},
	}
	start := time.Now()
	u1, err := Ensure(ctx, opts)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	t.Logf("private cluster ready in %v: %s", time.Since(start).Round(time.Millisecond), u1)
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err != nil {
		t.Fatalf("no cluster initialized in %s: %v", dataDir, err)
	}
	pu, err := url.Parse(u1)
	if err != nil {
		t.Fatal(err)
	}
	if want := net.JoinHostPort("127.0.0.1", strconv.Itoa(port)); pu.Host != want {
		t.Errorf("URL host %q, want %q", pu.Host, want)
	}
	assertDatabase(t, ctx, u1, db)

	if os.Geteuid() == 0 {
		fi, err := os.Stat(dataDir)
		if err != nil {
			t.Fatal(err)
		}
		r, err := newPGRunner(binDir)
		if err != nil {
			t.Fatal(err)
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != r.uid {
			t.Errorf("data directory owner %d, want postgres (%d)", st.Uid, r.uid)
		}
	}

	// Second call: cluster initialized and running, database present.
	u2, err := Ensure(ctx, opts)
	if err != nil {
		t.Fatalf("Ensure again: %v", err)
	}
	if u2 != u1 {
		t.Errorf("second URL %q differs from first %q", u2, u1)
	}
	assertDatabase(t, ctx, u2, db)

	// The command the log gives (and the README shows) stops the cluster,
	// as root too.
	stop := StopCommand(binDir, dataDir, os.Geteuid() == 0)
	if got := loggedStopCommands(t, logged.Bytes()); len(got) != 2 || got[0] != stop || got[1] != stop {
		t.Fatalf("logged stop_with %q, want %q on start and when found running", got, stop)
	}
	out, err := exec.CommandContext(ctx, "sh", "-c", stop).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", stop, err, out)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("cluster still running after %s (postmaster.pid: %v)", stop, err)
	}
}

// loggedStopCommands returns the stop_with attributes of the JSON log.
func loggedStopCommands(t *testing.T, log []byte) []string {
	t.Helper()
	var cmds []string
	for _, line := range bytes.Split(bytes.TrimSpace(log), []byte("\n")) {
		var rec struct {
			StopWith string `json:"stop_with"`
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec.StopWith != "" {
			cmds = append(cmds, rec.StopWith)
		}
	}
	return cmds
}

// TestReadmeStopCommand keeps the README's stop command for a cluster
// started by root, on Debian's PostgreSQL 15, the same as the log's.
func TestReadmeStopCommand(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		StopCommand("/usr/lib/postgresql/15/bin", rootDataDir, true),
		// The home directory as the README spells it: StopCommand gets absolute paths.
		"/usr/lib/postgresql/15/bin/pg_ctl -D ~/.local/share/freshplan/pgdata stop",
	} {
		if !bytes.Contains(readme, []byte(want)) {
			t.Errorf("README.md lacks the stop command %q", want)
		}
	}
}

func TestStopCommandQuotes(t *testing.T) {
	got := StopCommand("/opt/pg bin", "/home/o'neil/pgdata", false)
	want := `'/opt/pg bin/pg_ctl' -D '/home/o'\''neil/pgdata' stop`
	if got != want {
		t.Errorf("StopCommand = %s, want %s", got, want)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
