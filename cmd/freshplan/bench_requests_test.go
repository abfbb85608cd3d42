package main

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"testing"

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
	cfg := config.Config{DatabaseURL: db.URL, DevJWTSecret: "a-test-secret-of-at-least-32-bytes!!"}
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
		for _, op := range []string{"create", "get", "list", "search", "duplicates", "activities"} {
			require.Regexp(t, `(?m)^\s*`+caller+`\s+`+op+`\s+10\s+0\s`, out.String(), "%s %s", caller, op)
		}
	}
}
