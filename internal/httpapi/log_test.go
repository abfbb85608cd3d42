package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
)

func TestLogsNeverContainEmailOrPhone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	res := e.do("POST", "/api/leads", anna, map[string]any{
		"companyName": "Hotel Sonne", "email": "jana.fischer@example.com", "phone": "+49 30 1234567",
	})
	require.Equal(t, http.StatusCreated, res.Status)
	// A failing request too: its error must not leak what was sent.
	res = e.do("POST", "/api/leads", anna, map[string]any{"companyName": "", "email": "jana.fischer@example.com", "phone": "+49 30 1234567"})
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)

	logs := e.logs.String()
	require.Contains(t, logs, "lead created")
	require.Contains(t, logs, "***@example.com", "the e-mail is logged masked")
	for _, secret := range []string{"jana.fischer", "1234567", "+49 30 1234567", "Hotel Sonne"} {
		require.NotContains(t, logs, secret)
	}
}
