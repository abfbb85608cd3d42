package idempotency

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/lead"
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
		c := NewClaim("anna", []string{"old", "young"}[i], "fp")
		require.NoError(t, postgres.InTx(t.Context(), db.Pool, anna, func(tx pgx.Tx) error {
			if err := c.begin(t.Context(), tx, now.Add(-age)); err != nil {
				return err
			}
			return c.store(t.Context(), tx, Response{Status: 201})
		}))
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

func TestExecutedKeepsOnlyOutcomesOfExecutedRequests(t *testing.T) {
	problem := func(status int, typ string) Response {
		return Response{Status: status, Body: []byte(`{"type":"` + typ + `","status":0}`)}
	}
	cases := []struct {
		r    Response
		want bool
	}{
		{Response{Status: 201}, true},
		{Response{Status: 204}, true},
		{problem(404, "/problems/not-found"), true},
		{problem(409, "/problems/duplicate-lead"), true},
		{problem(409, "/problems/invalid-transition"), true},
		{problem(412, "/problems/precondition-failed"), true},
		{problem(409, SoftDuplicateProblem), false},
		{problem(400, "/problems/malformed"), false},
		{problem(403, "/problems/forbidden"), false},
		{problem(413, "/problems/too-large"), false},
		{problem(415, "/problems/unsupported-media-type"), false},
		{problem(422, "/problems/validation"), false},
		{problem(428, "/problems/precondition-required"), false},
		{problem(500, "/problems/internal"), false},
	}
	for _, c := range cases {
		require.Equal(t, c.want, Executed(c.r), "%d %s", c.r.Status, c.r.Body)
	}
}

// claimIn runs c's part of a command in a transaction of its own: begin,
// then finish (Done or Failed); the transaction commits when both succeed.
func claimIn(t *testing.T, db *pgtest.DB, p auth.Principal, c *Claim, now time.Time, finish func(tx pgx.Tx) error) error {
	t.Helper()
	return postgres.InTx(t.Context(), db.Pool, p, func(tx pgx.Tx) error {
		if err := c.begin(t.Context(), tx, now); err != nil {
			return err
		}
		return finish(tx)
	})
}

// TestUnstoredRefusalFreesTheKey: Failed returns a refusal that is not an
// executed outcome, so the command's transaction rolls back with the key's
// row, and a second request (here blocked on that row) takes the key.
func TestUnstoredRefusalFreesTheKey(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	now := time.Date(2025, 9, 26, 20, 0, 0, 0, time.UTC)
	anna := auth.Principal{UserID: "anna", Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE"}}
	warning := errors.New("possible duplicate")
	first := NewClaim("anna", "k", "fp-1")
	first.Render(nil, func(error) Response {
		return Response{Status: 409, Body: []byte(`{"type":"` + SoftDuplicateProblem + `"}`)}
	})
	second := NewClaim("anna", "k", "fp-2")
	id := uuid.New()
	second.Render(func(any) Response { return Response{Status: 201, Body: []byte(`{}`)} }, nil)

	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- claimIn(t, db, anna, first, now, func(tx pgx.Tx) error {
			close(holding)
			<-release // the second request is now blocked on this row
			return first.Failed(t.Context(), tx, warning)
		})
	}()
	<-holding
	go func() { // release the first once the second waits on its row
		waitForLockWaiter(t, db)
		close(release)
	}()
	err := claimIn(t, db, anna, second, now, func(tx pgx.Tx) error {
		return second.Done(t.Context(), tx, &lead.Lead{ID: id})
	})
	require.NoError(t, err, "the key was free once the first rolled back")
	require.ErrorIs(t, <-done, warning)
	require.Nil(t, first.Stored())

	store := NewStore(db.Pool, func() time.Time { return now })
	resp, fingerprint, err := store.Lookup(t.Context(), anna, "k")
	require.NoError(t, err)
	require.Equal(t, "fp-2", fingerprint)
	require.Equal(t, 201, resp.Status)
	require.Equal(t, []uuid.UUID{id}, resp.Leads, "the stored answer names its lead")
}

// TestStoredRefusalNamesItsLeads: a stored 409 duplicate is about the lead
// of the path and the existing lead its body names; a 404 about none.
func TestStoredRefusalNamesItsLeads(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	now := time.Date(2025, 9, 26, 20, 0, 0, 0, time.UTC)
	anna := auth.Principal{UserID: "anna", Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE"}}
	store := NewStore(db.Pool, func() time.Time { return now })
	path, existing := uuid.New(), uuid.New()
	cases := []struct {
		key    string
		status int
		err    error
		want   []uuid.UUID
	}{
		{"k-dup", 409, &lead.DuplicateError{Field: "email", ExistingLeadID: &existing}, []uuid.UUID{path, existing}},
		{"k-stale", 412, lead.ErrVersionMismatch, []uuid.UUID{path}},
		{"k-missing", 404, lead.ErrNotFound, []uuid.UUID{}},
	}
	for _, c := range cases {
		claim := NewClaim("anna", c.key, "fp")
		claim.About(path)
		claim.Render(nil, func(error) Response { return Response{Status: c.status, Body: []byte(`{}`)} })
		require.NoError(t, claimIn(t, db, anna, claim, now, func(tx pgx.Tx) error {
			return claim.Failed(t.Context(), tx, c.err)
		}))
		resp, _, err := store.Lookup(t.Context(), anna, c.key)
		require.NoError(t, err)
		require.Equal(t, c.status, resp.Status, c.key)
		require.Equal(t, c.want, resp.Leads, c.key)
	}
}

// waitForLockWaiter polls until a backend of db waits on a lock.
func waitForLockWaiter(t *testing.T, db *pgtest.DB) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
		if err == nil && n > 0 {
			return
		}
	}
	t.Errorf("no request waited on the key's row within 10 s")
}
