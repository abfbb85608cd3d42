package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type verifierFunc func(context.Context, string) (Principal, error)

func (f verifierFunc) Verify(ctx context.Context, tok string) (Principal, error) { return f(ctx, tok) }

func TestChainRealVerifiers(t *testing.T) {
	idp := newTestIdP(t)
	dev := DevVerifier{Secret: devSecret, Now: fixedClock(testNow)}
	chain := Chain{idp.verifier(t, OIDCConfig{}), dev}

	p, err := chain.Verify(t.Context(), idp.signRS256(t, idp.claims()))
	require.NoError(t, err)
	require.Equal(t, "8d2f0c1e-user", p.UserID)

	devTok, err := DevIssuer{Secret: devSecret, Now: fixedClock(testNow)}.Issue("u-dev", []string{"ADMIN"}, nil, "", "", time.Hour)
	require.NoError(t, err)
	p, err = chain.Verify(t.Context(), devTok)
	require.NoError(t, err)
	require.Equal(t, "u-dev", p.UserID)
	require.Equal(t, RoleAdmin, p.Role())

	// Production chain: OIDC only, so a dev token is refused.
	_, err = Chain{idp.verifier(t, OIDCConfig{})}.Verify(t.Context(), devTok)
	require.ErrorIs(t, err, ErrUnauthenticated)

	_, err = chain.Verify(t.Context(), "garbage")
	require.ErrorIs(t, err, ErrUnauthenticated)
}

func TestChainOrderAndFailures(t *testing.T) {
	reject := verifierFunc(func(context.Context, string) (Principal, error) {
		return Principal{}, errors.New("some other failure")
	})
	accept := func(id string) Verifier {
		return verifierFunc(func(context.Context, string) (Principal, error) { return Principal{UserID: id}, nil })
	}

	p, err := Chain{reject, nil, accept("a"), accept("b")}.Verify(t.Context(), "tok")
	require.NoError(t, err)
	require.Equal(t, "a", p.UserID, "first success wins")

	_, err = Chain{reject, reject}.Verify(t.Context(), "tok")
	require.ErrorIs(t, err, ErrUnauthenticated, "even when a verifier forgets to wrap it")

	_, err = Chain{}.Verify(t.Context(), "tok")
	require.ErrorIs(t, err, ErrUnauthenticated)
	_, err = Chain(nil).Verify(t.Context(), "tok")
	require.ErrorIs(t, err, ErrUnauthenticated)
	_, err = Chain{nil}.Verify(t.Context(), "tok")
	require.ErrorIs(t, err, ErrUnauthenticated)
}
