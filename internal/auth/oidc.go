package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// OIDCConfig configures the production verifier.
type OIDCConfig struct {
	// IssuerURL must equal the tokens' iss exactly (Keycloak:
	// https://host/realms/<realm>).
	IssuerURL string
	// Audience must be one of the tokens' aud values. It is configuration
	// because Keycloak issues aud=account unless an audience mapper is set.
	Audience string
	// JWKSURL skips discovery when set; otherwise the key set URL is read from
	// IssuerURL/.well-known/openid-configuration.
	JWKSURL string
	// Leeway for exp and nbf; zero means DefaultLeeway, negative means none.
	Leeway time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// HTTPClient fetches discovery and keys; nil means a client with a timeout,
	// because http.DefaultClient would let a hung IdP hang every request.
	HTTPClient *http.Client
}

// OIDCVerifier verifies RS256/ES256 bearer tokens against an OIDC issuer.
type OIDCVerifier struct {
	verifier *oidc.IDTokenVerifier
	issuer   string
	audience string
	leeway   time.Duration
	now      func() time.Time
}

// Asymmetric algorithms only: HS* would make the public key a shared secret
// (alg confusion), and none is no signature at all.
var oidcAlgs = []string{oidc.RS256, oidc.ES256}

const defaultHTTPTimeout = 10 * time.Second

// NewOIDCVerifier builds a verifier. Without JWKSURL it performs discovery
// now, using ctx for that request; keys are fetched lazily and cached.
func NewOIDCVerifier(ctx context.Context, cfg OIDCConfig) (*OIDCVerifier, error) {
	if cfg.IssuerURL == "" {
		return nil, errors.New("auth: oidc issuer URL is required")
	}
	if cfg.Audience == "" {
		// Without an audience any token of the realm, for any client, would do.
		return nil, errors.New("auth: oidc audience is required")
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: defaultHTTPTimeout}
	}
	ctx = oidc.ClientContext(ctx, client)

	// go-oidc checks exp without leeway and nbf with a fixed 5 minutes, and
	// its audience check would put token values into error messages; so
	// those checks are ours, and go-oidc keeps signature and issuer.
	occ := &oidc.Config{
		SupportedSigningAlgs: oidcAlgs,
		SkipClientIDCheck:    true,
		SkipExpiryCheck:      true,
		SkipIssuerCheck:      true,
	}
	var iv *oidc.IDTokenVerifier
	if cfg.JWKSURL != "" {
		iv = oidc.NewVerifier(cfg.IssuerURL, oidc.NewRemoteKeySet(ctx, cfg.JWKSURL), occ)
	} else {
		p, err := oidc.NewProvider(ctx, cfg.IssuerURL)
		if err != nil {
			return nil, fmt.Errorf("auth: oidc discovery: %w", err)
		}
		iv = p.VerifierContext(ctx, occ)
	}
	return &OIDCVerifier{
		verifier: iv,
		issuer:   cfg.IssuerURL,
		audience: cfg.Audience,
		leeway:   leeway(cfg.Leeway),
		now:      nowFunc(cfg.Now),
	}, nil
}

// Verify implements Verifier.
func (v *OIDCVerifier) Verify(ctx context.Context, rawToken string) (Principal, error) {
	tok, err := v.verifier.Verify(ctx, rawToken)
	if err != nil {
		return Principal{}, fmt.Errorf("auth: oidc token rejected: %s: %w", oidcReason(err), ErrUnauthenticated)
	}
	if tok.Issuer != v.issuer {
		return Principal{}, fmt.Errorf("auth: oidc token from another issuer: %w", ErrUnauthenticated)
	}
	if !slices.Contains(tok.Audience, v.audience) {
		return Principal{}, fmt.Errorf("auth: oidc token for another audience: %w", ErrUnauthenticated)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return Principal{}, fmt.Errorf("auth: oidc claims unreadable: %w", ErrUnauthenticated)
	}
	if err := v.checkTimes(tok.Expiry, claims["nbf"], claims["iat"]); err != nil {
		return Principal{}, err
	}
	return principalFromClaims(claims)
}

// oidcReason keeps go-oidc's reason for logs: with issuer, audience and
// expiry checks off it names a malformed token, a disallowed algorithm or a
// signature or key-fetch failure, which operators need. Claim decoding errors
// are the exception, as they quote the offending claim value.
func oidcReason(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "unmarshal") {
		return "malformed claims"
	}
	return msg
}

func (v *OIDCVerifier) checkTimes(exp time.Time, nbf, iat any) error {
	now := v.now()
	// A token without exp would be valid forever.
	if exp.IsZero() {
		return fmt.Errorf("auth: oidc token has no expiry: %w", ErrUnauthenticated)
	}
	if now.After(exp.Add(v.leeway)) {
		return fmt.Errorf("auth: oidc token expired: %w", ErrUnauthenticated)
	}
	// A token issued or valid only in the future comes from a wrong clock
	// or a forger; the development verifier refuses it the same way.
	for name, claim := range map[string]any{"nbf": nbf, "iat": iat} {
		if claim == nil {
			continue
		}
		secs, ok := claim.(float64)
		if !ok {
			return fmt.Errorf("auth: oidc token has a malformed %s: %w", name, ErrUnauthenticated)
		}
		if now.Add(v.leeway).Before(time.Unix(int64(secs), 0)) {
			return fmt.Errorf("auth: oidc token not valid yet (%s): %w", name, ErrUnauthenticated)
		}
	}
	return nil
}
