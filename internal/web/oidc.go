package web

import (
	"crypto/hmac"
	"crypto/rand"
	"net/http"
	"strings"

	"golang.org/x/oauth2"

	"github.com/freshplan/leads/internal/auth"
)

// loginCookie carries a sign-in's state and PKCE verifier from /login to
// /login/callback.
const loginCookie = "fp_login"

// startOIDC sends the browser to the issuer: the authorization code flow
// with PKCE (S256), with a state that only this browser holds.
func (p *pages) startOIDC(w http.ResponseWriter, r *http.Request) {
	if p.cfg.OIDC == nil {
		http.NotFound(w, r)
		return
	}
	state, verifier := rand.Text(), oauth2.GenerateVerifier()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: state + "." + verifier, Path: "/login", MaxAge: 600,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, p.cfg.OIDC.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), http.StatusSeeOther)
}

// oidcCallback is GET /login/callback: the code of the state this browser
// started with, exchanged with its verifier for a token the service
// accepts, becomes the session.
func (p *pages) oidcCallback(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCookie)
	var state, verifier string
	ok := err == nil
	if ok {
		state, verifier, ok = strings.Cut(c.Value, ".")
	}
	if p.cfg.OIDC == nil || !ok || !hmac.Equal([]byte(r.URL.Query().Get("state")), []byte(state)) {
		http.Error(w, "Die Anmeldung ist abgelaufen oder stammt nicht von hier. Bitte erneut anmelden.", http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true, Secure: true,
		SameSite: http.SameSiteLaxMode})
	tok, err := p.cfg.OIDC.Exchange(r.Context(), r.URL.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		p.cfg.Log.WarnContext(r.Context(), "web: oidc exchange", "error", err)
		http.Error(w, "Die Anmeldung ist fehlgeschlagen. Bitte erneut anmelden.", http.StatusBadGateway)
		return
	}
	who, err := p.cfg.Verifier.Verify(r.Context(), tok.AccessToken)
	if err != nil || who.Role() == "" || who.Role() != auth.RoleAdmin && len(who.Territories) == 0 {
		http.Error(w, "Ihr Konto hat keinen Zugang zu FreshPlan Leads.", http.StatusForbidden)
		return
	}
	setSession(w, tok.AccessToken)
	http.Redirect(w, r, "/cockpit", http.StatusSeeOther)
}
