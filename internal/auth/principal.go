// Package auth turns a bearer token into a Principal: who calls, in which
// roles and territories. It verifies OIDC tokens in production and HS256
// development tokens when the service runs with dev auth.
package auth

import (
	"context"
	"errors"
	"slices"
	"strings"
)

// Role is a normalized role name.
type Role string

// The roles a token may carry, and SYSTEM, which only internal code can hold.
const (
	RoleAdmin   Role = "ADMIN"
	RoleManager Role = "MANAGER"
	RoleSales   Role = "SALES"
	RoleSystem  Role = "SYSTEM"
)

// ErrUnauthenticated means the token is missing, malformed, expired or not trusted.
var ErrUnauthenticated = errors.New("auth: unauthenticated")

// Principal is the caller of a request or job.
type Principal struct {
	UserID      string
	Name        string
	Email       string
	Roles       []Role
	Territories []string
	system      bool
}

// System is the principal of background jobs. No token can produce it.
func System() Principal {
	return Principal{UserID: "SYSTEM", Name: "System", Roles: []Role{RoleSystem}, system: true}
}

// IsSystem reports whether p is the internal SYSTEM principal.
func (p Principal) IsSystem() bool { return p.system }

// Role is the effective role: the highest of ADMIN, MANAGER, SALES; SYSTEM
// for background jobs; "" when the principal holds none (which grants nothing).
func (p Principal) Role() Role {
	if p.system {
		return RoleSystem
	}
	for _, r := range []Role{RoleAdmin, RoleManager, RoleSales} {
		if slices.Contains(p.Roles, r) {
			return r
		}
	}
	return ""
}

// InTerritory reports whether the principal belongs to territory t.
func (p Principal) InTerritory(t string) bool { return slices.Contains(p.Territories, t) }

// SeesTerritory reports whether data of territory t is visible at all.
func (p Principal) SeesTerritory(t string) bool {
	switch p.Role() {
	case RoleAdmin, RoleSystem:
		return true
	case RoleManager, RoleSales:
		return p.InTerritory(t)
	}
	return false
}

// NormalizeRoles maps role names case-insensitively to the known roles and
// drops the rest, SYSTEM included: a token can never make its bearer SYSTEM.
func NormalizeRoles(names []string) []Role {
	var out []Role
	for _, n := range names {
		r := Role(strings.ToUpper(strings.TrimSpace(n)))
		switch r {
		case RoleAdmin, RoleManager, RoleSales:
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// NormalizeTerritories upper-cases, de-duplicates and sorts territory codes.
func NormalizeTerritories(codes []string) []string {
	out := make([]string, 0, len(codes))
	for _, c := range codes {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// Verifier checks a raw bearer token and returns its principal, or an error
// wrapping ErrUnauthenticated.
type Verifier interface {
	Verify(ctx context.Context, rawToken string) (Principal, error)
}

type ctxKey struct{}

// WithPrincipal stores p in ctx.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal stored by WithPrincipal.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// KnownTerritories wraps v so that a principal keeps only the territory
// codes known accepts (the territories table): an unknown code, or two
// joined by a separator such as "DE,AT", grants nothing. A principal left
// without a territory is refused by the HTTP layer (403), unless it is an
// admin, who needs none.
func KnownTerritories(v Verifier, known func(code string) bool) Verifier {
	return knownTerritories{v, known}
}

type knownTerritories struct {
	Verifier
	known func(string) bool
}

func (k knownTerritories) Verify(ctx context.Context, rawToken string) (Principal, error) {
	p, err := k.Verifier.Verify(ctx, rawToken)
	if err != nil {
		return p, err
	}
	p.Territories = slices.DeleteFunc(p.Territories, func(t string) bool { return !k.known(t) })
	return p, nil
}
