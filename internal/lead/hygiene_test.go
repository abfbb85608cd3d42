package lead

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
)

// TestUserIDsBoundedBeforeWork replays the 100,000-collaborator probe: the
// list is refused by its length, with one error, before any dedupe.
func TestUserIDsBoundedBeforeWork(t *testing.T) {
	t.Parallel()
	ids := make([]string, 100_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("u%d", i)
	}
	v := &ValidationError{}
	require.Nil(t, userIDs(v, "collaboratorUserIds", ids))
	require.Equal(t, []FieldError{{"collaboratorUserIds", "must hold at most 50 user ids"}}, v.Fields)

	v = &ValidationError{}
	require.Len(t, userIDs(v, "collaboratorUserIds", ids[:maxCollaborators]), maxCollaborators)
	require.Empty(t, v.Fields)
	v = &ValidationError{}
	require.Nil(t, userIDs(v, "collaboratorUserIds", ids[:maxCollaborators+1]))
	require.Len(t, v.Fields, 1)
}

func TestUserIDsCleansAndDedupes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   []string
		want []string
		ok   bool
	}{
		{[]string{" ben ", "ben", "cem"}, []string{"ben", "cem"}, true},
		{nil, []string{}, true},
		{[]string{""}, nil, false},
		{[]string{"a\x00b"}, nil, false},
		{[]string{"a\x1bb"}, nil, false},
		{[]string{"\xff"}, nil, false},
		{[]string{strings.Repeat("x", 256)}, nil, false},
	}
	for _, c := range cases {
		v := &ValidationError{}
		require.Equal(t, c.want, userIDs(v, "f", c.in), "%q", c.in)
		require.Equal(t, c.ok, len(v.Fields) == 0, "%q", c.in)
	}
}

func TestMergeCollaborators(t *testing.T) {
	t.Parallel()
	cases := []struct {
		current, add, remove []string
		owner                string
		want                 []string
	}{
		{nil, nil, nil, "anna", []string{}},
		{[]string{"ben"}, []string{"cem", "ben"}, nil, "anna", []string{"ben", "cem"}},
		{[]string{"ben", "cem"}, []string{"dora"}, []string{"ben"}, "anna", []string{"cem", "dora"}},
		{[]string{"ben"}, []string{"anna"}, nil, "anna", []string{"ben"}},
		{[]string{"ben"}, nil, nil, "ben", []string{}},
		{[]string{"ben"}, []string{"cem"}, []string{"cem"}, "anna", []string{"ben"}},
	}
	for _, c := range cases {
		require.Equal(t, c.want, mergeCollaborators(c.current, c.add, c.remove, c.owner), "%+v", c)
	}
}

func TestCompanyNameNeedsLetterOrDigit(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"Café Müller":                    "",
		"7 Eleven":                       "",
		"東京フーズ":                          "",
		"  ":                             "is required",
		"\u200b\u200c\u200d\u2060\ufeff": "must contain at least one letter or digit",
		"\u200b \u00ad -":                "must contain at least one letter or digit",
		"A\x00B":                         textMessage,
		"A\x1b[31mB":                     textMessage,
		"A\u0085B":                       textMessage,
		"\xffAB":                         textMessage,
	}
	for name, want := range cases {
		v := &ValidationError{}
		companyName(v, name)
		if want == "" {
			require.Empty(t, v.Fields, "%q", name)
			continue
		}
		require.Equal(t, []FieldError{{"companyName", want}}, v.Fields, "%q", name)
	}
}

func TestWebsiteMustBeHTTPURL(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{
		"https://www.cafe-mueller.example/menu":          true,
		"http://bistro.example":                          true,
		"HTTPS://BISTRO.EXAMPLE":                         true,
		"https://[::1]:8443/":                            true,
		"javascript:alert(1)":                            false,
		"JavaScript://%0aalert(1)":                       false,
		"data:text/html,<script>":                        false,
		"ftp://files.example":                            false,
		"www.bistro.example":                             false,
		"https://":                                       false,
		"http://:80":                                     false,
		"http:bistro.example":                            false,
		"http://[::1":                                    false,
		"https://x.example/" + strings.Repeat("a", 2048): false,
	}
	for site, ok := range cases {
		v := &ValidationError{}
		got := website(v, &site)
		require.Equal(t, ok, got != nil && len(v.Fields) == 0, "%q: %+v", site, v.Fields)
	}
}

// TestTextRefusesControlCharacters: NUL, invalid UTF-8 and control
// characters are refused in every free-text field; tab and line breaks stay.
func TestTextRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{
		"line one\nline two\r\n\tindented": true,
		"Straße 1":                         true,
		"a\x00b":                           false,
		"a\x07b":                           false,
		"a\x7fb":                           false,
		"a\u009bb":                         false,
		"a\xc3b":                           false,
	}
	for _, field := range []string{"contactPerson", "street", "city", "postalCode", "stopReason", "overrideReason", "description", "outcome"} {
		for s, ok := range cases {
			v := &ValidationError{}
			got := text(v, field, &s, 4000)
			require.Equal(t, ok, got != nil, "%s %q", field, s)
			if !ok {
				require.Equal(t, []FieldError{{field, textMessage}}, v.Fields)
			}
		}
	}
}

func TestOccurredAtWindow(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 9, 26, 20, 0, 0, 0, time.UTC)
	cases := map[string]string{
		"2025-09-26T19:00:00Z":           "",
		"2000-01-01T00:00:00Z":           "",
		"2025-09-27T20:00:00Z":           "",
		"2025-09-27T21:00:00+01:00":      "",
		"0001-01-01T00:00:00Z":           "must not be before 2000-01-01T00:00:00Z",
		"1999-12-31T23:59:59.999999999Z": "must not be before 2000-01-01T00:00:00Z",
		"2025-09-27T20:00:00.000001Z":    "must not be more than one day in the future",
		"9999-12-31T23:59:59Z":           "must not be more than one day in the future",
		"yesterday":                      "must be an RFC 3339 date-time like 2025-09-26T20:00:00Z",
	}
	for s, want := range cases {
		v := &ValidationError{}
		at := occurredAt(v, &s, now)
		if want == "" {
			require.Empty(t, v.Fields, s)
			parsed, _ := time.Parse(time.RFC3339Nano, s)
			require.True(t, parsed.Equal(at), s)
			continue
		}
		require.Equal(t, []FieldError{{"occurredAt", want}}, v.Fields, s)
	}
	require.Equal(t, now, occurredAt(&ValidationError{}, nil, now))
}

// TestCreateValidationListsAtMost20Fields: a create body wrong in every
// field yields one error per field, within the problem's limit of 20.
func TestCreateValidationListsAtMost20Fields(t *testing.T) {
	t.Parallel()
	bad, yes := "\x00", true
	in := CreateInput{CompanyName: bad, ContactPerson: &bad, Email: &bad, Phone: &bad, Website: &bad, Street: &bad,
		PostalCode: &bad, City: &bad, CountryCode: &bad, BusinessType: &bad, Source: &bad, OwnerUserID: new(string),
		CollaboratorUserIDs: make([]string, 100_000), Force: &yes, OverrideReason: &bad}
	s := &Service{territories: testTerritories, now: func() time.Time { return time.Date(2025, 9, 26, 20, 0, 0, 0, time.UTC) }}
	_, err := s.newLead(auth.Principal{UserID: "anna", Roles: []auth.Role{auth.RoleSales}, Territories: []string{"DE"}}, in)
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	require.GreaterOrEqual(t, len(ve.Fields), 14)
	require.LessOrEqual(t, len(ve.Fields), 20)
}
