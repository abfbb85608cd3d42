package event_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// recorder is a consumer that counts what it processed, per event id, and
// checks every envelope with the CloudEvents SDK.
type recorder struct {
	t    testing.TB
	mu   sync.Mutex
	seen map[string]int
	raw  map[string][]byte
	ch   chan string
}

func newRecorder(t testing.TB) *recorder {
	return &recorder{t: t, seen: map[string]int{}, raw: map[string][]byte{}, ch: make(chan string, 10000)}
}

func (r *recorder) record(d event.Delivered) {
	var ce cloudevents.Event
	if err := json.Unmarshal(d.Raw, &ce); err != nil {
		r.t.Errorf("envelope %s is not a CloudEvent: %v", d.Raw, err)
	} else if err := ce.Validate(); err != nil {
		r.t.Errorf("envelope %s is not valid: %v", d.Raw, err)
	}
	r.mu.Lock()
	r.seen[d.Envelope.ID]++
	r.raw[d.Envelope.ID] = d.Raw
	r.mu.Unlock()
	r.ch <- d.Envelope.ID
}

func (r *recorder) local(_ context.Context, d event.Delivered) error { r.record(d); return nil }

func (r *recorder) shared(_ context.Context, _ pgx.Tx, d event.Delivered) error {
	r.record(d)
	return nil
}

func (r *recorder) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[id]
}

// waitFor waits until every id was processed at least once.
func (r *recorder) waitFor(t testing.TB, ids []string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		missing := 0
		for _, id := range ids {
			if r.count(id) == 0 {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		select {
		case <-r.ch:
		case <-deadline:
			t.Fatalf("%d of %d events not processed within %s", missing, len(ids), within)
		}
	}
}

// total is how many deliveries the recorder has seen.
func (r *recorder) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.seen {
		n += c
	}
	return n
}

// waitForTotal waits until the recorder has seen at least n deliveries.
func (r *recorder) waitForTotal(t testing.TB, n int, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for r.total() < n {
		select {
		case <-r.ch:
		case <-deadline:
			t.Fatalf("%d of %d deliveries within %s", r.total(), n, within)
		}
	}
}

func (r *recorder) requireExactlyOnce(t testing.TB, ids []string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		require.Equal(t, 1, r.seen[id], "event %s", id)
	}
}

// testType is the event type of the fixture's events: the package moves
// envelopes of any domain.
const testType = "test.happened"

type fixture struct {
	db      *pgtest.DB
	metrics *metric.Set
	pub     *event.Publisher
	relay   *countingRelay
	appName string
	log     *slog.Logger
}

// countingRelay is the PostgreSQL relay, counting the hints it sends.
type countingRelay struct {
	*pgnotify.Relay
	mu    sync.Mutex
	hints int
}

func (r *countingRelay) Notify(ctx context.Context, topics []string) error {
	r.mu.Lock()
	r.hints++
	r.mu.Unlock()
	return r.Relay.Notify(ctx, topics)
}

func (r *countingRelay) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hints
}

func newFixture(t testing.TB) *fixture {
	db := pgtest.New(t)
	m := metric.New()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	relay := &countingRelay{Relay: pgnotify.NewRelay(db.Pool)}
	f := &fixture{db: db, metrics: m, log: log, appName: "freshplan-listener-" + db.Name, relay: relay,
		pub: event.NewPublisher(relay, m, log, false, time.Now)}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go f.pub.RunRelay(ctx)
	return f
}

// startBus runs a bus with the recorder as local and shared consumer on a
// LISTEN connection named appName (default the fixture's), and waits until
// it listens.
func (f *fixture) startBus(t testing.TB, local, shared *recorder, cfg event.Config, appName ...string) (*event.Bus, context.CancelFunc) {
	t.Helper()
	name := f.appName
	if len(appName) > 0 {
		name = appName[0]
	}
	l := pgnotify.NewListener(pgnotify.Config{ConnString: f.db.URL, ApplicationName: name})
	bus := event.NewBus(cfg, f.db.Pool, l, f.metrics, f.log, time.Now)
	if local != nil {
		bus.Local("recorder", local.local)
	}
	if shared != nil {
		bus.Shared("recorder-shared", shared.shared)
	}
	return bus, f.run(t, bus)
}

// run starts bus and waits until it has caught up and listens.
func (f *fixture) run(t testing.TB, bus *event.Bus) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = bus.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-bus.Reconnected:
	case <-time.After(10 * time.Second):
		t.Fatal("bus did not connect")
	}
	return func() { cancel(); <-done }
}

func sampleEvent(territory string, size int) event.Event {
	id := uuid.New()
	return event.Event{Type: testType, Key: uuid.New(), Subject: id, SubjectVersion: 2,
		Audience: event.Audience{Territory: territory, Owner: "anna"}, Topics: []string{"test_topic"},
		Time: time.Now(), Data: map[string]any{"subjectId": id, "note": strings.Repeat("x", size)}}
}

// publish commits n events, one transaction each, and returns their ids.
func (f *fixture) publish(t testing.TB, n int) []string {
	t.Helper()
	ids := make([]string, 0, n)
	for range n {
		e := sampleEvent("DE", 10)
		require.NoError(t, postgres.InTx(context.Background(), f.db.Pool, auth.System(), func(tx pgx.Tx) error {
			return f.pub.Write(context.Background(), tx, "SYSTEM", e)
		}))
		f.pub.Committed([]event.Event{e})
		ids = append(ids, e.Key.String())
	}
	return ids
}

// barrier commits one more event and waits until every recorder processed
// it. Consumers read in outbox order, so whatever a recorder would receive
// again from earlier reads has arrived by then: a wrong second delivery
// shows without sleeping.
func (f *fixture) barrier(t testing.TB, recs ...*recorder) {
	t.Helper()
	ids := f.publish(t, 1)
	for _, r := range recs {
		r.waitFor(t, ids, 10*time.Second)
	}
}

func TestCommitIsProcessedOnceRollbackNever(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r, sh := newRecorder(t), newRecorder(t)
	f.startBus(t, r, sh, event.Config{})

	rolledBack := sampleEvent("DE", 10)
	err := postgres.InTx(t.Context(), f.db.Pool, auth.System(), func(tx pgx.Tx) error {
		require.NoError(t, f.pub.Write(t.Context(), tx, "SYSTEM", rolledBack))
		return fmt.Errorf("business rule failed")
	})
	require.Error(t, err)

	ids := f.publish(t, 5)
	r.waitFor(t, ids, 5*time.Second)
	sh.waitFor(t, ids, 5*time.Second)
	f.barrier(t, r, sh)
	r.requireExactlyOnce(t, ids)
	sh.requireExactlyOnce(t, ids)
	require.Zero(t, sh.count(rolledBack.Key.String()))
	require.Zero(t, r.count(rolledBack.Key.String()))
	var rows int
	require.NoError(t, f.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM event_outbox WHERE event_id = $1`, rolledBack.Key).Scan(&rows))
	require.Zero(t, rows, "a rolled-back transaction leaves no outbox row")
	// local and shared consumer: two processings per event, the barrier's too
	success := f.metrics.EventsConsumed.WithLabelValues(testType, event.Module, "success")
	require.Eventually(t, func() bool { return testutil.ToFloat64(success) == 12 }, 5*time.Second, 5*time.Millisecond,
		"counted %v", testutil.ToFloat64(success))
}

func TestRollbackSendsNoNotification(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	conn, err := pgx.Connect(t.Context(), f.db.URL)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(t.Context(), "LISTEN "+pgnotify.Channel+"; LISTEN test_topic")
	require.NoError(t, err)

	_ = postgres.InTx(t.Context(), f.db.Pool, auth.System(), func(tx pgx.Tx) error {
		require.NoError(t, f.pub.Write(t.Context(), tx, "SYSTEM", sampleEvent("DE", 1)))
		return fmt.Errorf("rollback")
	})
	f.publish(t, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	var channels []string
	for range 2 {
		n, err := conn.WaitForNotification(ctx)
		require.NoError(t, err, "a commit is hinted on the events channel and its topic")
		require.Empty(t, n.Payload, "the hint carries no data")
		channels = append(channels, n.Channel)
	}
	require.ElementsMatch(t, []string{pgnotify.Channel, "test_topic"}, channels)
	require.Equal(t, 1, f.relay.count(), "one hint for the commit, none for the rollback")
}

func TestOutOfOrderCommitsAreAllDelivered(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r, sh := newRecorder(t), newRecorder(t)
	f.startBus(t, r, sh, event.Config{})
	ctx := t.Context()

	txs := make([]pgx.Tx, 4)
	events := make([]event.Event, 4)
	for i := range txs {
		var err error
		txs[i], err = f.db.Pool.Begin(ctx)
		require.NoError(t, err)
		events[i] = sampleEvent("DE", 10)
		require.NoError(t, f.pub.Write(ctx, txs[i], "SYSTEM", events[i]))
	}
	// Commit in reverse order (the last inserted first), rolling back one.
	var committed []string
	for i := 3; i >= 0; i-- {
		if i == 2 {
			require.NoError(t, txs[i].Rollback(ctx))
			continue
		}
		require.NoError(t, txs[i].Commit(ctx))
		f.pub.Committed(events[i : i+1])
		committed = append(committed, events[i].Key.String())
		// The listener reads between commits: each arrives while the
		// older transactions are still open.
		r.waitFor(t, committed[len(committed)-1:], 5*time.Second)
	}
	sh.waitFor(t, committed, 5*time.Second)
	f.barrier(t, r, sh)
	r.requireExactlyOnce(t, committed)
	sh.requireExactlyOnce(t, committed)
	require.Zero(t, r.count(events[2].Key.String()))
}

func TestLargeEventIsDeliveredWhole(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r, sh := newRecorder(t), newRecorder(t)
	f.startBus(t, r, sh, event.Config{})
	e := sampleEvent("DE", 100*1024)
	require.NoError(t, postgres.InTx(t.Context(), f.db.Pool, auth.System(), func(tx pgx.Tx) error {
		return f.pub.Write(t.Context(), tx, "SYSTEM", e)
	}))
	f.pub.Committed([]event.Event{e})
	r.waitFor(t, []string{e.Key.String()}, 5*time.Second)
	r.mu.Lock()
	raw := r.raw[e.Key.String()]
	r.mu.Unlock()
	var env event.Envelope
	require.NoError(t, json.Unmarshal(raw, &env))
	var data map[string]any
	require.NoError(t, json.Unmarshal(env.Data, &data))
	require.Len(t, data["note"], 100*1024)
}
