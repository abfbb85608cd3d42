package httpapi

import (
	"net/http"
	"strings"

	"github.com/freshplan/leads/internal/auth"
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

// dropWidgets is DELETE /api/cockpit/lead-widget/cache (ADMIN): every
// cached widget of this replica is read afresh next time.
func (s *server) dropWidgets(w http.ResponseWriter, r *http.Request) (reply, error) {
	if principal(r).Role() != auth.RoleAdmin {
		return reply{}, newProblem(http.StatusForbidden, "forbidden", "Forbidden", "Only an admin may drop the cached widgets.")
	}
	s.widgets.InvalidateAll()
	return reply{status: http.StatusNoContent}, nil
}
