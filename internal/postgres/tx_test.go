package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

const auditInsert = `INSERT INTO audit_log (occurred_at, actor, action, territory, details)
	VALUES (now(), current_setting('app.user_id'), $1, 'DE', '{}')`

func audits(t *testing.T, db *pgtest.DB, action string) int {
	t.Helper()
	var n int
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE action = $1`, action).Scan(&n))
	return n
}

// TestInTxCommitsWithTheLastBatch: a batch handed to SendWithCommit
// commits with the transaction, all or nothing; a failed transaction
// leaves nothing behind and its connection is clean for the next one; a
// savepoint rolls back only its own writes.
func TestInTxCommitsWithTheLastBatch(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := t.Context()
	mia := auth.Principal{UserID: "mia", Roles: []auth.Role{auth.RoleManager}, Territories: []string{"DE"}}
	pool, err := postgres.Open(ctx, db.URL, 1) // one connection: every transaction reuses it
	require.NoError(t, err)
	t.Cleanup(pool.Close)

	write := func(actions ...any) error {
		return postgres.InTx(ctx, pool, mia, func(tx pgx.Tx) error {
			var user string
			if err := tx.QueryRow(ctx, `SELECT app_user_id()`).Scan(&user); err != nil {
				return err
			}
			require.Equal(t, "mia", user, "the scope came with the first statement")
			b := &pgx.Batch{}
			for _, a := range actions {
				b.Queue(auditInsert, a)
			}
			require.True(t, postgres.SendWithCommit(tx, b))
			require.False(t, postgres.SendWithCommit(tx, &pgx.Batch{}), "one final batch")
			return nil
		})
	}
	require.NoError(t, write("tx.a", "tx.b"))
	require.Equal(t, 1, audits(t, db, "tx.a"))
	require.Equal(t, 1, audits(t, db, "tx.b"))

	// The second insert fails (a NULL action): the first is rolled back with it.
	err = write("tx.c", nil)
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr)
	require.Zero(t, audits(t, db, "tx.c"))

	// fn fails after a write: rolled back.
	boom := errors.New("boom")
	err = postgres.InTx(ctx, pool, mia, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, auditInsert, "tx.d")
		require.NoError(t, err)
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Zero(t, audits(t, db, "tx.d"))

	// A savepoint: its writes go, the others stay; no final batch inside it.
	err = postgres.InTx(ctx, pool, mia, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, auditInsert, "tx.e"); err != nil {
			return err
		}
		sp, err := tx.Begin(ctx)
		require.NoError(t, err)
		require.False(t, postgres.SendWithCommit(tx, &pgx.Batch{}), "not while a savepoint is open")
		_, err = sp.Exec(ctx, auditInsert, "tx.f")
		require.NoError(t, err)
		_, err = sp.Exec(ctx, auditInsert, nil)
		require.Error(t, err)
		require.NoError(t, sp.Rollback(ctx))
		_, err = tx.Exec(ctx, auditInsert, "tx.g")
		return err
	})
	require.NoError(t, err)
	require.Equal(t, []int{1, 0, 1}, []int{audits(t, db, "tx.e"), audits(t, db, "tx.f"), audits(t, db, "tx.g")})

	// A transaction that sends nothing costs nothing and commits.
	require.NoError(t, postgres.InTx(ctx, pool, mia, func(pgx.Tx) error { return nil }))
	// The connection came back clean each time: idle, without the scope.
	var role string
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT coalesce(current_setting('app.role', true), '')`).Scan(&role))
	require.Empty(t, role)
}
