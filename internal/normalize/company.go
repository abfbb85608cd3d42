package normalize

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// CompanyName returns the normalized company name used for soft-duplicate
// detection (same normalized name in the same city, trigram similarity):
//
//  1. Unicode NFKD, combining marks (diacritics) removed, lower-cased,
//     recomposed to NFC: "Café Müller" → "cafe muller", "ＡＢＣ" → "abc".
//  2. "ß" (and capital "ẞ") becomes "ss". NFKD does not decompose ß, and
//     Swiss German does not use it at all, so "Straßenbau" and "Strassenbau"
//     must meet at "strassenbau".
//  3. White space collapsed to single spaces, trimmed; trailing commas, dots
//     and semicolons removed.
//  4. One trailing legal form of Germany, Switzerland or Austria is stripped
//     in the spellings people type (see legalForm): "FreshFoodz GmbH" →
//     "freshfoodz", "Müller GmbH & Co. KG" → "muller", "AG Weinbau Müller
//     GmbH" → "ag weinbau muller". A legal form elsewhere in the name stays.
//
// The legal form is not stripped when nothing but legal forms would be
// left ("AG" stays "ag", "GmbH & Co. KG" stays "gmbh & co. kg") or when the
// remainder ends in another legal form ("Müller KG AG" stays "muller kg ag"):
// only one form is stripped, and stripping it there would make the result
// change again on the next normalization, breaking idempotency.
//
// Blank input returns nil.
func CompanyName(s string) *string {
	f := fold(s)
	f = strings.Join(strings.Fields(f), " ")
	f = trimTrailingPunct(f)
	if f == "" {
		return nil
	}
	if wholeLegalForm.MatchString(f) {
		return &f
	}
	if m := trailingLegalForm.FindStringSubmatch(f); m != nil {
		rest := trimTrailingPunct(m[1])
		if rest != "" && !wholeLegalForm.MatchString(rest) && !trailingLegalForm.MatchString(rest) {
			f = rest
		}
	}
	return &f
}

var sharpS = strings.NewReplacer("ß", "ss")

// fold applies NFKD, drops combining marks (unicode.Mn), lower-cases, maps ß
// to ss and recomposes to NFC. Lower-casing can produce characters that
// decompose again (and NFKD can produce upper-case letters, e.g. "ℌ" → "H"),
// so the steps repeat until nothing changes; in practice that is one round,
// or two for such characters. Letters without a decomposition keep their
// identity: "ø", "ł" and "æ" stay as they are.
func fold(s string) string {
	for range 4 {
		out := norm.NFKD.String(s)
		out = strings.Map(func(r rune) rune {
			if unicode.Is(unicode.Mn, r) {
				return -1
			}
			return unicode.ToLower(r)
		}, out)
		out = norm.NFC.String(sharpS.Replace(out))
		if out == s {
			break
		}
		s = out
	}
	return s
}

// trimTrailingPunct removes trailing white space, commas, dots and
// semicolons, unless nothing would be left (a name "." stays ".").
func trimTrailingPunct(s string) string {
	t := strings.TrimRightFunc(s, func(r rune) bool {
		return r == ',' || r == '.' || r == ';' || unicode.IsSpace(r)
	})
	if t == "" {
		return strings.TrimSpace(s)
	}
	return t
}

// letters builds a pattern for an abbreviation whose letters may be
// separated by a dot, a dot and a space, or a space: letters("gmbh")
// matches "gmbh", "g.m.b.h", "g. m. b. h" and "g m b h".
func letters(abbr string) string {
	var b strings.Builder
	for i, r := range abbr {
		if i > 0 {
			b.WriteString(`(?:\.\s?|\s)?`)
		}
		b.WriteString(regexp.QuoteMeta(string(r)))
	}
	return b.String()
}

// legalForm matches one legal form of DE, CH or AT after folding (lower
// case, no diacritics, ß → ss, single spaces, no trailing dot). Recognized:
//
//   - GmbH (G.m.b.H., Gmbh), gGmbH, mbH ("Betriebsgesellschaft mbH"),
//     Gesellschaft mit beschränkter Haftung
//   - AG (A.G.), Aktiengesellschaft
//   - UG, UG (haftungsbeschränkt)
//   - OHG, KG, KGaA
//   - e.K. (e. K., eK, e.Kfm., e.Kfr.), e.V. (e. V., eV), e.U. (Austria)
//   - SE, SA (S.A.), Sàrl (Sarl, S.à r.l., S.a.r.l.), Sagl (Ticino)
//   - GesmbH (Ges.m.b.H., Ges.mbH, Gesellschaft mbH, Gesellschaft m.b.H.)
//   - "<GmbH|AG|UG|SE|GesmbH> & Co. <KG|KGaA|OHG>", with "&", "+", "und" or
//     "u." and with or without dots and spaces ("GmbH&Co.KG", "GmbH & Co KG")
var legalForm = func() string {
	gmbh := `(?:g\.?\s?)?` + letters("gmbh")
	mbh := letters("mbh")
	gesmbh := `(?:ges(?:\.\s?|\s)?|gesellschaft\s?)` + mbh
	ug := letters("ug") + `(?:\s?\(?\s?haftungsbeschrankt\s?\)?)?`
	kg := letters("kg")
	kgaa := kg + `(?:\.\s?|\s)?` + letters("aa")
	base := `(?:` + gmbh + `|` + gesmbh + `|` + letters("ag") + `|` + ug + `|` + letters("se") + `)`
	co := `\.?\s?(?:&|\+|und|u\.?)\s?co\.?\s?(?:` + kgaa + `|` + kg + `|` + letters("ohg") + `)`
	forms := []string{
		base + co,
		gmbh, gesmbh, mbh,
		`gesellschaft mit beschrankter haftung`,
		`aktiengesellschaft`,
		letters("ag"), ug, letters("ohg"), kgaa, kg,
		`e(?:\.\s?|\s)?k(?:fm|fr|ffr|frau)?`,
		`e(?:\.\s?|\s)?v`,
		`e\.\s?u`,
		letters("se"), letters("sa"),
		`s(?:\.\s?|\s)?a(?:\.\s?|\s)?r(?:\.\s?|\s)?l`,
		letters("sagl"),
	}
	return `(?:` + strings.Join(forms, `|`) + `)\.?`
}()

var (
	// trailingLegalForm splits "<name><separator><legal form>"; the name
	// part is the shortest possible, so the longest legal form wins
	// ("x gmbh & co. kg" → "x", not "x gmbh & co.").
	trailingLegalForm = regexp.MustCompile(`^(.*?\S)[\s,]+` + legalForm + `$`)
	wholeLegalForm    = regexp.MustCompile(`^` + legalForm + `$`)
)
