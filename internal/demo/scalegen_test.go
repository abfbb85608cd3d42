package demo

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/normalize"
)

var testAsOf = time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)

// generate plans and generates n leads and acts activities in memory.
func generate(t testing.TB, n, acts int, seed uint64, shares map[string]float64) (*generator, []leadRow, []activityRow) {
	t.Helper()
	opts, sh, err := ScaleOptions{Leads: n, Activities: acts, Seed: seed, Shares: shares, AsOf: testAsOf}.withDefaults()
	require.NoError(t, err)
	g, _, err := newGenerator(opts, sh)
	require.NoError(t, err)
	leads := make([]leadRow, n)
	var all []activityRow
	r := newRNGs()
	for i := range n {
		all = g.lead(i, r, &leads[i], all)
	}
	return g, leads, all
}

// TestScaleShape checks, without a database, what the generator promises:
// exact counts, unique contact keys per territory, valid phone numbers,
// normalized columns as the service computes them, statuses that agree
// with their dates and activities.
func TestScaleShape(t *testing.T) {
	const n, m = 3000, 15000
	g, leads, acts := generate(t, n, m, 7, nil)
	require.Len(t, acts, m)

	perTerr := map[string]int{}
	emails, phones := map[string]bool{}, map[string]bool{}
	invalidPhones, generic, dups, noCollaborators := 0, 0, 0, 0
	lastMeaningful := map[[16]byte]time.Time{}
	actCount := map[[16]byte]int{}
	for _, a := range acts {
		require.Equal(t, lead.IsMeaningful(a.typ), a.meaningful, a.typ)
		require.Contains(t, lead.UserActivityTypes, a.typ)
		if a.meaningful && a.occurred.After(lastMeaningful[a.lead]) {
			lastMeaningful[a.lead] = a.occurred
		}
		actCount[a.lead]++
	}
	for i := range leads {
		l := &leads[i]
		perTerr[l.territory]++
		// Normalized exactly as lead.normalizeLead does.
		require.Equal(t, deref(normalize.CompanyName(l.company)), l.companyN)
		if l.email != "" {
			require.Equal(t, deref(normalize.Email(l.email, false)), l.emailN)
			key := l.territory + l.emailN
			require.False(t, emails[key], "e-mail %s twice", l.emailN)
			emails[key] = true
		}
		if l.phone != "" {
			e164, ok := normalize.Phone(l.phone, l.territory)
			require.Equal(t, deref(e164), l.phoneN, l.phone)
			if ok {
				key := l.territory + l.phoneN
				require.False(t, phones[key], "phone %s (%s) twice", l.phoneN, l.phone)
				phones[key] = true
			} else {
				invalidPhones++
			}
		}
		if l.website != "" {
			require.Equal(t, deref(normalize.WebsiteDomain(&l.website, nil)), l.domainN)
		} else if l.email != "" {
			require.Equal(t, deref(normalize.WebsiteDomain(nil, &l.emailN)), l.domainN)
		}
		if l.firstWordGeneric {
			generic++
		}
		if len(l.collaborators) == 0 {
			noCollaborators++
		}
		require.NotContains(t, l.collaborators, l.owner)
		if l.nearDuplicate {
			dups++
		}
		// last_activity_at is the latest meaningful activity.
		require.Equal(t, lastMeaningful[l.id], l.lastActivity, "lead %d", i)
		require.Equal(t, int(g.plan.acts[i]), actCount[l.id])
		requireConsistentStatus(t, l, g.asOf)
	}
	require.Equal(t, map[string]int{"DE": 1800, "CH": 600, "AT": 600}, perTerr)
	require.InDelta(t, 0.72, float64(noCollaborators)/n, 0.04, "most leads have no collaborator")
	require.Less(t, invalidPhones, n/100, "a few numbers are typed wrong, no more")
	require.InDelta(t, 0.20, float64(generic)/n, 0.03, "generic words start about one name in five")
	require.InDelta(t, 0.01, float64(dups)/n, 0.003)
	require.Equal(t, generic, genericFirstWords(leads), "the marker agrees with the words")
}

// genericFirstWords counts the names whose first word is a business word.
func genericFirstWords(leads []leadRow) int {
	words := map[string]bool{}
	for _, w := range BusinessWords {
		words[strings.ToLower(w)] = true
	}
	n := 0
	for _, l := range leads {
		first, _, _ := strings.Cut(l.company, " ")
		if words[strings.ToLower(first)] {
			n++
		}
	}
	return n
}

func requireConsistentStatus(t *testing.T, l *leadRow, now time.Time) {
	t.Helper()
	age := now.Sub(l.registered)
	base := l.registered
	if !l.lastActivity.IsZero() {
		base = l.lastActivity
	}
	open := l.status == "REGISTERED" || l.status == "ACTIVE" || l.status == "REMINDER" || l.status == "GRACE_PERIOD"
	if open && l.clockStopped.IsZero() {
		require.Less(t, age, protection, "an open lead within protection")
	}
	switch l.status {
	case "REGISTERED", "ACTIVE":
		if l.clockStopped.IsZero() {
			require.Less(t, now.Sub(base), remindAfter, "contact within 60 days: %+v", l)
		}
	case "REMINDER":
		require.Equal(t, base.Add(remindAfter), l.reminder)
		require.True(t, now.Sub(base) >= remindAfter && now.Sub(base) < graceAfter)
	case "GRACE_PERIOD":
		require.Equal(t, base.Add(graceAfter), l.grace)
		require.True(t, now.Sub(base) >= graceAfter && now.Sub(base) < expireAfter)
	case "EXPIRED":
		require.False(t, l.expired.After(now))
		require.Equal(t, earlier(l.registered.Add(protection), base.Add(expireAfter)), l.expired)
	case "DELETED":
		require.False(t, l.deleted.IsZero())
	}
	if l.status != "DELETED" {
		require.True(t, l.deleted.IsZero())
	}
	require.False(t, l.updated.Before(l.registered))
	require.False(t, l.updated.After(now))
}

// TestScaleDeterministic: the same seed gives the same rows; another seed
// other rows.
func TestScaleDeterministic(t *testing.T) {
	_, a, actsA := generate(t, 500, 2000, 42, nil)
	_, b, actsB := generate(t, 500, 2000, 42, nil)
	_, c, _ := generate(t, 500, 2000, 43, nil)
	require.Equal(t, a, b)
	require.Equal(t, actsA, actsB)
	require.NotEqual(t, a[10].company, c[10].company)
}

func TestParseShares(t *testing.T) {
	got, err := ParseShares("DE=0.4")
	require.NoError(t, err)
	require.InDelta(t, 0.4, got["DE"], 1e-9)
	require.InDelta(t, 0.3, got["CH"], 1e-9)
	require.InDelta(t, 0.3, got["AT"], 1e-9)
	got, err = ParseShares("de=40%, CH=0.5")
	require.NoError(t, err)
	require.InDelta(t, 0.1, got["AT"], 1e-9)
	for _, bad := range []string{"XX=0.1", "DE", "DE=1.5", "DE=-1", "DE=0.6,CH=0.6", "DE=0.1,DE=0.2", "DE=x", "DE=1,CH=0,AT=0.5"} {
		_, err := ParseShares(bad)
		require.Error(t, err, bad)
	}
	got, err = ParseShares("DE=1")
	require.NoError(t, err)
	require.Zero(t, got["CH"])

	_, leads, _ := generate(t, 1000, 0, 1, map[string]float64{"DE": 0.4, "CH": 0.3, "AT": 0.3})
	de := 0
	for _, l := range leads {
		if l.territory == "DE" {
			de++
		}
	}
	require.Equal(t, 400, de)
}

func TestBenchShare(t *testing.T) {
	for n, want := range map[int][2]int{400_000: {1000, 100}, 10_000: {1000, 100}, 1200: {120, 12}, 5: {0, 0}} {
		owned, collab := benchShare(n)
		require.Equal(t, want, [2]int{owned, collab}, n)
	}
}

// BenchmarkScaleLead: the cost of generating one lead with five
// activities, normalization included.
func BenchmarkScaleLead(b *testing.B) {
	opts, sh, err := ScaleOptions{Leads: 100_000, Activities: 500_000, Seed: 1, AsOf: testAsOf}.withDefaults()
	require.NoError(b, err)
	g, _, err := newGenerator(opts, sh)
	require.NoError(b, err)
	r := newRNGs()
	var l leadRow
	acts := make([]activityRow, 0, 1024)
	b.ResetTimer()
	for i := range b.N {
		acts = g.lead(i%100_000, r, &l, acts[:0])
	}
}

// TestPhoneNumbering: a number of every city and every mobile prefix is
// valid and normalizes to country code, prefix and subscriber number; no
// prefix is the start of another prefix's numbers, so numbers of distinct
// prefixes or sequence numbers never meet.
func TestPhoneNumbering(t *testing.T) {
	rng := newRNGs().lead
	for terr, list := range cityTable {
		type prefix struct {
			digits string
			length int // of the national number
		}
		var prefixes []prefix
		seen := map[string]bool{}
		for _, c := range list {
			digits := subscriberDigits(terr, c.areaCode)
			for _, seq := range []int{0, 1, 999, 7*pow10(digits-1) - 1} {
				sub, ok := subscriber(seq, digits)
				require.True(t, ok)
				raw := format(rng, countryCallingCode[terr], c.areaCode, sub)
				e164, ok := normalize.Phone(raw, terr)
				require.True(t, ok, "%s %s: %s", terr, c.name, raw)
				require.Equal(t, "+"+countryCallingCode[terr]+c.areaCode+sub, *e164, raw)
			}
			if !seen[c.areaCode] {
				seen[c.areaCode] = true
				prefixes = append(prefixes, prefix{c.areaCode, len(c.areaCode) + digits})
			}
		}
		for _, m := range mobilePrefixes[terr] {
			sub, _ := subscriber(12345, m.digits)
			e164, ok := normalize.Phone("0"+m.prefix+" "+sub, terr)
			require.True(t, ok, "%s mobile %s", terr, m.prefix)
			require.Equal(t, "+"+countryCallingCode[terr]+m.prefix+sub, *e164)
			prefixes = append(prefixes, prefix{m.prefix, len(m.prefix) + m.digits})
		}
		for _, a := range prefixes {
			for _, b := range prefixes {
				if a != b && a.length == b.length {
					require.False(t, strings.HasPrefix(b.digits, a.digits), "%s: %s is a prefix of %s", terr, a.digits, b.digits)
				}
			}
		}
		_, ok := normalize.Phone("0"+mobilePrefixes[terr][0].prefix+" 12", terr)
		require.False(t, ok, "the deliberately short number is invalid in %s", terr)
	}
}

func pow10(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}

// TestCityShares: big cities hold many leads, but no territory is one city.
func TestCityShares(t *testing.T) {
	opts, sh, err := ScaleOptions{Leads: 20000, Seed: 5, AsOf: testAsOf}.withDefaults()
	require.NoError(t, err)
	g, _, err := newGenerator(opts, sh)
	require.NoError(t, err)
	perCity := map[string]int{}
	perTerr := map[string]int{}
	for i := range g.plan.n {
		terr := g.plan.territories[g.plan.terr[i]]
		perCity[terr+"/"+cityTable[terr][g.plan.city[i]].name]++
		perTerr[terr]++
	}
	for _, c := range []struct {
		city     string
		min, max float64
	}{{"DE/Berlin", 0.05, 0.12}, {"DE/Weimar", 0.0005, 0.01}, {"CH/Zürich", 0.10, 0.25}, {"AT/Wien", 0.20, 0.40}} {
		share := float64(perCity[c.city]) / float64(perTerr[c.city[:2]])
		require.True(t, share >= c.min && share <= c.max, "%s holds %.3f of its territory", c.city, share)
	}
}
