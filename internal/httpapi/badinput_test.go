package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
)

// TestBadInputChangesNothing sends invalid requests and checks the status,
// the named field, and that no table changed.
func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	l := e.createLead(anna, map[string]any{"companyName": "Bistro Eck"})
	id := "/api/leads/" + l.ID.String()
	huge := `{"companyName":"` + strings.Repeat("x", 1<<20) + `"}`

	cases := []struct {
		name, method, path string
		body               any
		headers            []string
		status             int
		field              string
	}{
		{"missing company", "POST", "/api/leads", map[string]any{"city": "Berlin"}, nil, 422, "companyName"},
		{"blank company", "POST", "/api/leads", map[string]any{"companyName": "   "}, nil, 422, "companyName"},
		{"company too long", "POST", "/api/leads", map[string]any{"companyName": strings.Repeat("ä", 256)}, nil, 422, "companyName"},
		{"unknown field", "POST", "/api/leads", map[string]any{"companyName": "X", "tenantId": "t1"}, nil, 422, "tenantId"},
		{"wrong type", "POST", "/api/leads", map[string]any{"companyName": 42}, nil, 422, "companyName"},
		{"wrong type bool", "POST", "/api/leads", map[string]any{"companyName": "X", "emailConsent": "yes"}, nil, 422, "emailConsent"},
		{"bad enum business", "POST", "/api/leads", map[string]any{"companyName": "X", "businessType": "BAR"}, nil, 422, "businessType"},
		{"bad enum source", "POST", "/api/leads", map[string]any{"companyName": "X", "source": "web"}, nil, 422, "source"},
		{"bad country", "POST", "/api/leads", map[string]any{"companyName": "X", "countryCode": "FR"}, nil, 422, "countryCode"},
		{"bad email", "POST", "/api/leads", map[string]any{"companyName": "X", "email": "not-an-email"}, nil, 422, "email"},
		{"bad phone", "POST", "/api/leads", map[string]any{"companyName": "X", "phone": "call me"}, nil, 422, "phone"},
		{"malformed json", "POST", "/api/leads", `{"companyName": "X"`, nil, 400, "body"},
		{"two objects", "POST", "/api/leads", `{"companyName":"X"}{"companyName":"Y"}`, nil, 400, "body"},
		{"array body", "POST", "/api/leads", `[]`, nil, 422, "body"},
		{"oversized", "POST", "/api/leads", huge, nil, 413, ""},
		{"wrong content type", "POST", "/api/leads", `companyName=X`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, ""},
		{"bad uuid get", "GET", "/api/leads/not-a-uuid", nil, nil, 422, "id"},
		{"bad uuid patch", "PATCH", "/api/leads/123", map[string]any{"city": "X"}, []string{"If-Match", `"1"`}, 422, "id"},
		{"patch bad status", "PATCH", id, map[string]any{"status": "OPEN"}, []string{"If-Match", `"1"`}, 422, "status"},
		{"patch null company", "PATCH", id, map[string]any{"companyName": ""}, []string{"If-Match", `"1"`}, 422, "companyName"},
		{"patch unknown field", "PATCH", id, map[string]any{"version": 9}, []string{"If-Match", `"1"`}, 422, "version"},
		{"patch stopReason alone", "PATCH", id, map[string]any{"stopReason": "x"}, []string{"If-Match", `"1"`}, 422, "stopReason"},
		{"patch bad collaborators", "PATCH", id, map[string]any{"addCollaborators": "ben"}, []string{"If-Match", `"1"`}, 422, "addCollaborators"},
		{"patch weak etag", "PATCH", id, map[string]any{"city": "X"}, []string{"If-Match", `W/"1"`}, 412, ""},
		{"activity bad type", "POST", id + "/activities", map[string]any{"type": "PARTY"}, nil, 422, "type"},
		{"activity bad time", "POST", id + "/activities", map[string]any{"type": "CALL", "occurredAt": "yesterday"}, nil, 422, "occurredAt"},
		{"activity future", "POST", id + "/activities", map[string]any{"type": "CALL", "occurredAt": "2099-01-01T00:00:00Z"}, nil, 422, "occurredAt"},
		{"activities bad size", "GET", id + "/activities?size=500", nil, nil, 422, "size"},
		// Hardening, findings 3 and 4.
		{"too many collaborators", "POST", "/api/leads", map[string]any{"companyName": "X", "collaboratorUserIds": many(51)}, nil, 422, "collaboratorUserIds"},
		{"patch too many collaborators", "PATCH", id, map[string]any{"addCollaborators": many(51)}, []string{"If-Match", `"1"`}, 422, "addCollaborators"},
		{"patch too many removals", "PATCH", id, map[string]any{"removeCollaborators": many(51)}, []string{"If-Match", `"1"`}, 422, "removeCollaborators"},
		{"patch nul owner", "PATCH", id, map[string]any{"ownerUserId": "a\x00"}, []string{"If-Match", `"1"`}, 422, "ownerUserId"},
		{"case-variant key", "POST", "/api/leads", `{"companyName":"A","COMPANYNAME":"B"}`, nil, 422, "COMPANYNAME"},
		{"duplicate key", "POST", "/api/leads", `{"companyName":"A","companyName":"B"}`, nil, 422, "companyName"},
		{"patch duplicate key", "PATCH", id, `{"city":"A","city":"B"}`, []string{"If-Match", `"1"`}, 422, "city"},
		{"invalid utf-8 body", "POST", "/api/leads", "{\"companyName\":\"\xff\"}", nil, 400, "body"},
		{"lone surrogate", "POST", "/api/leads", `{"companyName":"\udc00"}`, nil, 400, "body"},
		{"zero-width company", "POST", "/api/leads", map[string]any{"companyName": "\u200b\u200c\u200d\u2060\ufeff"}, nil, 422, "companyName"},
		{"control company", "POST", "/api/leads", map[string]any{"companyName": "A\x1b[2J"}, nil, 422, "companyName"},
		{"nul city", "POST", "/api/leads", map[string]any{"companyName": "X", "city": "K\x00ln"}, nil, 422, "city"},
		{"javascript website", "POST", "/api/leads", map[string]any{"companyName": "X", "website": "javascript:alert(1)"}, nil, 422, "website"},
		{"patch javascript website", "PATCH", id, map[string]any{"website": "javascript:alert(1)"}, []string{"If-Match", `"1"`}, 422, "website"},
		{"nul description", "POST", id + "/activities", map[string]any{"type": "CALL", "description": "\x00"}, nil, 422, "description"},
		{"nul query", "GET", "/api/leads?q=%00", nil, nil, 422, "q"},
		{"invalid utf-8 owner", "GET", "/api/leads?owner=%FF", nil, nil, 422, "owner"},
		{"nul status", "GET", "/api/leads?status=ACTIVE%00", nil, nil, 422, "status"},
		{"nul territory", "GET", "/api/leads?territory=D%00", nil, nil, 422, "territory"},
		{"invalid utf-8 sort", "GET", "/api/leads?sort=city%FF", nil, nil, 422, "sort"},
		{"nul duplicate email", "GET", "/api/leads/duplicates?email=%00", nil, nil, 422, "email"},
		{"invalid utf-8 duplicate city", "GET", "/api/leads/duplicates?city=K%F6ln", nil, nil, 422, "city"},
		{"nul events after", "GET", "/api/events?after=1%00", nil, nil, 422, "after"},
	}
	before := e.snapshot()
	for _, c := range cases {
		res := e.do(c.method, c.path, anna, c.body, c.headers...)
		require.Equal(t, c.status, res.Status, "%s: %s", c.name, truncate(res.Body))
		p := res.problem(t)
		require.Equal(t, c.status, p.Status, c.name)
		require.LessOrEqual(t, len(p.Errors), 20, c.name)
		if c.field != "" {
			require.Contains(t, p.fields(), c.field, c.name)
		}
		require.Equal(t, before, e.snapshot(), "%s changed data", c.name)
	}
}

// many is n distinct user ids.
func many(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "user" + strconv.Itoa(i)
	}
	return ids
}

func TestUnknownRouteAndHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.do("GET", "/q/health/live", "", nil)
	require.Equal(t, http.StatusOK, res.Status)
	res = e.do("GET", "/q/health/ready", "", nil)
	require.Equal(t, http.StatusOK, res.Status)
	require.Contains(t, string(res.Body), `"database"`)
	res = e.do("GET", "/q/openapi", "", nil)
	require.Equal(t, http.StatusOK, res.Status)
	require.Contains(t, string(res.Body), "openapi: 3.1")
	require.NotEmpty(t, res.Header.Get("X-Request-ID"))
}

func TestUnroutedRequestsGetProblems(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	req := httptest.NewRequest("PUT", "/api/leads", nil)
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	require.Contains(t, rec.Header().Get("Allow"), "POST")
	require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))

	rec = httptest.NewRecorder()
	e.handler.ServeHTTP(rec, httptest.NewRequest("GET", "/nowhere", nil))
	require.Equal(t, http.StatusNotFound, rec.Code)
	require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
}

func TestEmptyPatchAndIfMatchStar(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	l := e.createLead(anna, map[string]any{"companyName": "Imbiss Ecke", "city": "Köln"})
	before := e.snapshot()
	res := e.do("PATCH", "/api/leads/"+l.ID.String(), anna, map[string]any{"city": "Köln"}, "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, res.Status)
	require.Equal(t, `"1"`, res.Header.Get("ETag"), "a patch that changes nothing makes no new version")
	require.Equal(t, before, e.snapshot())
	res = e.do("PATCH", "/api/leads/"+l.ID.String(), anna, map[string]any{"city": "Bonn"}, "If-Match", "*")
	require.Equal(t, http.StatusOK, res.Status)
	require.Equal(t, `"2"`, res.Header.Get("ETag"))
}
