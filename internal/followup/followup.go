// Package followup is the follow-up automation of SPEC §6: when the T+3
// and T+7 mails of a lead are due, whether a lead still gets them, and what
// they say. Scheduling, the worker and the mail outbox build on it.
package followup

import "time"

// Kind is a follow-up: T+3 (the sample offer) or T+7 (the bulk-order offer).
type Kind string

// The follow-ups of SPEC §6.
const (
	T3 Kind = "T3"
	T7 Kind = "T7"
)

// Kinds are every follow-up, in the order they fall due.
var Kinds = []Kind{T3, T7}

// Days is how many days after registration k falls due.
func (k Kind) Days() int {
	if k == T7 {
		return 7
	}
	return 3
}

// TemplateKey is k's template (SPEC §6: explicit keys).
func (k Kind) TemplateKey() string {
	if k == T7 {
		return "t7_bulk_order"
	}
	return "t3_sample"
}

// quietWindow is how recent a meaningful activity must be to make k
// unnecessary: someone is already talking to the customer.
func (k Kind) quietWindow() time.Duration { return time.Duration(k.Days()) * 24 * time.Hour }

// MaxWorkers is how many follow-ups one replica works at once. River
// fetches at most the free slots every 100 ms, so this bounds a replica's
// rate (8 slots gave 80 follow-ups/s); the database pool bounds the rest.
const MaxWorkers = 50
