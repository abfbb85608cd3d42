package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
)

// page reads one page of the event feed, which must answer 200.
func (e *env) page(token, after string, limit int) feedPage {
	e.t.Helper()
	res := e.do("GET", fmt.Sprintf("/api/events?limit=%d&after=%s", limit, url.QueryEscape(after)), token, nil)
	require.Equal(e.t, http.StatusOK, res.Status, string(res.Body))
	var p feedPage
	res.json(e.t, &p)
	require.LessOrEqual(e.t, len(p.Data), limit, "a page holds at most limit events")
	return p
}

// leads creates n leads as token's user, one event each, and returns the
// feed's cursor after them as root sees it, and its outbox id.
func (e *env) leads(token, root string, n int) (cursor string, lastID int64) {
	e.t.Helper()
	for i := range n {
		e.createLead(token, map[string]any{"companyName": fmt.Sprintf("Feed %d", i)})
	}
	cursor = e.page(root, "", 1000).Next
	_, err := fmt.Sscanf(cursor, "%d~", &lastID)
	require.NoError(e.t, err, cursor)
	return cursor, lastID
}

// TestEventFeedRefusesCursorsItNeverIssued replays the hardening probe:
// limit=1 after "9223372036854775807~1~" answered the whole outbox.
func TestEventFeedRefusesCursorsItNeverIssued(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	root := e.token("root", auth.RoleAdmin)
	cursor, last := e.leads(anna, root, 5)
	xmax := strings.Split(cursor, "~")[1]

	for _, after := range []string{
		"9223372036854775807~1~",              // the probe
		fmt.Sprint(last + 1_000_000),          // an id the outbox never drew
		fmt.Sprintf("%d~1~", last),            // the last event's transaction as not yet seen
		fmt.Sprintf("%d~%s0000~", last, xmax), // an xmax the server has not reached
		fmt.Sprintf("%d~9~3,3", last),         // in-flight xids repeated
		fmt.Sprintf("%d~9~5,3", last),         // ... out of order
		fmt.Sprintf("%d~9~9", last),           // ... not below xmax
		"007", "+5", "5~09~",                  // numbers the server does not write
	} {
		for _, token := range []string{root, anna} {
			res := e.do("GET", "/api/events?limit=1&after="+url.QueryEscape(after), token, nil)
			require.Equal(t, http.StatusUnprocessableEntity, res.Status, "%s: %s", after, res.Body)
			require.Equal(t, []string{"after"}, res.problem(t).fields(), after)
		}
	}
	require.Len(t, e.page(root, cursor, 1).Data, 0, "the issued cursor still reads on")
}

// TestEventFeedBoundsEveryPage: a cursor that passes every check but names
// the transactions of many earlier events as still running makes the
// feed read them again, a page at a time: never more than limit, and
// following next reaches the end.
func TestEventFeedBoundsEveryPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	root := e.token("root", auth.RoleAdmin)
	cursor, last := e.leads(anna, root, 8)
	xmax := strings.Split(cursor, "~")[1]
	var xids, named []string
	rows, err := e.db.Pool.Query(t.Context(), `SELECT xid::text, event_id::text FROM event_outbox WHERE id < $1 ORDER BY xid`, last)
	require.NoError(t, err)
	for rows.Next() {
		var x, id string
		require.NoError(t, rows.Scan(&x, &id))
		xids, named = append(xids, x), append(named, id)
	}
	require.NoError(t, rows.Err())
	require.Len(t, xids, 7)
	crafted := fmt.Sprintf("%d~%s~%s", last, xmax, strings.Join(xids, ","))

	for _, limit := range []int{1, 3, 100} {
		seen := map[string]int{}
		after := crafted
		for range 20 {
			p := e.page(root, after, limit)
			if len(p.Data) == 0 {
				break
			}
			for _, raw := range p.Data {
				var env event.Envelope
				require.NoError(t, json.Unmarshal(raw, &env))
				seen[env.ID]++
			}
			after = p.Next
		}
		for _, id := range named {
			require.Equal(t, 1, seen[id], "limit %d: event %s, which the cursor calls unseen", limit, id)
		}
		// A page cut short goes back to its last event, so the one event
		// the cursor had passed comes again; nothing comes twice.
		require.LessOrEqual(t, len(seen), 8, "limit %d", limit)
		for id, n := range seen {
			require.Equal(t, 1, n, "limit %d: event %s", limit, id)
		}
	}
}

func TestEventFeedPagesByOneExactlyOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	root := e.token("root", auth.RoleAdmin)
	e.leads(anna, root, 6)
	var total int
	require.NoError(t, e.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM event_outbox`).Scan(&total))

	events := e.feed(root, "1")
	require.Len(t, events, total)
	ids := map[string]bool{}
	for _, env := range events {
		require.False(t, ids[env.ID], "event %s twice", env.ID)
		ids[env.ID] = true
	}
	require.Len(t, e.feed(anna, "1"), 6, "a SALES user pages through her own events")
}
