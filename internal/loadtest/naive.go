package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/postgres"
)

// The naive transaction, one statement per round trip, as the seeds'
// designs write it; it differs from the service's only in reading and
// returning fewer columns and in the pg_notify before COMMIT.
const (
	naiveLock     = `SELECT status, company_name FROM leads WHERE id = $1 FOR UPDATE`
	naiveUpdate   = `UPDATE leads SET version = version + 1, status = $2, reminder_sent_at = $3, updated_at = $4, updated_by = $5 WHERE id = $1 RETURNING version`
	naiveActivity = `INSERT INTO activities (id, lead_id, type, occurred_at, description, outcome, user_id, created_at) VALUES ($1, $2, $3, $4, $5, NULL, $6, $4)`
	naiveOutbox   = `INSERT INTO event_outbox (event_id, type, subject_id, subject_version, territory, owner_user_id, collaborator_user_ids, topics, envelope, actor) VALUES ($1, $2, $3, $4, $5, $6, '{}', '{dashboard_updates}', $7, app_user_id())`
	naiveNotify   = `SELECT pg_notify('` + pgnotify.Channel + `', $1)`
	naiveRead     = `SELECT envelope FROM event_outbox WHERE event_id = $1`
)

// Naive measures the design with pg_notify(<event id>) inside each
// business transaction and a consumer that LISTENs on one connection and
// reads each event's outbox row by id.
func Naive(ctx context.Context, opts Options) (Result, error) {
	pool, tr, leads, h, err := prepare(ctx, &opts, "naive")
	if err != nil {
		return Result{}, err
	}
	defer pool.Close()

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	listening := make(chan error, 1)
	consumerDone := make(chan error, 1)
	go func() {
		err := naiveConsumer(rctx, opts.URL, h, listening)
		if err != nil {
			h.fail(fmt.Errorf("consumer: %w", err)) // its events show up as lost
		}
		consumerDone <- err
	}()
	defer func() {
		cancel()
		<-consumerDone
	}()
	select {
	case err := <-listening:
		if err != nil {
			return Result{}, err
		}
	case <-time.After(30 * time.Second):
		return Result{}, errors.New("loadtest: naive listener did not connect within 30 s")
	}
	probe, err := newProbe(ctx, pool, tr)
	if err != nil {
		return Result{}, fmt.Errorf("loadtest: probe: %w", err)
	}
	p := manager()
	return h.run(ctx, leads, func(ctx context.Context, c change) error {
		return naiveTx(ctx, pool, p, c)
	}, probe)
}

// naiveTx is the status change with the notification inside the
// transaction: BEGIN, scope, lock, update, activity, outbox, pg_notify,
// COMMIT — eight round trips.
func naiveTx(ctx context.Context, pool *pgxpool.Pool, p auth.Principal, c change) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	scope, args := postgres.Scope(p)
	if _, err := tx.Exec(ctx, scope, args...); err != nil {
		return fmt.Errorf("scope: %w", err)
	}
	var status, company string
	if err := tx.QueryRow(ctx, naiveLock, c.lead).Scan(&status, &company); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	if lead.Status(status) != c.from {
		return fmt.Errorf("lead is %s, expected %s", status, c.from)
	}
	var reminder *time.Time
	if c.to == lead.StatusReminder {
		reminder = &c.at
	}
	var version int
	if err := tx.QueryRow(ctx, naiveUpdate, c.lead, string(c.to), reminder, c.at, p.UserID).Scan(&version); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if _, err := tx.Exec(ctx, naiveActivity, uuid.New(), c.lead, lead.ActivityStatusChange, c.at,
		string(c.from)+" -> "+string(c.to), p.UserID); err != nil {
		return fmt.Errorf("activity: %w", err)
	}
	env, err := naiveEnvelope(c, company, version, p.UserID)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, naiveOutbox, c.key, lead.TypeStatusChanged, c.lead, version, "DE", "loadtest-owner", env); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if _, err := tx.Exec(ctx, naiveNotify, c.key.String()); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return tx.Commit(ctx)
}

// naiveEnvelope is the CloudEvents envelope the service would write.
func naiveEnvelope(c change, company string, version int, by string) ([]byte, error) {
	data, err := json.Marshal(map[string]any{"leadId": c.lead, "companyName": company, "oldStatus": c.from,
		"newStatus": c.to, "changedBy": by, "changedAt": event.FormatTime(c.at), "territory": "DE"})
	if err != nil {
		return nil, err
	}
	return json.Marshal(event.Envelope{SpecVersion: "1.0", ID: c.key.String(), Source: event.Source,
		Type: lead.TypeStatusChanged, Subject: c.lead.String(), Time: event.FormatTime(c.at),
		DataContentType: "application/json", IdempotencyKey: c.key.String(), Territory: "DE", SubjectVersion: version,
		Data: data})
}

// naiveConsumer LISTENs on one connection and, for each notification,
// reads the event's outbox row by id on the same connection (scope and
// read in one round trip) and hands it to the harness. It reports on
// listening once LISTEN is in place.
func naiveConsumer(ctx context.Context, url string, h *harness, listening chan<- error) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		listening <- err
		return err
	}
	cfg.RuntimeParams["application_name"] = "freshplan-loadtest-naive-listener"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		listening <- fmt.Errorf("loadtest: naive listener: %w", err)
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgnotify.Channel); err != nil {
		listening <- fmt.Errorf("loadtest: listen: %w", err)
		return err
	}
	listening <- nil
	for {
		n, err := conn.WaitForNotification(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if pgconn.Timeout(err) {
				continue
			}
			return fmt.Errorf("loadtest: naive wait: %w", err)
		}
		b := &pgx.Batch{}
		postgres.QueueScope(b, auth.System())
		b.Queue(naiveRead, n.Payload)
		res := conn.SendBatch(ctx, b)
		var raw []byte
		_, err = res.Exec()
		if err == nil {
			err = res.QueryRow().Scan(&raw)
		}
		if cerr := res.Close(); err == nil {
			err = cerr
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("loadtest: naive read %s: %w", n.Payload, err)
		}
		var env event.Envelope
		if err := json.Unmarshal(raw, &env); err != nil {
			return fmt.Errorf("loadtest: naive envelope %s: %w", n.Payload, err)
		}
		h.handle(env.ID, time.Now())
	}
}
