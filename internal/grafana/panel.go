package grafana

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

// budgets are the seeds' latency budgets per path in ms, the same as the
// EventLatencyOverBudget alerts'.
var budgets = []struct {
	path string
	ms   float64
}{{"publish_notify", 50}, {"notify_process", 150}, {"end_to_end", 200}}

func eventPanels() []cog.Builder[dashboard.Panel] {
	var ps []cog.Builder[dashboard.Panel]
	for _, b := range budgets {
		var targets []*prometheus.DataqueryBuilder
		for _, q := range []struct{ q, legend string }{{"0.5", "p50"}, {"0.95", "p95"}, {"0.99", "p99"}} {
			targets = append(targets, query(fmt.Sprintf(`histogram_quantile(%s, sum by (le) (rate(freshplan_event_latency_ms_bucket{path=%q, %s}[$__rate_interval])))`, q.q, b.path, selInstance),
				q.legend))
		}
		p := series("Event latency "+b.path,
			fmt.Sprintf("p50, p95 and p99 of freshplan_event_latency_ms on the %s path; the red line is its budget of %.0f ms (alert EventLatencyOverBudget on the p95).", b.path, b.ms),
			"ms", 8, targets...)
		ps = append(ps, p.Thresholds(budget(b.ms)).
			ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)))
	}
	return append(ps, asPanels(
		series("Events published and consumed",
			"Events written to the outbox and handled by consumers per second (each event is consumed once per consumer); failures and denials apart.", "ops", 12,
			query(`sum(rate(freshplan_events_published_total{result="success", `+selInstance+`}[$__rate_interval]))`, "published"),
			query(`sum by (result) (rate(freshplan_events_published_total{result!="success", `+selInstance+`}[$__rate_interval]))`, "published {{result}}"),
			query(`sum(rate(freshplan_events_consumed_total{result="success", `+selInstance+`}[$__rate_interval]))`, "consumed"),
			query(`sum by (result) (rate(freshplan_events_consumed_total{result!="success", `+selInstance+`}[$__rate_interval]))`, "consumed {{result}}")),
		series("Outbox lag",
			"Committed outbox events each replica has not read yet (alert OutboxBacklogGrowing), and events the consumers parked (alert ParkedEvents).", "short", 12,
			query(`freshplan_outbox_lag_events{`+selInstance+`}`, "lag {{instance}}"),
			query(`max by (consumer) (freshplan_parked_events{`+selInstance+`})`, "parked {{consumer}}")),
		series("LISTEN connection",
			"1 while a replica's LISTEN connection is up (alert EventListenerDisconnected); without it the replica reads the outbox only by polling.", "short", 8,
			query(`freshplan_listener_connected{`+selInstance+`}`, "{{instance}}")).Max(1),
		series("NOTIFY queue and dedupe cache",
			"The server's NOTIFY queue usage (alert NotifyQueueFilling over 70 %) and each replica's dedupe cache fill against its 200,000 entries (alert DedupeCacheNearlyFull over 90 %).", "percentunit", 8,
			query(`max(freshplan_notify_queue_usage_ratio{`+selInstance+`})`, "NOTIFY queue"),
			query(`freshplan_dedupe_cache_entries{`+selInstance+`} / 200000`, "dedupe cache {{instance}}")).Max(1),
		series("Oldest open transaction",
			"Age of the oldest open transaction on the server; it holds the outbox watermark back.", "s", 8,
			query(`max(freshplan_oldest_xact_age_seconds{`+selInstance+`})`, "oldest transaction")),
	)...)
}

func followUpPanels() []cog.Builder[dashboard.Panel] {
	sent := func(result string) string {
		return fmt.Sprintf(`sum(increase(leads_followup_sent_total{result=~%q, %s}[$__range]))`, result, selTerritory)
	}
	return asPanels(
		single("Follow-up success rate",
			"Delivered follow-up mails among those delivered or given up in the selected time range and territories (skipped follow-ups send nothing and do not count).", "percentunit", 6,
			query(sent("success")+" / "+sent("success|failure"), "success rate")).Min(0).Max(1),
		series("Follow-ups by result",
			"Follow-ups per hour by type and result: success (mail delivered), failure (given up), skipped (a rule said no).", "short", 9,
			query(`sum by (type, result) (increase(leads_followup_sent_total{`+selTerritory+`}[1h]))`, "{{type}} {{result}}")),
		series("Follow-up queue",
			"Follow-ups due and not yet processed (pending) or being processed, by type. Read from the database: every replica reports the same figure.", "short", 9,
			query(`max by (type, state) (freshplan_followup_queue_size{`+selInstance+`})`, "{{type}} {{state}}")),
		series("Mail outbox",
			"Mails waiting for delivery and the age of the oldest of them (alert MailOutboxStale after 15 minutes).", "short", 12,
			query(`max(freshplan_mail_outbox_pending{`+selInstance+`})`, "pending mails"),
			query(`max(freshplan_mail_outbox_oldest_pending_seconds{`+selInstance+`})`, "oldest pending (s)")),
		series("Follow-up processing time",
			"p95 of the time to process one due follow-up (decide, render, queue its mail), by type.", "ms", 12,
			query(`histogram_quantile(0.95, sum by (le, type) (rate(freshplan_followup_batch_duration_ms_bucket{`+selInstance+`}[$__rate_interval])))`, "p95 {{type}}")),
	)
}

func cockpitAndHTTPPanels() []cog.Builder[dashboard.Panel] {
	return asPanels(
		series("Widget cache invalidations",
			"Cached cockpit widgets dropped per second, by widget and trigger (event, manual, ttl).", "ops", 8,
			query(`sum by (widget, trigger) (rate(freshplan_dashboard_cache_invalidations_total{`+selInstance+`}[$__rate_interval]))`, "{{widget}} {{trigger}}")),
		series("Active cockpit streams",
			"Open live streams of the cockpit, by widget type, over all replicas.", "short", 8,
			query(`sum by (type) (freshplan_dashboard_active_widgets{`+selInstance+`})`, "{{type}}")),
		series("HTTP requests by status",
			"Requests per second by status code.", "reqps", 8,
			query(`sum by (code) (rate(freshplan_http_request_duration_seconds_count{`+selInstance+`}[$__rate_interval]))`, "{{code}}")),
		series("HTTP p95 per route",
			"p95 of the request duration per route pattern (never the raw path: the label values are bounded).", "s", 24,
			query(`histogram_quantile(0.95, sum by (le, route) (rate(freshplan_http_request_duration_seconds_bucket{`+selInstance+`}[$__rate_interval])))`, "{{route}}")),
	)
}

// budget colours a latency panel red above its budget.
func budget(ms float64) *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).
		Steps([]dashboard.Threshold{{Color: "green"}, {Value: &ms, Color: "red"}})
}
