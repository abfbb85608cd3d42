package httpapi

import (
	"net/http"
	"strings"
)

// leadWidget is GET /api/cockpit/lead-widget[?territory=].
func (s *server) leadWidget(w http.ResponseWriter, r *http.Request) (reply, error) {
	p := queryParams(r)
	only := strings.ToUpper(strings.TrimSpace(p.q.Get("territory")))
	if err := p.err(); err != nil {
		return reply{}, err
	}
	scope, err := s.widgets.Scope(principal(r), only)
	if err != nil {
		return reply{}, widgetScopeProblem(err)
	}
	// Cache-Control: no-cache asks for the figures as they are now (RFC
	// 9111): read afresh, and cached for the next caller.
	fresh := strings.Contains(strings.ToLower(r.Header.Get("Cache-Control")), "no-cache")
	widget, err := s.widgets.Widget(r.Context(), principal(r), scope, fresh)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, widget), nil
}
