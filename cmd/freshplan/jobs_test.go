package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// TestHousekeepingRunsAsRiverPeriodicJobs: the wired service, as the login
// role, runs event retention and the Idempotency-Key cleanup through
// River at start (its leader inserts them), and they complete.
func TestHousekeepingRunsAsRiverPeriodicJobs(t *testing.T) {
	db := pgtest.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	runService(ctx, t, db)

	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for done := 0; done < 2; {
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(DISTINCT kind) FROM river_job
			WHERE kind IN ('event_retention', 'idempotency_cleanup') AND state = 'completed'`).Scan(&done))
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal("the housekeeping jobs did not complete")
		}
	}
}

// TestProtectionRunsAsARiverPeriodicJob: the wired service runs the lead
// protection walk through River at start; a lead untouched for 70 days
// moves to REMINDER and its owner's notice goes out through the mailer.
func TestProtectionRunsAsARiverPeriodicJob(t *testing.T) {
	db := pgtest.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	db.Exec(t, `INSERT INTO users (id, name, email, roles, territories)
		VALUES ('sales.de.anna', 'Anna Berger', 'anna.berger@freshplan.example', '{SALES}', '{DE}')`)
	db.Exec(t, `INSERT INTO leads (id, company_name, territory, owner_user_id, registered_at, created_at, created_by,
		updated_at, updated_by) VALUES (gen_random_uuid(), 'Gasthaus Linde', 'DE', 'sales.de.anna', now() - interval '70 days',
		now() - interval '70 days', 'sales.de.anna', now() - interval '70 days', 'sales.de.anna')`)
	runService(ctx, t, db)

	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	// The notice delivered, and River's job recorded as completed (River
	// records it after the walk returns, in a batch of its own).
	for done := false; !done; {
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM mail_outbox m JOIN leads l ON l.id = m.lead_id
			WHERE l.status = 'REMINDER' AND m.recipient = 'anna.berger@freshplan.example' AND m.state = 'SENT')
			AND EXISTS (SELECT 1 FROM river_job WHERE kind = 'lead_protection' AND state = 'completed')`).Scan(&done))
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal("the protection job did not complete, move the lead and notify its owner")
		}
	}
}
