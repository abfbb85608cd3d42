package cockpit

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/metric"
)

// TestAReadOverlappingAChangeIsNotKept: a widget read that began before an
// event touched its scope, and stored its result after, may hold the
// figures from before the change: it is dropped; a read of another scope
// is kept.
func TestAReadOverlappingAChangeIsNotKept(t *testing.T) {
	t.Parallel()
	c := NewCache(&Reader{}, metric.New())
	c.startRead("user:anna")
	c.startRead("user:ben")
	change := event.Delivered{Type: TypeWidgetChanged, Audience: event.Audience{Territory: "DE", Collaborators: []string{"anna"}}}
	require.NoError(t, c.Invalidate(t.Context(), change))
	c.entries.Set("user:anna", &Widget{}) // the reads store what they read
	c.entries.Set("user:ben", &Widget{})
	c.endRead("user:anna")
	c.endRead("user:ben")
	_, kept := c.entries.GetIfPresent("user:anna")
	require.False(t, kept, "read before the change, stored after it")
	_, kept = c.entries.GetIfPresent("user:ben")
	require.True(t, kept)
	require.Empty(t, c.reading)
}
