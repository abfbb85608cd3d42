package main

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/config"
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
