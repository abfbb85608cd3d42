package auth

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPrincipalFromClaims(t *testing.T) {
	p, err := principalFromClaims(map[string]any{
		"sub":          " u-1 ",
		"name":         "Max",
		"email":        "max@example.com",
		"roles":        []any{"admin", 42, nil, "Sales"},
		"realm_access": map[string]any{"roles": []any{"MANAGER", "default-roles-freshplan"}},
		"territories":  []any{"ch", "", 7, "DE", "ch"},
	})
	require.NoError(t, err)
	require.Equal(t, "u-1", p.UserID)
	require.Equal(t, []Role{RoleAdmin, RoleSales, RoleManager}, p.Roles)
	require.Equal(t, RoleAdmin, p.Role())
	require.Equal(t, []string{"CH", "DE"}, p.Territories)
}

func TestPrincipalFromClaimsLenientShapes(t *testing.T) {
	// Malformed shapes only ever take access away.
	p, err := principalFromClaims(map[string]any{
		"sub":          "u-1",
		"roles":        "sales",
		"realm_access": "MANAGER",
		"territories":  map[string]any{"DE": true},
		"name":         123,
	})
	require.NoError(t, err)
	require.Equal(t, []Role{RoleSales}, p.Roles)
	require.Empty(t, p.Territories)
	require.Empty(t, p.Name)
}

func TestPrincipalFromClaimsNeverSystem(t *testing.T) {
	p, err := principalFromClaims(map[string]any{
		"sub":          "u-1",
		"roles":        []any{"SYSTEM", "system"},
		"realm_access": map[string]any{"roles": []any{"System"}},
		"system":       true,
	})
	require.NoError(t, err)
	require.False(t, p.IsSystem())
	require.Equal(t, Role(""), p.Role())

	for _, sub := range []any{nil, "", "  ", 42, "SYSTEM", "System"} {
		_, err := principalFromClaims(map[string]any{"sub": sub, "roles": []any{"ADMIN"}})
		require.ErrorIs(t, err, ErrUnauthenticated, "sub %v", sub)
	}
}
