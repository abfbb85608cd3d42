package web

import (
	"html/template"
	"math"
	"net/http"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/cockpit"
)

type cockpitPage struct {
	page
	Who    auth.Principal
	CSRF   string
	Widget *cockpit.Widget // nil: the widget is off
}

// cockpit is GET /cockpit: the widget of the signed-in user's scope,
// updated live by the page's script from /api/cockpit/stream.
func (p *pages) cockpit(w http.ResponseWriter, r *http.Request, who auth.Principal, session string) {
	page := cockpitPage{page: pageOf(r, "Cockpit"), Who: who, CSRF: p.csrf(session)}
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

// bar is one day of the trend chart, scaled to its 100 px.
type bar struct {
	X, SentY, SentH, ConvY, ConvH int
	Label                         string
	Day                           cockpit.TrendDay
}

// chartBars lays the days out: sent mails as a bar, the converted of them
// inside it, the busiest day 100 px high. cockpit.js draws the same.
func chartBars(days []cockpit.TrendDay) []bar {
	top := int64(1)
	for _, d := range days {
		top = max(top, d.Sent)
	}
	out := make([]bar, len(days))
	for i, d := range days {
		h := func(v int64) int { return int(math.Round(float64(v) * 100 / float64(top))) }
		label := d.Date
		if len(label) == 10 {
			label = label[8:] + "." + label[5:7] + "."
		}
		out[i] = bar{X: 10 + i*36, SentH: h(d.Sent), SentY: 110 - h(d.Sent), ConvH: h(d.Converted), ConvY: 110 - h(d.Converted),
			Label: label, Day: d}
	}
	return out
}

var funcs = template.FuncMap{"chartBars": chartBars, "t": translate}
