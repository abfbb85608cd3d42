package event_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
)

// A connection that read the outbox while it was empty and never analyzed
// (a new deployment) still reads only what is new once the outbox holds
// thousands of rows: no plan it kept from then scans the outbox whole.
func TestAFetchReadsOnlyWhatIsNewWhateverTheConnectionPlannedBefore(t *testing.T) {
	t.Parallel()
	o := newOutbox(t)
	ctx := t.Context()
	conn := o.connect()
	pos, err := event.Tail(ctx, conn)
	require.NoError(t, err)
	// More than five runs: the server settles on a generic plan after five.
	for range 8 {
		_, pos, _, err = event.Fetch(ctx, conn, auth.System(), pos, 1000)
		require.NoError(t, err)
	}
	_, err = o.db.Pool.Exec(ctx, `INSERT INTO event_outbox (event_id, type, envelope)
		SELECT gen_random_uuid(), 'x', '{"id":"x"}' FROM generate_series(1, 20000)`)
	require.NoError(t, err)
	tail, err := event.Tail(ctx, o.db.Pool)
	require.NoError(t, err)

	tx := o.begin(conn)
	defer func() { _ = tx.Rollback(ctx) }()
	events, _, _, err := event.Fetch(ctx, tx, auth.System(), tail, 1000)
	require.NoError(t, err)
	require.Empty(t, events, "nothing after the tail")
	var seq, fetched int64
	require.NoError(t, tx.QueryRow(ctx, `SELECT coalesce(seq_tup_read, 0), coalesce(idx_tup_fetch, 0)
		FROM pg_stat_xact_user_tables WHERE relname = 'event_outbox'`).Scan(&seq, &fetched))
	require.Zero(t, seq, "outbox rows read sequentially")
	require.Less(t, fetched, int64(10), "outbox rows fetched through an index")
	var mode string
	require.NoError(t, tx.QueryRow(ctx, `SELECT current_setting('plan_cache_mode')`).Scan(&mode))
	require.Equal(t, "auto", mode, "the caller's transaction keeps its plan cache mode")
}
