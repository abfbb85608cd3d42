//go:build e2e

package lead_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/cockpit"
	"github.com/freshplan/leads/internal/demo"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/followup"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/mail"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
	"github.com/freshplan/leads/internal/protection"
	"github.com/freshplan/leads/internal/territory"
)

// wholeTable are statements that read a whole table by design: the
// cockpit's recount empties its tables (in its transaction, so readers
// keep the old figures until it commits).
var wholeTable = map[string]bool{"DELETE FROM cockpit_count": true, "DELETE FROM cockpit_lead": true}

// explainable reports whether EXPLAIN applies: queries and data changes,
// not the scope's set_config, transaction control or NOTIFY.
func explainable(sql string) bool {
	if wholeTable[strings.TrimSpace(sql)] {
		return false
	}
	s := strings.ToUpper(strings.TrimSpace(sql))
	if strings.HasPrefix(s, "SELECT SET_CONFIG") || strings.HasPrefix(s, "SELECT PG_NOTIFY") {
		return false
	}
	for _, p := range []string{"SELECT", "WITH", "INSERT", "UPDATE", "DELETE"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// bigTables grow with the leads: 200,000 leads have 400,000 follow-ups.
var bigTables = map[string]bool{"leads": true, "activities": true, "event_outbox": true, "follow_up": true,
	"cockpit_lead": true, "cockpit_count": true}

// TestE2ENoRequestScansABigTable runs the service's requests as SALES,
// MANAGER and ADMIN on 200,000 leads, 1,000,000 activities and 200,000
// outbox rows, records every statement they send, and EXPLAINs each in the
// caller's scoped transaction, as the service's login role: no plan may
// read leads, activities or event_outbox sequentially. The statements the
// SECURITY DEFINER functions run inside are checked as their owner, as in
// TestScaleLookupsReadThroughIndexes.
//
// The leads and activities come from the scale seeder (COPY, indexes
// rebuilt after the load), so the planner sees the shapes of real
// territories; the outbox rows are written server-side.
func TestE2ENoRequestScansABigTable(t *testing.T) {
	ctx := t.Context()
	db := pgtest.New(t)
	report, err := demo.SeedScale(ctx, db.Pool, demo.ScaleOptions{Leads: 200_000, Activities: 1_000_000, Seed: 9,
		Shares: map[string]float64{"DE": 0.4, "CH": 0.3, "AT": 0.3}, SkipVacuum: true})
	require.NoError(t, err)
	db.Exec(t, `INSERT INTO event_outbox (event_id, type, subject_id, subject_version, territory, owner_user_id,
		collaborator_user_ids, envelope, topics, actor)
		SELECT gen_random_uuid(), 'lead.status.changed', l.id, 2, l.territory, l.owner_user_id, l.collaborator_user_ids,
			jsonb_build_object('id', gen_random_uuid(), 'type', 'lead.status.changed', 'leadId', l.id,
				'territory', l.territory, 'time', l.updated_at), '{dashboard}', 'seed'
		FROM leads l ORDER BY l.created_at`)
	db.Exec(t, `VACUUM ANALYZE leads, activities, event_outbox`)

	rec := &recorder{}
	cfg, err := pgxpool.ParseConfig(db.AppURL)
	require.NoError(t, err)
	cfg.ConnConfig.Tracer = rec
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	territories, err := territory.Load(ctx, pool)
	require.NoError(t, err)
	quiet := slog.New(slog.DiscardHandler)
	m := metric.New()
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	svc := lead.NewService(lead.Deps{Pool: pool, Publisher: event.NewPublisher(pgnotify.NewRelay(pool), m, quiet, false, time.Now),
		Metrics: m, Territories: territories, Hooks: []lead.TxHook{followup.NewScheduler(jobs, territories)},
		Now: time.Now, Log: quiet})
	feed := event.NewFeed(pool)
	// The cockpit's aggregates of the seeded leads, as a deploy counts them.
	aggregator := cockpit.NewAggregator(territories)
	rec.take()
	_, err = aggregator.Recount(ctx, pool, 10_000)
	require.NoError(t, err)
	recount := rec.take() // explained with the system's statements below
	db.Exec(t, `VACUUM ANALYZE cockpit_lead, cockpit_count`)
	widgets := cockpit.NewReader(pool, territories, time.Now)

	de := report.Territories[2]
	require.Equal(t, "DE", de.Code)
	callers := []auth.Principal{
		{UserID: de.BenchUser, Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE"}},
		{UserID: "manager.de.01", Roles: []auth.Role{auth.RoleManager}, Territories: []string{"DE"}},
		{UserID: demo.AdminUser, Roles: []auth.Role{auth.RoleAdmin}},
	}
	for i, p := range callers {
		t.Run(string(p.Role()), func(t *testing.T) {
			rec.take()
			runRequests(ctx, t, svc, feed, pool, p, i)
			for _, only := range []string{"", "DE"} {
				scope, err := cockpit.ScopeOf(p, only, territories)
				if p.Role() == auth.RoleSales && only != "" {
					require.ErrorIs(t, err, cockpit.ErrForbidden)
					continue
				}
				require.NoError(t, err)
				w, err := widgets.Widget(ctx, p, scope)
				require.NoError(t, err)
				require.Positive(t, w.LeadStats.Total)
			}
			requireNoSeqScans(ctx, t, pool, p, rec.take())

			// Inside the lookup functions, as their owner (the test's
			// superuser connection may SET ROLE to it).
			err := postgres.InTx(ctx, db.Pool, p, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, `SET LOCAL ROLE freshplan_lookup`)
				require.NoError(t, err)
				checkDuplicatePlans(ctx, t, tx, false)
				checkConflictPlans(ctx, t, tx)
				checkSearchPlans(ctx, t, tx, p)
				return nil
			})
			require.NoError(t, err)
		})
	}
	// The automation, as the system: the follow-up backfill of the seeded
	// leads, the worker on the leads the callers created, the mailer, the
	// queue gauge and the protection walk.
	t.Run("SYSTEM", func(t *testing.T) {
		rec.take()
		scheduler := followup.NewScheduler(jobs, territories)
		_, err := scheduler.Backfill(ctx, pool, time.Now(), 10_000)
		require.NoError(t, err)
		db.Exec(t, `ANALYZE follow_up`)
		rows, err := db.Pool.Query(ctx, `SELECT id FROM leads WHERE company_name LIKE 'Explain Probe %'`)
		require.NoError(t, err)
		probes, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		require.NoError(t, err)
		require.NotEmpty(t, probes)
		worker := followup.NewWorker(svc, territories, followup.Links{BaseURL: "https://leads.example",
			Secret: []byte("0123456789abcdef0123456789abcdef")}, m)
		for _, id := range probes {
			for _, k := range followup.Kinds {
				require.NoError(t, worker.Work(ctx, &river.Job[followup.JobArgs]{Args: followup.JobArgs{LeadID: id, FollowUp: k}}))
			}
		}
		mailer := mail.NewMailer(mail.NewOutbox(pool), mail.NewSink(), mail.DefaultConfig(), m,
			func() time.Time { return time.Now().Add(48 * time.Hour) }, quiet)
		_, err = mailer.RunOnce(ctx)
		require.NoError(t, err)
		require.NoError(t, followup.QueueProbe(pool, m)(ctx))
		// The daily protection walk, with the transitions and notices the
		// seeded leads have due.
		res, err := svc.Protect(ctx, protection.BatchSize, protection.NewNotifier(territories, "https://leads.example").Notify)
		require.NoError(t, err)
		require.Positive(t, res.Reminders)
		require.Positive(t, res.Expired)
		t.Logf("protection walk: %+v", res)
		// The cockpit consumer's statements on the leads just moved and
		// written (and, with them, the recount's of before).
		for _, id := range probes {
			require.NoError(t, postgres.InTx(ctx, pool, auth.System(), func(tx pgx.Tx) error {
				return aggregator.Sync(ctx, tx, id)
			}))
		}
		requireNoSeqScans(ctx, t, pool, auth.System(), append(recount, rec.take()...))
	})
}

// bigRange is half of a big table of the test: no statement's bitmap may
// cover that much of an index (a batch's, such as the follow-up backfill's
// 10,000 leads, covers what it was given).
const bigRange = 100_000

// requireNoSeqScans EXPLAINs each statement in p's scoped transaction, as
// the login role: none may read a big table sequentially.
func requireNoSeqScans(ctx context.Context, t *testing.T, pool *pgxpool.Pool, p auth.Principal, stmts []statement) {
	t.Helper()
	require.NotEmpty(t, stmts)
	explained := 0
	// Each statement with up to 20 of its parameter sets: enough to meet a
	// plan that changes with them, and the protection walk's thousands of
	// transitions stay quick to check.
	seen := map[string]int{}
	for _, s := range stmts {
		if !explainable(s.sql) || seen[s.sql] >= 20 {
			continue
		}
		seen[s.sql]++
		explained++
		// The plan for these parameters, and the generic plan the server
		// switches a prepared statement to after five runs.
		for _, mode := range []string{"auto", "force_generic_plan"} {
			var raw string
			err := postgres.InTx(ctx, pool, p, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, "SET LOCAL plan_cache_mode = "+mode); err != nil {
					return err
				}
				return tx.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+s.sql, s.args...).Scan(&raw)
			})
			require.NoError(t, err, s.sql)
			requireBoundedPlan(t, p, s.sql, mode, raw)
		}
	}
	t.Logf("%s: %d statements explained", p.Role(), explained)
}

// requireBoundedPlan fails for a plan that reads a big table whole.
func requireBoundedPlan(t *testing.T, p auth.Principal, sql, mode, raw string) {
	t.Helper()
	parsePlan(t, raw).walk(func(n planNode) {
		if n.NodeType == "Seq Scan" && bigTables[n.Relation] {
			t.Errorf("Seq Scan on %s as %s (%s) in\n%s\nplan:\n%s", n.Relation, p.Role(), mode, sql, raw)
		}
		// A bitmap is built whole, whatever a LIMIT above it asks: one
		// over a big range of a btree index reads the table's size. (A
		// search's trigram bitmap holds its text's matches: the search
		// gap of docs/PERFORMANCE.md.)
		if n.NodeType == "Bitmap Index Scan" && n.Rows > bigRange && !strings.HasSuffix(n.Index, "_trgm_idx") {
			t.Errorf("Bitmap Index Scan of %.0f rows on %s as %s (%s) in\n%s\nplan:\n%s", n.Rows, n.Index, p.Role(), mode, sql, raw)
		}
	})
}

// runRequests makes the requests of SPEC §2 and §5 as p: reads of every
// kind, then a create and the commands on it. n keeps the created leads
// apart.
func runRequests(ctx context.Context, t *testing.T, svc *lead.Service, feed *event.Feed, pool *pgxpool.Pool, p auth.Principal, n int) {
	t.Helper()
	status := lead.StatusActive
	de := "DE"
	page, err := svc.List(ctx, p, lead.ListQuery{Sort: "createdAt", Desc: true, Size: 20})
	require.NoError(t, err)
	require.NotEmpty(t, page.Leads)
	for _, sort := range lead.SortFields() {
		for _, desc := range []bool{false, true} {
			q := lead.ListQuery{Status: &status, Sort: sort, Desc: desc, Size: 20, Page: 2}
			if p.Role() == auth.RoleAdmin {
				q.Territory = &de
			}
			got, err := svc.List(ctx, p, q)
			require.NoError(t, err, sort)
			if got.Next != "" {
				q.Page, q.After = 0, got.Next
				_, err = svc.List(ctx, p, q)
				require.NoError(t, err, sort)
			}
		}
	}
	for _, text := range []string{"restaurant", "gasthaus zur", "xqzv", "berlin", "@gmail"} {
		for _, sort := range []string{"createdAt", "companyName"} {
			_, err := svc.List(ctx, p, lead.ListQuery{Q: &text, Sort: sort, Desc: sort == "createdAt", Size: 20})
			require.NoError(t, err, text)
		}
	}
	first := page.Leads[0]
	_, err = svc.Get(ctx, p, first.ID)
	require.NoError(t, err)
	_, _, err = svc.Activities(ctx, p, first.ID, 0, 20)
	require.NoError(t, err)
	name, city := first.CompanyName, "Berlin"
	if first.City != nil {
		city = *first.City
	}
	for _, q := range []lead.DuplicateQuery{
		{CompanyName: &name, City: &city, CountryCode: first.Territory},
		{CompanyName: &name, PostalCode: first.PostalCode, Website: first.Website, CountryCode: first.Territory},
		{CompanyName: &name, CountryCode: first.Territory},
		{Email: first.Email, Phone: first.Phone, CountryCode: first.Territory},
	} {
		_, err := svc.Duplicates(ctx, p, q)
		require.NoError(t, err)
	}

	company := "Explain Probe " + uuid.NewString()[:8] + " Nr " + string(rune('A'+n))
	email := strings.ToLower(strings.ReplaceAll(company, " ", ".")) + "@probe.example"
	consent := true // so the follow-up worker below sends, not skips
	created, err := svc.Create(ctx, p, lead.CreateInput{CompanyName: company, Email: &email, City: &city,
		PostalCode: first.PostalCode, CountryCode: &de, EmailConsent: &consent})
	require.NoError(t, err)
	_, err = svc.AddActivity(ctx, p, created.ID, lead.ActivityInput{Type: "CALL", Description: "erreicht"})
	require.NoError(t, err)
	updated, err := svc.Get(ctx, p, created.ID)
	require.NoError(t, err)
	changed, err := svc.Update(ctx, p, created.ID, updated.Version, lead.UpdateInput{Status: lead.Opt[lead.Status]{Set: true, V: lead.StatusActive}})
	require.NoError(t, err)
	if p.Role() != auth.RoleSales {
		back := time.Now().Add(-2 * 24 * time.Hour)
		_, err = svc.Backdate(ctx, p, created.ID, changed.Version, lead.BackdateInput{RegisteredAt: &back,
			Reason: "Messekontakt, auf Papier erfasst"})
		require.NoError(t, err)
	}

	events, next, err := feed.Read(ctx, p, event.Position{}, 100)
	require.NoError(t, err)
	require.NotEmpty(t, events)
	_, _, err = feed.Read(ctx, p, next, 100)
	require.NoError(t, err)
	// A reader at the head, as the bus and the live streams are.
	tail, err := event.Tail(ctx, pool)
	require.NoError(t, err)
	_, _, err = feed.Read(ctx, p, tail, 100)
	require.NoError(t, err)
}
