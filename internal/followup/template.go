package followup

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/territory"
)

//go:embed templates/*.txt templates/*.html
var templateFiles embed.FS

// Languages are the templates' languages: the territories' locales.
var Languages = []string{"de-DE", "de-CH", "de-AT"}

// offerDays is how long a T+7 offer holds.
const offerDays = 14

// Mail is a rendered follow-up.
type Mail struct {
	Subject, Text, HTML string
}

// Input is what a follow-up mail says and to whom.
type Input struct {
	Kind      Kind
	Lead      *lead.Lead
	Territory territory.Territory
	// UnsubscribeURL is the lead's signed unsubscribe link.
	UnsubscribeURL string
	// Now is when the mail is written: it picks the season and dates the offer.
	Now time.Time
}

// data are the template variables of SPEC §6: lead.company, …, unsubscribe.url.
type data struct {
	Lang        string
	Lead        struct{ Company, ContactPerson string }
	Territory   struct{ Name, Currency string }
	Sample      struct{ Products []string }
	Bulk        struct{ Discount, Minimum, ValidUntil string }
	Footer      struct{ Legal string }
	Unsubscribe struct{ URL string }
}

// Render writes in's mail from the template of its kind in the territory's
// language.
func Render(in Input) (Mail, error) {
	lang := in.Territory.Locale
	key := in.Kind.TemplateKey() + "." + lang
	d, err := dataOf(in)
	if err != nil {
		return Mail{}, err
	}
	text, err := renderText(key+".txt", d)
	if err != nil {
		return Mail{}, err
	}
	subject, body, ok := strings.Cut(text, "\n")
	if !ok || !strings.HasPrefix(subject, "Subject: ") {
		return Mail{}, fmt.Errorf("followup: template %s: first line must be the subject", key)
	}
	html, err := renderHTML(key+".html", d)
	if err != nil {
		return Mail{}, err
	}
	return Mail{Subject: strings.TrimPrefix(subject, "Subject: "), Text: body, HTML: html}, nil
}

func dataOf(in Input) (data, error) {
	lang := in.Territory.Locale
	var d data
	if !slices.Contains(Languages, lang) {
		return d, fmt.Errorf("followup: no templates in %q", lang)
	}
	loc, err := in.Territory.Location()
	if err != nil {
		return d, fmt.Errorf("followup: %w", err)
	}
	now := in.Now.In(loc)
	businessType := ""
	if in.Lead.BusinessType != nil {
		businessType = *in.Lead.BusinessType
	}
	d.Lang = lang
	d.Lead.Company = in.Lead.CompanyName
	if in.Lead.ContactPerson != nil {
		d.Lead.ContactPerson = *in.Lead.ContactPerson
	}
	d.Territory.Name, d.Territory.Currency = in.Territory.Name, in.Territory.Currency
	for _, p := range sampleProducts(businessType, now.Month()) {
		d.Sample.Products = append(d.Sample.Products, spell(lang, p))
	}
	discount, minimum := bulkOffer(businessType)
	d.Bulk.Discount = percent(lang, discount)
	d.Bulk.Minimum = money(lang, in.Territory.Currency, minimum)
	d.Bulk.ValidUntil = date(now.AddDate(0, 0, offerDays))
	d.Footer.Legal = spell(lang, "FreshPlan "+in.Territory.Name+" · Sie erhalten diese E-Mail, weil Sie der Kontaktaufnahme per E-Mail zugestimmt haben.")
	d.Unsubscribe.URL = in.UnsubscribeURL
	return d, nil
}

// spell writes s as lang does: Swiss German has no ß.
func spell(lang, s string) string {
	if lang == "de-CH" {
		return strings.ReplaceAll(s, "ß", "ss")
	}
	return s
}

// The templates are parsed once; a broken one stops the program at start.
var (
	textTemplates = texttemplate.Must(texttemplate.ParseFS(templateFiles, "templates/*.txt"))
	htmlTemplates = htmltemplate.Must(htmltemplate.ParseFS(templateFiles, "templates/*.html"))
)

func renderText(name string, d data) (string, error) {
	var b bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&b, name, d); err != nil {
		return "", fmt.Errorf("followup: template %s: %w", name, err)
	}
	return b.String(), nil
}

func renderHTML(name string, d data) (string, error) {
	var b bytes.Buffer
	if err := htmlTemplates.ExecuteTemplate(&b, name, d); err != nil {
		return "", fmt.Errorf("followup: template %s: %w", name, err)
	}
	return b.String(), nil
}
