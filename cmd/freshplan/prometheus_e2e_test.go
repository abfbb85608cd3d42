//go:build e2e

package main

import (
	"bytes"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// promtool is Debian's promtool (package prometheus, installed by .ci/run).
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	require.NoError(t, err, "the operations tests need promtool (Debian's prometheus, installed by .ci/run)")
	return path
}

// TestE2EAlertRulesAreValidAndTheirCasesPass runs promtool on the shipped
// files: the rules and the example configuration check, and every case of
// freshplan-alerts.test.yml (one that fires and one that does not per
// alert) passes.
func TestE2EAlertRulesAreValidAndTheirCasesPass(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "deploy", "prometheus")
	for _, args := range [][]string{
		{"check", "rules", "freshplan-alerts.yml"},
		{"check", "config", "prometheus.yml"},
		{"test", "rules", "freshplan-alerts.test.yml"},
	} {
		cmd := exec.Command(promtool(t), args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "promtool %s:\n%s", strings.Join(args, " "), out)
		require.Contains(t, string(out), "SUCCESS", "promtool %s", strings.Join(args, " "))
	}
}

// TestE2EAScrapeOfTheServicePassesPromtool pipes a real scrape of the
// service, after a lead's events went through, into promtool check
// metrics: its only findings are the abbreviated-unit notes on the seeds'
// _ms histograms, whose names SPEC §8 fixes.
func TestE2EAScrapeOfTheServicePassesPromtool(t *testing.T) {
	h := newHarness(t)
	tok := h.token(t, "sales.de.anna", "SALES", "DE")
	status, body := callAPI(h.ctx, t, h.srv.URL, tok, "POST", "/api/leads", map[string]any{"companyName": "Gasthaus Linde"})
	require.Equal(t, http.StatusCreated, status, string(body))
	// The latency histogram has series once the lead's event was consumed.
	var scrape []byte
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !bytes.Contains(scrape, []byte("freshplan_event_latency_ms_bucket{")) {
		select {
		case <-h.ctx.Done():
			t.Fatal("the event's latency never reached the metrics")
		case <-tick.C:
		}
		res, err := http.Get(h.srv.URL + "/q/metrics")
		require.NoError(t, err)
		scrape, err = io.ReadAll(res.Body)
		require.NoError(t, res.Body.Close())
		require.NoError(t, err)
	}

	cmd := exec.Command(promtool(t), "check", "metrics")
	cmd.Stdin = bytes.NewReader(scrape)
	out, _ := cmd.CombinedOutput() // exits 1 on any finding; the findings are checked below
	var findings []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line != "" {
			findings = append(findings, line)
		}
	}
	t.Logf("promtool check metrics: %q", findings)
	require.NotEmpty(t, findings, "the _ms histograms are expected to be noted")
	for _, f := range findings {
		ms := strings.HasPrefix(f, "freshplan_event_latency_ms ") || strings.HasPrefix(f, "freshplan_followup_batch_duration_ms ")
		require.True(t, ms && strings.Contains(f, "abbreviated"), "promtool check metrics: %s", f)
	}
}
