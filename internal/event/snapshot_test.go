package event_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// TestYoungerRunningTransactionIsNotSkipped: a snapshot lists running
// transactions only below its xmax (latest completed xid + 1). B takes an
// xid after A, draws a lower outbox id than A, and is still running when
// A's commit is read; its row must still arrive after it commits.
func TestYoungerRunningTransactionIsNotSkipped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	connect := func() *pgx.Conn {
		c, err := pgx.Connect(ctx, db.URL)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close(ctx) })
		return c
	}
	reader, a, b := connect(), connect(), connect()
	insert := `INSERT INTO event_outbox (event_id, type, envelope) VALUES ($1, 'x', '{"id":"x"}') RETURNING id`
	pos, err := event.Tail(ctx, reader)
	require.NoError(t, err)

	txA, err := a.Begin(ctx)
	require.NoError(t, err)
	_, err = txA.Exec(ctx, `SELECT pg_current_xact_id()`) // A takes the older xid
	require.NoError(t, err)
	txB, err := b.Begin(ctx)
	require.NoError(t, err)
	var idA, idB int64
	require.NoError(t, txB.QueryRow(ctx, insert, uuid.New()).Scan(&idB)) // B: younger xid, lower id
	require.NoError(t, txA.QueryRow(ctx, insert, uuid.New()).Scan(&idA))
	require.Less(t, idB, idA)
	require.NoError(t, txA.Commit(ctx))

	first, next, _, err := event.Fetch(ctx, reader, auth.System(), pos, 100)
	require.NoError(t, err)
	require.Len(t, first, 1)
	require.Equal(t, idA, first[0].ID)

	require.NoError(t, txB.Commit(ctx))
	second, next, _, err := event.Fetch(ctx, reader, auth.System(), next, 100)
	require.NoError(t, err)
	require.Len(t, second, 1, "the younger transaction's row arrives once it commits")
	require.Equal(t, idB, second[0].ID)

	third, _, _, err := event.Fetch(ctx, reader, auth.System(), next, 100)
	require.NoError(t, err)
	require.Empty(t, third, "and only once")

	// The same through a client cursor.
	again, err := event.ParseCursor(next.Cursor())
	require.NoError(t, err)
	fourth, _, _, err := event.Fetch(ctx, reader, auth.System(), again, 100)
	require.NoError(t, err)
	require.Empty(t, fourth)
}
