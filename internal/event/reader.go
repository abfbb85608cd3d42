package event

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/postgres"
)

// Position is how far a reader has read the outbox: every row with an id up
// to LastID has been read, except rows of the transactions its snapshot
// could not see — those listed in InFlight, and those at or above Xmax
// (a snapshot lists running transactions only below its xmax, the latest
// completed xid + 1; a younger one that is running may already have drawn
// an id below LastID). Watermark is the snapshot's xmin: every transaction
// below it had ended, so it is the durable position.
type Position struct {
	LastID    int64
	InFlight  []string // xid8 values, as text
	Xmax      string   // xid8, as text; "" when unknown (a client's bare cursor)
	Watermark uint64
}

// Delivered is an event as read from the outbox.
type Delivered struct {
	ID             int64 // outbox position; the SSE id and feed cursor
	Envelope       Envelope
	Raw            json.RawMessage
	Type           string
	Subject        uuid.UUID // uuid.Nil when the event has none
	SubjectVersion int
	Audience       Audience
	Topics         []string
	CreatedAt      time.Time
	// Resume is a cursor to read on after this event (an SSE id): the
	// position after its page for the page's last event, before it for the
	// others, so that a reader cut off mid-page reads the rest again rather
	// than miss any (at least once).
	Resume string
}

// fetchSQL reads one page after a position, and the snapshot it read it
// in, in one statement so they agree. Every page holds at most $3 rows:
//
//   - issued says whether the server could have written the position: its
//     LastID was drawn from the outbox's sequence (pg_sequence_last_value
//     is what the pg_sequences view reads; USAGE suffices), its Xmax is not
//     ahead of the current snapshot's, and the row at LastID, which the
//     issuing snapshot saw, belongs to no transaction the position still
//     waits for. A forged "huge~1~" fails; then nothing is read.
//   - late are the rows at or below LastID of the transactions the
//     position's snapshot could not see (in flight, or from Xmax on) that
//     have committed since. Only their ids are kept, so a long list costs
//     no payloads; the first $3 + 1 tell whether the limit cuts them.
//   - the rows above LastID fill what the late rows left of the limit.
//
// The late rows are found through the xid index alone: "id + 0" keeps the
// planner from ANDing in a bitmap of every id up to LastID, which a generic
// plan chose and which read the whole outbox's index on each fetch (8–12 ms
// at 100,000 rows, growing with the table). The xids from Xmax on are
// bounded above by the current snapshot's xmax (no later one is visible
// yet; a reader's own transaction, whose xid may be later, writes no
// events before it fetches): the planner estimates a closed range as
// narrow even without the outbox's statistics.
//
// The xids go as xid8, not as text cast in the query: under row-level
// security only leakproof quals can use an index, and the cast is not.
const fetchSQL = `WITH snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s),
issued AS MATERIALIZED (
	SELECT $1 <= coalesce(pg_sequence_last_value('event_outbox_id_seq'::regclass), 0)
		AND ($4::xid8 IS NULL OR ($4::xid8 <= pg_snapshot_xmax(snap.s) AND NOT EXISTS (
			SELECT FROM event_outbox WHERE id = $1 AND (xid >= $4::xid8 OR xid = ANY ($2::xid8[]))))) AS ok
	FROM snap),
late AS MATERIALIZED (
	SELECT id FROM event_outbox
	WHERE (SELECT ok FROM issued) AND id + 0 <= $1
		AND (xid = ANY ($2::xid8[]) OR (xid >= $4::xid8 AND xid < (SELECT pg_snapshot_xmax(s) FROM snap)))),
reread AS MATERIALIZED (SELECT id FROM late ORDER BY id LIMIT $3::int + 1),
page AS (
	(SELECT * FROM event_outbox WHERE id IN (SELECT id FROM reread ORDER BY id LIMIT $3::int))
	UNION ALL
	(SELECT * FROM event_outbox WHERE (SELECT ok FROM issued) AND id > $1 ORDER BY id
		LIMIT greatest($3::int - (SELECT count(*) FROM reread), 0))),
head AS MATERIALIZED (
	SELECT issued.ok, (SELECT count(*) FROM reread) > $3::int AS cut, pg_snapshot_xmin(snap.s)::text AS xmin,
		pg_snapshot_xmax(snap.s)::text AS xmax, ARRAY(SELECT x::text FROM pg_snapshot_xip(snap.s) x) AS xip
	FROM snap, issued)
SELECT head.ok, head.cut, head.xmin, head.xmax, head.xip,
	o.id, o.type, o.subject_id, o.subject_version, o.territory, o.owner_user_id, o.collaborator_user_ids,
	o.topics, o.envelope, o.created_at
FROM head LEFT JOIN page o ON true
ORDER BY o.id`

// customPlan has the server plan the fetch for each run's position and the
// outbox's size then, and restorePlan puts the caller's plan cache mode
// back for the rest of its transaction. A connection otherwise keeps the
// generic plan it settled on after five runs: made while the outbox was
// small (a new deployment, or before its first ANALYZE), that plan read
// the whole outbox on every fetch for the connection's life (14,000 rows a
// fetch after a minute of 600 status changes/s, growing without end).
// Planning costs about 0.3 ms a fetch.
const (
	customPlan = `SELECT set_config('app.plan_cache_mode', current_setting('plan_cache_mode'), true),
		set_config('plan_cache_mode', 'force_custom_plan', true)`
	restorePlan = `SELECT set_config('plan_cache_mode', current_setting('app.plan_cache_mode'), true)`
)

// Batcher is a connection or pool.
type Batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Fetch reads what follows pos, as p sees it, in one round trip: at most
// limit events (at least one is asked for), oldest first. more is true when
// the page is full, so more may follow. A position the server could not
// have issued is an error wrapping ErrBadCursor.
func Fetch(ctx context.Context, db Batcher, p auth.Principal, pos Position, limit int) (events []Delivered, next Position, more bool, err error) {
	limit = max(limit, 1)
	b := &pgx.Batch{}
	postgres.QueueScope(b, p)
	b.Queue(customPlan)
	b.Queue(fetchSQL, pos.LastID, nonNil(pos.InFlight), limit, nilIfEmpty(pos.Xmax))
	b.Queue(restorePlan)
	res := db.SendBatch(ctx, b)
	defer res.Close()
	for _, step := range []string{"scope", "plan mode"} {
		if _, err := res.Exec(); err != nil {
			return nil, pos, false, fmt.Errorf("event: fetch %s: %w", step, err)
		}
	}
	pg, err := readPage(res)
	if err != nil {
		return nil, pos, false, err
	}
	if _, err := res.Exec(); err != nil {
		return nil, pos, false, fmt.Errorf("event: fetch plan mode: %w", err)
	}
	if err := res.Close(); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		return nil, pos, false, fmt.Errorf("event: fetch: %w", err)
	}
	if !pg.issued {
		return nil, pos, false, fmt.Errorf("event: fetch: position beyond the outbox or its snapshot: %w", ErrBadCursor)
	}
	next = pg.next(pos)
	if n := len(pg.events); n > 0 {
		before := pos.Cursor()
		for i := range pg.events[:n-1] {
			pg.events[i].Resume = before
		}
		pg.events[n-1].Resume = next.Cursor()
	}
	return pg.events, next, pg.cut || len(pg.events) >= limit, nil
}

// page is what one fetch read.
type page struct {
	issued bool     // the position passed the database's checks
	cut    bool     // the limit cut the late rows short
	snap   Position // the read's snapshot: Watermark, Xmax and InFlight
	events []Delivered
}

// next is the position after the page. When the limit cut the late rows
// short, only the rows up to the last one returned are done, and no field
// of a Position (nor a shared consumer's stored row) can say "these
// transactions from that id on": next goes back to that id instead. The
// late rows after it come next, and so do the rows between it and
// pos.LastID that were delivered before — again, which every consumer's
// dedupe drops. That costs duplicates only when one page's late rows
// outnumber the limit; a skip would cost an event.
func (pg page) next(pos Position) Position {
	next := pg.snap
	next.LastID = pos.LastID
	if pg.cut && len(pg.events) > 0 {
		next.LastID = pg.events[len(pg.events)-1].ID
		return next
	}
	for _, d := range pg.events {
		next.LastID = max(next.LastID, d.ID)
	}
	return next
}

// readPage reads fetchSQL's rows: each carries the checks and the snapshot,
// and an event unless the page is empty.
func readPage(res pgx.BatchResults) (page, error) {
	rows, err := res.Query()
	if err != nil {
		return page{}, fmt.Errorf("event: fetch: %w", err)
	}
	defer rows.Close()
	var pg page
	for rows.Next() {
		d, ok, err := scanRow(rows, &pg)
		if err != nil {
			return page{}, err
		}
		if ok {
			pg.events = append(pg.events, d)
		}
	}
	if err := rows.Err(); err != nil {
		return page{}, fmt.Errorf("event: fetch: %w", err)
	}
	return pg, nil
}

// scanRow reads one row of fetchSQL into pg's header and returns its event;
// ok is false for the row of an empty page.
func scanRow(rows pgx.Rows, pg *page) (d Delivered, ok bool, err error) {
	var xmin string
	var id *int64
	var typ, territory, owner *string
	var subject *uuid.UUID
	var version *int32
	var createdAt *time.Time
	if err := rows.Scan(&pg.issued, &pg.cut, &xmin, &pg.snap.Xmax, &pg.snap.InFlight, &id, &typ, &subject, &version,
		&territory, &owner, &d.Audience.Collaborators, &d.Topics, &d.Raw, &createdAt); err != nil {
		return d, false, fmt.Errorf("event: fetch scan: %w", err)
	}
	pg.snap.Watermark, _ = strconv.ParseUint(xmin, 10, 64)
	if id == nil {
		return d, false, nil
	}
	d.ID, d.Type, d.CreatedAt = *id, *typ, *createdAt
	d.Audience.Territory, d.Audience.Owner = deref(territory), deref(owner)
	if subject != nil {
		d.Subject = *subject
	}
	if version != nil {
		d.SubjectVersion = int(*version)
	}
	if err := json.Unmarshal(d.Raw, &d.Envelope); err != nil {
		return d, false, fmt.Errorf("event: envelope %d: %w", d.ID, err)
	}
	return d, true, nil
}

// Tail is the position of a reader that starts now: after every row that
// exists, with the transactions still running in flight.
func Tail(ctx context.Context, db Batcher) (Position, error) {
	b := &pgx.Batch{}
	postgres.QueueScope(b, auth.System())
	b.Queue(`WITH snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s)
		SELECT pg_snapshot_xmin(snap.s)::text, pg_snapshot_xmax(snap.s)::text, ARRAY(SELECT x::text FROM pg_snapshot_xip(snap.s) x),
			coalesce((SELECT max(id) FROM event_outbox), 0) FROM snap`)
	res := db.SendBatch(ctx, b)
	defer res.Close()
	if _, err := res.Exec(); err != nil {
		return Position{}, fmt.Errorf("event: tail scope: %w", err)
	}
	var pos Position
	var xmin string
	if err := res.QueryRow().Scan(&xmin, &pos.Xmax, &pos.InFlight, &pos.LastID); err != nil {
		return Position{}, fmt.Errorf("event: tail: %w", err)
	}
	pos.Watermark, _ = strconv.ParseUint(xmin, 10, 64)
	return pos, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Feed reads the outbox for clients, each as their principal sees it.
type Feed struct{ pool *pgxpool.Pool }

// NewFeed returns a Feed over pool.
func NewFeed(pool *pgxpool.Pool) *Feed { return &Feed{pool: pool} }

// Read returns up to limit events after pos that p may see, and the
// position to read on from; a position the server could not have issued
// is an error wrapping ErrBadCursor.
func (f *Feed) Read(ctx context.Context, p auth.Principal, pos Position, limit int) ([]Delivered, Position, error) {
	events, next, _, err := Fetch(ctx, f.pool, p, pos, limit)
	return events, next, err
}
