package protection

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/territory"
)

// BatchSize is how many leads a run reads per query.
const BatchSize = 5000

// RunAfterMidnight is when the daily run starts, after midnight in the
// territories' time zones: deadlines fall at the start of a local day.
const RunAfterMidnight = 5 * time.Minute

// JobArgs is the daily run's job.
type JobArgs struct{}

// Kind is the job's kind in River.
func (JobArgs) Kind() string { return "lead_protection" }

// Worker runs the protection walk.
type Worker struct {
	river.WorkerDefaults[JobArgs]
	leads  *lead.Service
	notify lead.ProtectionNotifier
	log    *slog.Logger
}

// NewWorker returns the worker of the daily run.
func NewWorker(leads *lead.Service, n *Notifier, log *slog.Logger) *Worker {
	return &Worker{leads: leads, notify: n.Notify, log: log}
}

// Timeout lets a run take its time: at a million leads a first run over
// old data moves many leads (River's default is one minute).
func (w *Worker) Timeout(*river.Job[JobArgs]) time.Duration { return time.Hour }

// Work walks every lead once.
func (w *Worker) Work(ctx context.Context, _ *river.Job[JobArgs]) error {
	res, err := w.leads.Protect(ctx, BatchSize, w.notify)
	w.log.InfoContext(ctx, "lead protection", "scanned", res.Scanned, "reminders", res.Reminders,
		"grace_periods", res.GracePeriod, "expired", res.Expired, "duration_ms", res.Duration.Milliseconds())
	return err
}

// PeriodicJob is the daily run: inserted by River's elected leader shortly
// after midnight in each territory's zone, and once when a leader starts,
// so a day missed while no replica ran is caught up.
func PeriodicJob(territories *territory.Registry) *river.PeriodicJob {
	return river.NewPeriodicJob(Daily(territories, RunAfterMidnight),
		func() (river.JobArgs, *river.InsertOpts) { return JobArgs{}, nil },
		&river.PeriodicJobOpts{ID: JobArgs{}.Kind(), RunOnStart: true})
}

// Schedule is a time of day in several zones.
type Schedule struct {
	zones []*time.Location
	at    time.Duration // after local midnight
}

// Daily is the schedule at `at` after midnight in each territory's zone.
func Daily(territories *territory.Registry, at time.Duration) Schedule {
	s := Schedule{at: at}
	seen := map[string]bool{}
	for _, t := range territories.All() {
		loc, err := t.Location()
		if err != nil || seen[loc.String()] {
			continue
		}
		seen[loc.String()] = true
		s.zones = append(s.zones, loc)
	}
	if len(s.zones) == 0 {
		s.zones = []*time.Location{time.UTC}
	}
	return s
}

// Next is the first time after t that is `at` past midnight in one of the
// zones.
func (s Schedule) Next(t time.Time) time.Time {
	var next time.Time
	for _, loc := range s.zones {
		y, m, d := t.In(loc).Date()
		n := time.Date(y, m, d, 0, 0, 0, 0, loc).Add(s.at)
		for !n.After(t) {
			d++
			n = time.Date(y, m, d, 0, 0, 0, 0, loc).Add(s.at)
		}
		if next.IsZero() || n.Before(next) {
			next = n
		}
	}
	return next
}
