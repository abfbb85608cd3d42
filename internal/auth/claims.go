package auth

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// principalFromClaims maps verified JWT claims to a Principal. It is shared by
// the OIDC and the development verifier so both read claims identically. It
// never yields the SYSTEM principal: NormalizeRoles drops a SYSTEM role, and a
// subject that spells SYSTEM is refused so that audit columns and app.user_id
// cannot be made to look like a background job.
func principalFromClaims(c map[string]any) (Principal, error) {
	if err := cleanClaims(c); err != nil {
		return Principal{}, err
	}
	sub, _ := c["sub"].(string)
	sub = strings.TrimSpace(sub)
	if sub == "" {
		return Principal{}, fmt.Errorf("auth: token has no subject: %w", ErrUnauthenticated)
	}
	if strings.EqualFold(sub, System().UserID) {
		return Principal{}, fmt.Errorf("auth: token subject is reserved: %w", ErrUnauthenticated)
	}
	name, _ := c["name"].(string)
	email, _ := c["email"].(string)

	// Keycloak puts realm roles under realm_access.roles; other issuers (and
	// Keycloak with a mapper) use a top-level roles claim. Either may grant.
	names := stringList(c["roles"])
	if ra, ok := c["realm_access"].(map[string]any); ok {
		names = append(names, stringList(ra["roles"])...)
	}

	return Principal{
		UserID:      sub,
		Name:        strings.TrimSpace(name),
		Email:       strings.TrimSpace(email),
		Roles:       NormalizeRoles(names),
		Territories: NormalizeTerritories(stringList(c["territories"])),
	}, nil
}

// stringList reads a claim that should be an array of strings. Malformed
// entries are skipped rather than rejected: dropping them can only take away
// access, never grant it. A lone string is accepted because single-valued
// Keycloak mappers emit one.
func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// identityClaims are the claims a principal is made of.
var identityClaims = []string{"sub", "name", "email", "roles", "territories"}

// cleanClaims refuses a token whose identity claims hold a NUL byte or text
// that was not valid UTF-8 (the JSON decoder turns that into U+FFFD): such
// values cannot be stored or compared faithfully, so the token is invalid.
func cleanClaims(c map[string]any) error {
	values := []any{}
	for _, k := range identityClaims {
		values = append(values, c[k])
	}
	if ra, ok := c["realm_access"].(map[string]any); ok {
		values = append(values, ra["roles"])
	}
	for _, v := range values {
		for _, s := range anyStrings(v) {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\uFFFD") {
				return fmt.Errorf("auth: token claim holds a NUL byte or invalid UTF-8: %w", ErrUnauthenticated)
			}
		}
	}
	return nil
}

// anyStrings is every string in a claim value, wherever it stands.
func anyStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, anyStrings(e)...)
		}
		return out
	}
	return nil
}
