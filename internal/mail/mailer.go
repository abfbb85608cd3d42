package mail

import (
	"context"
	"log/slog"
	"time"

	"github.com/freshplan/leads/internal/metric"
)

// Config tunes the mailer.
type Config struct {
	Lease       time.Duration // how long a claim holds: longer than one delivery may take
	Batch       int           // mails claimed at once
	Poll        time.Duration // how often the outbox is looked at when idle
	MaxAttempts int           // deliveries tried before a mail is FAILED
	// SendTimeout bounds one delivery. A delivery starts only while at least
	// this much of its lease is left, so that it never outlasts the claim
	// and runs beside another mailer's delivery of the same mail.
	SendTimeout time.Duration
	// Backoff is the wait after the n-th failed attempt (n from 1).
	Backoff func(n int) time.Duration
}

// DefaultConfig: a 2-minute lease, 50 mails a claim, a look every second,
// 8 attempts, 30 s doubling to at most an hour between them (about 2 h in all).
func DefaultConfig() Config {
	return Config{Lease: 2 * time.Minute, Batch: 50, Poll: time.Second, MaxAttempts: 8, SendTimeout: 30 * time.Second,
		Backoff: Backoff(30 * time.Second)}
}

// Backoff waits first after the first failed attempt, doubling after each
// further one, up to an hour.
func Backoff(first time.Duration) func(n int) time.Duration {
	return func(n int) time.Duration { return min(first<<(n-1), time.Hour) }
}

// Mailer delivers the outbox.
type Mailer struct {
	outbox  *Outbox
	sender  Sender
	cfg     Config
	metrics *metric.Set
	now     func() time.Time
	log     *slog.Logger
}

// NewMailer returns a mailer delivering outbox through sender.
func NewMailer(outbox *Outbox, sender Sender, cfg Config, metrics *metric.Set, now func() time.Time, log *slog.Logger) *Mailer {
	cfg.SendTimeout = cfg.DeliveryTimeout()
	return &Mailer{outbox: outbox, sender: sender, cfg: cfg, metrics: metrics, now: now, log: log}
}

// DeliveryTimeout bounds one delivery: SendTimeout, and at most half the
// lease, so that a claim always leaves room for one.
func (c Config) DeliveryTimeout() time.Duration { return min(c.SendTimeout, c.Lease/2) }

// count counts a follow-up mail's final outcome.
func (m *Mailer) count(msg Message, result string) {
	if msg.Kind != "" {
		m.metrics.FollowUpSent.WithLabelValues(msg.Kind, msg.Territory, result).Inc()
	}
}

// Run delivers until ctx ends.
func (m *Mailer) Run(ctx context.Context) {
	t := time.NewTicker(m.cfg.Poll)
	defer t.Stop()
	for {
		for {
			n, err := m.RunOnce(ctx)
			if err != nil {
				m.log.WarnContext(ctx, "mailer", "error", err)
			}
			if err != nil || n < m.cfg.Batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce claims one batch of due mails and delivers it; it returns how
// many it claimed.
func (m *Mailer) RunOnce(ctx context.Context) (int, error) {
	msgs, err := m.outbox.Claim(ctx, m.now(), m.cfg.Lease, m.cfg.Batch)
	if err != nil {
		return 0, err
	}
	for i, msg := range msgs {
		if m.now().Add(m.cfg.SendTimeout).After(msg.ClaimedUntil) {
			// A slow relay used up the lease: the rest go back.
			return len(msgs), m.outbox.Release(ctx, msgs[i:])
		}
		if err := m.deliver(ctx, msg); err != nil {
			return len(msgs), err
		}
	}
	return len(msgs), nil
}

// deliver sends one claimed mail, outside any transaction, and records
// the outcome.
func (m *Mailer) deliver(ctx context.Context, msg Message) error {
	sctx, cancel := context.WithTimeout(ctx, m.cfg.SendTimeout)
	err := m.sender.Send(sctx, msg)
	cancel()
	switch {
	case err == nil:
		m.log.InfoContext(ctx, "mail sent", "mail_id", msg.ID, "attempt", msg.Attempts)
		if err := m.outbox.Sent(ctx, msg.ID, m.now()); err != nil {
			return err
		}
		m.count(msg, "success")
		return nil
	case msg.Attempts >= m.cfg.MaxAttempts:
		m.log.WarnContext(ctx, "mail failed", "mail_id", msg.ID, "attempt", msg.Attempts, "error", err)
		if err := m.outbox.Failed(ctx, msg.ID, err.Error()); err != nil {
			return err
		}
		m.count(msg, "failure")
		return nil
	}
	m.log.InfoContext(ctx, "mail delivery failed, will retry", "mail_id", msg.ID, "attempt", msg.Attempts, "error", err)
	return m.outbox.Retry(ctx, msg.ID, m.now().Add(m.cfg.Backoff(msg.Attempts)), err.Error())
}
