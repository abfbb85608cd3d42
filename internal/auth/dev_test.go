package auth

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

var devSecret = []byte("0123456789abcdef0123456789abcdef")

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestDevRoundTrip(t *testing.T) {
	iss := DevIssuer{Secret: devSecret, Now: fixedClock(testNow)}
	tok, err := iss.Issue("u-anna", []string{"sales", "Manager", "bogus", "SYSTEM"}, []string{"de", "at"}, "Anna", "anna@example.com", time.Hour)
	require.NoError(t, err)

	p, err := DevVerifier{Secret: devSecret, Now: fixedClock(testNow.Add(30 * time.Minute))}.Verify(t.Context(), tok)
	require.NoError(t, err)
	require.Equal(t, "u-anna", p.UserID)
	require.Equal(t, "Anna", p.Name)
	require.Equal(t, "anna@example.com", p.Email)
	require.Equal(t, []Role{RoleSales, RoleManager}, p.Roles)
	require.Equal(t, []string{"AT", "DE"}, p.Territories)
	require.False(t, p.IsSystem())
}

func TestDevClaims(t *testing.T) {
	iss := DevIssuer{Secret: devSecret, Now: fixedClock(testNow)}
	tok, err := iss.Issue("u", []string{"SALES"}, []string{"DE"}, "", "", time.Hour)
	require.NoError(t, err)
	c := jwt.MapClaims{}
	_, _, err = jwt.NewParser().ParseUnverified(tok, c)
	require.NoError(t, err)
	require.Equal(t, DefaultDevIssuer, c["iss"])
	require.Equal(t, []any{DefaultDevAudience}, c["aud"])
	for _, k := range []string{"sub", "roles", "territories", "iat", "nbf", "exp"} {
		require.Contains(t, c, k)
	}
	require.EqualValues(t, testNow.Add(time.Hour).Unix(), c["exp"])
}

func TestDevVerifyRejects(t *testing.T) {
	idp := newTestIdP(t)
	now := fixedClock(testNow)
	issue := func(d DevIssuer, ttl time.Duration) string {
		if d.Secret == nil {
			d.Secret = devSecret
		}
		if d.Now == nil {
			d.Now = now
		}
		tok, err := d.Issue("u-anna", []string{"SALES"}, []string{"DE"}, "", "", ttl)
		require.NoError(t, err)
		return tok
	}
	devClaims := func() jwt.MapClaims {
		return jwt.MapClaims{
			"sub": "u-anna", "iss": DefaultDevIssuer, "aud": DefaultDevAudience,
			"exp": testNow.Add(time.Hour).Unix(), "roles": []string{"ADMIN"},
		}
	}
	cases := map[string]string{
		"wrong secret":          issue(DevIssuer{Secret: []byte("another-secret-another-secret-xx")}, time.Hour),
		"expired":               issue(DevIssuer{Now: fixedClock(testNow.Add(-2 * time.Hour))}, time.Hour),
		"not yet valid":         issue(DevIssuer{Now: fixedClock(testNow.Add(time.Hour))}, time.Hour),
		"wrong issuer":          issue(DevIssuer{Issuer: "someone-else"}, time.Hour),
		"wrong audience":        issue(DevIssuer{Audience: "account"}, time.Hour),
		"alg none":              sign(t, jwt.SigningMethodNone, "", jwt.UnsafeAllowNoneSignatureType, devClaims()),
		"RS256":                 sign(t, jwt.SigningMethodRS256, "rsa-1", idp.rsa, devClaims()),
		"HS512 with the secret": sign(t, jwt.SigningMethodHS512, "", devSecret, devClaims()),
		"no exp": sign(t, jwt.SigningMethodHS256, "", devSecret, func() jwt.MapClaims {
			c := devClaims()
			delete(c, "exp")
			return c
		}()),
		"no sub": sign(t, jwt.SigningMethodHS256, "", devSecret, func() jwt.MapClaims {
			c := devClaims()
			delete(c, "sub")
			return c
		}()),
		"garbage": "garbage",
		"empty":   "",
	}
	v := DevVerifier{Secret: devSecret, Now: now}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := v.Verify(t.Context(), tok)
			require.ErrorIs(t, err, ErrUnauthenticated)
			require.Equal(t, Principal{}, p)
			t.Log(err)
		})
	}
}

func TestDevLeeway(t *testing.T) {
	tok, err := DevIssuer{Secret: devSecret, Now: fixedClock(testNow)}.Issue("u", nil, nil, "", "", time.Minute)
	require.NoError(t, err)
	at := func(d time.Duration) DevVerifier {
		return DevVerifier{Secret: devSecret, Now: fixedClock(testNow.Add(d))}
	}
	_, err = at(time.Minute+20*time.Second).Verify(t.Context(), tok)
	require.NoError(t, err, "expired within the default leeway")
	_, err = at(time.Minute+31*time.Second).Verify(t.Context(), tok)
	require.ErrorIs(t, err, ErrUnauthenticated)
}

func TestDevVerifierWithoutSecretFailsClosed(t *testing.T) {
	tok := sign(t, jwt.SigningMethodHS256, "", devSecret, jwt.MapClaims{"sub": "u"})
	_, err := DevVerifier{}.Verify(t.Context(), tok)
	require.ErrorIs(t, err, ErrUnauthenticated)
}

func TestDevIssueErrors(t *testing.T) {
	_, err := DevIssuer{}.Issue("u", nil, nil, "", "", time.Hour)
	require.Error(t, err, "secret required")
	_, err = DevIssuer{Secret: devSecret}.Issue("", nil, nil, "", "", time.Hour)
	require.Error(t, err, "user required")
	_, err = DevIssuer{Secret: devSecret}.Issue("u", nil, nil, "", "", 0)
	require.Error(t, err, "ttl required")
}
