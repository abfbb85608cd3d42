package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/lead"
)

func TestLeadLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	mia := e.token("mia", auth.RoleManager, "DE")

	res := e.do("POST", "/api/leads", anna, map[string]any{
		"companyName": "  Café Müller AG ", "email": "Info@Cafe-Mueller.example", "phone": "030 123456",
		"website": "https://www.cafe-mueller.example/menu", "city": "Berlin", "businessType": "RESTAURANT", "emailConsent": true,
	})
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	var l lead.Lead
	res.json(t, &l)
	require.Equal(t, "/api/leads/"+l.ID.String(), res.Header.Get("Location"))
	require.Equal(t, `"1"`, res.Header.Get("ETag"))
	require.Equal(t, "Café Müller AG", l.CompanyName)
	require.Equal(t, "DE", l.CountryCode)
	require.Equal(t, "DE", l.Territory)
	require.Equal(t, lead.StatusRegistered, l.Status)
	require.Equal(t, "anna", l.OwnerUserID)
	require.Equal(t, "WEB_FORMULAR", l.Source)
	require.Equal(t, "info@cafe-mueller.example", *l.EmailNormalized)
	require.Equal(t, "cafe-mueller.example", *l.WebsiteDomain)
	require.Equal(t, e.now, l.RegisteredAt)
	require.Equal(t, []string{}, l.CollaboratorUserIDs)

	res = e.do("GET", "/api/leads/"+l.ID.String(), anna, nil)
	require.Equal(t, http.StatusOK, res.Status)
	require.Equal(t, `"1"`, res.Header.Get("ETag"))
	res = e.do("GET", "/api/leads/"+l.ID.String(), anna, nil, "If-None-Match", `"1"`)
	require.Equal(t, http.StatusNotModified, res.Status)
	require.Empty(t, res.Body)

	// PATCH needs If-Match, and an old version is refused.
	patch := map[string]any{"city": "Potsdam", "contactPerson": "Jana Fischer"}
	res = e.do("PATCH", "/api/leads/"+l.ID.String(), anna, patch)
	require.Equal(t, http.StatusPreconditionRequired, res.Status)
	res = e.do("PATCH", "/api/leads/"+l.ID.String(), anna, patch, "If-Match", `"7"`)
	require.Equal(t, http.StatusPreconditionFailed, res.Status)
	e.advance(time.Minute)
	res = e.do("PATCH", "/api/leads/"+l.ID.String(), anna, patch, "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	require.Equal(t, `"2"`, res.Header.Get("ETag"))
	var updated lead.Lead
	res.json(t, &updated)
	require.Equal(t, "Potsdam", *updated.City)
	require.Equal(t, 2, updated.Version)
	require.Equal(t, e.now, updated.UpdatedAt)
	res = e.do("GET", "/api/leads/"+l.ID.String(), anna, nil, "If-None-Match", `"1"`)
	require.Equal(t, http.StatusOK, res.Status, "a changed lead is sent again")

	// null clears an optional field; the derived value goes with it.
	res = e.do("PATCH", "/api/leads/"+l.ID.String(), anna, map[string]any{"email": nil, "website": nil}, "If-Match", `"2"`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	res.json(t, &updated)
	require.Nil(t, updated.Email)
	require.Nil(t, updated.EmailNormalized)
	require.Nil(t, updated.WebsiteDomain)

	// SALES may not delete; a manager of the territory may.
	res = e.do("DELETE", "/api/leads/"+l.ID.String(), anna, nil, "If-Match", `"3"`)
	require.Equal(t, http.StatusForbidden, res.Status)
	res = e.do("DELETE", "/api/leads/"+l.ID.String(), mia, nil)
	require.Equal(t, http.StatusPreconditionRequired, res.Status)
	res = e.do("DELETE", "/api/leads/"+l.ID.String(), mia, nil, "If-Match", `"3"`)
	require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))

	var page struct {
		Data  []lead.Lead `json:"data"`
		Total int         `json:"total"`
	}
	e.do("GET", "/api/leads", mia, nil).json(t, &page)
	require.Zero(t, page.Total, "deleted leads are not listed")
	e.do("GET", "/api/leads?status=DELETED", mia, nil).json(t, &page)
	require.Equal(t, 1, page.Total)
	require.Equal(t, lead.StatusDeleted, page.Data[0].Status)

	var audit int
	require.NoError(t, e.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE lead_id = $1 AND action = 'lead.deleted' AND actor = 'mia'`, l.ID).Scan(&audit))
	require.Equal(t, 1, audit)
}

func TestActivitiesTimelineAndReactivation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	mia := e.token("mia", auth.RoleManager, "DE")
	l := e.createLead(anna, map[string]any{"companyName": "Hotel Adler"})
	for _, to := range []string{"ACTIVE", "REMINDER"} {
		res := e.do("PATCH", "/api/leads/"+l.ID.String(), mia, map[string]any{"status": to}, "If-Match", etagOf(e, mia, l.ID.String()))
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	}
	e.advance(time.Hour)
	res := e.do("POST", "/api/leads/"+l.ID.String()+"/activities", anna, map[string]any{"type": "NOTE", "description": "left a voicemail"})
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	var got lead.Lead
	e.do("GET", "/api/leads/"+l.ID.String(), anna, nil).json(t, &got)
	require.Equal(t, lead.StatusReminder, got.Status, "a note is not a meaningful contact")
	require.Nil(t, got.LastActivityAt)

	e.advance(time.Hour)
	res = e.do("POST", "/api/leads/"+l.ID.String()+"/activities", anna, map[string]any{"type": "MEETING", "description": "tasting", "outcome": "positive"})
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	e.do("GET", "/api/leads/"+l.ID.String(), anna, nil).json(t, &got)
	require.Equal(t, lead.StatusActive, got.Status, "a meaningful contact reactivates a lead in REMINDER")
	require.Equal(t, e.now, *got.LastActivityAt)
	require.Nil(t, got.ReminderSentAt)

	var page struct {
		Data  []lead.Activity `json:"data"`
		Total int             `json:"total"`
	}
	e.do("GET", "/api/leads/"+l.ID.String()+"/activities?size=3", anna, nil).json(t, &page)
	// CREATED, 2 status changes, NOTE, MEETING, reactivation.
	require.Equal(t, 6, page.Total)
	require.Len(t, page.Data, 3)
	require.Equal(t, "STATUS_CHANGE", page.Data[0].Type, "newest first: the reactivation the meeting caused")
	require.Equal(t, "MEETING", page.Data[1].Type)
	require.True(t, page.Data[1].Meaningful)
	require.Equal(t, "NOTE", page.Data[2].Type)
	for i := 1; i < len(page.Data); i++ {
		require.False(t, page.Data[i].OccurredAt.After(page.Data[i-1].OccurredAt))
	}

	res = e.do("POST", "/api/leads/"+l.ID.String()+"/activities", anna, map[string]any{"type": "STATUS_CHANGE"})
	require.Equal(t, http.StatusUnprocessableEntity, res.Status, "system activity types are not for users")
	require.Equal(t, []string{"type"}, res.problem(t).fields())
}

func etagOf(e *env, token, id string) string {
	e.t.Helper()
	res := e.do("GET", "/api/leads/"+id, token, nil)
	require.Equal(e.t, http.StatusOK, res.Status)
	return res.Header.Get("ETag")
}

func TestPaginationBounds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	for i := range 25 {
		e.createLead(anna, map[string]any{"companyName": fmt.Sprintf("Lead %02d", i)})
		e.advance(time.Second)
	}
	type page struct {
		Data       []lead.Lead `json:"data"`
		Page       int         `json:"page"`
		Size       int         `json:"size"`
		Total      int         `json:"total"`
		TotalPages int         `json:"totalPages"`
	}
	var p page
	e.do("GET", "/api/leads", anna, nil).json(t, &p)
	require.Equal(t, page{Data: p.Data, Page: 0, Size: 20, Total: 25, TotalPages: 2}, p)
	require.Len(t, p.Data, 20)
	require.Equal(t, "Lead 24", p.Data[0].CompanyName, "default sort is createdAt,desc")

	e.do("GET", "/api/leads?page=1", anna, nil).json(t, &p)
	require.Len(t, p.Data, 5)
	require.Equal(t, "Lead 04", p.Data[0].CompanyName)

	e.do("GET", "/api/leads?page=9", anna, nil).json(t, &p)
	require.Empty(t, p.Data)
	require.Equal(t, 25, p.Total)

	e.do("GET", "/api/leads?size=100&sort=companyName,asc", anna, nil).json(t, &p)
	require.Len(t, p.Data, 25)
	require.Equal(t, "Lead 00", p.Data[0].CompanyName)

	e.do("GET", "/api/leads?q=lead%2001", anna, nil).json(t, &p)
	require.Equal(t, 1, p.Total)
	e.do("GET", "/api/leads?q=%25", anna, nil).json(t, &p)
	require.Zero(t, p.Total, "search text is matched literally")

	for query, field := range map[string]string{
		"size=0": "size", "size=101": "size", "size=abc": "size", "page=-1": "page", "page=x": "page",
		"sort=password,asc": "sort", "sort=companyName,up": "sort", "status=OPEN": "status", "territory=Germany": "territory",
	} {
		res := e.do("GET", "/api/leads?"+query, anna, nil)
		require.Equal(t, http.StatusUnprocessableEntity, res.Status, query)
		require.Equal(t, []string{field}, res.problem(t).fields(), query)
	}
}
