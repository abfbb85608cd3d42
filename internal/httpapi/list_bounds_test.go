package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
)

type leadPageBody struct {
	Data []struct {
		ID string `json:"id"`
	} `json:"data"`
	Total      int    `json:"total"`
	TotalExact bool   `json:"totalExact"`
	TotalPages int    `json:"totalPages"`
	Next       string `json:"next"`
}

// seedLeads inserts n leads of territory owned by owner, server-side.
func (e *env) seedLeads(n int, territory, owner, status string) {
	e.t.Helper()
	e.db.Exec(e.t, `INSERT INTO leads (id, company_name, country_code, territory, status, owner_user_id,
		registered_at, created_at, created_by, updated_at, updated_by)
		SELECT gen_random_uuid(), 'Lead ' || i, $1, $1, $3, $2, now() - i * interval '1 minute',
			now() - i * interval '1 minute', $2, now(), $2
		FROM generate_series(1, $4) i`, territory, owner, status, n)
}

func TestListTotalIsBoundedAndSaysSo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seedLeads(10_050, "DE", "anna", "ACTIVE")
	e.seedLeads(30, "DE", "anna", "LOST")
	mia := e.token("mia", auth.RoleManager, "DE")

	var p leadPageBody
	e.do("GET", "/api/leads?size=5", mia, nil).json(t, &p)
	require.Equal(t, 10_000, p.Total)
	require.False(t, p.TotalExact)
	require.Equal(t, 2_000, p.TotalPages)
	e.do("GET", "/api/leads?size=5&status=LOST", mia, nil).json(t, &p)
	require.Equal(t, 30, p.Total)
	require.True(t, p.TotalExact)

	// A search counts the same way: its matches through the search index,
	// its pages from those matches, or, past 10,000, in the list's order.
	var all leadPageBody
	for _, sort := range []string{"createdAt,desc", "companyName,asc", "createdAt,asc"} {
		e.do("GET", "/api/leads?size=5&sort="+sort, mia, nil).json(t, &all)
		e.do("GET", "/api/leads?size=5&q=LEAD&sort="+sort, mia, nil).json(t, &p)
		require.Equal(t, 10_000, p.Total, sort)
		require.False(t, p.TotalExact, sort)
		require.Equal(t, all.Data, p.Data, "every lead matches, so the pages are the same in %s", sort)
	}
	e.do("GET", "/api/leads?q=lead%201234", mia, nil).json(t, &p)
	require.Equal(t, 1, p.Total)
	require.True(t, p.TotalExact)
	e.do("GET", "/api/leads?q=ead%201&status=LOST&size=5&page=2", mia, nil).json(t, &p)
	require.Equal(t, 11, p.Total, "Lead 1 and Lead 10 to 19 among the lost")
	require.Len(t, p.Data, 1)

	res := e.do("GET", "/api/leads?size=100&page=100", mia, nil)
	require.Equal(t, http.StatusOK, res.Status, "page × size = 10,000 is the deepest page")
	res = e.do("GET", "/api/leads?size=100&page=101", mia, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	require.Equal(t, []string{"after"}, res.problem(t).fields())
	for _, sort := range []string{"updatedAt", "status", "territory"} {
		res := e.do("GET", "/api/leads?sort="+sort, mia, nil)
		require.Equal(t, http.StatusUnprocessableEntity, res.Status, sort)
		require.Equal(t, []string{"sort"}, res.problem(t).fields())
	}
}

// TestKeysetWalkSeesEveryLeadOnceWhileLeadsAreWritten walks the whole list
// by after= while other leads are created: every lead that existed before
// is seen exactly once, in every sort.
func TestKeysetWalkSeesEveryLeadOnceWhileLeadsAreWritten(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seedLeads(450, "DE", "anna", "ACTIVE")
	e.db.Exec(t, `UPDATE leads SET city = CASE WHEN random() < 0.3 THEN NULL ELSE 'Stadt ' || (random() * 20)::int END,
		last_activity_at = CASE WHEN random() < 0.4 THEN NULL ELSE now() - (random() * 1000)::int * interval '1 minute' END`)
	existing := map[string]bool{}
	rows, err := e.db.Pool.Query(t.Context(), `SELECT id::text FROM leads`)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		existing[id] = true
	}
	mia := e.token("mia", auth.RoleManager, "DE")
	for _, walk := range []string{"createdAt,desc", "registeredAt,asc", "lastActivityAt,desc", "lastActivityAt,asc",
		"companyName,asc", "city,asc", "city,desc", "createdAt,desc&q=lead", "companyName,desc&q=lead"} {
		sort, search, _ := strings.Cut(walk, "&q=")
		t.Run(walk, func(t *testing.T) {
			var wg sync.WaitGroup
			done := make(chan struct{})
			defer wg.Wait()
			defer close(done)
			wg.Add(1)
			go func() { // concurrent writes while the walk goes on
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-done:
						return
					default:
					}
					_, err := e.db.Pool.Exec(context.Background(), `INSERT INTO leads (id, company_name, country_code,
						territory, owner_user_id, city, registered_at, created_at, created_by, updated_at, updated_by)
						VALUES (gen_random_uuid(), $1, 'DE', 'DE', 'anna', 'Stadt 3', now(), now(), 'anna', now(), 'anna')`,
						fmt.Sprintf("Neu %s %d", sort, i))
					if err != nil {
						return
					}
				}
			}()
			seen := map[string]int{}
			after := ""
			for pages := 0; ; pages++ {
				require.Less(t, pages, 100, "the walk ends")
				q := url.Values{"size": {"37"}, "sort": {sort}}
				if search != "" {
					q.Set("q", search)
				}
				if after != "" {
					q.Set("after", after)
				}
				var p leadPageBody
				res := e.do("GET", "/api/leads?"+q.Encode(), mia, nil)
				require.Equal(t, http.StatusOK, res.Status, string(res.Body))
				res.json(t, &p)
				for _, l := range p.Data {
					seen[l.ID]++
				}
				if p.Next == "" {
					break
				}
				after = p.Next
			}
			for id := range existing {
				require.Equal(t, 1, seen[id], "lead %s in sort %s", id, sort)
			}
			for id, n := range seen {
				require.Equal(t, 1, n, "lead %s twice in sort %s", id, sort)
			}
		})
	}
	// A cursor of another sort, or a forged one, is refused.
	var p leadPageBody
	e.do("GET", "/api/leads?size=5&sort=companyName,asc", mia, nil).json(t, &p)
	for _, bad := range []string{"?sort=companyName,desc&after=" + p.Next, "?sort=city,asc&after=" + p.Next, "?after=xyz",
		"?sort=companyName,asc&page=1&after=" + p.Next} {
		res := e.do("GET", "/api/leads"+bad, mia, nil)
		require.Equal(t, http.StatusUnprocessableEntity, res.Status, bad)
	}
}
