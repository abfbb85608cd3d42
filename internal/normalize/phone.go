package normalize

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// territoryRegion maps a lead's territory to the default region used for
// numbers written without an international prefix.
var territoryRegion = map[string]string{"DE": "DE", "CH": "CH", "AT": "AT"}

// maxE164Digits is the longest number E.164 allows, country code included.
const maxE164Digits = 15

// Phone returns the number in E.164 ("+4930123456"), parsed and validated
// with github.com/nyaruka/phonenumbers (a port of Google's libphonenumber).
//
//   - The default region comes from the territory (DE, CH, AT; case and
//     surrounding space ignored), so "030 123456" in DE is +4930123456 and
//     "079 123 45 67" in CH is +41791234567. Numbers with "+" or the
//     international prefix "00" may belong to any country.
//   - For any other territory there is no default region: only numbers with
//     "+" or "00" are accepted, everything else is invalid.
//   - Notation does not matter: spaces, dashes, slashes, dots, brackets,
//     "+49 (0)30 …" and "0049 …" all work. A leading label such as "Tel.:",
//     "Telefon", "Mobil", "Handy" or "Natel" is ignored.
//   - An extension written with a marker — "ext.", "x", "#", "Durchwahl",
//     "DW", "App.", "Apparat", "Nebenstelle", "Nst." — is not part of the
//     E.164 number and is dropped: "+49 30 123456 ext. 12" → +4930123456.
//     A German direct-dial suffix without marker ("030 123456-12") is part of
//     the number (+493012345612), as it is when dialled.
//   - Letters anywhere else make the number invalid: vanity numbers
//     ("0800 FLOWERS") are not converted, typos are not guessed away.
//   - Invalid — unparseable, not valid for its country according to the
//     library's metadata, or longer than the 15 digits E.164 allows — returns
//     (nil, false); the caller stores the raw value with phoneE164 = null and
//     counts it. Blank input returns (nil, true).
//
// Validity depends on the metadata of the pinned library version; a new
// version of the library may accept or reject numbers differently, which is
// why changing it means running the backfill.
func Phone(s, territory string) (e164 *string, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	s = phoneLabel.ReplaceAllString(s, "")
	if m := phoneExtension.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	if strings.IndexFunc(s, unicode.IsLetter) >= 0 {
		return nil, false
	}
	region, known := territoryRegion[strings.ToUpper(strings.TrimSpace(territory))]
	if !known {
		t := strings.TrimLeftFunc(s, func(r rune) bool { return r == '(' || unicode.IsSpace(r) })
		switch {
		case strings.HasPrefix(t, "+"), strings.HasPrefix(t, "＋"):
		case strings.HasPrefix(t, "00"):
			s = "+" + t[2:]
		default:
			return nil, false
		}
		region = phonenumbers.UNKNOWN_REGION
	}
	out, valid := formatE164(s, region)
	if !valid {
		return nil, false
	}
	return &out, true
}

// formatE164 parses, validates and formats with the library. A panic inside
// the library counts as an invalid number: the normalizer runs on every
// write, and a library bug on one odd input must not fail the request.
func formatE164(s, region string) (out string, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			out, ok = "", false
		}
	}()
	num, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	out = phonenumbers.Format(num, phonenumbers.E164)
	if len(out) < 2 || out[0] != '+' || len(out)-1 > maxE164Digits {
		return "", false
	}
	return out, true
}

var (
	// phoneLabel matches a leading label like "Tel.:", "Telefon", "Mobil".
	phoneLabel = regexp.MustCompile(`(?i)^(?:tel(?:efon)?|phone|fon|mobil(?:e)?|handy|natel)\s*[.:]?\s*`)
	// phoneExtension splits "<number><marker><digits>". The number must end
	// in a digit or ")" so that the marker is not part of a word.
	phoneExtension = regexp.MustCompile(`(?i)^(.*?[\d)])[\s,;]*(?:;?ext=|#|ext(?:ension)?\.?|x|durchwahl|dw\.?|app(?:arat)?\.?|nebenstelle|nst\.?)\s*[:.\-]?\s*\d{1,8}\s*$`)
)
