package lead

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
)

// CommandFollowUp is the command of a due follow-up, as a TxHook sees it.
const CommandFollowUp = "follow-up"

// ActivityFollowUpSent records a follow-up mail queued for a lead.
const ActivityFollowUpSent = "FOLLOW_UP_SENT"

// ErrFollowUpDone is what a FollowUpDecider returns for a follow-up that
// was already processed: ProcessFollowUp then changes nothing.
var ErrFollowUpDone = errors.New("lead: follow-up already processed")

// FollowUpDecision is what became of a due follow-up.
type FollowUpDecision struct {
	Due  time.Time // when it fell due, for its event's idempotency key
	Skip string    // why it was not sent; "" when its mail was queued
}

// FollowUpDecider runs in the follow-up's transaction with the lead locked
// as it is now: it records the follow-up (and queues its mail) and says
// what it decided.
type FollowUpDecider func(ctx context.Context, tx pgx.Tx, l *Lead, now time.Time) (FollowUpDecision, error)

type followUpData struct {
	LeadID       uuid.UUID `json:"leadId"`
	FollowUpType string    `json:"followUpType"`
	T3Count      int       `json:"t3Count"`
	T7Count      int       `json:"t7Count"`
	Success      bool      `json:"success"`
	Result       string    `json:"result"`
	Reason       string    `json:"reason,omitempty"`
	UserID       string    `json:"userId"`
	ProcessedAt  string    `json:"processedAt"`
}

// ProcessFollowUp runs a due follow-up (T3 or T7) of lead id as the
// system, in one transaction: decide records it and, when it is sent,
// queues its mail; the lead then gets its follow-up fields and a
// FOLLOW_UP_SENT activity, and either way a lead.followup.processed event
// says what happened. A follow-up never changes the lead's status. It
// returns the decision; ErrFollowUpDone when decide found it processed.
func (s *Service) ProcessFollowUp(ctx context.Context, id uuid.UUID, followUpType string, decide FollowUpDecider) (FollowUpDecision, error) {
	var d FollowUpDecision
	_, err := s.command(ctx, auth.System(), id, AnyVersion, CommandFollowUp, nil,
		func(tx pgx.Tx, l *Lead) (*Lead, []event.Event, *pgx.Batch, error) {
			now := s.clock()
			var err error
			if d, err = decide(ctx, tx, l, now); err != nil {
				return nil, nil, nil, err
			}
			data := followUpData{LeadID: l.ID, FollowUpType: followUpType, Success: true, Result: "sent",
				UserID: auth.System().UserID, ProcessedAt: event.FormatTime(now)}
			pending := pendingEvent{typ: TypeFollowUpProcessed, key: FollowUpKey(l.ID, followUpType, d.Due), at: now}
			if d.Skip != "" {
				data.Result, data.Reason = "skipped", d.Skip
				pending.data = data
				return l, complete(ctx, l, []pendingEvent{pending}), nil, nil
			}
			l.LastFollowUpAt = &now
			l.FollowUpCount++
			if followUpType == "T7" {
				l.T7FollowUpSentAt, data.T7Count = &now, 1
			} else {
				l.T3FollowUpSentAt, data.T3Count = &now, 1
			}
			pending.data = data
			ch := &change{activities: []*Activity{newActivity(l.ID, ActivityFollowUpSent, followUpType+" follow-up queued",
				auth.System().UserID, now)}, events: []pendingEvent{pending}}
			out, events, b := s.save(ctx, auth.System(), l, ch, now)
			return out, events, b, nil
		})
	return d, err
}
