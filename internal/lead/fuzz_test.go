package lead

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/territory"
)

// testTerritories are the territories of the foundation migration.
var testTerritories = territory.New([]territory.Territory{
	{Code: "DE", CountryCodes: []string{"DE"}}, {Code: "CH", CountryCodes: []string{"CH"}}, {Code: "AT", CountryCodes: []string{"AT"}},
})

// FuzzCreateValidation decodes arbitrary JSON as a create request and runs
// the validation: it never panics, and what it accepts is well-formed.
func FuzzCreateValidation(f *testing.F) {
	for _, seed := range []string{
		`{"companyName":"Café Müller AG","email":"a@b.de","phone":"030 123456","countryCode":"DE"}`,
		`{"companyName":"","countryCode":"FR"}`,
		`{"companyName":"x","businessType":"HOTEL","source":"MESSE","ownerUserId":"anna","collaboratorUserIds":["ben",""]}`,
		`{"companyName":"\u0000","website":"http://[::1"}`,
		`{"companyName":"` + string([]byte{0xff, 0xfe}) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	s := &Service{territories: testTerritories, now: func() time.Time { return time.Date(2025, 9, 26, 20, 0, 0, 0, time.UTC) }}
	p := auth.Principal{UserID: "anna", Roles: []auth.Role{auth.RoleManager}, Territories: []string{"AT", "CH", "DE"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in CreateInput
		if json.Unmarshal(body, &in) != nil {
			return
		}
		l, err := s.newLead(p, in)
		if err != nil {
			return
		}
		if n := utf8.RuneCountInString(l.CompanyName); n < 1 || n > 255 || !utf8.ValidString(l.CompanyName) {
			t.Fatalf("accepted company name %q", l.CompanyName)
		}
		if want, ok := testTerritories.ForCountry(l.CountryCode); !ok || l.Territory != want {
			t.Fatalf("accepted country %q territory %q", l.CountryCode, l.Territory)
		}
		if l.BusinessType != nil && !slices.Contains(BusinessTypes, *l.BusinessType) {
			t.Fatalf("accepted business type %q", *l.BusinessType)
		}
		if !slices.Contains(Sources, l.Source) {
			t.Fatalf("accepted source %q", l.Source)
		}
		if l.Email != nil && (l.EmailNormalized == nil || *l.EmailNormalized == "") {
			t.Fatalf("e-mail %q without normalized value", *l.Email)
		}
		for _, id := range l.CollaboratorUserIDs {
			if id == "" {
				t.Fatal("accepted a blank collaborator id")
			}
		}
	})
}

// FuzzUpdateValidation applies arbitrary patches to a lead in memory.
func FuzzUpdateValidation(f *testing.F) {
	for _, seed := range []string{
		`{"status":"ACTIVE"}`, `{"companyName":null}`, `{"email":null,"phone":"+41 44 668 18 00"}`,
		`{"stopClock":true,"stopReason":"x"}`, `{"stopClock":false}`, `{"countryCode":"AT","status":"DELETED"}`,
	} {
		f.Add([]byte(seed))
	}
	p := auth.Principal{UserID: "mia", Roles: []auth.Role{auth.RoleManager}, Territories: []string{"DE"}}
	now := time.Date(2025, 9, 26, 20, 0, 0, 0, time.UTC)
	s := &Service{territories: testTerritories}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in UpdateInput
		if json.Unmarshal(body, &in) != nil {
			return
		}
		l := &Lead{CompanyName: "Hotel Adler", CountryCode: "DE", Territory: "DE", Status: StatusRegistered, Source: "MESSE", OwnerUserID: "anna"}
		v := &ValidationError{}
		s.applyFields(v, l, in)
		if v.orNil() == nil {
			if want, _ := testTerritories.ForCountry(l.CountryCode); l.CompanyName == "" || l.Territory != want {
				t.Fatalf("accepted %+v", l)
			}
		}
		ch := &change{}
		if in.Status.Set && !in.Status.Null && slices.Contains(Statuses, in.Status.V) {
			if err := setStatus(p, l, in.Status.V, ch, now); err == nil && l.Status != in.Status.V {
				t.Fatal("status not applied")
			}
		}
		_ = applyClock(&ValidationError{}, p, l, in, ch, now)
	})
}
