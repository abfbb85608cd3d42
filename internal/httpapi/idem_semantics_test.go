package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/lead"
)

// keyRows counts the stored rows of an Idempotency-Key, as the admin
// connection sees them.
func (e *env) keyRows(t *testing.T, key string) int {
	t.Helper()
	return e.count(t, `SELECT count(*) FROM idempotency_key WHERE key = $1`, key)
}

// TestMissingIfMatchIsNotStored replays the probe of the "Hardening" issue:
// a PATCH without If-Match is refused with 428 before anything runs; the
// corrected PATCH (same body, so the same fingerprint) under the same key
// executes instead of getting the 428 again, and only its answer is kept.
func TestMissingIfMatchIsNotStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	l := e.createLead(anna, map[string]any{"companyName": "Gasthof Krone"})
	id := "/api/leads/" + l.ID.String()
	body := map[string]any{"city": "Bonn"}

	res := e.do("PATCH", id, anna, body, "Idempotency-Key", "k-428")
	require.Equal(t, http.StatusPreconditionRequired, res.Status)
	require.Zero(t, e.keyRows(t, "k-428"), "a 428 is not kept")

	fixed := e.do("PATCH", id, anna, body, "Idempotency-Key", "k-428", "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, fixed.Status, string(fixed.Body))
	require.Empty(t, fixed.Header.Get("Idempotent-Replayed"), "executed, not a replayed 428")
	var got lead.Lead
	fixed.json(t, &got)
	require.Equal(t, "Bonn", *got.City)

	again := e.do("PATCH", id, anna, body, "Idempotency-Key", "k-428", "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, again.Status)
	require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	require.Equal(t, fixed.Body, again.Body)
	require.Equal(t, 2, got.Version)
	var now lead.Lead
	e.do("GET", id, anna, nil).json(t, &now)
	require.Equal(t, 2, now.Version, "the replay did not run again")
}

// TestValidationFailureIsNotStored: a 422 is not kept, whether the handler
// refused the body before the command (create) or the command refused it
// inside its transaction (an unknown status in a PATCH). Decision: the
// corrected request has another body, so another fingerprint, but nothing
// was stored under the key, so the key is free and the corrected request
// executes (it is not a 422 "key reused"). Its answer is the one kept.
func TestValidationFailureIsNotStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")

	res := e.do("POST", "/api/leads", anna, map[string]any{"companyName": ""}, "Idempotency-Key", "k-422")
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	require.Equal(t, "/problems/validation", res.problem(t).Type)
	require.Zero(t, e.keyRows(t, "k-422"))
	created := e.do("POST", "/api/leads", anna, map[string]any{"companyName": "Hotel Stern"}, "Idempotency-Key", "k-422")
	require.Equal(t, http.StatusCreated, created.Status, string(created.Body))
	require.Empty(t, created.Header.Get("Idempotent-Replayed"))
	res = e.do("POST", "/api/leads", anna, map[string]any{"companyName": ""}, "Idempotency-Key", "k-422")
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	require.Equal(t, "/problems/idempotency-key-reused", res.problem(t).Type, "now the key is taken")

	var l lead.Lead
	created.json(t, &l)
	id := "/api/leads/" + l.ID.String()
	res = e.do("PATCH", id, anna, map[string]any{"status": "NO_SUCH_STATUS"}, "Idempotency-Key", "k-422-cmd", "If-Match", `"1"`)
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	require.Zero(t, e.keyRows(t, "k-422-cmd"), "the command's refusal rolled the key's row back")
	res = e.do("PATCH", id, anna, map[string]any{"status": "ACTIVE"}, "Idempotency-Key", "k-422-cmd", "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	require.Empty(t, res.Header.Get("Idempotent-Replayed"))
	require.Equal(t, 1, e.keyRows(t, "k-422-cmd"))
}

// TestForbiddenIsNotStored: a 403 is not a state-dependent outcome of
// SPEC §4; nothing is kept and the key stays free.
func TestForbiddenIsNotStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	mia := e.token("mia", auth.RoleManager, "DE")
	l := e.createLead(anna, map[string]any{"companyName": "Mensa Nord"})
	id := "/api/leads/" + l.ID.String()
	res := e.do("DELETE", id, anna, nil, "Idempotency-Key", "k-403", "If-Match", `"1"`)
	require.Equal(t, http.StatusForbidden, res.Status)
	require.Zero(t, e.keyRows(t, "k-403"))
	res = e.do("DELETE", id, mia, nil, "Idempotency-Key", "k-403", "If-Match", `"1"`)
	require.Equal(t, http.StatusNoContent, res.Status, "keys are per user anyway")
}

// TestSoftDuplicateWarningIsNotStored: the WARNING wrote nothing; the same
// request gets the warning again (not a replay), and the forced request
// with a reason executes under the same key.
func TestSoftDuplicateWarningIsNotStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	e.createLead(anna, map[string]any{"companyName": "Hotel Adler", "city": "Bonn"})
	body := map[string]any{"companyName": "Hotel Adler GmbH", "city": "Bonn"}
	for range 2 {
		res := e.do("POST", "/api/leads", anna, body, "Idempotency-Key", "k-soft")
		require.Equal(t, http.StatusConflict, res.Status)
		require.Equal(t, "/problems/possible-duplicate", res.problem(t).Type)
		require.Empty(t, res.Header.Get("Idempotent-Replayed"))
		require.Zero(t, e.keyRows(t, "k-soft"))
	}
	body["force"], body["overrideReason"] = true, "second branch of the same chain"
	res := e.do("POST", "/api/leads", anna, body, "Idempotency-Key", "k-soft")
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	require.Empty(t, res.Header.Get("Idempotent-Replayed"))
	require.Equal(t, 2, e.count(t, `SELECT count(*) FROM leads`))
	require.Equal(t, "true", e.do("POST", "/api/leads", anna, body, "Idempotency-Key", "k-soft").Header.Get("Idempotent-Replayed"))
}

// TestReplayRechecksVisibility: a stored answer about a lead is replayed
// only to a caller who still sees that lead. Anna's create, her activity,
// her PATCH and her refused duplicate (which names the existing lead) are
// replayed while she owns the lead; once a manager gives it to Ben every
// replay is the plain 404 of a lead she may not see, with nothing of it.
func TestReplayRechecksVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	ben := e.token("ben", auth.RoleSales, "DE")
	mia := e.token("mia", auth.RoleManager, "DE")
	require.Equal(t, http.StatusOK, e.do("GET", "/api/territories", ben, nil).Status) // ben is recorded

	create := map[string]any{"companyName": "Weinhaus Rebe", "email": "einkauf@weinhaus-rebe.example", "city": "Trier"}
	first := e.do("POST", "/api/leads", anna, create, "Idempotency-Key", "k-create")
	require.Equal(t, http.StatusCreated, first.Status, string(first.Body))
	var l lead.Lead
	first.json(t, &l)
	id := "/api/leads/" + l.ID.String()
	probes := []struct {
		key, method, path string
		body              map[string]any
		headers           []string
		status            int
	}{
		{"k-create", "POST", "/api/leads", create, nil, http.StatusCreated},
		{"k-activity", "POST", id + "/activities", map[string]any{"type": "CALL", "description": "Weinprobe vereinbart"}, nil, http.StatusCreated},
		{"k-patch", "PATCH", id, map[string]any{"contactPerson": "Frau Rebe"}, []string{"If-Match", `"2"`}, http.StatusOK},
		{"k-dup", "POST", "/api/leads", map[string]any{"companyName": "Rebe Wein", "email": "EINKAUF@weinhaus-rebe.example"}, nil, http.StatusConflict},
	}
	send := func(i int) response {
		p := probes[i]
		return e.do(p.method, p.path, anna, p.body, append([]string{"Idempotency-Key", p.key}, p.headers...)...)
	}
	for i, p := range probes[1:] {
		res := send(i + 1)
		require.Equal(t, p.status, res.Status, "%s: %s", p.key, res.Body)
	}
	require.Contains(t, string(send(3).Body), l.ID.String(), "the duplicate names the lead anna sees")
	for i, p := range probes {
		res := send(i)
		require.Equal(t, p.status, res.Status, p.key)
		require.Equal(t, "true", res.Header.Get("Idempotent-Replayed"), p.key)
	}

	res := e.do("PATCH", id, mia, map[string]any{"ownerUserId": "ben"}, "If-Match", `"3"`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	for i, p := range probes {
		res := send(i)
		require.Equal(t, http.StatusNotFound, res.Status, "%s: %s", p.key, res.Body)
		require.Equal(t, "/problems/not-found", res.problem(t).Type)
		require.Empty(t, res.Header.Get("Idempotent-Replayed"), p.key)
		require.Empty(t, res.Header.Get("Location"), p.key)
		require.Empty(t, res.Header.Get("ETag"), p.key)
		body := strings.ReplaceAll(string(res.Body), p.path, "") // "instance" echoes the caller's own path
		for _, secret := range []string{l.ID.String(), "weinhaus-rebe", "Weinhaus", "Weinprobe", "Frau Rebe", "ben"} {
			require.NotContains(t, body, secret, p.key)
		}
	}
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM leads`), "no replay ran again")
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM activities WHERE type = 'CALL'`))
	require.Equal(t, http.StatusOK, e.do("GET", id, ben, nil).Status, "ben sees it now")
}
