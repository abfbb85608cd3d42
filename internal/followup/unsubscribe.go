package followup

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"

	"github.com/google/uuid"
)

// ErrBadToken is an unsubscribe token the service did not sign.
var ErrBadToken = errors.New("followup: invalid unsubscribe token")

// UnsubscribeToken signs a lead's id for its unsubscribe link: the id and
// an HMAC-SHA256 of it, URL-safe.
func UnsubscribeToken(secret []byte, leadID uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString(append(leadID[:], sign(secret, leadID)...))
}

// minSecret is the shortest secret tokens are accepted with: a short or
// missing one would let anyone sign them.
const minSecret = 32

// ParseUnsubscribeToken returns the lead a token was signed for; with a
// secret shorter than 32 bytes no token is valid.
func ParseUnsubscribeToken(secret []byte, token string) (uuid.UUID, error) {
	if len(secret) < minSecret {
		return uuid.Nil, ErrBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 16+sha256.Size {
		return uuid.Nil, ErrBadToken
	}
	id, err := uuid.FromBytes(raw[:16])
	if err != nil || !hmac.Equal(raw[16:], sign(secret, id)) {
		return uuid.Nil, ErrBadToken
	}
	return id, nil
}

func sign(secret []byte, leadID uuid.UUID) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("unsubscribe:"))
	mac.Write(leadID[:])
	return mac.Sum(nil)
}
