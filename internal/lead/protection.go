package lead

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/event"
	"github.com/freshplan/leads/internal/postgres"
)

// Lead protection (SPEC §2): a rep's claim on a lead runs out unless they
// work it. Deadlines are counted in calendar days (and months) of the
// territory's time zone, as a rep reads them: a lead last contacted on
// 1 January is reminded on 2 March at 00:00 local time, whatever the hour
// of the contact and whether a clock change came between.
const (
	ReminderAfterDays    = 60 // REGISTERED or ACTIVE without meaningful contact → REMINDER
	GracePeriodAfterDays = 10 // REMINDER → GRACE_PERIOD
	ExpiryAfterDays      = 10 // GRACE_PERIOD → EXPIRED
	ProtectionMonths     = 6  // registration → EXPIRED, unless QUALIFIED by then
)

// CommandProtect is the protection automation's command, as a TxHook sees it.
const CommandProtect = "protect"

// The activities of the automation's transitions.
const (
	ActivityReminderSent       = "REMINDER_SENT"
	ActivityGracePeriodStarted = "GRACE_PERIOD_STARTED"
	ActivityExpired            = "EXPIRED"
)

// Pause is how long a lead's protection clock stood still. Each deadline
// runs from a moment of its own and is moved by the pauses after it: the
// total, less its reading at that moment.
type Pause struct {
	Total      time.Duration // all ended pauses
	AtActivity time.Duration // the reading, a running pause included, at the last meaningful activity
	AtStatus   time.Duration // the reading when the lead last entered REMINDER or GRACE_PERIOD
}

// pausedAt is the paused time until now, a running pause included.
func (l *Lead) pausedAt(now time.Time) time.Duration {
	if l.ClockStoppedAt == nil {
		return l.Paused.Total
	}
	return l.Paused.Total + now.Sub(*l.ClockStoppedAt)
}

// NextProtection is the protection step ahead of l and when it falls due
// in the time zone loc; ok is false for a status protection does not watch.
// A stopped clock holds the step back (Protect checks it), but does not
// change it.
func NextProtection(l *Lead, loc *time.Location) (to Status, due time.Time, ok bool) {
	since := func(reading time.Duration) time.Duration { return max(l.Paused.Total-reading, 0) }
	switch l.Status {
	case StatusRegistered, StatusActive:
		to, due = StatusReminder, addDays(l.RegisteredAt, ReminderAfterDays, loc).Add(l.Paused.Total)
		if l.LastActivityAt != nil {
			due = addDays(*l.LastActivityAt, ReminderAfterDays, loc).Add(since(l.Paused.AtActivity))
		}
	case StatusReminder:
		to, due = StatusGracePeriod, addDays(orUpdated(l, l.ReminderSentAt), GracePeriodAfterDays, loc).Add(since(l.Paused.AtStatus))
	case StatusGracePeriod:
		to, due = StatusExpired, addDays(orUpdated(l, l.GracePeriodStartAt), ExpiryAfterDays, loc).Add(since(l.Paused.AtStatus))
	default:
		return "", time.Time{}, false
	}
	if end := ProtectionEnd(l, loc); !end.After(due) {
		to, due = StatusExpired, end
	}
	return to, due, true
}

// ProtectionEnd is when l's protection ends unless it is qualified: six
// months after its registration, plus every pause.
func ProtectionEnd(l *Lead, loc *time.Location) time.Time {
	y, m, d := l.RegisteredAt.In(loc).Date()
	// As a calendar does: 31 August + 6 months is the last day of February.
	if last := time.Date(y, m+ProtectionMonths+1, 0, 0, 0, 0, 0, loc).Day(); d > last {
		d = last
	}
	return time.Date(y, m+ProtectionMonths, d, 0, 0, 0, 0, loc).Add(l.Paused.Total)
}

// addDays is the start of the day n calendar days after t's day, in loc.
func addDays(t time.Time, n int, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d+n, 0, 0, 0, 0, loc)
}

// orUpdated is t, or for a lead that entered its status before the time
// was recorded (imported data), its last change.
func orUpdated(l *Lead, t *time.Time) time.Time {
	if t == nil {
		return l.UpdatedAt
	}
	return *t
}

// ProtectionNotifier queues the owner's notice of l, which has just moved
// to REMINDER or GRACE_PERIOD, in the transition's transaction. It says
// whether there was anyone to notify.
type ProtectionNotifier func(ctx context.Context, tx pgx.Tx, l *Lead, now time.Time) (bool, error)

// ProtectionResult counts what a protection run did.
type ProtectionResult struct {
	Scanned     int           `json:"scanned"` // leads of a watched status with a running clock
	Reminders   int           `json:"reminders"`
	GracePeriod int           `json:"gracePeriods"`
	Expired     int           `json:"expired"`
	Duration    time.Duration `json:"-"`
}

// ProtectionCandidates reads the next size leads after `after`, by
// primary key, that protection watches and whose clock runs, with what
// NextProtection needs. By primary key, because no index may read the
// status: a status change stays a HOT update (docs/PERFORMANCE.md).
func (s *Service) protectionCandidates(ctx context.Context, after uuid.UUID, size int) ([]*Lead, error) {
	var out []*Lead
	err := postgres.InTx(ctx, s.pool, auth.System(), func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, protectionCandidatesSQL, after, size)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*Lead, error) {
			var l Lead
			var paused pausedColumns
			err := r.Scan(&l.ID, &l.Status, &l.Territory, &l.RegisteredAt, &l.LastActivityAt, &l.ReminderSentAt,
				&l.GracePeriodStartAt, &l.UpdatedAt, &paused[0], &paused[1], &paused[2])
			l.Paused = paused.pause()
			return &l, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lead: protection candidates: %w", err)
	}
	return out, nil
}

// Protect moves every lead whose protection step is due at now, walking
// the leads by primary key in batches of size; each move is a transaction
// of its own that locks the lead and checks again. notify queues the
// owner's notices.
func (s *Service) Protect(ctx context.Context, size int, notify ProtectionNotifier) (ProtectionResult, error) {
	start := time.Now()
	var res ProtectionResult
	now := s.clock()
	for after := uuid.Nil; ; {
		batch, err := s.protectionCandidates(ctx, after, size)
		if err != nil {
			return res, err
		}
		for _, l := range batch {
			after = l.ID
			res.Scanned++
			if _, _, _, due := s.protectionStep(l, now); !due {
				continue
			}
			to, err := s.protectOne(ctx, l.ID, now, notify)
			if err != nil && !errors.Is(err, ErrNotFound) { // gone since it was read: nothing to do
				return res, err
			}
			res.count(to)
		}
		if len(batch) < size {
			res.Duration = time.Since(start)
			return res, nil
		}
	}
}

func (r *ProtectionResult) count(to Status) {
	switch to {
	case StatusReminder:
		r.Reminders++
	case StatusGracePeriod:
		r.GracePeriod++
	case StatusExpired:
		r.Expired++
	}
}

// protectionStep is l's protection step if it is due at now: the status
// it moves to, the deadline that passed and the zone it was counted in.
func (s *Service) protectionStep(l *Lead, now time.Time) (to Status, due time.Time, loc *time.Location, ok bool) {
	if l.ClockStoppedAt != nil {
		return "", time.Time{}, nil, false
	}
	loc, err := s.territories.Location(l.Territory)
	if err != nil {
		return "", time.Time{}, nil, false
	}
	to, due, ok = NextProtection(l, loc)
	return to, due, loc, ok && !now.Before(due)
}

// protectOne makes lead id's due protection step, if it is still due with
// the lead locked, and returns the status it moved to ("" for none).
func (s *Service) protectOne(ctx context.Context, id uuid.UUID, now time.Time, notify ProtectionNotifier) (Status, error) {
	var moved Status
	_, err := s.command(ctx, auth.System(), id, AnyVersion, CommandProtect, nil,
		func(tx pgx.Tx, l *Lead) (*Lead, []event.Event, *pgx.Batch, error) {
			to, due, loc, ok := s.protectionStep(l, now)
			if !ok { // moved or worked on since it was read
				return l, nil, nil, nil
			}
			from := l.Status
			ch := &change{}
			if err := moveStatus(auth.System(), l, to, ch, now, protectionActivity[to],
				fmt.Sprintf("%s -> %s (protection deadline %s)", from, to, due.In(loc).Format(time.DateOnly)),
				"protection deadline"); err != nil {
				return nil, nil, nil, err
			}
			if to != StatusExpired {
				notified, err := notify(ctx, tx, l, now)
				if err != nil {
					return nil, nil, nil, err
				}
				if !notified {
					ch.activities[0].Description += "; the owner has no e-mail address for the notice"
				}
			}
			moved = to
			out, events, b := s.save(ctx, auth.System(), l, ch, now)
			return out, events, b, nil
		})
	return moved, err
}

var protectionActivity = map[Status]string{
	StatusReminder:    ActivityReminderSent,
	StatusGracePeriod: ActivityGracePeriodStarted,
	StatusExpired:     ActivityExpired,
}
