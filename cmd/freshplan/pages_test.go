package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/web"
)

// TestCockpitPagesWithDevLogin: the pages of the wired service with dev
// auth: / leads to the cockpit, which asks for a login; a demo user picked
// gets a session cookie (HttpOnly, Secure, SameSite=Lax), the cockpit with
// their widget and its stream; logging out needs the form's CSRF token,
// and a cross-site post or a change through the API with the cookie alone
// is refused.
func TestCockpitPagesWithDevLogin(t *testing.T) {
	h := newHarness(t)
	ctx, srv := h.ctx, h.srv
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(method, path string, form url.Values, cookie *http.Cookie, header ...string) (*http.Response, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, body)
		require.NoError(t, err)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := client.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res, string(b)
	}

	res, _ := send("GET", "/", nil, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/cockpit", res.Header.Get("Location"))
	res, _ = send("GET", "/cockpit", nil, nil)
	require.Equal(t, "/login", res.Header.Get("Location"))
	res, page := send("GET", "/login", nil, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, page, `value="sales.de.anna"`)
	require.Contains(t, page, `<html lang="de">`)
	require.Contains(t, page, "<h1>Anmelden</h1>")
	// A browser that asks for no German gets English; one that asks for
	// German among others, German.
	_, page = send("GET", "/login", nil, nil, "Accept-Language", "fr-FR,en;q=0.8")
	require.Contains(t, page, `<html lang="en">`)
	require.Contains(t, page, "<h1>Sign in</h1>")
	_, page = send("GET", "/login", nil, nil, "Accept-Language", "en-US,de-CH;q=0.5")
	require.Contains(t, page, "<h1>Anmelden</h1>")

	res, _ = send("POST", "/login", url.Values{"user": {"sales.de.anna"}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	var session *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == web.SessionCookie {
			session = c
		}
	}
	require.NotNil(t, session)
	require.True(t, session.HttpOnly)
	require.True(t, session.Secure)
	require.Equal(t, http.SameSiteLaxMode, session.SameSite)
	res, _ = send("POST", "/login", url.Values{"user": {"somebody"}}, nil)
	require.Equal(t, http.StatusBadRequest, res.StatusCode)

	res, page = send("GET", "/cockpit", nil, session)
	require.Equal(t, http.StatusOK, res.StatusCode, page)
	require.Contains(t, page, "sales.de.anna")
	require.Contains(t, page, `data-field="leadStats.total">0<`)
	require.Contains(t, page, `<svg id="trend"`)
	require.Equal(t, 7, strings.Count(page, `<rect class="sent"`), "a bar a day")
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	require.Len(t, csrf, 2)

	// A lead through the page; the same again is a possible duplicate,
	// registered when confirmed with a reason.
	lindeForm := url.Values{"csrf": {csrf[1]}, "companyName": {"Gasthaus Linde"}, "city": {"Berlin"}, "countryCode": {"DE"}}
	res, _ = send("POST", "/leads/new", lindeForm, session)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	detail := res.Header.Get("Location")
	require.True(t, strings.HasPrefix(detail, "/leads/"))
	res, page = send("GET", detail, nil, session)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, page, "<h1>Gasthaus Linde</h1>")
	require.Contains(t, page, "CREATED")
	res, page = send("POST", "/leads/new", lindeForm, session)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, page, "Mögliche Dubletten")
	require.Contains(t, page, `id="force"`)
	lindeForm.Set("force", "on")
	lindeForm.Set("overrideReason", "Zweite Filiale am Markt")
	res, _ = send("POST", "/leads/new", lindeForm, session)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	// The list, filtered; the lead's forms: an activity, a status change,
	// a refused one; a rep has no clock form.
	res, page = send("GET", "/leads?status=REGISTERED&q=Linde", nil, session)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, page, `<a href="`+detail+`">Gasthaus Linde</a>`)
	require.Contains(t, page, "2 Leads")
	res, page = send("GET", "/leads?status=QUALIFIED", nil, session)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, page, "Keine Leads")
	res, _ = send("POST", detail, url.Values{"csrf": {csrf[1]}, "action": {"activity"}, "type": {"CALL"},
		"description": {"Rückruf vereinbart"}}, session)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	res, _ = send("POST", detail, url.Values{"csrf": {csrf[1]}, "action": {"status"}, "version": {"2"},
		"status": {"QUALIFIED"}}, session)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	res, page = send("POST", detail, url.Values{"csrf": {csrf[1]}, "action": {"status"}, "version": {"3"},
		"status": {"REMINDER"}}, session)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, page, "Dieser Statuswechsel ist nicht erlaubt")
	res, page = send("GET", detail, nil, session)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, page, "<dd>QUALIFIED</dd>")
	require.Contains(t, page, "Rückruf vereinbart")
	require.NotContains(t, page, "Uhr stoppen")

	res, page = send("POST", "/leads/new", url.Values{"csrf": {csrf[1]}, "companyName": {""}}, session)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, page, `class="error"`)
	res, _ = send("POST", "/leads/new", url.Values{"companyName": {"Ohne Token"}}, session)
	require.Equal(t, http.StatusForbidden, res.StatusCode)

	// The page's stream signs in with the cookie; a change does not.
	sctx, stop := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(sctx, "GET", srv.URL+"/api/cockpit/stream", nil)
	require.NoError(t, err)
	req.AddCookie(session)
	stream, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, stream.StatusCode)
	stop()
	stream.Body.Close()
	res, _ = send("POST", "/api/leads", nil, session)
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)

	res, _ = send("POST", "/logout", url.Values{}, session)
	require.Equal(t, http.StatusForbidden, res.StatusCode, "no CSRF token")
	res, _ = send("POST", "/logout", url.Values{"csrf": {csrf[1]}}, session, "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusForbidden, res.StatusCode, "from another site")
	res, _ = send("POST", "/logout", url.Values{"csrf": {csrf[1]}}, session)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/login", res.Header.Get("Location"))
	for _, c := range res.Cookies() {
		if c.Name == web.SessionCookie {
			require.Negative(t, c.MaxAge)
		}
	}
}
