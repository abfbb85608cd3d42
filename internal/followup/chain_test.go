package followup_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/followup"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/mail"
	"github.com/freshplan/leads/internal/mail/mailtest"
	"github.com/freshplan/leads/internal/metric"
)

// textPart is the decoded text/plain part of a multipart mail.
func textPart(t *testing.T, m mailtest.Mail) string {
	t.Helper()
	_, params, err := mime.ParseMediaType(m.Msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	r := multipart.NewReader(m.Msg.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		require.NoError(t, err, "no text/plain part")
		if !strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			continue
		}
		var body io.Reader = p // quoted-printable is decoded by the reader
		if p.Header.Get("Content-Transfer-Encoding") == "base64" {
			body = base64.NewDecoder(base64.StdEncoding, p)
		}
		b, err := io.ReadAll(body)
		require.NoError(t, err)
		return strings.ReplaceAll(string(b), "\r\n", "\n") // SMTP's line ends
	}
}

// TestEveryBusinessTypeAndSeasonGetsItsMailsOnce runs the whole chain —
// scheduling, the worker, the mail outbox, the mailer, a real SMTP
// conversation — for every business type in each season and each
// territory: each consenting lead gets exactly one T+3 and one T+7 mail,
// with its products, terms and currency format, naming no other lead.
func TestEveryBusinessTypeAndSeasonGetsItsMailsOnce(t *testing.T) {
	t.Parallel()
	e := newWorkerEnv(t)
	ctx := t.Context()
	srv := mailtest.NewServer(t)
	mailer := mail.NewMailer(mail.NewOutbox(e.db.AppPool(t)), mail.NewSMTP(mail.SMTPConfig{Host: srv.Host, Port: srv.Port,
		From: "vertrieb@freshplan.example", Timeout: 10 * time.Second}), mail.DefaultConfig(), metric.New(),
		func() time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }, // after every mail below
		slog.New(slog.DiscardHandler))
	type want struct {
		company, products, terms string
	}
	wants := map[string]want{} // by recipient
	managers := map[string]auth.Principal{}
	for _, c := range []string{"DE", "CH", "AT"} {
		managers[c] = auth.Principal{UserID: "manager." + c, Roles: []auth.Role{auth.RoleManager}, Territories: []string{c}}
	}
	types := map[string]struct{ own, terms map[string]string }{
		"RESTAURANT": {map[string]string{"": "- Premium-Gemüseauswahl\n- Chef's Special\n"}, map[string]string{"DE": "15\u00a0% Rabatt, ab einem Bestellwert von 500,00\u00a0€", "CH": "15% Rabatt, ab einem Bestellwert von CHF\u00a0500.00", "AT": "15\u00a0% Rabatt, ab einem Bestellwert von €\u00a0500,00"}},
		"HOTEL":      {map[string]string{"": "- Frühstückssortiment\n- Bankett-Paket\n"}, map[string]string{"DE": "20\u00a0% Rabatt, ab einem Bestellwert von 1.000,00\u00a0€", "CH": "20% Rabatt, ab einem Bestellwert von CHF\u00a01’000.00", "AT": "20\u00a0% Rabatt, ab einem Bestellwert von €\u00a01\u00a0000,00"}},
		"KANTINE":    {map[string]string{"": "- Großküchen-Sortiment\n- Menükomponenten\n", "CH": "- Grossküchen-Sortiment\n- Menükomponenten\n"}, map[string]string{"DE": "25\u00a0% Rabatt, ab einem Bestellwert von 2.000,00\u00a0€", "CH": "25% Rabatt, ab einem Bestellwert von CHF\u00a02’000.00", "AT": "25\u00a0% Rabatt, ab einem Bestellwert von €\u00a02\u00a0000,00"}},
		"CATERING":   {map[string]string{"": "- Event-Pakete\n- Fingerfood-Auswahl\n"}, map[string]string{"DE": "10\u00a0% Rabatt, ab einem Bestellwert von 300,00\u00a0€", "CH": "10% Rabatt, ab einem Bestellwert von CHF\u00a0300.00", "AT": "10\u00a0% Rabatt, ab einem Bestellwert von €\u00a0300,00"}},
		"SONSTIGES":  {map[string]string{"": ""}, map[string]string{"DE": "10\u00a0% Rabatt, ab einem Bestellwert von 250,00\u00a0€", "CH": "10% Rabatt, ab einem Bestellwert von CHF\u00a0250.00", "AT": "10\u00a0% Rabatt, ab einem Bestellwert von €\u00a0250,00"}},
	}
	seasons := []struct {
		registered time.Time
		add        string
	}{
		{time.Date(2026, 4, 6, 10, 0, 0, 0, time.UTC), "- Spargel-Auswahl der Saison\n"},
		{time.Date(2026, 7, 6, 10, 0, 0, 0, time.UTC), ""},
		{time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC), "- Oktoberfest-Sortiment\n"},
		{time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), "- Weihnachts-Catering\n"},
	}
	n, override := 0, "numbered test businesses"
	for businessType, spec := range types {
		for _, s := range seasons {
			for _, terr := range []string{"DE", "CH", "AT"} {
				n++
				company := fmt.Sprintf("Betrieb-%03d", n)
				email := fmt.Sprintf("kueche%03d@betrieb.example", n)
				yes, bt, country := true, businessType, terr
				*e.clock = s.registered
				// The names look alike on purpose (no name may contain another):
				// the create is forced past the soft-duplicate warning.
				l, err := e.leads.Create(ctx, managers[terr], lead.CreateInput{CompanyName: company, Email: &email,
					EmailConsent: &yes, BusinessType: &bt, CountryCode: &country, Force: &yes, OverrideReason: &override})
				require.NoError(t, err)
				for _, k := range followup.Kinds {
					*e.clock = s.registered.AddDate(0, 0, k.Days()+1)
					e.work(t, l.ID, k)
					e.work(t, l.ID, k) // a retry: nothing more
				}
				own, ok := spec.own[terr]
				if !ok {
					own = spec.own[""]
				}
				wants[email] = want{company: company, products: "- Cook&Fresh® Starter-Box\n" + own + s.add, terms: spec.terms[terr]}
			}
		}
	}
	for {
		claimed, err := mailer.RunOnce(ctx)
		require.NoError(t, err)
		if claimed == 0 {
			break
		}
	}

	got := map[string][]string{} // recipient → subjects
	for _, m := range srv.Received() {
		require.Len(t, m.To, 1)
		w, ok := wants[m.To[0]]
		require.True(t, ok, "a mail to %s", m.To[0])
		text := textPart(t, m)
		subject, err := new(mime.WordDecoder).DecodeHeader(m.Msg.Header.Get("Subject"))
		require.NoError(t, err)
		got[m.To[0]] = append(got[m.To[0]], subject)
		switch {
		case strings.Contains(subject, "Probierpaket"):
			require.Contains(t, text, "zusammengestellt:\n\n"+w.products+"\nAntworten", w.company)
		default:
			require.Contains(t, text, w.terms, w.company)
		}
		for _, other := range wants {
			if other.company != w.company {
				require.NotContains(t, text+subject, other.company, "the mail of %s names another lead", w.company)
			}
		}
		require.NotEmpty(t, m.Msg.Header.Get("List-Unsubscribe"))
		require.Equal(t, "List-Unsubscribe=One-Click", m.Msg.Header.Get("List-Unsubscribe-Post"))
	}
	require.Len(t, got, len(wants))
	for recipient, subjects := range got {
		require.Len(t, subjects, 2, recipient)
	}
}
