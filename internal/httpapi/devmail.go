package httpapi

import (
	"encoding/json"
	"html/template"
	"net/http"
	"time"

	"github.com/freshplan/leads/internal/mail"
)

// DevMail is the development mail sink, shown at /dev/mail.
type DevMail interface {
	Messages() []mail.Message
}

type devMailView struct {
	MessageID      string    `json:"messageId"`
	Recipient      string    `json:"recipient"`
	Subject        string    `json:"subject"`
	Text           string    `json:"text"`
	HTML           string    `json:"html"`
	UnsubscribeURL string    `json:"unsubscribeUrl"`
	CreatedAt      time.Time `json:"createdAt"`
}

func (s *server) devMailViews() []devMailView {
	msgs := s.devMail.Messages()
	out := make([]devMailView, len(msgs))
	for i, m := range msgs {
		out[i] = devMailView{MessageID: m.MessageID, Recipient: m.Recipient, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
			UnsubscribeURL: m.UnsubscribeURL, CreatedAt: m.CreatedAt.UTC()}
	}
	return out
}

func (s *server) devMailJSON(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": s.devMailViews()})
}

// devMailPage shows each mail's text, and its HTML in a sandboxed frame
// (no scripts, no same origin).
var devMailPage = template.Must(template.New("devmail").Parse(`<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Mail sink</title></head>
<body><h1>Mail sink</h1><p>Mails the service would have sent (development, no SMTP relay configured), newest first. <a href="/dev/mail.json">JSON</a></p>
{{range .}}<article><h2>{{.Subject}}</h2><p>To {{.Recipient}} · {{.MessageID}} · {{.CreatedAt.Format "2006-01-02 15:04:05Z"}}</p>
<pre>{{.Text}}</pre><iframe sandbox="" title="HTML part" srcdoc="{{.HTML}}" width="100%" height="300"></iframe></article>
{{else}}<p>No mails yet.</p>{{end}}</body></html>
`))

func (s *server) devMailHTML(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := devMailPage.Execute(w, s.devMailViews()); err != nil {
		s.log.Warn("dev mail page", "error", err)
	}
}
