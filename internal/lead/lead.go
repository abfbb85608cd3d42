// Package lead is the domain of lead management: leads, their status rules,
// activities, and the service whose commands change them, each in one
// transaction scoped to the caller by row-level security.
package lead

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Status is a lead's pipeline status.
type Status string

// The statuses of SPEC §2.
const (
	StatusRegistered  Status = "REGISTERED"
	StatusActive      Status = "ACTIVE"
	StatusReminder    Status = "REMINDER"
	StatusGracePeriod Status = "GRACE_PERIOD"
	StatusQualified   Status = "QUALIFIED"
	StatusConverted   Status = "CONVERTED"
	StatusLost        Status = "LOST"
	StatusExpired     Status = "EXPIRED"
	StatusDeleted     Status = "DELETED"
)

// Statuses lists every status in pipeline order.
var Statuses = []Status{StatusRegistered, StatusActive, StatusReminder, StatusGracePeriod,
	StatusQualified, StatusConverted, StatusLost, StatusExpired, StatusDeleted}

// BusinessTypes and Sources are the accepted enum values.
var (
	BusinessTypes = []string{"RESTAURANT", "HOTEL", "CATERING", "KANTINE", "GROSSHANDEL", "LEH", "BILDUNG", "GESUNDHEIT", "SONSTIGES"}
	Sources       = []string{"MESSE", "EMPFEHLUNG", "TELEFON", "WEB_FORMULAR", "PARTNER", "SONSTIGES"}
)

// Lead is a prospective customer as the API shows it.
type Lead struct {
	ID                    uuid.UUID  `json:"id"`
	Version               int        `json:"version"`
	CompanyName           string     `json:"companyName"`
	ContactPerson         *string    `json:"contactPerson"`
	Email                 *string    `json:"email"`
	Phone                 *string    `json:"phone"`
	Website               *string    `json:"website"`
	Street                *string    `json:"street"`
	PostalCode            *string    `json:"postalCode"`
	City                  *string    `json:"city"`
	CountryCode           string     `json:"countryCode"`
	Territory             string     `json:"territory"`
	BusinessType          *string    `json:"businessType"`
	Source                string     `json:"source"`
	Status                Status     `json:"status"`
	OwnerUserID           string     `json:"ownerUserId"`
	CollaboratorUserIDs   []string   `json:"collaboratorUserIds"`
	EmailConsent          bool       `json:"emailConsent"`
	ContactBlocked        bool       `json:"contactBlocked"`
	RegisteredAt          time.Time  `json:"registeredAt"`
	LastActivityAt        *time.Time `json:"lastActivityAt"`
	LastFollowUpAt        *time.Time `json:"lastFollowUpAt"`
	FollowUpCount         int        `json:"followUpCount"`
	T3FollowUpSentAt      *time.Time `json:"t3FollowUpSentAt"`
	T7FollowUpSentAt      *time.Time `json:"t7FollowUpSentAt"`
	ReminderSentAt        *time.Time `json:"reminderSentAt"`
	GracePeriodStartAt    *time.Time `json:"gracePeriodStartAt"`
	ExpiredAt             *time.Time `json:"expiredAt"`
	ClockStoppedAt        *time.Time `json:"clockStoppedAt"`
	StopReason            *string    `json:"stopReason"`
	CreatedAt             time.Time  `json:"createdAt"`
	CreatedBy             string     `json:"createdBy"`
	UpdatedAt             time.Time  `json:"updatedAt"`
	UpdatedBy             string     `json:"updatedBy"`
	EmailNormalized       *string    `json:"emailNormalized"`
	CompanyNameNormalized *string    `json:"companyNameNormalized"`
	PhoneE164             *string    `json:"phoneE164"`
	WebsiteDomain         *string    `json:"websiteDomain"`
	// DuplicateOverrideReason is set when the lead was forced past a soft duplicate.
	DuplicateOverrideReason *string `json:"duplicateOverrideReason"`
	// Paused is how long the protection clock has stood still, for the
	// protection deadlines; internal.
	Paused Pause `json:"-"`

	// stored is the row as lockLead read it: the update writes only the
	// columns that differ from it.
	stored *Lead
}

// Sentinel errors; the HTTP layer maps them to problem types.
var (
	// ErrNotFound: the lead does not exist or the caller may not see it.
	ErrNotFound = errors.New("lead: not found")
	// ErrForbidden: the caller sees the lead but may not do this.
	ErrForbidden = errors.New("lead: forbidden")
	// ErrVersionMismatch: If-Match named an older version.
	ErrVersionMismatch = errors.New("lead: version mismatch")
	// ErrConflict: the change contradicts the lead's state.
	ErrConflict = errors.New("lead: conflict")
)

// Error is a refused command: Kind is one of the sentinel errors, Detail
// the sentence meant for the client.
type Error struct {
	Kind   error
	Detail string
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Detail }
func (e *Error) Unwrap() error { return e.Kind }

// ClientMessage is what the caller is told.
func (e *Error) ClientMessage() string { return e.Detail }

func refuse(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// FieldError names one invalid input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists the invalid fields of a command.
type ValidationError struct{ Fields []FieldError }

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "lead: invalid input: " + strings.Join(parts, "; ")
}

// maxFieldErrors is as many invalid fields as a problem shows (the HTTP
// layer's limit): collecting more would only cost.
const maxFieldErrors = 20

func (e *ValidationError) add(field, format string, args ...any) {
	if len(e.Fields) < maxFieldErrors {
		e.Fields = append(e.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
}

func (e *ValidationError) orNil() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// TransitionError is a refused status change; Allowed lists what the caller
// could have asked for instead.
type TransitionError struct {
	From, To Status
	Allowed  []Status
	Reason   string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("lead: status %s -> %s not allowed: %s", e.From, e.To, e.Reason)
}

func (e *TransitionError) Unwrap() error { return ErrConflict }

// ClientMessage is what the caller is told.
func (e *TransitionError) ClientMessage() string {
	return string(e.From) + " -> " + string(e.To) + ": " + e.Reason
}
