package event_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// outbox is a test database with raw connections that write outbox rows
// in transactions the test opens and commits in the order it needs.
type outbox struct {
	t  *testing.T
	db *pgtest.DB
}

func newOutbox(t *testing.T) *outbox { return &outbox{t: t, db: pgtest.New(t)} }

func (o *outbox) connect() *pgx.Conn {
	o.t.Helper()
	c, err := pgx.Connect(o.t.Context(), o.db.URL)
	require.NoError(o.t, err)
	o.t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// insert writes one row in q's transaction (or its own) and returns its id.
func (o *outbox) insert(q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) int64 {
	o.t.Helper()
	var id int64
	require.NoError(o.t, q.QueryRow(o.t.Context(), `INSERT INTO event_outbox (event_id, type, envelope)
		VALUES ($1, 'x', '{"id":"x"}') RETURNING id`, uuid.New()).Scan(&id))
	return id
}

func (o *outbox) begin(c *pgx.Conn) pgx.Tx {
	o.t.Helper()
	tx, err := c.Begin(o.t.Context())
	require.NoError(o.t, err)
	return tx
}

func (o *outbox) xidOf(id int64) string {
	o.t.Helper()
	var xid string
	require.NoError(o.t, o.db.Pool.QueryRow(o.t.Context(), `SELECT xid::text FROM event_outbox WHERE id = $1`, id).Scan(&xid))
	return xid
}

// pageByOne reads on from cursor with limit 1, through the client cursor
// each time, until a page is empty; it returns the ids read and the last
// cursor.
func pageByOne(t *testing.T, db event.Batcher, cursor string) ([]int64, string) {
	t.Helper()
	var ids []int64
	for range 100 {
		pos, err := event.ParseCursor(cursor)
		require.NoError(t, err, "the server issued %q", cursor)
		page, next, _, err := event.Fetch(t.Context(), db, auth.System(), pos, 1)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), 1)
		cursor = next.Cursor()
		if len(page) == 0 {
			return ids, cursor
		}
		ids = append(ids, page[0].ID)
	}
	t.Fatal("the feed did not end")
	return nil, ""
}

func TestFetchRefusesPositionsTheServerNeverIssued(t *testing.T) {
	t.Parallel()
	o := newOutbox(t)
	reader := o.connect()
	for range 3 {
		o.insert(reader)
	}
	tail, err := event.Tail(t.Context(), reader)
	require.NoError(t, err)
	last := o.xidOf(tail.LastID)
	_, next, _, err := event.Fetch(t.Context(), reader, auth.System(), tail, 10)
	require.NoError(t, err)

	for name, pos := range map[string]event.Position{
		"the start":     {},
		"a bare id":     {LastID: tail.LastID},
		"the tail":      tail,
		"a read's next": next,
	} {
		_, _, _, err := event.Fetch(t.Context(), reader, auth.System(), pos, 10)
		require.NoError(t, err, name)
	}
	for name, pos := range map[string]event.Position{
		"the probe":                        {LastID: math.MaxInt64, Xmax: "1"},
		"an id the sequence never drew":    {LastID: tail.LastID + 1_000_000},
		"an xmax the server never reached": {LastID: tail.LastID, Xmax: fmt.Sprint(uint64(1) << 62)},
		"the last row's xid as running":    {LastID: tail.LastID, Xmax: tail.Xmax, InFlight: []string{last}},
		"the last row's xid from xmax on":  {LastID: tail.LastID, Xmax: last},
		"every xid from 1 on":              {LastID: tail.LastID, Xmax: "1"},
	} {
		events, _, _, err := event.Fetch(t.Context(), reader, auth.System(), pos, 10)
		require.ErrorIs(t, err, event.ErrBadCursor, name)
		require.Empty(t, events, name)
	}
}

// TestLateRowsAreBoundedByTheLimit: a transaction that wrote more rows
// than the limit commits after a reader passed them. The reader gets them
// a page at a time, oldest first, each page within the limit, and none is
// skipped; the rows between that it had read before come again (consumers
// deduplicate), nothing else does.
func TestLateRowsAreBoundedByTheLimit(t *testing.T) {
	t.Parallel()
	o := newOutbox(t)
	reader, bulk := o.connect(), o.connect()
	pos, err := event.Tail(t.Context(), reader)
	require.NoError(t, err)

	tx := o.begin(bulk)
	var late []int64
	for range 5 {
		late = append(late, o.insert(tx))
	}
	early := []int64{o.insert(reader), o.insert(reader), o.insert(reader)}
	first, pos, _, err := event.Fetch(t.Context(), reader, auth.System(), pos, 100)
	require.NoError(t, err)
	require.Equal(t, early, ids(first))
	require.NoError(t, tx.Commit(t.Context()))

	page, pos, more, err := event.Fetch(t.Context(), reader, auth.System(), pos, 2)
	require.NoError(t, err)
	require.Equal(t, late[:2], ids(page), "the oldest late rows first, no more than the limit")
	require.True(t, more)
	seen := map[int64]int{}
	for _, id := range ids(page) {
		seen[id]++
	}
	for range 10 {
		page, pos, _, err = event.Fetch(t.Context(), reader, auth.System(), pos, 2)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), 2)
		if len(page) == 0 {
			break
		}
		for _, id := range ids(page) {
			seen[id]++
		}
	}
	require.Empty(t, page, "the reader comes to an end")
	for _, id := range late {
		require.Equal(t, 1, seen[id], "late row %d", id)
	}
	for id := range seen {
		require.Contains(t, append(late, early...), id)
	}
}

// TestLateCommitArrivesWhenPagingByOne pages by one through client cursors
// issued while a transaction was running: its row arrives once it
// commits, and every row exactly once — whether the snapshot listed the
// transaction as running or it was younger than the snapshot's xmax.
func TestLateCommitArrivesWhenPagingByOne(t *testing.T) {
	t.Parallel()
	t.Run("listed as running", func(t *testing.T) {
		t.Parallel()
		o := newOutbox(t)
		reader, slow := o.connect(), o.connect()
		tail, err := event.Tail(t.Context(), reader)
		require.NoError(t, err)
		tx := o.begin(slow)
		late := o.insert(tx)
		early := []int64{o.insert(reader), o.insert(reader)}

		got, cursor := pageByOne(t, reader, tail.Cursor())
		require.Equal(t, early, got)
		require.NoError(t, tx.Commit(t.Context()))
		got, cursor = pageByOne(t, reader, cursor)
		require.Equal(t, []int64{late}, got)
		got, _ = pageByOne(t, reader, cursor)
		require.Empty(t, got)
	})
	t.Run("younger than xmax", func(t *testing.T) {
		t.Parallel()
		o := newOutbox(t)
		reader, older, younger := o.connect(), o.connect(), o.connect()
		tail, err := event.Tail(t.Context(), reader)
		require.NoError(t, err)
		txA := o.begin(older)
		_, err = txA.Exec(t.Context(), `SELECT pg_current_xact_id()`)
		require.NoError(t, err)
		txB := o.begin(younger)
		idB := o.insert(txB) // the younger xid draws the lower id
		idA := o.insert(txA)
		require.NoError(t, txA.Commit(t.Context()))

		got, cursor := pageByOne(t, reader, tail.Cursor())
		require.Equal(t, []int64{idA}, got)
		require.NoError(t, txB.Commit(t.Context()))
		got, cursor = pageByOne(t, reader, cursor)
		require.Equal(t, []int64{idB}, got)
		got, _ = pageByOne(t, reader, cursor)
		require.Empty(t, got)
	})
	t.Run("committed in order", func(t *testing.T) {
		t.Parallel()
		o := newOutbox(t)
		reader := o.connect()
		var want []int64
		for range 7 {
			want = append(want, o.insert(reader))
		}
		got, _ := pageByOne(t, reader, "")
		require.Equal(t, want, got)
	})
}

// TestBusProcessesALateBulkOnceInSmallBatches: the Bus's own reads are
// bounded too; when a late bulk transaction outnumbers its batch, the rows
// it reads again are dropped by the consumers' dedupe, so every event is
// processed exactly once.
func TestBusProcessesALateBulkOnceInSmallBatches(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	local, shared := newRecorder(t), newRecorder(t)
	f.startBus(t, local, shared, event.Config{BatchSize: 2})

	tx, err := f.db.Pool.Begin(t.Context())
	require.NoError(t, err)
	bulk := make([]event.Event, 5)
	for i := range bulk {
		bulk[i] = sampleEvent("DE", 10)
	}
	require.NoError(t, f.pub.Write(t.Context(), tx, "SYSTEM", bulk...))
	early := f.publish(t, 3)
	local.waitFor(t, early, 5*time.Second)
	shared.waitFor(t, early, 5*time.Second)
	require.NoError(t, tx.Commit(t.Context()))
	f.pub.Committed(bulk)

	var all []string
	for _, e := range bulk {
		all = append(all, e.Key.String())
	}
	local.waitFor(t, all, 5*time.Second)
	shared.waitFor(t, all, 5*time.Second)
	f.barrier(t, local, shared)
	all = append(all, early...)
	local.requireExactlyOnce(t, all)
	shared.requireExactlyOnce(t, all)
	duplicates := f.metrics.EventsConsumed.WithLabelValues(testType, event.Module, "duplicate")
	require.Positive(t, testutil.ToFloat64(duplicates), "the cut read came back over rows it had read")
}

func TestParseCursorTakesOnlyWhatCursorWrites(t *testing.T) {
	list := func(n int) string {
		xids := make([]string, n)
		for i := range xids {
			xids[i] = fmt.Sprint(1000 + i)
		}
		return strings.Join(xids, ",")
	}
	for _, good := range []string{"0", "42", "42~910~", "42~910~901,907", "42~5000~" + list(256)} {
		p, err := event.ParseCursor(good)
		require.NoError(t, err, good)
		require.Equal(t, good, p.Cursor())
	}
	for _, bad := range []string{"042", "+42", "42~0910~", "42~910~0901", "42~910~907,901", "42~910~901,901",
		"42~910~910", "42~910~911", "42~5000~" + list(257), "9223372036854775808", "42~18446744073709551616~"} {
		_, err := event.ParseCursor(bad)
		require.ErrorIs(t, err, event.ErrBadCursor, bad)
	}
}

func ids(events []event.Delivered) []int64 {
	out := make([]int64, len(events))
	for i, d := range events {
		out[i] = d.ID
	}
	return out
}
