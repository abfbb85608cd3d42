package followup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/mail"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/territory"
)

// Worker runs a due follow-up: River calls it when the job's time comes.
// Whatever River retries, the follow_up record decides: a follow-up that
// is no longer SCHEDULED is left alone, so each is processed once.
type Worker struct {
	river.WorkerDefaults[JobArgs]
	leads       *lead.Service
	territories *territory.Registry
	links       Links
	metrics     *metric.Set
}

// Links make the unsubscribe link of a mail.
type Links struct {
	BaseURL string // the service's public URL, without a trailing slash
	Secret  []byte // signs the unsubscribe tokens
}

func (l Links) unsubscribe(leadID uuid.UUID) string {
	return l.BaseURL + "/unsubscribe?token=" + UnsubscribeToken(l.Secret, leadID)
}

// NewWorker returns the follow-up worker.
func NewWorker(leads *lead.Service, territories *territory.Registry, links Links, metrics *metric.Set) *Worker {
	return &Worker{leads: leads, territories: territories, links: links, metrics: metrics}
}

// Work processes one follow-up. A skip is counted here; a sent mail when
// the mailer has delivered it.
func (w *Worker) Work(ctx context.Context, job *river.Job[JobArgs]) error {
	k := job.Args.FollowUp
	start := time.Now()
	var territory string
	d, err := w.leads.ProcessFollowUp(ctx, job.Args.LeadID, string(k), func(ctx context.Context, tx pgx.Tx, l *lead.Lead, now time.Time) (lead.FollowUpDecision, error) {
		territory = l.Territory
		return w.decide(k)(ctx, tx, l, now)
	})
	if errors.Is(err, lead.ErrFollowUpDone) {
		return nil
	}
	if err != nil {
		return err
	}
	w.metrics.FollowUpBatchDuration.WithLabelValues(string(k)).Observe(float64(time.Since(start).Microseconds()) / 1000)
	if d.Skip != "" {
		w.metrics.FollowUpSent.WithLabelValues(string(k), territory, "skipped").Inc()
	}
	return nil
}

// MessageID is the Message-ID of a lead's follow-up mail: the same
// whenever it is written or sent again.
func MessageID(leadID uuid.UUID, k Kind) string {
	return "<followup." + string(k) + "." + leadID.String() + "@leads.freshplan>"
}

// decide records follow-up k of the locked lead: skipped with its reason,
// or sent, with its mail in the mail outbox.
func (w *Worker) decide(k Kind) lead.FollowUpDecider {
	return func(ctx context.Context, tx pgx.Tx, l *lead.Lead, now time.Time) (lead.FollowUpDecision, error) {
		var d lead.FollowUpDecision
		var state string
		err := tx.QueryRow(ctx, `SELECT state, due_at FROM follow_up WHERE lead_id = $1 AND kind = $2 FOR UPDATE`,
			l.ID, string(k)).Scan(&state, &d.Due)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return d, lead.ErrFollowUpDone // no record: nothing was scheduled
		case err != nil:
			return d, fmt.Errorf("followup: read record: %w", err)
		case state != "SCHEDULED":
			return d, lead.ErrFollowUpDone
		}
		if reason := Skip(k, l, now); reason != "" {
			d.Skip = string(reason)
			_, err := tx.Exec(ctx, `UPDATE follow_up SET state = 'SKIPPED', reason = $3, processed_at = $4
				WHERE lead_id = $1 AND kind = $2`, l.ID, string(k), d.Skip, now)
			return d, err
		}
		return d, w.queueMail(ctx, tx, k, l, now)
	}
}

func (w *Worker) queueMail(ctx context.Context, tx pgx.Tx, k Kind, l *lead.Lead, now time.Time) error {
	t, ok := w.territories.Get(l.Territory)
	if !ok {
		return fmt.Errorf("followup: unknown territory %q", l.Territory)
	}
	link := w.links.unsubscribe(l.ID)
	m, err := Render(Input{Kind: k, Lead: l, Territory: t, UnsubscribeURL: link, Now: now})
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	mail.Queue(b, mail.Message{MessageID: MessageID(l.ID, k), LeadID: &l.ID, Territory: l.Territory, Kind: string(k),
		Recipient: *l.Email, Subject: m.Subject, Text: m.Text, HTML: m.HTML, UnsubscribeURL: link}, now)
	b.Queue(`UPDATE follow_up SET state = 'SENT', processed_at = $3 WHERE lead_id = $1 AND kind = $2`, l.ID, string(k), now)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("followup: queue mail: %w", err)
	}
	return nil
}
