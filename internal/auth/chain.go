package auth

import (
	"context"
	"errors"
	"fmt"
)

// Chain accepts a token when any of its verifiers does, in order. With dev
// auth the service chains the OIDC verifier and the DevVerifier; in
// production it holds the OIDC verifier alone.
type Chain []Verifier

// Verify returns the principal of the first verifier that accepts rawToken.
// The causes of all rejections are kept for logs; none carries the token.
func (c Chain) Verify(ctx context.Context, rawToken string) (Principal, error) {
	var errs []error
	for _, v := range c {
		if v == nil {
			continue
		}
		p, err := v.Verify(ctx, rawToken)
		if err == nil {
			return p, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		// An empty chain must fail closed, not wave everything through.
		return Principal{}, fmt.Errorf("auth: no verifier configured: %w", ErrUnauthenticated)
	}
	// ErrUnauthenticated is wrapped explicitly so the contract holds even for
	// a verifier that returns some other error.
	return Principal{}, fmt.Errorf("auth: no verifier accepted the token: %w: %w", ErrUnauthenticated, errors.Join(errs...))
}
