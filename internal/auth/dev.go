package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Defaults of development tokens. The issuer differs from any real OIDC
// issuer so a dev token can never pass for a production one.
const (
	DefaultDevIssuer   = "freshplan-dev"
	DefaultDevAudience = "freshplan"
	// DefaultLeeway tolerates clock skew between issuer and service.
	DefaultLeeway = 30 * time.Second
)

// devClaims is what DevIssuer writes; DevVerifier reads it back as a map so
// that both verifiers share principalFromClaims.
type devClaims struct {
	jwt.RegisteredClaims
	Name        string   `json:"name,omitempty"`
	Email       string   `json:"email,omitempty"`
	Roles       []string `json:"roles,omitempty"`
	Territories []string `json:"territories,omitempty"`
}

// DevIssuer mints HS256 development tokens (freshplan token). They are
// accepted only by a DevVerifier with the same secret, i.e. under --dev-auth.
type DevIssuer struct {
	Secret   []byte
	Issuer   string // default DefaultDevIssuer
	Audience string // default DefaultDevAudience
	Now      func() time.Time
}

// Issue returns a signed token for user, valid for ttl from now. Roles are
// written as given; the verifier normalizes them, so SYSTEM or unknown roles
// in a dev token grant nothing.
func (d DevIssuer) Issue(user string, roles []string, territories []string, name, email string, ttl time.Duration) (string, error) {
	if len(d.Secret) == 0 {
		return "", errors.New("auth: dev issuer has no secret")
	}
	if user == "" {
		return "", errors.New("auth: dev token needs a user")
	}
	if ttl <= 0 {
		return "", errors.New("auth: dev token needs a positive ttl")
	}
	now := nowFunc(d.Now)()
	c := devClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   user,
			Issuer:    orDefault(d.Issuer, DefaultDevIssuer),
			Audience:  jwt.ClaimStrings{orDefault(d.Audience, DefaultDevAudience)},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Name:        name,
		Email:       email,
		Roles:       roles,
		Territories: territories,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(d.Secret)
	if err != nil {
		return "", fmt.Errorf("auth: sign dev token: %w", err)
	}
	return s, nil
}

// DevVerifier accepts HS256 tokens from a DevIssuer with the same secret.
type DevVerifier struct {
	Secret   []byte
	Issuer   string        // default DefaultDevIssuer
	Audience string        // default DefaultDevAudience
	Leeway   time.Duration // default DefaultLeeway; negative means none
	Now      func() time.Time
}

// Verify implements Verifier.
func (d DevVerifier) Verify(_ context.Context, rawToken string) (Principal, error) {
	if len(d.Secret) == 0 {
		// An empty HMAC key would let anyone mint tokens.
		return Principal{}, fmt.Errorf("auth: dev verifier has no secret: %w", ErrUnauthenticated)
	}
	p := jwt.NewParser(
		// Pinning the method is what stops alg=none and RS/HS confusion.
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(orDefault(d.Issuer, DefaultDevIssuer)),
		jwt.WithAudience(orDefault(d.Audience, DefaultDevAudience)),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway(d.Leeway)),
		jwt.WithTimeFunc(nowFunc(d.Now)),
	)
	claims := jwt.MapClaims{}
	_, err := p.ParseWithClaims(rawToken, claims, func(*jwt.Token) (any, error) { return d.Secret, nil })
	if err != nil {
		// jwt's messages name the failed check, never claim values.
		return Principal{}, fmt.Errorf("auth: dev token rejected: %v: %w", err, ErrUnauthenticated)
	}
	return principalFromClaims(claims)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func nowFunc(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}

// leeway maps the zero value to the default so a zero-valued config is safe,
// and leaves a way (negative) to ask for none.
func leeway(l time.Duration) time.Duration {
	switch {
	case l == 0:
		return DefaultLeeway
	case l < 0:
		return 0
	}
	return l
}
