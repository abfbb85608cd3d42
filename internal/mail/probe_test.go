package mail_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/mail"
	"github.com/freshplan/leads/internal/metric"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

// TestBacklogProbeReportsThePendingMailsAndTheOldest: two mails wait, one
// of them for 20 minutes, and a sent one does not count.
func TestBacklogProbeReportsThePendingMailsAndTheOldest(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	m := metric.New()
	probe := mail.BacklogProbe(db.AppPool(t), m)
	require.NoError(t, probe(t.Context()))
	require.Zero(t, testutil.ToFloat64(m.MailPending))
	require.Zero(t, testutil.ToFloat64(m.MailOldestPending))

	queue(t, db, "<a@test>", time.Now())
	old := queue(t, db, "<b@test>", time.Now())
	sent := queue(t, db, "<c@test>", time.Now())
	db.Exec(t, `UPDATE mail_outbox SET created_at = now() - interval '20 minutes' WHERE id = $1`, old)
	db.Exec(t, `UPDATE mail_outbox SET state = 'SENT', created_at = now() - interval '1 hour' WHERE id = $1`, sent)
	require.NoError(t, probe(t.Context()))
	require.Equal(t, 2.0, testutil.ToFloat64(m.MailPending))
	require.InDelta(t, 20*60, testutil.ToFloat64(m.MailOldestPending), 60)
}
