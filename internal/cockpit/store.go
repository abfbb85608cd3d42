package cockpit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/lead"
)

// All of the package's SQL is in this file.

// snapshotColumns read what the figures need of leads l, as the system.
const snapshotColumns = `SELECT l.id, l.status, l.territory, l.owner_user_id, l.collaborator_user_ids,
	l.clock_stopped_at IS NOT NULL, l.registered_at, l.paused_us, l.company_name,
	l.t3_follow_up_sent_at, l.t7_follow_up_sent_at,
	(SELECT f.due_at FROM follow_up f WHERE f.lead_id = l.id AND f.kind = 'T3' AND f.state = 'SCHEDULED'),
	(SELECT f.due_at FROM follow_up f WHERE f.lead_id = l.id AND f.kind = 'T7' AND f.state = 'SCHEDULED'),
	EXISTS (SELECT 1 FROM activities a WHERE a.lead_id = l.id AND a.type = ANY ($1::text[])
		AND a.occurred_at > l.t3_follow_up_sent_at AND a.occurred_at <= l.t3_follow_up_sent_at + interval '7 days'),
	EXISTS (SELECT 1 FROM activities a WHERE a.lead_id = l.id AND a.type = ANY ($1::text[])
		AND a.occurred_at > l.t7_follow_up_sent_at AND a.occurred_at <= l.t7_follow_up_sent_at + interval '7 days')
	FROM leads l`

const (
	snapshotsSQL    = snapshotColumns + ` WHERE l.id = ANY ($2::uuid[])`
	snapshotPageSQL = snapshotColumns + ` WHERE l.id > $2 ORDER BY l.id LIMIT $3`
	// Locked in key order, so that a recount's and a consumer's never cross.
	projectionsSQL = `SELECT lead_id, territory, users, contributions FROM cockpit_lead WHERE lead_id = ANY ($1::uuid[])
		ORDER BY lead_id FOR UPDATE`
	saveProjectionsSQL = `INSERT INTO cockpit_lead (lead_id, territory, users, contributions)
		SELECT * FROM jsonb_to_recordset($1::jsonb) AS p(lead_id uuid, territory text, users text[], contributions text[])
		ON CONFLICT (lead_id) DO UPDATE SET territory = EXCLUDED.territory, users = EXCLUDED.users,
		contributions = EXCLUDED.contributions`
	// The deltas in one statement each, in key order, so that two writers
	// lock rows in the same order.
	applySQL = `INSERT INTO cockpit_count (territory, user_id, metric, at, value)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::bigint[])
		ON CONFLICT (territory, user_id, metric, at) DO UPDATE SET value = cockpit_count.value + EXCLUDED.value`
	dropZeroSQL = `DELETE FROM cockpit_count c USING unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) k(t, u, m, a)
		WHERE c.territory = k.t AND c.user_id = k.u AND c.metric = k.m AND c.at = k.a AND c.value = 0`
)

// meaningful are the activity types that count as a response.
var meaningful = func() []string {
	var out []string
	for _, t := range lead.UserActivityTypes {
		if lead.IsMeaningful(t) {
			out = append(out, t)
		}
	}
	return out
}()

type leadRow struct {
	snapshot
	company string
}

func scanSnapshot(r pgx.Row) (leadRow, error) {
	var s leadRow
	var pausedUS int64
	var sent3, sent7, due3, due7 *time.Time
	var resp3, resp7 bool
	err := r.Scan(&s.ID, &s.Status, &s.Territory, &s.Owner, &s.Collaborators, &s.ClockStopped, &s.RegisteredAt,
		&pausedUS, &s.company, &sent3, &sent7, &due3, &due7, &resp3, &resp7)
	s.Paused = time.Duration(pausedUS) * time.Microsecond
	s.Sent, s.Due, s.Responded = map[string]time.Time{}, map[string]time.Time{}, map[string]bool{}
	for _, v := range []struct {
		kind      string
		sent, due *time.Time
		resp      bool
	}{{"T3", sent3, due3, resp3}, {"T7", sent7, due7, resp7}} {
		if v.sent != nil {
			s.Sent[v.kind] = *v.sent
			s.Responded[v.kind] = v.resp
		}
		if v.due != nil {
			s.Due[v.kind] = *v.due
		}
	}
	return s, err
}

const (
	// The recount holds lockKey alone, the consumer shares it.
	lockSharedSQL = `SELECT pg_advisory_xact_lock_shared($1)`
	lockAloneSQL  = `SELECT pg_advisory_xact_lock($1)`
	uncountedSQL  = `SELECT NOT EXISTS (SELECT 1 FROM cockpit_lead) AND EXISTS (SELECT 1 FROM leads)`
)

// state is a lead as it is now (exists is false when there is none) and
// what it contributed when it was last applied (old), and after (now).
type state struct {
	id       uuid.UUID
	lead     leadRow
	exists   bool
	old, now projection
}

// readStates reads, in one round trip and with the consumer's share of
// the lock, the states of leads ids.
func readStates(ctx context.Context, tx pgx.Tx, ids []uuid.UUID) (map[uuid.UUID]state, error) {
	out := make(map[uuid.UUID]state, len(ids))
	for _, id := range ids {
		out[id] = state{id: id}
	}
	b := &pgx.Batch{}
	b.Queue(lockSharedSQL, int64(lockKey))
	b.Queue(snapshotsSQL, meaningful, ids).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			l, err := scanSnapshot(rows)
			if err != nil {
				return err
			}
			st := out[l.ID]
			st.lead, st.exists = l, true
			out[l.ID] = st
		}
		return rows.Err()
	})
	b.Queue(projectionsSQL, ids).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id uuid.UUID
			var p projection
			if err := rows.Scan(&id, &p.territory, &p.users, &p.contributions); err != nil {
				return err
			}
			st := out[id]
			st.old = p
			out[id] = st
		}
		return rows.Err()
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("cockpit: read leads: %w", err)
	}
	return out, nil
}

// clearForRecount takes the lock alone and empties what a recount rebuilds.
func clearForRecount(ctx context.Context, tx pgx.Tx) error {
	b := &pgx.Batch{}
	b.Queue(lockAloneSQL, int64(lockKey))
	b.Queue(`DELETE FROM cockpit_count`)
	b.Queue(`DELETE FROM cockpit_lead`)
	return tx.SendBatch(ctx, b).Close()
}

// readLeads reads the next size leads after `after`, by primary key.
func readLeads(ctx context.Context, tx pgx.Tx, after uuid.UUID, size int) ([]leadRow, error) {
	rows, err := tx.Query(ctx, snapshotPageSQL, meaningful, after, size)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (leadRow, error) { return scanSnapshot(r) })
}

// projection is what a lead contributed when it was last applied.
type projection struct {
	territory     string
	users         []string
	contributions []string
}

// queueProjections saves the projections of leads, keyed by lead, in one
// statement.
func queueProjections(b *pgx.Batch, ps map[uuid.UUID]projection) error {
	if len(ps) == 0 {
		return nil
	}
	type row struct {
		LeadID        uuid.UUID `json:"lead_id"`
		Territory     string    `json:"territory"`
		Users         []string  `json:"users"`
		Contributions []string  `json:"contributions"`
	}
	rows := make([]row, 0, len(ps))
	for id, p := range ps {
		rows = append(rows, row{id, p.territory, nonNil(p.users), nonNil(p.contributions)})
	}
	// In key order, as the locks were taken.
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.LeadID.String(), b.LeadID.String()) })
	raw, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("cockpit: projections: %w", err)
	}
	b.Queue(saveProjectionsSQL, raw)
	return nil
}

// queueDeltas adds the changes of d, in key order, to b, and the removal
// of the rows they bring to zero.
func queueDeltas(b *pgx.Batch, d deltas) {
	if ts, us, ms, ats, ok := queueCounts(b, d); ok {
		b.Queue(dropZeroSQL, ts, us, ms, ats)
	}
}

// queueCounts adds the changes of d, in key order, to b; ok is false when
// there are none.
func queueCounts(b *pgx.Batch, d deltas) (ts, us, ms []string, ats []time.Time, ok bool) {
	keys := make([]key, 0, len(d))
	for k, v := range d {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, nil, nil, nil, false
	}
	slices.SortFunc(keys, cmpKeys)
	var vs []int64
	for _, k := range keys {
		ts, us, ms, ats, vs = append(ts, k.territory), append(us, k.user), append(ms, k.metric), append(ats, k.at), append(vs, d[k])
	}
	b.Queue(applySQL, ts, us, ms, ats, vs)
	return ts, us, ms, ats, true
}

func cmpKeys(a, b key) int {
	if c := strings.Compare(a.territory, b.territory); c != 0 {
		return c
	}
	if c := strings.Compare(a.user, b.user); c != 0 {
		return c
	}
	if c := strings.Compare(a.metric, b.metric); c != 0 {
		return c
	}
	return a.at.Compare(b.at)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Recent lists.

const (
	// Each unit has recentKeep slots: a new entry takes a free one, else
	// the oldest if it is older, and an event already listed is skipped
	// (counted over the unit's slots, so that the check stays per unit: as
	// a NOT EXISTS the planner read every unit of the territory).
	recentInsertSQL = `INSERT INTO cockpit_recent AS r (territory, user_id, kind, slot, at, event_id, lead_id,
		owner_user_id, collaborator_user_ids, item)
		SELECT $1, u, $2, s.slot, $3, $4, $5, $6, $7, $8 FROM unnest($9::text[]) u
		CROSS JOIN LATERAL (SELECT g::smallint AS slot, count(x.slot) FILTER (WHERE x.event_id = $4) OVER () AS listed
			FROM generate_series(0, $10::int - 1) g
			LEFT JOIN cockpit_recent x ON x.territory = $1 AND x.user_id = u AND x.kind = $2 AND x.slot = g
			ORDER BY x.at NULLS FIRST, x.event_id NULLS FIRST LIMIT 1) s
		WHERE s.listed = 0
		ON CONFLICT (territory, user_id, kind, slot) DO UPDATE SET at = EXCLUDED.at, event_id = EXCLUDED.event_id,
			lead_id = EXCLUDED.lead_id, owner_user_id = EXCLUDED.owner_user_id,
			collaborator_user_ids = EXCLUDED.collaborator_user_ids, item = EXCLUDED.item
		WHERE (r.at, r.event_id) < (EXCLUDED.at, EXCLUDED.event_id)`
	recentReadSQL = `SELECT item, territory, owner_user_id, collaborator_user_ids FROM cockpit_recent
		WHERE territory = ANY ($1::text[]) AND user_id = $2 AND kind = $3 ORDER BY at DESC, event_id DESC LIMIT $4`
	followUpDueSQL = `SELECT due_at FROM follow_up WHERE lead_id = $1 AND kind = $2`
)

// recentKeep is how many entries of a kind each unit keeps (migration
// 00024 holds it too, as the slots' check).
const recentKeep = 10

// queueRecent adds item to the recent lists of the units of the audience
// recorded with event eventID of lead id.
func queueRecent(b *pgx.Batch, kind string, at time.Time, eventID int64, id uuid.UUID, a event.Audience, item any) error {
	raw, err := json.Marshal(item)
	if err != nil {
		return fmt.Errorf("cockpit: recent item: %w", err)
	}
	units := append([]string{""}, snapshot{Owner: a.Owner, Collaborators: a.Collaborators}.users()...)
	b.Queue(recentInsertSQL, a.Territory, kind, at, eventID, id, a.Owner, nonNil(a.Collaborators), raw, units, recentKeep)
	return nil
}

func followUpDue(ctx context.Context, tx pgx.Tx, id uuid.UUID, kind string) (*time.Time, error) {
	var due time.Time
	err := tx.QueryRow(ctx, followUpDueSQL, id, kind).Scan(&due)
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	return &due, err
}

// Widget reads, as the caller.

// figuresSQL sums each metric of the units of user $7 (territory units
// for ”) in the territories $1, over the windows of each territory.
const figuresSQL = `SELECT c.metric,
	coalesce(sum(c.value) FILTER (WHERE c.at = '0001-01-01T00:00:00Z'), 0),
	coalesce(sum(c.value) FILTER (WHERE c.at > w.now AND c.at <= w.now + interval '7 days'), 0),
	coalesce(sum(c.value) FILTER (WHERE c.at > '0001-01-01T00:00:00Z' AND c.at < w.now - interval '24 hours'), 0),
	coalesce(sum(c.value), 0),
	coalesce(sum(c.value) FILTER (WHERE c.at = w.today), 0),
	coalesce(sum(c.value) FILTER (WHERE c.at >= w.d30 AND c.at <= w.today), 0),
	coalesce(sum(c.value) FILTER (WHERE c.at >= w.d7 AND c.at <= w.today), 0),
	coalesce(sum(c.value) FILTER (WHERE c.at >= w.d14 AND c.at < w.d7), 0)
	FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[])
		AS w(territory, now, today, d30, d7, d14)
	JOIN cockpit_count c ON c.territory = w.territory AND c.user_id = $7
	GROUP BY c.metric`

func readFigures(ctx context.Context, tx pgx.Tx, w windows, user string) (map[string]figures, error) {
	rows, err := tx.Query(ctx, figuresSQL, nonNil(w.territory), w.now, w.today, w.d30, w.d7, w.d14, user)
	if err != nil {
		return nil, err
	}
	out := map[string]figures{}
	var metric string
	var f figures
	_, err = pgx.ForEachRow(rows, []any{&metric, &f.count, &f.next7, &f.overdue, &f.all, &f.today, &f.last30, &f.last7,
		&f.previous7}, func() error {
		out[metric] = f
		return nil
	})
	return out, err
}

type recentEntry[T any] struct {
	item     T
	audience event.Audience
}

func readRecent[T any](ctx context.Context, tx pgx.Tx, p auth.Principal, s Scope, kind string, dst *[]T) error {
	rows, err := tx.Query(ctx, recentReadSQL, nonNil(s.Territories), s.User, kind, recentKeep)
	if err != nil {
		return err
	}
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (recentEntry[T], error) {
		var e recentEntry[T]
		var raw []byte
		if err := r.Scan(&raw, &e.audience.Territory, &e.audience.Owner, &e.audience.Collaborators); err != nil {
			return e, err
		}
		return e, json.Unmarshal(raw, &e.item)
	})
	if err != nil {
		return err
	}
	*dst = visibleOnly(p, entries)
	return nil
}

// daysSQL sums what was sent, converted and answered per metric, territory
// and local day over the last 7 days of each territory.
const daysSQL = `SELECT c.territory, c.metric, c.at, sum(c.value)
	FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS w(territory, today, d7)
	JOIN cockpit_count c ON c.territory = w.territory AND c.user_id = $4
	WHERE c.metric = ANY ($5::text[]) AND c.at >= w.d7 AND c.at <= w.today
	GROUP BY c.territory, c.metric, c.at`

// dayFigure is one row of daysSQL.
type dayFigure struct {
	territory, metric string
	at                time.Time
	value             int64
}

func readDays(ctx context.Context, tx pgx.Tx, w windows, user string) ([]dayFigure, error) {
	metrics := []string{metricSent + "T3", metricSent + "T7", metricConverted + "T3", metricConverted + "T7",
		metricResponded + "T3", metricResponded + "T7"}
	rows, err := tx.Query(ctx, daysSQL, nonNil(w.territory), w.today, w.d7, user, metrics)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (dayFigure, error) {
		var d dayFigure
		err := r.Scan(&d.territory, &d.metric, &d.at, &d.value)
		return d, err
	})
}
