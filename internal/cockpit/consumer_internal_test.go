package cockpit

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/event"
)

// TestABatchIsAnnouncedOncePerTerritory: the leads a batch changed are
// announced in one event per territory they counted in before or after,
// to the users who could see any of them; a lead whose figures did not
// change adds no one.
func TestABatchIsAnnouncedOncePerTerritory(t *testing.T) {
	t.Parallel()
	annas, bens, moved, quiet := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	de := func(users ...string) projection { return projection{territory: "DE", users: users} }
	states := map[uuid.UUID]state{
		annas: {id: annas, old: de("anna"), now: de("anna")},
		bens:  {id: bens, old: de("ben"), now: de("ben", "dora")},
		moved: {id: moved, old: de("carl"), now: projection{territory: "AT", users: []string{"carl"}}},
		quiet: {id: quiet, old: de("erik"), now: de("erik")},
	}
	byLead := map[uuid.UUID][]event.Delivered{}
	for i, id := range []uuid.UUID{annas, bens, moved, quiet} {
		owner := states[id].old.users[0]
		byLead[id] = []event.Delivered{{ID: int64(i + 1), Subject: id, Envelope: event.Envelope{ID: uuid.NewString()},
			Audience: event.Audience{Territory: states[id].now.territory, Owner: owner}}}
	}
	changed := map[uuid.UUID]bool{annas: true, bens: true, moved: true}

	got := announcements([]uuid.UUID{annas, bens, moved, quiet}, byLead, states, changed)
	require.Len(t, got, 2)
	require.Equal(t, "AT", got[0].Audience.Territory)
	require.Equal(t, []string{"carl"}, got[0].Audience.Collaborators)
	require.Equal(t, widgetChangedData{Leads: 1}, got[0].Data)
	require.Equal(t, "DE", got[1].Audience.Territory)
	require.Equal(t, []string{"anna", "ben", "carl", "dora"}, got[1].Audience.Collaborators, "not erik: his lead did not change")
	require.Equal(t, widgetChangedData{Leads: 3}, got[1].Data)
	last := byLead[moved][0].Envelope.ID
	require.Equal(t, last, got[0].CausationID, "caused by the batch's last event")
	require.NotEqual(t, got[0].Key, got[1].Key)
}
