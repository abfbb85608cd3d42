//go:build e2e

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
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

// startPrometheus runs Debian's prometheus on a free loopback port with its
// own storage, scraping target's /q/metrics and evaluating the rule files
// every second, and returns its URL.
func startPrometheus(t *testing.T, target string, ruleFiles ...string) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	require.NoError(t, err, "the operations tests need Debian's prometheus (installed by .ci/run)")
	dir := t.TempDir()
	ruleList, err := json.Marshal(append([]string{}, ruleFiles...)) // a YAML flow sequence
	require.NoError(t, err)
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: %s
scrape_configs:
  - job_name: freshplan-leads
    metrics_path: /q/metrics
    static_configs:
      - targets: [%q]
`, ruleList, strings.TrimPrefix(target, "http://"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o600))
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus:\n%s", logs.String())
		}
	})
	return "http://" + addr
}

// promValue is the value of a scalar-valued PromQL query, or false while
// it has no result or Prometheus does not answer yet.
func promValue(t *testing.T, base, query string) (float64, bool) {
	t.Helper()
	status, _, results := promAsk(base, query)
	if status != "success" || len(results) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(results[0].Value[1].(string), 64)
	require.NoError(t, err)
	return v, true
}

// promAsk evaluates an instant query now: the API's status ("" when it
// did not answer), its error and the result vector.
func promAsk(base, query string) (status, problem string, results []promResult) {
	res, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		return "", err.Error(), nil
	}
	defer res.Body.Close()
	var out struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []promResult `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return "", err.Error(), nil
	}
	return out.Status, out.Error, out.Data.Result
}

// TestE2EPrometheusScrapesTheService: the real prometheus scrapes a test
// instance of the service while a lead is registered, changed and
// backdated so that its follow-ups go out; queried through its HTTP API,
// the events published and consumed agree and are not zero, and the
// follow-up mails show in leads_followup_sent_total.
func TestE2EPrometheusScrapesTheService(t *testing.T) {
	h := newHarness(t)
	prom := startPrometheus(t, h.srv.URL)
	// A scrape before the first change: increase() counts from a sample,
	// and the follow-ups would otherwise go out before Prometheus looks.
	h.until(t, func() (bool, string) {
		up, _ := promValue(t, prom, `up`)
		return up == 1, "prometheus never scraped the service"
	})
	tok := h.token(t, "manager.de", "MANAGER", "DE")
	l := struct{ ID string }{h.dueLead(t, tok)}

	// Published events are consumed by the aggregator (lead events) and by
	// both local consumers (all events); the aggregator passes over its
	// own announcements.
	var published, consumed, sent float64
	h.until(t, func() (bool, string) {
		published, _ = promValue(t, prom, `sum(freshplan_events_published_total{result="success"})`)
		lead, _ := promValue(t, prom, `sum(freshplan_events_published_total{result="success",event_type!="cockpit.widget_changed"})`)
		consumed, _ = promValue(t, prom, `sum(freshplan_events_consumed_total{result="success"})`)
		sent, _ = promValue(t, prom, `sum(leads_followup_sent_total{result="success"})`)
		return published > 0 && consumed == lead+2*published && sent == 2,
			fmt.Sprintf("prometheus saw %v published (%v of leads), %v consumed, %v follow-ups sent", published, lead, consumed, sent)
	})
	t.Logf("prometheus: %v events published, %v consumptions, %v follow-up mails", published, consumed, sent)

	// Every query of the Grafana dashboard evaluates against this
	// Prometheus, and the panels an operator reads first show data: the
	// three latency paths, the event flow, the follow-ups' success rate,
	// the mail outbox and the HTTP p95 per route (by pattern, never by the
	// raw path). A rate needs two scrapes in its window: wait for them.
	panels := dashboardQueries(t)
	required := []string{"Event latency publish_notify", "Event latency notify_process", "Event latency end_to_end",
		"Events published and consumed", "Outbox lag", "LISTEN connection", "Follow-up success rate", "Follow-ups by result",
		"Mail outbox", "Active cockpit streams", "HTTP requests by status", "HTTP p95 per route"}
	var withData map[string]bool
	var routes []string
	h.until(t, func() (bool, string) {
		withData, routes = map[string]bool{}, nil
		var missing []string
		var rate string
		for title, exprs := range panels {
			for _, expr := range exprs {
				results := promQuery(t, prom, expr)
				withData[title] = withData[title] || len(results) > 0
				switch {
				case title == "Follow-up success rate" && len(results) == 1:
					rate = results[0].Value[1].(string)
				case title == "HTTP p95 per route":
					for _, r := range results {
						routes = append(routes, r.Metric["route"])
					}
				}
			}
		}
		for _, title := range required {
			if !withData[title] {
				missing = append(missing, title)
			}
		}
		return len(missing) == 0 && rate == "1" && slices.Contains(routes, "PUT /api/leads/{id}/registered-at"),
			fmt.Sprintf("dashboard panels without data: %q; success rate %q; routes %q", missing, rate, routes)
	})
	require.Contains(t, routes, "POST /api/leads")
	for _, r := range routes {
		require.NotContains(t, r, l.ID, "a route label holds a raw path")
	}
	t.Logf("dashboard: %d of %d panels show data; routes %q", len(withData), len(panels), routes)
}

// dashboardQueries are the PromQL expressions of the committed Grafana
// dashboard by panel title, its variables set to all and its intervals to
// ones that fit a test of seconds with a scrape every second.
func dashboardQueries(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "grafana", "freshplan-leads.json"))
	require.NoError(t, err)
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	require.NoError(t, json.Unmarshal(b, &d))
	fill := strings.NewReplacer("$__rate_interval", "15s", "$__range", "10m", "$instance", ".*", "$territory", ".*")
	out := map[string][]string{}
	for _, p := range d.Panels {
		for _, q := range p.Targets {
			out[p.Title] = append(out[p.Title], fill.Replace(q.Expr))
		}
	}
	require.NotEmpty(t, out)
	return out
}

// promResult is one series of an instant query's vector.
type promResult struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value"`
}

// promQuery evaluates expr now; a query Prometheus refuses fails the test.
func promQuery(t *testing.T, base, expr string) []promResult {
	t.Helper()
	status, problem, results := promAsk(base, expr)
	require.Equal(t, "success", status, "%s: %s", expr, problem)
	return results
}
