package web

import (
	"html/template"
	"math"
	"net/http"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/cockpit"
)

type cockpitPage struct {
	Who    auth.Principal
	CSRF   string
	Widget *cockpit.Widget // nil: the widget is off
}

// cockpit is GET /cockpit: the widget of the signed-in user's scope,
// updated live by the page's script from /api/cockpit/stream.
func (p *pages) cockpit(w http.ResponseWriter, r *http.Request, who auth.Principal, session string) {
	page := cockpitPage{Who: who, CSRF: p.csrf(session)}
	if p.cfg.Widgets != nil {
		scope, err := p.cfg.Widgets.Scope(who, "")
		if err != nil {
			http.Error(w, "Für Ihre Rolle gibt es kein Cockpit.", http.StatusForbidden)
			return
		}
		if page.Widget, err = p.cfg.Widgets.Widget(r.Context(), who, scope, false); err != nil {
			p.cfg.Log.ErrorContext(r.Context(), "web: cockpit", "error", err)
			http.Error(w, "Das Cockpit ist gerade nicht erreichbar.", http.StatusInternalServerError)
			return
		}
	}
	p.render(w, "cockpit.html", page)
}

var funcs = template.FuncMap{
	// barHeight scales a percentage to the chart's 100 px.
	"barHeight": func(v float64) int { return int(math.Round(math.Max(0, math.Min(100, v)))) },
	"barY":      func(v float64) int { return 110 - int(math.Round(math.Max(0, math.Min(100, v)))) },
}
