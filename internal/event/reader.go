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
}

// fetchSQL reads rows above LastID (at most $3) plus the rows of the
// in-flight transactions that have committed since, and the snapshot it
// read them in, all in one statement so they agree.
const fetchSQL = `WITH snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s)
SELECT pg_snapshot_xmin(snap.s)::text, pg_snapshot_xmax(snap.s)::text, ARRAY(SELECT x::text FROM pg_snapshot_xip(snap.s) x),
	o.id, o.type, o.subject_id, o.subject_version, o.territory, o.owner_user_id, o.collaborator_user_ids,
	o.topics, o.envelope, o.created_at
FROM snap LEFT JOIN LATERAL (
	(SELECT * FROM event_outbox WHERE id > $1 ORDER BY id LIMIT $3)
	UNION ALL
	(SELECT * FROM event_outbox WHERE id <= $1 AND (xid = ANY ($2::text[]::xid8[]) OR xid >= $4::text::xid8))
) o ON true
ORDER BY o.id`

// Batcher is a connection or pool.
type Batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Fetch reads what follows pos, as p sees it, in one round trip. more is
// true when the limit cut the read short.
func Fetch(ctx context.Context, db Batcher, p auth.Principal, pos Position, limit int) (events []Delivered, next Position, more bool, err error) {
	b := &pgx.Batch{}
	postgres.QueueScope(b, p)
	b.Queue(fetchSQL, pos.LastID, nonNil(pos.InFlight), limit, nilIfEmpty(pos.Xmax))
	res := db.SendBatch(ctx, b)
	defer res.Close()
	if _, err := res.Exec(); err != nil {
		return nil, pos, false, fmt.Errorf("event: fetch scope: %w", err)
	}
	rows, err := res.Query()
	if err != nil {
		return nil, pos, false, fmt.Errorf("event: fetch: %w", err)
	}
	defer rows.Close()
	next = Position{LastID: pos.LastID}
	aboveLast := 0
	for rows.Next() {
		var xmin string
		var id *int64
		var d Delivered
		var typ, territory, owner *string
		var subject *uuid.UUID
		var version *int32
		var createdAt *time.Time
		if err := rows.Scan(&xmin, &next.Xmax, &next.InFlight, &id, &typ, &subject, &version, &territory, &owner,
			&d.Audience.Collaborators, &d.Topics, &d.Raw, &createdAt); err != nil {
			return nil, pos, false, fmt.Errorf("event: fetch scan: %w", err)
		}
		next.Watermark, _ = strconv.ParseUint(xmin, 10, 64)
		if id == nil {
			continue // no rows: the snapshot alone
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
			return nil, pos, false, fmt.Errorf("event: envelope %d: %w", d.ID, err)
		}
		if d.ID > pos.LastID {
			aboveLast++
			next.LastID = max(next.LastID, d.ID)
		}
		events = append(events, d)
	}
	if err := rows.Err(); err != nil {
		return nil, pos, false, fmt.Errorf("event: fetch: %w", err)
	}
	rows.Close()
	if err := res.Close(); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		return nil, pos, false, fmt.Errorf("event: fetch: %w", err)
	}
	return events, next, aboveLast >= limit, nil
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
// position to read on from.
func (f *Feed) Read(ctx context.Context, p auth.Principal, pos Position, limit int) ([]Delivered, Position, error) {
	events, next, _, err := Fetch(ctx, f.pool, p, pos, limit)
	return events, next, err
}
