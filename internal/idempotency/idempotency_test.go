package idempotency

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

func TestFingerprintAndKeys(t *testing.T) {
	a := Fingerprint("POST", "/api/leads", []byte(`{"a":1}`))
	require.Len(t, a, 64)
	require.NotEqual(t, a, Fingerprint("POST", "/api/leads", []byte(`{"a":2}`)))
	require.NotEqual(t, a, Fingerprint("PATCH", "/api/leads", []byte(`{"a":1}`)))
	require.NotEqual(t, Fingerprint("POST", "/a", []byte("b")), Fingerprint("POST", "/ab", nil), "fields are separated")
	require.True(t, ValidKey("3f2b-key_1.0"))
	for _, bad := range []string{"", "a\x7f", "a\nb", string(make([]byte, 256))} {
		require.False(t, ValidKey(bad), "%q", bad)
	}
}

func TestCleanupRemovesOnlyExpiredKeys(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	now := time.Date(2025, 9, 26, 20, 0, 0, 0, time.UTC)
	anna := auth.Principal{UserID: "anna", Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE"}}
	for i, age := range []time.Duration{25 * time.Hour, time.Hour} {
		store := NewStore(db.Pool, func() time.Time { return now.Add(-age) })
		c := NewClaim("anna", []string{"old", "young"}[i], "fp")
		require.NoError(t, store.StoreOutcome(t.Context(), anna, c, Response{Status: 422}))
	}
	var n int64
	require.NoError(t, postgres.InTx(t.Context(), db.Pool, auth.System(), func(tx pgx.Tx) (err error) {
		n, err = cleanup(t.Context(), tx, now)
		return err
	}))
	require.EqualValues(t, 1, n)
	var left string
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT key FROM idempotency_key`).Scan(&left))
	require.Equal(t, "young", left)
}
