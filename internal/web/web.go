// Package web is the browser's side of the service: the cockpit page with
// its live widget, signed in by a session cookie. Server-rendered with
// html/template, plain JavaScript (EventSource), no build step; German
// labels.
package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/cockpit"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/user"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// SessionCookie holds the signed-in user's token; the API accepts it for
// safe (GET) requests such as the cockpit's stream.
const SessionCookie = "fp_session"

// sessionTTL is how long a page session lasts.
const sessionTTL = 8 * time.Hour

// Config is what the pages are built from.
type Config struct {
	Verifier auth.Verifier
	// Dev issues sessions for the demo users a developer picks on the
	// login page (dev auth only).
	Dev      *auth.DevIssuer
	DemoUser []user.User
	// OIDC signs users in through the issuer (authorization code with
	// PKCE); used when Dev is nil.
	OIDC    *oauth2.Config
	Widgets *cockpit.Cache // nil: the widget is off and hidden
	Leads   *lead.Service
	// Secret keys the CSRF tokens of the forms (at least 32 bytes).
	Secret []byte
	Log    *slog.Logger
}

type pages struct {
	cfg  Config
	tmpl *template.Template
}

// Site is the pages' handler and the routes it answers, for the
// service's mux.
type Site struct {
	http.Handler
	Patterns []string
}

// New returns the pages.
func New(cfg Config) *Site {
	p := &pages{cfg: cfg, tmpl: template.Must(template.New("").Funcs(funcs).ParseFS(templateFiles, "templates/*.html"))}
	static, _ := fs.Sub(staticFiles, "static")
	routes := []struct {
		pattern string
		handler http.Handler
	}{
		{"GET /{$}", http.RedirectHandler("/cockpit", http.StatusSeeOther)},
		{"GET /login", http.HandlerFunc(p.loginForm)},
		{"POST /login", http.HandlerFunc(p.login)},
		{"GET /login/callback", http.HandlerFunc(p.oidcCallback)},
		{"POST /logout", p.signedIn(p.logout)},
		{"GET /cockpit", p.signedIn(p.cockpit)},
		{"GET /leads", p.signedIn(p.listLeads)},
		{"GET /leads/new", p.signedIn(p.newLeadForm)},
		{"POST /leads/new", p.signedIn(p.createLead)},
		{"GET /leads/{id}", p.signedIn(p.leadDetail)},
		{"POST /leads/{id}", p.signedIn(p.leadAction)},
		{"GET /static/", http.StripPrefix("/static/", http.FileServerFS(static))},
	}
	site := &Site{}
	mux := http.NewServeMux()
	for _, r := range routes {
		mux.Handle(r.pattern, r.handler)
		site.Patterns = append(site.Patterns, r.pattern)
	}
	// Form posts from another site are refused (Origin / Sec-Fetch-Site);
	// posts of a session carry its CSRF token as well.
	site.Handler = http.NewCrossOriginProtection().Handler(mux)
	return site
}

// signedIn runs next with the session's principal, or sends the browser
// to the login page.
func (p *pages) signedIn(next func(w http.ResponseWriter, r *http.Request, who auth.Principal, session string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(SessionCookie)
		if err != nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		who, err := p.cfg.Verifier.Verify(r.Context(), c.Value)
		// As the API: no role, or no territory but for an admin, is no session.
		if err != nil || who.Role() == "" || who.Role() != auth.RoleAdmin && len(who.Territories) == 0 {
			clearSession(w)
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(p.csrf(c.Value))) {
			http.Error(w, "Das Formular ist abgelaufen oder stammt nicht von dieser Seite.", http.StatusForbidden)
			return
		}
		next(w, r, who, c.Value)
	}
}

// csrf is the form token of a session: tied to it, unknown to any other site.
func (p *pages) csrf(session string) string {
	m := hmac.New(sha256.New, p.cfg.Secret)
	m.Write([]byte("csrf|" + session))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func setSession(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", MaxAge: int(sessionTTL.Seconds()),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
}

func clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
}

func (p *pages) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'")
	if err := p.tmpl.ExecuteTemplate(w, name, data); err != nil {
		p.cfg.Log.Error("web: render", "template", name, "error", err)
	}
}
