package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
)

// TestTerritoryClaimWithSeparatorGrantsNothing replays the finding: a
// MANAGER token with "territories":["DE,AT"] listed, read, annotated and
// soft-deleted AT leads. The claim names no territory: 403, nothing seen,
// nothing written; next to a real code it adds nothing.
func TestTerritoryClaimWithSeparatorGrantsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	toni := e.token("toni", auth.RoleSales, "AT")
	at := e.createLead(toni, map[string]any{"companyName": "Heuriger Toni", "countryCode": "AT"})
	path := "/api/leads/" + at.ID.String()
	before := e.snapshot()

	forged := e.token("mia", auth.RoleManager, "DE,AT")
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/leads"}, {"GET", path}, {"DELETE", path}, {"GET", "/api/events"},
	} {
		res := e.do(r.method, r.path, forged, nil, "If-Match", `"1"`)
		require.Equal(t, http.StatusForbidden, res.Status, "%s %s", r.method, r.path)
	}
	res := e.do("POST", path+"/activities", forged, map[string]any{"type": "CALL"})
	require.Equal(t, http.StatusForbidden, res.Status)

	mixed := e.token("mia", auth.RoleManager, "DE", "DE,AT")
	var page struct {
		Total int `json:"total"`
	}
	e.do("GET", "/api/leads", mixed, nil).json(t, &page)
	require.Zero(t, page.Total, "the AT lead is not listed")
	require.Equal(t, http.StatusNotFound, e.do("GET", path, mixed, nil).Status)
	require.Equal(t, http.StatusNotFound, e.do("DELETE", path, mixed, nil, "If-Match", `"1"`).Status)
	require.Equal(t, http.StatusNotFound, e.do("POST", path+"/activities", mixed, map[string]any{"type": "CALL"}).Status)
	require.Equal(t, before, e.snapshot(), "nothing was written")
}

// TestAdminsAreUsersOfEveryTerritory replays the finding: a DE manager could
// not make an admin owner or collaborator of a DE lead.
func TestAdminsAreUsersOfEveryTerritory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := e.token("root", auth.RoleAdmin)
	require.Equal(t, http.StatusOK, e.do("GET", "/api/territories", root, nil).Status) // records the admin
	mia := e.token("mia", auth.RoleManager, "DE")
	l := e.createLead(mia, map[string]any{"companyName": "Brauhaus Süd", "collaboratorUserIds": []string{"root"}})
	require.Equal(t, []string{"root"}, l.CollaboratorUserIDs)
	res := e.do("PATCH", "/api/leads/"+l.ID.String(), mia, map[string]any{"ownerUserId": "root"}, "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
}
