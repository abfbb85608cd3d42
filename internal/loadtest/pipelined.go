package loadtest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres"
)

// Pipelined is a prototype, not production code: the pipeline design
// (the real Publisher relay and Bus) with the status-change transaction
// sent in two round trips instead of seven, as DESIGN.md §5 proposes:
//
//	batch 1: BEGIN; scope; SELECT … FOR UPDATE      → Go checks the transition
//	batch 2: UPDATE; INSERT activity; INSERT outbox; COMMIT
//
// It measures what pgx Batch pipelining in internal/postgres and
// internal/lead would gain, before anyone changes them.
func Pipelined(ctx context.Context, opts Options) (Result, error) {
	return pipelined(ctx, opts, "pipelined", 0)
}

// PipelinedCoalesced is Pipelined with a different relay, also a
// prototype: one NOTIFY on one channel at most every gap, so a burst of
// commits costs one notifying transaction and one outbox read instead of
// one per commit, and the notifying transaction commits without waiting
// for its WAL flush (synchronous_commit off for that transaction only).
func PipelinedCoalesced(ctx context.Context, opts Options) (Result, error) {
	return pipelined(ctx, opts, "pipelined+coalesced", 2*time.Millisecond)
}

func pipelined(ctx context.Context, opts Options, design string, gap time.Duration) (Result, error) {
	pool, tr, leads, h, err := prepare(ctx, &opts, design)
	if err != nil {
		return Result{}, err
	}
	defer pool.Close()

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	metrics := metric.New()
	pub := event.NewPublisher(pgnotify.NewRelay(pool), metrics, opts.Log, false, time.Now)
	relayDone := make(chan struct{})
	wake := make(chan struct{}, 1)
	go func() {
		defer close(relayDone)
		if gap > 0 {
			coalescingRelay(rctx, pool, wake, gap, opts)
		} else {
			pub.RunRelay(rctx)
		}
	}()
	stopBus, err := startBus(rctx, opts, pool, metrics, h)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		cancel()
		stopBus()
		<-relayDone
	}()
	probe, err := newProbe(ctx, pool, tr)
	if err != nil {
		return Result{}, fmt.Errorf("loadtest: probe: %w", err)
	}
	p := manager()
	return h.run(ctx, leads, func(ctx context.Context, c change) error {
		if err := pipelinedTx(ctx, pool, p, c); err != nil {
			return err
		}
		if gap > 0 {
			select {
			case wake <- struct{}{}:
			default:
			}
			return nil
		}
		pub.Committed([]event.Event{{Type: lead.TypeStatusChanged, Key: c.key, Subject: c.lead, Topics: []string{lead.TopicDashboard}}})
		return nil
	}, probe)
}

// pipelinedTx is the status change in two round trips.
func pipelinedTx(ctx context.Context, pool *pgxpool.Pool, p auth.Principal, c change) (err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A connection left inside a transaction is rolled back here; were that
	// to fail, the pool destroys a connection released in a transaction.
	defer func() {
		if err != nil && conn.Conn().PgConn().TxStatus() != 'I' {
			_, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
		conn.Release()
	}()

	b1 := &pgx.Batch{}
	b1.Queue("BEGIN")
	postgres.QueueScope(b1, p)
	b1.Queue(naiveLockVersion, c.lead)
	res := conn.SendBatch(ctx, b1)
	var status, company string
	var version int
	_, err = res.Exec()
	if err == nil {
		_, err = res.Exec()
	}
	if err == nil {
		err = res.QueryRow().Scan(&status, &company, &version)
	}
	if cerr := res.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("begin, scope, lock: %w", err)
	}
	if lead.Status(status) != c.from {
		return fmt.Errorf("lead is %s, expected %s", status, c.from)
	}

	version++ // the row is locked: the update makes it exactly this
	env, err := naiveEnvelope(c, company, version, p.UserID)
	if err != nil {
		return err
	}
	var reminder *time.Time
	if c.to == lead.StatusReminder {
		reminder = &c.at
	}
	b2 := &pgx.Batch{}
	b2.Queue(pipelinedUpdate, c.lead, string(c.to), reminder, c.at, p.UserID)
	b2.Queue(naiveActivity, uuid.New(), c.lead, lead.ActivityStatusChange, c.at,
		string(c.from)+" -> "+string(c.to), p.UserID)
	b2.Queue(naiveOutbox, c.key, lead.TypeStatusChanged, c.lead, version, "DE", "loadtest-owner", env)
	b2.Queue("COMMIT")
	res = conn.SendBatch(ctx, b2)
	for i := 0; i < 4 && err == nil; i++ {
		var tag string
		t, e := res.Exec()
		err, tag = e, t.String()
		if err == nil && i == 0 && t.RowsAffected() != 1 {
			err = fmt.Errorf("update touched %d rows", t.RowsAffected())
		}
		if err == nil && i == 3 && !strings.HasPrefix(tag, "COMMIT") {
			err = fmt.Errorf("commit: %s", tag)
		}
	}
	if cerr := res.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("update, insert, commit: %w", err)
	}
	return nil
}

const (
	naiveLockVersion = `SELECT status, company_name, version FROM leads WHERE id = $1 FOR UPDATE`
	pipelinedUpdate  = `UPDATE leads SET version = version + 1, status = $2, reminder_sent_at = $3, updated_at = $4, updated_by = $5 WHERE id = $1`
)

// coalescingRelay sends one hint on one channel per wake-up, at most every
// gap: commits that arrive meanwhile share the next hint.
func coalescingRelay(ctx context.Context, pool *pgxpool.Pool, wake <-chan struct{}, gap time.Duration, opts Options) {
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		}
		if !sleepUntil(ctx, last.Add(gap)) {
			return
		}
		select { // what arrived while sleeping is covered by this hint
		case <-wake:
		default:
		}
		last = time.Now()
		// The hint carries no data: it need not wait for its commit record
		// to reach the disk (a lost hint costs latency only; the poll finds
		// the events), so the listener hears it one WAL flush sooner.
		if _, err := pool.Exec(ctx, `SELECT set_config('synchronous_commit', 'off', true), pg_notify('`+pgnotify.Channel+`', '')`); err != nil && ctx.Err() == nil {
			opts.Log.WarnContext(ctx, "loadtest relay: notify failed", "error", err)
		}
	}
}
