package auth

import (
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

func TestOIDCVerifyValidToken(t *testing.T) {
	idp := newTestIdP(t)
	for name, cfg := range map[string]OIDCConfig{
		"discovery": {},
		"jwks url":  {JWKSURL: idp.URL + "/jwks"},
	} {
		t.Run(name, func(t *testing.T) {
			v := idp.verifier(t, cfg)
			p, err := v.Verify(t.Context(), idp.signRS256(t, idp.claims()))
			require.NoError(t, err)
			require.Equal(t, "8d2f0c1e-user", p.UserID)
			require.Equal(t, "Anna Sales", p.Name)
			require.Equal(t, "anna@example.com", p.Email)
			// Top-level and realm roles merge; unknown ones are dropped.
			require.ElementsMatch(t, []Role{RoleSales, RoleManager}, p.Roles)
			require.Equal(t, RoleManager, p.Role())
			require.Equal(t, []string{"CH", "DE"}, p.Territories)
			require.False(t, p.IsSystem())
		})
	}
}

func TestOIDCVerifyES256(t *testing.T) {
	idp := newTestIdP(t)
	v := idp.verifier(t, OIDCConfig{})
	p, err := v.Verify(t.Context(), sign(t, jwt.SigningMethodES256, "ec-1", idp.ec, idp.claims()))
	require.NoError(t, err)
	require.Equal(t, "8d2f0c1e-user", p.UserID)
}

func TestOIDCVerifySystemRoleNeverGranted(t *testing.T) {
	idp := newTestIdP(t)
	v := idp.verifier(t, OIDCConfig{})
	c := idp.claims()
	c["roles"] = []string{"SYSTEM"}
	c["realm_access"] = map[string]any{"roles": []string{"system"}}
	p, err := v.Verify(t.Context(), idp.signRS256(t, c))
	require.NoError(t, err)
	require.False(t, p.IsSystem())
	require.Empty(t, p.Roles)
	require.Equal(t, Role(""), p.Role())
}

func TestOIDCVerifyAccepts(t *testing.T) {
	idp := newTestIdP(t)
	v := idp.verifier(t, OIDCConfig{})
	cases := map[string]func(jwt.MapClaims){
		"expired within leeway":       func(c jwt.MapClaims) { c["exp"] = testNow.Add(-20 * time.Second).Unix() },
		"nbf within leeway":           func(c jwt.MapClaims) { c["nbf"] = testNow.Add(20 * time.Second).Unix() },
		"no nbf":                      func(c jwt.MapClaims) { delete(c, "nbf") },
		"audience list with ours":     func(c jwt.MapClaims) { c["aud"] = []string{"account", testAudience} },
		"only realm roles":            func(c jwt.MapClaims) { delete(c, "roles") },
		"only top-level roles":        func(c jwt.MapClaims) { delete(c, "realm_access") },
		"no roles and no territories": func(c jwt.MapClaims) { delete(c, "roles"); delete(c, "realm_access"); delete(c, "territories") },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			c := idp.claims()
			mod(c)
			_, err := v.Verify(t.Context(), idp.signRS256(t, c))
			require.NoError(t, err)
		})
	}
}

func TestOIDCVerifyRejects(t *testing.T) {
	idp := newTestIdP(t)
	v := idp.verifier(t, OIDCConfig{})
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := idp.claims()
		mod(c)
		return c
	}
	pub, err := x509.MarshalPKIXPublicKey(&idp.rsa.PublicKey)
	require.NoError(t, err)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})

	cases := map[string]string{
		"expired beyond leeway": idp.signRS256(t, claims(func(c jwt.MapClaims) { c["exp"] = testNow.Add(-31 * time.Second).Unix() })),
		"no exp":                idp.signRS256(t, claims(func(c jwt.MapClaims) { delete(c, "exp") })),
		"nbf in the future":     idp.signRS256(t, claims(func(c jwt.MapClaims) { c["nbf"] = testNow.Add(time.Minute).Unix() })),
		"iat in the future":     idp.signRS256(t, claims(func(c jwt.MapClaims) { c["iat"] = testNow.Add(time.Minute).Unix() })),
		"NUL in sub":            idp.signRS256(t, claims(func(c jwt.MapClaims) { c["sub"] = "anna\x00" })),
		"NUL in name":           idp.signRS256(t, claims(func(c jwt.MapClaims) { c["name"] = "An\x00na" })),
		"NUL in email":          idp.signRS256(t, claims(func(c jwt.MapClaims) { c["email"] = "a\x00@b.de" })),
		"NUL in a territory":    idp.signRS256(t, claims(func(c jwt.MapClaims) { c["territories"] = []any{"DE\x00"} })),
		"invalid UTF-8 in name": idp.signRS256(t, claims(func(c jwt.MapClaims) { c["name"] = "An\xffna" })),
		"NUL in a realm role":   idp.signRS256(t, claims(func(c jwt.MapClaims) { c["realm_access"] = map[string]any{"roles": []any{"SALES\x00"}} })),
		"malformed nbf":         idp.signRS256(t, claims(func(c jwt.MapClaims) { c["nbf"] = "soon" })),
		"malformed exp":         idp.signRS256(t, claims(func(c jwt.MapClaims) { c["exp"] = "soon" })),
		"malformed aud":         idp.signRS256(t, claims(func(c jwt.MapClaims) { c["aud"] = map[string]any{"soon": 1} })),
		"wrong audience":        idp.signRS256(t, claims(func(c jwt.MapClaims) { c["aud"] = "account" })),
		"no audience":           idp.signRS256(t, claims(func(c jwt.MapClaims) { delete(c, "aud") })),
		"wrong issuer":          idp.signRS256(t, claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example.com/realms/x" })),
		"missing sub":           idp.signRS256(t, claims(func(c jwt.MapClaims) { delete(c, "sub") })),
		"blank sub":             idp.signRS256(t, claims(func(c jwt.MapClaims) { c["sub"] = "  " })),
		"sub SYSTEM":            idp.signRS256(t, claims(func(c jwt.MapClaims) { c["sub"] = "system" })),
		"signed by another key": sign(t, jwt.SigningMethodRS256, "rsa-1", idp.other, idp.claims()),
		"unknown kid":           sign(t, jwt.SigningMethodRS256, "rsa-2", idp.other, idp.claims()),
		"RS512 not allowed":     sign(t, jwt.SigningMethodRS512, "rsa-1", idp.rsa, idp.claims()),
		"alg none":              sign(t, jwt.SigningMethodNone, "rsa-1", jwt.UnsafeAllowNoneSignatureType, idp.claims()),
		"HS256 with public key": sign(t, jwt.SigningMethodHS256, "rsa-1", pubPEM, idp.claims()),
		"HS256 with DER key":    sign(t, jwt.SigningMethodHS256, "rsa-1", pub, idp.claims()),
		"garbage":               "not.a.token",
		"empty":                 "",
		"two parts":             "eyJhbGciOiJSUzI1NiJ9.e30",
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := v.Verify(t.Context(), tok)
			require.ErrorIs(t, err, ErrUnauthenticated)
			require.Equal(t, Principal{}, p)
			t.Log(err)
			// Errors end up in logs: no token, no claim value.
			for _, secret := range []string{"soon", "evil.example.com", "8d2f0c1e", "anna@example.com"} {
				require.NotContains(t, err.Error(), secret)
			}
			if tok != "" {
				require.NotContains(t, err.Error(), tok)
			}
		})
	}
}

func TestOIDCLeewayConfigurable(t *testing.T) {
	idp := newTestIdP(t)
	c := idp.claims()
	c["exp"] = testNow.Add(-90 * time.Second).Unix()
	tok := idp.signRS256(t, c)

	_, err := idp.verifier(t, OIDCConfig{}).Verify(t.Context(), tok)
	require.ErrorIs(t, err, ErrUnauthenticated)

	_, err = idp.verifier(t, OIDCConfig{Leeway: 2 * time.Minute}).Verify(t.Context(), tok)
	require.NoError(t, err)

	c["exp"] = testNow.Add(-time.Second).Unix()
	_, err = idp.verifier(t, OIDCConfig{Leeway: -1}).Verify(t.Context(), idp.signRS256(t, c))
	require.ErrorIs(t, err, ErrUnauthenticated)
}

func TestOIDCUsesInjectedClock(t *testing.T) {
	idp := newTestIdP(t)
	tok := idp.signRS256(t, idp.claims())
	later := func() time.Time { return testNow.Add(time.Hour) }
	_, err := idp.verifier(t, OIDCConfig{Now: later}).Verify(t.Context(), tok)
	require.ErrorIs(t, err, ErrUnauthenticated)
}

func TestOIDCJWKSURLChecksIssuer(t *testing.T) {
	// Without discovery nothing ties the key set to an issuer but our check.
	idp := newTestIdP(t)
	v := idp.verifier(t, OIDCConfig{IssuerURL: "https://sso.example.com/realms/freshplan", JWKSURL: idp.URL + "/jwks"})
	_, err := v.Verify(t.Context(), idp.signRS256(t, idp.claims()))
	require.ErrorIs(t, err, ErrUnauthenticated)
}

func TestOIDCUsesConfiguredHTTPClient(t *testing.T) {
	idp := newTestIdP(t)
	var calls atomic.Int32
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	v := idp.verifier(t, OIDCConfig{HTTPClient: client})
	_, err := v.Verify(t.Context(), idp.signRS256(t, idp.claims()))
	require.NoError(t, err)
	require.Equal(t, int32(2), calls.Load(), "discovery and JWKS both go through the configured client")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNewOIDCVerifierConfigErrors(t *testing.T) {
	idp := newTestIdP(t)
	_, err := NewOIDCVerifier(t.Context(), OIDCConfig{Audience: testAudience})
	require.Error(t, err, "issuer required")
	_, err = NewOIDCVerifier(t.Context(), OIDCConfig{IssuerURL: idp.URL})
	require.Error(t, err, "audience required")
	_, err = NewOIDCVerifier(t.Context(), OIDCConfig{IssuerURL: idp.URL + "/realms/other", Audience: testAudience})
	require.Error(t, err, "discovery must fail for an unknown realm")
	_, err = NewOIDCVerifier(t.Context(), OIDCConfig{IssuerURL: idp.URL + "/", Audience: testAudience})
	require.Error(t, err, "discovered issuer must match exactly")
}
