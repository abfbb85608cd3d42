package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/config"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// runService wires the service on db as its login role, with dev auth,
// and runs its background work (River, the mailer) until t ends.
func runService(ctx context.Context, t *testing.T, db *pgtest.DB, options ...func(*config.Config)) (config.Config, *service) {
	t.Helper()
	cfg := config.Config{DatabaseURL: db.AppURL, DevAuth: true, DevJWTSecret: "a-test-secret-of-at-least-32-bytes!!",
		PublicURL: "https://leads.example", EventRetention: time.Hour, ShutdownTimeout: 10 * time.Second,
		Features: config.Features{LeadWidget: true, CrossModuleEvents: true, Prometheus: true}}.WithDevDefaults()
	for _, o := range options {
		o(&cfg)
	}
	pool, err := postgres.Open(ctx, db.AppURL, 8)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	svc, err := wire(ctx, cfg, pool, auth.DevVerifier{Secret: []byte(cfg.DevJWTSecret)}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	bg, stop := context.WithCancel(ctx)
	svc.background(bg)
	t.Cleanup(func() { stop(); svc.close() })
	return cfg, svc
}

// harness is the wired service behind a test HTTP server, with the
// test's context; its cleanup ends the context (open streams) before the
// server closes.
type harness struct {
	ctx context.Context
	db  *pgtest.DB
	cfg config.Config
	svc *service
	srv *httptest.Server
}

func newHarness(t *testing.T, options ...func(*config.Config)) *harness {
	t.Helper()
	db := pgtest.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	cfg, svc := runService(ctx, t, db, options...)
	srv := httptest.NewServer(svc.handler)
	t.Cleanup(srv.Close)
	t.Cleanup(cancel)
	return &harness{ctx: ctx, db: db, cfg: cfg, svc: svc, srv: srv}
}

// dueLead registers, as the MANAGER of DE whose token tok is, a lead that
// agreed to mail and backdates it by 8 days, so that both its follow-ups
// are due at once; it returns the lead's id.
func (h *harness) dueLead(t *testing.T, tok string) string {
	t.Helper()
	status, body := callAPI(h.ctx, t, h.srv.URL, tok, "POST", "/api/leads", map[string]any{"companyName": "Gasthaus Linde",
		"email": "kueche@linde.example", "emailConsent": true, "businessType": "HOTEL"})
	require.Equal(t, http.StatusCreated, status, string(body))
	var l struct{ ID string }
	require.NoError(t, json.Unmarshal(body, &l))
	backdate := map[string]any{"registeredAt": time.Now().Add(-8 * 24 * time.Hour).UTC().Format(time.RFC3339),
		"reason": "Messekontakt, auf Papier erfasst"}
	status, body = callAPI(h.ctx, t, h.srv.URL, tok, "PUT", "/api/leads/"+l.ID+"/registered-at", backdate, "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, status, string(body))
	return l.ID
}

// until polls cond until it holds, and fails with what cond last said
// when the harness's time is up.
func (h *harness) until(t *testing.T, cond func() (ok bool, state string)) {
	t.Helper()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, state := cond()
		if ok {
			return
		}
		select {
		case <-h.ctx.Done():
			t.Fatalf("waited in vain: %s", state)
		case <-tick.C:
		}
	}
}

// token is a development token of user.
func (h *harness) token(t *testing.T, user, role string, territories ...string) string {
	t.Helper()
	tok, err := auth.DevIssuer{Secret: []byte(h.cfg.DevJWTSecret)}.Issue(user, []string{role}, territories, user, "", time.Hour)
	require.NoError(t, err)
	return tok
}

// TestBackdatingSendsTheDueFollowUpsOnce runs the wired service (River,
// the worker, the mailer with the dev sink) as the login role: a lead
// backdated by 8 days through the API gets both follow-up mails within
// seconds; backdating it again sends nothing more.
func TestBackdatingSendsTheDueFollowUpsOnce(t *testing.T) {
	h := newHarness(t)
	ctx, db, srv, tok := h.ctx, h.db, h.srv, h.token(t, "manager.de", "MANAGER", "DE")
	call := func(method, path string, body any, header ...string) (int, []byte) {
		t.Helper()
		return callAPI(ctx, t, srv.URL, tok, method, path, body, header...)
	}

	l := struct{ ID string }{h.dueLead(t, tok)}

	mails := func() []struct{ Subject, Recipient string } {
		_, body := call("GET", "/dev/mail.json", nil)
		var out struct {
			Data []struct{ Subject, Recipient string } `json:"data"`
		}
		require.NoError(t, json.Unmarshal(body, &out))
		return out.Data
	}
	// Wait for the durable outcome: both mails recorded SENT.
	h.until(t, func() (bool, string) {
		var sent int
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM mail_outbox WHERE lead_id = $1 AND state = 'SENT'`,
			l.ID).Scan(&sent))
		if sent < 2 {
			return false, fmt.Sprintf("the follow-ups were not sent: %v", mails())
		}
		return true, ""
	})
	got := mails()
	require.Len(t, got, 2)
	for _, m := range got {
		require.Equal(t, "kueche@linde.example", m.Recipient)
	}

	counts := func() []int {
		var jobs, outbox int
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM river_job WHERE args->>'leadId' = $1),
			(SELECT count(*) FROM mail_outbox WHERE lead_id = $1::uuid)`, l.ID).Scan(&jobs, &outbox))
		return []int{jobs, outbox}
	}
	before := counts()
	backdate := map[string]any{"registeredAt": time.Now().Add(-9 * 24 * time.Hour).UTC().Format(time.RFC3339),
		"reason": "Messekontakt, auf Papier erfasst"}
	status, body := call("PUT", "/api/leads/"+l.ID+"/registered-at", backdate, "If-Match", `"*"`)
	require.Equal(t, http.StatusPreconditionFailed, status, string(body))
	_, body = call("GET", "/api/leads/"+l.ID, nil)
	var now struct {
		Version       int `json:"version"`
		FollowUpCount int `json:"followUpCount"`
	}
	require.NoError(t, json.Unmarshal(body, &now))
	require.Equal(t, 2, now.FollowUpCount)
	status, body = call("PUT", "/api/leads/"+l.ID+"/registered-at", backdate, "If-Match", fmt.Sprintf(`"%d"`, now.Version))
	require.Equal(t, http.StatusOK, status, string(body))
	require.Equal(t, before, counts(), "nothing is scheduled or written again")
	require.Equal(t, 2, before[1])
}

// callAPI sends body as JSON to base+path with tok and the header pairs,
// and returns the status and the body.
func callAPI(ctx context.Context, t *testing.T, base, tok, method, path string, body any, header ...string) (int, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, out
}
