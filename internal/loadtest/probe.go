package loadtest

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// tracer counts the round trips of a pool and the client-side time of each
// statement: send to last result, so network, server work and lock waits.
// BEGIN and COMMIT are statements too (pgx sends them with Exec).
type tracer struct {
	trips atomic.Int64
	mu    sync.Mutex
	stats map[string]*stmtStat // by SQL text
}

type stmtStat struct {
	label string
	n     int64
	total time.Duration
}

type traceKey struct{}

type traceStart struct {
	sql string
	at  time.Time
}

func newTracer() *tracer { return &tracer{stats: map[string]*stmtStat{}} }

func (t *tracer) start(ctx context.Context, sql string) context.Context {
	t.trips.Add(1)
	return context.WithValue(ctx, traceKey{}, traceStart{sql: sql, at: time.Now()})
}

func (t *tracer) end(ctx context.Context) {
	s, ok := ctx.Value(traceKey{}).(traceStart)
	if !ok {
		return
	}
	d := time.Since(s.at)
	t.mu.Lock()
	st := t.stats[s.sql]
	if st == nil {
		st = &stmtStat{label: label(s.sql)}
		t.stats[s.sql] = st
	}
	st.n++
	st.total += d
	t.mu.Unlock()
}

func (t *tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	return t.start(ctx, d.SQL)
}

func (t *tracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) { t.end(ctx) }

func (t *tracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	parts := make([]string, 0, len(d.Batch.QueuedQueries))
	for _, q := range d.Batch.QueuedQueries {
		parts = append(parts, label(q.SQL))
	}
	return t.start(ctx, "batch["+strings.Join(parts, " ; ")+"]")
}

func (t *tracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

func (t *tracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchEndData) { t.end(ctx) }

func (t *tracer) TracePrepareStart(ctx context.Context, _ *pgx.Conn, d pgx.TracePrepareStartData) context.Context {
	return t.start(ctx, "prepare "+d.SQL)
}

func (t *tracer) TracePrepareEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareEndData) {
	t.end(ctx)
}

// label shortens SQL to its first words.
func label(sql string) string {
	s := strings.Join(strings.Fields(sql), " ")
	if len(s) > 72 {
		s = s[:72] + "…"
	}
	return s
}

type probeSample struct {
	trips int64
	stats map[string]stmtStat
}

func (t *tracer) sample() probeSample {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := probeSample{trips: t.trips.Load(), stats: make(map[string]stmtStat, len(t.stats))}
	for k, v := range t.stats {
		s.stats[k] = *v
	}
	return s
}

// minus gives round trips per event and the statements between two samples.
func (s probeSample) minus(prev probeSample, events int64) (float64, []Statement) {
	type row struct {
		Statement
		total time.Duration
	}
	var rows []row
	for k, v := range s.stats {
		p := prev.stats[k]
		n, total := v.n-p.n, v.total-p.total
		if n <= 0 {
			continue
		}
		rows = append(rows, row{Statement{SQL: v.label, PerEvent: float64(n) / float64(events),
			MeanMs: float64(total.Microseconds()) / float64(n) / 1000}, total})
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(b.total, a.total) })
	out := make([]Statement, len(rows))
	for i, r := range rows {
		out[i] = r.Statement
	}
	return float64(s.trips-prev.trips) / float64(events), out
}

// probe samples the writers' round trips and the CPU of this process, of
// the database's server processes and of the machine.
type probe struct {
	tr   *tracer
	pids []int // server processes: this database's backends and the shared helpers
}

// newProbe remembers the server processes to watch; call it once every
// connection of the run is open.
func newProbe(ctx context.Context, pool *pgxpool.Pool, tr *tracer) (*probe, error) {
	rows, err := pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() OR datname IS NULL`)
	if err != nil {
		return nil, err
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, err
	}
	return &probe{tr: tr, pids: pids}, nil
}

func (p *probe) sample() probeSample { return p.tr.sample() }

func (p *probe) cpu(context.Context) cpuSample { return readCPU(p.pids) }

type cpuSample struct {
	ok          bool
	self        time.Duration // this process, user + system
	server      time.Duration // the watched server processes
	serverProcs int           // how many of them could be read
	busy        uint64        // machine, jiffies not idle
	total       uint64        // machine, all jiffies
	cores       int
}
