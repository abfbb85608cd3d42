package httpapi_test

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/territory"
)

type leadPage struct {
	Data  []lead.Lead `json:"data"`
	Total int         `json:"total"`
}

func ids(p leadPage) []string {
	out := []string{}
	for _, l := range p.Data {
		out = append(out, l.ID.String())
	}
	return out
}

func TestTerritoryAndOwnerIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	ben := e.token("ben", auth.RoleSales, "DE")
	david := e.token("david", auth.RoleSales, "AT")
	mia := e.token("mia", auth.RoleManager, "DE")
	root := e.token("root", auth.RoleAdmin)

	annas := e.createLead(anna, map[string]any{"companyName": "Gasthaus Linde", "city": "Berlin"})
	austrian := e.createLead(david, map[string]any{"companyName": "Gasthaus Linde", "city": "Wien", "countryCode": "AT"})

	// A DE rep never learns the AT lead exists: 404, not 403, and not counted.
	res := e.do("GET", "/api/leads/"+austrian.ID.String(), anna, nil)
	require.Equal(t, http.StatusNotFound, res.Status)
	for _, method := range []string{"PATCH", "DELETE"} {
		res = e.do(method, "/api/leads/"+austrian.ID.String(), mia, map[string]any{}, "If-Match", `"1"`)
		require.Equal(t, http.StatusNotFound, res.Status, method)
	}
	res = e.do("POST", "/api/leads/"+austrian.ID.String()+"/activities", anna, map[string]any{"type": "CALL"})
	require.Equal(t, http.StatusNotFound, res.Status)
	require.Equal(t, http.StatusNotFound, e.do("GET", "/api/leads/"+austrian.ID.String()+"/activities", anna, nil).Status)

	var p leadPage
	for _, q := range []string{"", "?territory=AT", "?q=linde", "?owner=david", "?status=REGISTERED"} {
		e.do("GET", "/api/leads"+q, anna, nil).json(t, &p)
		require.NotContains(t, ids(p), austrian.ID.String(), q)
	}
	e.do("GET", "/api/leads?territory=AT", anna, nil).json(t, &p)
	require.Zero(t, p.Total)

	// A second DE rep does not see the first one's lead.
	require.Equal(t, http.StatusNotFound, e.do("GET", "/api/leads/"+annas.ID.String(), ben, nil).Status)
	e.do("GET", "/api/leads", ben, nil).json(t, &p)
	require.Zero(t, p.Total)

	// The DE manager sees every DE lead and nothing else; the admin sees all.
	e.do("GET", "/api/leads", mia, nil).json(t, &p)
	require.Equal(t, []string{annas.ID.String()}, ids(p))
	e.do("GET", "/api/leads", root, nil).json(t, &p)
	require.Equal(t, 2, p.Total)

	// Territories: only one's own.
	var terr struct {
		Data []territory.Territory `json:"data"`
	}
	e.do("GET", "/api/territories", anna, nil).json(t, &terr)
	require.Len(t, terr.Data, 1)
	require.Equal(t, "DE", terr.Data[0].Code)
	require.Equal(t, "EUR", terr.Data[0].Currency)
	e.do("GET", "/api/territories", root, nil).json(t, &terr)
	require.Len(t, terr.Data, 3)

	// Creating in a territory one does not belong to is refused.
	before := e.snapshot()
	res = e.do("POST", "/api/leads", anna, map[string]any{"companyName": "Hotel Zürich", "countryCode": "CH"})
	require.Equal(t, http.StatusForbidden, res.Status)
	res = e.do("POST", "/api/leads", anna, map[string]any{"companyName": "X", "ownerUserId": "ben"})
	require.Equal(t, http.StatusForbidden, res.Status)
	require.Equal(t, before, e.snapshot())
}

func TestBadTokensAreRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createLead(e.token("anna", auth.RoleSales, "DE"), map[string]any{"companyName": "Secret"})
	now := e.now
	sign := func(secret string, claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
		require.NoError(t, err)
		return s
	}
	valid := func() jwt.MapClaims {
		return jwt.MapClaims{"sub": "anna", "roles": []string{"SALES"}, "territories": []string{"DE"},
			"iss": auth.DefaultDevIssuer, "aud": auth.DefaultDevAudience, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	with := func(k string, v any) jwt.MapClaims { c := valid(); c[k] = v; return c }
	none := func() string {
		head := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
		body := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"anna","roles":["ADMIN"],"territories":["DE"],"iss":"freshplan-dev","aud":"freshplan","exp":` +
			strconv.FormatInt(now.Add(time.Hour).Unix(), 10) + `}`))
		return head + "." + body + "."
	}
	require.Equal(t, http.StatusOK, e.do("GET", "/api/leads", sign(testSecret, valid()), nil).Status, "control: a valid token works")

	for name, tok := range map[string]string{
		"expired":         sign(testSecret, with("exp", now.Add(-time.Hour).Unix())),
		"not yet valid":   sign(testSecret, with("nbf", now.Add(time.Hour).Unix())),
		"wrong signature": sign("another-secret-of-at-least-thirty-two-bytes", valid()),
		"alg none":        none(),
		"wrong audience":  sign(testSecret, with("aud", "someone-else")),
		"wrong issuer":    sign(testSecret, with("iss", "https://evil.example")),
		"garbage":         "not.a.token",
	} {
		res := e.do("GET", "/api/leads", tok, nil)
		require.Equal(t, http.StatusUnauthorized, res.Status, name)
		require.Contains(t, res.Header.Get("WWW-Authenticate"), "Bearer", name)
		require.NotContains(t, string(res.Body), "Secret", name)
	}
	res := e.do("GET", "/api/leads", "", nil)
	require.Equal(t, http.StatusUnauthorized, res.Status, "anonymous")
	res = e.do("GET", "/api/leads", "", nil, "Authorization", "Basic YW5uYTpwdw==")
	require.Equal(t, http.StatusUnauthorized, res.Status, "basic auth")

	// No role, only unknown roles, or SYSTEM: forbidden, never all data.
	for name, claims := range map[string]jwt.MapClaims{
		"no role":      with("roles", []string{}),
		"unknown role": with("roles", []string{"SUPERUSER"}),
		"system":       with("roles", []string{"SYSTEM"}),
		"system sub":   with("sub", "SYSTEM"),
		"no territory": with("territories", []string{}),
		"realm system": with("realm_access", map[string]any{"roles": []string{"system"}}),
	} {
		if name == "realm system" {
			delete(claims, "roles")
		}
		res := e.do("GET", "/api/leads", sign(testSecret, claims), nil)
		require.Contains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, res.Status, name)
		require.False(t, strings.Contains(string(res.Body), `"data"`), name)
	}
}
