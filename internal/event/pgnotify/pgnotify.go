// Package pgnotify is the PostgreSQL LISTEN/NOTIFY transport of the event
// hints: a Relay that sends them after commit and a Listener that holds one
// LISTEN connection per replica.
//
// A notification carries no data and may be lost (PostgreSQL drops them
// while a listener is disconnected); the outbox is the event, so a lost
// hint costs only the poll interval.
package pgnotify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/metric"
)

// Channel is hinted for every batch of events; each topic of a batch is
// hinted on the channel of its name as well.
const Channel = "cross_module_events"

// Relay sends hints on a connection of the pool it keeps: under load every
// other connection may be busy with business transactions, and a hint that
// waited for one of them would wait behind the very commits it announces.
type Relay struct {
	pool *pgxpool.Pool
	mu   sync.Mutex
	conn *pgxpool.Conn // kept between hints; nil after an error or Close
}

// NewRelay returns a Relay that notifies through a connection of pool.
func NewRelay(pool *pgxpool.Pool) *Relay { return &Relay{pool: pool} }

// Close gives the kept connection back (before the pool closes, which
// waits for it).
func (r *Relay) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn != nil {
		r.conn.Release()
		r.conn = nil
	}
}

// notifySQL sends one notification per channel in one statement. Its
// transaction need not wait for a disk flush: the events it announces are
// durable already, and a lost hint is covered by the listeners' poll.
const notifySQL = `SELECT set_config('synchronous_commit', 'off', true), pg_notify(c, '')
	FROM unnest($1::text[]) AS c`

// Notify hints Channel and every topic.
func (r *Relay) Notify(ctx context.Context, topics []string) error {
	channels := append([]string{Channel}, topics...)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		c, err := r.pool.Acquire(ctx)
		if err != nil {
			return fmt.Errorf("pgnotify: notify: %w", err)
		}
		r.conn = c
	}
	if _, err := r.conn.Exec(ctx, notifySQL, channels); err != nil {
		// A broken connection goes; the next hint takes another.
		r.conn.Release()
		r.conn = nil
		return fmt.Errorf("pgnotify: notify: %w", err)
	}
	return nil
}

// Config names the LISTEN connection.
type Config struct {
	// ConnString is the database of the LISTEN connection.
	ConnString string
	// ApplicationName names the connection (default freshplan-listener), so
	// operators and tests can find it in pg_stat_activity.
	ApplicationName string
}

// Listener opens a LISTEN connection per subscription.
type Listener struct{ cfg Config }

// NewListener returns a Listener for cfg.
func NewListener(cfg Config) *Listener {
	if cfg.ApplicationName == "" {
		cfg.ApplicationName = "freshplan-listener"
	}
	return &Listener{cfg: cfg}
}

// Listen connects and LISTENs on Channel only: the topic channels are for
// listeners that want a part of the events, and listening to both would
// wake this one twice per batch.
func (l *Listener) Listen(ctx context.Context) (event.Subscription, error) {
	cfg, err := pgx.ParseConfig(l.cfg.ConnString)
	if err != nil {
		return nil, fmt.Errorf("pgnotify: config: %w", err)
	}
	cfg.RuntimeParams["application_name"] = l.cfg.ApplicationName
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("pgnotify: connect: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("pgnotify: listen: %w", err)
	}
	return &subscription{conn: conn}, nil
}

type subscription struct{ conn *pgx.Conn }

// Wait returns on a notification or after timeout. When nothing arrived it
// pings, so a connection that died silently is noticed within one poll.
func (s *subscription) Wait(ctx context.Context, timeout time.Duration) error {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	_, err := s.conn.WaitForNotification(wctx)
	cancel()
	if err == nil || ctx.Err() != nil {
		return ctx.Err()
	}
	if !pgconn.Timeout(err) && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("pgnotify: wait: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := s.conn.Ping(pctx); err != nil {
		return fmt.Errorf("pgnotify: ping: %w", err)
	}
	return nil
}

func (s *subscription) Close(ctx context.Context) error { return s.conn.Close(ctx) }

// QueueProbe returns a metric.Probe that reads how full the server's
// notification queue is: at 100 % every NOTIFY fails.
func QueueProbe(pool *pgxpool.Pool, m *metric.Set) metric.Probe {
	return func(ctx context.Context) error {
		var usage float64
		if err := pool.QueryRow(ctx, `SELECT pg_notification_queue_usage()`).Scan(&usage); err != nil {
			return fmt.Errorf("pgnotify: queue usage: %w", err)
		}
		m.NotifyQueueUsage.Set(usage)
		return nil
	}
}
