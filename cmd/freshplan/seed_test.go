package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/demo"
	"github.com/freshplan/leads/internal/followup"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// TestSeedLeadsCommand runs `freshplan seed --leads` as a user would, on a
// database of its own, and reads the report it prints as JSON.
func TestSeedLeadsCommand(t *testing.T) {
	db := pgtest.New(t)
	code, out := runBinary(t, []string{"DATABASE_URL=" + db.URL},
		"seed", "--leads", "400", "--activities", "1500", "--seed", "9", "--as-of", "2025-10-01",
		"--territory-share", "DE=0.5", "--json")
	require.Equal(t, 0, code, out)
	var report demo.ScaleReport
	require.NoError(t, json.Unmarshal([]byte(out[strings.Index(out, "{\n"):]), &report), out)
	require.Equal(t, 400, report.Leads)
	require.Equal(t, 1500, report.Activities)
	require.True(t, report.RebuiltIndexes, "the database URL names a superuser")
	leads := map[string]int{}
	for _, tr := range report.Territories {
		leads[tr.Code] = tr.Leads
	}
	require.Equal(t, map[string]int{"DE": 200, "CH": 100, "AT": 100}, leads)
	var n int
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM leads`).Scan(&n))
	require.Equal(t, 400, n)
	// Every lead got its two follow-up records; data that ends over a year
	// ago has none still ahead, and nothing is mailed late.
	var followUps struct {
		FollowUps followup.BackfillResult `json:"followUps"`
	}
	require.NoError(t, json.Unmarshal([]byte(out[strings.Index(out, "{\n"):]), &followUps))
	f := followUps.FollowUps
	require.Equal(t, 400, f.Leads)
	require.Zero(t, f.Scheduled)
	require.Equal(t, 800, f.Sent+f.Passed)
	require.Positive(t, f.Sent, "the seeded timelines sent some follow-ups")
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM follow_up`).Scan(&n))
	require.Equal(t, 800, n)

	// A second seed into the same database is refused.
	code, out = runBinary(t, []string{"DATABASE_URL=" + db.URL}, "seed", "--leads", "10")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "seed into a fresh database")
}

func TestSeedUsage(t *testing.T) {
	code, out := runBinary(t, []string{"DATABASE_URL=postgres://nobody@127.0.0.1:1/none?sslmode=disable"}, "seed", "--help")
	require.Equal(t, 0, code, out)
	for _, want := range []string{"-leads", "-activities", "-seed", "-territory-share", "-as-of", "BYPASSRLS", "bench.sales.de"} {
		require.Contains(t, out, want)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"seed"}, "give --demo or --leads N"},
		{[]string{"seed", "--leads", "10", "--territory-share", "XX=1"}, "territory share"},
		{[]string{"seed", "--leads", "10", "--as-of", "yesterday"}, "--as-of"},
		{[]string{"seed", "--leads", "10", "extra"}, "unexpected argument"},
	} {
		code, out := runBinary(t, []string{"DATABASE_URL=postgres://nobody@127.0.0.1:1/none?sslmode=disable"}, tc.args...)
		require.Equal(t, 1, code, out)
		require.Contains(t, out, tc.want)
	}
}
