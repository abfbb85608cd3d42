package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
)

// raceRequest is one of the concurrent requests of a trial. notRun marks
// a request refused without executing (a soft-duplicate warning, a
// validation failure): its answer is not stored and frees the key.
type raceRequest struct {
	path   string
	body   map[string]any
	notRun bool
}

// rows counts what a command can write, as the admin connection sees it.
type rows struct{ leads, activities, audits, events int }

func (e *env) rows(t *testing.T) rows {
	t.Helper()
	return rows{
		leads:      e.count(t, `SELECT count(*) FROM leads`),
		activities: e.count(t, `SELECT count(*) FROM activities`),
		audits:     e.count(t, `SELECT count(*) FROM audit_log`),
		events:     e.count(t, `SELECT count(*) FROM event_outbox`),
	}
}

func (r rows) minus(o rows) rows {
	return rows{r.leads - o.leads, r.activities - o.activities, r.audits - o.audits, r.events - o.events}
}

// fire sends reqs under one key, all at once except those with waits[i],
// which start when the first request has its answer, so some trials meet a
// running holder and others a committed one.
func (e *env) fire(token, key string, reqs []raceRequest, waits []bool) []response {
	start, first := make(chan struct{}), make(chan struct{})
	out := make([]response, len(reqs))
	var wg sync.WaitGroup
	for i, rq := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if waits[i] && i > 0 {
				<-first
			}
			out[i] = e.do("POST", rq.path, token, rq.body, "Idempotency-Key", key)
			if i == 0 {
				close(first)
			}
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// problemType is the problem type of a problem+json response, else "".
func problemType(r response) string {
	if r.Header.Get("Content-Type") != "application/problem+json" {
		return ""
	}
	var p struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(r.Body, &p)
	return p.Type
}

// Kinds of answer in a trial.
const (
	answerExecuted   = "executed"
	answerReplayed   = "replayed"
	answerInProgress = "in progress"
	answerReused     = "key reused"
	answerNotRun     = "refused without executing"
)

func kindOf(r response) string {
	switch {
	case r.Header.Get("Idempotent-Replayed") == "true":
		return answerReplayed
	case problemType(r) == "/problems/idempotency-in-progress":
		return answerInProgress
	case problemType(r) == "/problems/idempotency-key-reused":
		return answerReused
	case problemType(r) == "/problems/possible-duplicate", problemType(r) == "/problems/validation":
		return answerNotRun
	}
	return answerExecuted
}

// checkOneExecuted asserts the rule of SPEC §4 for one trial: exactly one
// response is an executed answer; every other is the identical replay of
// it (only for the identical request), 409 in progress, 422 key reused
// (only for a different request), or the unstored refusal of a request
// that does not execute. It returns the executed response.
func checkOneExecuted(t *testing.T, trial int, reqs []raceRequest, res []response) response {
	t.Helper()
	executed := -1
	for i, r := range res {
		if kindOf(r) != answerExecuted {
			continue
		}
		if executed != -1 {
			t.Fatalf("trial %d: two requests executed: %d %s and %d %s",
				trial, res[executed].Status, res[executed].Body, r.Status, r.Body)
		}
		executed = i
	}
	require.NotEqual(t, -1, executed, "trial %d: no request executed", trial)
	require.False(t, reqs[executed].notRun, "trial %d: %s", trial, res[executed].Body)
	same := func(i int) bool {
		return reqs[i].path == reqs[executed].path && fmt.Sprint(reqs[i].body) == fmt.Sprint(reqs[executed].body)
	}
	for i, r := range res {
		switch kindOf(r) {
		case answerReplayed:
			require.True(t, same(i), "trial %d: a different request got a replay", trial)
			require.Equal(t, res[executed].Status, r.Status, "trial %d", trial)
			require.True(t, bytes.Equal(res[executed].Body, r.Body), "trial %d: replay differs", trial)
		case answerReused:
			require.False(t, same(i), "trial %d: the identical request was called a reused key", trial)
			require.Equal(t, http.StatusUnprocessableEntity, r.Status)
		case answerNotRun:
			require.True(t, reqs[i].notRun, "trial %d: %s", trial, r.Body)
		case answerInProgress:
			require.Equal(t, http.StatusConflict, r.Status)
		}
	}
	return res[executed]
}

// mixes are the trials' request sets: indices into a trial's requests
// (0 and 1 the same valid request, 2 one refused with a stored answer, 3 a
// different valid request, 4 one refused without executing). Every mix
// has a request that executes.
var mixes = [][]int{{0, 1}, {0, 2}, {0, 3}, {2, 0}, {4, 0}, {0, 1, 2}, {0, 2, 3}, {4, 0, 1},
	{2, 3, 0, 1}, {0, 4, 2}, {0, 1, 2, 3}, {3, 2, 1}, {4, 3, 0, 1}}

// waitsFor staggers every third trial: some later requests start only
// once the first has its answer, and meet a committed key.
func waitsFor(trial, n int) []bool {
	w := make([]bool, n)
	for i := range w {
		w[i] = trial%3 == 2 && (trial+i)%2 == 1
	}
	return w
}

// TestConcurrentMixedCreatesUnderOneKey: 15 trials of 2–4 concurrent
// creates under one key — the same valid body twice, a hard duplicate of
// an existing lead (409 duplicate-lead, a stored outcome), a different
// valid body, a soft duplicate (a warning, not stored: it frees the key
// for the others). Each trial ends with exactly one execution, in the
// answers, in the rows written and in the answer kept.
func TestConcurrentMixedCreatesUnderOneKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	before := e.rows(t)
	e.createLead(anna, map[string]any{"companyName": "Bestand KG", "city": "Ulm", "email": "bestand@kunde.example"})
	perCreate := e.rows(t).minus(before)
	for trial := range 15 {
		// Random names and their own e-mail domains: no body is a soft
		// duplicate of another trial's lead, except the warning on purpose.
		alpha, beta := uuid.NewString()[:13], uuid.NewString()[:13]
		valid := map[string]any{"companyName": alpha, "city": alpha, "email": "einkauf@" + alpha + ".example"}
		reqsOf := []raceRequest{
			{path: "/api/leads", body: valid},
			{path: "/api/leads", body: valid},
			{path: "/api/leads", body: map[string]any{"companyName": uuid.NewString()[:13], "city": "Dublettenheim", "email": "bestand@kunde.example"}},
			{path: "/api/leads", body: map[string]any{"companyName": beta, "city": beta}},
			{path: "/api/leads", body: map[string]any{"companyName": "Bestand KG", "city": "Ulm"}, notRun: true},
		}
		var reqs []raceRequest
		for _, i := range mixes[trial%len(mixes)] {
			reqs = append(reqs, reqsOf[i])
		}
		start := e.rows(t)
		res := e.fire(anna, fmt.Sprintf("k-race-create-%d", trial), reqs, waitsFor(trial, len(reqs)))
		got := checkOneExecuted(t, trial, reqs, res)
		written := e.rows(t).minus(start)
		switch got.Status {
		case http.StatusCreated:
			require.Equal(t, perCreate, written, "trial %d: one lead with its activity and event", trial)
		case http.StatusConflict:
			require.Equal(t, "/problems/duplicate-lead", problemType(got), "trial %d", trial)
			require.Equal(t, rows{}, written, "trial %d: the duplicate wrote nothing", trial)
		default:
			t.Fatalf("trial %d: executed answer %d %s", trial, got.Status, got.Body)
		}
		require.Equal(t, 1, e.count(t, `SELECT count(*) FROM idempotency_key WHERE key = $1 AND status = $2`,
			fmt.Sprintf("k-race-create-%d", trial), got.Status), "trial %d: the executed answer is the one kept", trial)
	}
}

// TestConcurrentMixedActivitiesUnderOneKey: 15 trials of 2–4 concurrent
// activity requests under one key — the same activity twice, one for a
// deleted lead (409, a stored outcome), a different activity, an invalid
// one (422 before the command, not stored).
func TestConcurrentMixedActivitiesUnderOneKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	mia := e.token("mia", auth.RoleManager, "DE")
	live := e.createLead(anna, map[string]any{"companyName": "Kantine Zentral", "city": "Fulda"})
	gone := e.createLead(anna, map[string]any{"companyName": "Imbiss Alt", "city": "Gera"})
	require.Equal(t, http.StatusNoContent, e.do("DELETE", "/api/leads/"+gone.ID.String(), mia, nil, "If-Match", `"1"`).Status)
	livePath, gonePath := "/api/leads/"+live.ID.String()+"/activities", "/api/leads/"+gone.ID.String()+"/activities"
	before := e.rows(t)
	require.Equal(t, http.StatusCreated, e.do("POST", livePath, anna, map[string]any{"type": "NOTE", "description": "setup"}).Status)
	perActivity := e.rows(t).minus(before)
	for trial := range 15 {
		call := map[string]any{"type": "CALL", "description": fmt.Sprintf("Anruf %d", trial)}
		reqsOf := []raceRequest{
			{path: livePath, body: call},
			{path: livePath, body: call},
			{path: gonePath, body: call},
			{path: livePath, body: map[string]any{"type": "NOTE", "description": fmt.Sprintf("Notiz %d", trial)}},
			{path: livePath, body: map[string]any{"type": "TELEGRAM"}, notRun: true},
		}
		var reqs []raceRequest
		for _, i := range mixes[(trial+3)%len(mixes)] {
			reqs = append(reqs, reqsOf[i])
		}
		key := fmt.Sprintf("k-race-activity-%d", trial)
		start := e.rows(t)
		got := checkOneExecuted(t, trial, reqs, e.fire(anna, key, reqs, waitsFor(trial, len(reqs))))
		written := e.rows(t).minus(start)
		switch got.Status {
		case http.StatusCreated:
			require.Equal(t, perActivity, written, "trial %d: one activity", trial)
		case http.StatusConflict:
			require.Equal(t, "/problems/conflict", problemType(got), "trial %d: %s", trial, got.Body)
			require.Equal(t, rows{}, written, "trial %d", trial)
		default:
			t.Fatalf("trial %d: executed answer %d %s", trial, got.Status, got.Body)
		}
		require.Equal(t, 1, e.count(t, `SELECT count(*) FROM idempotency_key WHERE key = $1 AND status = $2`, key, got.Status))
	}
}
