package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"
)

// The statuses the plan gives a lead. stActiveStopped is an ACTIVE lead
// whose clock was stopped: the only kind of ACTIVE lead older than the
// six-month protection (SPEC §2) that the automation has not expired.
const (
	stRegistered uint8 = iota
	stActive
	stReminder
	stGracePeriod
	stQualified
	stConverted
	stLost
	stExpired
	stDeleted
	stActiveStopped
)

var statusNames = [...]string{"REGISTERED", "ACTIVE", "REMINDER", "GRACE_PERIOD", "QUALIFIED", "CONVERTED", "LOST",
	"EXPIRED", "DELETED", "ACTIVE"}

// Benchmark roles of a lead for the territory's bench user.
const (
	benchNone uint8 = iota
	benchOwned
	benchCollaborating
)

const (
	day = 24 * time.Hour
	// history is how far back registrations go.
	history = 730 * day
	// protection is the six months after registration in which a lead
	// must reach QUALIFIED (SPEC §2), in days as the generator counts them.
	protection = 182 * day
	// The automation's deadlines: no meaningful contact for 60 days →
	// REMINDER, 10 more → GRACE_PERIOD, 10 more → EXPIRED.
	remindAfter = 60 * day
	graceAfter  = 70 * day
	expireAfter = 80 * day
	// growth shapes the registrations: more leads recently, as in a
	// growing business (55 % of them in the last six months).
	growth = 3.0
	// cityExponent flattens the population's skew for the leads' (see city).
	cityExponent = 0.8
	// dupShare is the share of near-duplicates.
	dupShare = 0.01
)

// plan is what must be decided across leads before any row is written:
// per-territory counts, the bench users' leads, near-duplicates,
// registration times, statuses consistent with them and an exact number
// of activities. Each lead's remaining fields come from its own random
// stream (generator.lead), so the rows do not depend on how the work is
// split across COPY streams.
type plan struct {
	n           int
	territories []string // sorted codes
	counts      []int    // leads per territory, as territories
	terr        []uint8  // territory index per lead
	reg         []int64  // registration, Unix microseconds, non-decreasing by day
	city        []uint16 // index into cityTable[territory]
	areaSeq     []int32  // sequence number among the leads of the same territory and area code
	terrSeq     []int32  // sequence number among the leads of the same territory
	status      []uint8
	acts        []int32 // activities per lead; they sum to the requested count
	bench       []uint8
	dupOf       []int32 // the lead this one nearly duplicates, or -1
	benchOwned  []int   // per territory
	benchCollab []int   // per territory
}

// benchShare returns how many leads the bench user of a territory with n
// leads owns and collaborates on: 1,000 and 100 from 10,000 leads on, a
// tenth and a hundredth below that.
func benchShare(n int) (owned, collab int) {
	owned = min(1000, n/10)
	return owned, owned / 10
}

func newPlan(opts ScaleOptions, shares map[string]float64) (*plan, error) {
	n := opts.Leads
	rng := rand.New(rand.NewPCG(opts.Seed, 0x706c616e)) // "plan"
	p := &plan{n: n}
	for t := range shares {
		p.territories = append(p.territories, t)
	}
	sort.Strings(p.territories)
	for _, t := range p.territories {
		if len(cityTable[t]) == 0 {
			return nil, fmt.Errorf("demo: no cities for territory %s", t)
		}
	}
	p.counts = splitCounts(n, p.territories, shares)
	p.terr = make([]uint8, 0, n)
	for ti, c := range p.counts {
		for range c {
			p.terr = append(p.terr, uint8(ti))
		}
	}
	rng.Shuffle(n, func(i, j int) { p.terr[i], p.terr[j] = p.terr[j], p.terr[i] })

	p.registrations(rng, opts.AsOf)
	p.duplicates(rng)
	p.places(rng)
	p.statuses(rng, opts.AsOf)
	p.activities(rng, opts.Activities, opts.AsOf)
	p.benchLeads(rng)
	return p, nil
}

// splitCounts divides n by the shares, largest remainder first, so the
// counts add up to n exactly.
func splitCounts(n int, territories []string, shares map[string]float64) []int {
	counts := make([]int, len(territories))
	type rem struct {
		i int
		r float64
	}
	var rems []rem
	left := n
	for i, t := range territories {
		exact := shares[t] * float64(n)
		counts[i] = int(math.Floor(exact))
		left -= counts[i]
		rems = append(rems, rem{i, exact - float64(counts[i])})
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; left > 0; k++ {
		counts[rems[k%len(rems)].i]++
		left--
	}
	return counts
}

// registrations spreads the leads over the last two years, more of them
// recently, on working days mostly, in business hours; lead i registers
// no earlier in the day's order than lead i-1.
func (p *plan) registrations(rng *rand.Rand, asOf time.Time) {
	p.reg = make([]int64, p.n)
	start := asOf.Add(-history)
	days := int(history / day)
	for i := range p.n {
		x := (float64(i) + 0.5) / float64(p.n)
		s := math.Log1p(x*math.Expm1(growth)) / growth
		d := min(int(s*float64(days)), days-1)
		t := start.Add(time.Duration(d) * day)
		switch t.Weekday() {
		case time.Saturday:
			if rng.IntN(5) > 0 {
				t = t.Add(-day)
			}
		case time.Sunday:
			if rng.IntN(5) > 0 && t.Add(day).Before(asOf) {
				t = t.Add(day)
			}
		}
		// 07:00 to 19:00 in Central European time, give or take an hour.
		t = t.Add(6*time.Hour + time.Duration(rng.Int64N(int64(12*time.Hour))))
		if !t.Before(asOf) {
			t = asOf.Add(-time.Duration(1+rng.IntN(3600)) * time.Second)
		}
		p.reg[i] = t.UnixMicro()
	}
}

// duplicates picks dupShare of the leads as near-duplicates of an earlier
// lead of the same territory that is no duplicate itself.
func (p *plan) duplicates(rng *rand.Rand) {
	p.dupOf = make([]int32, p.n)
	for i := range p.dupOf {
		p.dupOf[i] = -1
	}
	want := int(math.Round(dupShare * float64(p.n)))
	seen := make([][]int32, len(p.territories))
	chosen := map[int]bool{}
	for len(chosen) < want && len(chosen) < p.n/2 {
		chosen[1+rng.IntN(max(1, p.n-1))] = true
	}
	for i := range p.n {
		t := p.terr[i]
		if chosen[i] && len(seen[t]) > 0 {
			j := seen[t][rng.IntN(len(seen[t]))]
			p.dupOf[i] = j
			continue
		}
		seen[t] = append(seen[t], int32(i))
	}
}

// places chooses each lead's city (a duplicate's is its original's) and
// numbers the leads per territory and per area code, which makes phone
// numbers unique.
func (p *plan) places(rng *rand.Rand) {
	p.city = make([]uint16, p.n)
	p.areaSeq = make([]int32, p.n)
	p.terrSeq = make([]int32, p.n)
	cum := make([][]float64, len(p.territories))
	for ti, t := range p.territories {
		total := 0.0
		for _, c := range cityTable[t] {
			total += math.Pow(float64(c.population), cityExponent)
			cum[ti] = append(cum[ti], total)
		}
	}
	terrSeq := make([]int32, len(p.territories))
	areaSeq := map[string]int32{}
	for i := range p.n {
		t := p.terr[i]
		if j := p.dupOf[i]; j >= 0 {
			p.city[i] = p.city[j]
		} else {
			c := cum[t]
			p.city[i] = uint16(sort.SearchFloat64s(c, rng.Float64()*c[len(c)-1]))
		}
		p.terrSeq[i] = terrSeq[t]
		terrSeq[t]++
		key := p.territories[t] + cityTable[p.territories[t]][p.city[i]].areaCode
		p.areaSeq[i] = areaSeq[key]
		areaSeq[key]++
	}
}

// statuses gives each lead a status that the protection automation would
// have left it in at asOf (SPEC §2): young leads are mostly REGISTERED or
// ACTIVE; leads older than the six-month protection have reached
// QUALIFIED, CONVERTED, LOST, EXPIRED or DELETED, or have a stopped clock.
func (p *plan) statuses(rng *rand.Rand, asOf time.Time) {
	young := []weighted[uint8]{{stRegistered, 45}, {stActive, 45}, {stQualified, 5}, {stLost, 3}, {stDeleted, 2}}
	middle := []weighted[uint8]{{stActive, 58}, {stRegistered, 12}, {stReminder, 7}, {stGracePeriod, 3}, {stQualified, 9},
		{stConverted, 4}, {stLost, 4}, {stExpired, 1}, {stDeleted, 2}}
	old := []weighted[uint8]{{stExpired, 30}, {stConverted, 22}, {stQualified, 14}, {stLost, 25}, {stDeleted, 5}, {stActiveStopped, 4}}
	p.status = make([]uint8, p.n)
	now := asOf.UnixMicro()
	for i := range p.n {
		age := time.Duration(now-p.reg[i]) * time.Microsecond
		switch {
		case age < remindAfter:
			p.status[i] = pick(rng, young)
		case age < protection:
			p.status[i] = pick(rng, middle)
		default:
			p.status[i] = pick(rng, old)
		}
		// EXPIRED needs 80 days without contact, or the end of protection;
		// GRACE_PERIOD 70.
		switch {
		case p.status[i] == stExpired && age < expireAfter:
			p.status[i] = stActive
		case p.status[i] == stGracePeriod && age < graceAfter:
			p.status[i] = stReminder
		}
	}
}

// activities distributes exactly total activities over the leads, skewed:
// a heavy tail (some leads have hundreds), more for converted and
// qualified leads and for older ones. Then a lead whose status needs a
// meaningful contact it did not get takes the status the automation would
// have given it.
func (p *plan) activities(rng *rand.Rand, total int, asOf time.Time) {
	factor := [...]float64{stRegistered: 0.5, stActive: 1.2, stReminder: 0.7, stGracePeriod: 0.6, stQualified: 2,
		stConverted: 3, stLost: 1, stExpired: 0.4, stDeleted: 0.3, stActiveStopped: 1}
	// Many leads are never worked at all: registered and left alone.
	untouched := [...]int{stRegistered: 45, stActive: 3, stReminder: 10, stGracePeriod: 10, stQualified: 2,
		stConverted: 0, stLost: 15, stExpired: 40, stDeleted: 30, stActiveStopped: 5}
	w := make([]float64, p.n)
	now := asOf.UnixMicro()
	sum := 0.0
	for i := range p.n {
		if rng.IntN(100) < untouched[p.status[i]] && !p.needsContact(i, asOf) {
			continue
		}
		age := float64(now-p.reg[i]) / float64(protection.Microseconds())
		pareto := min(50, math.Pow(1-rng.Float64(), -1/1.6))
		w[i] = factor[p.status[i]] * (0.2 + min(age, 1)) * pareto
		sum += w[i]
	}
	p.acts = make([]int32, p.n)
	placed := 0
	for i := range p.n {
		if sum == 0 {
			break
		}
		exact := float64(total) * w[i] / sum
		c := int32(exact)
		if rng.Float64() < exact-float64(c) {
			c++
		}
		p.acts[i] = c
		placed += int(c)
	}
	for placed < total && p.n > 0 {
		if i := rng.IntN(p.n); w[i] > 0 || sum == 0 {
			p.acts[i]++
			placed++
		}
	}
	for placed > total {
		if i := rng.IntN(p.n); p.acts[i] > 0 {
			p.acts[i]--
			placed--
		}
	}
	// A lead whose status needs a recent contact gets one, taken from a
	// lead with more, while the total allows.
	for i := range p.n {
		if p.acts[i] > 0 || !p.needsContact(i, asOf) {
			continue
		}
		for tries := 0; tries < 100; tries++ {
			if j := rng.IntN(p.n); p.acts[j] > 1 && !(p.acts[j] == 2 && p.needsContact(j, asOf)) {
				p.acts[j]--
				p.acts[i]++
				break
			}
		}
	}
	for i := range p.n {
		if p.acts[i] > 0 {
			continue
		}
		age := time.Duration(now-p.reg[i]) * time.Microsecond
		switch p.status[i] {
		case stRegistered, stActive, stReminder, stGracePeriod:
			p.status[i] = noContactStatus(age)
		}
	}
}

// needsContact reports whether lead i's status needs a meaningful contact
// in the last 60 days: REGISTERED or ACTIVE after the first 60 days.
func (p *plan) needsContact(i int, asOf time.Time) bool {
	age := time.Duration(asOf.UnixMicro()-p.reg[i]) * time.Microsecond
	st := p.status[i]
	return (st == stRegistered || st == stActive) && age >= remindAfter
}

// noContactStatus is where the automation leaves a lead without any
// meaningful contact at the given age.
func noContactStatus(age time.Duration) uint8 {
	switch {
	case age < remindAfter:
		return stRegistered
	case age < graceAfter:
		return stReminder
	case age < expireAfter:
		return stGracePeriod
	}
	return stExpired
}

// benchLeads picks, per territory, the leads the bench user owns and the
// ones it collaborates on, at random among the territory's leads.
func (p *plan) benchLeads(rng *rand.Rand) {
	p.bench = make([]uint8, p.n)
	byTerr := make([][]int32, len(p.territories))
	for i := range p.n {
		byTerr[p.terr[i]] = append(byTerr[p.terr[i]], int32(i))
	}
	p.benchOwned = make([]int, len(p.territories))
	p.benchCollab = make([]int, len(p.territories))
	for t, leads := range byTerr {
		owned, collab := benchShare(len(leads))
		leads = slices.Clone(leads)
		for k := range owned + collab {
			j := k + rng.IntN(len(leads)-k)
			leads[k], leads[j] = leads[j], leads[k]
		}
		for _, i := range leads[:owned] {
			p.bench[i] = benchOwned
		}
		for _, i := range leads[owned : owned+collab] {
			p.bench[i] = benchCollaborating
		}
		p.benchOwned[t], p.benchCollab[t] = owned, collab
	}
}

// weighted is a value with a relative weight.
type weighted[T any] struct {
	v T
	w int
}

func pick[T any](rng *rand.Rand, list []weighted[T]) T {
	total := 0
	for _, e := range list {
		total += e.w
	}
	n := rng.IntN(total)
	for _, e := range list {
		if n < e.w {
			return e.v
		}
		n -= e.w
	}
	return list[len(list)-1].v
}
