package normalize

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
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
// Internationalized domain names are kept in Unicode, mapped as for a DNS
// lookup (UTS #46 via golang.org/x/net/idna: lower-cased, full-width and
// other compatibility forms folded, NFC): "Müller-Bäckerei.DE" →
// "müller-bäckerei.de", "ＦＲＥＳＨ。de" → "fresh.de". ACE labels are decoded,
// so "xn--mller-kva.de" and "müller.de" both give "müller.de" and match; a
// malformed or non-canonical "xn--" label makes the domain invalid. (Unicode
// because that is what users type and read.)
//
// "www." is removed as long as at least two labels remain ("www.www.x.de" →
// "x.de", but "www.de" stays). A domain needs at least two labels, the last
// one not all digits; labels are letters, digits, combining marks and
// inner hyphens, at most 63 characters, and in ACE form at most 63 octets
// a label and 253 in all; a label with right-to-left letters must satisfy
// the Bidi rule (RFC 5893).
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

// idnaProfile is the UTS #46 processing for lookup (RFC 5891 §5) that
// domain applies: the mapping (case folding, width and compatibility forms,
// NFC, ideographic full stops as dots, default-ignorable runes dropped),
// STD3 ASCII rules, disallowed runes and joiner rules, the Bidi rule, and for
// "xn--" labels Punycode decoding with the check that the result is a
// canonical U-label (NFC, unchanged by the mapping, not all ASCII).
//
// It is idna.Lookup spelled out, with one difference: CheckHyphens is off,
// as in browsers, so "--" in the third and fourth position
// ("r3---sn-4g5e6nsz.googlevideo.com") stays valid as it was here before;
// validLabel still refuses leading and trailing hyphens. Spelled out also
// because Lookup "may change over time", and a changed rule changes stored
// keys (a backfill).
var idnaProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.CheckHyphens(false))

// dnsLength checks the lengths of the ACE form, the one DNS carries: at most
// 63 octets a label and 253 in all. It maps and validates nothing.
var dnsLength = idna.New(idna.VerifyDNSLength(true))

// domain validates and canonicalizes a host name; nil when invalid.
func domain(host string) *string {
	host, err := idnaProfile.ToUnicode(host)
	if err != nil {
		return nil
	}
	host = strings.TrimSuffix(host, ".")
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return nil
	}
	for _, l := range labels {
		// Every "xn--" label has been decoded; one that still starts so was
		// nested ACE and would not decode a second time.
		if strings.HasPrefix(l, "xn--") || !validLabel(l) {
			return nil
		}
	}
	if _, err := dnsLength.ToASCII(host); err != nil {
		return nil
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
