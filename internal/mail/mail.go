// Package mail delivers the mail outbox (SPEC §6): mails written in the
// transactions that decided to send them, delivered over SMTP outside any
// transaction. Several replicas may run the mailer: each claims mails for a
// short lease in a short transaction of its own, delivers them, and records
// the outcome in another; a lease that lapses (a replica died) is taken
// over. A crash after the SMTP server accepted a mail and before the outcome
// was recorded sends that mail again when the lease lapses, with the same
// Message-ID, so the receiving side can drop the copy: no design without a
// transaction spanning SMTP and PostgreSQL closes that window.
package mail

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Message is a mail of the outbox.
type Message struct {
	ID             uuid.UUID
	MessageID      string // with angle brackets: <…@…>
	LeadID         *uuid.UUID
	Territory      string
	Kind           string // what the mail is (T3, T7), for metric labels; may be empty
	Recipient      string
	Subject        string
	Text, HTML     string
	UnsubscribeURL string // List-Unsubscribe, with one-click POST (RFC 8058)
	Attempts       int    // deliveries tried, this one included
	CreatedAt      time.Time
	ClaimedUntil   time.Time // the claim's lease: past it, another mailer may take the mail over
}

// Sender delivers one message. An error means it was not accepted (as far
// as the sender knows).
type Sender interface {
	Send(ctx context.Context, m Message) error
}
