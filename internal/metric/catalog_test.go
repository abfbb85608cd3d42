package metric_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/metric"
)

// catalog is SPEC §8's metric catalog.
var catalog = []string{
	"freshplan_events_published_total", "freshplan_events_consumed_total", "freshplan_event_latency_ms",
	"freshplan_dashboard_cache_invalidations_total", "freshplan_followup_batch_duration_ms", "freshplan_followup_queue_size",
	"leads_followup_sent_total", "freshplan_dashboard_active_widgets", "freshplan_dedupe_cache_entries",
	"freshplan_dedupe_cache_hit_rate", "freshplan_outbox_lag_events", "freshplan_listener_connected",
	"freshplan_notify_queue_usage_ratio", "freshplan_parked_events", "freshplan_oldest_xact_age_seconds",
	"leads_conflicts_total", "idempotency_requests_total", "normalization_errors_total",
	"freshplan_http_request_duration_seconds",
}

func repoFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", path))
	require.NoError(t, err)
	return string(b)
}

// TestEveryMetricIsInTheCatalogOrDocumentedAsExtra: the service exports
// the whole catalog, and what it exports beyond it the README's operations
// section names.
func TestEveryMetricIsInTheCatalogOrDocumentedAsExtra(t *testing.T) {
	names := metric.New().Names()
	for _, c := range catalog {
		require.Contains(t, names, c, "SPEC §8's %s is not exported", c)
	}
	readme := repoFile(t, "README.md")
	_, operating, found := strings.Cut(readme, "## Operating FreshPlan Leads")
	require.True(t, found, "the README has no operations section")
	operating, _, _ = strings.Cut(operating, "\n## ")
	for _, n := range names {
		if !slices.Contains(catalog, n) {
			require.Contains(t, operating, "`"+n+"`", "%s is exported beyond the catalog but not documented", n)
		}
	}
}

// TestAlertsUseExportedMetricsAndHaveARunbook: every metric an alert rule
// reads is one the service exports, and every alert has its section in
// docs/RUNBOOK.md, which its runbook annotation points to.
func TestAlertsUseExportedMetricsAndHaveARunbook(t *testing.T) {
	names := metric.New().Names()
	rules := repoFile(t, "deploy/prometheus/freshplan-alerts.yml")
	runbook := repoFile(t, "docs/RUNBOOK.md")
	requireExported(t, names, "deploy/prometheus/freshplan-alerts.yml", rules)
	alerts := regexp.MustCompile(`(?m)^\s+- alert: (\w+)$`).FindAllStringSubmatch(rules, -1)
	require.NotEmpty(t, alerts)
	for _, a := range alerts {
		require.Contains(t, runbook, "\n## "+a[1]+"\n", "no runbook section for %s", a[1])
		require.Contains(t, rules, "runbook: docs/RUNBOOK.md#"+strings.ToLower(a[1]))
	}
}

// TestTheDashboardUsesExportedMetrics: every metric a panel or variable
// of the Grafana dashboard reads is one the service exports.
func TestTheDashboardUsesExportedMetrics(t *testing.T) {
	requireExported(t, metric.New().Names(), "deploy/grafana/freshplan-leads.json", repoFile(t, "deploy/grafana/freshplan-leads.json"))
}

// requireExported fails for a metric name in text (a histogram's series
// by its base name) that the service does not export.
func requireExported(t *testing.T, names []string, file, text string) {
	t.Helper()
	used := regexp.MustCompile(`\b(?:freshplan|leads|idempotency|normalization)_[a-z_]+\b`).FindAllString(text, -1)
	require.NotEmpty(t, used, file)
	for _, u := range used {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(u, "_bucket"), "_sum"), "_count")
		require.Contains(t, names, base, "%s reads %s, which the service does not export", file, u)
	}
}

// TestTheKnownSeriesStartAtZero: before the first follow-up of a territory
// its counters are in the scrape at 0, so that the first increments count.
func TestTheKnownSeriesStartAtZero(t *testing.T) {
	s := metric.New()
	s.StartAtZero([]string{"DE", "CH"})
	want := `
# HELP leads_followup_sent_total Follow-up mails delivered (success), given up (failure) or skipped, by type and territory.
# TYPE leads_followup_sent_total counter
leads_followup_sent_total{result="failure",territory="CH",type="T3"} 0
leads_followup_sent_total{result="failure",territory="CH",type="T7"} 0
leads_followup_sent_total{result="failure",territory="DE",type="T3"} 0
leads_followup_sent_total{result="failure",territory="DE",type="T7"} 0
leads_followup_sent_total{result="skipped",territory="CH",type="T3"} 0
leads_followup_sent_total{result="skipped",territory="CH",type="T7"} 0
leads_followup_sent_total{result="skipped",territory="DE",type="T3"} 0
leads_followup_sent_total{result="skipped",territory="DE",type="T7"} 0
leads_followup_sent_total{result="success",territory="CH",type="T3"} 0
leads_followup_sent_total{result="success",territory="CH",type="T7"} 0
leads_followup_sent_total{result="success",territory="DE",type="T3"} 0
leads_followup_sent_total{result="success",territory="DE",type="T7"} 0
# HELP freshplan_dashboard_active_widgets Open live streams of the cockpit, by widget type.
# TYPE freshplan_dashboard_active_widgets gauge
freshplan_dashboard_active_widgets{type="lead"} 0
`
	require.NoError(t, testutil.GatherAndCompare(s.Registry, strings.NewReader(want),
		"leads_followup_sent_total", "freshplan_dashboard_active_widgets"))
	n, err := testutil.GatherAndCount(s.Registry, "freshplan_dashboard_cache_invalidations_total")
	require.NoError(t, err)
	require.Equal(t, 3, n, "event, manual and ttl")
}
