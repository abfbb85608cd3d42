package lead_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

type written struct {
	Type          string
	Version       int
	Fields        []string
	Old           []string
	Collaborators []string // the audience recorded with the event
}

// eventsOf are the events of lead id written since version after.
func eventsOf(t *testing.T, db *pgtest.DB, l *lead.Lead, after int) []written {
	t.Helper()
	rows, err := db.Pool.Query(t.Context(), `SELECT type, subject_version, envelope->'data', collaborator_user_ids
		FROM event_outbox WHERE subject_id = $1 AND subject_version > $2 ORDER BY id`, l.ID, after)
	require.NoError(t, err)
	defer rows.Close()
	var out []written
	for rows.Next() {
		var w written
		var data []byte
		require.NoError(t, rows.Scan(&w.Type, &w.Version, &data, &w.Collaborators))
		var d struct {
			ChangedFields []string `json:"changedFields"`
			Old           []string `json:"oldCollaboratorUserIds"`
		}
		require.NoError(t, json.Unmarshal(data, &d))
		w.Fields, w.Old = d.ChangedFields, d.Old
		out = append(out, w)
	}
	require.NoError(t, rows.Err())
	return out
}

// TestEveryChangeOfALeadWritesItsEvent: each committed update writes one
// event per kind of change (lead.updated for everything that has no event
// of its own), at the version it wrote; collaborators who lose a lead are
// in the audience of the event that tells them.
func TestEveryChangeOfALeadWritesItsEvent(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	db.Exec(t, `INSERT INTO users (id, roles, territories) VALUES ('anna', '{SALES}', '{DE}'), ('ben', '{SALES}', '{DE}')`)
	svc := newService(t, db)
	ctx := t.Context()
	anna := auth.Principal{UserID: "anna", Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE"}}
	manager := auth.Principal{UserID: "maria", Roles: []auth.Role{auth.RoleManager}, Territories: []string{"DE"}}
	l, err := svc.Create(ctx, anna, lead.CreateInput{CompanyName: "Gasthaus Linde"})
	require.NoError(t, err)

	str := func(s string) lead.Opt[string] { return lead.Opt[string]{Set: true, V: s} }
	yes := lead.Opt[bool]{Set: true, V: true}
	steps := []struct {
		name string
		as   auth.Principal
		in   lead.UpdateInput
		want []written
	}{
		{"contact data", anna, lead.UpdateInput{Email: str("kueche@linde.example"), City: str("Berlin")},
			[]written{{Type: lead.TypeUpdated, Fields: []string{"email", "city"}}}},
		{"consent and blocking", anna, lead.UpdateInput{EmailConsent: yes, ContactBlocked: yes},
			[]written{{Type: lead.TypeUpdated, Fields: []string{"emailConsent", "contactBlocked"}}}},
		{"a collaborator joins", anna, lead.UpdateInput{AddCollaborators: []string{"ben"}},
			[]written{{Type: lead.TypeUpdated, Fields: []string{"collaboratorUserIds"}, Old: []string{}, Collaborators: []string{"ben"}}}},
		{"status only", anna, lead.UpdateInput{Status: lead.Opt[lead.Status]{Set: true, V: lead.StatusActive}},
			[]written{{Type: lead.TypeStatusChanged, Collaborators: []string{"ben"}}}},
		{"status and contact data", anna, lead.UpdateInput{Status: lead.Opt[lead.Status]{Set: true, V: lead.StatusQualified},
			Phone: str("030 1234567")}, []written{{Type: lead.TypeStatusChanged, Collaborators: []string{"ben"}},
			{Type: lead.TypeUpdated, Fields: []string{"phone"}, Collaborators: []string{"ben"}}}},
		{"the clock stops", manager, lead.UpdateInput{StopClock: yes, StopReason: str("Kunde im Umbau")},
			[]written{{Type: lead.TypeUpdated, Fields: []string{"clockStoppedAt", "stopReason"}, Collaborators: []string{"ben"}}}},
		{"the clock resumes", manager, lead.UpdateInput{StopClock: lead.Opt[bool]{Set: true}},
			[]written{{Type: lead.TypeUpdated, Fields: []string{"clockStoppedAt", "stopReason"}, Collaborators: []string{"ben"}}}},
		// Ben learns that he lost the lead: he is in the event's audience.
		{"a collaborator leaves", anna, lead.UpdateInput{RemoveCollaborators: []string{"ben"}},
			[]written{{Type: lead.TypeUpdated, Fields: []string{"collaboratorUserIds"}, Old: []string{"ben"}, Collaborators: []string{"ben"}}}},
		{"nothing changes", anna, lead.UpdateInput{City: str("Berlin")}, nil},
	}
	for _, step := range steps {
		before := l.Version
		l, err = svc.Update(ctx, step.as, l.ID, l.Version, step.in)
		require.NoError(t, err, step.name)
		got := eventsOf(t, db, l, before)
		for i := range step.want {
			step.want[i].Version = before + 1
			if step.want[i].Collaborators == nil {
				step.want[i].Collaborators = []string{}
			}
		}
		require.Equal(t, step.want, got, step.name)
	}
}
