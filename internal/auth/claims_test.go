package auth

import (
	"context"
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

// TestKnownTerritoriesDropsWhatTheTableDoesNotHold replays the finding: a
// claim "DE,AT" (array entry or lone string) names no territory, so a
// manager holding only it ends up with none, which the HTTP layer refuses.
func TestKnownTerritoriesDropsWhatTheTableDoesNotHold(t *testing.T) {
	known := func(code string) bool { return code == "DE" || code == "CH" || code == "AT" }
	for claim, want := range map[any][]string{
		"DE,AT":              {},
		"de":                 {"DE"},
		"DE AT":              {},
		"XX":                 {},
		"":                   {},
		"CH":                 {"CH"},
		"DE;AT":              {},
		"\u0044\u0045\u00a0": {"DE"},
		"at":                 {"AT"},
		" de ":               {"DE"},
		"DE,":                {},
		"D":                  {},
		"DEU":                {},
		"ÄT":                 {},
		"fr":                 {},
		"DE\u200b":           {},
		"Ch":                 {"CH"},
		"AT\t":               {"AT"},
		"\tAT":               {"AT"},
		"DE/AT":              {},
	} {
		v := KnownTerritories(stubVerifier{map[string]any{"sub": "mia", "roles": "MANAGER", "territories": claim}}, known)
		p, err := v.Verify(t.Context(), "token")
		require.NoError(t, err)
		require.ElementsMatch(t, want, p.Territories, "claim %q", claim)
	}
}

type stubVerifier struct{ claims map[string]any }

func (s stubVerifier) Verify(context.Context, string) (Principal, error) {
	return principalFromClaims(s.claims)
}

func TestClaimsWithNULOrInvalidUTF8AreRefused(t *testing.T) {
	for _, bad := range []map[string]any{
		{"sub": "an\x00na"}, {"sub": "anna", "name": "\xff"}, {"sub": "anna", "email": "a\x00@b"},
		{"sub": "anna", "territories": []any{"DE", "A\x00T"}}, {"sub": "anna", "roles": []any{"SALES\x00"}},
		{"sub": "anna", "realm_access": map[string]any{"roles": []any{"\ufffd"}}},
	} {
		_, err := principalFromClaims(bad)
		require.ErrorIs(t, err, ErrUnauthenticated, "%q", bad)
	}
}
