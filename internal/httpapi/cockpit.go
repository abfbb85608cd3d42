package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/freshplan/leads/internal/cockpit"
)

// leadWidget is GET /api/cockpit/lead-widget[?territory=].
func (s *server) leadWidget(w http.ResponseWriter, r *http.Request) (reply, error) {
	p := queryParams(r)
	only := strings.ToUpper(strings.TrimSpace(p.q.Get("territory")))
	if err := p.err(); err != nil {
		return reply{}, err
	}
	scope, err := s.widgets.Scope(principal(r), only)
	switch {
	case errors.Is(err, cockpit.ErrUnknownTerritory):
		return reply{}, invalid(FieldError{Field: "territory", Message: "must be a territory code"})
	case errors.Is(err, cockpit.ErrForbidden):
		return reply{}, newProblem(http.StatusForbidden, "forbidden", "Forbidden",
			"Your role may not see the lead widget of this scope.")
	case err != nil:
		return reply{}, err
	}
	widget, err := s.widgets.Widget(r.Context(), principal(r), scope)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, widget), nil
}
