package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// TestQueueScopeHoldsForTheRestOfTheBatch: a batch is one implicit
// transaction, so the scope applies to the statements queued after it and
// is gone afterwards.
func TestQueueScopeHoldsForTheRestOfTheBatch(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	b := &pgx.Batch{}
	postgres.QueueScope(b, auth.Principal{UserID: "anna", Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE", "AT"}})
	var user, role string
	var territories []string
	b.Queue(`SELECT current_user, current_setting('app.role'), app_territories()`).QueryRow(func(r pgx.Row) error {
		return r.Scan(&user, &role, &territories)
	})
	require.NoError(t, db.Pool.SendBatch(t.Context(), b).Close())
	require.Equal(t, postgres.AppRole, user)
	require.Equal(t, "SALES", role)
	require.Equal(t, []string{"DE", "AT"}, territories)
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT current_user, coalesce(current_setting('app.role', true), '')`).Scan(&user, &role))
	require.NotEqual(t, postgres.AppRole, user)
	require.Empty(t, role)
}
