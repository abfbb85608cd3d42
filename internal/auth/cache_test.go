package auth

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// counting counts the verifications v makes.
type counting struct {
	v     Verifier
	calls int
}

func (c *counting) Verify(ctx context.Context, tok string) (Principal, error) {
	c.calls++
	return c.v.Verify(ctx, tok)
}

func TestACachedTokenIsVerifiedOnceUntilItExpires(t *testing.T) {
	now := testNow
	clock := func() time.Time { return now }
	tok, err := DevIssuer{Secret: devSecret, Now: clock}.Issue("u-anna", []string{"SALES"}, []string{"DE"}, "", "", 10*time.Minute)
	require.NoError(t, err)
	inner := &counting{v: DevVerifier{Secret: devSecret, Now: clock}}
	v := Cached(inner, 100, time.Hour, clock)

	for range 3 {
		p, err := v.Verify(t.Context(), tok)
		require.NoError(t, err)
		require.Equal(t, "u-anna", p.UserID)
		require.Equal(t, []string{"DE"}, p.Territories)
		p.Territories[0] = "AT" // a caller's change stays its own
	}
	require.Equal(t, 1, inner.calls, "verified once")

	// Past the token's expiry (beyond the verifier's leeway too) the
	// verifier is asked again, and refuses.
	now = testNow.Add(11 * time.Minute)
	_, err = v.Verify(t.Context(), tok)
	require.ErrorIs(t, err, ErrUnauthenticated)
	require.Equal(t, 2, inner.calls)
}

func TestACachedPrincipalIsKeptForTheTTLAtMost(t *testing.T) {
	now := testNow
	clock := func() time.Time { return now }
	tok, err := DevIssuer{Secret: devSecret, Now: clock}.Issue("u-anna", []string{"SALES"}, []string{"DE"}, "", "", time.Hour)
	require.NoError(t, err)
	inner := &counting{v: DevVerifier{Secret: devSecret, Now: clock}}
	v := Cached(inner, 100, time.Minute, clock)
	_, err = v.Verify(t.Context(), tok)
	require.NoError(t, err)
	now = now.Add(2 * time.Minute)
	_, err = v.Verify(t.Context(), tok)
	require.NoError(t, err)
	require.Equal(t, 2, inner.calls, "verified again after the TTL")
}

func TestARejectedTokenIsNotCached(t *testing.T) {
	clock := fixedClock(testNow)
	tok, err := DevIssuer{Secret: []byte("another secret of thirty-two by"), Now: clock}.Issue("u-anna", []string{"SALES"}, []string{"DE"}, "", "", time.Hour)
	require.NoError(t, err)
	inner := &counting{v: DevVerifier{Secret: devSecret, Now: clock}}
	v := Cached(inner, 100, time.Hour, clock)
	for range 2 {
		_, err := v.Verify(t.Context(), tok)
		require.ErrorIs(t, err, ErrUnauthenticated)
	}
	require.Equal(t, 2, inner.calls)
}

func TestACachedTokenExpiresByTheClaimItsVerifierChecked(t *testing.T) {
	now := testNow
	clock := func() time.Time { return now }
	// "EXP" after "exp": a case-insensitive decoder keeps the later one.
	payload := fmt.Sprintf(`{"sub":"u-anna","iss":%q,"aud":%q,"roles":["SALES"],"territories":["DE"],"iat":%d,"exp":%d,"EXP":%d}`,
		DefaultDevIssuer, DefaultDevAudience, now.Unix(), now.Add(time.Minute).Unix(), now.Add(10*time.Hour).Unix())
	enc := base64.RawURLEncoding.EncodeToString
	unsigned := enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(payload))
	sig, err := jwt.SigningMethodHS256.Sign(unsigned, devSecret)
	require.NoError(t, err)
	tok := unsigned + "." + enc(sig)
	v := Cached(DevVerifier{Secret: devSecret, Now: clock, Leeway: -1}, 100, time.Hour, clock)
	_, err = v.Verify(t.Context(), tok)
	require.NoError(t, err)
	now = now.Add(2 * time.Minute)
	_, err = v.Verify(t.Context(), tok)
	require.ErrorIs(t, err, ErrUnauthenticated, "expired by its exp")
}
