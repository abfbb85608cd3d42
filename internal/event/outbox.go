package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Event is a domain event as a producer states it.
type Event struct {
	Type          string
	Key           uuid.UUID // idempotency key; also the CloudEvents id
	LeadID        uuid.UUID
	LeadVersion   int
	Territory     string
	Owner         string
	Collaborators []string
	Time          time.Time
	CorrelationID string
	CausationID   string
	Data          any
	// Dashboard marks events the cockpit reacts to (dashboard_updates).
	Dashboard bool
}

// ErrUnauthenticated: an event without an acting user, refused outside tests.
var ErrUnauthenticated = errors.New("event: unauthenticated publisher")

func (e Event) envelope() (Envelope, error) {
	data, err := json.Marshal(e.Data)
	if err != nil {
		return Envelope{}, fmt.Errorf("event: data of %s: %w", e.Type, err)
	}
	env := Envelope{SpecVersion: "1.0", ID: e.Key.String(), Source: Source, Type: e.Type,
		Time: FormatTime(e.Time), DataContentType: "application/json", IdempotencyKey: e.Key.String(),
		Territory: e.Territory, LeadVersion: e.LeadVersion, CorrelationID: e.CorrelationID, CausationID: e.CausationID, Data: data}
	if e.LeadID != uuid.Nil {
		env.Subject = e.LeadID.String()
	}
	return env, nil
}

// insertArgs are the arguments of insertSQL for events: one array per
// column. Collaborators are joined into one text per row (unnest cannot take
// an array of arrays of different lengths) and split again by the query.
func insertArgs(events []Event) ([]any, error) {
	n := len(events)
	ids, types, leads := make([]uuid.UUID, n), make([]string, n), make([]*uuid.UUID, n)
	versions, territories, owners := make([]*int32, n), make([]*string, n), make([]*string, n)
	collabs, dash, envs := make([]string, n), make([]bool, n), make([][]byte, n)
	for i, e := range events {
		env, err := e.envelope()
		if err != nil {
			return nil, err
		}
		if envs[i], err = json.Marshal(env); err != nil {
			return nil, fmt.Errorf("event: envelope: %w", err)
		}
		ids[i], types[i], dash[i] = e.Key, e.Type, e.Dashboard
		if e.LeadID != uuid.Nil {
			leads[i] = &e.LeadID
			v := int32(e.LeadVersion)
			versions[i] = &v
		}
		territories[i], owners[i] = nilIfEmpty(e.Territory), nilIfEmpty(e.Owner)
		collabs[i] = joinIDs(e.Collaborators)
	}
	return []any{ids, types, leads, versions, territories, owners, collabs, dash, envs}, nil
}

// insertSQL takes the transaction's xid in a CTE first: the id of a row
// must be drawn after its transaction has an xid, or a reader could see a
// gap that belongs to no in-flight transaction and skip the row.
const insertSQL = `WITH tx AS MATERIALIZED (SELECT pg_current_xact_id() AS xid)
	INSERT INTO event_outbox (xid, event_id, type, lead_id, lead_version, territory, owner_user_id,
		collaborator_user_ids, dashboard, envelope)
	SELECT tx.xid, u.id, u.type, u.lead, u.version, u.territory, u.owner,
		CASE WHEN u.collabs = '' THEN '{}'::text[] ELSE string_to_array(u.collabs, chr(31)) END, u.dash, u.env
	FROM tx, unnest($1::uuid[], $2::text[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[], $8::bool[], $9::jsonb[])
		AS u(id, type, lead, version, territory, owner, collabs, dash, env)
	ON CONFLICT (event_id) DO NOTHING`

func joinIDs(ids []string) string {
	out := ""
	for i, id := range ids {
		if i > 0 {
			out += "\x1f"
		}
		out += id
	}
	return out
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
