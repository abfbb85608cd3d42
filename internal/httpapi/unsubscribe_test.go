package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/followup"
)

// TestUnsubscribeNeedsAPostWithASignedToken: the link's GET only asks;
// the one-click POST blocks the contact once, with an activity and a
// lead.updated event; a forged token changes nothing.
func TestUnsubscribeNeedsAPostWithASignedToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	l := e.createLead(anna, map[string]any{"companyName": "Bistro Eck", "email": "eck@bistro.example", "emailConsent": true})
	path := "/unsubscribe?token=" + followup.UnsubscribeToken([]byte(testSecret), l.ID)
	form := []string{"Content-Type", "application/x-www-form-urlencoded"}
	blocked := func() int {
		return e.count(t, `SELECT count(*) FROM leads WHERE id = $1 AND contact_blocked`, l.ID)
	}

	res := e.do("GET", path, "", nil)
	require.Equal(t, http.StatusOK, res.Status)
	require.Contains(t, string(res.Body), `<form method="post"`)
	require.Zero(t, blocked(), "a GET (a link scanner) unsubscribes nobody")

	for _, bad := range []string{"/unsubscribe?token=" + followup.UnsubscribeToken([]byte("another-secret-of-thirty-two-bytes!!"), l.ID),
		"/unsubscribe?token=", "/unsubscribe?token=" + followup.UnsubscribeToken([]byte(testSecret), uuid.New())[:10]} {
		require.Equal(t, http.StatusBadRequest, e.do("POST", bad, "", "List-Unsubscribe=One-Click", form...).Status, bad)
	}
	require.Zero(t, blocked())

	for range 2 {
		res := e.do("POST", path, "", "List-Unsubscribe=One-Click", form...)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	}
	require.Equal(t, 1, blocked())
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM activities WHERE lead_id = $1 AND type = 'UNSUBSCRIBED'`, l.ID))
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM event_outbox WHERE subject_id = $1 AND type = 'lead.updated'
		AND envelope->'data'->'changedFields' = '["contactBlocked"]'`, l.ID))
}
