package httpapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/freshplan/leads/internal/lead"
)

// FuzzDecode feeds arbitrary bodies to the request decoder: it never
// panics, and every refusal is a 4xx problem that names a field.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{`{"companyName":"x"}`, `{"companyName":1}`, `{"x":1}`, `[]`, `{`, `{}{}`, `null`, `"s"`,
		`{"status":null,"stopClock":"yes"}`, `{"addCollaborators":[1]}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, dst := range []any{&lead.CreateInput{}, &lead.UpdateInput{}, &lead.ActivityInput{}} {
			req := httptest.NewRequest("POST", "/api/leads", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			err := decode(httptest.NewRecorder(), req, dst)
			if err == nil {
				continue
			}
			p := err.(*Problem)
			if p.Status < 400 || p.Status > 499 {
				t.Fatalf("status %d for %q", p.Status, body)
			}
			if p.Status != http.StatusRequestEntityTooLarge && len(p.Errors) == 0 {
				t.Fatalf("no field named for %q: %+v", body, p)
			}
		}
	})
}
