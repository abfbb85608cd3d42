package followup

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/territory"
)

// JobArgs is a follow-up's River job. The job is only the follow-up's
// timer; the follow_up row is the record of what happened.
type JobArgs struct {
	LeadID   uuid.UUID `json:"leadId"`
	FollowUp Kind      `json:"followUp"`
}

// Kind is River's name for the job.
func (JobArgs) Kind() string { return "followup" }

// InsertOpts makes one job per lead and follow-up: a second insert of the
// same arguments returns the first job.
func (JobArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Scheduler schedules a lead's follow-ups in the transaction that registers
// it: as a lead.TxHook, on every create.
type Scheduler struct {
	river       *river.Client[pgx.Tx]
	territories *territory.Registry
}

// NewScheduler returns a Scheduler that inserts jobs through client.
func NewScheduler(client *river.Client[pgx.Tx], territories *territory.Registry) *Scheduler {
	return &Scheduler{river: client, territories: territories}
}

// Begin is the scheduler's part in a command: only a create schedules.
func (s *Scheduler) Begin(_ context.Context, _ pgx.Tx, command string) (lead.TxStep, error) {
	if command != lead.CommandCreate {
		return nil, nil
	}
	return scheduleStep{s}, nil
}

type scheduleStep struct{ s *Scheduler }

func (st scheduleStep) Done(ctx context.Context, tx pgx.Tx, result any) error {
	l, ok := result.(*lead.Lead)
	if !ok {
		return fmt.Errorf("followup: create returned %T", result)
	}
	return st.s.Schedule(ctx, tx, l)
}

// Failed: a create that failed registered no lead, so nothing is due.
func (scheduleStep) Failed(context.Context, pgx.Tx, error) error { return nil }

// Schedule inserts l's follow-up records and their River jobs in tx, due
// as DueAt says in the territory's time zone. Scheduling again changes
// nothing: records and jobs are unique per lead and follow-up.
func (s *Scheduler) Schedule(ctx context.Context, tx pgx.Tx, l *lead.Lead) error {
	t, ok := s.territories.Get(l.Territory)
	if !ok {
		return fmt.Errorf("followup: unknown territory %q", l.Territory)
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return fmt.Errorf("followup: time zone of %s: %w", t.Code, err)
	}
	params := make([]river.InsertManyParams, len(Kinds))
	due := make([]time.Time, len(Kinds))
	for i, k := range Kinds {
		due[i] = DueAt(k, l.RegisteredAt, loc)
		params[i] = river.InsertManyParams{Args: JobArgs{LeadID: l.ID, FollowUp: k},
			InsertOpts: &river.InsertOpts{ScheduledAt: due[i]}}
	}
	jobs, err := s.river.InsertManyTx(ctx, tx, params)
	if err != nil {
		return fmt.Errorf("followup: schedule: %w", err)
	}
	b := &pgx.Batch{}
	for i, k := range Kinds {
		b.Queue(`INSERT INTO follow_up (lead_id, kind, territory, due_at, job_id) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (lead_id, kind) DO NOTHING`, l.ID, string(k), l.Territory, due[i], jobs[i].Job.ID)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("followup: record: %w", err)
	}
	return nil
}
