package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/mail/mailtest"
)

// TestMetricsAreServedAtBothPathsAndCanBeTurnedOff: /q/metrics and
// /metrics carry the catalog; with features.metrics.prometheus.enabled
// false both are 404 and the service is otherwise ready.
func TestMetricsAreServedAtBothPathsAndCanBeTurnedOff(t *testing.T) {
	get := func(base, path string) (int, string) {
		res, err := http.Get(base + path)
		require.NoError(t, err)
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		require.NoError(t, res.Body.Close())
		return res.StatusCode, string(body)
	}
	on := newHarness(t)
	for _, path := range []string{"/q/metrics", "/metrics"} {
		status, body := get(on.srv.URL, path)
		require.Equal(t, http.StatusOK, status, path)
		require.Contains(t, body, "# TYPE freshplan_listener_connected gauge", path)
	}

	off := newHarness(t, func(c *config.Config) { c.Features.Prometheus = false })
	for _, path := range []string{"/q/metrics", "/metrics"} {
		status, _ := get(off.srv.URL, path)
		require.Equal(t, http.StatusNotFound, status, path)
	}
	status, _ := get(off.srv.URL, "/q/health/ready")
	require.Equal(t, http.StatusOK, status)
}

// readiness is /q/health/ready's status code and its followup-mailer data.
func readiness(t *testing.T, base string) (int, map[string]any) {
	t.Helper()
	res, err := http.Get(base + "/q/health/ready")
	require.NoError(t, err)
	defer res.Body.Close()
	var h struct {
		Checks []struct {
			Name   string
			Status string
			Data   map[string]any
		}
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&h))
	for _, c := range h.Checks {
		if c.Name == "followup-mailer" {
			require.Equal(t, "UP", c.Status)
			return res.StatusCode, c.Data
		}
	}
	t.Fatal("no followup-mailer check")
	return 0, nil
}

// TestTheMailerCheckReportsTheRelayAndTheBacklogButNeverGoesDown: with the
// relay answering it says so; with the relay gone and a mail waiting for
// 20 minutes it says that, and the replica stays ready.
func TestTheMailerCheckReportsTheRelayAndTheBacklogButNeverGoesDown(t *testing.T) {
	relay := mailtest.NewServer(t)
	up := newHarness(t, func(c *config.Config) { c.SMTP.Host, c.SMTP.Port = relay.Host, relay.Port })
	status, data := readiness(t, up.srv.URL)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, map[string]any{"relay": "smtp", "relayReachable": true, "pending": 0.0, "oldestPendingSeconds": 0.0}, data)

	// A port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	down := newHarness(t, func(c *config.Config) { c.SMTP.Host, c.SMTP.Port = "127.0.0.1", port })
	down.db.Exec(t, `INSERT INTO mail_outbox (id, message_id, territory, kind, recipient, subject, text_body, html_body, created_at,
		next_attempt_at) VALUES (gen_random_uuid(), '<stale@test>', 'DE', 'T3', 'kueche@linde.example', 'Probierpaket', 'Guten Tag',
		'<p>Guten Tag</p>', now() - interval '20 minutes', now() + interval '1 hour')`)
	status, data = readiness(t, down.srv.URL)
	require.Equal(t, http.StatusOK, status, "an SMTP outage never makes a replica unready")
	require.Equal(t, false, data["relayReachable"])
	require.Equal(t, 1.0, data["pending"])
	require.GreaterOrEqual(t, data["oldestPendingSeconds"], 1200.0)
}

// TestHTTPDurationIsPerRoutePattern: two leads read by id are one series
// of their route pattern, and a path no route matches is "unmatched": the
// label values stay bounded, whatever clients ask for.
func TestHTTPDurationIsPerRoutePattern(t *testing.T) {
	h := newHarness(t)
	tok := h.token(t, "sales.de.anna", "SALES", "DE")
	for _, name := range []string{"Gasthaus Linde", "Hotel Post"} {
		status, body := callAPI(h.ctx, t, h.srv.URL, tok, "POST", "/api/leads", map[string]any{"companyName": name})
		require.Equal(t, http.StatusCreated, status, string(body))
		var l struct{ ID string }
		require.NoError(t, json.Unmarshal(body, &l))
		status, _ = callAPI(h.ctx, t, h.srv.URL, tok, "GET", "/api/leads/"+l.ID, nil)
		require.Equal(t, http.StatusOK, status)
		status, _ = callAPI(h.ctx, t, h.srv.URL, tok, "GET", "/no/such/"+l.ID, nil)
		require.Equal(t, http.StatusNotFound, status)
		status, _ = callAPI(h.ctx, t, h.srv.URL, tok, "GET", "/api/leads/"+l.ID+"/nothing", nil)
		require.Equal(t, http.StatusNotFound, status)
	}
	res, err := http.Get(h.srv.URL + "/q/metrics")
	require.NoError(t, err)
	scrape, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.NoError(t, res.Body.Close())
	counts := map[string]string{}
	for _, line := range strings.Split(string(scrape), "\n") {
		if strings.HasPrefix(line, "freshplan_http_request_duration_seconds_count{") {
			i := strings.LastIndexByte(line, ' ')
			counts[line[:i]] = line[i+1:]
		}
	}
	require.Equal(t, "2", counts[`freshplan_http_request_duration_seconds_count{code="200",method="GET",route="GET /api/leads/{id}"}`], "%v", counts)
	require.Equal(t, "4", counts[`freshplan_http_request_duration_seconds_count{code="404",method="GET",route="unmatched"}`], "%v", counts)
	for series := range counts {
		require.NotRegexp(t, `[0-9a-f]{8}-[0-9a-f]{4}`, series, "a raw path in a label")
	}
}
