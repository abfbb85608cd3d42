package api_test

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/freshplan/leads/api"
	"github.com/freshplan/leads/internal/httpapi"
	"github.com/freshplan/leads/internal/lead"
	"github.com/freshplan/leads/internal/territory"
)

func load(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("load api/openapi.yaml: %v", err)
	}
	return doc
}

func TestOpenAPIIsValid(t *testing.T) {
	doc := load(t)
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("api/openapi.yaml is not valid: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Info.Title != "FreshPlan Leads API" || doc.Info.Version != "0.1.0" {
		t.Errorf("header: openapi %q, title %q, version %q", doc.OpenAPI, doc.Info.Title, doc.Info.Version)
	}
}

// TestOpenAPICoversEveryRoute compares the documented operations with the
// routes registered in internal/httpapi/server.go, both ways.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc := load(t)
	src, err := os.ReadFile("../internal/httpapi/server.go")
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, m := range regexp.MustCompile(`"(GET|POST|PUT|PATCH|DELETE) (/[^"]*)"`).FindAllStringSubmatch(string(src), -1) {
		routes = append(routes, m[1]+" "+m[2])
	}
	if len(routes) == 0 {
		t.Fatal("found no routes in server.go")
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(routes)
	slices.Sort(documented)
	if !slices.Equal(routes, documented) {
		t.Errorf("routes differ\nserver.go:    %v\nopenapi.yaml: %v", routes, documented)
	}
}

// jsonNames returns the JSON property names of a struct type and which of
// them are always emitted (neither omitempty nor omitzero).
func jsonNames(typ reflect.Type) (all, always []string) {
	for f := range typ.Fields() {
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		all = append(all, name)
		if !slices.ContainsFunc(strings.Split(opts, ","), func(o string) bool { return o == "omitempty" || o == "omitzero" }) {
			always = append(always, name)
		}
	}
	slices.Sort(all)
	slices.Sort(always)
	return all, always
}

// TestSchemasMatchGoTypes checks that every schema has exactly the
// properties of the Go type it describes, and that response schemas require
// exactly the fields the Go code always emits.
func TestSchemasMatchGoTypes(t *testing.T) {
	doc := load(t)
	cases := []struct {
		schema   string
		typ      any
		response bool
	}{
		{"Lead", lead.Lead{}, true},
		{"Activity", lead.Activity{}, true},
		{"Territory", territory.Territory{}, true},
		{"FieldError", httpapi.FieldError{}, true},
		{"Problem", httpapi.Problem{}, true},
		{"CreateLead", lead.CreateInput{}, false},
		{"UpdateLead", lead.UpdateInput{}, false},
		{"CreateActivity", lead.ActivityInput{}, false},
	}
	for _, c := range cases {
		t.Run(c.schema, func(t *testing.T) {
			ref := doc.Components.Schemas[c.schema]
			if ref == nil || ref.Value == nil {
				t.Fatalf("no schema %s", c.schema)
			}
			s := ref.Value
			all, always := jsonNames(reflect.TypeOf(c.typ))
			var props []string
			for name := range s.Properties {
				props = append(props, name)
			}
			slices.Sort(props)
			if !slices.Equal(all, props) {
				t.Errorf("properties differ\nGo:      %v\nOpenAPI: %v", all, props)
			}
			if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
				t.Errorf("%s must set additionalProperties: false", c.schema)
			}
			if c.response {
				required := slices.Clone(s.Required)
				slices.Sort(required)
				if !slices.Equal(always, required) {
					t.Errorf("required differs\nGo (always emitted): %v\nOpenAPI:             %v", always, required)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestGoValuesMatchSchemas encodes values of the Go types as the handlers do
// and validates them against their schemas, with the legacy validator that
// openapi3filter uses and with the JSON Schema 2020-12 one.
func TestGoValuesMatchSchemas(t *testing.T) {
	doc := load(t)
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	id := uuid.Must(uuid.NewV7())
	bare := lead.Lead{ID: id, Version: 1, CompanyName: "FreshFoodz GmbH", CountryCode: "DE", Territory: "DE",
		Source: "WEB_FORMULAR", Status: lead.StatusRegistered, OwnerUserID: "u1", CollaboratorUserIDs: []string{},
		RegisteredAt: now, CreatedAt: now, CreatedBy: "u1", UpdatedAt: now, UpdatedBy: "u1"}
	s := ptr("x")
	full := bare
	full.ContactPerson, full.Email, full.Phone, full.Website, full.Street, full.PostalCode, full.City = s, s, s, s, s, s, s
	full.BusinessType, full.StopReason = ptr("HOTEL"), s
	full.EmailNormalized, full.CompanyNameNormalized, full.PhoneE164, full.WebsiteDomain = s, s, s, s
	full.LastActivityAt, full.LastFollowUpAt, full.T3FollowUpSentAt, full.T7FollowUpSentAt = &now, &now, &now, &now
	full.ReminderSentAt, full.GracePeriodStartAt, full.ExpiredAt, full.ClockStoppedAt = &now, &now, &now, &now
	full.CollaboratorUserIDs = []string{"u2"}
	activity := lead.Activity{ID: id, LeadID: id, Type: "CALL", OccurredAt: now, UserID: "u1", Meaningful: true}
	withOutcome := activity
	withOutcome.Outcome = s
	page := func(data any) map[string]any {
		return map[string]any{"data": data, "page": 0, "size": 20, "total": 1, "totalPages": 1}
	}
	leadPage := func(p map[string]any) map[string]any {
		p["totalExact"], p["next"] = true, "eyJzIjoiY3JlYXRlZEF0In0"
		return p
	}
	valid := []struct {
		schema string
		value  any
	}{
		{"Lead", bare},
		{"Lead", full},
		{"Activity", activity},
		{"Activity", withOutcome},
		{"LeadPage", leadPage(page([]lead.Lead{bare}))},
		{"LeadPage", leadPage(page([]lead.Lead{}))},
		{"ActivityPage", page([]lead.Activity{activity})},
		{"TerritoryList", map[string]any{"data": []territory.Territory{{Code: "CH", Name: "Schweiz", Currency: "CHF",
			VATRate: 8.1, Locale: "de-CH", TimeZone: "Europe/Zurich", CountryCodes: []string{"CH"}}}}},
		{"Problem", httpapi.Problem{Type: "/problems/not-found", Title: "Not found", Status: 404, Instance: "/api/leads/x"}},
		{"Problem", httpapi.Problem{Type: "/problems/invalid-transition", Title: "t", Status: 409, Detail: "d",
			Instance: "/api/leads/x", Errors: []httpapi.FieldError{{Field: "status", Message: "m"}},
			AllowedTransitions: []lead.Status{lead.StatusActive}, CurrentStatus: lead.StatusRegistered}},
		{"Health", map[string]any{"status": "UP", "checks": []any{}}},
		{"Health", map[string]any{"status": "DOWN", "checks": []any{
			map[string]any{"name": "database", "status": "DOWN", "data": map[string]any{"error": "e"}}}}},
		{"CreateLead", map[string]any{"companyName": "A", "email": nil, "businessType": nil, "collaboratorUserIds": []string{"u2"}}},
		{"UpdateLead", map[string]any{"city": nil, "status": "ACTIVE", "stopClock": true, "stopReason": "holiday"}},
		{"CreateActivity", map[string]any{"type": "NOTE", "occurredAt": now.Format(time.RFC3339Nano), "outcome": nil}},
	}
	invalid := []struct {
		schema string
		value  any
	}{
		{"Lead", map[string]any{"id": id}},
		{"Activity", map[string]any{"id": id, "leadId": id, "type": "CALL", "occurredAt": now, "description": "",
			"outcome": nil, "userId": "u", "meaningful": true, "extra": 1}},
		{"CreateLead", map[string]any{"companyName": "A", "unknown": 1}},
		{"CreateLead", map[string]any{"email": "a@b.c"}},
		{"UpdateLead", map[string]any{"status": "NOPE"}},
		{"CreateActivity", map[string]any{"type": "STATUS_CHANGE"}},
		{"Problem", map[string]any{"type": "t", "title": "t", "status": 400, "foo": 1}},
	}
	modes := map[string][]openapi3.SchemaValidationOption{
		"legacy":  nil,
		"2020-12": {openapi3.EnableJSONSchema2020()},
	}
	for mode, opts := range modes {
		for _, c := range valid {
			if err := doc.ValidateSchemaJSON(doc.Components.Schemas[c.schema].Value, roundTrip(t, c.value), opts...); err != nil {
				t.Errorf("%s: valid %s rejected: %v", mode, c.schema, err)
			}
		}
		for _, c := range invalid {
			if err := doc.ValidateSchemaJSON(doc.Components.Schemas[c.schema].Value, roundTrip(t, c.value), opts...); err == nil {
				t.Errorf("%s: invalid %s accepted: %v", mode, c.schema, c.value)
			}
		}
	}
}

func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
