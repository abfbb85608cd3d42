// Package pgtest gives each test its own migrated PostgreSQL database, cloned
// from a template so tests run in parallel against a real server.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	neturl "net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/postgres"
)

// AdminURL is the server the tests use: FRESHPLAN_TEST_DATABASE_URL, or the
// local PostgreSQL as postgres.
func AdminURL() string {
	if u := os.Getenv("FRESHPLAN_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

var template struct {
	once sync.Once
	name string
	err  error
}

// DB is one test's database.
type DB struct {
	Name string
	URL  string
	Pool *pgxpool.Pool
	// AppURL connects as LoginRole, as production does: no superuser, no
	// BYPASSRLS, a member of the app and system roles only, so a grant the
	// service lacks fails in a test, not in production.
	AppURL string
}

// LoginRole is the test login role and its password (a fresh Debian
// cluster asks non-postgres TCP logins for one).
const (
	LoginRole     = "freshplan_test_login"
	loginPassword = "freshplan-test-login"
)

// AppPool opens a pool on the test database as LoginRole, closed when t ends.
func (d *DB) AppPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := postgres.Open(context.Background(), d.AppURL, 8)
	if err != nil {
		t.Fatalf("pgtest: open as %s: %v", LoginRole, err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// New creates a fresh migrated database for t, dropped when t ends. The pool
// connects as the admin role, like a development machine, so the tests also
// prove that row-level security holds for a superuser connection.
func New(t testing.TB) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	template.once.Do(func() { template.name, template.err = ensureTemplate(ctx) })
	if template.err != nil {
		t.Fatalf("pgtest: template: %v", template.err)
	}
	name := "fp_test_" + randomHex(6)
	if err := adminExec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{template.name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	u := postgres.WithDatabase(AdminURL(), name)
	pool, err := postgres.Open(ctx, u, 8)
	if err != nil {
		t.Fatalf("pgtest: open: %v", err)
	}
	appURL, err := loginURL(u)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = adminExec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	})
	return &DB{Name: name, URL: u, Pool: pool, AppURL: appURL}
}

// ensureTemplate builds the migrated template once per migration set. An
// advisory lock keeps test binaries of other packages from building it at
// the same time.
func ensureTemplate(ctx context.Context) (string, error) {
	name := "fp_tpl_" + postgres.MigrationsDigest()
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7238455)"); err != nil {
		return "", err
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(7238455)") //nolint:errcheck
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		if err := ensureLoginRole(ctx, conn); err != nil {
			return "", err
		}
		return name, markUsed(ctx, conn, name)
	}
	building := name + "_build"
	ident := pgx.Identifier{building}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return "", err
	}
	if err := postgres.Migrate(ctx, postgres.WithDatabase(AdminURL(), building), slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		return "", err
	}
	// Renaming only after a complete migration means a crash never leaves a
	// half-built template behind under the final name.
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident+" RENAME TO "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	dropStaleTemplates(ctx, conn, name)
	if err := ensureLoginRole(ctx, conn); err != nil {
		return "", err
	}
	return name, markUsed(ctx, conn, name)
}

// ensureLoginRole creates LoginRole once per server (roles are cluster-wide;
// the migrations created the roles it joins).
func ensureLoginRole(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `DO $$ BEGIN
		CREATE ROLE `+LoginRole+` LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD '`+loginPassword+`';
	EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`)
	if err == nil {
		_, err = conn.Exec(ctx, `GRANT `+postgres.AppRole+`, `+postgres.SystemRole+` TO `+LoginRole)
	}
	if err != nil {
		return fmt.Errorf("pgtest: login role: %w", err)
	}
	return nil
}

// loginURL is url with LoginRole's credentials.
func loginURL(url string) (string, error) {
	u, err := neturl.Parse(url)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("FRESHPLAN_TEST_DATABASE_URL must be a postgres:// URL: %v", err)
	}
	u.User = neturl.UserPassword(LoginRole, loginPassword)
	return u.String(), nil
}

// templateUse is the comment that records when a template was last used.
const templateUse = "freshplan test template, last used "

// markUsed records that the template of this migration set is in use, so
// test runs of other checkouts on the same server leave it alone.
func markUsed(ctx context.Context, conn *pgx.Conn, name string) error {
	_, err := conn.Exec(ctx, "COMMENT ON DATABASE "+pgx.Identifier{name}.Sanitize()+" IS '"+
		templateUse+time.Now().UTC().Format(time.RFC3339)+"'")
	return err
}

// dropStaleTemplates removes templates of other migration sets that no test
// run has used for a day, so a developer's server does not collect one per
// migration change, while a checkout on another migration set that runs
// its tests now keeps its own. One still in use stays; the next build tries
// again.
func dropStaleTemplates(ctx context.Context, conn *pgx.Conn, current string) {
	rows, err := conn.Query(ctx, `SELECT d.datname FROM pg_database d
		WHERE d.datname LIKE 'fp\_tpl\_%' AND d.datname <> $1
		AND substring(shobj_description(d.oid, 'pg_database') FROM length($2) + 1) < $3`,
		current, templateUse, time.Now().UTC().Add(-24*time.Hour).Format(time.RFC3339))
	if err != nil {
		return
	}
	stale, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, db := range stale {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize())
	}
}

func adminExec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Exec runs sql on the test database as the admin role (fixtures, checks).
func (d *DB) Exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := d.Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("pgtest: exec %q: %v", sql, fmt.Sprint(err))
	}
}
