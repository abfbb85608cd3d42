package demo

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// TestRebuildPending: what dropIndexes drops, rebuildPending builds again
// exactly, and a seed that finds a record left by an interrupted one
// builds it first.
func TestRebuildPending(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := pgtest.New(t)
	before := schemaDefs(t, db.Pool)
	require.NoError(t, dropIndexes(ctx, db.Pool, nil))
	after := schemaDefs(t, db.Pool)
	require.Less(t, len(after), len(before))
	var pending int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM `+pendingTable).Scan(&pending))
	require.Positive(t, pending)
	require.NotContains(t, after, "activities activities_lead_id_fkey FOREIGN KEY (lead_id) REFERENCES leads(id)")

	// An interrupted seed: the next one builds what is recorded, then seeds.
	_, err := SeedScale(ctx, db.Pool, ScaleOptions{Leads: 50, Activities: 100, AsOf: testAsOf, SkipVacuum: true})
	require.NoError(t, err)
	require.Equal(t, before, schemaDefs(t, db.Pool))
	var exists bool
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, pendingTable).Scan(&exists))
	require.False(t, exists)
}

// schemaDefs lists the indexes and constraints of leads and activities.
func schemaDefs(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT tablename || ' ' || indexdef FROM pg_indexes WHERE tablename IN ('leads', 'activities')
		UNION ALL SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
		WHERE conrelid IN ('leads'::regclass, 'activities'::regclass) ORDER BY 1`)
	require.NoError(t, err)
	defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return defs
}
