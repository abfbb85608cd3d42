package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/auth/authtest"
	"github.com/freshplan/leads/internal/web"
)

// TestOIDCLogin: without dev auth the pages sign in through the issuer:
// /login sends the browser there with a code request, S256 PKCE and a
// state; the callback exchanges the code with the verifier, and the token
// becomes an HttpOnly, Secure, SameSite=Lax session that opens the
// cockpit. A callback whose state this browser did not start is refused.
func TestOIDCLogin(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	idp := authtest.New(t, "freshplan-web")
	idp.SignIn(jwt.MapClaims{"sub": "sales.de.anna", "name": "Anna Schmidt", "roles": []string{"sales"},
		"territories": []string{"DE"}})
	verifier, err := auth.NewOIDCVerifier(ctx, auth.OIDCConfig{IssuerURL: idp.URL, Audience: authtest.Audience})
	require.NoError(t, err)
	provider, err := oidc.NewProvider(ctx, idp.URL)
	require.NoError(t, err)

	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS()
	defer srv.Close()
	srv.Config.Handler = web.New(web.Config{Verifier: verifier, Secret: []byte("0123456789abcdef0123456789abcdef"),
		Log: slog.New(slog.DiscardHandler), OIDC: &oauth2.Config{ClientID: "freshplan-web", Endpoint: provider.Endpoint(),
			RedirectURL: srv.URL + "/login/callback", Scopes: []string{oidc.ScopeOpenID}}})
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := srv.Client()
	client.Jar = jar
	var hops []string
	client.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		hops = append(hops, req.URL.String())
		return nil
	}

	res, err := client.Get(srv.URL + "/cockpit")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	require.Contains(t, string(body), "sales.de.anna")
	require.Equal(t, srv.URL+"/cockpit", res.Request.URL.String())
	// cockpit → login → the issuer → callback → cockpit
	require.Len(t, hops, 4)
	authorize, err := url.Parse(hops[1])
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(hops[1], idp.URL+"/auth?"))
	q := authorize.Query()
	require.Equal(t, "code", q.Get("response_type"))
	require.Equal(t, "S256", q.Get("code_challenge_method"))
	require.NotEmpty(t, q.Get("code_challenge"))
	require.NotEmpty(t, q.Get("state"))

	u, _ := url.Parse(srv.URL)
	var session *http.Cookie
	for _, c := range jar.Cookies(u) {
		if c.Name == web.SessionCookie {
			session = c
		}
	}
	require.NotNil(t, session, "the session cookie is set (and, Secure, sent only over TLS)")
	// The jar does not report flags: read them where the callback sets them.
	noFollow := *client
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err = noFollow.Get(srv.URL + "/login/callback?code=stolen&state=not-mine")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusBadRequest, res.StatusCode, "a state this browser did not start")

	start, err := noFollow.Get(srv.URL + "/login")
	require.NoError(t, err)
	start.Body.Close()
	back, err := noFollow.Get(start.Header.Get("Location"))
	require.NoError(t, err)
	back.Body.Close()
	res, err = noFollow.Get(back.Header.Get("Location"))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	var flags *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == web.SessionCookie {
			flags = c
		}
	}
	require.NotNil(t, flags)
	require.True(t, flags.HttpOnly)
	require.True(t, flags.Secure)
	require.Equal(t, http.SameSiteLaxMode, flags.SameSite)

	// A rep without a territory gets no session (as the API: 403).
	idp.SignIn(jwt.MapClaims{"sub": "sales.nowhere", "roles": []string{"sales"}})
	start, err = noFollow.Get(srv.URL + "/login")
	require.NoError(t, err)
	start.Body.Close()
	back, err = noFollow.Get(start.Header.Get("Location"))
	require.NoError(t, err)
	back.Body.Close()
	denied, err := noFollow.Get(back.Header.Get("Location"))
	require.NoError(t, err)
	denied.Body.Close()
	require.Equal(t, http.StatusForbidden, denied.StatusCode)
}
