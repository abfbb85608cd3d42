package httpapi

import (
	"html/template"
	"net/http"

	"github.com/freshplan/leads/internal/followup"
)

// The unsubscribe pages (SPEC §6): GET only shows a confirmation, so a link
// scanner that follows every link unsubscribes nobody; POST (the page's
// button, or a mail client's RFC 8058 one-click request with the body
// List-Unsubscribe=One-Click) blocks the contact. The signed token is the
// only credential.
var unsubscribePage = template.Must(template.New("unsubscribe").Parse(`<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>FreshPlan: Abmeldung</title></head><body>
{{if .Done}}<h1>Sie sind abgemeldet</h1><p>Sie erhalten von uns keine weiteren E-Mails.</p>
{{else if .Bad}}<h1>Dieser Link ist ungültig</h1><p>Bitte verwenden Sie den Link aus unserer E-Mail.</p>
{{else}}<h1>Keine weiteren E-Mails?</h1>
<form method="post" action="/unsubscribe?token={{.Token}}"><input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Abmelden</button></form>{{end}}
</body></html>
`))

type unsubscribeView struct {
	Token     string
	Done, Bad bool
}

func (s *server) unsubscribeForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if _, err := followup.ParseUnsubscribeToken(s.unsubscribeSecret, token); err != nil {
		s.unsubscribePage(w, http.StatusBadRequest, unsubscribeView{Bad: true})
		return
	}
	s.unsubscribePage(w, http.StatusOK, unsubscribeView{Token: token})
}

func (s *server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	id, err := followup.ParseUnsubscribeToken(s.unsubscribeSecret, r.URL.Query().Get("token"))
	if err != nil {
		s.unsubscribePage(w, http.StatusBadRequest, unsubscribeView{Bad: true})
		return
	}
	if err := s.leads.Unsubscribe(r.Context(), id); err != nil {
		s.log.ErrorContext(r.Context(), "unsubscribe", "lead_id", id, "error", err)
		http.Error(w, "Die Abmeldung ist fehlgeschlagen; bitte versuchen Sie es später noch einmal.", http.StatusInternalServerError)
		return
	}
	s.unsubscribePage(w, http.StatusOK, unsubscribeView{Done: true})
}

func (s *server) unsubscribePage(w http.ResponseWriter, status int, v unsubscribeView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := unsubscribePage.Execute(w, v); err != nil {
		s.log.Warn("unsubscribe page", "error", err)
	}
}
