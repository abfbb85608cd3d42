package event

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestNameUUIDMatchesJavaVectors(t *testing.T) {
	for in, want := range map[string]string{
		"0190f3c2-7d1e-7a3b-9c4d-5e6f7a8b9c0d|REGISTERED|ACTIVE|2025-09-26T20:00:00.000000Z": "46816a17-debe-3dfb-81b6-9a85cb0a5214",
		"0190f3c2-7d1e-7a3b-9c4d-5e6f7a8b9c0d|T3|2025-09-29T07:00:00.000000Z":                "d6fd5cf6-e2de-3e73-8bf3-b97a51c1ac09",
	} {
		require.Equal(t, want, NameUUID(in).String(), in)
	}
	require.Equal(t, uuid.Version(3), NameUUID("x").Version())
	require.Equal(t, uuid.RFC4122, NameUUID("x").Variant())
}

func TestFormatTimeAlwaysSixDigitsUTC(t *testing.T) {
	require.Equal(t, "2025-09-26T20:00:00.000000Z", FormatTime(time.Date(2025, 9, 26, 22, 0, 0, 999, time.FixedZone("CEST", 7200))))
	require.Equal(t, "2025-09-26T20:00:00.123456Z", FormatTime(time.Date(2025, 9, 26, 20, 0, 0, 123456789, time.UTC)))
}
