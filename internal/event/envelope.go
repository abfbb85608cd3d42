// Package event carries domain events from the transaction that caused them
// to every consumer, exactly once in effect.
//
// The outbox row is the event; NOTIFY is only a wake-up hint sent after
// commit, at most once per channel per batch. Readers never skip a row that
// commits late and never stall behind a long transaction: each row records
// its writer's xid8, and a reader remembers the highest id it has read and
// what its snapshot could not see (the running transactions it lists, and
// every xid from its xmax on — a snapshot lists running transactions only
// below xmax, the latest completed xid + 1). The next read takes rows above
// that id plus the rows of those transactions, so a late commit is found
// without re-reading everything above the watermark, and a long transaction
// elsewhere delays nothing.
package event

import (
	"context"
	"encoding/json"
	"time"
)

// Source is the CloudEvents source of every event of this module.
const Source = "/freshplan/leads"

// Module labels metrics of this module's events.
const Module = "leads"

// Envelope is the CloudEvents 1.0 structured JSON form of an event. The
// extension names are the wire contract shared with the Java consumers
// (leadversion is the subject's version), so they stay as they are.
type Envelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject,omitempty"`
	Time            string          `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	IdempotencyKey  string          `json:"idempotencykey"`
	Territory       string          `json:"territory,omitempty"`
	SubjectVersion  int             `json:"leadversion,omitempty"`
	CorrelationID   string          `json:"correlationid,omitempty"`
	CausationID     string          `json:"causationid,omitempty"`
	Data            json.RawMessage `json:"data"`
}

// OccurredAt parses the envelope time.
func (e Envelope) OccurredAt() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, e.Time)
	return t
}

type correlationKey struct{}

// WithCorrelationID records the request or job id that events written under
// ctx carry as correlationid.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID returns the id stored by WithCorrelationID.
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}
