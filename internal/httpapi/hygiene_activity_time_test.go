package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
)

// TestHygieneActivityTime: occurredAt 0001-01-01 was accepted; it must lie
// between 2000-01-01 and one day from now.
func TestHygieneActivityTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // the clock stands at 2025-09-26T20:00:00Z
	mia := e.token("mia", auth.RoleManager, "DE")
	l := e.createLead(mia, map[string]any{"companyName": "Bistro Eck"})
	path := "/api/leads/" + l.ID.String() + "/activities"
	for _, at := range []string{"0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "2025-09-27T20:00:01Z", "9999-12-31T23:59:59Z"} {
		e.unchanged(func() {
			res := e.do("POST", path, mia, map[string]any{"type": "CALL", "occurredAt": at})
			requireRefused(t, res, http.StatusUnprocessableEntity, "occurredAt")
		})
	}
	for _, at := range []string{"2000-01-01T00:00:00Z", "2025-09-27T19:59:59Z"} {
		res := e.do("POST", path, mia, map[string]any{"type": "CALL", "occurredAt": at})
		require.Equal(t, http.StatusCreated, res.Status, truncate(res.Body))
	}
	e.unchanged(func() {
		res := e.do("POST", "/api/leads", mia, map[string]any{"companyName": "X", "ownerUserId": "a\x00b"})
		requireRefused(t, res, http.StatusUnprocessableEntity, "ownerUserId")
	})
}
