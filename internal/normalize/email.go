package normalize

import "strings"

// Email returns the normalized e-mail address: surrounding white space
// trimmed, lower-cased. Blank input returns nil. The address is not
// validated here; that is the input validation's job.
//
// Plus-tags ("anna+messe@example.de") are kept unless stripPlusTag is set
// (the configuration switch of SPEC §3); then everything from the first "+"
// up to the last "@" is removed: "anna+messe@example.de" → "anna@example.de".
// A local part that would become empty ("+tag@example.de") and a quoted
// local part ("\"a+b\"@example.de") are left as they are.
func Email(s string, stripPlusTag bool) *string {
	e := strings.ToLower(strings.TrimSpace(s))
	if e == "" {
		return nil
	}
	if stripPlusTag && !strings.HasPrefix(e, `"`) {
		if at := strings.LastIndexByte(e, '@'); at > 0 {
			if plus := strings.IndexByte(e[:at], '+'); plus > 0 {
				e = e[:plus] + e[at:]
			}
		}
	}
	return &e
}
