package mail_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/mail"
	"github.com/freshplan/leads/internal/mail/mailtest"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

func sender(s *mailtest.Server) *mail.SMTP {
	return mail.NewSMTP(mail.SMTPConfig{Host: s.Host, Port: s.Port, From: "vertrieb@freshplan.example", Timeout: 10 * time.Second})
}

// queue writes a pending mail as the follow-up worker would.
func queue(t *testing.T, db *pgtest.DB, messageID string, at time.Time) uuid.UUID {
	t.Helper()
	id := uuid.New()
	db.Exec(t, `INSERT INTO mail_outbox (id, message_id, territory, kind, recipient, subject, text_body, html_body,
		unsubscribe_url, created_at, next_attempt_at) VALUES ($1, $2, 'DE', 'T3', 'kueche@linde.example', 'Ihr Probierpaket',
		'Guten Tag,', '<p>Guten Tag,</p>', 'https://leads.example/unsubscribe?token=abc', $3, $3)`, id, messageID, at)
	return id
}

// TestMailerRetriesAndSendsOnce: the SMTP server refuses twice, then
// accepts; the mail arrives once, with its Message-ID and the one-click
// unsubscribe headers, after the backoff, and is recorded SENT.
func TestMailerRetriesAndSendsOnce(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := t.Context()
	srv := mailtest.NewServer(t)
	srv.Fail(2)
	clock := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	cfg := mail.DefaultConfig()
	metrics := metric.New()
	m := mail.NewMailer(mail.NewOutbox(db.AppPool(t)), sender(srv), cfg, metrics, func() time.Time { return clock },
		slog.New(slog.DiscardHandler))
	id := queue(t, db, "<followup.T3.1@leads.freshplan>", clock)

	n, err := m.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = m.RunOnce(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "not due again before its backoff")
	clock = clock.Add(30 * time.Second)
	_, err = m.RunOnce(ctx) // second refusal
	require.NoError(t, err)
	clock = clock.Add(59 * time.Second)
	n, err = m.RunOnce(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "the second backoff is a minute")
	clock = clock.Add(time.Second)
	_, err = m.RunOnce(ctx)
	require.NoError(t, err)
	_, err = m.RunOnce(ctx)
	require.NoError(t, err)

	got := srv.Received()
	require.Len(t, got, 1)
	require.Equal(t, 3, srv.Attempts())
	h := got[0].Msg.Header
	require.Equal(t, "<followup.T3.1@leads.freshplan>", h.Get("Message-ID"))
	require.Equal(t, "<https://leads.example/unsubscribe?token=abc>", h.Get("List-Unsubscribe"))
	require.Equal(t, "List-Unsubscribe=One-Click", h.Get("List-Unsubscribe-Post"))
	require.Equal(t, "Ihr Probierpaket", h.Get("Subject"))
	require.Equal(t, []string{"kueche@linde.example"}, got[0].To)
	require.Contains(t, h.Get("Content-Type"), "multipart/alternative")

	var state string
	var attempts int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT state, attempts FROM mail_outbox WHERE id = $1`, id).Scan(&state, &attempts))
	require.Equal(t, "SENT", state)
	require.Equal(t, 3, attempts)
	require.Equal(t, 1.0, testutil.ToFloat64(metrics.FollowUpSent.WithLabelValues("T3", "DE", "success")),
		"counted once, when delivered")
}

// TestMailerGivesUpAfterMaxAttempts: a relay that never accepts makes the
// mail FAILED with its error after the last attempt.
func TestMailerGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := t.Context()
	srv := mailtest.NewServer(t)
	srv.Fail(1000)
	clock := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	cfg := mail.DefaultConfig()
	cfg.MaxAttempts = 3
	m := mail.NewMailer(mail.NewOutbox(db.AppPool(t)), sender(srv), cfg, metric.New(), func() time.Time { return clock },
		slog.New(slog.DiscardHandler))
	id := queue(t, db, "<followup.T7.2@leads.freshplan>", clock)
	for range 3 {
		_, err := m.RunOnce(ctx)
		require.NoError(t, err)
		clock = clock.Add(time.Hour)
	}
	var state, cause string
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT state, last_error FROM mail_outbox WHERE id = $1`, id).Scan(&state, &cause))
	require.Equal(t, "FAILED", state)
	require.Contains(t, cause, "try again later")
	require.Equal(t, 3, srv.Attempts())
	require.Empty(t, srv.Received())
}

// TestLapsedLeaseIsTakenOver: a mailer that claimed a mail and died leaves
// it claimed; another takes it over once the lease lapses, not before.
func TestLapsedLeaseIsTakenOver(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := t.Context()
	srv := mailtest.NewServer(t)
	clock := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	outbox := mail.NewOutbox(db.AppPool(t))
	queue(t, db, "<followup.T3.3@leads.freshplan>", clock)
	claimed, err := outbox.Claim(ctx, clock, 2*time.Minute, 10) // the replica that dies
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	m := mail.NewMailer(outbox, sender(srv), mail.DefaultConfig(), metric.New(), func() time.Time { return clock }, slog.New(slog.DiscardHandler))
	n, err := m.RunOnce(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "claimed by another")
	clock = clock.Add(2*time.Minute + time.Second)
	n, err = m.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Len(t, srv.Received(), 1)
}

// slowRelay delivers through next and then moves the test's clock on, as
// a relay that takes its time would.
type slowRelay struct {
	next  mail.Sender
	clock *time.Time
	takes time.Duration
}

func (s slowRelay) Send(ctx context.Context, m mail.Message) error {
	err := s.next.Send(ctx, m)
	*s.clock = s.clock.Add(s.takes)
	return err
}

// TestASlowRelayNeverOutlastsTheLease: a mailer starts a delivery only
// while a whole delivery timeout of its lease is left; the mails it did not
// try go back at once, so no other mailer delivers one while it still might.
func TestASlowRelayNeverOutlastsTheLease(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := t.Context()
	srv := mailtest.NewServer(t)
	clock := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	cfg := mail.DefaultConfig() // a 2-minute lease, 30 s per delivery at most
	m := mail.NewMailer(mail.NewOutbox(db.AppPool(t)), slowRelay{next: sender(srv), clock: &clock, takes: 50 * time.Second},
		cfg, metric.New(), func() time.Time { return clock }, slog.New(slog.DiscardHandler))
	for i := range 4 {
		queue(t, db, fmt.Sprintf("<followup.T3.%d@leads.freshplan>", i), clock.Add(-time.Duration(i)*time.Millisecond))
	}

	n, err := m.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 4, n)
	// At 0 s and 50 s; a third at 100 s could run until 130 s, past the lease (120 s).
	require.Len(t, srv.Received(), 2)
	var pending, claimed, tried int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'PENDING'),
		count(claimed_until) FILTER (WHERE state = 'PENDING'), coalesce(sum(attempts) FILTER (WHERE state = 'PENDING'), 0)
		FROM mail_outbox`).Scan(&pending, &claimed, &tried))
	require.Equal(t, []int{2, 0, 0}, []int{pending, claimed, tried}, "released untried, for any mailer to take")
	_, err = m.RunOnce(ctx)
	require.NoError(t, err)
	require.Len(t, srv.Received(), 4)
}
