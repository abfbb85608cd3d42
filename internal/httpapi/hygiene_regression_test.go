package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/lead"
)

// The regression tests of the "Hardening" findings 3 and 4: each replays
// the probe of the finding and checks the refusal and that nothing was
// written.

// countRows counts the rows of the tables a lead command writes.
func (e *env) countRows() map[string]int {
	e.t.Helper()
	out := map[string]int{}
	for _, table := range []string{"leads", "activities", "audit_log"} {
		var n int
		require.NoError(e.t, e.db.Pool.QueryRow(e.t.Context(), "SELECT count(*) FROM "+table).Scan(&n))
		out[table] = n
	}
	return out
}

// unchanged runs probe and fails when it wrote anything.
func (e *env) unchanged(probe func()) {
	e.t.Helper()
	rows, before := e.countRows(), e.snapshot()
	probe()
	require.Equal(e.t, rows, e.countRows())
	require.Equal(e.t, before, e.snapshot())
}

// requireRefused checks a problem of the given status that names field.
func requireRefused(t *testing.T, res response, status int, field string) problemBody {
	t.Helper()
	require.Equal(t, status, res.Status, truncate(res.Body))
	p := res.problem(t)
	require.Contains(t, p.fields(), field, truncate(res.Body))
	require.LessOrEqual(t, len(p.Errors), 20)
	return p
}

func userIDList(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("u%d", i)
	}
	return ids
}

// TestHygieneCollaboratorFlood replays 100,000 collaborator ids, which took
// 17.5 s of CPU and answered 10 MB: now a small 422. (Its speed is not
// timed here: a timed assertion fails on a loaded machine; the bound is
// checked before any work, see lead.userIDs.)
func TestHygieneCollaboratorFlood(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	l := e.createLead(anna, map[string]any{"companyName": "Bistro Eck"})
	ids := userIDList(100_000)
	cases := []struct {
		method, path string
		body         map[string]any
		field        string
	}{
		{"POST", "/api/leads", map[string]any{"companyName": "Flut GmbH", "collaboratorUserIds": ids}, "collaboratorUserIds"},
		{"PATCH", "/api/leads/" + l.ID.String(), map[string]any{"addCollaborators": ids}, "addCollaborators"},
		{"PATCH", "/api/leads/" + l.ID.String(), map[string]any{"removeCollaborators": ids}, "removeCollaborators"},
	}
	for _, c := range cases {
		e.unchanged(func() {
			res := e.do(c.method, c.path, anna, c.body, "If-Match", `"1"`)
			require.Less(t, len(res.Body), 1024, c.field)
			requireRefused(t, res, http.StatusUnprocessableEntity, c.field)
		})
	}
}

// TestHygieneFiftyCollaborators: at most 50 per request and per lead.
func TestHygieneFiftyCollaborators(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	ids := userIDList(51)
	for _, id := range ids { // users are recorded from their first request
		require.Equal(t, http.StatusOK, e.do("GET", "/api/territories", e.token(id, auth.RoleSales, "DE"), nil).Status)
	}
	e.unchanged(func() {
		res := e.do("POST", "/api/leads", anna, map[string]any{"companyName": "Runde 51", "collaboratorUserIds": ids})
		requireRefused(t, res, http.StatusUnprocessableEntity, "collaboratorUserIds")
	})
	e.unchanged(func() {
		unknown := userIDList(100)[50:]
		res := e.do("POST", "/api/leads", anna, map[string]any{"companyName": "Unbekannt", "collaboratorUserIds": unknown})
		p := requireRefused(t, res, http.StatusUnprocessableEntity, "collaboratorUserIds")
		require.Len(t, p.Errors, 20, "50 unknown users, 20 named")
	})
	l := e.createLead(anna, map[string]any{"companyName": "Runde 50", "collaboratorUserIds": ids[:50]})
	require.Len(t, l.CollaboratorUserIDs, 50)
	path := "/api/leads/" + l.ID.String()
	e.unchanged(func() {
		res := e.do("PATCH", path, anna, map[string]any{"addCollaborators": ids[50:]}, "If-Match", `"1"`)
		p := requireRefused(t, res, http.StatusUnprocessableEntity, "addCollaborators")
		require.Equal(t, "a lead has at most 50 collaborators", p.Errors[0].Message)
		res = e.do("PATCH", path, anna, map[string]any{"addCollaborators": ids}, "If-Match", `"1"`)
		requireRefused(t, res, http.StatusUnprocessableEntity, "addCollaborators")
	})
	res := e.do("PATCH", path, anna, map[string]any{"addCollaborators": ids[50:], "removeCollaborators": ids[:1]}, "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, res.Status, "a swap keeps the lead at 50: %s", truncate(res.Body))
	var got lead.Lead
	res.json(t, &got)
	require.Len(t, got.CollaboratorUserIDs, 50)
	require.Contains(t, got.CollaboratorUserIDs, ids[50])
}

// TestHygieneJSONKeys: keys match exactly and once; encoding/json alone
// stored "B" for {"companyName":"A","COMPANYNAME":"B"}.
func TestHygieneJSONKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	l := e.createLead(anna, map[string]any{"companyName": "Bistro Eck"})
	id := "/api/leads/" + l.ID.String()
	cases := []struct {
		method, path, body, field, message string
	}{
		{"POST", "/api/leads", `{"companyName":"A","COMPANYNAME":"B"}`, "COMPANYNAME", "is not a known field (names are case-sensitive: companyName)"},
		{"POST", "/api/leads", `{"companyName":"A","companyName":"B"}`, "companyName", "appears more than once"},
		{"POST", "/api/leads", `{"CompanyName":"A"}`, "CompanyName", "is not a known field (names are case-sensitive: companyName)"},
		{"POST", "/api/leads", `{"companyName":"A","collaboratorUserIds":[{"x":1,"x":2}]}`, "collaboratorUserIds.x", "appears more than once"},
		{"PATCH", id, `{"city":"A","city":null}`, "city", "appears more than once"},
		{"PATCH", id, `{"City":"A"}`, "City", "is not a known field (names are case-sensitive: city)"},
		{"POST", id + "/activities", `{"type":"CALL","type":"NOTE"}`, "type", "appears more than once"},
		{"POST", id + "/activities", `{"type":"CALL","Description":"x"}`, "Description", "is not a known field (names are case-sensitive: description)"},
	}
	for _, c := range cases {
		e.unchanged(func() {
			res := e.do(c.method, c.path, anna, c.body, "If-Match", `"1"`)
			p := requireRefused(t, res, http.StatusUnprocessableEntity, c.field)
			require.Contains(t, p.Errors, lead.FieldError{Field: c.field, Message: c.message}, c.body)
		})
	}
	var stored int
	require.NoError(t, e.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM leads WHERE company_name IN ('A', 'B')`).Scan(&stored))
	require.Zero(t, stored)
}

// TestHygieneBodyUTF8: invalid UTF-8 in a body was stored as U+FFFD.
func TestHygieneBodyUTF8(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	l := e.createLead(anna, map[string]any{"companyName": "Bistro Eck"})
	id := "/api/leads/" + l.ID.String()
	cases := []struct{ method, path, body string }{
		{"POST", "/api/leads", "{\"companyName\":\"Caf\xe9 M\xfcller\"}"},
		{"POST", "/api/leads", "{\"companyName\":\"X\",\"city\":\"\xff\"}"},
		{"POST", "/api/leads", `{"companyName":"X\ud800"}`},
		{"POST", "/api/leads", `{"companyName":"X\udc00\ud800"}`},
		{"PATCH", id, "{\"city\":\"K\xf6ln\"}"},
		{"POST", id + "/activities", "{\"type\":\"CALL\",\"description\":\"\xc3\"}"},
	}
	for _, c := range cases {
		e.unchanged(func() {
			res := e.do(c.method, c.path, anna, c.body, "If-Match", `"1"`)
			requireRefused(t, res, http.StatusBadRequest, "body")
		})
	}
	res := e.do("POST", "/api/leads", anna, `{"companyName":"Caf\u00e9 \ud83c\udf74"}`)
	require.Equal(t, http.StatusCreated, res.Status, "a valid surrogate pair is text: %s", truncate(res.Body))
}

// TestHygieneQueryParameters: a NUL byte or invalid UTF-8 in any query
// parameter answered 500 (PostgreSQL refuses them); now 422 naming it.
func TestHygieneQueryParameters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	l := e.createLead(anna, map[string]any{"companyName": "Bistro Eck"})
	params := map[string][]string{
		"/api/leads":            {"q", "owner", "status", "territory", "sort", "page", "size"},
		"/api/leads/duplicates": {"companyName", "city", "email", "phone", "countryCode"},
		"/api/events":           {"after", "limit"},
		"/api/leads/" + l.ID.String() + "/activities": {"page", "size"},
	}
	for path, names := range params {
		for _, name := range names {
			for _, bad := range []string{"%00", "a%00", "%FF", "K%F6ln", "%1B%5B2J"} {
				e.unchanged(func() {
					res := e.do("GET", path+"?"+name+"="+bad, anna, nil)
					requireRefused(t, res, http.StatusUnprocessableEntity, name)
				})
			}
		}
	}
	e.unchanged(func() {
		res := e.do("GET", "/api/leads/%00", anna, nil)
		requireRefused(t, res, http.StatusUnprocessableEntity, "id")
		res = e.do("GET", "/api/leads?%FF=1&q=Bistro", anna, nil)
		require.Equal(t, http.StatusOK, res.Status, "a parameter no handler reads is ignored")
	})
}

// TestHygieneCompanyName: a name of zero-width and format characters was
// accepted and looked blank.
func TestHygieneCompanyName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	l := e.createLead(anna, map[string]any{"companyName": "Bistro Eck"})
	for _, name := range []string{"\u200b\u200b\u200b", "\u200c\u200d\u2060\ufeff", " \u00ad\u200e ", "\u2063\u180e"} {
		e.unchanged(func() {
			res := e.do("POST", "/api/leads", anna, map[string]any{"companyName": name})
			requireRefused(t, res, http.StatusUnprocessableEntity, "companyName")
			res = e.do("PATCH", "/api/leads/"+l.ID.String(), anna, map[string]any{"companyName": name}, "If-Match", `"1"`)
			requireRefused(t, res, http.StatusUnprocessableEntity, "companyName")
		})
	}
}

// TestHygieneWebsite: javascript:alert(1) was stored as a website.
func TestHygieneWebsite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	l := e.createLead(anna, map[string]any{"companyName": "Bistro Eck", "website": "https://bistro-eck.example/karte"})
	for _, site := range []string{"javascript:alert(1)", "data:text/html,x", "ftp://bistro.example", "https://", "bistro.example",
		"https://bistro.example/" + strings.Repeat("a", 2048)} {
		e.unchanged(func() {
			res := e.do("POST", "/api/leads", anna, map[string]any{"companyName": "Web Wirt", "website": site})
			requireRefused(t, res, http.StatusUnprocessableEntity, "website")
			res = e.do("PATCH", "/api/leads/"+l.ID.String(), anna, map[string]any{"website": site}, "If-Match", `"1"`)
			requireRefused(t, res, http.StatusUnprocessableEntity, "website")
		})
	}
}

// TestHygieneTextControls: NUL, invalid UTF-8 (as escapes cannot carry it,
// NUL and C0/C1 controls stand for it here) in every lead and activity text
// field are refused; tab and line breaks are kept.
func TestHygieneTextControls(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mia := e.token("mia", auth.RoleManager, "DE")
	l := e.createLead(mia, map[string]any{"companyName": "Bistro Eck"})
	id := "/api/leads/" + l.ID.String()
	for _, bad := range []string{"a\x00b", "a\x1b[2Jb", "a\u0085b", "a\x7fb"} {
		cases := []struct {
			method, path string
			body         map[string]any
			field        string
		}{
			{"POST", "/api/leads", map[string]any{"companyName": bad}, "companyName"},
			{"POST", "/api/leads", map[string]any{"companyName": "X", "contactPerson": bad}, "contactPerson"},
			{"POST", "/api/leads", map[string]any{"companyName": "X", "street": bad}, "street"},
			{"POST", "/api/leads", map[string]any{"companyName": "X", "city": bad}, "city"},
			{"POST", "/api/leads", map[string]any{"companyName": "X", "postalCode": bad}, "postalCode"},
			{"POST", "/api/leads", map[string]any{"companyName": "X", "force": true, "overrideReason": "long enough " + bad}, "overrideReason"},
			{"POST", "/api/leads", map[string]any{"companyName": "X", "collaboratorUserIds": []string{bad}}, "collaboratorUserIds"},
			{"PATCH", id, map[string]any{"stopClock": true, "stopReason": bad}, "stopReason"},
			{"PATCH", id, map[string]any{"ownerUserId": bad}, "ownerUserId"},
			{"PATCH", id, map[string]any{"removeCollaborators": []string{bad}}, "removeCollaborators"},
			{"POST", id + "/activities", map[string]any{"type": "CALL", "description": bad}, "description"},
			{"POST", id + "/activities", map[string]any{"type": "CALL", "outcome": bad}, "outcome"},
		}
		for _, c := range cases {
			e.unchanged(func() {
				res := e.do(c.method, c.path, mia, c.body, "If-Match", `"1"`)
				requireRefused(t, res, http.StatusUnprocessableEntity, c.field)
			})
		}
	}
	res := e.do("POST", id+"/activities", mia, map[string]any{"type": "NOTE", "description": "Zeile 1\r\nZeile 2\tEnde"})
	require.Equal(t, http.StatusCreated, res.Status, truncate(res.Body))
}
