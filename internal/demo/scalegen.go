package demo

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/freshplan/leads/internal/normalize"
)

// leadRow is one generated lead; empty strings and zero times are NULL.
type leadRow struct {
	id                                                      [16]byte
	version                                                 int32
	company, contact, email, phone, website, street, postal string
	city, country, territory, businessType, source, status  string
	owner                                                   string
	collaborators                                           []string
	consent, blocked                                        bool
	registered, lastActivity, lastFollowUp                  time.Time
	followUps                                               int32
	t3, t7, reminder, grace, expired, clockStopped, updated time.Time
	deleted                                                 time.Time
	stopReason, emailN, companyN, phoneN, domainN           string
	createdBy, updatedBy, overrideReason                    string
	firstWordGeneric, nearDuplicate                         bool // for the tests
}

// activityRow is one generated activity.
type activityRow struct {
	id, lead               [16]byte
	typ, description, user string
	outcome                string
	occurred               time.Time
	meaningful             bool
}

// generator turns a plan into rows. It is safe for concurrent use: every
// lead draws from random streams of its own.
type generator struct {
	seed      uint64
	plan      *plan
	asOf      time.Time
	users     []territoryUsers // as plan.territories
	locations []*time.Location
}

// territoryUsers are the seeded users of one territory.
type territoryUsers struct {
	reps     []string
	repCum   []float64 // cumulative owner weights of reps
	managers []string
	bench    string
}

// The salts of each lead's random streams: the name stream alone decides
// the company name, so a near-duplicate can rebuild its original's name.
const (
	saltLead = 0x6c656164 // "lead"
	saltName = 0x6e616d65 // "name"
)

// mix spreads lead numbers over the seed space (SplitMix64's finalizer).
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// rngs holds a worker's reusable random streams.
type rngs struct {
	leadSrc, nameSrc rand.PCG
	lead, name       *rand.Rand
}

func newRNGs() *rngs {
	r := &rngs{}
	r.lead, r.name = rand.New(&r.leadSrc), rand.New(&r.nameSrc)
	return r
}

func (r *rngs) seedName(seed uint64, i int) *rand.Rand {
	r.nameSrc.Seed(seed^saltName, mix(uint64(i)))
	return r.name
}

// lead generates lead i and appends its activities to acts.
func (g *generator) lead(i int, r *rngs, out *leadRow, acts []activityRow) []activityRow {
	p := g.plan
	r.leadSrc.Seed(g.seed^saltLead, mix(uint64(i)))
	rng := r.lead
	ti := p.terr[i]
	terr := p.territories[ti]
	users := &g.users[ti]
	c := cityTable[terr][p.city[i]]
	reg := time.UnixMicro(p.reg[i]).UTC()

	*out = leadRow{territory: terr, country: terr, registered: reg, status: statusNames[p.status[i]]}
	out.id = uuidV7(reg, rng)

	// The name, from the name stream; a near-duplicate changes its original's.
	var name companyName
	if j := p.dupOf[i]; j >= 0 {
		name = g.name(int(j), r)
		name = nearDuplicate(rng, name, terr)
		out.nearDuplicate = true
		out.overrideReason = duplicateReasons[rng.IntN(len(duplicateReasons))]
	} else {
		name = g.name(i, r)
	}
	out.company = name.String()
	out.firstWordGeneric = startsGeneric(out.company)

	first, last := firstNames[rng.IntN(len(firstNames))], surnames[rng.IntN(len(surnames))]
	if rng.IntN(10) > 0 {
		out.contact = first + " " + last
		if rng.IntN(50) == 0 {
			out.contact = "Dr. " + out.contact
		}
	}
	if rng.IntN(200) > 0 {
		out.city = c.name
		if rng.IntN(20) > 0 {
			out.postal = postalCode(terr, c, rng.Uint64())
		}
		if rng.IntN(12) > 0 {
			out.street = street(rng, terr)
		}
	}
	out.businessType = name.businessType(rng)
	out.source = pick(rng, sources)

	// Contact data: unique per territory by construction (the lead number
	// is in the e-mail domain, the phone number is numbered per area code).
	domain := slug(name.core, 40) + "-" + strconv.FormatUint(uint64(i)+1, 36) + "." + pick(rng, tlds[terr])
	if rng.IntN(100) < 88 {
		out.email = g.email(rng, i, terr, name, first, last, domain)
		out.consent = rng.IntN(100) < 65
	}
	if rng.IntN(100) < 82 {
		out.phone = g.phone(rng, i, terr, c)
	}
	if rng.IntN(100) < 45 {
		out.website = website(rng, domain)
	}
	out.blocked = rng.IntN(200) < 3

	// Owner, creator, collaborators.
	switch {
	case p.bench[i] == benchOwned:
		out.owner = users.bench
	case rng.IntN(50) == 0:
		out.owner = users.managers[rng.IntN(len(users.managers))]
	default:
		out.owner = users.rep(rng)
	}
	out.createdBy = out.owner
	if rng.IntN(10) == 0 {
		out.createdBy = users.managers[rng.IntN(len(users.managers))]
	}
	out.collaborators = g.collaborators(rng, users, out.owner, p.bench[i] == benchCollaborating)

	acts = g.timeline(rng, i, out, acts)

	// Derived fields, exactly as the service derives them (lead.normalizeLead).
	var emailN *string
	if out.email != "" {
		emailN = normalize.Email(out.email, false)
	}
	out.emailN = deref(emailN)
	out.companyN = deref(normalize.CompanyName(out.company))
	if out.phone != "" {
		// An invalid number is stored as typed with phone_e164 NULL, as the
		// service stores it.
		e164, _ := normalize.Phone(out.phone, terr)
		out.phoneN = deref(e164)
	}
	var site *string
	if out.website != "" {
		site = &out.website
	}
	out.domainN = deref(normalize.WebsiteDomain(site, emailN))
	return acts
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// rep picks the owner among the territory's reps, some of whom own many
// more leads than others.
func (u *territoryUsers) rep(rng *rand.Rand) string {
	x := rng.Float64() * u.repCum[len(u.repCum)-1]
	lo, hi := 0, len(u.repCum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if u.repCum[m] < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return u.reps[lo]
}

// collaborators: none for most leads, up to three reps otherwise; the
// bench user only on the leads the plan gave it.
func (g *generator) collaborators(rng *rand.Rand, u *territoryUsers, owner string, bench bool) []string {
	want := pick(rng, collaboratorCounts)
	out := make([]string, 0, want+1)
	if bench {
		out = append(out, u.bench)
		want = min(want, 2) + 1
	}
	for tries := 0; len(out) < want && tries < 20; tries++ {
		c := u.reps[rng.IntN(len(u.reps))]
		if c != owner && !contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// collaboratorCounts: most leads have none, some up to three.
var collaboratorCounts = []weighted[int]{{0, 72}, {1, 18}, {2, 7}, {3, 3}}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

var sources = []weighted[string]{{"WEB_FORMULAR", 35}, {"MESSE", 20}, {"TELEFON", 15}, {"EMPFEHLUNG", 15}, {"PARTNER", 10}, {"SONSTIGES", 5}}

// companyName is a generated company name: core words, the business word
// it contains (if any) and a legal form.
type companyName struct {
	core, business, legal string
}

var genericWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range BusinessWords {
		m[strings.ToLower(w)] = true
	}
	return m
}()

// startsGeneric reports whether the name's first word is a business word.
func startsGeneric(name string) bool {
	first, _, _ := strings.Cut(name, " ")
	return genericWords[strings.ToLower(first)]
}

func (n companyName) String() string {
	if n.legal == "" {
		return n.core
	}
	return n.core + " " + n.legal
}

func (n companyName) businessType(rng *rand.Rand) string {
	if rng.IntN(25) == 0 {
		return ""
	}
	if n.business != "" {
		if t, ok := businessType[n.business]; ok {
			return t
		}
		return "RESTAURANT"
	}
	return pick(rng, []weighted[string]{{"RESTAURANT", 45}, {"HOTEL", 20}, {"CATERING", 10}, {"KANTINE", 8}, {"LEH", 5},
		{"GROSSHANDEL", 3}, {"GESUNDHEIT", 3}, {"BILDUNG", 2}, {"SONSTIGES", 4}})
}

// name builds lead i's original company name from its name stream. The
// patterns and their weights keep the name space large (names of two
// proper parts are common), so that in a city of 80,000 leads few names
// repeat by chance, and about one name in five starts with a business word.
func (g *generator) name(i int, r *rngs) companyName {
	rng := r.seedName(g.seed, i)
	terr := g.plan.territories[g.plan.terr[i]]
	biz := BusinessWords[rng.IntN(len(BusinessWords))]
	sur := allSurnames[rng.IntN(len(allSurnames))]
	first := firstNames[rng.IntN(len(firstNames))]
	place := allPlaces[rng.IntN(len(allPlaces))]
	n := companyName{business: biz}
	switch k := rng.IntN(1000); {
	case k < 60: // "Bäckerei Huber"
		n.core = biz + " " + sur
	case k < 120: // "Hotel Lindenhof"
		n.core = biz + " " + place
	case k < 160: // "Gasthaus Goldener Hirsch"
		n.core = biz + " " + innNominative(rng)
	case k < 175: // "Café Anna"
		n.core = biz + " " + first
	case k < 180: // "Restaurant am See"
		n.core = biz + " " + landmarks[rng.IntN(len(landmarks))]
	case k < 200: // "Café Huber am Markt"
		n.core = biz + " " + sur + " " + landmarks[rng.IntN(len(landmarks))]
	case k < 260: // "Huber Catering"
		n.core = sur + " " + biz
	case k < 460: // "Peter Huber Catering"
		n.core = first + " " + sur + " " + biz
	case k < 465: // "Zum Goldenen Hirschen"
		n = companyName{core: innDative(rng)}
	case k < 515: // "Alpenblick Hotel"
		n.core = place + " " + biz
	case k < 530: // "Annas Café"
		n.core = genitive(first) + " " + biz
	case k < 780: // "Brandt & Söhne", "Huber & Kern Feinkost"
		other := allSurnames[rng.IntN(len(allSurnames))]
		if rng.IntN(5) == 0 {
			other = []string{"Söhne", "Partner", "Töchter"}[rng.IntN(3)]
		}
		n.core = sur + " & " + other
		if rng.IntN(2) == 0 {
			n.core += " " + biz
		} else {
			n.business = ""
		}
	case k < 930: // "Sonnenhof Huber"
		n = companyName{core: place + " " + sur}
	case k < 980: // "Goldener Hirsch Kern"
		n = companyName{core: innNominative(rng) + " " + sur}
	case k < 985: // "Sonnenhof", "Goldener Hirsch"
		n = companyName{core: []string{place, innNominative(rng)}[rng.IntN(2)]}
	default: // "Gastro Huber", "Huber Gastronomie"
		n = companyName{core: []string{"Gastro " + sur, sur + " Gastronomie", sur + " Gastro Service", "Küche " + sur}[rng.IntN(4)]}
	}
	if rng.IntN(100) < 30 {
		n.legal = pick(rng, legalForms[terr])
	}
	return n
}

func innNominative(rng *rand.Rand) string {
	n := innNouns[rng.IntN(len(innNouns))]
	adj := innAdjectives[rng.IntN(len(innAdjectives))]
	if rng.IntN(4) == 0 {
		return n.nom
	}
	return adj + map[string]string{"m": "er", "f": "e", "n": "es"}[n.gender] + " " + n.nom
}

func innDative(rng *rand.Rand) string {
	n := innNouns[rng.IntN(len(innNouns))]
	art := "Zum "
	if n.gender == "f" {
		art = "Zur "
	}
	if rng.IntN(3) == 0 {
		return art + n.dat
	}
	return art + innAdjectives[rng.IntN(len(innAdjectives))] + "en " + n.dat
}

func genitive(first string) string {
	if strings.HasSuffix(first, "s") || strings.HasSuffix(first, "z") || strings.HasSuffix(first, "x") {
		return first + "'"
	}
	return first + "s"
}

// nearDuplicate changes a name a little, as a second rep typing the same
// customer would: another legal form, a typo, umlauts written out, other
// case or spacing.
func nearDuplicate(rng *rand.Rand, n companyName, terr string) companyName {
	switch rng.IntN(5) {
	case 0:
		if n.legal == "" || rng.IntN(2) == 0 {
			n.legal = pick(rng, legalForms[terr])
		} else {
			n.legal = ""
		}
	case 1:
		if t, ok := typo(rng, n.core); ok {
			n.core = t
		} else {
			n.core = strings.ToUpper(n.core)
		}
	case 2:
		if t := transliterate(n.core); t != n.core {
			n.core = t
		} else if t, ok := typo(rng, n.core); ok {
			n.core = t
		} else {
			n.core = strings.ToLower(n.core)
		}
	case 3:
		if rng.IntN(2) == 0 {
			n.core = strings.ToUpper(n.core)
		} else {
			n.core = strings.ToLower(n.core)
		}
	default:
		if strings.Contains(n.core, " & ") {
			n.core = strings.Replace(n.core, " & ", " und ", 1)
		} else {
			n.core = strings.Replace(n.core, " ", "  ", 1) + "."
		}
	}
	return n
}

// typo swaps, drops or doubles a letter inside the longest word, when
// the name is long enough to stay recognisable (trigram similarity 0.7).
func typo(rng *rand.Rand, s string) (string, bool) {
	if utf8.RuneCountInString(s) < 12 {
		return s, false
	}
	words := strings.Split(s, " ")
	w := 0
	for k := range words {
		if utf8.RuneCountInString(words[k]) > utf8.RuneCountInString(words[w]) {
			w = k
		}
	}
	rs := []rune(words[w])
	if len(rs) < 6 {
		return s, false
	}
	k := 1 + rng.IntN(len(rs)-3) // never the first or last letter
	switch rng.IntN(3) {
	case 0:
		rs[k], rs[k+1] = rs[k+1], rs[k]
	case 1:
		rs = append(rs[:k], rs[k+1:]...)
	default:
		rs = append(rs[:k+1], rs[k:]...)
	}
	words[w] = string(rs)
	return strings.Join(words, " "), true
}

var umlauts = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "Ä", "Ae", "Ö", "Oe", "Ü", "Ue", "ß", "ss")

func transliterate(s string) string { return umlauts.Replace(s) }

// slug makes a domain label of a name: "Bäckerei Zur Linde" → "baeckerei-zur-linde".
func slug(s string, maxLen int) string {
	s = strings.ToLower(transliterate(s))
	var b strings.Builder
	dash := false
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case r < utf8.RuneSelf:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		default:
			if a, ok := ascii[r]; ok {
				b.WriteString(a)
				dash = false
			} else if unicode.IsLetter(r) && !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
		if b.Len() >= maxLen {
			break
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		return "firma"
	}
	return out
}

var ascii = map[rune]string{'é': "e", 'è': "e", 'ê': "e", 'à': "a", 'á': "a", 'ç': "c", 'ñ': "n", 'í': "i", 'ó': "o",
	'ı': "i", 'ş': "s", 'ğ': "g", 'č': "c", 'ć': "c", 'ś': "s", 'ń': "n", 'ł': "l"}

func street(rng *rand.Rand, terr string) string {
	suffix := streetSuffixes[rng.IntN(len(streetSuffixes))]
	if terr == "CH" {
		suffix = strings.ReplaceAll(suffix, "ß", "ss")
	}
	no := strconv.Itoa(1 + rng.IntN(120))
	if rng.IntN(15) == 0 {
		no += string(rune('a' + rng.IntN(4)))
	}
	return streetStems[rng.IntN(len(streetStems))] + suffix + " " + no
}

// email builds an address on the company's domain, or at a free-mail
// provider with the lead number in the local part; both are unique per lead.
func (g *generator) email(rng *rand.Rand, i int, terr string, n companyName, first, last, domain string) string {
	if rng.IntN(100) < 9 {
		providers := freemail[terr]
		return slug(n.core, 24) + "." + strconv.FormatUint(uint64(i)+1, 36) + "@" + providers[rng.IntN(len(providers))]
	}
	local := []string{"info", "info", "info", "kontakt", "office", "hallo", "reservierung", "service", "einkauf", "kueche",
		slug(first, 20) + "." + slug(last, 20), slug(first, 1) + "." + slug(last, 20)}[rng.IntN(12)]
	e := local + "@" + domain
	if rng.IntN(10) == 0 { // typed with capitals: normalization lower-cases it
		e = strings.ToUpper(e[:1]) + e[1:]
	}
	return e
}

func website(rng *rand.Rand, domain string) string {
	return []string{"https://www.", "https://www.", "https://", "http://www."}[rng.IntN(4)] + domain +
		[]string{"", "", "", "/", "/kontakt", "/speisekarte"}[rng.IntN(6)]
}

// phone writes the lead's number as people type it. Fixed-line numbers
// are numbered per area code (plan.areaSeq), mobile numbers per territory
// (plan.terrSeq): distinct sequence numbers give distinct subscriber
// numbers of one length per prefix, and no prefix is a prefix of another,
// so the E.164 numbers are unique per territory. Subscriber numbers start
// with 2-4 or 6-9: never 0, 1 or 5 (the demo data's 555 numbers).
func (g *generator) phone(rng *rand.Rand, i int, terr string, c city) string {
	if rng.IntN(300) == 0 {
		// A mobile number missing its digits: stored as typed, phone_e164 NULL.
		return "0" + mobilePrefixes[terr][0].prefix + " 12"
	}
	cc := countryCallingCode[terr]
	if rng.IntN(100) < 30 {
		mp := mobilePrefixes[terr]
		seq := int(g.plan.terrSeq[i])
		m := mp[seq%len(mp)]
		sub, ok := subscriber(seq/len(mp), m.digits)
		if ok {
			return format(rng, cc, m.prefix, sub)
		}
	}
	sub, ok := subscriber(int(g.plan.areaSeq[i]), subscriberDigits(terr, c.areaCode))
	if !ok {
		return ""
	}
	return format(rng, cc, c.areaCode, sub)
}

// subscriberDigits: national numbers of 10 digits in DE, 9 in CH; in AT
// Vienna has 7-digit subscriber numbers and the rest 9 digits in all.
func subscriberDigits(terr, area string) int {
	switch terr {
	case "DE":
		return 10 - len(area)
	case "CH":
		return 9 - len(area)
	}
	if area == "1" {
		return 7
	}
	return 9 - len(area)
}

var subscriberFirst = [...]byte{'2', '3', '4', '6', '7', '8', '9'}

// subscriber maps seq one-to-one onto digits-long numbers; the
// multiplication scatters consecutive leads over the number range.
func subscriber(seq, digits int) (string, bool) {
	span := int(math.Pow10(digits - 1))
	size := len(subscriberFirst) * span
	if seq >= size {
		return "", false
	}
	// 1000003 is prime and larger than 7, so coprime with size = 7·10^k.
	v := int((uint64(seq) * 1000003) % uint64(size))
	s := strconv.Itoa(span + v%span)[1:] // zero-padded to digits-1
	return string(subscriberFirst[v/span]) + s, true
}

func format(rng *rand.Rand, cc, prefix, sub string) string {
	switch rng.IntN(8) {
	case 0, 1, 2:
		return "0" + prefix + " " + groups(sub)
	case 3:
		return "0" + prefix + "/" + sub
	case 4:
		return "+" + cc + " " + prefix + " " + groups(sub)
	case 5:
		return "+" + cc + " (0)" + prefix + " " + sub
	case 6:
		return "00" + cc + " " + prefix + " " + sub
	default:
		return "0" + prefix + "-" + sub
	}
}

// groups writes "2123456" as "212 34 56".
func groups(s string) string {
	if len(s) < 6 {
		return s
	}
	return s[:len(s)-4] + " " + s[len(s)-4:len(s)-2] + " " + s[len(s)-2:]
}

// uuidV7 is the lead id the service would have minted at t (RFC 9562
// version 7: milliseconds, then random bits from the lead's stream).
func uuidV7(t time.Time, rng *rand.Rand) [16]byte {
	var u [16]byte
	ms := uint64(t.UnixMilli())
	for k := range 6 {
		u[k] = byte(ms >> (40 - 8*k))
	}
	a, b := rng.Uint64(), rng.Uint64()
	for k := range 8 {
		u[8+k] = byte(b >> (8 * k))
	}
	u[6], u[7] = byte(a), byte(a>>8)
	u[6] = 0x70 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	return u
}

// uuidV4 is a random id, as the service gives activities.
func uuidV4(rng *rand.Rand) [16]byte {
	var u [16]byte
	a, b := rng.Uint64(), rng.Uint64()
	for k := range 8 {
		u[k], u[8+k] = byte(a>>(8*k)), byte(b>>(8*k))
	}
	u[6] = 0x40 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	return u
}
