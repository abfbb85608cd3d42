package demo

import (
	"math/rand/v2"
	"strings"
	"time"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/lead"
)

// activityTypes are the types users record (lead.UserActivityTypes), by
// how often reps record them: about 70 % are meaningful contacts.
var activityTypes = []weighted[string]{{"CALL", 22}, {"EMAIL", 18}, {"MEETING", 7}, {"QUALIFIED_CALL", 6},
	{"SAMPLE_SENT", 6}, {"DEMO", 4}, {"ROI_PRESENTATION", 1}, {"ORDER", 1}, {"NOTE", 16}, {"FOLLOW_UP", 9},
	{"SAMPLE_FEEDBACK", 4}}

var meaningfulTypes = []weighted[string]{{"CALL", 40}, {"EMAIL", 25}, {"MEETING", 15}, {"QUALIFIED_CALL", 10},
	{"SAMPLE_SENT", 6}, {"DEMO", 4}}

// systemUser is who the protection automation and the follow-ups act as.
var systemUser = auth.System().UserID

// timeline dates the lead's life so that it agrees with its status and
// with what the service and its automation would have written (SPEC §2,
// §6): the status timestamps, the activities (the latest meaningful one
// is last_activity_at), the T+3/T+7 follow-up fields, updated_at and
// version. It appends the lead's activities to acts.
func (g *generator) timeline(rng *rand.Rand, i int, out *leadRow, acts []activityRow) []activityRow {
	now := g.asOf
	reg := out.registered
	age := now.Sub(reg)
	st := g.plan.status[i]
	n := int(g.plan.acts[i])
	lo, hi := reg, now
	var winLo, winHi time.Time // where the latest meaningful contact must lie
	var statusAt, order time.Time
	eligibleUntil := now // follow-ups go out while the lead is open
	steps := int32(0)
	actor := out.owner
	switch st {
	case stRegistered, stActive:
		if age >= remindAfter && n > 0 {
			winLo, winHi = later(reg, now.Add(-remindAfter)), now
		}
		if st == stActive {
			statusAt, steps = between(rng, reg, earlier(now, reg.Add(14*day))), 1
		}
	case stReminder:
		if n > 0 {
			winLo, winHi = later(reg, now.Add(-graceAfter)), now.Add(-remindAfter)
		}
	case stGracePeriod:
		if n > 0 {
			winLo, winHi = later(reg, now.Add(-expireAfter)), now.Add(-graceAfter)
		}
	case stExpired:
		if age >= protection {
			hi = reg.Add(protection)
		} else {
			hi = now.Add(-expireAfter)
		}
	case stQualified, stConverted:
		q := between(rng, reg, earlier(now, reg.Add(protection)))
		statusAt, steps, eligibleUntil = q, 1, q
		if st == stConverted {
			statusAt, steps = between(rng, q, now), 2
			order = statusAt
		}
	case stLost:
		hi = between(rng, reg, earlier(now, reg.Add(protection)))
		statusAt, steps, eligibleUntil = hi, 1, hi
	case stDeleted:
		hi = between(rng, reg, now)
		statusAt, steps, eligibleUntil = hi, 1, hi
		out.deleted = hi
		actor = g.users[g.plan.terr[i]].managers[rng.IntN(len(g.users[g.plan.terr[i]].managers))]
	case stActiveStopped:
		hi = between(rng, reg, reg.Add(min(55*day, age)))
		out.clockStopped, out.stopReason = hi, stopReasons[rng.IntN(len(stopReasons))]
		statusAt, steps, eligibleUntil = hi, 2, hi
		actor = g.users[g.plan.terr[i]].managers[rng.IntN(len(g.users[g.plan.terr[i]].managers))]
	}

	start := len(acts)
	for range n {
		typ := pick(rng, activityTypes)
		acts = append(acts, activityRow{typ: typ, occurred: workTime(rng, lo, hi), meaningful: lead.IsMeaningful(typ)})
	}
	mine := acts[start:]
	if len(mine) > 0 && (!winLo.IsZero() || !order.IsZero()) {
		// The first activity is the latest meaningful contact; no other
		// meaningful one comes after it.
		first := &mine[0]
		first.meaningful = true
		if order.IsZero() {
			first.typ, first.occurred = pick(rng, meaningfulTypes), workTime(rng, winLo, winHi)
		} else {
			first.typ, first.occurred = "ORDER", order
		}
		for k := 1; k < len(mine); k++ {
			if mine[k].meaningful && mine[k].occurred.After(first.occurred) {
				mine[k].occurred = workTime(rng, lo, first.occurred)
			}
		}
	}
	var last time.Time // latest meaningful contact
	for _, a := range mine {
		if a.meaningful && a.occurred.After(last) {
			last = a.occurred
		}
	}
	out.lastActivity = last

	// The automation's timestamps count from the latest meaningful contact,
	// else from the registration.
	base := reg
	if !last.IsZero() {
		base = last
	}
	switch st {
	case stReminder:
		out.reminder = base.Add(remindAfter)
		statusAt, steps, actor = out.reminder, 1, systemUser
	case stGracePeriod:
		out.reminder, out.grace = base.Add(remindAfter), base.Add(graceAfter)
		statusAt, steps, actor = out.grace, 2, systemUser
	case stExpired:
		e := earlier(reg.Add(protection), base.Add(expireAfter))
		for k := range mine {
			if mine[k].occurred.After(e) {
				mine[k].occurred = workTime(rng, reg, e)
			}
		}
		if r := base.Add(remindAfter); r.Before(e) {
			out.reminder, steps = r, steps+1
		}
		if gp := base.Add(graceAfter); gp.Before(e) {
			out.grace, steps = gp, steps+1
		}
		out.expired, eligibleUntil = e, e
		statusAt, steps, actor = e, steps+1, systemUser
	}

	g.describe(rng, out, mine)
	g.followUps(out, mine, eligibleUntil)

	// updated_at and updated_by are those of the last write to the row.
	out.updated, out.updatedBy = reg, out.createdBy
	touch := func(t time.Time, by string) {
		if t.After(out.updated) {
			out.updated, out.updatedBy = t, by
		}
	}
	for _, a := range mine {
		touch(a.occurred, a.user)
	}
	touch(out.lastFollowUp, systemUser)
	touch(statusAt, actor)
	if st == stDeleted {
		// A delete is the last write to a lead (deleted_at is generated
		// from updated_at).
		out.updated, out.updatedBy = out.deleted, actor
	}
	out.version = 1 + int32(n) + steps + out.followUps
	if len(out.collaborators) > 0 {
		out.version++
	}
	return acts
}

// describe fills the activities' ids, texts and user (the owner).
func (g *generator) describe(rng *rand.Rand, out *leadRow, acts []activityRow) {
	who := out.contact
	if who == "" {
		who = []string{"dem Inhaber", "der Küchenchefin", "dem Küchenchef", "der Einkaufsleitung"}[rng.IntN(4)]
	}
	for k := range acts {
		a := &acts[k]
		a.id, a.lead, a.user = uuidV4(rng), out.id, out.owner
		texts := activityTexts[a.typ]
		a.description = strings.Replace(texts[rng.IntN(len(texts))], "%s", who, 1)
		if a.typ != "NOTE" && a.typ != "FOLLOW_UP" && rng.IntN(10) < 3 {
			a.outcome = outcomes[rng.IntN(len(outcomes))]
		}
	}
}

// followUps records the T+3 and T+7 follow-ups the service would have
// sent (SPEC §6): due 3 and 7 days after registration at 09:00 in the
// territory's time zone (Monday for a weekend), sent when the lead has an
// e-mail address, consent, no block, was still open when due, and had no
// meaningful contact in the 3 (7) days before.
func (g *generator) followUps(out *leadRow, acts []activityRow, eligibleUntil time.Time) {
	if out.email == "" || !out.consent || out.blocked {
		return
	}
	for _, f := range []struct {
		days int
		sent *time.Time
	}{{3, &out.t3}, {7, &out.t7}} {
		due := g.dueAt(out.territory, out.registered, f.days)
		sent := due.Add(time.Duration(out.registered.UnixMicro()%90) * time.Second) // the job ran a little after due
		if sent.After(g.asOf) || !due.Before(eligibleUntil) || contactBefore(acts, due, time.Duration(f.days)*day) {
			continue
		}
		*f.sent = sent
		out.followUps++
		out.lastFollowUp = *f.sent
	}
}

// dueAt is registration + days at 09:00 in the territory's time zone,
// moved from a weekend to Monday.
func (g *generator) dueAt(territory string, reg time.Time, days int) time.Time {
	loc := g.locations[g.plan.index(territory)]
	local := reg.In(loc)
	due := time.Date(local.Year(), local.Month(), local.Day()+days, 9, 0, 0, 0, loc)
	switch due.Weekday() {
	case time.Saturday:
		due = due.AddDate(0, 0, 2)
	case time.Sunday:
		due = due.AddDate(0, 0, 1)
	}
	return due.UTC()
}

func contactBefore(acts []activityRow, due time.Time, window time.Duration) bool {
	from := due.Add(-window)
	for _, a := range acts {
		if a.meaningful && !a.occurred.Before(from) && a.occurred.Before(due) {
			return true
		}
	}
	return false
}

// between returns a time in [a, b], to the microsecond.
func between(rng *rand.Rand, a, b time.Time) time.Time {
	d := b.Sub(a).Microseconds()
	if d <= 0 {
		return a
	}
	return a.Add(time.Duration(rng.Int64N(d+1)) * time.Microsecond)
}

// workTime returns a time in [a, b] in working hours (06:00 to 18:00 UTC,
// 07:00 to 20:00 in Central Europe) when the range allows, as reps
// record their calls and visits.
func workTime(rng *rand.Rand, a, b time.Time) time.Time {
	t := between(rng, a, b)
	midnight := t.Truncate(day)
	w := midnight.Add(6*time.Hour + time.Duration(rng.Int64N(int64(12*time.Hour/time.Microsecond)))*time.Microsecond)
	if w.Before(a) || w.After(b) {
		return t
	}
	return w
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// index returns the position of territory in p.territories.
func (p *plan) index(territory string) int {
	for k, t := range p.territories {
		if t == territory {
			return k
		}
	}
	return 0
}
