// Package postgres owns the connection pool, the embedded migrations and the
// transaction helper that switches every transaction to the freshplan_app
// role with the caller's row-level-security settings.
package postgres

import (
	"context"
	"fmt"
	neturl "net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/metric"
)

// The database roles transactions switch to: AppRole for every request,
// SystemRole for background jobs (the SYSTEM principal). Neither logs in,
// owns anything or bypasses row-level security; the policies recognise
// SYSTEM by the role, never by a setting.
const (
	AppRole    = "freshplan_app"
	SystemRole = "freshplan_system"
)

// Open connects a pool and checks that the server answers.
func Open(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	return open(ctx, url, maxConns, nil)
}

// OpenSystem opens a pool whose connections act as SystemRole for their
// whole session, for River's client: it fetches, completes and schedules
// jobs outside any scoped transaction. The login role must be a member of
// SystemRole (it is, as the service's login role).
func OpenSystem(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	return open(ctx, url, maxConns, func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "SET ROLE "+SystemRole)
		return err
	})
}

func open(ctx context.Context, url string, maxConns int32, afterConnect func(context.Context, *pgx.Conn) error) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	// No JIT: a request reads a page, but a plan's cost estimate counts a
	// whole territory before its LIMIT and passes jit_above_cost, and
	// compiling took 15 ms of a list that reads 20 rows.
	cfg.ConnConfig.RuntimeParams["jit"] = "off"
	cfg.AfterConnect = afterConnect
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: ping: %w", err)
	}
	return pool, nil
}

// setScope switches the transaction to AppRole and records who acts, in one
// round trip. Everything is transaction-local, so it ends with the
// transaction and a pooled connection never carries it over.
// The territories go as a text[] literal (PostgreSQL quotes each element),
// which app_territories() casts back: a code cannot turn into two.
const setScope = `SELECT set_config('role', $1, true), set_config('app.user_id', $2, true),
	set_config('app.role', $3, true), set_config('app.territories', $4::text[]::text, true)`

// InTx runs fn in a transaction scoped to p. It commits when fn returns nil
// and rolls back otherwise. BEGIN and the scope settings travel with the
// first statement or batch fn sends, and a batch fn hands to
// SendWithCommit with the COMMIT, so they cost no round trip of their own.
func InTx(ctx context.Context, pool *pgxpool.Pool, p auth.Principal, fn func(pgx.Tx) error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	// A connection left inside a transaction (a failed ROLLBACK) is
	// closed by the pool on release, never reused.
	defer conn.Release()
	tx := &scopedTx{conn: conn.Conn(), args: scopeArgs(p)}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

func scopeArgs(p auth.Principal) []any {
	role := AppRole
	if p.IsSystem() {
		role = SystemRole
	}
	territories := p.Territories
	if territories == nil {
		territories = []string{}
	}
	return []any{role, p.UserID, string(p.Role()), territories}
}

// Scope is the statement that scopes a transaction to p, with its
// arguments, for code that sends it on its own (the load harness's naive
// design).
func Scope(p auth.Principal) (string, []any) { return setScope, scopeArgs(p) }

// QueueScope adds the scope settings to a batch. Sent without BEGIN, a
// batch runs as one implicit transaction, so the settings hold for the
// statements queued after it: one round trip for a scoped read.
func QueueScope(b *pgx.Batch, p auth.Principal) {
	b.Queue(setScope, scopeArgs(p)...)
}

// WithDatabase returns the connection string url pointed at database db.
func WithDatabase(url, db string) string {
	u, err := neturl.Parse(url)
	if err != nil || u.Scheme == "" {
		// key=value connection strings: a later dbname wins.
		return strings.TrimSpace(url) + " dbname=" + db
	}
	u.Path = "/" + db
	return u.String()
}

// XactAgeProbe returns a metric.Probe of the age of the oldest open
// transaction on the server, in any database: it holds back the snapshot
// xmin that the event readers' durable watermark follows. Other sessions'
// xact_start is visible only to members of pg_read_all_stats.
func XactAgeProbe(pool *pgxpool.Pool, m *metric.Set) metric.Probe {
	return func(ctx context.Context) error {
		var age float64
		err := pool.QueryRow(ctx, `SELECT coalesce(extract(epoch FROM max(clock_timestamp() - xact_start)), 0)::float8
			FROM pg_stat_activity WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid()`).Scan(&age)
		if err != nil {
			return fmt.Errorf("postgres: oldest transaction: %w", err)
		}
		m.OldestXactAge.Set(age)
		return nil
	}
}
