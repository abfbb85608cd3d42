// Package metric is the Prometheus catalog of SPEC §8 in one place: every
// name, label and bucket the service exports. Each Set has its own registry,
// so tests and replicas in one process never share counters.
package metric

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"strings"
)

// LatencyBuckets are the buckets of freshplan_event_latency_ms.
var LatencyBuckets = []float64{1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000}

// Set holds the service's metrics and the registry that exports them.
type Set struct {
	Registry *prometheus.Registry

	EventsPublished  *prometheus.CounterVec   // event_type, module, result
	EventsConsumed   *prometheus.CounterVec   // event_type, module, result
	EventLatency     *prometheus.HistogramVec // event_type, path
	DedupeEntries    prometheus.Gauge
	DedupeHitRate    prometheus.Gauge
	OutboxLag        prometheus.Gauge
	ListenerUp       prometheus.Gauge
	NotifyQueueUsage prometheus.Gauge
	ParkedEvents     *prometheus.GaugeVec // consumer
	OldestXactAge    prometheus.Gauge
	HTTPDuration     *prometheus.HistogramVec

	IdempotencyRequests *prometheus.CounterVec // result: stored|not_stored|replayed|replay_hidden|mismatch|in_progress
	LeadsConflicts      *prometheus.CounterVec // field
	NormalizationErrors *prometheus.CounterVec // field

	FollowUpSent          *prometheus.CounterVec   // type, territory, result: success|failure|skipped
	FollowUpBatchDuration *prometheus.HistogramVec // type
	FollowUpQueueSize     *prometheus.GaugeVec     // type, state: pending|processing

	CacheInvalidations *prometheus.CounterVec // widget, trigger: event|manual|ttl
	ActiveWidgets      *prometheus.GaugeVec   // type: open live streams

	// Beyond SPEC §8's catalog, for the mail outbox alert.
	MailPending       prometheus.Gauge // mails waiting for delivery
	MailOldestPending prometheus.Gauge // age of the oldest of them
}

// New creates and registers the metrics.
func New() *Set {
	s := &Set{
		Registry: prometheus.NewRegistry(),
		EventsPublished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "freshplan_events_published_total", Help: "Domain events written to the outbox, by result.",
		}, []string{"event_type", "module", "result"}),
		EventsConsumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "freshplan_events_consumed_total", Help: "Events handled by consumers, by result.",
		}, []string{"event_type", "module", "result"}),
		EventLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "freshplan_event_latency_ms", Help: "Event latency in milliseconds per path.", Buckets: LatencyBuckets,
		}, []string{"event_type", "path"}),
		DedupeEntries: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "freshplan_dedupe_cache_entries", Help: "Idempotency keys held in the in-memory dedupe cache.",
		}),
		DedupeHitRate: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "freshplan_dedupe_cache_hit_rate", Help: "Share of dedupe cache lookups that found the key.",
		}),
		OutboxLag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "freshplan_outbox_lag_events", Help: "Committed outbox events not yet read by this replica.",
		}),
		ListenerUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "freshplan_listener_connected", Help: "1 while the LISTEN connection is up.",
		}),
		NotifyQueueUsage: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "freshplan_notify_queue_usage_ratio", Help: "pg_notification_queue_usage() of the server.",
		}),
		ParkedEvents: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "freshplan_parked_events", Help: "Events a consumer gave up on, waiting for an admin replay.",
		}, []string{"consumer"}),
		OldestXactAge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "freshplan_oldest_xact_age_seconds", Help: "Age of the oldest open transaction on the server; it holds the outbox watermark back.",
		}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "freshplan_http_request_duration_seconds", Help: "HTTP request duration by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .2, .5, 1, 2.5},
		}, []string{"route", "method", "code"}),
		IdempotencyRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idempotency_requests_total", Help: "Requests with an Idempotency-Key, by result.",
		}, []string{"result"}),
		LeadsConflicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leads_conflicts_total", Help: "Duplicate leads refused, by the field that collided.",
		}, []string{"field"}),
		NormalizationErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "normalization_errors_total", Help: "Values that could not be normalized (stored as given).",
		}, []string{"field"}),
		FollowUpSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leads_followup_sent_total", Help: "Follow-up mails delivered (success), given up (failure) or skipped, by type and territory.",
		}, []string{"type", "territory", "result"}),
		FollowUpBatchDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "freshplan_followup_batch_duration_ms", Help: "Time to process one due follow-up, in ms.",
			Buckets: LatencyBuckets,
		}, []string{"type"}),
		CacheInvalidations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "freshplan_dashboard_cache_invalidations_total", Help: "Cached widgets dropped, by widget and trigger.",
		}, []string{"widget", "trigger"}),
		ActiveWidgets: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "freshplan_dashboard_active_widgets", Help: "Open live streams of the cockpit, by widget type.",
		}, []string{"type"}),
		FollowUpQueueSize: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "freshplan_followup_queue_size", Help: "Follow-ups due and not yet processed (pending) or being processed (processing).",
		}, []string{"type", "state"}),
		MailPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "freshplan_mail_outbox_pending", Help: "Mails in the outbox waiting for delivery.",
		}),
		MailOldestPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "freshplan_mail_outbox_oldest_pending_seconds", Help: "Age of the oldest mail waiting for delivery (0 when none waits).",
		}),
	}
	s.Registry.MustRegister(append(s.own(), collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))...)
	return s
}

// Names are the names of the service's own metrics (not the Go runtime's
// or the process's), from their descriptions: a vector without samples
// is not in a scrape, but is here.
func (s *Set) Names() []string {
	ch := make(chan *prometheus.Desc, 64)
	go func() {
		for _, c := range s.own() {
			c.Describe(ch)
		}
		close(ch)
	}()
	var names []string
	for d := range ch {
		// Desc has no accessor for its name; its String form is stable:
		// Desc{fqName: "…", help: "…", …}.
		_, rest, _ := strings.Cut(d.String(), `fqName: "`)
		name, _, _ := strings.Cut(rest, `"`)
		names = append(names, name)
	}
	return names
}

// own are the service's metrics.
func (s *Set) own() []prometheus.Collector {
	return []prometheus.Collector{s.IdempotencyRequests, s.LeadsConflicts, s.NormalizationErrors, s.EventsPublished,
		s.EventsConsumed, s.EventLatency, s.DedupeEntries, s.DedupeHitRate, s.OutboxLag, s.ListenerUp, s.NotifyQueueUsage,
		s.ParkedEvents, s.OldestXactAge, s.HTTPDuration, s.FollowUpSent, s.FollowUpBatchDuration, s.FollowUpQueueSize,
		s.CacheInvalidations, s.ActiveWidgets, s.MailPending, s.MailOldestPending}
}

// StartAtZero exports the series whose label values are all known in
// advance at 0: Prometheus cannot tell a counter that appears at 2 from
// one that always was 2, so increase() and rate() would miss the first
// follow-ups of a territory, and the dashboard would have no line to draw.
func (s *Set) StartAtZero(territories []string) {
	for _, typ := range []string{"T3", "T7"} {
		for _, t := range territories {
			for _, result := range []string{"success", "failure", "skipped"} {
				s.FollowUpSent.WithLabelValues(typ, t, result)
			}
		}
	}
	for _, trigger := range []string{"event", "manual", "ttl"} {
		s.CacheInvalidations.WithLabelValues("lead", trigger)
	}
	s.ActiveWidgets.WithLabelValues("lead")
}
