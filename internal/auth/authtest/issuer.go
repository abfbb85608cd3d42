// Package authtest is an OIDC issuer for tests: discovery, a key set, and
// the authorization code flow with PKCE (S256 only), signing in whoever the
// test says without asking.
package authtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// Audience is the audience of the tokens the issuer signs.
const Audience = "freshplan"

// Issuer is the test's identity provider.
type Issuer struct {
	URL      string
	ClientID string
	key      *rsa.PrivateKey

	mu    sync.Mutex
	user  jwt.MapClaims
	codes map[string]grant
}

type grant struct {
	challenge, redirect string
	claims              jwt.MapClaims
}

// New starts an issuer for client clientID until t ends.
func New(t testing.TB, clientID string) *Issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss := &Issuer{ClientID: clientID, key: key, codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", iss.discovery)
	mux.HandleFunc("GET /jwks", iss.jwks)
	mux.HandleFunc("GET /auth", iss.authorize)
	mux.HandleFunc("POST /token", iss.token)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	iss.URL = srv.URL
	return iss
}

// SignIn makes the next authorization sign in a user with these claims
// (sub, name, roles, territories...); issuer, audience and times are added.
func (iss *Issuer) SignIn(claims jwt.MapClaims) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.user = claims
}

func (iss *Issuer) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"issuer": iss.URL, "jwks_uri": iss.URL + "/jwks",
		"authorization_endpoint": iss.URL + "/auth", "token_endpoint": iss.URL + "/token",
		"response_types_supported": []string{"code"}, "code_challenge_methods_supported": []string{"S256"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "subject_types_supported": []string{"public"}})
}

func (iss *Issuer) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &iss.key.PublicKey, KeyID: "rsa-1", Algorithm: "RS256", Use: "sig"}}})
}

// authorize answers the browser at once: back to the client with a code,
// for the user of SignIn, if the request is a code request with S256 PKCE.
func (iss *Issuer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("response_type") != "code" || q.Get("client_id") != iss.ClientID || q.Get("redirect_uri") == "" ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" {
		http.Error(w, "invalid_request", http.StatusBadRequest)
		return
	}
	iss.mu.Lock()
	code := rand.Text()
	iss.codes[code] = grant{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), claims: iss.user}
	iss.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "invalid_request", http.StatusBadRequest)
		return
	}
	v := back.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token exchanges a code once, for the verifier whose S256 is the challenge.
func (iss *Issuer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	iss.mu.Lock()
	g, ok := iss.codes[r.PostForm.Get("code")]
	delete(iss.codes, r.PostForm.Get("code"))
	iss.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("redirect_uri") != g.redirect ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	now := time.Now()
	claims := jwt.MapClaims{"iss": iss.URL, "aud": Audience, "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix()}
	for k, v := range g.claims {
		claims[k] = v
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = "rsa-1"
	signed, err := tok.SignedString(iss.key)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": signed, "id_token": signed, "token_type": "Bearer",
		"expires_in": 300})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
