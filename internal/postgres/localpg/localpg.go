// Package localpg finds or starts a PostgreSQL on the development machine,
// so the service runs with no configuration at all. It is a development
// convenience: production configures DATABASE_URL and never needs it.
package localpg

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/freshplan/leads/internal/postgres"
)

const (
	defaultLocalDatabase = "freshplan"
	defaultLocalPort     = 5439
	defaultPGBinGlob     = "/usr/lib/postgresql/*/bin"
	rootDataDir          = "/var/lib/freshplan/pgdata"
	localPingTimeout     = 2 * time.Second
	postgresOSUser       = "postgres"
)

// Options configures Ensure. The zero value is ready to use.
type Options struct {
	// Database is the database to use (created when missing).
	// Default "freshplan".
	Database string
	// DataDir is the data directory of the private cluster started when no
	// local server answers. Default $XDG_DATA_HOME/freshplan/pgdata, else
	// ~/.local/share/freshplan/pgdata; when running as root
	// /var/lib/freshplan/pgdata, owned by the postgres OS user.
	DataDir string
	// Port is the TCP port (on 127.0.0.1 only) of the private cluster.
	// Default 5439.
	Port int
	// Logger receives progress messages; default slog.Default().
	Logger *slog.Logger

	// candidates overrides the connection URLs probed for an already
	// running local server (tests).
	candidates []string
	// pgBinGlob overrides the glob of PostgreSQL server binary
	// directories (tests); "-" disables the search, including $PATH.
	pgBinGlob string
}

// Ensure returns a connection URL for a usable local PostgreSQL
// database. It is meant for running with no configuration: call it only
// when neither DATABASE_URL nor the libpq PG* variables (PGHOST, ...) are
// set. It reads no environment itself except HOME and XDG_DATA_HOME for the
// default data directory (the pgx driver still applies PG* variables to
// fields the probed URLs leave unset).
//
// It proceeds in order:
//
//  1. It probes a local server: postgres@127.0.0.1:5432, user postgres on
//     the Unix socket in /var/run/postgresql, and the current OS user on
//     that socket. The first that answers within about two seconds and
//     lets it create the database (when missing) wins.
//  2. When none does and PostgreSQL server binaries are installed
//     (initdb and pg_ctl in the newest /usr/lib/postgresql/*/bin, else on
//     $PATH), it initializes a private cluster in opts.DataDir (trust
//     authentication, superuser postgres) if there is none yet, starts it
//     listening on 127.0.0.1:opts.Port only, unless already running, and
//     logs that it did. As root, initdb and pg_ctl run as the postgres OS
//     user, which owns the data directory.
//  3. Otherwise it returns an error explaining how to fix that.
//
// The private cluster is left running when the program exits, so demo data
// persists across runs. Ensure logs how to stop it (StopCommand) each time
// it starts the cluster or finds it running.
func Ensure(ctx context.Context, opts Options) (string, error) {
	opts = withLocalDefaults(opts)
	log := opts.Logger

	candidates := opts.candidates
	if candidates == nil {
		candidates = defaultLocalCandidates()
	}
	var probeErrs []error
	for _, c := range candidates {
		u, err := ensureDatabase(ctx, c, opts.Database)
		if err == nil {
			log.Info("localpg: using local PostgreSQL", "url", redactURL(u), "database", opts.Database)
			return u, nil
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("localpg: probe local server: %w", ctx.Err())
		}
		log.Debug("localpg: local candidate not usable", "url", redactURL(c), "err", err)
		probeErrs = append(probeErrs, fmt.Errorf("%s: %w", redactURL(c), err))
	}

	binDir, err := findPGBinDir(opts.pgBinGlob)
	if err != nil {
		return "", fmt.Errorf("localpg: no PostgreSQL answered on localhost and no PostgreSQL "+
			"server binaries (initdb, pg_ctl) were found in %s or $PATH; set DATABASE_URL to a "+
			"PostgreSQL connection URL, or install the server (e.g. apt-get install postgresql): %w",
			defaultPGBinGlob, errors.Join(append(probeErrs, err)...))
	}
	log.Info("localpg: no PostgreSQL answered on localhost; using a private cluster",
		"data_dir", opts.DataDir, "port", opts.Port, "bin_dir", binDir)

	port, err := startPrivateCluster(ctx, binDir, opts)
	if err != nil {
		return "", err
	}
	admin := (&url.URL{
		Scheme:   "postgres",
		User:     url.User(postgresOSUser),
		Host:     "127.0.0.1:" + strconv.Itoa(port),
		Path:     "/postgres",
		RawQuery: "sslmode=disable",
	}).String()
	u, err := ensureDatabase(ctx, admin, opts.Database)
	if err != nil {
		return "", fmt.Errorf("localpg: private cluster in %s on port %d: %w", opts.DataDir, port, err)
	}
	return u, nil
}

func withLocalDefaults(opts Options) Options {
	if opts.Database == "" {
		opts.Database = defaultLocalDatabase
	}
	if opts.Port == 0 {
		opts.Port = defaultLocalPort
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.DataDir == "" {
		opts.DataDir = defaultDataDir()
	}
	if abs, err := filepath.Abs(opts.DataDir); err == nil {
		opts.DataDir = abs
	}
	return opts
}

func defaultDataDir() string {
	if os.Geteuid() == 0 {
		return rootDataDir
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "freshplan", "pgdata")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "freshplan", "pgdata")
	}
	return filepath.Join(os.TempDir(), "freshplan-"+strconv.Itoa(os.Geteuid()), "pgdata")
}

func defaultLocalCandidates() []string {
	const sock = "%2Fvar%2Frun%2Fpostgresql"
	c := []string{
		"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"postgres://postgres@/postgres?host=" + sock,
	}
	if u, err := user.Current(); err == nil && u.Username != "" && u.Username != postgresOSUser {
		c = append(c, (&url.URL{
			Scheme:   "postgres",
			User:     url.User(u.Username),
			Path:     "/postgres",
			RawQuery: "host=" + sock,
		}).String())
	}
	return c
}

// ensureDatabase connects with adminURL, creates database db when missing,
// checks that it answers and returns adminURL pointed at db.
func ensureDatabase(ctx context.Context, adminURL, db string) (string, error) {
	target := postgres.WithDatabase(adminURL, db)
	conn, err := connectLocal(ctx, adminURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))

	var exists bool
	if err := conn.QueryRow(ctx,
		"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", db).Scan(&exists); err != nil {
		return "", fmt.Errorf("localpg: look up database %q: %w", db, err)
	}
	if !exists {
		_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize())
		var pgErr *pgconn.PgError
		if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "42P04") { // duplicate_database: lost a race
			return "", fmt.Errorf("localpg: create database %q: %w", db, err)
		}
	}

	tconn, err := connectLocal(ctx, target)
	if err != nil {
		return "", fmt.Errorf("localpg: database %q: %w", db, err)
	}
	if err := tconn.Close(ctx); err != nil {
		return "", fmt.Errorf("localpg: database %q: close: %w", db, err)
	}
	return target, nil
}

// connectLocal connects and pings, giving up after localPingTimeout.
func connectLocal(ctx context.Context, connURL string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(connURL)
	if err != nil {
		return nil, fmt.Errorf("localpg: parse connection URL: %w", err)
	}
	cfg.ConnectTimeout = localPingTimeout
	pctx, cancel := context.WithTimeout(ctx, localPingTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(pctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("localpg: connect: %w", err)
	}
	if err := conn.Ping(pctx); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("localpg: ping: %w", err)
	}
	return conn, nil
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<unparsable URL>"
	}
	return u.Redacted()
}

// findPGBinDir returns the newest directory matching glob that holds
// initdb and pg_ctl, else the directory of initdb and pg_ctl on $PATH.
func findPGBinDir(glob string) (string, error) {
	if glob == "-" {
		return "", errors.New("localpg: server binary search disabled")
	}
	if glob == "" {
		glob = defaultPGBinGlob
	}
	dirs, err := filepath.Glob(glob)
	if err != nil {
		return "", fmt.Errorf("localpg: glob %s: %w", glob, err)
	}
	slices.SortFunc(dirs, func(a, b string) int { // newest version first
		return compareVersions(filepath.Base(filepath.Dir(b)), filepath.Base(filepath.Dir(a)))
	})
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		d := filepath.Dir(p)
		if isExecutable(filepath.Join(d, "initdb")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("localpg: initdb and pg_ctl not found in %s or $PATH", glob)
}

// compareVersions compares dotted numeric versions such as "9.6" and "15";
// non-numeric parts compare as strings.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		ai, aerr := strconv.Atoi(as[i])
		bi, berr := strconv.Atoi(bs[i])
		var c int
		if aerr == nil && berr == nil {
			c = cmp.Compare(ai, bi)
		} else {
			c = strings.Compare(as[i], bs[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(as), len(bs))
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// pgRunner runs PostgreSQL server programs, as the postgres OS user when
// the process is root (the server refuses to run as root).
type pgRunner struct {
	binDir string
	cred   *syscall.Credential
	uid    int
	gid    int
}

func newPGRunner(binDir string) (*pgRunner, error) {
	r := &pgRunner{binDir: binDir, uid: -1, gid: -1}
	if os.Geteuid() != 0 {
		return r, nil
	}
	u, err := user.Lookup(postgresOSUser)
	if err != nil {
		return nil, fmt.Errorf("localpg: running as root and cannot find the %q OS user to run the server as: %w",
			postgresOSUser, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("localpg: uid of %q: %w", postgresOSUser, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("localpg: gid of %q: %w", postgresOSUser, err)
	}
	groups := []uint32{uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil && !slices.Contains(groups, uint32(g)) {
				groups = append(groups, uint32(g))
			}
		}
	}
	r.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}
	r.uid, r.gid = int(uid), int(gid)
	return r, nil
}

// run runs program from binDir and returns its combined output.
func (r *pgRunner) run(ctx context.Context, program string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(r.binDir, program), args...)
	cmd.Dir = "/" // the current directory may not be readable by postgres
	if r.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	// pg_ctl start leaves the server running; never wait on its descriptors.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	return out.Bytes(), err
}

// prepareDataDir creates dir (and its parents) and, as root, hands dir to
// the postgres OS user.
func (r *pgRunner) prepareDataDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("localpg: create parent of data directory: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("localpg: create data directory: %w", err)
	}
	if r.cred != nil {
		if err := os.Chown(dir, r.uid, r.gid); err != nil {
			return fmt.Errorf("localpg: chown data directory to %s: %w", postgresOSUser, err)
		}
	}
	return nil
}

// startPrivateCluster initializes opts.DataDir when needed, starts the
// cluster unless it is running and returns the port it listens on.
func startPrivateCluster(ctx context.Context, binDir string, opts Options) (int, error) {
	log, dir := opts.Logger, opts.DataDir
	r, err := newPGRunner(binDir)
	if err != nil {
		return 0, err
	}
	if err := r.prepareDataDir(dir); err != nil {
		return 0, err
	}

	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		base := []string{"-D", dir, "-U", postgresOSUser, "--auth=trust", "-E", "UTF8"}
		out, err := r.run(ctx, "initdb", append(base, "--locale=C.UTF-8")...)
		if err != nil {
			// Not every system has a C.UTF-8 locale; initdb cleans up after a failure.
			out, err = r.run(ctx, "initdb", append(base, "--locale=C")...)
		}
		if err != nil {
			return 0, fmt.Errorf("localpg: initdb %s: %w: %s", dir, err, strings.TrimSpace(string(out)))
		}
		log.Info("localpg: initialized private PostgreSQL cluster", "data_dir", dir)
	} else if err != nil {
		return 0, fmt.Errorf("localpg: data directory %s: %w", dir, err)
	}

	// pg_ctl status exits 0 when the server runs, 3 when it does not.
	if _, err := r.run(ctx, "pg_ctl", "-D", dir, "status"); err == nil {
		port := opts.Port
		if p, ok := postmasterPort(dir); ok {
			port = p
		}
		log.Info("localpg: private PostgreSQL cluster already running", "data_dir", dir, "port", port,
			"stop_with", StopCommand(binDir, dir, r.cred != nil))
		return port, nil
	} else if ctx.Err() != nil {
		return 0, fmt.Errorf("localpg: pg_ctl status: %w", ctx.Err())
	}

	logFile := filepath.Join(dir, "log")
	serverOpts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", opts.Port, shellQuote(dir))
	out, err := r.run(ctx, "pg_ctl", "-D", dir, "-l", logFile, "-o", serverOpts, "-w", "start")
	if err != nil {
		return 0, fmt.Errorf("localpg: start private cluster in %s on port %d: %w: %s%s",
			dir, opts.Port, err, strings.TrimSpace(string(out)), logTail(logFile))
	}
	log.Warn("localpg: started private PostgreSQL cluster (no PostgreSQL answered on localhost); "+
		"it keeps running after exit",
		"data_dir", dir, "port", opts.Port, "log", logFile, "stop_with", StopCommand(binDir, dir, r.cred != nil))
	return opts.Port, nil
}

// StopCommand is the shell command that stops the private cluster in dir,
// with pg_ctl from binDir. pg_ctl refuses to run as root, and Debian keeps
// it off $PATH, so the command names the binary in full and, when the
// cluster was started by root (asRoot), runs it as the postgres OS user.
func StopCommand(binDir, dir string, asRoot bool) string {
	stop := shellWord(filepath.Join(binDir, "pg_ctl")) + " -D " + shellWord(dir) + " stop"
	if asRoot {
		return "runuser -u " + postgresOSUser + " -- " + stop
	}
	return stop
}

// postmasterPort reads the port of a running server from postmaster.pid.
func postmasterPort(dir string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, false
	}
	p, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	return p, err == nil && p > 0
}

// logTail returns the last lines of the server log for error messages.
func logTail(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 10 {
			lines = lines[1:]
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return "\nserver log " + path + ":\n" + strings.Join(lines, "\n")
}

// shellWord returns s as one shell word, quoted only when it needs to be,
// so the usual stop command reads as a user would type it.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@%+=,-") == "" {
		return s
	}
	return shellQuote(s)
}

// shellQuote quotes s for the shell pg_ctl passes -o options through.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
