package event

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/maypok86/otter/v2/stats"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres"
)

// Config tunes the Bus; zero values take the defaults.
type Config struct {
	PollInterval time.Duration // safety net for a lost hint (1 s)
	BackoffMin   time.Duration // first reconnect delay (100 ms)
	BackoffMax   time.Duration // reconnect delay cap (10 s)
	BatchSize    int           // rows per read (1000)
	// SharedBatchSize is how many events a shared consumer takes into one
	// transaction (500). Each transaction costs its lock, read, position
	// and commit, so larger batches keep up with more (at 1M leads and 200
	// events/s beside 1,000 streams: 50 fell seconds behind, 200 and 500
	// kept up); the limit bounds how long one runs and how many versions of
	// the rows it updates again and again it leaves until it ends.
	SharedBatchSize int
	RetryAttempts   int           // tries before an event is parked (3)
	RetryBackoff    time.Duration // first retry delay (50 ms)
	DisconnectGrace time.Duration // how long a lost connection is tolerated by readiness (15 s)
	// Disabled is features.events.cross-module.enabled=false: events are
	// stored and counted as disabled, nothing is processed.
	Disabled bool
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.PollInterval, time.Second)
	def(&c.BackoffMin, 100*time.Millisecond)
	def(&c.BackoffMax, 10*time.Second)
	def(&c.RetryBackoff, 50*time.Millisecond)
	def(&c.DisconnectGrace, 15*time.Second)
	if c.BatchSize <= 0 {
		c.BatchSize = 1000
	}
	if c.SharedBatchSize <= 0 {
		c.SharedBatchSize = 500
	}
	if c.RetryAttempts <= 0 {
		c.RetryAttempts = 3
	}
}

// Bus reads the outbox for this replica and hands events to its consumers.
// It keeps the position, deduplicates and dispatches; the hints that wake
// it come from a Listener.
type Bus struct {
	cfg      Config
	pool     *pgxpool.Pool
	listener Listener
	metrics  *metric.Set
	log      *slog.Logger
	now      func() time.Time
	dedupe   *dedupe
	stats    *statsCounter

	local  []*localConsumer
	shared []*sharedConsumer
	pub    *Publisher // writes what shared consumers emit

	pos            Position // owned by the listener goroutine
	connected      atomic.Bool
	caughtUp       atomic.Bool // the first catch-up after start is done
	disconnectedAt atomic.Int64
	lastID         atomic.Int64
	lagEvents      atomic.Int64 // measured by Probe
	sharedWake     chan struct{}
	// Reconnected is signalled after each (re)connect and catch-up; tests wait on it.
	Reconnected chan struct{}
}

// NewBus returns a Bus woken by l; register consumers before Run. now is the clock.
func NewBus(cfg Config, pool *pgxpool.Pool, l Listener, metrics *metric.Set, log *slog.Logger, now func() time.Time) *Bus {
	cfg.defaults()
	sc := &statsCounter{counter: stats.NewCounter()}
	b := &Bus{cfg: cfg, pool: pool, listener: l, metrics: metrics, log: log, now: now, stats: sc,
		dedupe: newDedupe(200_000, time.Hour, sc), sharedWake: make(chan struct{}, 1), Reconnected: make(chan struct{}, 16)}
	b.disconnectedAt.Store(now().UnixNano())
	return b
}

type statsCounter struct{ counter *stats.Counter }

// Local registers an in-memory consumer run by every replica.
func (b *Bus) Local(name string, h LocalHandler) { b.local = append(b.local, &localConsumer{name, h}) }

// Shared registers a consumer whose effects exactly one replica performs.
// Events of the types in ignore are passed over without a savepoint or a
// processed key (a consumer's own announcements, as many as it handles).
func (b *Bus) Shared(name string, h SharedHandler, ignore ...string) {
	b.SharedBatch(name, eachOf(h), ignore...)
}

// SharedBatch registers a shared consumer that takes a batch's events at
// once.
func (b *Bus) SharedBatch(name string, h SharedBatchHandler, ignore ...string) {
	b.shared = append(b.shared, &sharedConsumer{name: name, h: h, ignore: ignore})
}

// Emitting lets shared consumers emit events (Emit), written with pub.
func (b *Bus) Emitting(pub *Publisher) { b.pub = pub }

// Run listens and dispatches until ctx ends.
func (b *Bus) Run(ctx context.Context) error {
	go b.runShared(ctx)
	first := true
	attempt := 0
	for {
		err := b.session(ctx, &first, &attempt)
		if ctx.Err() != nil {
			return nil
		}
		b.setConnected(false)
		delay := min(b.cfg.BackoffMin<<min(attempt, 16), b.cfg.BackoffMax)
		attempt++
		b.log.WarnContext(ctx, "event listener disconnected; reconnecting", "error", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
	}
}

func (b *Bus) setConnected(up bool) {
	if up {
		b.metrics.ListenerUp.Set(1)
	} else if b.connected.Load() {
		b.disconnectedAt.Store(b.now().UnixNano())
		b.metrics.ListenerUp.Set(0)
	}
	b.connected.Store(up)
}

// session is one subscription's life: listen, then catch up, then wait —
// in that order, so nothing committed between the two is missed.
func (b *Bus) session(ctx context.Context, first *bool, attempt *int) error {
	sub, err := b.listener.Listen(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = sub.Close(context.WithoutCancel(ctx)) }()
	if *first {
		// Local consumers start from the tail: they hold in-memory state
		// that begins with this process.
		if b.pos, err = Tail(ctx, b.pool); err != nil {
			return err
		}
		*first = false
	}
	if err := b.drain(ctx, b.now()); err != nil {
		return err
	}
	b.caughtUp.Store(true)
	b.setConnected(true)
	*attempt = 0
	b.log.InfoContext(ctx, "event listener connected")
	select {
	case b.Reconnected <- struct{}{}:
	default:
	}
	for {
		err := sub.Wait(ctx, b.cfg.PollInterval)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return err
		}
		// A hint or the poll: read what is new.
		if err := b.drain(ctx, b.now()); err != nil {
			return err
		}
	}
}

// drain reads until nothing new is left and dispatches every event.
func (b *Bus) drain(ctx context.Context, received time.Time) error {
	for {
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		events, next, more, err := Fetch(fctx, b.pool, auth.System(), b.pos, b.cfg.BatchSize)
		cancel()
		if err != nil {
			return err
		}
		b.pos = next
		b.lastID.Store(next.LastID)
		for _, d := range events {
			b.dispatch(ctx, d, received)
		}
		if len(events) > 0 && len(b.shared) > 0 {
			select {
			case b.sharedWake <- struct{}{}:
			default:
			}
		}
		if !more {
			return nil
		}
	}
}

func (b *Bus) dispatch(ctx context.Context, d Delivered, received time.Time) {
	if b.cfg.Disabled {
		b.metrics.EventsConsumed.WithLabelValues(d.Type, Module, "disabled").Inc()
		return
	}
	for _, c := range b.local {
		b.runLocal(ctx, c, d, received)
	}
}

// Health reports the listener for readiness: DOWN once it has been
// disconnected for longer than the grace period.
func (b *Bus) Health(ctx context.Context) (up bool, data map[string]any) {
	connected := b.connected.Load()
	down := b.now().Sub(time.Unix(0, b.disconnectedAt.Load()))
	up = connected || down < b.cfg.DisconnectGrace
	return up, map[string]any{"connected": connected, "caughtUp": b.caughtUp.Load(), "lagEvents": b.lagEvents.Load()}
}

// Probe refreshes the Bus's polled gauges: the dedupe cache, this replica's
// lag and the parked events per consumer. It is a metric.Probe.
func (b *Bus) Probe(ctx context.Context) error {
	s := b.stats.counter.Snapshot()
	b.metrics.DedupeEntries.Set(float64(b.dedupe.cache.EstimatedSize()))
	b.metrics.DedupeHitRate.Set(s.HitRatio())
	// Before the first catch-up this replica has read nothing on purpose
	// (it starts at the tail): what lies behind that is not its lag.
	if b.caughtUp.Load() {
		lag, err := b.lag(ctx)
		if err != nil {
			return err
		}
		b.lagEvents.Store(lag)
		b.metrics.OutboxLag.Set(float64(lag))
	}
	return b.probeParked(ctx)
}

// lag counts the committed events this replica has not read yet.
func (b *Bus) lag(ctx context.Context) (int64, error) {
	var n int64
	err := postgres.InTx(ctx, b.pool, auth.System(), func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM event_outbox WHERE id > $1`, b.lastID.Load()).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("event: lag: %w", err)
	}
	return n, nil
}

// probeParked sets freshplan_parked_events for every consumer of this Bus,
// zero included, so an alert can tell "none parked" from "not measured".
func (b *Bus) probeParked(ctx context.Context) error {
	counts, err := CountParked(ctx, b.pool)
	if err != nil {
		return err
	}
	for _, c := range b.local {
		b.metrics.ParkedEvents.WithLabelValues(c.name).Set(float64(counts[c.name]))
	}
	for _, c := range b.shared {
		b.metrics.ParkedEvents.WithLabelValues(c.name).Set(float64(counts[c.name]))
	}
	return nil
}
