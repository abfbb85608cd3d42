package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type sseEvent struct {
	id, name, data string
}

// openStream connects to the cockpit stream as tok and hands its events
// to the returned channel until the test or cancel ends it.
func openStream(ctx context.Context, t *testing.T, base, tok, lastID string) (<-chan sseEvent, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/cockpit/stream", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "text/event-stream", res.Header.Get("Content-Type"))
	out := make(chan sseEvent, 100)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var e sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e.name != "" {
					out <- e
				}
				e = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				e.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				e.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				e.data = line[6:]
			}
		}
	}()
	return out, cancel
}

// next is the next event of the stream named name, skipping others.
func next(ctx context.Context, t *testing.T, events <-chan sseEvent, name string) sseEvent {
	t.Helper()
	for {
		select {
		case e, ok := <-events:
			require.True(t, ok, "the stream ended")
			if e.name == name {
				return e
			}
		case <-ctx.Done():
			t.Fatalf("no %s event came", name)
		}
	}
}

func leadEvent(t *testing.T, e sseEvent) (typ, leadID string) {
	t.Helper()
	var ce struct {
		Type string `json:"type"`
		Data struct {
			LeadID string `json:"leadId"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(e.data), &ce))
	return ce.Type, ce.Data.LeadID
}

// TestCockpitStream: a rep's stream gets their lead's events and the
// widget that counts it; a colleague's stream and another territory's
// manager's never see it; a stream resumed with Last-Event-ID gets what
// it missed.
func TestCockpitStream(t *testing.T) {
	h := newHarness(t)
	ctx, srv := h.ctx, h.srv
	anna, ben, at := h.token(t, "sales.de.anna", "SALES", "DE"), h.token(t, "sales.de.ben", "SALES", "DE"),
		h.token(t, "manager.at", "MANAGER", "AT")
	annas, stopAnna := openStream(ctx, t, srv.URL, anna, "")
	bens, _ := openStream(ctx, t, srv.URL, ben, "")
	ats, _ := openStream(ctx, t, srv.URL, at, "")
	for _, s := range []<-chan sseEvent{annas, bens, ats} {
		next(ctx, t, s, "lead-widget") // each stream starts with its widget
	}

	create := func(tok, name string, country ...string) string {
		t.Helper()
		body := map[string]any{"companyName": name}
		if len(country) > 0 {
			body["countryCode"] = country[0]
		}
		status, reply := callAPI(ctx, t, srv.URL, tok, "POST", "/api/leads", body)
		body2 := reply
		require.Equal(t, http.StatusCreated, status, string(body2))
		var l struct{ ID string }
		require.NoError(t, json.Unmarshal(body2, &l))
		return l.ID
	}
	linde := create(anna, "Gasthaus Linde")
	e := next(ctx, t, annas, "lead-event")
	typ, id := leadEvent(t, e)
	require.Equal(t, "lead.created", typ)
	require.Equal(t, linde, id)
	require.NotEmpty(t, e.id)
	for {
		w := next(ctx, t, annas, "lead-widget")
		if strings.Contains(w.data, `"total":1`) {
			break
		}
	}

	// Ben's own lead comes through his stream; Anna's never did before it
	// (events arrive in order). The AT manager sees neither.
	post := create(ben, "Hotel Post")
	for {
		typ, id := leadEvent(t, next(ctx, t, bens, "lead-event"))
		require.NotEqual(t, linde, id, "Anna's lead reached Ben's stream")
		if id == post {
			require.Equal(t, "lead.created", typ)
			break
		}
	}
	barrier := create(at, "Gasthof Alpen", "AT")
	for {
		_, id := leadEvent(t, next(ctx, t, ats, "lead-event"))
		require.NotContains(t, []string{linde, post}, id, "a DE lead reached the AT manager's stream")
		if id == barrier {
			break
		}
	}

	// Anna disconnects; what happens meanwhile comes when she resumes.
	stopAnna()
	sonne := create(anna, "Restaurant Sonne")
	resumed, _ := openStream(ctx, t, srv.URL, anna, e.id)
	for {
		_, id := leadEvent(t, next(ctx, t, resumed, "lead-event"))
		require.NotEqual(t, post, id)
		if id == sonne {
			break
		}
	}
}

// TestAProcessedFollowUpReachesTheOwnersWidget is the seeds' end-to-end
// test, tightened: a lead backdated so that its T+3 falls due is processed
// by River's worker, and the owner's open stream gets a widget with the
// follow-up completed and no longer pending; the test logs how long after
// the follow-up's commit it came (the seeds allowed 5 s, the target is 1 s;
// the load harness measures it).
func TestAProcessedFollowUpReachesTheOwnersWidget(t *testing.T) {
	h := newHarness(t)
	ctx, db, srv := h.ctx, h.db, h.srv
	anna, manager := h.token(t, "sales.de.anna", "SALES", "DE"), h.token(t, "manager.de", "MANAGER", "DE")
	status, body := callAPI(ctx, t, srv.URL, anna, "POST", "/api/leads", map[string]any{"companyName": "Gasthaus Linde",
		"email": "kueche@linde.example", "emailConsent": true, "businessType": "RESTAURANT"})
	require.Equal(t, http.StatusCreated, status, string(body))
	var l struct{ ID string }
	require.NoError(t, json.Unmarshal(body, &l))

	stream, _ := openStream(ctx, t, srv.URL, anna, "")
	type figures struct {
		PendingT3Count   int `json:"pendingT3Count"`
		CompletedT3Today int `json:"completedT3Today"`
	}
	widget := func() figures {
		var f figures
		require.NoError(t, json.Unmarshal([]byte(next(ctx, t, stream, "lead-widget").data), &f))
		return f
	}
	for f := widget(); f.PendingT3Count != 1; f = widget() {
	}
	// Registered 4 days ago: T+3 is due, T+7 is not.
	backdate := map[string]any{"registeredAt": time.Now().Add(-4 * 24 * time.Hour).UTC().Format(time.RFC3339),
		"reason": "Messekontakt, auf Papier erfasst"}
	status, body = callAPI(ctx, t, srv.URL, manager, "PUT", "/api/leads/"+l.ID+"/registered-at", backdate, "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, status, string(body))
	for f := widget(); f.CompletedT3Today != 1 || f.PendingT3Count != 0; f = widget() {
	}
	arrived := time.Now()
	var processed time.Time
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT processed_at FROM follow_up WHERE lead_id = $1 AND kind = 'T3'`,
		l.ID).Scan(&processed))
	t.Logf("the owner's widget showed the processed follow-up %s after it committed", arrived.Sub(processed).Round(time.Millisecond))
}
