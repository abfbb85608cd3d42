// Package cockpit is the sales cockpit's lead widget (SPEC §7): aggregates
// kept by a shared event consumer, read per scope, cached per replica and
// invalidated by the events each replica receives.
package cockpit

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/freshplan/leads/internal/lead"
)

// Metrics of cockpit_count. Counts have no time (at is Go's zero time,
// 0001-01-01 UTC, before any bucket); the rest are time buckets.
const (
	metricStatus        = "status:"          // + status: leads per status, DELETED excluded
	metricClockStopped  = "clock_stopped"    // leads with a stopped clock
	metricProtectionEnd = "protection_end"   // at the instant a watched lead's protection ends
	metricPending       = "pending:"         // + T3/T7, at the instant it is due
	metricSent          = "sent:"            // + T3/T7, at the start of the local day it was sent
	metricConverted     = "converted:"       // + T3/T7: sent that day, now QUALIFIED or CONVERTED
	metricResponded     = "responded:"       // + T3/T7: sent that day, a meaningful contact within 7 days
	respondWithin       = 7 * 24 * time.Hour // SPEC §7's response window
)

// contribution is one metric a lead adds 1 to, at a bucket (or the zero
// time for a plain count).
type contribution struct {
	metric string
	at     time.Time
}

// String is the contribution as cockpit_lead keeps it.
func (c contribution) String() string {
	if c.at.IsZero() {
		return c.metric
	}
	return c.metric + "@" + c.at.UTC().Format(time.RFC3339Nano)
}

func parseContribution(s string) contribution {
	metric, at, ok := strings.Cut(s, "@")
	if !ok {
		return contribution{metric: s}
	}
	t, _ := time.Parse(time.RFC3339Nano, at)
	return contribution{metric: metric, at: t}
}

// snapshot is what the figures need of a lead, as it is now.
type snapshot struct {
	ID            uuid.UUID
	Status        lead.Status
	Territory     string
	Owner         string
	Collaborators []string
	ClockStopped  bool
	RegisteredAt  time.Time
	Paused        time.Duration
	Sent          map[string]time.Time // T3/T7 → when its mail was queued
	Due           map[string]time.Time // T3/T7 → when it falls due, while scheduled
	Responded     map[string]bool      // T3/T7 → a meaningful contact within 7 days of it
}

// users are the user units the lead counts in: its owner and collaborators.
func (s snapshot) users() []string {
	out := append([]string{s.Owner}, s.Collaborators...)
	slices.Sort(out)
	return slices.Compact(out)
}

var watched = []lead.Status{lead.StatusRegistered, lead.StatusActive, lead.StatusReminder, lead.StatusGracePeriod}

// contributions are the metrics the lead counts in now; loc is its
// territory's zone. A deleted lead counts in nothing.
func (s snapshot) contributions(loc *time.Location) []string {
	if s.Status == lead.StatusDeleted {
		return nil
	}
	out := []contribution{{metric: metricStatus + string(s.Status)}}
	if s.ClockStopped {
		out = append(out, contribution{metric: metricClockStopped})
	} else if slices.Contains(watched, s.Status) {
		l := lead.Lead{RegisteredAt: s.RegisteredAt, Paused: lead.Pause{Total: s.Paused}}
		out = append(out, contribution{metric: metricProtectionEnd, at: lead.ProtectionEnd(&l, loc).UTC()})
	}
	converted := s.Status == lead.StatusQualified || s.Status == lead.StatusConverted
	for _, k := range []string{"T3", "T7"} {
		if due, ok := s.Due[k]; ok {
			out = append(out, contribution{metric: metricPending + k, at: due.UTC()})
		}
		sent, ok := s.Sent[k]
		if !ok {
			continue
		}
		day := startOfDay(sent, loc)
		out = append(out, contribution{metric: metricSent + k, at: day})
		if converted {
			out = append(out, contribution{metric: metricConverted + k, at: day})
		}
		if s.Responded[k] {
			out = append(out, contribution{metric: metricResponded + k, at: day})
		}
	}
	strs := make([]string, len(out))
	for i, c := range out {
		strs[i] = c.String()
	}
	slices.Sort(strs)
	return strs
}

// startOfDay is the start of t's day in loc, in UTC.
func startOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc).UTC()
}

// key is one row of cockpit_count.
type key struct {
	territory, user, metric string
	at                      time.Time
}

// deltas are changes to cockpit_count rows.
type deltas map[key]int64

// add counts contributions of a lead in territory for the territory unit
// and each user unit, times sign.
func (d deltas) add(territory string, users, contributions []string, sign int64) {
	for _, s := range contributions {
		c := parseContribution(s)
		for _, u := range append([]string{""}, users...) {
			d[key{territory, u, c.metric, c.at}] += sign
		}
	}
}
