package lead_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// seedScaleLeads writes n leads server-side — names from small word lists,
// so many share words, in 20 cities with their postal codes, a fifth with a
// free-mail domain, one in fifty deleted — and analyzes them.
func seedScaleLeads(t *testing.T, db *pgtest.DB, n int) {
	t.Helper()
	db.Exec(t, `INSERT INTO leads (id, company_name, contact_person, email, website, postal_code, city, country_code,
		territory, status, owner_user_id, collaborator_user_ids, registered_at, email_normalized,
		company_name_normalized, website_domain, created_at, created_by, updated_at, updated_by)
	SELECT gen_random_uuid(), initcap(g.name) || ' GmbH', 'Kontakt ' || g.i, g.email, g.website, g.postal, initcap(g.city),
		g.territory, g.territory,
		CASE WHEN g.i % 50 = 0 THEN 'DELETED' ELSE (ARRAY['REGISTERED', 'ACTIVE', 'QUALIFIED', 'LOST'])[1 + g.i % 4] END,
		CASE g.i % 10 WHEN 0 THEN 'anna' WHEN 1 THEN 'ben' ELSE 'rep' || g.i % 50 END,
		CASE WHEN g.i % 20 = 3 THEN ARRAY['anna'] ELSE '{}' END,
		g.created, g.email, g.name, g.domain, g.created, 'seed', g.created, 'seed'
	FROM (
		SELECT i, name, city, territory, created,
			lpad((10000 + ci * 500 + i % 7)::text, 5, '0') AS postal,
			CASE WHEN i % 5 < 2 THEN 'https://www.' || replace(name, ' ', '-') || '-' || i || '.de' END AS website,
			CASE WHEN i % 5 < 2 THEN replace(name, ' ', '-') || '-' || i || '.de'
			     WHEN i % 5 = 2 THEN (ARRAY['gmail.com', 'web.de', 'gmx.de'])[1 + i % 3] END AS domain,
			'info.' || i || '@' || CASE WHEN i % 5 < 2 THEN replace(name, ' ', '-') || '-' || i || '.de'
			     WHEN i % 5 = 2 THEN (ARRAY['gmail.com', 'web.de', 'gmx.de'])[1 + i % 3] ELSE 'example.com' END AS email
		FROM (
			SELECT i, ci, (ARRAY['restaurant', 'gasthaus', 'cafe', 'hotel', 'bistro', 'pizzeria', 'kantine', 'backerei'])[1 + i % 8]
				|| ' ' || (ARRAY['zur linde', 'zum adler', 'muller', 'schmidt', 'schneider', 'fischer', 'weber', 'meyer',
				'wagner', 'becker', 'schulz', 'hoffmann', 'am markt', 'am see', 'bella italia', 'sonne', 'krone'])[1 + (i / 8) % 17]
				|| CASE WHEN i % 3 = 0 THEN ' ' || (ARRAY['nord', 'sud', 'am bahnhof', 'express', 'gourmet'])[1 + i % 5] ELSE '' END AS name,
				(ARRAY['berlin', 'hamburg', 'munchen', 'koln', 'frankfurt', 'stuttgart', 'dusseldorf', 'leipzig', 'dortmund', 'essen',
				'bremen', 'dresden', 'hannover', 'nurnberg', 'duisburg', 'bochum', 'wuppertal', 'bielefeld', 'bonn', 'munster'])[1 + ci] AS city,
				CASE WHEN i % 10 < 8 THEN 'DE' WHEN i % 10 = 8 THEN 'AT' ELSE 'CH' END AS territory,
				now() - (i % 900) * interval '1 day' AS created
			FROM generate_series(1, $1::int) i, LATERAL (SELECT (i * 7919 % 20) AS ci) c
		) a
	) g`, n)
	db.Exec(t, `ANALYZE leads`)
}

// planNode is a node of EXPLAIN (FORMAT JSON).
type planNode struct {
	NodeType string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Index    string     `json:"Index Name"`
	Rows     float64    `json:"Plan Rows"`
	Plans    []planNode `json:"Plans"`
}

// walk calls fn on n and every node below it.
func (n planNode) walk(fn func(planNode)) {
	fn(n)
	for _, c := range n.Plans {
		c.walk(fn)
	}
}

// parsePlan reads the plan of EXPLAIN (FORMAT JSON)'s single row.
func parsePlan(t *testing.T, raw string) planNode {
	t.Helper()
	var out []struct {
		Plan planNode `json:"Plan"`
	}
	require.NoError(t, json.Unmarshal([]byte(raw), &out), raw)
	require.Len(t, out, 1)
	return out[0].Plan
}

// requireIndexed fails when the plan reads leads sequentially, or leaves
// out one of the indexes it should use; it returns the leads indexes used.
func requireIndexed(t *testing.T, name, raw string, want ...string) {
	t.Helper()
	var used []string
	parsePlan(t, raw).walk(func(n planNode) {
		if n.Relation == "leads" && n.NodeType == "Seq Scan" {
			t.Errorf("%s: Seq Scan on leads in\n%s", name, raw)
		}
		if n.Index != "" {
			used = append(used, n.Index)
		}
	})
	for _, w := range want {
		if !slices.Contains(used, w) {
			t.Errorf("%s: index %s not used (used %v) in\n%s", name, w, used, raw)
		}
	}
}

// explainGeneric is the plan PostgreSQL caches for call(args): the plan
// lead_duplicates (plan_cache_mode force_generic_plan) and lead_conflicts
// (a SQL function, planned without its arguments' values) run. EXPLAIN
// EXECUTE takes no bind parameters, so the arguments are quoted by the
// server into the statement.
func explainGeneric(ctx context.Context, t *testing.T, tx pgx.Tx, prepare, call string, args []*string) string {
	t.Helper()
	_, err := tx.Exec(ctx, `SET LOCAL plan_cache_mode = force_generic_plan`)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, prepare)
	require.NoError(t, err)
	defer func() {
		_, err := tx.Exec(ctx, `DEALLOCATE `+call)
		require.NoError(t, err)
	}()
	var stmt, plan string
	require.NoError(t, tx.QueryRow(ctx, `SELECT format('EXPLAIN (FORMAT JSON) EXECUTE %I(%s)', $1::text,
		(SELECT string_agg(quote_nullable(a), ', ' ORDER BY i) FROM unnest($2::text[]) WITH ORDINALITY u(a, i)))`,
		call, args).Scan(&stmt))
	require.NoError(t, tx.QueryRow(ctx, stmt).Scan(&plan))
	return plan
}

func str(s string) *string { return &s }

var scaleCallers = []auth.Principal{
	{UserID: "anna", Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE"}},
	{UserID: "mia", Roles: []auth.Role{auth.RoleManager}, Territories: []string{"DE"}},
	{UserID: "root", Roles: []auth.Role{auth.RoleAdmin}},
}

// TestScaleLookupsReadThroughIndexes checks the plans of the duplicate
// lookup, the create's checks and the list's search on 20,000 leads, as
// each role. The SECURITY DEFINER functions show only a Function Scan to
// EXPLAIN; their queries are the *_scan functions, which the planner
// inlines, so the test switches the scoped transaction to the functions'
// owner, freshplan_lookup (the connection is a superuser, whom SET ROLE
// allows that), keeps the caller's settings, and EXPLAINs the scan with the
// same arguments: the very plan the function runs, as the role it runs as.
func TestScaleLookupsReadThroughIndexes(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	seedScaleLeads(t, db, 20000)
	ctx := t.Context()
	for _, p := range scaleCallers {
		t.Run(string(p.Role()), func(t *testing.T) {
			err := postgres.InTx(ctx, db.Pool, p, func(tx pgx.Tx) error {
				requireFunctionsAnswer(ctx, t, tx)
				_, err := tx.Exec(ctx, `SET LOCAL ROLE freshplan_lookup`)
				require.NoError(t, err)
				checkDuplicatePlans(ctx, t, tx, true)
				checkConflictPlans(ctx, t, tx)
				checkSearchPlans(ctx, t, tx, p)
				return nil
			})
			require.NoError(t, err)
		})
	}
}

// requireFunctionsAnswer calls the public functions as freshplan_app.
func requireFunctionsAnswer(ctx context.Context, t *testing.T, tx pgx.Tx) {
	t.Helper()
	var n int
	require.NoError(t, tx.QueryRow(ctx, `SELECT count(*) FROM lead_duplicates('DE', 'restaurant zur linde', 'Berlin',
		NULL, NULL, NULL, NULL, NULL, 10)`).Scan(&n))
	require.Positive(t, n)
	require.NoError(t, tx.QueryRow(ctx, `SELECT count(*) FROM lead_search('zur linde', NULL, NULL, NULL, 21)`).Scan(&n))
	require.Positive(t, n)
}

const prepareDuplicateScan = `PREPARE dup_scan(text, text, text, text, text, text, text, uuid, integer) AS
	SELECT * FROM lead_duplicate_scan($1, $2, $3, $4, $5, $6, $7, $8, $9)`

// checkDuplicatePlans EXPLAINs the duplicate lookup's branches; with
// named, each must use the indexes named (on the seeder's data the planner
// may answer the exact-name branch from the GiST instead, which is as
// good).
func checkDuplicatePlans(ctx context.Context, t *testing.T, tx pgx.Tx, named bool) {
	t.Helper()
	cases := []struct {
		name string
		args []*string
		want []string
	}{
		{"lookup by name and city", []*string{str("DE"), str("restaurant zur linde"), str("Berlin"), nil, nil, nil, nil, nil, str("10")},
			[]string{"leads_territory_company_city_idx", "leads_dedupe_place_idx"}},
		{"create check", []*string{str("DE"), str("cafe muller nord"), str("Koln"), str("10150"), str("gmail.com"), nil, nil, nil, str("5")},
			[]string{"leads_dedupe_place_idx", "leads_dedupe_domain_idx"}},
		{"lookup by name, e-mail and phone", []*string{str("DE"), str("hotel sonne"), nil, nil, str("example.com"),
			str("info.7@example.com"), str("+4930123456"), nil, str("10")},
			[]string{"leads_territory_email_uidx", "leads_territory_phone_uidx", "leads_dedupe_name_trgm_idx"}},
	}
	for _, c := range cases {
		if !named {
			c.want = nil
		}
		requireIndexed(t, c.name, explainGeneric(ctx, t, tx, prepareDuplicateScan, "dup_scan", c.args), c.want...)
	}
}

func checkConflictPlans(ctx context.Context, t *testing.T, tx pgx.Tx) {
	t.Helper()
	plan := explainGeneric(ctx, t, tx, `PREPARE conflict_scan(text, text, text, uuid) AS
		SELECT * FROM lead_conflict_scan($1, $2, $3, $4)`, "conflict_scan",
		[]*string{str("DE"), str("info.7@example.com"), str("+4930123456"), nil})
	requireIndexed(t, "hard duplicates", plan, "leads_territory_email_uidx", "leads_territory_phone_uidx")
}

// checkSearchPlans EXPLAINs the plans of lead_search as it runs them
// (plan_cache_mode force_generic_plan): the newest-first walk it takes for
// a common text, the trigram scan it takes for a rare one, and for a rep
// the read of their own leads. Any of them may be asked for any text, and
// none may read the table through. (The
// share lead_search measures first comes from a TABLESAMPLE of about 40
// pages: a Sample Scan, bounded whatever the table's size.)
func checkSearchPlans(ctx context.Context, t *testing.T, tx pgx.Tx, p auth.Principal) {
	t.Helper()
	scope := "{" + strings.Join(p.Territories, ",") + "}"
	if p.Role() == auth.RoleAdmin {
		scope = "{AT,CH,DE}"
	}
	cases := []struct {
		name          string
		q             string
		status, owner *string
		limit         string
	}{
		{"rare text, a page", "info.4711@", nil, nil, "21"},
		{"common text, to count", "restaurant", nil, nil, "10001"},
		{"short text", "ba", nil, nil, "21"},
		{"deleted", "linde", str("DELETED"), nil, "21"},
		{"one status and owner", "schmidt", str("ACTIVE"), str("anna"), "21"},
	}
	plans := []struct{ name, prepare, index string }{
		{"search_recent", `PREPARE search_recent(text, text, text, text[], integer) AS
			SELECT * FROM lead_search_recent($1, $2, $3, $4, $5)`, "leads_territory_created"},
		{"search_scan", `PREPARE search_scan(text, text, text, text[], integer) AS
			SELECT * FROM lead_search_scan($1, $2, $3, $4, $5)`, "leads_search_territory_trgm_idx"},
	}
	if p.Role() == auth.RoleSales {
		plans = append(plans, struct{ name, prepare, index string }{"search_own",
			`PREPARE search_own(text, text, text, text[], text, integer) AS
			SELECT * FROM lead_search_own($1, $2, $3, $4, $5, $6)`, "leads_owner_idx"})
	}
	for _, c := range cases {
		for _, pl := range plans {
			args := []*string{&c.q, c.status, c.owner, &scope, &c.limit}
			if pl.name == "search_own" {
				args = []*string{&c.q, c.status, c.owner, &scope, &p.UserID, &c.limit}
			}
			raw := explainGeneric(ctx, t, tx, pl.prepare, pl.name, args)
			requireIndexed(t, pl.name+" "+c.name, raw)
			require.Contains(t, raw, pl.index, "%s %s", pl.name, c.name)
		}
	}
}
