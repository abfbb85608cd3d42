package lead

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
)

// TestSystemMakesOnlyAutomaticTransitions: the protection automation's
// principal passes no check of the manual table, and no manager privilege.
func TestSystemMakesOnlyAutomaticTransitions(t *testing.T) {
	for _, from := range Statuses {
		got := Allowed(from, auth.RoleSystem, false)
		require.ElementsMatch(t, automaticTransitions[from], got, from)
		require.NotContains(t, got, StatusDeleted, from)
		require.Empty(t, Allowed(from, auth.RoleSystem, true), "a stopped clock pauses the automation too")
	}
	require.Contains(t, Allowed(StatusRegistered, auth.RoleSystem, false), StatusReminder)
	require.NotContains(t, Allowed(StatusRegistered, auth.RoleManager, false), StatusReminder, "not a manual transition")
	require.NotContains(t, Allowed(StatusExpired, auth.RoleSystem, false), StatusActive, "reopening is a manager's decision")
	require.False(t, privileged(auth.System()))
	require.True(t, privileged(auth.Principal{Roles: []auth.Role{auth.RoleManager}}))
}
