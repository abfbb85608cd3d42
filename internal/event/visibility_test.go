package event_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/postgres"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// TestVisibilityInGoAgreesWithRowLevelSecurity: for random leads, events
// and principals, Audience.VisibleTo says yes exactly for the rows that
// PostgreSQL returns to that principal, on leads and on the outbox.
func TestVisibilityInGoAgreesWithRowLevelSecurity(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(7, 11))
	users := []string{"u1", "u2", "u3", "u4", "u5"}
	territories := []string{"DE", "CH", "AT"}
	some := func(from []string) []string {
		out := []string{}
		for _, s := range from {
			if rng.IntN(3) == 0 {
				out = append(out, s)
			}
		}
		return out
	}
	pick := func(from []string) string { return from[rng.IntN(len(from))] }

	audiences := map[uuid.UUID]event.Audience{}
	events := map[int64]event.Audience{}
	for range 80 {
		a := event.Audience{Territory: pick(territories), Owner: pick(users), Collaborators: some(users)}
		id := uuid.New()
		audiences[id] = a
		db.Exec(t, `INSERT INTO leads (id, company_name, territory, owner_user_id, collaborator_user_ids, registered_at,
			created_at, created_by, updated_at, updated_by) VALUES ($1, 'Betrieb', $2, $3, $4, now(), now(), $3, now(), $3)`,
			id, a.Territory, a.Owner, a.Collaborators)
		// Events record their audience when written; some have none.
		if rng.IntN(4) == 0 {
			a = event.Audience{}
		}
		var eid int64
		require.NoError(t, db.Pool.QueryRow(ctx, `INSERT INTO event_outbox (event_id, type, territory, owner_user_id,
			collaborator_user_ids, envelope) VALUES ($1, 'lead.updated', nullif($2, ''), nullif($3, ''), $4, '{}')
			RETURNING id`, uuid.New(), a.Territory, a.Owner, nonNil(a.Collaborators)).Scan(&eid))
		events[eid] = a
	}

	app := db.AppPool(t)
	roles := [][]auth.Role{nil, {auth.RoleSales}, {auth.RoleManager}, {auth.RoleAdmin}, {auth.RoleSales, auth.RoleManager}}
	principals := []auth.Principal{auth.System()}
	for range 150 {
		principals = append(principals, auth.Principal{UserID: pick(append(users, "u6")), Roles: roles[rng.IntN(len(roles))],
			Territories: some(append(territories, "XX"))})
	}
	for _, p := range principals {
		var leads []uuid.UUID
		var seen []int64
		err := postgres.InTx(ctx, app, p, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT id FROM leads`)
			if err != nil {
				return err
			}
			if leads, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
				return err
			}
			rows, err = tx.Query(ctx, `SELECT id FROM event_outbox`)
			if err != nil {
				return err
			}
			seen, err = pgx.CollectRows(rows, pgx.RowTo[int64])
			return err
		})
		require.NoError(t, err)
		who := fmt.Sprintf("%s %v %v", p.UserID, p.Role(), p.Territories)
		for id, a := range audiences {
			require.Equal(t, slices.Contains(leads, id), a.VisibleTo(p), "lead %+v for %s", a, who)
		}
		for id, a := range events {
			require.Equal(t, slices.Contains(seen, id), a.VisibleTo(p), "event %+v for %s", a, who)
		}
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
