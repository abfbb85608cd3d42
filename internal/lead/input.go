package lead

import (
	"bytes"
	"encoding/json"
	"net/mail"
	"slices"
	"strings"
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

// text validates an optional free-text field: trimmed, blank becomes nil.
func text(v *ValidationError, field string, s *string, max int) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	if t == "" {
		return nil
	}
	if !utf8.ValidString(t) || strings.ContainsRune(t, 0) {
		v.add(field, "must be valid UTF-8 text")
		return nil
	}
	if utf8.RuneCountInString(t) > max {
		v.add(field, "must be at most %d characters", max)
		return nil
	}
	return &t
}

func companyName(v *ValidationError, s string) string {
	t := strings.TrimSpace(s)
	switch {
	case t == "":
		v.add("companyName", "is required")
	case !utf8.ValidString(t) || strings.ContainsRune(t, 0):
		v.add("companyName", "must be valid UTF-8 text")
	case utf8.RuneCountInString(t) > maxText:
		v.add("companyName", "must be at most %d characters", maxText)
	}
	return t
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

func userIDs(v *ValidationError, field string, ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || len(id) > maxText {
			v.add(field, "must contain user ids of 1..255 characters")
			return nil
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
