package demo_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/demo"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/normalize"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
	"github.com/freshplan/leads/internal/territory"
)

var asOf = time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)

// TestSeedScale seeds 2,000 leads and 10,000 activities into a fresh
// database and checks the shape the benchmarks rely on. At this size a
// territory has fewer than 10,000 leads, so the bench user owns a tenth of
// its territory's leads and collaborates on a hundredth (1,000 and 100
// from 10,000 leads on; see TestBenchShare).
func TestSeedScale(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := pgtest.New(t)
	report, err := demo.SeedScale(ctx, db.Pool, demo.ScaleOptions{Leads: 2000, Activities: 10_000, Seed: 3, AsOf: asOf, Streams: 3})
	require.NoError(t, err)

	require.Equal(t, 2000, count(t, db.Pool, `SELECT count(*) FROM leads`))
	require.Equal(t, 10_000, count(t, db.Pool, `SELECT count(*) FROM activities`))
	require.Equal(t, report.Users, count(t, db.Pool, `SELECT count(*) FROM users`))
	require.Zero(t, count(t, db.Pool, `SELECT count(*) FROM event_outbox`), "no events for seeded rows")
	perTerritory := map[string]int{}
	for _, tr := range report.Territories {
		perTerritory[tr.Code] = count(t, db.Pool, `SELECT count(*) FROM leads WHERE territory = $1`, tr.Code)
		require.Equal(t, tr.Leads, perTerritory[tr.Code])
		require.Equal(t, tr.BenchOwned, count(t, db.Pool, `SELECT count(*) FROM leads WHERE owner_user_id = $1`, tr.BenchUser))
		require.Equal(t, tr.BenchCollaborating, count(t, db.Pool,
			`SELECT count(*) FROM leads WHERE $1 = ANY (collaborator_user_ids)`, tr.BenchUser))
	}
	require.Equal(t, map[string]int{"DE": 1200, "CH": 400, "AT": 400}, perTerritory)
	require.Equal(t, 120, report.Territories[2].BenchOwned, "DE: a tenth of 1,200")
	require.Equal(t, 12, report.Territories[2].BenchCollaborating)

	// About one name in five starts with a business word.
	var words []string
	for _, w := range demo.BusinessWords {
		words = append(words, strings.ToLower(w))
	}
	generic := count(t, db.Pool, `SELECT count(*) FROM leads WHERE lower(split_part(company_name, ' ', 1)) = ANY ($1)`, words)
	require.InDelta(t, 0.20, float64(generic)/2000, 0.04)

	// About 1 % are near-duplicates: same territory and city, the same
	// normalized name or a trigram similarity of at least 0.7 (SPEC §3).
	dups := count(t, db.Pool, `SELECT count(*) FROM leads a WHERE EXISTS (SELECT 1 FROM leads b
		WHERE b.territory = a.territory AND lower(b.city) = lower(a.city) AND b.id < a.id
		AND (b.company_name_normalized = a.company_name_normalized
			OR similarity(b.company_name_normalized, a.company_name_normalized) >= 0.7))`)
	require.InDelta(t, 0.01, float64(dups)/2000, 0.008, "%d near-duplicates", dups)

	requireConsistentRows(t, db.Pool)
	requireNormalized(t, db.Pool)
	requireServiceReads(t, db, report)

	_, err = demo.SeedScale(ctx, db.Pool, demo.ScaleOptions{Leads: 10, Activities: 10, AsOf: asOf})
	require.ErrorContains(t, err, "seeded leads already")
}

// requireConsistentRows checks what the constraints do not: dates and
// derived columns agree across rows and tables.
func requireConsistentRows(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	meaningful := []string{}
	for _, typ := range lead.UserActivityTypes {
		if lead.IsMeaningful(typ) {
			meaningful = append(meaningful, typ)
		}
	}
	for _, c := range []struct {
		q    string
		args []any
	}{
		{`SELECT count(*) FROM leads WHERE created_at <> registered_at OR updated_at < registered_at OR updated_at > $1
			OR registered_at < $1::timestamptz - interval '731 days'`, []any{asOf}},
		{`SELECT count(*) FROM activities a JOIN leads l ON l.id = a.lead_id
			WHERE a.occurred_at < l.registered_at OR a.occurred_at > $1 OR a.user_id <> l.owner_user_id`, []any{asOf}},
		{`SELECT count(*) FROM leads l WHERE last_activity_at IS DISTINCT FROM
			(SELECT max(occurred_at) FROM activities a WHERE a.lead_id = l.id AND a.type = ANY ($1))`, []any{meaningful}},
		{`SELECT count(*) FROM leads WHERE (status = 'EXPIRED') <> (expired_at IS NOT NULL)
			OR (status = 'REMINDER' AND reminder_sent_at IS NULL) OR (status = 'GRACE_PERIOD' AND grace_period_start_at IS NULL)
			OR (clock_stopped_at IS NOT NULL AND status <> 'ACTIVE')`, nil},
		{`SELECT count(*) FROM leads WHERE owner_user_id = ANY (collaborator_user_ids)`, nil},
		{`SELECT count(*) FROM leads l WHERE NOT EXISTS
			(SELECT 1 FROM users u WHERE u.id = l.owner_user_id AND l.territory = ANY (u.territories))`, nil},
		{`SELECT count(*) FROM leads WHERE follow_up_count <>
			(t3_follow_up_sent_at IS NOT NULL)::int + (t7_follow_up_sent_at IS NOT NULL)::int
			OR t7_follow_up_sent_at > $1 OR t3_follow_up_sent_at > $1`, []any{asOf}},
	} {
		require.Zero(t, count(t, pool, c.q, c.args...), c.q)
	}
	var hasDeletedAt bool
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_name = 'leads' AND column_name = 'deleted_at')`).Scan(&hasDeletedAt))
	if hasDeletedAt {
		require.Zero(t, count(t, pool, `SELECT count(*) FROM leads WHERE (status = 'DELETED') <> (deleted_at IS NOT NULL)`))
	}
	// Statuses spread as a territory's do: every one occurs, open leads lead.
	statuses := map[string]int{}
	for _, s := range lead.Statuses {
		statuses[string(s)] = count(t, pool, `SELECT count(*) FROM leads WHERE status = $1`, s)
		require.Positive(t, statuses[string(s)], s)
	}
	require.Greater(t, statuses["REGISTERED"]+statuses["ACTIVE"], 2000*40/100, "%v", statuses)
	require.Less(t, statuses["DELETED"], 2000*6/100, "%v", statuses)
	// Activities are skewed: some leads have many, many have none.
	require.Greater(t, count(t, pool, `SELECT max(c) FROM (SELECT count(*) c FROM activities GROUP BY lead_id) x`), 30)
	require.Greater(t, count(t, pool, `SELECT count(*) FROM leads l WHERE NOT EXISTS (SELECT 1 FROM activities a WHERE a.lead_id = l.id)`), 2000/10)
}

// requireNormalized: the derived columns of a sample are what the service
// computes (internal/normalize, as lead.normalizeLead calls it).
func requireNormalized(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT company_name, email, phone, website, territory,
		company_name_normalized, email_normalized, phone_e164, website_domain FROM leads ORDER BY id LIMIT 300`)
	require.NoError(t, err)
	var company, terr string
	var email, phone, site, companyN, emailN, phoneN, domain *string
	seen := 0
	_, err = pgx.ForEachRow(rows, []any{&company, &email, &phone, &site, &terr, &companyN, &emailN, &phoneN, &domain}, func() error {
		seen++
		require.Equal(t, normalize.CompanyName(company), companyN)
		var wantEmail *string
		if email != nil {
			wantEmail = normalize.Email(*email, false)
		}
		require.Equal(t, wantEmail, emailN)
		var wantPhone *string
		if phone != nil {
			wantPhone, _ = normalize.Phone(*phone, terr)
		}
		require.Equal(t, wantPhone, phoneN, "%v", phone)
		require.Equal(t, normalize.WebsiteDomain(site, wantEmail), domain)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 300, seen)
}

// requireServiceReads: the service reads the seeded rows under row-level
// security, as freshplan_app with a user's scope.
func requireServiceReads(t *testing.T, db *pgtest.DB, report *demo.ScaleReport) {
	t.Helper()
	ctx := t.Context()
	de := report.Territories[2]
	bench := auth.Principal{UserID: de.BenchUser, Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE"}}
	manager := auth.Principal{UserID: "manager.de.01", Roles: []auth.Role{auth.RoleManager}, Territories: []string{"DE"}}
	require.Equal(t, de.BenchOwned+de.BenchCollaborating, scoped(t, db.Pool, bench, `SELECT count(*) FROM leads`))
	require.Equal(t, de.Leads, scoped(t, db.Pool, manager, `SELECT count(*) FROM leads`))

	territories, err := territory.Load(ctx, db.Pool)
	require.NoError(t, err)
	quiet := slog.New(slog.DiscardHandler)
	m := metric.New()
	svc := lead.NewService(lead.Deps{Pool: db.Pool, Publisher: event.NewPublisher(pgnotify.NewRelay(db.Pool), m, quiet, false, time.Now),
		Metrics: m, Territories: territories, Now: time.Now, Log: quiet})
	var ids []uuid.UUID
	rows, err := db.Pool.Query(ctx, `SELECT id FROM leads WHERE owner_user_id = $1 ORDER BY id LIMIT 20`, de.BenchUser)
	require.NoError(t, err)
	ids, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	require.NoError(t, err)
	require.Len(t, ids, 20)
	for _, id := range ids {
		l, err := svc.Get(ctx, bench, id)
		require.NoError(t, err)
		require.Equal(t, de.BenchUser, l.OwnerUserID)
		require.Equal(t, normalize.CompanyName(l.CompanyName), l.CompanyNameNormalized)
		acts, total, err := svc.Activities(ctx, bench, id, 0, 100)
		require.NoError(t, err)
		require.Len(t, acts, min(total, 100))
	}
}

// TestSeedScaleStreams: the rows depend on the seed, not on the number of
// streams, nor on whether the indexes are rebuilt.
func TestSeedScaleStreams(t *testing.T) {
	t.Parallel()
	a, b := pgtest.New(t), pgtest.New(t)
	opts := demo.ScaleOptions{Leads: 600, Activities: 2500, Seed: 11, AsOf: asOf, SkipVacuum: true, Streams: 1}
	ra, err := demo.SeedScale(t.Context(), a.Pool, opts)
	require.NoError(t, err)
	require.True(t, ra.RebuiltIndexes)
	opts.Streams, opts.KeepIndexes = 4, true
	rb, err := demo.SeedScale(t.Context(), b.Pool, opts)
	require.NoError(t, err)
	require.False(t, rb.RebuiltIndexes)
	require.Equal(t, indexDefs(t, a.Pool), indexDefs(t, b.Pool), "the rebuilt indexes are the migrated ones")
	for _, q := range []string{
		`SELECT md5(string_agg(l::text, '|' ORDER BY id)) FROM leads l`,
		`SELECT md5(string_agg((id, lead_id, type, occurred_at, description, outcome, user_id)::text, '|' ORDER BY id)) FROM activities`,
		`SELECT md5(string_agg((id, name, roles, territories)::text, '|' ORDER BY id)) FROM users`,
	} {
		require.Equal(t, digest(t, a.Pool, q), digest(t, b.Pool, q), q)
	}
}

// TestSeedScaleNeedsBypass: COPY as freshplan's login role (no BYPASSRLS)
// is refused with a message that names the way out.
func TestSeedScaleNeedsBypass(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	_, err := demo.SeedScale(t.Context(), db.AppPool(t), demo.ScaleOptions{Leads: 10, Activities: 10})
	require.ErrorContains(t, err, "BYPASSRLS")
}

func count(t *testing.T, pool *pgxpool.Pool, q string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, pool.QueryRow(t.Context(), q, args...).Scan(&n), q)
	return n
}

func scoped(t *testing.T, pool *pgxpool.Pool, p auth.Principal, q string) int {
	t.Helper()
	var n int
	err := postgres.InTx(t.Context(), pool, p, func(tx pgx.Tx) error {
		return tx.QueryRow(t.Context(), q).Scan(&n)
	})
	require.NoError(t, err)
	return n
}

func indexDefs(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT indexdef FROM pg_indexes WHERE tablename IN ('leads', 'activities') ORDER BY indexname`)
	require.NoError(t, err)
	defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.NotEmpty(t, defs)
	return defs
}

func digest(t *testing.T, pool *pgxpool.Pool, q string) string {
	t.Helper()
	var s string
	require.NoError(t, pool.QueryRow(context.Background(), q).Scan(&s))
	return s
}
