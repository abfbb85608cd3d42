package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// insertLead writes a fixture as the admin connection (a superuser, which
// bypasses row-level security).
func insertLead(t *testing.T, db *pgtest.DB, territory, owner string, collaborators ...string) uuid.UUID {
	t.Helper()
	id := uuid.New()
	if collaborators == nil {
		collaborators = []string{}
	}
	db.Exec(t, `INSERT INTO leads (id, company_name, country_code, territory, owner_user_id, collaborator_user_ids,
		registered_at, created_at, created_by, updated_at, updated_by)
		VALUES ($1, 'Test '||$2, $2, $2, $3, $4, now(), now(), $3, now(), $3)`, id, territory, owner, collaborators)
	return id
}

// asApp runs fn in a transaction that has switched to freshplan_app, with
// the given settings applied raw (nil map: no settings at all).
func asApp(t *testing.T, db *pgtest.DB, settings map[string]string, fn func(tx pgx.Tx)) {
	t.Helper()
	asRole(t, db, postgres.AppRole, settings, fn)
}

func visibleLeads(t *testing.T, tx pgx.Tx) map[uuid.UUID]bool {
	t.Helper()
	rows, err := tx.Query(context.Background(), "SELECT id FROM leads")
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	require.NoError(t, err)
	out := map[uuid.UUID]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out
}

func TestRLSWithoutSettingsSeesAndWritesNothing(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	insertLead(t, db, "DE", "anna")
	insertLead(t, db, "CH", "beat")
	asApp(t, db, nil, func(tx pgx.Tx) {
		require.Empty(t, visibleLeads(t, tx))
		var users, territories int
		require.NoError(t, tx.QueryRow(context.Background(), "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM territories)").Scan(&users, &territories))
		require.Zero(t, users)
		require.Zero(t, territories)
		_, err := tx.Exec(context.Background(), `INSERT INTO leads (id, company_name, territory, owner_user_id,
			registered_at, created_at, created_by, updated_at, updated_by)
			VALUES (gen_random_uuid(), 'X', 'DE', 'anna', now(), now(), 'anna', now(), 'anna')`)
		require.ErrorContains(t, err, "row-level security")
	})
}

func TestRLSSalesSeesOwnAndCollaboratingLeadsOfOwnTerritory(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	own := insertLead(t, db, "DE", "anna")
	shared := insertLead(t, db, "DE", "bernd", "anna")
	colleague := insertLead(t, db, "DE", "bernd")
	ownButOtherTerritory := insertLead(t, db, "AT", "anna")
	asApp(t, db, map[string]string{"app.user_id": "anna", "app.role": "SALES", "app.territories": "{DE}"}, func(tx pgx.Tx) {
		seen := visibleLeads(t, tx)
		require.Equal(t, map[uuid.UUID]bool{own: true, shared: true}, seen)
		require.False(t, seen[colleague])
		require.False(t, seen[ownButOtherTerritory])
		// Inserting a lead owned by someone else is refused.
		_, err := tx.Exec(context.Background(), `INSERT INTO leads (id, company_name, territory, owner_user_id,
			registered_at, created_at, created_by, updated_at, updated_by)
			VALUES (gen_random_uuid(), 'X', 'DE', 'bernd', now(), now(), 'anna', now(), 'anna')`)
		require.ErrorContains(t, err, "row-level security")
	})
}

func TestRLSManagerSeesAllLeadsOfOwnTerritoryOnly(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	de1 := insertLead(t, db, "DE", "anna")
	de2 := insertLead(t, db, "DE", "bernd")
	insertLead(t, db, "CH", "claudia")
	insertLead(t, db, "AT", "dora")
	asApp(t, db, map[string]string{"app.user_id": "mia", "app.role": "MANAGER", "app.territories": "{DE}"}, func(tx pgx.Tx) {
		require.Equal(t, map[uuid.UUID]bool{de1: true, de2: true}, visibleLeads(t, tx))
		tag, err := tx.Exec(context.Background(), "UPDATE leads SET version = version + 1")
		require.NoError(t, err)
		require.EqualValues(t, 2, tag.RowsAffected(), "updates reach only the visible rows")
	})
}

func TestRLSUnknownRoleSeesNothing(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	insertLead(t, db, "DE", "anna")
	asApp(t, db, map[string]string{"app.user_id": "anna", "app.role": "GUEST", "app.territories": "{DE}"}, func(tx pgx.Tx) {
		require.Empty(t, visibleLeads(t, tx))
	})
	asApp(t, db, map[string]string{"app.user_id": "anna", "app.role": "SALES"}, func(tx pgx.Tx) {
		require.Empty(t, visibleLeads(t, tx), "no territory means no data")
	})
}

func TestInTxScopesEvenASuperuserConnection(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	de := insertLead(t, db, "DE", "anna")
	insertLead(t, db, "CH", "anna")
	ctx := context.Background()
	p := auth.Principal{UserID: "anna", Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE"}}
	require.NoError(t, postgres.InTx(ctx, db.Pool, p, func(tx pgx.Tx) error {
		var role string
		require.NoError(t, tx.QueryRow(ctx, "SELECT current_user").Scan(&role))
		require.Equal(t, postgres.AppRole, role)
		require.Equal(t, map[uuid.UUID]bool{de: true}, visibleLeads(t, tx))
		return nil
	}))
	// The settings are transaction-local: the pooled connection is clean again.
	var role, uid string
	require.NoError(t, db.Pool.QueryRow(ctx, "SELECT current_user, current_setting('app.user_id', true)").Scan(&role, &uid))
	require.NotEqual(t, postgres.AppRole, role)
	require.Empty(t, uid)
	require.NoError(t, postgres.InTx(ctx, db.Pool, auth.Principal{UserID: "nobody"}, func(tx pgx.Tx) error {
		require.Empty(t, visibleLeads(t, tx), "a principal without a role sees nothing")
		return nil
	}))
}

func TestAppRoleOwnsNothingAndCannotBypass(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	var super, bypass, login bool
	require.NoError(t, db.Pool.QueryRow(context.Background(),
		"SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = 'freshplan_app'").Scan(&super, &bypass, &login))
	require.False(t, super)
	require.False(t, bypass)
	require.False(t, login)
	var owned int
	require.NoError(t, db.Pool.QueryRow(context.Background(),
		"SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = 'freshplan_app'").Scan(&owned))
	require.Zero(t, owned)
	var forced int
	require.NoError(t, db.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM pg_class WHERE relname IN ('leads','activities','users','territories','audit_log')
		 AND relrowsecurity AND relforcerowsecurity`).Scan(&forced))
	require.Equal(t, 5, forced)
}

// TestTerritoryWithSeparatorIsOneCode replays the finding: a territory
// claim "DE,AT" was one unknown code to Go but two territories to SQL. The
// scope carries a text[] literal, so it stays one code, which matches no
// lead.
func TestTerritoryWithSeparatorIsOneCode(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	insertLead(t, db, "DE", "anna")
	insertLead(t, db, "AT", "toni")
	p := auth.Principal{UserID: "mia", Roles: []auth.Role{auth.RoleManager}, Territories: []string{"DE,AT"}}
	require.NoError(t, postgres.InTx(t.Context(), db.Pool, p, func(tx pgx.Tx) error {
		var territories []string
		require.NoError(t, tx.QueryRow(t.Context(), `SELECT app_territories()`).Scan(&territories))
		require.Equal(t, []string{"DE,AT"}, territories)
		require.Empty(t, visibleLeads(t, tx))
		return nil
	}))
}

// TestSystemIsARoleNotASetting: app.role = SYSTEM set by a freshplan_app
// statement grants nothing; the system role with its settings sees what
// jobs need, and without them nothing.
func TestSystemIsARoleNotASetting(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	insertLead(t, db, "DE", "anna")
	insertLead(t, db, "AT", "toni")
	db.Exec(t, `INSERT INTO idempotency_key (user_id, key, fingerprint, status, body, created_at, expires_at)
		VALUES ('anna', 'k', 'f', 201, 'secret', now(), now() + interval '1 day')`)
	asApp(t, db, map[string]string{"app.user_id": "SYSTEM", "app.role": "SYSTEM"}, func(tx pgx.Tx) {
		require.Empty(t, visibleLeads(t, tx))
		require.Zero(t, count(t, tx, `SELECT count(*) FROM idempotency_key`))
		require.Zero(t, count(t, tx, `SELECT count(*) FROM event_consumer`))
	})
	asApp(t, db, map[string]string{"app.user_id": "mia", "app.role": "SYSTEM", "app.territories": "{DE}"}, func(tx pgx.Tx) {
		require.Empty(t, visibleLeads(t, tx), "not even the territory of the settings")
	})
	asRole(t, db, postgres.SystemRole, map[string]string{"app.user_id": "SYSTEM", "app.role": "SYSTEM"}, func(tx pgx.Tx) {
		require.Len(t, visibleLeads(t, tx), 2, "the system role sees every territory")
		require.Equal(t, 1, count(t, tx, `SELECT count(*) FROM idempotency_key`))
	})
	asRole(t, db, postgres.SystemRole, nil, func(tx pgx.Tx) {
		require.Empty(t, visibleLeads(t, tx), "and nothing without its settings")
	})
	asRole(t, db, postgres.SystemRole, map[string]string{"app.user_id": "root", "app.role": "ADMIN"}, func(tx pgx.Tx) {
		require.Empty(t, visibleLeads(t, tx), "the system role is SYSTEM or nothing")
	})
}

// TestNoRowsInAnotherUsersName: a SALES scope cannot write an activity, an
// audit row or an outbox row as someone else.
func TestNoRowsInAnotherUsersName(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	lead := insertLead(t, db, "DE", "anna")
	anna := map[string]string{"app.user_id": "anna", "app.role": "SALES", "app.territories": "{DE}"}
	for name, sql := range map[string]string{
		"activity": `INSERT INTO activities (id, lead_id, type, occurred_at, user_id, created_at)
			VALUES (gen_random_uuid(), $1, 'CALL', now(), 'ben', now())`,
		"audit": `INSERT INTO audit_log (occurred_at, actor, action, lead_id, territory) VALUES (now(), 'ben', 'x', $1, 'DE')`,
		"outbox": `INSERT INTO event_outbox (event_id, type, subject_id, territory, envelope, actor)
			VALUES (gen_random_uuid(), 'x', $1, 'DE', '{}', 'ben')`,
	} {
		asApp(t, db, anna, func(tx pgx.Tx) {
			_, err := tx.Exec(t.Context(), sql, lead)
			require.ErrorContains(t, err, "row-level security", name)
		})
		asApp(t, db, anna, func(tx pgx.Tx) {
			_, err := tx.Exec(t.Context(), strings.ReplaceAll(sql, "'ben'", "'anna'"), lead)
			require.NoError(t, err, "%s in one's own name", name)
		})
	}
}

// asRole is asApp for another database role.
func asRole(t *testing.T, db *pgtest.DB, role string, settings map[string]string, fn func(tx pgx.Tx)) {
	t.Helper()
	tx, err := db.Pool.Begin(t.Context())
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(context.Background()) }()
	_, err = tx.Exec(t.Context(), "SELECT set_config('role', $1, true)", role)
	require.NoError(t, err)
	for k, v := range settings {
		_, err = tx.Exec(t.Context(), "SELECT set_config($1, $2, true)", k, v)
		require.NoError(t, err)
	}
	fn(tx)
}

func count(t *testing.T, tx pgx.Tx, sql string) int {
	t.Helper()
	var n int
	require.NoError(t, tx.QueryRow(t.Context(), sql).Scan(&n))
	return n
}
