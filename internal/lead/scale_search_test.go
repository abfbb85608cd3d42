package lead_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// truthSQL is the list's q as a plain query under row-level security: what
// lead_search must return, by whichever plan.
const truthSQL = `WITH p AS (SELECT '%' || replace(replace(replace($1::text, '\', '\\'), '%', '\%'), '_', '\_') || '%' AS pattern)
	SELECT l.id FROM leads l, p
	WHERE (l.deleted_at IS NULL) = ($2::text IS DISTINCT FROM 'DELETED') AND ($2::text IS NULL OR l.status = $2)
	  AND (l.company_name ILIKE p.pattern OR l.contact_person ILIKE p.pattern OR l.email ILIKE p.pattern
	       OR l.city ILIKE p.pattern)
	ORDER BY l.created_at DESC, l.id DESC LIMIT $3`

func ids(ctx context.Context, t *testing.T, tx pgx.Tx, sql string, args ...any) []uuid.UUID {
	t.Helper()
	rows, err := tx.Query(ctx, sql, args...)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	require.NoError(t, err)
	return out
}

// TestSearchFindsWhatTheListWouldShow compares lead_search, and each of its
// plans (any plan must give any caller the same answer), with the plain
// query as each role sees it.
func TestSearchFindsWhatTheListWouldShow(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	seedScaleLeads(t, db, 3000)
	ctx := t.Context()
	for _, p := range scaleCallers {
		for _, c := range []struct {
			q      string
			status *string
			limit  int
		}{{"zur linde", nil, 10001}, {"Zur Linde", nil, 7}, {"BERLIN", nil, 50}, {"gmail", str("ACTIVE"), 10001},
			{"info.1234@", nil, 21}, {"50%_\\", nil, 21}, {"linde", str("DELETED"), 10001}} {
			err := postgres.InTx(ctx, db.Pool, p, func(tx pgx.Tx) error {
				truth := ids(ctx, t, tx, truthSQL, c.q, c.status, c.limit)
				if c.q == "zur linde" {
					require.NotEmpty(t, truth, "%s sees leads to find", p.Role())
				}
				got := ids(ctx, t, tx, `SELECT lead_id FROM lead_search($1, $2, NULL, NULL, $3)`, c.q, c.status, c.limit)
				require.Equal(t, truth, got, "%s %q", p.Role(), c.q)
				scope := p.Territories
				if len(scope) == 0 {
					scope = []string{"AT", "CH", "DE"}
				}
				_, err := tx.Exec(ctx, `SET LOCAL ROLE freshplan_lookup`)
				require.NoError(t, err)
				if p.Role() == auth.RoleSales {
					got := ids(ctx, t, tx, `SELECT lead_id FROM lead_search_own($1, $2, NULL, $3, $4, $5)`,
						c.q, c.status, scope, p.UserID, c.limit)
					require.Equal(t, truth, got, "lead_search_own %q", c.q)
				}
				for _, plan := range []string{"lead_search_recent", "lead_search_scan"} {
					got := ids(ctx, t, tx, `SELECT lead_id FROM `+plan+`($1, $2, NULL, $3, $4)`, c.q, c.status, scope, c.limit)
					require.Equal(t, truth, got, "%s %s %q", plan, p.Role(), c.q)
				}
				return nil
			})
			require.NoError(t, err)
		}
	}
}
