package normalize

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// WebsiteDomain returns the host of the website, or of the e-mail address
// when there is no website (nil or blank), lower-cased and without a leading
// "www.".
//
// The website may be typed with or without scheme, path, port or user:
// "www.example.com", "https://www.Example.com/path", "example.com:8080" and
// "http://user@example.com" all give "example.com". A website that is given
// but yields no valid domain name ("n/a", "localhost", an IP address) returns
// nil; it does not fall back to the e-mail, so the value always describes
// the field that wins.
//
// Internationalized domain names are kept in Unicode, lower-cased and in
// NFC: "Müller-Bäckerei.DE" → "müller-bäckerei.de". ACE labels are decoded,
// so "xn--mller-kva.de" and "müller.de" both give "müller.de" and match.
// (Unicode because that is what users type and read; converting to punycode
// would need the full IDNA mapping, and decoding is the cheaper direction.)
//
// "www." is removed as long as at least two labels remain ("www.www.x.de" →
// "x.de", but "www.de" stays). A domain needs at least two labels, the last
// one not all digits; labels are letters, digits, combining marks and
// inner hyphens, at most 63 characters, 253 in all.
func WebsiteDomain(website, email *string) *string {
	if website != nil && strings.TrimSpace(*website) != "" {
		return domain(websiteHost(strings.TrimSpace(*website)))
	}
	if email != nil {
		e := strings.TrimSpace(*email)
		if at := strings.LastIndexByte(e, '@'); at >= 0 {
			return domain(e[at+1:])
		}
	}
	return nil
}

// websiteHost extracts the host part of a URL typed with or without scheme.
func websiteHost(raw string) string {
	switch {
	case strings.Contains(raw, "://"):
	case strings.HasPrefix(raw, "//"):
		raw = "http:" + raw
	default:
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// domain validates and canonicalizes a host name; nil when invalid.
func domain(host string) *string {
	host = strings.Map(func(r rune) rune {
		switch r {
		case '\u3002', '\uff0e', '\uff61': // ideographic and full-width full stops
			return '.'
		}
		return r
	}, host)
	host = norm.NFC.String(strings.ToLower(norm.NFC.String(host)))
	host = strings.TrimSuffix(host, ".")
	if host == "" || utf8.RuneCountInString(host) > 253 {
		return nil
	}
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return nil
	}
	for i, l := range labels {
		if strings.HasPrefix(l, "xn--") {
			u, ok := decodeACE(l[4:])
			if len(l) > 63 {
				ok = false
			}
			if !ok {
				return nil
			}
			labels[i] = u
		} else if !validLabel(l) {
			return nil
		}
	}
	if strings.IndexFunc(labels[len(labels)-1], func(r rune) bool { return !unicode.IsDigit(r) }) < 0 {
		return nil // all-digit top-level label: an IPv4 address or garbage
	}
	for len(labels) > 2 && labels[0] == "www" {
		labels = labels[1:]
	}
	d := strings.Join(labels, ".")
	return &d
}

// validLabel reports whether l is a lower-case label of letters, digits,
// combining marks and inner hyphens, 1 to 63 characters long.
func validLabel(l string) bool {
	n := utf8.RuneCountInString(l)
	if n == 0 || n > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, r := range l {
		switch {
		case r == '-', r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case r < utf8.RuneSelf:
			return false
		case r == utf8.RuneError, unicode.IsUpper(r):
			return false
		case unicode.IsLetter(r), unicode.IsDigit(r), unicode.Is(unicode.M, r):
		default:
			return false
		}
	}
	return true
}

// decodeACE decodes the punycode part of an "xn--" label and checks that
// the result is a canonical Unicode label that needed the encoding.
func decodeACE(p string) (string, bool) {
	u, ok := punycodeDecode(p)
	if !ok || !validLabel(u) || strings.HasPrefix(u, "xn--") {
		return "", false
	}
	if norm.NFC.String(strings.ToLower(u)) != u {
		return "", false
	}
	for _, r := range u {
		if r >= utf8.RuneSelf {
			return u, true
		}
	}
	return "", false // all ASCII: not a valid ACE label
}
