package lead_test

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/postgres/pgtest"
)

func TestBackfillNormalizesOldRows(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	n := 0
	insert := func(company, email, phone string) uuid.UUID {
		n++ // ids in insertion order: the backfill walks by id
		id := uuid.MustParse(fmt.Sprintf("%08d-0000-4000-8000-000000000000", n))
		db.Exec(t, `INSERT INTO leads (id, company_name, email, phone, territory, owner_user_id, registered_at, created_at,
			created_by, updated_at, updated_by) VALUES ($1, $2, nullif($3, ''), nullif($4, ''), 'DE', 'anna', now(), now(), 'anna', now(), 'anna')`,
			id, company, email, phone)
		return id
	}
	a := insert("Café Müller AG", "Info@Mueller.example", "030 123456")
	insert("Zweiter Eintrag", "", "+49 30 123456") // the same number: stays un-normalized
	insert("Kaputt GmbH", "", "12")
	for i := range 7 {
		insert("Lead "+string(rune('a'+i)), "", "")
	}
	svc := newService(t, db)
	res, err := svc.Backfill(t.Context(), 3)
	require.NoError(t, err)
	require.Equal(t, lead.BackfillResult{Scanned: 10, Updated: 9, Conflicts: 1, Invalid: 1}, res)

	var email, company, phone, domain string
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SELECT email_normalized, company_name_normalized, phone_e164, website_domain
		FROM leads WHERE id = $1`, a).Scan(&email, &company, &phone, &domain))
	require.Equal(t, []string{"info@mueller.example", "cafe muller", "+4930123456", "mueller.example"}, []string{email, company, phone, domain})

	again, err := svc.Backfill(t.Context(), 100)
	require.NoError(t, err)
	require.Zero(t, again.Updated, "a second run finds nothing to do")
}
