package lead

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestKeysMatchJavaVectors(t *testing.T) {
	lead := uuid.MustParse("0190f3c2-7d1e-7a3b-9c4d-5e6f7a8b9c0d")
	at := time.Date(2025, 9, 26, 20, 0, 0, 0, time.UTC)
	require.Equal(t, "46816a17-debe-3dfb-81b6-9a85cb0a5214", StatusChangedKey(lead, "REGISTERED", "ACTIVE", at).String())
	require.Equal(t, "d6fd5cf6-e2de-3e73-8bf3-b97a51c1ac09", FollowUpKey(lead, "T3", time.Date(2025, 9, 29, 9, 0, 0, 0, time.FixedZone("CEST", 7200))).String())
}
