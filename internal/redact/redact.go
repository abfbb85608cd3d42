package redact

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

const (
	// mask replaces the sensitive part of a value.
	mask = "***"
	// minPhoneDigits is the number of digits from which a digit run counts as
	// a phone number.
	minPhoneDigits = 7
)

// String returns s with every e-mail address and phone number masked:
// "anna@example.com" becomes "***@example.com" and "+49 30 1234567" becomes
// "***67". Strings without anything to mask are returned unchanged and
// without allocation. String is idempotent: String(String(s)) == String(s).
func String(s string) string {
	if !mayContainPII(s) {
		return s
	}
	return scan(s)
}

// Email masks a value that is known to be an e-mail address, keeping only
// what follows the last '@': "anna@example.com" becomes "***@example.com",
// also for addresses [String] would not recognise ("anna@localhost" becomes
// "***@localhost"). A non-empty value without '@' is masked completely.
func Email(addr string) string {
	if addr == "" {
		return ""
	}
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return mask + addr[i:]
	}
	return mask
}

// mayContainPII is the fast pre-check: only strings with an '@', a "%40" or
// at least minPhoneDigits digits are scanned.
func mayContainPII(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
			if digits >= minPhoneDigits {
				return true
			}
		case c == '@':
			return true
		case c == '%':
			if isEncodedAt(s, i) {
				return true
			}
		}
	}
	return false
}

// edit replaces s[start:end] with repl.
type edit struct {
	start, end int
	repl       string
}

// region is a byte range of s, [start, end).
type region struct{ start, end int }

func scan(s string) string {
	ps := scanners.Get().(*phoneScanner)
	defer ps.release()
	edits, emails := findEmails(s)
	pos := 0
	for _, r := range emails {
		edits = ps.find(s, pos, r.start, edits)
		pos = r.end
	}
	edits = ps.find(s, pos, len(s), edits)
	if len(edits) == 0 {
		return s
	}
	slices.SortFunc(edits, func(a, b edit) int { return a.start - b.start })

	var b strings.Builder
	b.Grow(len(s))
	pos = 0
	for _, e := range edits {
		b.WriteString(s[pos:e.start])
		b.WriteString(e.repl)
		pos = e.end
	}
	b.WriteString(s[pos:])
	return b.String()
}

// ---------------------------------------------------------------------------
// E-mail addresses

func isEncodedAt(s string, i int) bool {
	return i+2 < len(s) && s[i] == '%' && s[i+1] == '4' && s[i+2] == '0'
}

// isLocalRune reports whether r may be part of the local part of an address.
// The set is wider than what real addresses use, so that a partial local part
// never survives, but leaves out characters that usually delimit an address
// in log text ('=', '/', '?', '&', '|', '{', '}', '`', quotes, brackets, ...).
func isLocalRune(r rune) bool {
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
			return true
		}
		return strings.ContainsRune("._%+-'!#$*^~", r)
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func isDomainRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// findEmails returns the edits masking the local parts of all e-mail
// addresses in s, and the merged regions (local part through domain) that the
// phone scanner must leave alone.
func findEmails(s string) ([]edit, []region) {
	if strings.IndexByte(s, '@') < 0 && !strings.Contains(s, "%40") {
		return nil, nil
	}
	var (
		edits   []edit
		regions []region
		// A local part never reaches back past a previous '@' or "%40":
		// '@' is no local-part character anyway, and "%40" is an encoded
		// '@', even though its bytes are. This also keeps the scan linear.
		minLeft = 0
	)
	for i := 0; i < len(s); i++ {
		var atLen int
		switch {
		case s[i] == '@':
			atLen = 1
		case isEncodedAt(s, i):
			atLen = 3
		default:
			continue
		}
		ls, ds := i, i+atLen
		for ls > minLeft {
			r, size := utf8.DecodeLastRuneInString(s[:ls])
			if !isLocalRune(r) {
				break
			}
			ls -= size
		}
		minLeft = ds
		for ls < i && s[ls] == '\'' { // a quote opening the address is not part of it
			ls++
		}
		if ls == i {
			continue
		}
		de := domainEnd(s, ds)
		if de < 0 {
			continue
		}
		edits = append(edits, edit{ls, i, mask})
		if n := len(regions); n > 0 && ls <= regions[n-1].end {
			regions[n-1].end = max(regions[n-1].end, de)
		} else {
			regions = append(regions, region{ls, de})
		}
		i = ds - 1 // the domain may be the local part of a following address
	}
	return edits, regions
}

// domainEnd returns the end of the domain starting at s[ds:], or -1 if there
// is no plausible domain: at least two non-empty dot-separated labels, the
// last of which contains a letter.
func domainEnd(s string, ds int) int {
	j := ds
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		if r != '.' && !isDomainRune(r) {
			break
		}
		j += size
	}
	d := s[ds:j]
	if k := strings.Index(d, ".."); k >= 0 {
		d = d[:k]
	}
	if strings.HasPrefix(d, ".") {
		return -1
	}
	for {
		d = strings.TrimRight(d, ".-_")
		dot := strings.LastIndexByte(d, '.')
		if dot < 0 {
			return -1
		}
		if strings.IndexFunc(d[dot+1:], unicode.IsLetter) >= 0 {
			return ds + len(d)
		}
		d = d[:dot]
	}
}

// ---------------------------------------------------------------------------
// Phone numbers

// group is a run of ASCII digits, s[start:end].
type group struct{ start, end int }

func (g group) len() int { return g.end - g.start }

// phoneScanner holds scratch space for one scan.
type phoneScanner struct {
	groups []group
	seps   []string // seps[i] joins groups[i] and groups[i+1]
	keep   []bool   // groups that are not part of a phone number

}

// scanners recycles scratch space, so that scanning strings without
// personal data does not allocate.
var scanners = sync.Pool{New: func() any { return new(phoneScanner) }}

// release returns ps to the pool unless it grew large, without keeping
// references to the scanned string.
func (ps *phoneScanner) release() {
	if cap(ps.groups) > 256 || cap(ps.seps) > 256 || cap(ps.keep) > 256 {
		return
	}
	clear(ps.seps[:cap(ps.seps)])
	scanners.Put(ps)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isPhoneSep(c byte) bool {
	switch c {
	case ' ', '-', '/', '.', '(', ')':
		return true
	}
	return false
}

// isWordRune reports whether r glues digits to a word: digits next to such a
// rune belong to an identifier, hash, duration or the like.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// find appends edits for the phone numbers that lie completely within
// s[lo:hi]. Characters outside that range are only looked at as context.
func (ps *phoneScanner) find(s string, lo, hi int, edits []edit) []edit {
	for i := lo; i < hi; {
		cs, digits, ok := ps.parse(s, i, hi)
		if !ok {
			i++
			continue
		}
		if digits >= minPhoneDigits {
			edits = ps.evaluate(s, cs, hi, edits)
		}
		i = ps.groups[len(ps.groups)-1].end
	}
	return edits
}

// parse reads a candidate starting at s[i]: an optional "+" or "%2B", an
// optional "(", then digit groups joined by separator runs of at most three
// characters containing at most one of '-', '/', '.'. It returns the start
// of the candidate and its number of digits; the groups are left in ps.
func (ps *phoneScanner) parse(s string, i, hi int) (start, digits int, ok bool) {
	j := i
	switch {
	case s[j] == '+':
		j++
	case s[j] == '%' && j+2 < hi && s[j+1] == '2' && (s[j+2] == 'B' || s[j+2] == 'b'):
		j += 3
	}
	if j < hi && s[j] == '(' {
		j++
	}
	if j >= hi || !isDigit(s[j]) {
		return 0, 0, false
	}
	ps.groups, ps.seps = ps.groups[:0], ps.seps[:0]
	for {
		k := j
		for k < hi && isDigit(s[k]) {
			k++
		}
		ps.groups = append(ps.groups, group{j, k})
		digits += k - j
		p, punct := k, 0
		for p < hi && p-k < 3 && isPhoneSep(s[p]) {
			if c := s[p]; c == '-' || c == '/' || c == '.' {
				punct++
			}
			p++
		}
		if p == k || p >= hi || !isDigit(s[p]) || punct > 1 {
			break
		}
		ps.seps = append(ps.seps, s[k:p])
		j = p
	}
	// An opening parenthesis without a closing one inside the candidate is
	// punctuation around it, not part of it: "(0301234567)" -> "(***67)".
	if s[i] == '(' && !strings.Contains(s[i:ps.groups[len(ps.groups)-1].end], ")") {
		i++
	}
	return i, digits, true
}

// evaluate marks the groups of the parsed candidate that are not part of a
// phone number and appends an edit for every remaining run of groups with
// enough digits. Text at or after hi (the local part of an e-mail address,
// which masking changes) is not looked at, so that String is idempotent.
func (ps *phoneScanner) evaluate(s string, cs, hi int, edits []edit) []edit {
	g, seps := ps.groups, ps.seps
	n := len(g)
	end := g[n-1].end
	ps.keep = slices.Grow(ps.keep[:0], n)[:n]
	keep := ps.keep
	clear(keep)
	mark := func(from, to int) {
		for k := from; k < to; k++ {
			keep[k] = true
		}
	}

	// Tokens are the parts of the candidate not separated by spaces.
	firstTokEnd, lastTokStart := n, 0
	for k := 1; k < n; k++ {
		if strings.IndexByte(seps[k-1], ' ') >= 0 {
			firstTokEnd = k
			break
		}
	}
	for k := n - 1; k >= 1; k-- {
		if strings.IndexByte(seps[k-1], ' ') >= 0 {
			lastTokStart = k
			break
		}
	}

	// Glued to a word (hex ids, hashes, durations, "T" in timestamps,
	// "order-12345678"), to an '@' (a domain) or to "***" (already masked).
	if s[cs] != '(' && gluedBefore(s, cs) {
		mark(0, firstTokEnd)
	}
	if gluedAfter(s[:hi], end) {
		mark(lastTokStart, n)
	}

	// Times of day: the hour in "20:00", the seconds and their fraction in
	// "00:00.123456". ("12:***" counts as a time too: what follows the colon
	// may itself have been masked, and String must be idempotent.)
	if end+1 < hi && s[end] == ':' && (isDigit(s[end+1]) || s[end+1] == '*') && g[n-1].len() <= 2 {
		keep[n-1] = true
	}
	if cs == g[0].start && cs >= 2 && s[cs-1] == ':' && isDigit(s[cs-2]) && g[0].len() <= 2 {
		keep[0] = true
		if n > 1 && seps[0] == "." {
			keep[1] = true
		}
	}

	for k := 0; k+2 < n; k++ {
		if isDate(s, g[k:k+3], seps[k:k+2]) {
			mark(k, k+3)
		}
	}
	for k := 0; k+3 < n; k++ {
		if isIPv4(s, g, seps, k) {
			mark(k, k+4)
			if k+4 < n && seps[k+3] == "/" && g[k+4].len() <= 2 && atoi(s, g[k+4]) <= 32 {
				keep[k+4] = true
			}
		}
	}
	for k := 0; k+4 < n; k++ {
		if isUUID(g[k:k+5], seps[k:k+4]) {
			mark(k, k+5)
		}
	}

	for a := 0; a < n; {
		if keep[a] {
			a++
			continue
		}
		b, digits := a, 0
		for b < n && !keep[b] {
			digits += g[b].len()
			b++
		}
		decimal := b-a == 2 && seps[a] == "."
		if digits >= minPhoneDigits && !decimal {
			start := g[a].start
			if a == 0 {
				start = cs
			}
			edits = append(edits, edit{start, g[b-1].end, mask + lastDigits(s, g[a:b], 2)})
		}
		a = b
	}
	return edits
}

func gluedBefore(s string, cs int) bool {
	if cs == 0 {
		return false
	}
	r, size := utf8.DecodeLastRuneInString(s[:cs])
	switch {
	case isWordRune(r), r == '*', r == '@':
		return true
	case r == '-' && size < cs:
		r2, _ := utf8.DecodeLastRuneInString(s[:cs-size])
		return isWordRune(r2)
	}
	return false
}

func gluedAfter(s string, end int) bool {
	if end >= len(s) {
		return false
	}
	r, size := utf8.DecodeRuneInString(s[end:])
	switch {
	case isWordRune(r):
		return true
	case r == '-' && end+size < len(s):
		r2, _ := utf8.DecodeRuneInString(s[end+size:])
		return isWordRune(r2)
	}
	return false
}

// atoi parses a group of at most 9 digits.
func atoi(s string, g group) int {
	if g.len() > 9 {
		return 1 << 30
	}
	v := 0
	for _, c := range []byte(s[g.start:g.end]) {
		v = v*10 + int(c-'0')
	}
	return v
}

// isDate recognises YYYY-MM-DD and DD.MM.YYYY / MM/DD/YYYY (any of '-', '/',
// '.' used consistently).
func isDate(s string, g []group, seps []string) bool {
	if len(seps[0]) != 1 || seps[0] != seps[1] || !strings.Contains("-/.", seps[0]) {
		return false
	}
	l0, l1, l2 := g[0].len(), g[1].len(), g[2].len()
	v0, v1, v2 := atoi(s, g[0]), atoi(s, g[1]), atoi(s, g[2])
	isYear := func(v int) bool { return 1900 <= v && v <= 2199 }
	isDay := func(v int) bool { return 1 <= v && v <= 31 }
	isMonth := func(v int) bool { return 1 <= v && v <= 12 }
	switch {
	case l0 == 4 && l1 <= 2 && l2 <= 2:
		return isYear(v0) && isMonth(v1) && isDay(v2)
	case l0 <= 2 && l1 <= 2 && l2 == 4:
		return isYear(v2) && isDay(v0) && isDay(v1) && (isMonth(v0) || isMonth(v1))
	}
	return false
}

// isIPv4 recognises four dot-separated octets (no leading zeros, so that
// dotted phone numbers like "044.668.18.00" are not mistaken for addresses)
// that are not part of a longer dotted chain.
func isIPv4(s string, g []group, seps []string, k int) bool {
	if k > 0 && seps[k-1] == "." || k+4 < len(g) && seps[k+3] == "." {
		return false
	}
	for i := k; i < k+4; i++ {
		if i > k && seps[i-1] != "." {
			return false
		}
		if l := g[i].len(); l > 3 || l > 1 && s[g[i].start] == '0' || atoi(s, g[i]) > 255 {
			return false
		}
	}
	return true
}

// isUUID recognises all-digit UUIDs (8-4-4-4-12); UUIDs with hex letters are
// already left alone because their digits are glued to letters.
func isUUID(g []group, seps []string) bool {
	want := [5]int{8, 4, 4, 4, 12}
	for i := range want {
		if g[i].len() != want[i] || i < 4 && seps[i] != "-" {
			return false
		}
	}
	return true
}

// lastDigits returns the last n digits of the groups.
func lastDigits(s string, g []group, n int) string {
	var buf [8]byte
	out := buf[:0]
	for i := len(g) - 1; i >= 0 && len(out) < n; i-- {
		for j := g[i].end - 1; j >= g[i].start && len(out) < n; j-- {
			out = append(out, s[j])
		}
	}
	slices.Reverse(out)
	return string(out)
}
