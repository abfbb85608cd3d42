package httpapi_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/api"
	"github.com/freshplan/leads/internal/httpapi"
	"github.com/freshplan/leads/internal/mail"
)

// TestDevMailShowsTheSink: with a sink (dev auth, no relay) the mails are
// at /dev/mail and /dev/mail.json, their HTML only inside a sandboxed
// frame; without one the pages do not exist.
func TestDevMailShowsTheSink(t *testing.T) {
	t.Parallel()
	sink := mail.NewSink()
	require.NoError(t, sink.Send(t.Context(), mail.Message{ID: uuid.New(), MessageID: "<followup.T3.x@leads.freshplan>",
		Recipient: "kueche@linde.example", Subject: "Probierpaket für <Linde>", Text: "Guten Tag,",
		HTML: `<p onclick="x()">Guten Tag,</p>`, CreatedAt: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)}))
	log := slog.New(slog.DiscardHandler)
	h := httpapi.New(httpapi.Deps{DevMail: sink, Log: log, OpenAPI: api.OpenAPI})

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dev/mail.json", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	var body struct {
		Data []struct {
			MessageID, Recipient, Subject string
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	require.Len(t, body.Data, 1)
	require.Equal(t, "<followup.T3.x@leads.freshplan>", body.Data[0].MessageID)
	require.Equal(t, "kueche@linde.example", body.Data[0].Recipient)

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dev/mail", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	page := rec.Body.String()
	require.Contains(t, page, "Probierpaket für &lt;Linde&gt;")
	require.Contains(t, page, `sandbox=""`)
	require.NotContains(t, page, `<p onclick`, "the mail's HTML is never part of the page itself")

	none := httpapi.New(httpapi.Deps{Log: log, OpenAPI: api.OpenAPI})
	for _, path := range []string{"/dev/mail", "/dev/mail.json"} {
		rec := httptest.NewRecorder()
		none.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		require.Equal(t, http.StatusNotFound, rec.Code, path)
		require.False(t, strings.Contains(rec.Body.String(), "Mail sink"))
	}
}
