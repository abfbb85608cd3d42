package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
)

// TestBackdateRules: only a manager, at a known version, into the past,
// with a reason; it bumps the version and records an activity, an audit
// row and one lead.updated event.
func TestBackdateRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	mia := e.token("mia", auth.RoleManager, "DE")
	l := e.createLead(anna, map[string]any{"companyName": "Kantine Süd"})
	path := "/api/leads/" + l.ID.String() + "/registered-at"
	past := e.now.Add(-5 * 24 * time.Hour).Format(time.RFC3339)
	ok := map[string]any{"registeredAt": past, "reason": "Messekontakt vom Wochenende"}

	before := e.snapshot()
	require.Equal(t, http.StatusForbidden, e.do("PUT", path, anna, ok, "If-Match", `"1"`).Status)
	require.Equal(t, http.StatusPreconditionRequired, e.do("PUT", path, mia, ok).Status)
	require.Equal(t, http.StatusPreconditionFailed, e.do("PUT", path, mia, ok, "If-Match", `*`).Status)
	for field, body := range map[string]map[string]any{
		"registeredAt": {"registeredAt": e.now.Add(time.Hour).Format(time.RFC3339), "reason": "Messekontakt vom Wochenende"},
		"reason":       {"registeredAt": past, "reason": "zu kurz"},
	} {
		res := e.do("PUT", path, mia, body, "If-Match", `"1"`)
		require.Equal(t, http.StatusUnprocessableEntity, res.Status, field)
		require.Equal(t, []string{field}, res.problem(t).fields())
	}
	require.Equal(t, before, e.snapshot(), "refused requests change nothing")

	res := e.do("PUT", path, mia, ok, "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	require.Equal(t, `"2"`, res.Header.Get("ETag"))
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM leads WHERE id = $1 AND registered_at = $2`, l.ID, past))
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM activities WHERE lead_id = $1 AND type = 'REGISTRATION_BACKDATED'`, l.ID))
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM audit_log WHERE lead_id = $1 AND action = 'lead.registration_backdated'
		AND details->>'reason' = 'Messekontakt vom Wochenende'`, l.ID))
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM event_outbox WHERE subject_id = $1 AND type = 'lead.updated'
		AND envelope->'data'->'changedFields' = '["registeredAt"]'`, l.ID))
}
