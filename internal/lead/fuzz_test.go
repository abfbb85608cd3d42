package lead

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/metric"
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
		`{"companyName":"\u200b\u200c\u200d\u2060\ufeff","website":"javascript:alert(1)"}`,
		`{"companyName":"A\u001b[2J","city":"Köln\u0000","website":"https://bistro.example/","collaboratorUserIds":["ben","ben"," ben "]}`,
		`{"companyName":"x","collaboratorUserIds":["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17",` +
			`"18","19","20","21","22","23","24","25","26","27","28","29","30","31","32","33","34","35","36","37","38","39","40",` +
			`"41","42","43","44","45","46","47","48","49","50","51"]}`,
	} {
		f.Add([]byte(seed))
	}
	// metrics: a phone that cannot be normalized is counted.
	s := &Service{territories: testTerritories, metrics: metric.New(),
		now: func() time.Time { return time.Date(2025, 9, 26, 20, 0, 0, 0, time.UTC) }}
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
		checkAcceptedText(t, l)
		checkAcceptedCollaborators(t, l.CollaboratorUserIDs)
	})
}

// checkAcceptedText fails when an accepted lead holds text the hygiene
// rules refuse (SPEC §2).
func checkAcceptedText(t *testing.T, l *Lead) {
	t.Helper()
	if !cleanText(l.CompanyName) || !strings.ContainsFunc(l.CompanyName, letterOrDigit) {
		t.Fatalf("accepted company name %q", l.CompanyName)
	}
	for _, s := range []*string{l.ContactPerson, l.Email, l.Phone, l.Website, l.Street, l.PostalCode, l.City, l.DuplicateOverrideReason} {
		if s != nil && !cleanText(*s) {
			t.Fatalf("accepted text %q", *s)
		}
	}
	if l.Website != nil && (website(&ValidationError{}, l.Website) == nil || utf8.RuneCountInString(*l.Website) > 2048) {
		t.Fatalf("accepted website %q", *l.Website)
	}
}

// checkAcceptedCollaborators fails on a list a lead may not hold.
func checkAcceptedCollaborators(t *testing.T, ids []string) {
	t.Helper()
	if len(ids) > maxCollaborators {
		t.Fatalf("accepted %d collaborators", len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !userID(id) || seen[id] {
			t.Fatalf("accepted collaborator id %q in %q", id, ids)
		}
		seen[id] = true
	}
}

// FuzzCollaborators edits a collaborator list as a PATCH does: whatever
// the lists, the result has no duplicates, no owner, nothing removed, and
// keeps everything else that was there or added.
func FuzzCollaborators(f *testing.F) {
	for _, seed := range []string{
		`{"current":["ben"],"add":["cem","ben"],"remove":[],"owner":"anna"}`,
		`{"current":["ben","cem"],"add":["anna"," dora "],"remove":["ben"],"owner":"anna"}`,
		`{"current":["ben","ben"],"add":[""],"remove":["\u0000"],"owner":"ben"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in struct {
			Current, Add, Remove []string
			Owner                string
		}
		if json.Unmarshal(body, &in) != nil {
			return
		}
		v := &ValidationError{}
		add, remove := userIDs(v, "addCollaborators", in.Add), userIDs(v, "removeCollaborators", in.Remove)
		if len(v.Fields) > 0 {
			return
		}
		checkAcceptedCollaborators(t, add)
		got := mergeCollaborators(in.Current, add, remove, in.Owner)
		if len(got) > len(in.Current)+len(add) {
			t.Fatalf("merge grew past its inputs: %q", got)
		}
		kept := map[string]bool{}
		for _, id := range got {
			if kept[id] || id == in.Owner || slices.Contains(remove, id) {
				t.Fatalf("merge of %s kept %q: %q", body, id, got)
			}
			kept[id] = true
		}
		for _, id := range slices.Concat(in.Current, add) {
			if !kept[id] && id != in.Owner && !slices.Contains(remove, id) {
				t.Fatalf("merge of %s lost %q: %q", body, id, got)
			}
		}
	})
}

// FuzzOccurredAt: an accepted activity time lies between 2000-01-01 and one
// day from now.
func FuzzOccurredAt(f *testing.F) {
	for _, seed := range []string{"2025-09-26T19:00:00Z", "0001-01-01T00:00:00Z", "2025-09-27T20:00:00.000000001Z",
		"1999-12-31T23:59:59+00:00", "2000-01-01T01:00:00+01:00", "yesterday", ""} {
		f.Add(seed)
	}
	now := time.Date(2025, 9, 26, 20, 0, 0, 0, time.UTC)
	earliest := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		v := &ValidationError{}
		at := occurredAt(v, &s, now)
		if len(v.Fields) > 1 || (len(v.Fields) == 0 && (at.Before(earliest) || at.After(now.Add(24*time.Hour)))) {
			t.Fatalf("%q gave %v with %+v", s, at, v.Fields)
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
