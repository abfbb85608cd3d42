package main

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/demo"
	"github.com/freshplan/leads/internal/loadtest"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// TestBenchRequestsMeasuresEveryOperation runs the request benchmark
// against the wired service on demo data: every operation of every caller
// is measured without errors.
func TestBenchRequestsMeasuresEveryOperation(t *testing.T) {
	db := pgtest.New(t)
	cfg := config.Config{DatabaseURL: db.URL, DevJWTSecret: "a-test-secret-of-at-least-32-bytes!!",
		Features: config.Features{LeadWidget: true}}
	log := slog.New(slog.DiscardHandler)
	require.NoError(t, demo.Seed(t.Context(), db.Pool, log, &bytes.Buffer{}))
	verifier := auth.DevVerifier{Secret: []byte(cfg.DevJWTSecret)}
	svc, err := wire(t.Context(), cfg, db.Pool, verifier, log)
	require.NoError(t, err)
	defer svc.close()
	srv := httptest.NewServer(svc.handler)
	defer srv.Close()

	var out bytes.Buffer
	callers := []string{"manager=manager.de:MANAGER:DE", "sales=sales.de.anna:SALES:DE", "admin=demo.admin:ADMIN"}
	require.NoError(t, benchRequests(t.Context(), cfg, &out, loadtest.RequestOptions{BaseURL: srv.URL, Iterations: 10,
		Status: "ACTIVE", Search: "a"}, callers))
	for _, caller := range []string{"manager", "sales", "admin"} {
		for _, op := range []string{"create", "get", "list", "search", "duplicates", "activities", "widget", "widget-fresh"} {
			require.Regexp(t, `(?m)^\s*`+caller+`\s+`+op+`\s+10\s+0\s`, out.String(), "%s %s", caller, op)
		}
	}
}

// TestBenchStreamsDeliversEveryEvent runs the stream load harness, small,
// against the wired service: every activity reaches its owner's stream and
// the admins', and no stream gets its widget more than once a second
// (the admins' change with every activity).
func TestBenchStreamsDeliversEveryEvent(t *testing.T) {
	h := newHarness(t)
	var out bytes.Buffer
	require.NoError(t, benchStreams(h.ctx, h.cfg, &out, h.srv.URL, 14, 20, 3*time.Second))
	require.Regexp(t, `streams 14, activities written (\d+), deliveries (\d+) of (\d+) expected, later than 1 s 0`, out.String())
	m := regexp.MustCompile(`activities written (\d+), deliveries (\d+) of (\d+) expected`).FindStringSubmatch(out.String())
	require.Equal(t, m[3], m[2], "every delivery the visibility rule asks for arrived")
	require.NotEqual(t, "0", m[1])
	// The admins' widgets change with every activity (20 a second): a
	// stream gets one at most once a second, so no more updates than the
	// window has seconds, and one. Counted, not timed: a client behind on
	// a loaded machine reads two updates back to back.
	g := regexp.MustCompile(`widget updates (\d+), at most (\d+) to one stream in (\S+);`).FindStringSubmatch(out.String())
	require.NotNil(t, g, out.String())
	most, err := strconv.Atoi(g[2])
	require.NoError(t, err)
	window, err := time.ParseDuration(g[3])
	require.NoError(t, err)
	require.Positive(t, most)
	require.LessOrEqual(t, most, int(window.Seconds())+1, "a stream got its widget more than once a second")
}
