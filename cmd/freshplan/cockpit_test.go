package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/cockpit"
	"github.com/freshplan/leads/internal/config"
)

type widgetReply struct {
	LeadStats struct {
		Total    int            `json:"total"`
		ByStatus map[string]int `json:"byStatus"`
	} `json:"leadStats"`
	IsManagerView bool     `json:"isManagerView"`
	Territories   []string `json:"territories"`
}

// TestLeadWidgetThroughTheService: the wired service (the aggregator as
// shared consumer, the cache's invalidation as local consumer) shows a
// lead registered and changed through the API in the widgets of the scopes
// that see it, drops exactly their cached widgets, and refuses scopes the
// caller does not have.
func TestLeadWidgetThroughTheService(t *testing.T) {
	h := newHarness(t)
	ctx, srv, svc := h.ctx, h.srv, h.svc
	anna, de, at := h.token(t, "sales.de.anna", "SALES", "DE"), h.token(t, "manager.de", "MANAGER", "DE"),
		h.token(t, "manager.at", "MANAGER", "AT")
	widget := func(tok, query string) (int, widgetReply) {
		t.Helper()
		status, body := callAPI(ctx, t, srv.URL, tok, "GET", "/api/cockpit/lead-widget"+query, nil)
		var w widgetReply
		if status == http.StatusOK {
			require.NoError(t, json.Unmarshal(body, &w))
		}
		return status, w
	}
	until := func(what string, cond func() bool) {
		t.Helper()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for !cond() {
			select {
			case <-tick.C:
			case <-ctx.Done():
				t.Fatalf("waited in vain: %s", what)
			}
		}
	}

	status, body := callAPI(ctx, t, srv.URL, anna, "POST", "/api/leads", map[string]any{"companyName": "Gasthaus Linde"})
	require.Equal(t, http.StatusCreated, status, string(body))
	var l struct{ ID string }
	require.NoError(t, json.Unmarshal(body, &l))
	until("anna's widget counts her lead", func() bool { _, w := widget(anna, ""); return w.LeadStats.Total == 1 })
	until("the DE manager's widget counts it", func() bool { _, w := widget(de, ""); return w.LeadStats.Total == 1 })
	_, atWidget := widget(at, "")
	require.Zero(t, atWidget.LeadStats.Total)
	atAge, cached := svc.widgets.Age("territories:AT", time.Now())
	require.True(t, cached)

	invalidations := metricSum(t, srv.URL, "freshplan_dashboard_cache_invalidations_total", `trigger="event"`)
	status, body = callAPI(ctx, t, srv.URL, anna, "PATCH", "/api/leads/"+l.ID, map[string]any{"status": "ACTIVE"}, "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, status, string(body))
	until("the DE manager's widget shows the change", func() bool {
		_, w := widget(de, "")
		return w.LeadStats.ByStatus["ACTIVE"] == 1 && w.LeadStats.ByStatus["REGISTERED"] == 0
	})
	_, w := widget(anna, "")
	require.Equal(t, 1, w.LeadStats.ByStatus["ACTIVE"])
	require.Greater(t, metricSum(t, srv.URL, "freshplan_dashboard_cache_invalidations_total", `trigger="event"`), invalidations, "dropped by the event")
	// The AT manager's entry was not touched: still the one read before.
	age, cached := svc.widgets.Age("territories:AT", time.Now())
	require.True(t, cached)
	require.GreaterOrEqual(t, age, atAge)

	// An admin drops every cached widget; nobody else may.
	status, _ = callAPI(ctx, t, srv.URL, de, "DELETE", "/api/cockpit/lead-widget/cache", nil)
	require.Equal(t, http.StatusForbidden, status)
	status, _ = callAPI(ctx, t, srv.URL, h.token(t, "demo.admin", "ADMIN"), "DELETE", "/api/cockpit/lead-widget/cache", nil)
	require.Equal(t, http.StatusNoContent, status)
	_, cached = svc.widgets.Age("territories:AT", time.Now())
	require.False(t, cached)
	require.Positive(t, metricSum(t, srv.URL, "freshplan_dashboard_cache_invalidations_total", `trigger="manual"`))

	status, _ = widget(de, "?territory=AT")
	require.Equal(t, http.StatusForbidden, status)
	status, _ = widget(de, "?territory=XX")
	require.Equal(t, http.StatusUnprocessableEntity, status)
	status, _ = widget(anna, "?territory=DE")
	require.Equal(t, http.StatusForbidden, status)
	status, w = widget(de, "?territory=de")
	require.Equal(t, http.StatusOK, status)
	require.True(t, w.IsManagerView)
	require.Equal(t, []string{"DE"}, w.Territories)
}

// TestLeadWidgetOff: with features.dashboard.lead-widget.enabled=false the
// widget's route is 404.
func TestLeadWidgetOff(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.Features.LeadWidget = false })
	status, _ := callAPI(h.ctx, t, h.srv.URL, h.token(t, "manager.de", "MANAGER", "DE"), "GET", "/api/cockpit/lead-widget", nil)
	require.Equal(t, http.StatusNotFound, status)
}

// TestEventsSurviveAKilledListener: the listener's backend is terminated
// while leads are written through the service; after it reconnects every
// committed event is consumed, once per consumer: the outbox, the shared
// consumer's processed keys and freshplan_events_consumed_total agree.
func TestEventsSurviveAKilledListener(t *testing.T) {
	// The listener's connection, found by its name in this test's database.
	h := newHarness(t, func(c *config.Config) { c.ListenerAppName = "freshplan-listener-under-test" })
	ctx, db, srv, tok := h.ctx, h.db, h.srv, h.token(t, "sales.de.anna", "SALES", "DE")
	killed := 0
	for i := range 40 {
		if i%10 == 5 {
			var n int
			require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE datname = $1 AND application_name = $2`, db.Name, h.cfg.ListenerAppName).Scan(&n))
			killed += n
		}
		status, body := callAPI(ctx, t, srv.URL, tok, "POST", "/api/leads", map[string]any{
			"companyName": fmt.Sprintf("Betrieb %d", i), "city": fmt.Sprintf("Ort %d", i)})
		require.Equal(t, http.StatusCreated, status, string(body))
	}
	require.Positive(t, killed, "the listener's backend was found and terminated")

	// Three consumers in this replica: the aggregator (shared), which
	// passes over its own announcements, and the cache and the streams
	// (local), which take every event.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var events, leadEvents, processed int
	var consumed float64
	for {
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM event_outbox),
			(SELECT count(*) FROM event_outbox WHERE type <> $1),
			(SELECT count(*) FROM processed_event WHERE consumer = 'cockpit')`, cockpit.TypeWidgetChanged).Scan(&events, &leadEvents, &processed))
		consumed = metricSum(t, srv.URL, "freshplan_events_consumed_total", `result="success"`)
		if leadEvents > 0 && processed == leadEvents && consumed == float64(processed+2*events) {
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("not every event was consumed: %d in the outbox, %d of them of leads, %d processed by the aggregator, %v consumed",
				events, leadEvents, processed, consumed)
		}
	}
	require.Equal(t, 40, leadEvents, "40 creations")
	// Announced per territory and batch: the 40 leads of one territory
	// changed in at least one batch and in at most 40.
	require.GreaterOrEqual(t, events, 41, "and their widget changes")
	require.LessOrEqual(t, events, 80, "at most one widget change a creation")
	require.Zero(t, metricSum(t, srv.URL, "freshplan_events_consumed_total", `result="failure"`))
}

// metricSum adds up the samples of metric whose labels contain label.
func metricSum(t *testing.T, base, metric, label string) float64 {
	t.Helper()
	res, err := http.Get(base + "/q/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, metric+"{") && strings.Contains(line, label) {
			n, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			require.NoError(t, err)
			sum += n
		}
	}
	require.NoError(t, sc.Err())
	return sum
}
