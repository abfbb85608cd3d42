package event_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// terminateListener kills the bus's LISTEN backend, found by its
// application_name, and reports how many it killed.
func terminateListener(t *testing.T, db *pgtest.DB, appName string) int {
	t.Helper()
	var n int
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM (SELECT pg_terminate_backend(pid)
		FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()) k`, appName).Scan(&n))
	return n
}

func TestListenerSurvivesKilledConnectionAndRestart(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	local, shared := newRecorder(t), newRecorder(t)
	bus, stop := f.startBus(t, local, shared, event.Config{BackoffMin: 20 * time.Millisecond})

	// Writers commit continuously while the listener is killed twice, each
	// time after it has delivered some of their events.
	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	writing := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-writing:
					return
				default:
				}
				got := f.publish(t, 1)
				mu.Lock()
				ids = append(ids, got...)
				mu.Unlock()
			}
		}()
	}
	for round := range 2 {
		local.waitForTotal(t, 20*(round+1), 10*time.Second)
		require.Equal(t, 1, terminateListener(t, f.db, f.appName))
		select {
		case <-bus.Reconnected:
		case <-time.After(10 * time.Second):
			t.Fatal("listener did not reconnect")
		}
	}
	local.waitForTotal(t, local.total()+20, 10*time.Second) // writes go on after the reconnect
	close(writing)
	wg.Wait()
	local.waitFor(t, ids, 10*time.Second)
	shared.waitFor(t, ids, 10*time.Second)
	f.barrier(t, local, shared)
	local.requireExactlyOnce(t, ids)
	shared.requireExactlyOnce(t, ids)

	// The whole consumer restarts (new process state): events committed
	// while it was down reach the shared consumer exactly once; the local
	// consumer of the new process starts at the tail.
	f.waitForPosition(t, "recorder-shared", ids)
	stop()
	down := f.publish(t, 20)
	shared2, local2 := newRecorder(t), newRecorder(t)
	f.startBus(t, local2, shared2, event.Config{})
	shared2.waitFor(t, down, 10*time.Second)
	after := f.publish(t, 5)
	local2.waitFor(t, after, 5*time.Second)
	shared2.waitFor(t, after, 5*time.Second)
	f.barrier(t, local2, shared2)
	shared2.requireExactlyOnce(t, append(down, after...))
	local2.requireExactlyOnce(t, after)
	for _, id := range append(ids, down...) {
		require.Zero(t, local2.count(id), "the restarted local consumer starts at the tail")
	}
	for _, id := range ids {
		require.Zero(t, shared2.count(id), "the restarted shared consumer does not redo old work")
	}
}

func TestDuplicateDeliveryIsProcessedOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shared := newRecorder(t)
	f.startBus(t, nil, shared, event.Config{})
	ids := f.publish(t, 3)
	shared.waitFor(t, ids, 5*time.Second)

	f.waitForPosition(t, "recorder-shared", ids)
	// Rewind the durable position, as an overlap after a crash would: the
	// same events are delivered again and skipped by their keys.
	f.db.Exec(t, `UPDATE event_consumer SET last_id = 0, in_flight = '{}', snapshot_xmax = NULL`)
	more := f.publish(t, 1) // wakes the consumer
	shared.waitFor(t, more, 5*time.Second)
	f.barrier(t, shared)
	shared.requireExactlyOnce(t, append(ids, more...))
	require.Equal(t, float64(3), testutil.ToFloat64(f.metrics.EventsConsumed.WithLabelValues(testType, event.Module, "duplicate")))
}

func TestTwoReplicasShareTheWork(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shared := newRecorder(t)
	f.startBus(t, nil, shared, event.Config{}, f.appName+"-a")
	f.startBus(t, nil, shared, event.Config{}, f.appName+"-b")
	var ids []string
	for range 10 {
		ids = append(ids, f.publish(t, 10)...)
	}
	shared.waitFor(t, ids, 10*time.Second)
	f.barrier(t, shared)
	shared.requireExactlyOnce(t, ids)
}

func TestFailingEventIsParkedAndTheRestGoesOn(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ok := newRecorder(t)
	bad := f.publish(t, 1)[0]
	cfg := event.Config{RetryAttempts: 3, RetryBackoff: time.Millisecond}
	bus := event.NewBus(cfg, f.db.Pool, pgnotify.NewListener(pgnotify.Config{ConnString: f.db.URL, ApplicationName: f.appName}),
		f.metrics, f.log, time.Now)
	var attempts int
	var mu sync.Mutex
	bus.Shared("picky", func(ctx context.Context, tx pgx.Tx, d event.Delivered) error {
		if d.Envelope.ID == bad {
			mu.Lock()
			attempts++
			mu.Unlock()
			panic("cannot handle this one")
		}
		return ok.shared(ctx, tx, d)
	})
	f.run(t, bus)
	good := f.publish(t, 3)
	ok.waitFor(t, good, 5*time.Second)
	mu.Lock()
	require.Equal(t, 3, attempts)
	mu.Unlock()
	var parked int
	require.Eventually(t, func() bool {
		return f.db.Pool.QueryRow(t.Context(), `SELECT attempts FROM parked_event WHERE consumer = 'picky' AND event_id = $1`, bad).Scan(&parked) == nil
	}, 5*time.Second, 20*time.Millisecond, "the failing event is parked")
	require.Equal(t, 3, parked)
	require.Equal(t, float64(1), testutil.ToFloat64(f.metrics.EventsConsumed.WithLabelValues(testType, event.Module, "failure")))
	require.NoError(t, bus.Probe(t.Context()))
	require.Equal(t, float64(1), testutil.ToFloat64(f.metrics.ParkedEvents.WithLabelValues("picky")), "the parked gauge counts it")
}

func TestDisabledConsumersCountAndSkip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	local, shared := newRecorder(t), newRecorder(t)
	f.startBus(t, local, shared, event.Config{Disabled: true})
	ids := f.publish(t, 4)
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(f.metrics.EventsConsumed.WithLabelValues(testType, event.Module, "disabled")) == 8
	}, 5*time.Second, 20*time.Millisecond, "local and shared count every event as disabled")
	for _, id := range ids {
		require.Zero(t, local.count(id))
		require.Zero(t, shared.count(id))
	}
	var stored int
	require.NoError(t, f.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM event_outbox`).Scan(&stored))
	require.Equal(t, 4, stored, "events are still stored")
}

func TestUnauthenticatedPublishIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	err := postgres.InTx(t.Context(), f.db.Pool, auth.System(), func(tx pgx.Tx) error {
		return f.pub.Write(t.Context(), tx, "", sampleEvent("DE", 1))
	})
	require.ErrorIs(t, err, event.ErrUnauthenticated)
	require.Equal(t, float64(1), testutil.ToFloat64(f.metrics.EventsPublished.WithLabelValues(testType, event.Module, "unauthenticated")))

	open := event.NewPublisher(f.relay, f.metrics, f.log, true, time.Now)
	require.NoError(t, postgres.InTx(t.Context(), f.db.Pool, auth.System(), func(tx pgx.Tx) error {
		return open.Write(t.Context(), tx, "", sampleEvent("DE", 1))
	}), "allowed only with the tests-only switch")
}

// TestLongTransactionElsewhereDoesNotDelayDelivery holds a transaction
// (with an xid) open in another database of the same server, which pins
// the server-wide xmin, and checks that events written one after another
// keep arriving within a second while only the durable watermark stands
// still.
func TestLongTransactionElsewhereDoesNotDelayDelivery(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := pgtest.New(t)
	tx, err := other.Pool.Begin(t.Context())
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(context.Background()) }()
	var pinned string
	require.NoError(t, tx.QueryRow(t.Context(), `SELECT pg_current_xact_id()::text`).Scan(&pinned))

	shared := newRecorder(t)
	f.startBus(t, nil, shared, event.Config{})
	var worst time.Duration
	for range 30 {
		start := time.Now()
		ids := f.publish(t, 1)
		shared.waitFor(t, ids, 5*time.Second)
		worst = max(worst, time.Since(start))
	}
	require.Less(t, worst, time.Second, "delivery was delayed by a transaction in another database")
	var watermark, stillPinned string
	require.NoError(t, f.db.Pool.QueryRow(t.Context(), `SELECT watermark::text FROM event_consumer`).Scan(&watermark))
	require.NoError(t, tx.QueryRow(t.Context(), `SELECT pg_current_xact_id()::text`).Scan(&stillPinned))
	require.Equal(t, pinned, stillPinned, "the long transaction is still open")
	require.LessOrEqual(t, watermark, pinned, "the watermark waits for the long transaction")
	t.Logf("30 events past an open transaction; slowest delivery %s; watermark %s <= pinned xid %s", worst, watermark, pinned)
}

// waitForPosition waits until consumer has committed a position past the
// events with these ids (the handler runs before its transaction commits).
func (f *fixture) waitForPosition(t *testing.T, consumer string, ids []string) {
	t.Helper()
	require.Eventually(t, func() bool {
		var passed bool
		err := f.db.Pool.QueryRow(t.Context(), `SELECT c.last_id >= (SELECT max(id) FROM event_outbox WHERE event_id::text = ANY ($2))
			FROM event_consumer c WHERE c.name = $1`, consumer, ids).Scan(&passed)
		return err == nil && passed
	}, 10*time.Second, 10*time.Millisecond, "consumer %s did not commit its position", consumer)
}

// TestLagCountsOnlyWhatThisReplicaHasNotRead: a replica starts at the tail,
// so the events written before it started are not its lag, and readiness
// must not report a backlog after every deploy.
func TestLagCountsOnlyWhatThisReplicaHasNotRead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.publish(t, 5)
	local := newRecorder(t)
	bus, stop := f.startBus(t, local, nil, event.Config{})
	require.NoError(t, bus.Probe(t.Context()))
	require.Zero(t, testutil.ToFloat64(f.metrics.OutboxLag))
	_, data := bus.Health(t.Context())
	require.Equal(t, true, data["caughtUp"])
	require.EqualValues(t, 0, data["lagEvents"])

	// Read, then written while the bus is stopped: only these are its lag.
	ids := f.publish(t, 3)
	local.waitFor(t, ids, 5*time.Second)
	stop()
	f.publish(t, 2)
	require.NoError(t, bus.Probe(t.Context()))
	require.Equal(t, float64(2), testutil.ToFloat64(f.metrics.OutboxLag))
}

// TestASharedConsumerPassesOverTheTypesItIgnores: events of an ignored
// type (a consumer's own announcements) never reach its handler and leave
// no processed key, while the events around them are handled once.
func TestASharedConsumerPassesOverTheTypesItIgnores(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rec := newRecorder(t)
	bus := event.NewBus(event.Config{}, f.db.Pool, pgnotify.NewListener(pgnotify.Config{ConnString: f.db.URL, ApplicationName: f.appName}),
		f.metrics, f.log, time.Now)
	bus.Shared("announcer", rec.shared, "test.announced")
	f.run(t, bus)
	before := f.publish(t, 2)
	var ignored []string
	for range 3 {
		e := sampleEvent("DE", 10)
		e.Type = "test.announced"
		require.NoError(t, postgres.InTx(context.Background(), f.db.Pool, auth.System(), func(tx pgx.Tx) error {
			return f.pub.Write(context.Background(), tx, "SYSTEM", e)
		}))
		f.pub.Committed([]event.Event{e})
		ignored = append(ignored, e.Key.String())
	}
	after := f.publish(t, 2)
	rec.waitFor(t, append(before, after...), 10*time.Second)
	for _, id := range ignored {
		require.Zero(t, rec.count(id), "an ignored event reached the handler")
	}
	for _, id := range append(before, after...) {
		require.Equal(t, 1, rec.count(id))
	}
	// The handler ran inside the batch's transaction: wait for its commit.
	var keys int
	require.Eventually(t, func() bool {
		require.NoError(t, f.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM processed_event WHERE consumer = 'announcer'`).Scan(&keys))
		return keys >= 4
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, 4, keys, "the ignored events left processed keys")
}
