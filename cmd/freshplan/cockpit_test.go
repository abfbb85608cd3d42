package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/postgres/pgtest"
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
	db := pgtest.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cfg, svc := runService(ctx, t, db)
	srv := httptest.NewServer(svc.handler)
	defer srv.Close()
	token := func(user, role string, territories ...string) string {
		tok, err := auth.DevIssuer{Secret: []byte(cfg.DevJWTSecret)}.Issue(user, []string{role}, territories, user, "", time.Hour)
		require.NoError(t, err)
		return tok
	}
	anna, de, at := token("sales.de.anna", "SALES", "DE"), token("manager.de", "MANAGER", "DE"), token("manager.at", "MANAGER", "AT")
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

	invalidations := eventInvalidations(t, srv.URL)
	status, body = callAPI(ctx, t, srv.URL, anna, "PATCH", "/api/leads/"+l.ID, map[string]any{"status": "ACTIVE"}, "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, status, string(body))
	until("the DE manager's widget shows the change", func() bool {
		_, w := widget(de, "")
		return w.LeadStats.ByStatus["ACTIVE"] == 1 && w.LeadStats.ByStatus["REGISTERED"] == 0
	})
	_, w := widget(anna, "")
	require.Equal(t, 1, w.LeadStats.ByStatus["ACTIVE"])
	require.Greater(t, eventInvalidations(t, srv.URL), invalidations, "dropped by the event")
	// The AT manager's entry was not touched: still the one read before.
	age, cached := svc.widgets.Age("territories:AT", time.Now())
	require.True(t, cached)
	require.GreaterOrEqual(t, age, atAge)

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

// eventInvalidations reads freshplan_dashboard_cache_invalidations_total
// {trigger="event"} from /q/metrics.
func eventInvalidations(t *testing.T, base string) float64 {
	t.Helper()
	res, err := http.Get(base + "/q/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	const name = `freshplan_dashboard_cache_invalidations_total{trigger="event",widget="lead"} `
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name); ok {
			n, err := strconv.ParseFloat(v, 64)
			require.NoError(t, err)
			return n
		}
	}
	require.NoError(t, sc.Err())
	return 0
}

// TestLeadWidgetOff: with features.dashboard.lead-widget.enabled=false the
// widget's route is 404.
func TestLeadWidgetOff(t *testing.T) {
	db := pgtest.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cfg, svc := runService(ctx, t, db, func(c *config.Config) { c.Features.LeadWidget = false })
	srv := httptest.NewServer(svc.handler)
	defer srv.Close()
	tok, err := auth.DevIssuer{Secret: []byte(cfg.DevJWTSecret)}.Issue("manager.de", []string{"MANAGER"}, []string{"DE"},
		"manager.de", "", time.Hour)
	require.NoError(t, err)
	status, _ := callAPI(ctx, t, srv.URL, tok, "GET", "/api/cockpit/lead-widget", nil)
	require.Equal(t, http.StatusNotFound, status)
}
