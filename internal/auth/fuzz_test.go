package auth

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzClaims decodes arbitrary JSON as token claims: the principal never
// panics, is never SYSTEM, holds no NUL or invalid text, and keeps only
// known territory codes.
func FuzzClaims(f *testing.F) {
	for _, seed := range []string{
		`{"sub":"anna","roles":["SALES"],"territories":["DE"]}`,
		`{"sub":"anna","roles":"sales","territories":"DE,AT"}`,
		`{"sub":"SYSTEM","roles":["SYSTEM"]}`,
		`{"sub":"a\u0000","name":"\ud800"}`,
		`{"sub":"x","realm_access":{"roles":["admin",7,null]},"territories":[["DE"]]}`,
	} {
		f.Add([]byte(seed))
	}
	known := func(c string) bool { return c == "DE" || c == "CH" || c == "AT" }
	f.Fuzz(func(t *testing.T, body []byte) {
		var claims map[string]any
		if json.Unmarshal(body, &claims) != nil {
			return
		}
		p, err := KnownTerritories(stubVerifier{claims}, known).Verify(context.Background(), "")
		if err != nil {
			return
		}
		if p.IsSystem() || p.Role() == RoleSystem || p.UserID == "" {
			t.Fatalf("principal %+v from %s", p, body)
		}
		for _, s := range append([]string{p.UserID, p.Name, p.Email}, p.Territories...) {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\uFFFD") {
				t.Fatalf("text %q kept from %s", s, body)
			}
		}
		for _, c := range p.Territories {
			if !known(c) {
				t.Fatalf("territory %q kept from %s", c, body)
			}
		}
	})
}
