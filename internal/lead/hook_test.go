package lead_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/event/pgnotify"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres/pgtest"
	"github.com/freshplan/leads/internal/territory"
)

// newService is the lead service on db with hooks, as main wires it.
func newService(t *testing.T, db *pgtest.DB, hooks ...lead.TxHook) *lead.Service {
	t.Helper()
	territories, err := territory.Load(t.Context(), db.Pool)
	require.NoError(t, err)
	log := slog.New(slog.DiscardHandler)
	m := metric.New()
	return lead.NewService(lead.Deps{Pool: db.Pool, Publisher: event.NewPublisher(pgnotify.NewRelay(db.Pool), m, log, false, time.Now),
		Metrics: m, Territories: territories, Hooks: hooks, Now: time.Now, Log: log})
}

// auditHook records every step it takes as an audit row in the command's
// transaction, so the test sees what committed.
type auditHook struct {
	commands []string
	results  []any
}

type auditStep struct {
	h       *auditHook
	command string
}

func (h *auditHook) Begin(_ context.Context, _ pgx.Tx, command string) (lead.TxStep, error) {
	h.commands = append(h.commands, command)
	return auditStep{h, command}, nil
}

func (s auditStep) record(ctx context.Context, tx pgx.Tx, action string) error {
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (occurred_at, actor, action, territory, details)
		VALUES (now(), current_setting('app.user_id'), $1, 'DE', $2)`, action, map[string]any{"command": s.command})
	return err
}

func (s auditStep) Done(ctx context.Context, tx pgx.Tx, result any) error {
	s.h.results = append(s.h.results, result)
	return s.record(ctx, tx, "hook.done")
}

func (s auditStep) Failed(ctx context.Context, tx pgx.Tx, err error) error {
	return s.record(ctx, tx, "hook.failed:"+err.Error())
}

func TestHooksJoinTheCommandTransaction(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	hook := &auditHook{}
	svc := newService(t, db, hook)
	anna := auth.Principal{UserID: "anna", Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE"}}
	actions := func() []string {
		rows, err := db.Pool.Query(t.Context(), `SELECT action FROM audit_log ORDER BY id`)
		require.NoError(t, err)
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return out
	}

	l, err := svc.Create(t.Context(), anna, lead.CreateInput{CompanyName: "Gasthaus Linde"})
	require.NoError(t, err)
	require.Equal(t, []any{l}, hook.results, "Done gets the command's result")

	city := "Köln"
	_, err = svc.Update(t.Context(), anna, l.ID, 7, lead.UpdateInput{City: lead.Opt[string]{Set: true, V: city}})
	require.ErrorIs(t, err, lead.ErrVersionMismatch)
	require.Equal(t, []string{"hook.done", "hook.failed:lead: version mismatch: lead is at version 1"}, actions(),
		"a refused command commits what its hook recorded")
	got, err := svc.Get(t.Context(), anna, l.ID)
	require.NoError(t, err)
	require.Equal(t, 1, got.Version, "and nothing of the command itself")
	require.Equal(t, []string{lead.CommandCreate, lead.CommandUpdate}, hook.commands)
}
