// Package loadtest measures how many status-change events per second get
// from the business transaction to a consumer, and how long each takes, for
// two designs in one run on one machine (DESIGN.md §5 asks for exactly that,
// because absolute figures vary by a third between runs here):
//
//   - "pipeline" is the production path: lead.Service.Update writes the lead,
//     a STATUS_CHANGE activity and one outbox row in one transaction with the
//     RLS settings; event.Publisher's relay sends one NOTIFY per batch after
//     commit; event.Bus reads the outbox on its LISTEN connection and hands
//     each event to a local consumer.
//   - "naive" is the design the seeds describe: the same transaction written
//     with raw SQL, plus pg_notify(<event id>) inside it, and a consumer that
//     LISTENs on one connection and reads each event's outbox row by id.
//
// Every writer owns a disjoint slice of the fixture leads and toggles each
// between ACTIVE and REMINDER (both directions are legal for a MANAGER), so
// writers never wait for each other's row locks. The writer picks the
// transaction's clock value itself, so it knows the event's idempotency key
// (leadId|old|new|changedAt) before the transaction starts and records the
// start time under that key; the consumer looks the key up when it handles
// the event. End-to-end latency is therefore "writer begins the transaction"
// → "consumer handles the event", matched by event id, and an event that is
// committed but never handled shows up as lost.
//
// Only events whose transaction started inside the measurement window
// (after the warm-up) count. Throughput is those events divided by the time
// from the window's start until the last of them was handled (at least the
// window), so a consumer that falls behind lowers it.
//
// Two prototypes measure proposed changes before anyone makes them:
// Pipelined sends the status change in two round trips (pgx Batch) through
// the real relay and Bus, and PipelinedCoalesced adds a relay that sends one
// hint on one channel at most every 2 ms.
//
// Run: go test -run '^$' -bench . -benchtime 10s ./internal/loadtest/
// or freshplan bench, which prints the full report. PostgreSQL must run on
// this host for the server CPU column.
package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/metric"
)

// Options describes one load run.
type Options struct {
	// URL is a migrated database. The harness inserts its own fixture leads;
	// the connection must be allowed to bypass row-level security for that
	// (the admin role of pgtest is).
	URL string
	// Writers is the number of concurrent writers (default 8).
	Writers int
	// Duration is the measurement window (default 10 s).
	Duration time.Duration
	// Rate is the target events/s across all writers, paced; 0 runs as fast
	// as possible.
	Rate int
	// Leads is the number of fixture leads, split over the writers (default 2000).
	Leads int
	// Warmup runs before the window and is not measured (default 1 s).
	Warmup time.Duration
	// Drain bounds the wait for the consumer after the writers stop (default 30 s).
	Drain time.Duration
	// Log receives the components' logs (default: warnings to nowhere).
	Log *slog.Logger
}

func (o *Options) defaults() error {
	if o.URL == "" {
		return errors.New("loadtest: Options.URL is required")
	}
	if o.Writers <= 0 {
		o.Writers = 8
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Leads <= 0 {
		o.Leads = 2000
	}
	if o.Leads < o.Writers {
		o.Leads = o.Writers
	}
	if o.Warmup < 0 {
		o.Warmup = 0
	} else if o.Warmup == 0 {
		o.Warmup = time.Second
	}
	if o.Drain <= 0 {
		o.Drain = 30 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

// Result is what one run measured.
type Result struct {
	Design     string `json:"design"`
	Writers    int    `json:"writers"`
	TargetRate int    `json:"targetRate"` // 0: as fast as possible
	// Events is the number of events started in the window and handled by
	// the consumer; Seconds runs from the window's start until the last of
	// them was handled (at least the window); PerSecond = Events/Seconds.
	Events    int     `json:"events"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"perSecond"`
	// Committed counts the transactions started in the window that
	// committed; CommitPerSecond divides them by the window.
	Committed       int     `json:"committed"`
	CommitPerSecond float64 `json:"commitPerSecond"`
	// DrainSeconds is how long after the window the consumer needed to
	// handle the rest (backlog).
	DrainSeconds float64  `json:"drainSeconds"`
	Lost         int      `json:"lost"`              // committed in the window, never handled
	LostIDs      []string `json:"lostIds,omitempty"` // the first few of them
	Errors       int      `json:"errors"`            // failed transactions
	// Unmatched counts events the consumer handled that no writer was
	// waiting for: duplicates, or events of someone else.
	Unmatched  int64  `json:"unmatched"`
	FirstError string `json:"firstError,omitempty"`
	// End-to-end latency: writer begins the transaction → consumer handles it.
	P50, P95, P99, Max, Mean time.Duration `json:"-"`
	// Commit latency: writer begins the transaction → commit returned.
	CommitP50, CommitP95, CommitP99 time.Duration `json:"-"`
	// Delivery latency: commit returned to the writer → consumer handled
	// the event (0 when the consumer was first).
	DeliveryP50, DeliveryP95, DeliveryP99 time.Duration `json:"-"`
	// RoundTrips is client→server round trips per committed event on the
	// writers' pool (BEGIN and COMMIT included, the relay's NOTIFY too).
	RoundTrips float64 `json:"roundTripsPerEvent"`
	// Statements breaks the writers' pool time down by statement.
	Statements []Statement `json:"statements"`
	// CPU during the window, in cores (1.0 = one core busy all the time):
	// this Go process (writers and consumers), the PostgreSQL processes of
	// this database plus the server's shared helpers, and the whole machine;
	// -1 where it could not be read.
	ClientCPU  float64 `json:"clientCpuCores"`
	ServerCPU  float64 `json:"serverCpuCores"`
	MachineCPU float64 `json:"machineCpuCores"`
	Cores      int     `json:"machineCores"`
}

// Statement is the client-side view of one statement of the writers' pool:
// how often per event it ran, and its mean time from send to result
// (network, server work and waits for locks).
type Statement struct {
	SQL      string  `json:"sql"`
	PerEvent float64 `json:"perEvent"`
	MeanMs   float64 `json:"meanMs"`
}

// MarshalJSON adds the latencies in milliseconds.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		plain
		P50Ms       float64 `json:"p50Ms"`
		P95Ms       float64 `json:"p95Ms"`
		P99Ms       float64 `json:"p99Ms"`
		MaxMs       float64 `json:"maxMs"`
		MeanMs      float64 `json:"meanMs"`
		CommitP50Ms float64 `json:"commitP50Ms"`
		CommitP95Ms float64 `json:"commitP95Ms"`
		CommitP99Ms float64 `json:"commitP99Ms"`
		DeliveryP50 float64 `json:"deliveryP50Ms"`
		DeliveryP95 float64 `json:"deliveryP95Ms"`
		DeliveryP99 float64 `json:"deliveryP99Ms"`
	}{plain(r), ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max), ms(r.Mean), ms(r.CommitP50), ms(r.CommitP95), ms(r.CommitP99),
		ms(r.DeliveryP50), ms(r.DeliveryP95), ms(r.DeliveryP99)})
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }

// manager is the acting user of every writer: a MANAGER of territory DE
// may move a lead ACTIVE → REMINDER and back.
func manager() auth.Principal {
	return auth.Principal{UserID: "loadtest-manager", Name: "Load Test", Roles: []auth.Role{auth.RoleManager},
		Territories: []string{"DE"}}
}

// toggle is the status a writer moves a lead to.
func toggle(s lead.Status) lead.Status {
	if s == lead.StatusActive {
		return lead.StatusReminder
	}
	return lead.StatusActive
}

// change is one status change a writer is about to make.
type change struct {
	writer   int
	lead     uuid.UUID
	from, to lead.Status
	at       time.Time // transaction start; also the command's clock value
	key      uuid.UUID // the event's id
}

// txFunc runs the transaction of c; it must not return before commit (or
// failure).
type txFunc func(ctx context.Context, c change) error

type pending struct {
	start    int64 // unix nanos
	measured bool
}

// harness drives the writers and collects what the consumer reports.
type harness struct {
	opts   Options
	design string

	tracker     sync.Map // event id (uuid.UUID) → pending
	handledAt   sync.Map // event id → unix nanos, measured events only
	committedAt sync.Map // event id → unix nanos, measured events only
	outstanding atomic.Int64
	foreign     atomic.Int64

	windowStart, windowEnd int64 // unix nanos; set before writers start

	mu          sync.Mutex
	e2e         *hdrhistogram.Histogram // µs
	commit      *hdrhistogram.Histogram // µs
	handled     int
	lastHandled int64
	committed   int
	completions atomic.Int64 // all commits, for the round-trip ratio
	errors      int
	firstErr    error
}

func newHarness(design string, opts Options) *harness {
	return &harness{opts: opts, design: design,
		e2e:    hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 3),
		commit: hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 3)}
}

// handle is the consumer's report that it handled the event id at now.
func (h *harness) handle(id string, now time.Time) {
	key, err := uuid.Parse(id)
	if err != nil {
		h.foreign.Add(1)
		return
	}
	v, ok := h.tracker.LoadAndDelete(key)
	if !ok {
		h.foreign.Add(1) // not ours, or a duplicate
		return
	}
	h.outstanding.Add(-1)
	p := v.(pending)
	if !p.measured {
		return
	}
	n := now.UnixNano()
	h.handledAt.Store(key, n)
	h.mu.Lock()
	_ = h.e2e.RecordValue(max((n-p.start)/1000, 1))
	h.handled++
	h.lastHandled = max(h.lastHandled, n)
	h.mu.Unlock()
}

// fail records an error outside the writers (a consumer that stopped).
func (h *harness) fail(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errors++
	if h.firstErr == nil {
		h.firstErr = err
	}
}

// run starts the writers at the pace of opts, waits for the consumer to
// catch up, and fills in what the harness measured. tx is called from
// Writers goroutines, each with its own writer index.
func (h *harness) run(ctx context.Context, leads []uuid.UUID, tx txFunc, probe *probe) (Result, error) {
	o := h.opts
	parts := make([][]uuid.UUID, o.Writers)
	for i, id := range leads {
		parts[i%o.Writers] = append(parts[i%o.Writers], id)
	}
	begin := time.Now()
	h.windowStart = begin.Add(o.Warmup).UnixNano()
	h.windowEnd = begin.Add(o.Warmup + o.Duration).UnixNano()

	// CPU and round trips are sampled at the window's edges.
	var cpu0, cpu1 cpuSample
	var rt0, rt1 probeSample
	var done0, done1 int64
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		if !sleepUntil(ctx, time.Unix(0, h.windowStart)) {
			return
		}
		cpu0, rt0, done0 = probe.cpu(ctx), probe.sample(), h.completions.Load()
		if !sleepUntil(ctx, time.Unix(0, h.windowEnd)) {
			return
		}
		cpu1, rt1, done1 = probe.cpu(ctx), probe.sample(), h.completions.Load()
	}()

	var wg sync.WaitGroup
	for w := range o.Writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.writer(ctx, w, parts[w], begin, tx)
		}()
	}
	wg.Wait()
	<-sampled
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}

	// Wait for the consumer to handle every committed event.
	deadline := time.Now().Add(o.Drain)
	for h.outstanding.Load() > 0 && time.Now().Before(deadline) {
		if !sleepUntil(ctx, time.Now().Add(2*time.Millisecond)) {
			return Result{}, ctx.Err()
		}
	}
	lost := 0
	var lostIDs []string
	h.tracker.Range(func(k, v any) bool {
		if v.(pending).measured {
			lost++
			if len(lostIDs) < 10 {
				lostIDs = append(lostIDs, k.(uuid.UUID).String())
			}
		}
		return true
	})

	h.mu.Lock()
	defer h.mu.Unlock()
	window := time.Duration(h.windowEnd - h.windowStart)
	end := max(h.lastHandled, h.windowEnd)
	r := Result{Design: h.design, Writers: o.Writers, TargetRate: o.Rate, Events: h.handled,
		Seconds: time.Duration(end - h.windowStart).Seconds(), Committed: h.committed,
		CommitPerSecond: float64(h.committed) / window.Seconds(),
		DrainSeconds:    time.Duration(max(h.lastHandled-h.windowEnd, 0)).Seconds(),
		Lost:            lost, LostIDs: lostIDs, Errors: h.errors, Unmatched: h.foreign.Load(), Cores: cpu1.cores}
	r.PerSecond = float64(r.Events) / r.Seconds
	if h.firstErr != nil {
		r.FirstError = h.firstErr.Error()
	}
	q := func(hist *hdrhistogram.Histogram, p float64) time.Duration {
		return time.Duration(hist.ValueAtPercentile(p)) * time.Microsecond
	}
	if h.e2e.TotalCount() > 0 {
		r.P50, r.P95, r.P99 = q(h.e2e, 50), q(h.e2e, 95), q(h.e2e, 99)
		r.Max = time.Duration(h.e2e.Max()) * time.Microsecond
		r.Mean = time.Duration(h.e2e.Mean()) * time.Microsecond
	}
	if h.commit.TotalCount() > 0 {
		r.CommitP50, r.CommitP95, r.CommitP99 = q(h.commit, 50), q(h.commit, 95), q(h.commit, 99)
	}
	delivery := hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 3)
	h.committedAt.Range(func(k, v any) bool {
		if done, ok := h.handledAt.Load(k); ok {
			_ = delivery.RecordValue(max((done.(int64)-v.(int64))/1000, 1))
		}
		return true
	})
	if delivery.TotalCount() > 0 {
		r.DeliveryP50, r.DeliveryP95, r.DeliveryP99 = q(delivery, 50), q(delivery, 95), q(delivery, 99)
	}
	r.ClientCPU, r.ServerCPU, r.MachineCPU = -1, -1, -1 // unknown
	if s := window.Seconds(); cpu1.ok && cpu0.ok && cpu1.total > cpu0.total {
		r.ClientCPU = (cpu1.self - cpu0.self).Seconds() / s
		r.MachineCPU = float64(cpu1.busy-cpu0.busy) / float64(cpu1.total-cpu0.total) * float64(cpu1.cores)
		if cpu1.serverProcs > 0 && cpu1.serverProcs == cpu0.serverProcs {
			r.ServerCPU = (cpu1.server - cpu0.server).Seconds() / s
		}
	}
	if n := done1 - done0; n > 0 {
		r.RoundTrips, r.Statements = rt1.minus(rt0, n)
	}
	return r, nil
}

// writer runs change after change on its leads until the window ends,
// paced when opts.Rate is set.
func (h *harness) writer(ctx context.Context, w int, leads []uuid.UUID, begin time.Time, tx txFunc) {
	o := h.opts
	status := make([]lead.Status, len(leads))
	for i := range status {
		status[i] = lead.StatusActive
	}
	var interval time.Duration
	next := begin
	if o.Rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(o.Writers) / float64(o.Rate))
		next = begin.Add(interval * time.Duration(w) / time.Duration(o.Writers)) // stagger the writers
	}
	for i := 0; ; i = (i + 1) % len(leads) {
		if interval > 0 {
			if !sleepUntil(ctx, next) {
				return
			}
			next = next.Add(interval)
			if lag := time.Since(next); lag > time.Second {
				next = time.Now() // far behind: do not burst to catch up
			}
		}
		start := time.Now()
		if start.UnixNano() >= h.windowEnd || ctx.Err() != nil {
			return
		}
		at := start.UTC().Truncate(time.Microsecond)
		c := change{writer: w, lead: leads[i], from: status[i], to: toggle(status[i]), at: at}
		c.key = statusChangedKey(c)
		measured := start.UnixNano() >= h.windowStart
		h.tracker.Store(c.key, pending{start: start.UnixNano(), measured: measured})
		h.outstanding.Add(1)
		err := tx(ctx, c)
		took := time.Since(start)
		if err != nil {
			if _, ok := h.tracker.LoadAndDelete(c.key); ok {
				h.outstanding.Add(-1)
			}
			if ctx.Err() != nil {
				return
			}
			h.mu.Lock()
			h.errors++
			if h.firstErr == nil {
				h.firstErr = fmt.Errorf("writer %d, lead %s %s→%s: %w", w, c.lead, c.from, c.to, err)
			}
			tooMany := h.errors > 100
			h.mu.Unlock()
			if tooMany {
				return // something is broken; the result says so
			}
			continue
		}
		status[i] = c.to
		h.completions.Add(1)
		if measured {
			h.committedAt.Store(c.key, time.Now().UnixNano())
			h.mu.Lock()
			h.committed++
			_ = h.commit.RecordValue(max(took.Microseconds(), 1))
			h.mu.Unlock()
		}
	}
}

// statusChangedKey is the event id lead.Service gives the change.
func statusChangedKey(c change) uuid.UUID {
	return lead.StatusChangedKey(c.lead, string(c.from), string(c.to), c.at)
}

// sleepUntil waits until t; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// openPool opens the writers' pool with a tracer that counts round trips,
// as large as the writers plus the relay and the bus's gauges need.
func openPool(ctx context.Context, opts Options, tr *tracer) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("loadtest: parse url: %w", err)
	}
	cfg.MaxConns = int32(opts.Writers + 2)
	cfg.MinConns = cfg.MaxConns
	cfg.ConnConfig.Tracer = tr
	cfg.ConnConfig.RuntimeParams["application_name"] = "freshplan-loadtest"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("loadtest: connect: %w", err)
	}
	// Open every connection now, so the run does not pay for it.
	conns := make([]*pgxpool.Conn, 0, cfg.MaxConns)
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	for range cfg.MaxConns {
		c, err := pool.Acquire(ctx)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("loadtest: connect: %w", err)
		}
		conns = append(conns, c)
	}
	return pool, nil
}

// fixture inserts n ACTIVE leads of territory DE as the admin connection
// (which bypasses row-level security) and returns their ids.
func fixture(ctx context.Context, pool *pgxpool.Pool, n int) ([]uuid.UUID, error) {
	rows, err := pool.Query(ctx, `INSERT INTO leads (id, company_name, country_code, territory, status, owner_user_id,
		registered_at, created_at, created_by, updated_at, updated_by)
		SELECT gen_random_uuid(), 'Loadtest '||g, 'DE', 'DE', 'ACTIVE', 'loadtest-owner', now(), now(), 'loadtest', now(), 'loadtest'
		FROM generate_series(1, $1) g RETURNING id`, n)
	if err != nil {
		return nil, fmt.Errorf("loadtest: fixture: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("loadtest: fixture: %w", err)
	}
	// Fresh statistics and a clean checkpoint, so both designs start alike.
	for _, sql := range []string{`ANALYZE leads, activities, event_outbox`, `CHECKPOINT`} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			return nil, fmt.Errorf("loadtest: %s: %w", sql, err)
		}
	}
	return ids, nil
}

// prepare is the start of every design's run: options, a traced pool, the
// fixture leads and the harness.
func prepare(ctx context.Context, opts *Options, design string) (*pgxpool.Pool, *tracer, []uuid.UUID, *harness, error) {
	if err := opts.defaults(); err != nil {
		return nil, nil, nil, nil, err
	}
	tr := newTracer()
	pool, err := openPool(ctx, *opts, tr)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	leads, err := fixture(ctx, pool, opts.Leads)
	if err != nil {
		pool.Close()
		return nil, nil, nil, nil, err
	}
	return pool, tr, leads, newHarness(design, *opts), nil
}

// startBus runs the production Bus with the harness as its local consumer
// and waits until it listens; the returned func waits for it to stop after
// ctx ends.
func startBus(ctx context.Context, opts Options, pool *pgxpool.Pool, metrics *metric.Set, h *harness) (func(), error) {
	listener := pgnotify.NewListener(pgnotify.Config{ConnString: opts.URL, ApplicationName: "freshplan-loadtest-" + randomHex(4)})
	bus := event.NewBus(event.Config{}, pool, listener, metrics, opts.Log, time.Now)
	bus.Local("loadtest", func(_ context.Context, d event.Delivered) error {
		h.handle(d.Envelope.ID, time.Now())
		return nil
	})
	done := make(chan error, 1)
	go func() { done <- bus.Run(ctx) }()
	select {
	case <-bus.Reconnected:
		return func() { <-done }, nil
	case err := <-done:
		return nil, fmt.Errorf("loadtest: bus stopped before it connected: %v", err)
	case <-time.After(30 * time.Second):
		return nil, errors.New("loadtest: bus did not connect within 30 s")
	}
}
