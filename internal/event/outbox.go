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
	Type string
	Key  uuid.UUID // idempotency key; also the CloudEvents id
	// Subject is the entity the event is about (CloudEvents subject);
	// SubjectVersion its version after the change, so consumers can order
	// the events of one subject.
	Subject        uuid.UUID
	SubjectVersion int
	Audience       Audience
	// Topics name the hints beyond the one every event gets; a transport
	// wakes the listeners of each topic once per batch.
	Topics        []string
	Time          time.Time
	CorrelationID string
	CausationID   string
	Data          any
}

// Audience is who may see an event, recorded when it is written: the
// readers' visibility rules are evaluated against it, not against the
// subject's state at read time.
type Audience struct {
	Territory     string
	Owner         string
	Collaborators []string
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
		Territory: e.Audience.Territory, SubjectVersion: e.SubjectVersion, CorrelationID: e.CorrelationID,
		CausationID: e.CausationID, Data: data}
	if e.Subject != uuid.Nil {
		env.Subject = e.Subject.String()
	}
	return env, nil
}

// insertArgs are the arguments of insertSQL for events published by
// actor: one array per column. Lists are joined into one text per row
// (unnest cannot take an array of arrays of different lengths) and split
// again by the query.
func insertArgs(actor string, events []Event) ([]any, error) {
	n := len(events)
	ids, types, subjects := make([]uuid.UUID, n), make([]string, n), make([]*uuid.UUID, n)
	versions, territories, owners := make([]*int32, n), make([]*string, n), make([]*string, n)
	collabs, topics, envs := make([]string, n), make([]string, n), make([][]byte, n)
	for i, e := range events {
		env, err := e.envelope()
		if err != nil {
			return nil, err
		}
		if envs[i], err = json.Marshal(env); err != nil {
			return nil, fmt.Errorf("event: envelope: %w", err)
		}
		ids[i], types[i] = e.Key, e.Type
		if e.Subject != uuid.Nil {
			subjects[i] = &e.Subject
			v := int32(e.SubjectVersion)
			versions[i] = &v
		}
		territories[i], owners[i] = nilIfEmpty(e.Audience.Territory), nilIfEmpty(e.Audience.Owner)
		collabs[i], topics[i] = joinList(e.Audience.Collaborators), joinList(e.Topics)
	}
	return []any{ids, types, subjects, versions, territories, owners, collabs, topics, envs, actor}, nil
}

// insertSQL takes the transaction's xid in a CTE first: the id of a row
// must be drawn after its transaction has an xid, or a reader could see a
// gap that belongs to no in-flight transaction and skip the row. The actor
// must be the transaction's user (the insert policy checks it); without
// one (the tests-only anonymous publisher) it is the scope's user.
const insertSQL = `WITH tx AS MATERIALIZED (SELECT pg_current_xact_id() AS xid)
	INSERT INTO event_outbox (xid, event_id, type, subject_id, subject_version, territory, owner_user_id,
		collaborator_user_ids, topics, envelope, actor)
	SELECT tx.xid, u.id, u.type, u.subject, u.version, u.territory, u.owner,
		CASE WHEN u.collabs = '' THEN '{}'::text[] ELSE string_to_array(u.collabs, chr(31)) END,
		CASE WHEN u.topics = '' THEN '{}'::text[] ELSE string_to_array(u.topics, chr(31)) END, u.env,
		coalesce(nullif($10::text, ''), app_user_id())
	FROM tx, unnest($1::uuid[], $2::text[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::jsonb[])
		AS u(id, type, subject, version, territory, owner, collabs, topics, env)
	ON CONFLICT (event_id) DO NOTHING`

func joinList(items []string) string {
	out := ""
	for i, s := range items {
		if i > 0 {
			out += "\x1f"
		}
		out += s
	}
	return out
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
