package cockpit_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/cockpit"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/metric"
)

// TestASlowStreamIsDroppedWithoutHoldingUpTheOthers: a stream that stops
// reading is closed once its buffer is full, while a stream that reads
// gets every event, and a stream that may not see the lead gets none.
func TestASlowStreamIsDroppedWithoutHoldingUpTheOthers(t *testing.T) {
	metrics := metric.New()
	hub := cockpit.NewHub(metrics)
	anna := auth.Principal{UserID: "anna", Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE"}}
	slow := hub.Subscribe(anna, cockpit.Scope{Key: "user:anna"})
	fast := hub.Subscribe(admin, cockpit.Scope{Key: "all"})
	ben := hub.Subscribe(auth.Principal{UserID: "ben", Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE"}},
		cockpit.Scope{Key: "user:ben"})
	require.Equal(t, 3.0, testutil.ToFloat64(metrics.ActiveWidgets.WithLabelValues("lead")))

	received := make(chan int)
	go func() {
		n := 0
		for range fast.Events {
			if n++; n == cockpit.StreamBuffer+10 {
				received <- n
				return
			}
		}
	}()
	annas := event.Audience{Territory: "DE", Owner: "anna"}
	for i := range cockpit.StreamBuffer + 10 {
		require.NoError(t, hub.Deliver(context.Background(), event.Delivered{ID: int64(i + 1), Type: "lead.updated", Audience: annas}))
	}
	require.Equal(t, cockpit.StreamBuffer+10, <-received, "the reading stream got every event")
	select {
	case <-slow.Dropped:
	default:
		t.Fatal("the stream that stopped reading is still open")
	}
	require.Len(t, slow.Events, cockpit.StreamBuffer, "the slow stream held a full buffer and no more")
	require.Empty(t, ben.Events, "another rep's stream got Anna's events")
	require.Equal(t, 2.0, testutil.ToFloat64(metrics.ActiveWidgets.WithLabelValues("lead")))

	hub.Unsubscribe(slow) // the handler's deferred call after the drop counts nothing twice
	hub.Unsubscribe(fast)
	hub.Unsubscribe(ben)
	require.Equal(t, 0.0, testutil.ToFloat64(metrics.ActiveWidgets.WithLabelValues("lead")))
}
