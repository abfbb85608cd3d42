package event_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/event"
)

func TestRetentionDeletesOnlyOldProcessedRows(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shared := newRecorder(t)
	_, stop := f.startBus(t, nil, shared, event.Config{})
	old := f.publish(t, 3)
	shared.waitFor(t, old, 5*time.Second)
	f.waitForPosition(t, "recorder-shared", old)
	stop()
	f.db.Exec(t, `UPDATE event_outbox SET created_at = now() - interval '8 days'`)
	// Written after the consumer stopped: old, but not processed yet.
	pending := f.publish(t, 2)
	f.db.Exec(t, `UPDATE event_outbox SET created_at = now() - interval '8 days'`)
	fresh := f.publish(t, 1)

	n, err := event.Retain(t.Context(), f.db.Pool, 7*24*time.Hour, time.Now())
	require.NoError(t, err)
	require.EqualValues(t, 3, n)
	var left []string
	rows, err := f.db.Pool.Query(t.Context(), `SELECT event_id::text FROM event_outbox ORDER BY id`)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		left = append(left, id)
	}
	require.Equal(t, append(pending, fresh...), left, "unprocessed and young events stay")
}

func TestReplayMakesASharedConsumerRedoARange(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shared := newRecorder(t)
	f.startBus(t, nil, shared, event.Config{})
	ids := f.publish(t, 4)
	shared.waitFor(t, ids, 5*time.Second)
	f.waitForPosition(t, "recorder-shared", ids)
	var third int64
	require.NoError(t, f.db.Pool.QueryRow(t.Context(), `SELECT id FROM event_outbox WHERE event_id = $1`, ids[2]).Scan(&third))
	require.Eventually(t, func() bool {
		_, err := event.Replay(t.Context(), f.db.Pool, "recorder-shared", third)
		return err == nil
	}, 5*time.Second, 50*time.Millisecond)
	f.publish(t, 1) // wake up
	require.Eventually(t, func() bool { return shared.count(ids[2]) == 2 && shared.count(ids[3]) == 2 }, 5*time.Second, 20*time.Millisecond)
	require.Equal(t, 1, shared.count(ids[0]))
	require.Equal(t, 1, shared.count(ids[1]))
	_, err := event.Replay(t.Context(), f.db.Pool, "no-such-consumer", 1)
	require.Error(t, err)

	parked, err := event.ListParked(t.Context(), f.db.Pool)
	require.NoError(t, err)
	require.Empty(t, parked)
}

func TestCursorRoundTrip(t *testing.T) {
	for _, p := range []event.Position{{LastID: 0}, {LastID: 42}, {LastID: 42, Xmax: "910"},
		{LastID: 42, Xmax: "910", InFlight: []string{"901", "907"}}} {
		got, err := event.ParseCursor(p.Cursor())
		require.NoError(t, err)
		require.Equal(t, p.LastID, got.LastID)
		require.Equal(t, p.Xmax, got.Xmax)
		require.Equal(t, p.InFlight, got.InFlight)
	}
	for _, bad := range []string{"x", "-1", "1~", "1~a", "1~2", "1~2~a", "1~2~3,,4", "1~2~3~4"} {
		_, err := event.ParseCursor(bad)
		require.ErrorIs(t, err, event.ErrBadCursor, bad)
	}
}

func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"", "0", "42", "42~9~1,2", "42~9~", "~", "1~", "9223372036854775808", "1~18446744073709551616~",
		"9223372036854775807~1~", "42~910~901,907", "042", "+42", "42~9~2,1", "42~9~1,1", "42~9~9", "42~09~", "42~9~1,,2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := event.ParseCursor(s)
		if err != nil {
			require.ErrorIs(t, err, event.ErrBadCursor)
			return
		}
		if s == "" {
			return
		}
		// Only what Cursor writes is taken, so it writes back the same.
		if p.Cursor() != s {
			t.Fatalf("cursor %q reads as %+v, which writes %q", s, p, p.Cursor())
		}
		if len(p.InFlight) > 256 {
			t.Fatalf("cursor %q has %d in-flight xids", s, len(p.InFlight))
		}
		xmax, _ := strconv.ParseUint(p.Xmax, 10, 64)
		prev := uint64(0)
		for i, x := range p.InFlight {
			v, err := strconv.ParseUint(x, 10, 64)
			if err != nil || v >= xmax || (i > 0 && v <= prev) {
				t.Fatalf("cursor %q: in-flight xids not ascending below xmax: %v", s, p.InFlight)
			}
			prev = v
		}
	})
}
