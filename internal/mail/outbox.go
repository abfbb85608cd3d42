package mail

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/postgres"
)

// Outbox is the mail outbox table, as the system sees it.
type Outbox struct{ pool *pgxpool.Pool }

// NewOutbox returns the outbox on pool.
func NewOutbox(pool *pgxpool.Pool) *Outbox { return &Outbox{pool: pool} }

// Queue adds the insert of m into the outbox, due at now, to b: a batch
// of the transaction that decided to send it.
func Queue(b *pgx.Batch, m Message, now time.Time) {
	if m.ID == uuid.Nil {
		m.ID = uuid.New()
	}
	b.Queue(`INSERT INTO mail_outbox (id, message_id, lead_id, territory, kind, recipient, subject, text_body, html_body,
		unsubscribe_url, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, nullif($5, ''), $6, $7, $8, $9, nullif($10, ''), $11, $11)`,
		m.ID, m.MessageID, m.LeadID, m.Territory, m.Kind, m.Recipient, m.Subject, m.Text, m.HTML, m.UnsubscribeURL, now)
}

// claimSQL takes up to $3 pending mails that are due and not claimed (or
// whose claim lapsed), oldest first, for a lease until $2. SKIP LOCKED lets
// replicas claim side by side without waiting for each other.
const claimSQL = `UPDATE mail_outbox m SET claimed_until = $2, attempts = m.attempts + 1
	FROM (SELECT id FROM mail_outbox WHERE state = 'PENDING' AND next_attempt_at <= $1
	      AND (claimed_until IS NULL OR claimed_until < $1)
	      ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) c
	WHERE m.id = c.id
	RETURNING m.id, m.message_id, m.lead_id, m.territory, coalesce(m.kind, ''), m.recipient, m.subject, m.text_body, m.html_body,
		coalesce(m.unsubscribe_url, ''), m.attempts, m.created_at, m.claimed_until`

// Claim leases up to limit due mails until now + lease.
func (o *Outbox) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Message, error) {
	var out []Message
	err := postgres.InTx(ctx, o.pool, auth.System(), func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, claimSQL, now, now.Add(lease), limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) {
			var m Message
			err := r.Scan(&m.ID, &m.MessageID, &m.LeadID, &m.Territory, &m.Kind, &m.Recipient, &m.Subject, &m.Text, &m.HTML,
				&m.UnsubscribeURL, &m.Attempts, &m.CreatedAt, &m.ClaimedUntil)
			return m, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("mail: claim: %w", err)
	}
	return out, nil
}

// Release gives up claims on mails not tried, so that any mailer may
// take them at once; a claim already taken over is left alone.
func (o *Outbox) Release(ctx context.Context, msgs []Message) error {
	ids := make([]uuid.UUID, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return o.exec(ctx, `UPDATE mail_outbox SET claimed_until = NULL, attempts = attempts - 1
		WHERE id = ANY($1) AND claimed_until = $2 AND state = 'PENDING'`, ids, msgs[0].ClaimedUntil)
}

// Sent records a delivered mail.
func (o *Outbox) Sent(ctx context.Context, id uuid.UUID, now time.Time) error {
	return o.exec(ctx, `UPDATE mail_outbox SET state = 'SENT', sent_at = $2, claimed_until = NULL, last_error = NULL
		WHERE id = $1`, id, now)
}

// Retry records a failed delivery to be tried again at next.
func (o *Outbox) Retry(ctx context.Context, id uuid.UUID, next time.Time, cause string) error {
	return o.exec(ctx, `UPDATE mail_outbox SET next_attempt_at = $2, claimed_until = NULL, last_error = $3
		WHERE id = $1 AND state = 'PENDING'`, id, next, cause)
}

// Failed records a mail given up on.
func (o *Outbox) Failed(ctx context.Context, id uuid.UUID, cause string) error {
	return o.exec(ctx, `UPDATE mail_outbox SET state = 'FAILED', claimed_until = NULL, last_error = $2
		WHERE id = $1 AND state = 'PENDING'`, id, cause)
}

func (o *Outbox) exec(ctx context.Context, sql string, args ...any) error {
	err := postgres.InTx(ctx, o.pool, auth.System(), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, sql, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("mail: record: %w", err)
	}
	return nil
}
