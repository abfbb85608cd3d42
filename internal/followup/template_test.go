package followup_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/followup"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/territory"
)

var territories = map[string]territory.Territory{
	"DE": {Code: "DE", Name: "Deutschland", Currency: "EUR", Locale: "de-DE", TimeZone: "Europe/Berlin"},
	"CH": {Code: "CH", Name: "Schweiz", Currency: "CHF", Locale: "de-CH", TimeZone: "Europe/Zurich"},
	"AT": {Code: "AT", Name: "Österreich", Currency: "EUR", Locale: "de-AT", TimeZone: "Europe/Vienna"},
}

func render(t *testing.T, k followup.Kind, terr, businessType string, now time.Time) followup.Mail {
	t.Helper()
	contact := "Frau Weber"
	l := &lead.Lead{CompanyName: "Gasthaus Zur Linde & Söhne", ContactPerson: &contact}
	if businessType != "" {
		l.BusinessType = &businessType
	}
	m, err := followup.Render(followup.Input{Kind: k, Lead: l, Territory: territories[terr],
		UnsubscribeURL: "https://leads.example/unsubscribe?token=abc", Now: now})
	require.NoError(t, err)
	return m
}

// TestT7TermsPerBusinessTypeInEachLocale: discount and minimum order of
// SPEC §6, formatted as CLDR writes them (de-CH groups with U+2019, de-AT
// with a no-break space; the currency before the amount in de-CH and de-AT,
// after it in de-DE).
func TestT7TermsPerBusinessTypeInEachLocale(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	cases := []struct {
		businessType, terr, discount, minimum string
	}{
		{"RESTAURANT", "DE", "15\u00a0%", "500,00\u00a0€"},
		{"HOTEL", "DE", "20\u00a0%", "1.000,00\u00a0€"},
		{"KANTINE", "DE", "25\u00a0%", "2.000,00\u00a0€"},
		{"CATERING", "DE", "10\u00a0%", "300,00\u00a0€"},
		{"LEH", "DE", "10\u00a0%", "250,00\u00a0€"},
		{"", "DE", "10\u00a0%", "250,00\u00a0€"},
		{"HOTEL", "CH", "20%", "CHF\u00a01’000.00"},
		{"KANTINE", "CH", "25%", "CHF\u00a02’000.00"},
		{"RESTAURANT", "CH", "15%", "CHF\u00a0500.00"},
		{"HOTEL", "AT", "20\u00a0%", "€\u00a01\u00a0000,00"},
		{"KANTINE", "AT", "25\u00a0%", "€\u00a02\u00a0000,00"},
		{"CATERING", "AT", "10\u00a0%", "€\u00a0300,00"},
	}
	for _, c := range cases {
		m := render(t, followup.T7, c.terr, c.businessType, now)
		name := c.businessType + " " + c.terr
		want := "erhält Gasthaus Zur Linde & Söhne " + c.discount + " Rabatt, ab einem Bestellwert von " + c.minimum +
			". Das Angebot gilt bis 14.12.2026; alle Preise in " +
			territories[c.terr].Currency + ", zuzüglich Mehrwertsteuer."
		require.Contains(t, m.Text, want, name)
		require.Contains(t, m.HTML, "<strong>"+c.discount+" Rabatt</strong>, ab einem Bestellwert von "+c.minimum, name)
		order := "Großbestellung"
		if c.terr == "CH" {
			order = "Grossbestellung"
		}
		require.Equal(t, c.discount+" Rabatt auf Ihre erste "+order+", Gasthaus Zur Linde & Söhne", m.Subject, name)
	}
}

// TestT3ProductsPerBusinessTypeAndSeason: the starter box, the business
// type's products and the month's seasonal add-on, in the month of the
// territory's time zone.
func TestT3ProductsPerBusinessTypeAndSeason(t *testing.T) {
	t.Parallel()
	products := map[string][]string{
		"RESTAURANT": {"Premium-Gemüseauswahl", "Chef's Special"},
		"HOTEL":      {"Frühstückssortiment", "Bankett-Paket"},
		"KANTINE":    {"Großküchen-Sortiment", "Menükomponenten"},
		"CATERING":   {"Event-Pakete", "Fingerfood-Auswahl"},
		"GESUNDHEIT": nil,
	}
	seasons := []struct {
		now    time.Time
		season string
	}{
		{time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), "Spargel-Auswahl der Saison"},
		{time.Date(2026, 5, 31, 20, 0, 0, 0, time.UTC), "Spargel-Auswahl der Saison"},
		// 31 May 22:30 UTC is 1 June in Berlin: no season.
		{time.Date(2026, 5, 31, 22, 30, 0, 0, time.UTC), ""},
		{time.Date(2026, 7, 15, 8, 0, 0, 0, time.UTC), ""},
		{time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC), "Oktoberfest-Sortiment"},
		{time.Date(2026, 10, 31, 8, 0, 0, 0, time.UTC), "Oktoberfest-Sortiment"},
		{time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC), "Weihnachts-Catering"},
		{time.Date(2026, 12, 31, 8, 0, 0, 0, time.UTC), "Weihnachts-Catering"},
		{time.Date(2027, 2, 1, 8, 0, 0, 0, time.UTC), ""},
	}
	for businessType, own := range products {
		for _, s := range seasons {
			for _, terr := range []string{"DE", "CH", "AT"} {
				m := render(t, followup.T3, terr, businessType, s.now)
				want := append([]string{"Cook&Fresh® Starter-Box"}, own...)
				if s.season != "" {
					want = append(want, s.season)
				}
				var lines []string
				for _, w := range want {
					if terr == "CH" {
						w = strings.ReplaceAll(w, "ß", "ss")
					}
					lines = append(lines, "- "+w)
				}
				name := businessType + " " + terr + " " + s.now.String()
				require.Contains(t, m.Text, "zusammengestellt:\n\n"+strings.Join(lines, "\n")+"\n\nAntworten", name)
				require.NotContains(t, m.Text, "- "+otherSeason(s.season), name)
				require.Contains(t, m.HTML, "<li>Cook&amp;Fresh® Starter-Box</li>", name)
			}
		}
	}
}

func otherSeason(s string) string {
	if s == "Weihnachts-Catering" {
		return "Oktoberfest-Sortiment"
	}
	return "Weihnachts-Catering"
}

// TestMailsAreWrittenInTheTerritorysLanguage: de-CH without ß, greetings
// per language, the contact named, HTML escaped, the unsubscribe link and
// the consent footer in both parts.
func TestMailsAreWrittenInTheTerritorysLanguage(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	closing := map[string]string{"DE": "Mit freundlichen Grüßen\n", "AT": "Mit freundlichen Grüßen aus Österreich\n",
		"CH": "Freundliche Grüsse\n"}
	for _, k := range followup.Kinds {
		for terr, c := range closing {
			m := render(t, k, terr, "HOTEL", now)
			require.True(t, strings.HasPrefix(m.Text, "Guten Tag Frau Weber,\n"), terr)
			require.Contains(t, m.Text, c+"Ihr FreshPlan-Team "+territories[terr].Name, terr)
			require.Contains(t, m.Text, "Keine weiteren E-Mails: https://leads.example/unsubscribe?token=abc")
			require.Contains(t, m.HTML, `<a href="https://leads.example/unsubscribe?token=abc">`)
			require.Contains(t, m.HTML, `<html lang="`+territories[terr].Locale+`">`)
			require.Contains(t, m.HTML, "Gasthaus Zur Linde &amp; Söhne")
			require.NotContains(t, m.HTML, "Linde & Söhne")
			if terr == "CH" {
				require.NotContains(t, m.Text+m.HTML+m.Subject, "ß")
			}
		}
	}
	m, err := followup.Render(followup.Input{Kind: followup.T3, Lead: &lead.Lead{CompanyName: "Kantine Nord"},
		Territory: territories["DE"], Now: now})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(m.Text, "Guten Tag,\n"), "no contact person: no name")
	_, err = followup.Render(followup.Input{Kind: followup.T3, Lead: &lead.Lead{CompanyName: "X"},
		Territory: territory.Territory{Code: "FR", Locale: "fr-FR", TimeZone: "Europe/Paris"}, Now: now})
	require.Error(t, err)
}
