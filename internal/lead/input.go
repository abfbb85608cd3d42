package lead

import (
	"bytes"
	"encoding/json"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Opt is a PATCH field: absent (Set false), explicitly null (Null true), or a value.
type Opt[T any] struct {
	Set  bool
	Null bool
	V    T
}

// UnmarshalJSON records that the field was present. Type errors come back as
// *json.UnmarshalTypeError, to which encoding/json adds the field name.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.V)
}

// CreateInput is the body of POST /api/leads.
type CreateInput struct {
	CompanyName         string   `json:"companyName"`
	ContactPerson       *string  `json:"contactPerson"`
	Email               *string  `json:"email"`
	Phone               *string  `json:"phone"`
	Website             *string  `json:"website"`
	Street              *string  `json:"street"`
	PostalCode          *string  `json:"postalCode"`
	City                *string  `json:"city"`
	CountryCode         *string  `json:"countryCode"`
	BusinessType        *string  `json:"businessType"`
	Source              *string  `json:"source"`
	OwnerUserID         *string  `json:"ownerUserId"`
	CollaboratorUserIDs []string `json:"collaboratorUserIds"`
	EmailConsent        *bool    `json:"emailConsent"`
	// Force creates the lead despite soft duplicates; OverrideReason says why.
	Force          *bool   `json:"force"`
	OverrideReason *string `json:"overrideReason"`
}

// UpdateInput is the body of PATCH /api/leads/{id}.
type UpdateInput struct {
	CompanyName         Opt[string] `json:"companyName"`
	ContactPerson       Opt[string] `json:"contactPerson"`
	Email               Opt[string] `json:"email"`
	Phone               Opt[string] `json:"phone"`
	Website             Opt[string] `json:"website"`
	Street              Opt[string] `json:"street"`
	PostalCode          Opt[string] `json:"postalCode"`
	City                Opt[string] `json:"city"`
	CountryCode         Opt[string] `json:"countryCode"`
	BusinessType        Opt[string] `json:"businessType"`
	Source              Opt[string] `json:"source"`
	EmailConsent        Opt[bool]   `json:"emailConsent"`
	ContactBlocked      Opt[bool]   `json:"contactBlocked"`
	Status              Opt[Status] `json:"status"`
	OwnerUserID         Opt[string] `json:"ownerUserId"`
	AddCollaborators    []string    `json:"addCollaborators"`
	RemoveCollaborators []string    `json:"removeCollaborators"`
	StopClock           Opt[bool]   `json:"stopClock"`
	StopReason          Opt[string] `json:"stopReason"`
}

// ActivityInput is the body of POST /api/leads/{id}/activities.
type ActivityInput struct {
	Type        string  `json:"type"`
	OccurredAt  *string `json:"occurredAt"`
	Description string  `json:"description"`
	Outcome     *string `json:"outcome"`
}

const maxText = 255

// maxCollaborators bounds a lead's collaborators and every list of them in
// a request: a list is checked by its length before anything else looks at
// it, so an oversized one costs nothing but the decoding.
const maxCollaborators = 50

// textMessage is the refusal of text that is not clean (see cleanText).
const textMessage = "must be valid UTF-8 text without NUL bytes or control characters (tab and line breaks are allowed)"

// text validates an optional free-text field: trimmed, blank becomes nil.
// Every free-text field of a lead or an activity comes through here, on
// create and on update.
func text(v *ValidationError, field string, s *string, max int) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	if t == "" {
		return nil
	}
	if !cleanText(t) {
		v.add(field, textMessage)
		return nil
	}
	if utf8.RuneCountInString(t) > max {
		v.add(field, "must be at most %d characters", max)
		return nil
	}
	return &t
}

// cleanText reports whether s is valid UTF-8 without control characters
// other than tab, line feed and carriage return. PostgreSQL refuses NUL and
// invalid UTF-8 outright; the other controls (escape sequences, backspace,
// C1 codes) have no place in a CRM's text and can mislead a terminal or a
// log reader. Tab and line breaks stay: descriptions, outcomes and reasons
// are multi-line notes pasted from anywhere.
func cleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
}

// website accepts only an absolute http or https URL with a host: the
// website is shown as a link, and javascript: or data: URLs there would run
// in the reader's browser.
func website(v *ValidationError, s *string) *string {
	t := text(v, "website", s, 2048)
	if t == nil {
		return nil
	}
	if u, err := url.Parse(*t); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		v.add("website", "must be an http or https URL like https://example.com")
		return nil
	}
	return t
}

func companyName(v *ValidationError, s string) string {
	t := strings.TrimSpace(s)
	switch {
	case t == "":
		v.add("companyName", "is required")
	case !cleanText(t):
		v.add("companyName", textMessage)
	case utf8.RuneCountInString(t) > maxText:
		v.add("companyName", "must be at most %d characters", maxText)
	case !strings.ContainsFunc(t, letterOrDigit):
		// TrimSpace leaves zero-width spaces (U+200B..U+200D, U+2060,
		// U+FEFF) and other format characters: a name of them looks blank.
		v.add("companyName", "must contain at least one letter or digit")
	}
	return t
}

func letterOrDigit(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// Activities may be dated from 2000 on, older than any customer
// relationship we import, and up to a day ahead, for a rep's device in
// another time zone or with a wrong clock; year 0001 and the far future
// are typing errors that would skew every timeline and follow-up figure.
const (
	earliestActivityYear = 2000
	activityLead         = 24 * time.Hour
)

// occurredAt parses an activity's optional occurredAt: now when absent.
// AddActivity is to call it in place of its own parse, which still
// accepts year 0001 (command.go is outside the hardening change that added
// this rule).
func occurredAt(v *ValidationError, s *string, now time.Time) time.Time {
	if s == nil {
		return now
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	switch {
	case err != nil:
		v.add("occurredAt", "must be an RFC 3339 date-time like 2025-09-26T20:00:00Z")
	case t.Before(time.Date(earliestActivityYear, 1, 1, 0, 0, 0, 0, time.UTC)):
		v.add("occurredAt", "must not be before %d-01-01T00:00:00Z", earliestActivityYear)
	case t.After(now.Add(activityLead)):
		v.add("occurredAt", "must not be more than one day in the future")
	default:
		return t.UTC().Truncate(time.Microsecond)
	}
	return now
}

func email(v *ValidationError, s *string) *string {
	t := text(v, "email", s, 254)
	if t == nil {
		return nil
	}
	if a, err := mail.ParseAddress(*t); err != nil || a.Address != *t || !strings.Contains(*t, "@") {
		v.add("email", "must be an e-mail address like name@example.com")
		return nil
	}
	return t
}

func phone(v *ValidationError, s *string) *string {
	t := text(v, "phone", s, 50)
	if t == nil {
		return nil
	}
	digits := 0
	for _, r := range *t {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-/().", r):
		default:
			v.add("phone", "may contain only digits, spaces and + - / ( ) .")
			return nil
		}
	}
	if digits < 3 {
		v.add("phone", "must contain at least 3 digits")
		return nil
	}
	return t
}

func enum(v *ValidationError, field string, s *string, allowed []string) *string {
	if s == nil {
		return nil
	}
	if !slices.Contains(allowed, *s) {
		v.add(field, "must be one of %s", strings.Join(allowed, ", "))
		return nil
	}
	return s
}

// territoryOf validates a country code and returns the territory it
// belongs to (SPEC §1), as the territories table says.
func (s *Service) territoryOf(v *ValidationError, code string) string {
	t, ok := s.territories.ForCountry(code)
	if !ok {
		countries := s.territories.Countries()
		list := strings.Join(countries, ", ")
		if n := len(countries); n > 1 {
			list = strings.Join(countries[:n-1], ", ") + " or " + countries[n-1]
		}
		v.add("countryCode", "must be %s (ISO 3166 alpha-2)", list)
	}
	return t
}

// userIDs validates a list of user ids: at most maxCollaborators, each
// 1..255 characters of clean text, duplicates dropped. The length is
// checked first and the rest is linear, so a hostile list costs nothing.
func userIDs(v *ValidationError, field string, ids []string) []string {
	if len(ids) > maxCollaborators {
		v.add(field, "must hold at most %d user ids", maxCollaborators)
		return nil
	}
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if !userID(id) {
			v.add(field, "must contain user ids of 1..255 characters of text")
			return nil
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// userID reports whether a trimmed id can name a user: the users table
// could not hold anything else, and PostgreSQL would refuse a NUL byte in
// the lookup with an error instead of "unknown user".
func userID(id string) bool {
	return id != "" && len(id) <= maxText && cleanText(id)
}
