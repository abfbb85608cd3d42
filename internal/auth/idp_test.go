package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// testNow is the fixed clock of all tests.
var testNow = time.Date(2025, 9, 26, 20, 0, 0, 0, time.UTC)

const testAudience = "freshplan"

// testIdP is an in-process OIDC issuer: discovery document and JWKS.
type testIdP struct {
	URL   string
	rsa   *rsa.PrivateKey
	ec    *ecdsa.PrivateKey
	other *rsa.PrivateKey // not published: signs forgeries
}

func newTestIdP(t *testing.T) *testIdP {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ok, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	idp := &testIdP{rsa: rk, ec: ek, other: ok}

	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &rk.PublicKey, KeyID: "rsa-1", Algorithm: "RS256", Use: "sig"},
		{Key: &ek.PublicKey, KeyID: "ec-1", Algorithm: "ES256", Use: "sig"},
	}})
	require.NoError(t, err)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                idp.URL,
			"jwks_uri":                              idp.URL + "/jwks",
			"authorization_endpoint":                idp.URL + "/auth",
			"token_endpoint":                        idp.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256", "HS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	idp.URL = srv.URL
	return idp
}

// claims returns the claims of a valid Keycloak-like access token.
func (idp *testIdP) claims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":          idp.URL,
		"aud":          testAudience,
		"sub":          "8d2f0c1e-user",
		"name":         "Anna Sales",
		"email":        "anna@example.com",
		"iat":          testNow.Add(-time.Minute).Unix(),
		"nbf":          testNow.Add(-time.Minute).Unix(),
		"exp":          testNow.Add(5 * time.Minute).Unix(),
		"realm_access": map[string]any{"roles": []string{"sales", "offline_access", "uma_authorization"}},
		"roles":        []string{"Manager", "superuser"},
		"territories":  []string{"de", " ch ", "DE"},
	}
}

func sign(t *testing.T, m jwt.SigningMethod, kid string, key any, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

func (idp *testIdP) signRS256(t *testing.T, c jwt.MapClaims) string {
	return sign(t, jwt.SigningMethodRS256, "rsa-1", idp.rsa, c)
}

func (idp *testIdP) verifier(t *testing.T, cfg OIDCConfig) *OIDCVerifier {
	t.Helper()
	if cfg.IssuerURL == "" {
		cfg.IssuerURL = idp.URL
	}
	if cfg.Audience == "" {
		cfg.Audience = testAudience
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	v, err := NewOIDCVerifier(t.Context(), cfg)
	require.NoError(t, err)
	return v
}
