package httpapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/httpapi"
	"github.com/freshplan/leads/internal/lead"
)

type feedPage struct {
	Data []json.RawMessage `json:"data"`
	Next string            `json:"next"`
}

// feed reads the whole feed of a caller, page by page.
func (e *env) feed(token string, limit string) []event.Envelope {
	e.t.Helper()
	var out []event.Envelope
	after := ""
	for range 100 {
		var p feedPage
		res := e.do("GET", "/api/events?limit="+limit+"&after="+after, token, nil)
		require.Equal(e.t, http.StatusOK, res.Status, string(res.Body))
		res.json(e.t, &p)
		for _, raw := range p.Data {
			var ce cloudevents.Event
			require.NoError(e.t, json.Unmarshal(raw, &ce))
			require.NoError(e.t, ce.Validate())
			var env event.Envelope
			require.NoError(e.t, json.Unmarshal(raw, &env))
			out = append(out, env)
		}
		if len(p.Data) == 0 {
			return out
		}
		after = p.Next
	}
	e.t.Fatal("feed did not end")
	return nil
}

func TestEventFeedShowsOnlyWhatTheCallerMaySee(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	ben := e.token("ben", auth.RoleSales, "DE")
	david := e.token("david", auth.RoleSales, "AT")
	mia := e.token("mia", auth.RoleManager, "DE")
	root := e.token("root", auth.RoleAdmin)

	annas := e.createLead(anna, map[string]any{"companyName": "Anna's"})
	bens := e.createLead(ben, map[string]any{"companyName": "Ben's"})
	austrian := e.createLead(david, map[string]any{"companyName": "Wiener", "countryCode": "AT"})
	res := e.do("PATCH", "/api/leads/"+annas.ID.String(), anna, map[string]any{"status": "ACTIVE"}, "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, res.Status)
	res = e.do("POST", "/api/leads/"+annas.ID.String()+"/activities", anna, map[string]any{"type": "CALL"})
	require.Equal(t, http.StatusCreated, res.Status)

	subjects := func(envs []event.Envelope) map[string][]string {
		out := map[string][]string{}
		for _, env := range envs {
			out[env.Subject] = append(out[env.Subject], env.Type)
		}
		return out
	}
	annaFeed := e.feed(anna, "2")
	require.Equal(t, map[string][]string{annas.ID.String(): {lead.TypeCreated, lead.TypeStatusChanged, lead.TypeActivityAdded}}, subjects(annaFeed))
	for i, env := range annaFeed {
		require.Equal(t, i+1, env.SubjectVersion, "events of one lead come in leadversion order")
		require.Equal(t, "DE", env.Territory)
		require.Equal(t, env.ID, env.IdempotencyKey)
		require.NotEmpty(t, env.CorrelationID, "the request id is the correlation id")
	}
	require.Equal(t, lead.StatusChangedKey(annas.ID, "REGISTERED", "ACTIVE", e.now).String(), annaFeed[1].ID)
	var changed map[string]any
	require.NoError(t, json.Unmarshal(annaFeed[1].Data, &changed))
	require.Equal(t, map[string]any{"leadId": annas.ID.String(), "companyName": "Anna's", "oldStatus": "REGISTERED", "newStatus": "ACTIVE",
		"changedBy": "anna", "changedAt": event.FormatTime(e.now), "territory": "DE"}, changed)

	require.Equal(t, []string{bens.ID.String()}, keys(subjects(e.feed(ben, "100"))))
	require.ElementsMatch(t, []string{annas.ID.String(), bens.ID.String()}, keys(subjects(e.feed(mia, "100"))))
	require.ElementsMatch(t, []string{annas.ID.String(), bens.ID.String(), austrian.ID.String()}, keys(subjects(e.feed(root, "100"))))

	for q, field := range map[string]string{"after=abc": "after", "after=-1": "after", "limit=0": "limit", "limit=1001": "limit"} {
		res := e.do("GET", "/api/events?"+q, anna, nil)
		require.Equal(t, http.StatusUnprocessableEntity, res.Status, q)
		require.Equal(t, []string{field}, res.problem(t).fields(), q)
	}
}

func keys(m map[string][]string) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestReadinessFollowsTheEventListener(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	quiet := slog.New(slog.DiscardHandler)
	listener := func(url, name string) event.Listener {
		return pgnotify.NewListener(pgnotify.Config{ConnString: url, ApplicationName: name})
	}
	up := event.NewBus(event.Config{}, e.db.Pool, listener(e.db.URL, "ready-"+e.db.Name), e.metrics, quiet, time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = up.Run(ctx) }()
	<-up.Reconnected
	// A listener that never connects: DOWN once the grace period has
	// passed on the bus's clock.
	start := time.Now()
	var mu sync.Mutex
	later := start
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return later }
	down := event.NewBus(event.Config{}, e.db.Pool, listener("postgres://nobody@127.0.0.1:1/none?connect_timeout=1", "down"),
		e.metrics, quiet, clock)
	go func() { _ = down.Run(ctx) }()
	mu.Lock()
	later = start.Add(time.Minute)
	mu.Unlock()

	for bus, want := range map[*event.Bus]int{up: http.StatusOK, down: http.StatusServiceUnavailable} {
		h := httpapi.New(httpapi.Deps{Events: bus, Metrics: e.metrics, DB: e.db.Pool, Log: quiet})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/q/health/ready", nil))
		require.Equal(t, want, rec.Code, rec.Body.String())
		var body struct {
			Status string `json:"status"`
			Checks []struct {
				Name   string         `json:"name"`
				Status string         `json:"status"`
				Data   map[string]any `json:"data"`
			} `json:"checks"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
		require.Len(t, body.Checks, 2)
		require.Equal(t, "lead-event-handler", body.Checks[1].Name)
		require.Equal(t, want == http.StatusOK, body.Checks[1].Data["connected"])
		require.Contains(t, body.Checks[1].Data, "lagEvents")
	}
	// The metrics endpoint serves the catalog.
	h := httpapi.New(httpapi.Deps{Events: up, Metrics: e.metrics, DB: e.db.Pool, Log: quiet})
	res := e.doWith(h, "GET", "/q/metrics")
	require.Equal(t, http.StatusOK, res.Status)
	require.Contains(t, string(res.Body), "freshplan_listener_connected 1")
}
