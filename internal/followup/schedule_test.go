package followup_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/followup"
)

func TestDueAtIsNineLocalOnAWorkday(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	zurich, err := time.LoadLocation("Europe/Zurich")
	require.NoError(t, err)
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}
	cases := []struct {
		name       string
		kind       followup.Kind
		registered string
		loc        *time.Location
		want       string
	}{
		{"Monday + 3 is Thursday", followup.T3, "2026-11-30T14:00:00Z", berlin, "2026-12-03T09:00:00+01:00"},
		{"Monday + 7 is Monday", followup.T7, "2026-11-30T14:00:00Z", berlin, "2026-12-07T09:00:00+01:00"},
		{"Wednesday + 3 is Saturday: Monday", followup.T3, "2026-12-02T08:00:00Z", berlin, "2026-12-07T09:00:00+01:00"},
		{"Thursday + 3 is Sunday: Monday", followup.T3, "2026-12-03T08:00:00Z", berlin, "2026-12-07T09:00:00+01:00"},
		{"the local date counts: 23:30 UTC is the next day in Berlin", followup.T3, "2026-11-30T23:30:00Z", berlin,
			"2026-12-04T09:00:00+01:00"},
		{"across the change to summer time", followup.T7, "2026-03-23T10:00:00Z", zurich, "2026-03-30T09:00:00+02:00"},
		{"across the change to winter time", followup.T3, "2026-10-22T10:00:00Z", berlin, "2026-10-26T09:00:00+01:00"},
	}
	for _, c := range cases {
		got := followup.DueAt(c.kind, utc(c.registered), c.loc)
		require.Equal(t, c.want, got.Format(time.RFC3339), c.name)
	}
}
