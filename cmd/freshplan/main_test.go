package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/demo"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// TestServeDemo runs what `make run` runs, against a fresh database: the
// service migrates, loads the demo data, answers a demo user's token with
// that user's leads only, and stops cleanly on cancel (SIGTERM).
func TestServeDemo(t *testing.T) {
	db := pgtest.New(t)
	cfg, err := config.FromEnv()
	require.NoError(t, err)
	cfg.DatabaseURL, cfg.MigrateDatabaseURL = db.URL, db.URL
	cfg.ListenerAppName = "serve-demo-" + db.Name
	addr := freeAddr(t)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, log, []string{"--demo", "--addr", addr}) }()

	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v", err)
		default:
		}
		res, err := http.Get(base + "/q/health/ready")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		require.True(t, time.Now().Before(deadline), "the service did not become ready")
		time.Sleep(100 * time.Millisecond)
	}

	var tok bytes.Buffer
	require.NoError(t, token(cfg, []string{"--user", "sales.de.anna", "--role", "SALES", "--territory", "DE"}, &tok))
	req, _ := http.NewRequest("GET", base+"/api/leads?size=100", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(tok.String()))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	var page struct {
		Data []struct {
			Territory   string `json:"territory"`
			OwnerUserID string `json:"ownerUserId"`
		} `json:"data"`
		Total int `json:"total"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&page))
	require.Positive(t, page.Total)
	require.Less(t, page.Total, demo.LeadCount)
	for _, l := range page.Data {
		require.Equal(t, "DE", l.Territory)
		require.Equal(t, "sales.de.anna", l.OwnerUserID)
	}

	res, err = http.Get(base + "/q/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Contains(t, string(body), "freshplan_http_request_duration_seconds")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestTokenAndProductionConfig(t *testing.T) {
	cfg := config.Config{DevJWTSecret: config.DefaultDevSecret}
	var out bytes.Buffer
	require.Error(t, token(cfg, []string{"--user", "x"}, &out), "a role is required")
	require.Error(t, token(cfg, []string{"--user", "x", "--role", "SYSTEM"}, &out), "no token for SYSTEM")
	require.NoError(t, token(cfg, []string{"--user", "x", "--role", "sales", "--territory", "DE,CH"}, &out))
	require.Equal(t, 3, strings.Count(strings.TrimSpace(out.String()), ".")+1)

	prod := config.Config{MaxConns: 4, LogLevel: "info", EventRetention: time.Hour * 24}
	require.ErrorContains(t, prod.Validate(), "OIDC", "production needs an identity provider")
	prod.OIDCIssuer, prod.OIDCAudience = "https://idp.example/realms/freshplan", "freshplan"
	require.ErrorContains(t, prod.Validate(), "UNSUBSCRIBE_SECRET", "production refuses to sign mail links without a secret")
	prod.UnsubscribeSecret = "too short"
	require.ErrorContains(t, prod.Validate(), "UNSUBSCRIBE_SECRET")
	prod.UnsubscribeSecret = strings.Repeat("s", 32)
	require.NoError(t, prod.Validate())
	prod.AllowUnauthenticatedPublisher = true
	require.ErrorContains(t, prod.Validate(), "tests only")
}

func TestToolCommands(t *testing.T) {
	db := pgtest.New(t)
	cfg := config.Config{DatabaseURL: db.URL, MigrateDatabaseURL: db.URL, DevJWTSecret: config.DefaultDevSecret}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	ctx := t.Context()
	var out bytes.Buffer
	require.NoError(t, migrate(ctx, cfg, log, nil))
	require.NoError(t, seed(ctx, cfg, log, []string{"--demo"}))
	require.NoError(t, normalizeCmd(ctx, cfg, log, []string{"--backfill"}, &out))
	require.Contains(t, out.String(), `"scanned":300`)
	out.Reset()
	// The demo leads predate nothing: the backfill gives all 300 their records.
	require.NoError(t, followupsCmd(ctx, cfg, log, []string{"--backfill", "--batch", "70"}, &out))
	require.Contains(t, out.String(), `"leads":300`)
	out.Reset()
	require.NoError(t, followupsCmd(ctx, cfg, log, []string{"--backfill"}, &out))
	require.Contains(t, out.String(), `"leads":0`, "a second run finds nothing to do")
	require.Error(t, followupsCmd(ctx, cfg, log, nil, &out))
	out.Reset()
	// The protection walk reads every watched demo lead; a second run the
	// same day finds nothing due.
	require.NoError(t, protectCmd(ctx, cfg, log, []string{"--batch", "70"}, &out))
	require.Contains(t, out.String(), `"scanned":`)
	out.Reset()
	require.NoError(t, protectCmd(ctx, cfg, log, nil, &out))
	require.Contains(t, out.String(), `"reminders":0,"gracePeriods":0,"expired":0`)
	require.Error(t, protectCmd(ctx, cfg, log, []string{"--batch", "0"}, &out))
	out.Reset()
	require.NoError(t, events(ctx, cfg, log, []string{"parked"}, &out))
	require.Equal(t, "[]\n", out.String(), "nothing parked")
	require.Error(t, events(ctx, cfg, log, []string{"replay", "--consumer", "none", "--from", "1"}, &out))
	require.Error(t, events(ctx, cfg, log, []string{"replay"}, &out))
	require.Error(t, normalizeCmd(ctx, cfg, log, nil, &out))
	require.Error(t, seed(ctx, cfg, log, nil))
}
