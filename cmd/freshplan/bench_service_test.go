package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/loadtest"
)

// TestTheBurstScenarioMeasuresTheServiceOverHTTP drives the wired service
// through HTTP at 25 iterations/s for 2 s: every iteration's create and
// status change succeed, every committed event reaches the watcher's
// stream once, the service's counters agree with the outbox, and each
// measured path has figures.
func TestTheBurstScenarioMeasuresTheServiceOverHTTP(t *testing.T) {
	h := newHarness(t)
	o := loadtest.ServiceOptions{BaseURL: h.srv.URL, Writer: h.token(t, "bench.writer", "MANAGER", "DE"),
		Watcher: h.token(t, "bench.watcher", "ADMIN"), Rate: 25, Duration: 2 * time.Second, Sample: 500 * time.Millisecond}
	res, err := loadtest.RunService(h.ctx, loadtest.Burst, o)
	require.NoError(t, err)
	require.Equal(t, 50, res.Scheduled)
	require.Equal(t, 50, res.Completed, res.FirstError)
	require.Equal(t, 100, res.Committed, "a lead.created and a lead.status_changed per iteration")
	require.Equal(t, 100, res.Received)
	require.True(t, res.ExactlyOnce(), "%+v", res)
	require.Equal(t, 50, res.Endpoints["create"].Count)
	require.Equal(t, 50, res.Endpoints["status"].Count)
	require.GreaterOrEqual(t, res.EndToEnd.Count, 100)
	require.Positive(t, res.EndToEnd.P95)
	require.GreaterOrEqual(t, res.PublishNotify.Count, 100)
	require.GreaterOrEqual(t, res.NotifyProcess.Count, 100)
	require.GreaterOrEqual(t, len(res.Samples), 3)
	require.Positive(t, res.Samples[0].Goroutines)

	var table, report bytes.Buffer
	rep := loadtest.ServiceReport{Machine: "test", Runs: []loadtest.ServiceResult{res}}
	rep.WriteTable(&table)
	rep.WriteMarkdown(&table)
	require.NoError(t, rep.WriteJSON(&report))
	require.Contains(t, table.String(), "| burst | create+status | 25 |")
	requireJSONField(t, report.Bytes(), "runs")
	t.Logf("\n%s", table.String())
}

// TestTheStatusMixAndTheMaxSearch: status changes of a pool of leads, one
// event each; with a budget no run can keep, the search narrows down from
// the first rate and reports no rate that held.
func TestTheStatusMixAndTheMaxSearch(t *testing.T) {
	h := newHarness(t)
	o := loadtest.ServiceOptions{BaseURL: h.srv.URL, Writer: h.token(t, "bench.writer", "MANAGER", "DE"),
		Watcher: h.token(t, "bench.watcher", "ADMIN"), Rate: 10, Mix: "status", Duration: time.Second}
	best, runs, err := loadtest.MaxRate(h.ctx, o, time.Microsecond, nil)
	require.NoError(t, err)
	require.Zero(t, best.Rate, "no rate keeps an end-to-end p95 of 1 µs")
	require.Len(t, runs, 2)
	require.Equal(t, []int{10, 5}, []int{runs[0].Rate, runs[1].Rate})
	for _, r := range runs {
		require.Equal(t, r.Scheduled, r.Completed, r.FirstError)
		require.Equal(t, r.Completed, r.Committed, "one lead.status_changed per iteration")
		require.True(t, r.ExactlyOnce(), "%+v", r)
		require.False(t, loadtest.Holds(r, time.Microsecond))
		require.True(t, loadtest.Holds(r, time.Minute))
	}
}

// TestTheWidgetScenarioMixesReadsIntoTheWrites: widget (cached and
// afresh), list and search reads of a manager and a rep succeed while the
// writes go on.
func TestTheWidgetScenarioMixesReadsIntoTheWrites(t *testing.T) {
	h := newHarness(t)
	o := loadtest.ServiceOptions{BaseURL: h.srv.URL, Writer: h.token(t, "bench.writer", "MANAGER", "DE"),
		Watcher: h.token(t, "bench.watcher", "ADMIN"), Rate: 10, Duration: 2 * time.Second, ReadRate: 20,
		Readers: map[string]string{"manager": h.token(t, "manager.de.01", "MANAGER", "DE"), "sales": h.token(t, "sales.de.anna", "SALES", "DE")}}
	res, err := loadtest.RunService(h.ctx, loadtest.Widget, o)
	require.NoError(t, err)
	require.Zero(t, res.Failed, res.FirstError)
	require.True(t, res.ExactlyOnce(), "%+v", res)
	for _, read := range []string{"widget", "widget-fresh", "list", "search"} {
		require.Positive(t, res.Endpoints[read].Count, read)
	}
}

func requireJSONField(t *testing.T, b []byte, field string) {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &m))
	require.Contains(t, m, field)
}

// TestAWatcherTheServiceRefusesStopsTheRun: without a stream to measure
// on, the run ends at once with the stream's answer, writing nothing.
func TestAWatcherTheServiceRefusesStopsTheRun(t *testing.T) {
	h := newHarness(t)
	o := loadtest.ServiceOptions{BaseURL: h.srv.URL, Writer: h.token(t, "bench.writer", "MANAGER", "DE"),
		Watcher: "not-a-token", Rate: 10, Duration: time.Second}
	_, err := loadtest.RunService(h.ctx, loadtest.Burst, o)
	require.ErrorContains(t, err, "the watcher's stream did not open: stream: status 401")
	var leads int
	require.NoError(t, h.db.Pool.QueryRow(h.ctx, `SELECT count(*) FROM leads`).Scan(&leads))
	require.Zero(t, leads)
}

// TestBenchDrivesARunningServiceWithTheTokensItIsGiven: `bench --scenario
// --url --token --watch-token` writes as the writer the token names (no
// development token is minted: the secret it would use is wrong) and
// prints the run's summary.
func TestBenchDrivesARunningServiceWithTheTokensItIsGiven(t *testing.T) {
	h := newHarness(t)
	cfg := h.cfg
	cfg.DevJWTSecret = "a secret the service does not know, 32 bytes long!"
	var out bytes.Buffer
	err := bench(h.ctx, cfg, slog.New(slog.DiscardHandler), []string{"--scenario", "burst", "--url", h.srv.URL,
		"--token", h.token(t, "given.writer", "MANAGER", "DE"), "--watch-token", h.token(t, "given.watcher", "ADMIN"),
		"--rate", "5", "--duration", "1s"}, &out)
	require.NoError(t, err, out.String())
	require.Contains(t, out.String(), "| burst | create+status | 5 |")
	var leads int
	require.NoError(t, h.db.Pool.QueryRow(h.ctx, `SELECT count(*) FROM leads WHERE created_by = 'given.writer'`).Scan(&leads))
	require.Equal(t, 5, leads)
}
