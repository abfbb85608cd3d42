package httpapi_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/lead"
)

func (e *env) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, e.db.Pool.QueryRow(t.Context(), sql, args...).Scan(&n))
	return n
}

func TestIdempotentCreateReplaysWithoutSecondLead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	body := map[string]any{"companyName": "Hotel Post", "city": "Bonn"}
	first := e.do("POST", "/api/leads", anna, body, "Idempotency-Key", "create-hotel-post-1")
	require.Equal(t, http.StatusCreated, first.Status)
	require.Empty(t, first.Header.Get("Idempotent-Replayed"))

	again := e.do("POST", "/api/leads", anna, body, "Idempotency-Key", "create-hotel-post-1")
	require.Equal(t, http.StatusCreated, again.Status)
	require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	require.Equal(t, first.Body, again.Body, "the identical body")
	for _, h := range []string{"Location", "ETag", "Content-Type"} {
		require.Equal(t, first.Header.Get(h), again.Header.Get(h), h)
	}
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM leads`))
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM event_outbox WHERE type = 'lead.created'`), "no second event")

	// The same key with another body is refused and changes nothing.
	res := e.do("POST", "/api/leads", anna, map[string]any{"companyName": "Hotel Post", "force": true}, "Idempotency-Key", "create-hotel-post-1")
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	require.Equal(t, []string{"Idempotency-Key"}, res.problem(t).fields())
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM leads`))

	// Keys are per user: the same key of another user is a new request.
	ben := e.token("ben", auth.RoleSales, "DE")
	res = e.do("POST", "/api/leads", ben, body, "Idempotency-Key", "create-hotel-post-1")
	require.Equal(t, http.StatusCreated, res.Status)
	require.Empty(t, res.Header.Get("Idempotent-Replayed"))

	m := e.metrics.IdempotencyRequests
	require.Equal(t, 2.0, testutil.ToFloat64(m.WithLabelValues("stored")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.WithLabelValues("replayed")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.WithLabelValues("mismatch")))
}

func TestIdempotentErrorsAndOtherMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	mia := e.token("mia", auth.RoleManager, "DE")
	// A validation failure did not execute: it is not stored, the repeat
	// is validated again, and the key stays free (SPEC §4).
	bad := map[string]any{"companyName": ""}
	res := e.do("POST", "/api/leads", anna, bad, "Idempotency-Key", "k-invalid")
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	again := e.do("POST", "/api/leads", anna, bad, "Idempotency-Key", "k-invalid")
	require.Equal(t, http.StatusUnprocessableEntity, again.Status)
	require.Empty(t, again.Header.Get("Idempotent-Replayed"))
	require.Equal(t, 0, e.count(t, `SELECT count(*) FROM idempotency_key WHERE key = 'k-invalid'`))

	l := e.createLead(anna, map[string]any{"companyName": "Kantine Ost"})
	id := "/api/leads/" + l.ID.String()
	p1 := e.do("PATCH", id, anna, map[string]any{"status": "ACTIVE"}, "If-Match", `"1"`, "Idempotency-Key", "k-patch")
	require.Equal(t, http.StatusOK, p1.Status)
	p2 := e.do("PATCH", id, anna, map[string]any{"status": "ACTIVE"}, "If-Match", `"1"`, "Idempotency-Key", "k-patch")
	require.Equal(t, http.StatusOK, p2.Status, "replayed, not 412 for the now stale If-Match")
	require.Equal(t, p1.Body, p2.Body)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM activities WHERE lead_id = $1 AND type = 'STATUS_CHANGE'`, l.ID))

	a1 := e.do("POST", id+"/activities", anna, map[string]any{"type": "CALL"}, "Idempotency-Key", "k-act")
	a2 := e.do("POST", id+"/activities", anna, map[string]any{"type": "CALL"}, "Idempotency-Key", "k-act")
	require.Equal(t, http.StatusCreated, a2.Status)
	require.Equal(t, a1.Body, a2.Body)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM activities WHERE lead_id = $1 AND type = 'CALL'`, l.ID))

	d1 := e.do("DELETE", id, mia, nil, "If-Match", `"3"`, "Idempotency-Key", "k-del")
	require.Equal(t, http.StatusNoContent, d1.Status, e.logs.String())
	d2 := e.do("DELETE", id, mia, nil, "If-Match", `"3"`, "Idempotency-Key", "k-del")
	require.Equal(t, http.StatusNoContent, d2.Status)
	require.Equal(t, "true", d2.Header.Get("Idempotent-Replayed"))

	for _, key := range []string{string(make([]byte, 256)), "tab\tkey", "ümlaut"} {
		res := e.do("POST", "/api/leads", anna, map[string]any{"companyName": "X"}, "Idempotency-Key", key)
		require.Equal(t, http.StatusUnprocessableEntity, res.Status)
		require.Equal(t, []string{"Idempotency-Key"}, res.problem(t).fields())
	}
}

func TestIdempotencyKeyExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	body := map[string]any{"companyName": "Gasthof Adler"}
	require.Equal(t, http.StatusCreated, e.do("POST", "/api/leads", anna, body, "Idempotency-Key", "k-ttl").Status)
	e.advance(23 * time.Hour)
	require.Equal(t, "true", e.do("POST", "/api/leads", anna, body, "Idempotency-Key", "k-ttl").Header.Get("Idempotent-Replayed"))
	e.advance(2 * time.Hour)
	res := e.do("POST", "/api/leads", anna, body, "Idempotency-Key", "k-ttl")
	require.Empty(t, res.Header.Get("Idempotent-Replayed"), "after 24 h the key is new again: the request runs")
	require.Equal(t, http.StatusConflict, res.Status, "and now meets the lead it created as a possible duplicate")
	require.Equal(t, "/problems/possible-duplicate", res.problem(t).Type)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM leads`))
}

func TestConcurrentRequestsWithOneKeyCreateOneLead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	body := map[string]any{"companyName": "Bäckerei Korn", "city": "Kiel"}
	var wg sync.WaitGroup
	statuses := make([]int, 50)
	replayed := make([]string, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := e.do("POST", "/api/leads", anna, body, "Idempotency-Key", "k-burst")
			statuses[i], replayed[i] = res.Status, res.Header.Get("Idempotent-Replayed")
		}()
	}
	wg.Wait()
	created := 0
	for i, s := range statuses {
		require.Contains(t, []int{http.StatusCreated, http.StatusConflict}, s)
		if s == http.StatusCreated && replayed[i] == "" {
			created++
		}
	}
	require.Equal(t, 1, created, "exactly one request ran")
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM leads`))
}

// TestRefusedCommandsStoreTheirAnswer: a command refused inside its
// transaction (412 stale version, 409 transition, 404 unknown lead)
// stores its answer through the transaction hook, with the command's own
// writes rolled back to the savepoint: the repeat replays the same answer
// even after the cause went away, and nothing of the refused change exists.
func TestRefusedCommandsStoreTheirAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	l := e.createLead(anna, map[string]any{"companyName": "Gasthaus Linde"})
	id := "/api/leads/" + l.ID.String()
	require.Equal(t, http.StatusOK, e.do("PATCH", id, anna, map[string]any{"city": "Bonn"}, "If-Match", `"1"`).Status)

	cases := []struct {
		key, method, path, ifMatch string
		body                       map[string]any
		status                     int
	}{
		{"k-stale", "PATCH", id, `"1"`, map[string]any{"city": "Köln"}, http.StatusPreconditionFailed},
		{"k-transition", "PATCH", id, `"2"`, map[string]any{"status": "CONVERTED", "city": "Köln"}, http.StatusConflict},
		{"k-missing", "POST", "/api/leads/" + uuid.NewString() + "/activities", "", map[string]any{"type": "CALL"}, http.StatusNotFound},
	}
	for _, c := range cases {
		headers := []string{"Idempotency-Key", c.key}
		if c.ifMatch != "" {
			headers = append(headers, "If-Match", c.ifMatch)
		}
		first := e.do(c.method, c.path, anna, c.body, headers...)
		require.Equal(t, c.status, first.Status, c.key)
		require.Equal(t, 1, e.count(t, `SELECT count(*) FROM idempotency_key WHERE key = $1 AND status = $2`, c.key, c.status),
			"%s: the answer is stored", c.key)
		again := e.do(c.method, c.path, anna, c.body, headers...)
		require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"), c.key)
		require.Equal(t, first.Status, again.Status, c.key)
		require.Equal(t, first.Body, again.Body, c.key)
	}
	var got lead.Lead
	e.do("GET", id, anna, nil).json(t, &got)
	require.Equal(t, 2, got.Version, "no refused change was written")
	require.Equal(t, "Bonn", *got.City)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM activities WHERE lead_id = $1`, l.ID), "only the CREATED activity")
}
