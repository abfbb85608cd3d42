package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/api"
	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/httpapi"
	"github.com/freshplan/leads/internal/idempotency"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres/pgtest"
	"github.com/freshplan/leads/internal/redact"
	"github.com/freshplan/leads/internal/territory"
	"github.com/freshplan/leads/internal/user"
)

const testSecret = "test-secret-of-at-least-thirty-two-bytes!"

var contract struct {
	once   sync.Once
	router routers.Router
	err    error
}

// openAPIRouter loads api/openapi.yaml once; every response a test receives
// is validated against it, so the contract cannot drift from the code.
func openAPIRouter(t testing.TB) routers.Router {
	contract.once.Do(func() {
		// Pages (unsubscribe) are validated as strings.
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(api.OpenAPI)
		if err != nil {
			contract.err = err
			return
		}
		if err = doc.Validate(context.Background()); err != nil {
			contract.err = err
			return
		}
		doc.Servers = nil
		contract.router, contract.err = gorillamux.NewRouter(doc)
	})
	require.NoError(t, contract.err)
	return contract.router
}

// env is one test's running API on its own database.
type env struct {
	t       testing.TB
	db      *pgtest.DB
	handler http.Handler
	logs    *syncBuffer
	now     time.Time
	mu      sync.Mutex
	metrics *metric.Set
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, db: pgtest.New(t), logs: &syncBuffer{}, now: time.Date(2025, 9, 26, 20, 0, 0, 0, time.UTC)}
	log := slog.New(redact.NewHandler(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	clock := func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }
	e.metrics = metric.New()
	// The service connects as production does: a login role that is no
	// superuser and bypasses nothing; fixtures and checks use e.db.Pool.
	pool := e.db.AppPool(t)
	territories, err := territory.Load(t.Context(), pool)
	require.NoError(t, err)
	pub := event.NewPublisher(pgnotify.NewRelay(pool), e.metrics, log, false, clock)
	e.handler = httpapi.New(httpapi.Deps{
		Metrics: e.metrics,
		Feed:    event.NewFeed(pool),
		Leads: lead.NewService(lead.Deps{Pool: pool, Publisher: pub, Metrics: e.metrics, Territories: territories,
			Hooks: []lead.TxHook{idempotency.NewHook(clock)}, Now: clock, Log: log}),
		Users:       user.NewDirectory(pool, clock),
		Idempotency: idempotency.NewStore(pool, clock),
		Verifier:    auth.KnownTerritories(auth.DevVerifier{Secret: []byte(testSecret), Now: clock}, territories.Known),
		DB:          pool,
		Log:         log,
		OpenAPI:     api.OpenAPI,
		// The unsubscribe links' secret.
		UnsubscribeSecret: []byte(testSecret),
	})
	return e
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// token mints a dev token for user with one role and its territories, and
// records the user in the directory as a first request would.
func (e *env) token(user string, role auth.Role, territories ...string) string {
	e.t.Helper()
	iss := auth.DevIssuer{Secret: []byte(testSecret), Now: func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }}
	tok, err := iss.Issue(user, []string{string(role)}, territories, user+" Name", user+"@freshplan.example", 30*24*time.Hour)
	require.NoError(e.t, err)
	return tok
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t testing.TB, dst any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Body, dst), string(r.Body))
}

func (r response) problem(t testing.TB) problemBody {
	t.Helper()
	var p problemBody
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), string(r.Body))
	r.json(t, &p)
	return p
}

type problemBody struct {
	Type               string            `json:"type"`
	Title              string            `json:"title"`
	Status             int               `json:"status"`
	Detail             string            `json:"detail"`
	Errors             []lead.FieldError `json:"errors"`
	AllowedTransitions []string          `json:"allowedTransitions"`
}

func (p problemBody) fields() []string {
	out := []string{}
	for _, f := range p.Errors {
		out = append(out, f.Field)
	}
	return out
}

// do sends a request and checks the response against the OpenAPI contract.
// body may be nil, a string (sent raw) or a value (sent as JSON).
func (e *env) do(method, path, token string, body any, headers ...string) response {
	e.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		raw, err = json.Marshal(b)
		require.NoError(e.t, err)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(raw))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	res := response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	e.validate(req, raw, res)
	return res
}

func (e *env) validate(req *http.Request, raw []byte, res response) {
	e.t.Helper()
	router := openAPIRouter(e.t)
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(raw))
	vreq.URL.Host, vreq.URL.Scheme = "", ""
	route, params, err := router.FindRoute(vreq)
	require.NoError(e.t, err, "route %s %s is not in api/openapi.yaml", req.Method, req.URL.Path)
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, ExcludeRequestBody: true}}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.Status, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(res.Body)), Options: &openapi3filter.Options{IncludeResponseStatus: true},
	})
	require.NoError(e.t, err, "response %d of %s %s violates api/openapi.yaml: %s", res.Status, req.Method, req.URL.Path, truncate(res.Body))
}

func truncate(b []byte) string {
	s := string(b)
	if len(s) > 500 {
		return s[:500] + "..."
	}
	return strings.TrimSpace(s)
}

// createLead creates a lead and returns it.
func (e *env) createLead(token string, body map[string]any) lead.Lead {
	e.t.Helper()
	res := e.do("POST", "/api/leads", token, body)
	require.Equal(e.t, http.StatusCreated, res.Status, string(res.Body))
	var l lead.Lead
	res.json(e.t, &l)
	return l
}

// snapshot fingerprints every table a request could write, as the admin
// connection sees them.
func (e *env) snapshot() string {
	e.t.Helper()
	var s string
	err := e.db.Pool.QueryRow(context.Background(), `SELECT
		(SELECT coalesce(md5(string_agg(l::text, '|' ORDER BY id)), '') FROM leads l) ||
		(SELECT coalesce(md5(string_agg(a::text, '|' ORDER BY id)), '') FROM activities a) ||
		(SELECT coalesce(md5(string_agg(x::text, '|' ORDER BY id)), '') FROM audit_log x)`).Scan(&s)
	require.NoError(e.t, err)
	return s
}

// doWith sends a body-less request to another handler, validated against the contract.
func (e *env) doWith(h http.Handler, method, path string) response {
	e.t.Helper()
	req := httptest.NewRequest(method, path, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	e.validate(req, nil, res)
	return res
}
