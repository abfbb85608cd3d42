package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/lead"
)

// allowedBySpec is SPEC §2's transition table, written out again here so a
// change to the code's table cannot silently change what the test expects.
var allowedBySpec = map[lead.Status][]lead.Status{
	lead.StatusRegistered:  {lead.StatusActive, lead.StatusQualified, lead.StatusLost, lead.StatusExpired},
	lead.StatusActive:      {lead.StatusQualified, lead.StatusReminder, lead.StatusLost, lead.StatusExpired},
	lead.StatusReminder:    {lead.StatusActive, lead.StatusGracePeriod, lead.StatusQualified, lead.StatusLost, lead.StatusExpired},
	lead.StatusGracePeriod: {lead.StatusActive, lead.StatusQualified, lead.StatusLost, lead.StatusExpired},
	lead.StatusQualified:   {lead.StatusConverted, lead.StatusLost},
	lead.StatusExpired:     {lead.StatusActive},
}

// TestEveryStatusTransition tries all 81 from → to pairs as a MANAGER and as
// the owning SALES user, over HTTP.
func TestEveryStatusTransition(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tokens := map[auth.Role]string{
		auth.RoleManager: e.token("mia", auth.RoleManager, "DE"),
		auth.RoleSales:   e.token("anna", auth.RoleSales, "DE"),
	}
	for _, role := range []auth.Role{auth.RoleManager, auth.RoleSales} {
		for _, from := range lead.Statuses {
			for _, to := range lead.Statuses {
				l := e.createLead(tokens[auth.RoleSales], map[string]any{"companyName": uuid.NewString()})
				e.db.Exec(t, "UPDATE leads SET status = $1 WHERE id = $2", from, l.ID)
				before := e.snapshot()
				res := e.do("PATCH", "/api/leads/"+l.ID.String(), tokens[role], map[string]any{"status": to}, "If-Match", `"1"`)

				want := slices.Contains(allowedBySpec[from], to)
				if from == lead.StatusExpired && role == auth.RoleSales {
					want = false // EXPIRED -> ACTIVE is for managers only
				}
				if to == lead.StatusDeleted && from != lead.StatusDeleted && role == auth.RoleManager {
					want = true
				}
				name := string(role) + " " + string(from) + "->" + string(to)
				if !want {
					require.Equal(t, http.StatusConflict, res.Status, name)
					p := res.problem(t)
					require.Equal(t, "/problems/invalid-transition", p.Type, name)
					require.NotNil(t, p.AllowedTransitions, name)
					require.NotContains(t, p.AllowedTransitions, string(to), name)
					require.Equal(t, before, e.snapshot(), "%s changed data", name)
					continue
				}
				require.Equal(t, http.StatusOK, res.Status, "%s: %s", name, res.Body)
				var got lead.Lead
				res.json(t, &got)
				require.Equal(t, to, got.Status, name)
				require.Equal(t, 2, got.Version, name)
				var changes int
				require.NoError(t, e.db.Pool.QueryRow(t.Context(),
					`SELECT count(*) FROM activities WHERE lead_id = $1 AND type = 'STATUS_CHANGE'`, l.ID).Scan(&changes))
				require.Equal(t, 1, changes, "%s writes a STATUS_CHANGE activity", name)
			}
		}
	}
}

func TestStoppedClockFreezesStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	mia := e.token("mia", auth.RoleManager, "DE")
	l := e.createLead(anna, map[string]any{"companyName": "Kantine Nord"})
	id := "/api/leads/" + l.ID.String()

	res := e.do("PATCH", id, anna, map[string]any{"stopClock": true, "stopReason": "customer on holiday"}, "If-Match", `"1"`)
	require.Equal(t, http.StatusForbidden, res.Status, "only managers stop the clock")
	res = e.do("PATCH", id, mia, map[string]any{"stopClock": true}, "If-Match", `"1"`)
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	require.Equal(t, []string{"stopReason"}, res.problem(t).fields())
	res = e.do("PATCH", id, mia, map[string]any{"stopClock": true, "stopReason": "customer on holiday"}, "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var got lead.Lead
	res.json(t, &got)
	require.NotNil(t, got.ClockStoppedAt)
	require.Equal(t, "customer on holiday", *got.StopReason)

	res = e.do("PATCH", id, mia, map[string]any{"status": "ACTIVE"}, "If-Match", `"2"`)
	require.Equal(t, http.StatusConflict, res.Status)
	require.Equal(t, []string{"DELETED"}, res.problem(t).AllowedTransitions, "only DELETED stays allowed")

	res = e.do("PATCH", id, mia, map[string]any{"stopClock": false, "status": "ACTIVE"}, "If-Match", `"2"`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	res.json(t, &got)
	require.Nil(t, got.ClockStoppedAt)
	require.Equal(t, lead.StatusActive, got.Status)

	var audits []string
	rows, err := e.db.Pool.Query(t.Context(), `SELECT action FROM audit_log WHERE lead_id = $1 ORDER BY id`, l.ID)
	require.NoError(t, err)
	for rows.Next() {
		var a string
		require.NoError(t, rows.Scan(&a))
		audits = append(audits, a)
	}
	require.Equal(t, []string{"lead.clock_stopped", "lead.clock_resumed"}, audits)
}

func TestReassignAndCollaborators(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	ben := e.token("ben", auth.RoleSales, "DE")
	mia := e.token("mia", auth.RoleManager, "DE")
	carla := e.token("carla", auth.RoleSales, "CH")
	for _, tok := range []string{ben, carla} { // users are recorded from their first request
		require.Equal(t, http.StatusOK, e.do("GET", "/api/territories", tok, nil).Status)
	}
	l := e.createLead(anna, map[string]any{"companyName": "Brauhaus Süd"})
	id := "/api/leads/" + l.ID.String()

	res := e.do("PATCH", id, anna, map[string]any{"ownerUserId": "ben"}, "If-Match", `"1"`)
	require.Equal(t, http.StatusForbidden, res.Status, "SALES may not reassign")
	res = e.do("PATCH", id, mia, map[string]any{"ownerUserId": "nobody"}, "If-Match", `"1"`)
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	require.Equal(t, []string{"ownerUserId"}, res.problem(t).fields())
	res = e.do("PATCH", id, mia, map[string]any{"ownerUserId": "carla"}, "If-Match", `"1"`)
	require.Equal(t, http.StatusUnprocessableEntity, res.Status, "carla has no access to DE")

	res = e.do("PATCH", id, anna, map[string]any{"addCollaborators": []string{"ben"}}, "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	require.Equal(t, http.StatusOK, e.do("GET", id, ben, nil).Status, "a collaborator sees the lead")
	res = e.do("PATCH", id, ben, map[string]any{"city": "Bonn"}, "If-Match", `"2"`)
	require.Equal(t, http.StatusForbidden, res.Status, "a collaborator may not edit the lead")
	res = e.do("POST", id+"/activities", ben, map[string]any{"type": "CALL"})
	require.Equal(t, http.StatusCreated, res.Status, "but may record activities")

	res = e.do("PATCH", id, mia, map[string]any{"ownerUserId": "ben"}, "If-Match", `"3"`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var got lead.Lead
	res.json(t, &got)
	require.Equal(t, "ben", got.OwnerUserID)
	require.Empty(t, got.CollaboratorUserIDs, "the new owner is no longer a collaborator")
	require.Equal(t, http.StatusNotFound, e.do("GET", id, anna, nil).Status, "the old owner lost the lead")
	var audit int
	require.NoError(t, e.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE lead_id = $1 AND action = 'lead.reassigned'
		AND details->>'from' = 'anna' AND details->>'to' = 'ben'`, l.ID).Scan(&audit))
	require.Equal(t, 1, audit)
}
