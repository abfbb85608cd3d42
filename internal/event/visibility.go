package event

import (
	"slices"

	"github.com/freshplan/leads/internal/auth"
)

// VisibleTo reports whether p may see what has this audience: the rule of
// the row-level-security policies on leads and the outbox (migration
// 00011's lead_visible and event_read), in Go, for the readers that hold
// events in memory (live streams, cache invalidation). ADMIN and SYSTEM
// see everything; a MANAGER their territories; a SALES user the leads they
// own or collaborate on in their territories; anyone else nothing.
func (a Audience) VisibleTo(p auth.Principal) bool {
	switch p.Role() {
	case auth.RoleAdmin, auth.RoleSystem:
		return true
	case auth.RoleManager:
		return p.InTerritory(a.Territory)
	case auth.RoleSales:
		return p.UserID != "" && p.InTerritory(a.Territory) &&
			(a.Owner == p.UserID || slices.Contains(a.Collaborators, p.UserID))
	}
	return false
}
