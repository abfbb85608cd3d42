package lead_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres/pgtest"
	"github.com/freshplan/leads/internal/territory"
)

// statement is one SQL statement the service sent, with its arguments.
type statement struct {
	sql  string
	args []any
}

// recorder is a pgx tracer that keeps every statement sent through the
// pool, single or batched: the test EXPLAINs exactly what the service ran.
type recorder struct {
	mu    sync.Mutex
	stmts []statement
	trips int // statements and batches sent: round trips
}

func (r *recorder) add(sql string, args []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stmts = append(r.stmts, statement{sql, args})
}

// roundTrips is how many statements and batches were sent since the last take.
func (r *recorder) roundTrips() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.trips
}

func (r *recorder) take() []statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.stmts
	r.stmts, r.trips = nil, 0
	return out
}

func (r *recorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.add(d.SQL, d.Args)
	r.mu.Lock()
	r.trips++
	r.mu.Unlock()
	return ctx
}

func (r *recorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *recorder) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.mu.Lock()
	r.trips++
	r.mu.Unlock()
	return ctx
}

func (r *recorder) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	r.add(d.SQL, d.Args)
}

func (r *recorder) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// tracedService is the lead service on a pool of its own, connected as the
// service's login role, whose statements rec records. The publisher's
// relay hint goes through the test's other pool.
func tracedService(t *testing.T, db *pgtest.DB, rec *recorder) (*lead.Service, *pgxpool.Pool) {
	t.Helper()
	ctx := t.Context()
	cfg, err := pgxpool.ParseConfig(db.AppURL)
	require.NoError(t, err)
	cfg.ConnConfig.Tracer = rec
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	territories, err := territory.Load(ctx, pool)
	require.NoError(t, err)
	quiet := slog.New(slog.DiscardHandler)
	m := metric.New()
	return lead.NewService(lead.Deps{Pool: pool, Publisher: event.NewPublisher(pgnotify.NewRelay(db.Pool), m, quiet, false, time.Now),
		Metrics: m, Territories: territories, Now: time.Now, Log: quiet}), pool
}

// TestCommandsTakeTwoRoundTrips: a status change sends its BEGIN, scope
// and lock in one batch, and its writes with the COMMIT in another; the
// UPDATE sets only what changed. A create by its owner checks for
// duplicates with the BEGIN and writes with the COMMIT.
func TestCommandsTakeTwoRoundTrips(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := t.Context()
	rec := &recorder{}
	svc, _ := tracedService(t, db, rec)
	anna := auth.Principal{UserID: "anna", Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE"}}

	rec.take()
	l, err := svc.Create(ctx, anna, lead.CreateInput{CompanyName: "Kantine Nord", City: str("Köln"), Email: str("kantine@nord.example")})
	require.NoError(t, err)
	require.Equal(t, 2, rec.roundTrips(), "create: %v", rec.take())

	_, err = svc.Update(ctx, anna, l.ID, l.Version, lead.UpdateInput{Status: lead.Opt[lead.Status]{Set: true, V: lead.StatusActive}})
	require.NoError(t, err)
	require.Equal(t, 2, rec.roundTrips())
	var update string
	for _, s := range rec.take() {
		if strings.HasPrefix(s.sql, "UPDATE leads") {
			update = s.sql
		}
	}
	set, _, _ := strings.Cut(strings.TrimPrefix(update, "UPDATE leads SET "), " WHERE")
	require.Equal(t, "version = version + 1, updated_at = $2, updated_by = $3, status = $4", set)

	got, err := svc.Get(ctx, anna, l.ID)
	require.NoError(t, err)
	require.Equal(t, lead.StatusActive, got.Status)
	require.Equal(t, l.CompanyName, got.CompanyName, "the columns left out keep their values")
	require.Equal(t, l.Version+1, got.Version)

	// A refused command sends no writes and commits nothing.
	rec.take()
	_, err = svc.Update(ctx, anna, l.ID, l.Version, lead.UpdateInput{Status: lead.Opt[lead.Status]{Set: true, V: lead.StatusLost}})
	require.ErrorIs(t, err, lead.ErrVersionMismatch)
	for _, s := range rec.take() {
		require.NotContains(t, s.sql, "UPDATE leads")
	}
	again, err := svc.Get(ctx, anna, l.ID)
	require.NoError(t, err)
	require.Equal(t, got, again)
}
