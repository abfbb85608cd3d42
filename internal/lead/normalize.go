package lead

import (
	"net/url"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// normalize derives the read-only search and deduplication fields from the
// fields a user entered. Clearing a source field clears its derived value.
func normalize(l *Lead) {
	l.EmailNormalized = nil
	if l.Email != nil {
		e := strings.ToLower(strings.TrimSpace(*l.Email))
		l.EmailNormalized = &e
	}
	c := normalizeCompany(l.CompanyName)
	l.CompanyNameNormalized = &c
	l.WebsiteDomain = websiteDomain(l.Website, l.EmailNormalized)
}

func normalizeCompany(name string) string {
	t := transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	s, _, err := transform.String(t, name)
	if err != nil {
		s = name
	}
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

func websiteDomain(website, email *string) *string {
	var host string
	switch {
	case website != nil:
		raw := strings.TrimSpace(*website)
		if !strings.Contains(raw, "://") {
			raw = "https://" + raw
		}
		if u, err := url.Parse(raw); err == nil {
			host = u.Hostname()
		}
	case email != nil:
		if i := strings.LastIndexByte(*email, '@'); i >= 0 {
			host = (*email)[i+1:]
		}
	}
	host = strings.TrimPrefix(strings.ToLower(host), "www.")
	if host == "" {
		return nil
	}
	return &host
}
