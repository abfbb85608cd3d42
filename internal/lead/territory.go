package lead

import (
	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/territory"
)

// Territories lists the territories the caller belongs to (all for ADMIN).
func (s *Service) Territories(p auth.Principal) []territory.Territory {
	return s.territories.Visible(p)
}
