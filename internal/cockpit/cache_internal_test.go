package cockpit

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/metric"
)

// TestAReadOverlappingAChangeIsNotKept: a widget read that began before an
// event touched its scope may hold the figures from before the change: no
// later miss joins it, and what it read is not kept; a read of another
// scope is joined and kept.
func TestAReadOverlappingAChangeIsNotKept(t *testing.T) {
	t.Parallel()
	c := NewCache(&Reader{}, metric.New())
	anna, ben := &flight{done: make(chan struct{})}, &flight{done: make(chan struct{})}
	c.reading["user:anna"], c.reading["user:ben"] = anna, ben
	change := event.Delivered{Type: TypeWidgetChanged, Audience: event.Audience{Territory: "DE", Collaborators: []string{"anna"}}}
	require.NoError(t, c.Invalidate(t.Context(), change))
	require.True(t, anna.stale, "a miss of Anna's scope now would join a read from before the change")
	require.False(t, ben.stale)

	anna.w, ben.w = &Widget{}, &Widget{}
	c.land("user:anna", anna)
	c.land("user:ben", ben)
	_, kept := c.entries.GetIfPresent("user:anna")
	require.False(t, kept, "read before the change, stored after it")
	_, kept = c.entries.GetIfPresent("user:ben")
	require.True(t, kept)
	require.Empty(t, c.reading)
}

// TestAChangeDropsEveryScopeThatCouldSeeIt: the owner's, the
// collaborators', each territories-scope holding the territory and all;
// not another rep's or another territory's.
func TestAChangeDropsEveryScopeThatCouldSeeIt(t *testing.T) {
	t.Parallel()
	c := NewCache(&Reader{}, metric.New())
	keys := []string{"all", "user:anna", "user:ben", "user:carla", "territories:DE", "territories:AT,DE", "territories:AT"}
	for _, k := range keys {
		c.entries.Set(k, &Widget{})
		if k[0] == 't' {
			c.territoryKeys[k] = true
		}
	}
	change := event.Delivered{Type: TypeWidgetChanged, Audience: event.Audience{Territory: "DE", Owner: "anna", Collaborators: []string{"ben"}}}
	require.NoError(t, c.Invalidate(t.Context(), change))
	var left []string
	for _, k := range keys {
		if _, ok := c.entries.GetIfPresent(k); ok {
			left = append(left, k)
		}
	}
	require.Equal(t, []string{"user:carla", "territories:AT"}, left)
}
