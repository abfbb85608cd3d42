package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// TestXactAgeProbeSeesAnOpenTransaction: a transaction left open elsewhere
// shows as the age of the oldest one (the test role is a superuser, so it
// sees other sessions' xact_start).
func TestXactAgeProbeSeesAnOpenTransaction(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	tx, err := db.Pool.Begin(t.Context())
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(context.Background()) }()
	var started time.Time
	require.NoError(t, tx.QueryRow(t.Context(), `SELECT now()`).Scan(&started))
	m := metric.New()
	require.NoError(t, postgres.XactAgeProbe(db.Pool, m)(t.Context()))
	var age float64 // of the open transaction, read after the probe
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT extract(epoch FROM clock_timestamp() - $1::timestamptz)`, started).Scan(&age))
	got := testutil.ToFloat64(m.OldestXactAge)
	require.Greater(t, got, 0.0, "the open transaction is seen")
	// Other sessions on the server may hold older ones; never a younger answer.
	require.GreaterOrEqual(t, got+0.5, age-1)
}
