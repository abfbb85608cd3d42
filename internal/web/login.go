package web

import (
	"net/http"
	"slices"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/user"
)

// loginForm is GET /login: a developer picks a demo user; in production
// the browser goes to the issuer.
func (p *pages) loginForm(w http.ResponseWriter, r *http.Request) {
	if p.cfg.Dev == nil {
		p.startOIDC(w, r)
		return
	}
	p.render(w, "login.html", struct {
		page
		Users []user.User
	}{pageOf(r, "Anmelden"), p.cfg.DemoUser})
}

// login is POST /login: a session for the demo user picked.
func (p *pages) login(w http.ResponseWriter, r *http.Request) {
	i := slices.IndexFunc(p.cfg.DemoUser, func(u user.User) bool { return u.ID == r.PostFormValue("user") })
	if p.cfg.Dev == nil || i < 0 {
		http.Error(w, "Unbekannter Benutzer.", http.StatusBadRequest)
		return
	}
	u := p.cfg.DemoUser[i]
	token, err := p.cfg.Dev.Issue(u.ID, u.Roles, u.Territories, u.Name, "", sessionTTL)
	if err != nil {
		p.cfg.Log.Error("web: login", "error", err)
		http.Error(w, "Anmeldung fehlgeschlagen.", http.StatusInternalServerError)
		return
	}
	setSession(w, token)
	http.Redirect(w, r, "/cockpit", http.StatusSeeOther)
}

// logout is POST /logout.
func (p *pages) logout(w http.ResponseWriter, r *http.Request, _ auth.Principal, _ string) {
	clearSession(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
