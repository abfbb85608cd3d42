package followup

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/postgres"
)

// SkipPassed records a follow-up whose time had passed before it was
// scheduled (leads that predate the automation: a deploy onto existing
// data, or seeded ones). It is never mailed late.
const SkipPassed Reason = "passed"

// BackfillResult counts what Backfill recorded.
type BackfillResult struct {
	Leads     int `json:"leads"`     // leads that got their records
	Scheduled int `json:"scheduled"` // follow-ups still due, with their jobs
	Sent      int `json:"sent"`      // follow-ups the lead's fields say were sent
	Passed    int `json:"passed"`    // follow-ups whose time had passed
}

// backfillLeadsSQL reads the next leads by primary key after $1. Which
// of them have records already is a second, indexed question
// (backfillDoneSQL): as one anti-join the planner hashed all of follow_up.
const backfillLeadsSQL = `SELECT l.id, l.territory, l.registered_at, l.t3_follow_up_sent_at, l.t7_follow_up_sent_at
	FROM leads l WHERE l.id > $1 ORDER BY l.id LIMIT $2`

const backfillDoneSQL = `SELECT DISTINCT lead_id FROM follow_up WHERE lead_id = ANY ($1)`

const backfillInsertSQL = `INSERT INTO follow_up (lead_id, kind, territory, due_at, state, reason, processed_at, job_id)
	SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[],
		$7::timestamptz[], $8::bigint[])
	ON CONFLICT (lead_id, kind) DO NOTHING`

// Backfill gives every lead without follow-up records its records, in
// batches by primary key, as the system: SENT where the lead's fields say
// the follow-up went out, SKIPPED as passed where its due time is before
// now, else SCHEDULED with its River job. A deploy onto existing leads runs
// it once, and `seed --leads` after loading; running it again finds
// nothing to do.
func (s *Scheduler) Backfill(ctx context.Context, pool *pgxpool.Pool, now time.Time, batch int) (BackfillResult, error) {
	var res BackfillResult
	after := uuid.Nil
	for {
		n := 0
		err := postgres.InTx(ctx, pool, auth.System(), func(tx pgx.Tx) error {
			var err error
			n, after, err = s.backfillBatch(ctx, tx, after, now, batch, &res)
			return err
		})
		if err != nil {
			return res, fmt.Errorf("followup: backfill: %w", err)
		}
		if n < batch {
			return res, nil
		}
	}
}

// backfillRows are the follow_up rows of a batch, column by column.
type backfillRows struct {
	lead                   []uuid.UUID
	kind, territory, state []string
	reason                 []*string
	due                    []time.Time
	processed              []*time.Time
	job                    []*int64
}

func (r *backfillRows) add(l *lead.Lead, k Kind, due time.Time, state string, reason *string, processed *time.Time) {
	r.lead, r.kind, r.territory, r.due = append(r.lead, l.ID), append(r.kind, string(k)), append(r.territory, l.Territory), append(r.due, due)
	r.state, r.reason, r.processed, r.job = append(r.state, state), append(r.reason, reason), append(r.processed, processed), append(r.job, nil)
}

func (s *Scheduler) backfillBatch(ctx context.Context, tx pgx.Tx, after uuid.UUID, now time.Time, batch int, res *BackfillResult) (int, uuid.UUID, error) {
	rows, err := tx.Query(ctx, backfillLeadsSQL, after, batch)
	if err != nil {
		return 0, after, err
	}
	leads, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (lead.Lead, error) {
		var l lead.Lead
		err := r.Scan(&l.ID, &l.Territory, &l.RegisteredAt, &l.T3FollowUpSentAt, &l.T7FollowUpSentAt)
		return l, err
	})
	if err != nil || len(leads) == 0 {
		return 0, after, err
	}
	read, last := len(leads), leads[len(leads)-1].ID
	if leads, err = withoutRecords(ctx, tx, leads); err != nil {
		return 0, after, err
	}
	var out backfillRows
	var params []river.InsertManyParams
	var pending []int // rows of out that wait for a job
	passed := string(SkipPassed)
	for i := range leads {
		l := &leads[i]
		loc, err := s.location(l)
		if err != nil {
			return 0, after, err
		}
		for _, k := range Kinds {
			due := DueAt(k, l.RegisteredAt, loc)
			sentAt := l.T3FollowUpSentAt
			if k == T7 {
				sentAt = l.T7FollowUpSentAt
			}
			switch {
			case sentAt != nil:
				out.add(l, k, due, "SENT", nil, sentAt)
				res.Sent++
			case !due.After(now):
				out.add(l, k, due, "SKIPPED", &passed, &now)
				res.Passed++
			default:
				out.add(l, k, due, "SCHEDULED", nil, nil)
				pending = append(pending, len(out.lead)-1)
				params = append(params, river.InsertManyParams{Args: JobArgs{LeadID: l.ID, FollowUp: k},
					InsertOpts: &river.InsertOpts{ScheduledAt: due}})
				res.Scheduled++
			}
		}
	}
	if len(params) > 0 {
		jobs, err := s.river.InsertManyTx(ctx, tx, params)
		if err != nil {
			return 0, after, err
		}
		for i, row := range pending {
			out.job[row] = &jobs[i].Job.ID
		}
	}
	if len(out.lead) > 0 {
		if _, err := tx.Exec(ctx, backfillInsertSQL, out.lead, out.kind, out.territory, out.due, out.state, out.reason,
			out.processed, out.job); err != nil {
			return 0, after, err
		}
	}
	res.Leads += len(leads)
	return read, last, nil
}

// withoutRecords keeps the leads that have no follow-up records yet.
func withoutRecords(ctx context.Context, tx pgx.Tx, leads []lead.Lead) ([]lead.Lead, error) {
	ids := make([]uuid.UUID, len(leads))
	for i := range leads {
		ids[i] = leads[i].ID
	}
	rows, err := tx.Query(ctx, backfillDoneSQL, ids)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, err
	}
	done := make(map[uuid.UUID]bool, len(list))
	for _, id := range list {
		done[id] = true
	}
	return slices.DeleteFunc(leads, func(l lead.Lead) bool { return done[l.ID] }), nil
}
