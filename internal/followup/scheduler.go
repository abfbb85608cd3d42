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

// Begin is the scheduler's part in a command: a create schedules the
// follow-ups, a backdating moves those that have not run.
func (s *Scheduler) Begin(_ context.Context, _ pgx.Tx, command string) (lead.TxStep, error) {
	switch command {
	case lead.CommandCreate:
		return scheduleStep{s.Schedule}, nil
	case lead.CommandBackdate:
		return scheduleStep{s.Reschedule}, nil
	}
	return nil, nil
}

type scheduleStep struct {
	run func(ctx context.Context, tx pgx.Tx, l *lead.Lead) error
}

func (st scheduleStep) Done(ctx context.Context, tx pgx.Tx, result any) error {
	l, ok := result.(*lead.Lead)
	if !ok {
		return fmt.Errorf("followup: command returned %T", result)
	}
	return st.run(ctx, tx, l)
}

// Failed: a command that failed changed no lead, so nothing moves.
func (scheduleStep) Failed(context.Context, pgx.Tx, error) error { return nil }

// Schedule inserts l's follow-up records and their River jobs in tx, due
// as DueAt says in the territory's time zone. Scheduling again changes
// nothing: records and jobs are unique per lead and follow-up.
func (s *Scheduler) Schedule(ctx context.Context, tx pgx.Tx, l *lead.Lead) error {
	loc, err := s.location(l)
	if err != nil {
		return err
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

// Reschedule moves l's follow-ups that have not run to the due times of
// its registration date: each one's job is cancelled and a new one
// inserted (River has no call that moves a job; a cancelled job no longer
// holds its uniqueness). A due time in the past runs at once; follow-ups
// already sent or skipped stay as they are.
func (s *Scheduler) Reschedule(ctx context.Context, tx pgx.Tx, l *lead.Lead) error {
	loc, err := s.location(l)
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT kind, due_at, job_id FROM follow_up WHERE lead_id = $1 AND state = 'SCHEDULED'
		ORDER BY kind FOR UPDATE`, l.ID)
	if err != nil {
		return fmt.Errorf("followup: reschedule: %w", err)
	}
	type pending struct {
		kind  Kind
		due   time.Time
		jobID *int64
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pending, error) {
		var p pending
		err := r.Scan(&p.kind, &p.due, &p.jobID)
		return p, err
	})
	if err != nil {
		return fmt.Errorf("followup: reschedule: %w", err)
	}
	for _, p := range list {
		due := DueAt(p.kind, l.RegisteredAt, loc)
		if due.Equal(p.due) {
			continue
		}
		if p.jobID != nil {
			if _, err := s.river.JobCancelTx(ctx, tx, *p.jobID); err != nil {
				return fmt.Errorf("followup: cancel job %d: %w", *p.jobID, err)
			}
		}
		job, err := s.river.InsertTx(ctx, tx, JobArgs{LeadID: l.ID, FollowUp: p.kind}, &river.InsertOpts{ScheduledAt: due})
		if err != nil {
			return fmt.Errorf("followup: reschedule: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE follow_up SET due_at = $3, job_id = $4 WHERE lead_id = $1 AND kind = $2`,
			l.ID, string(p.kind), due, job.Job.ID); err != nil {
			return fmt.Errorf("followup: reschedule: %w", err)
		}
	}
	return nil
}

// location is the time zone of l's territory.
func (s *Scheduler) location(l *lead.Lead) (*time.Location, error) {
	loc, err := s.territories.Location(l.Territory)
	if err != nil {
		return nil, fmt.Errorf("followup: %w", err)
	}
	return loc, nil
}
