package httpapi_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/lead"
)

type dupProblem struct {
	Type           string           `json:"type"`
	Status         int              `json:"status"`
	Severity       string           `json:"severity"`
	DuplicateField string           `json:"duplicateField"`
	ExistingStatus string           `json:"existingStatus"`
	ExistingLeadID string           `json:"existingLeadId"`
	Candidates     []lead.Candidate `json:"candidates"`
}

func TestHardDuplicatesPerTerritory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	ben := e.token("ben", auth.RoleSales, "DE")
	carla := e.token("carla", auth.RoleSales, "CH")
	first := e.createLead(anna, map[string]any{"companyName": "Café Müller AG", "email": "Info@Cafe-Mueller.example", "phone": "030 123456"})
	require.Equal(t, "+4930123456", *first.PhoneE164)
	require.Equal(t, "cafe muller", *first.CompanyNameNormalized)
	before := e.snapshot()

	var p dupProblem
	// The owner learns which lead it is.
	res := e.do("POST", "/api/leads", anna, map[string]any{"companyName": "Other Name", "email": "  INFO@cafe-mueller.example "})
	require.Equal(t, http.StatusConflict, res.Status)
	res.json(t, &p)
	require.Equal(t, dupProblem{Type: "/problems/duplicate-lead", Status: 409, Severity: "ERROR", DuplicateField: "email",
		ExistingStatus: "REGISTERED", ExistingLeadID: first.ID.String()}, p)

	// Another rep of the territory learns that the customer is protected, not by whom.
	for _, phone := range []string{"+49 30 123456", "0049 (0)30 123456", "030/123456", "+49-30-123-456"} {
		res = e.do("POST", "/api/leads", ben, map[string]any{"companyName": "Someone Else", "phone": phone})
		require.Equal(t, http.StatusConflict, res.Status, phone)
		p = dupProblem{}
		res.json(t, &p)
		require.Equal(t, "phone", p.DuplicateField, phone)
		require.Equal(t, "REGISTERED", p.ExistingStatus)
		require.Empty(t, p.ExistingLeadID, "a lead ben may not see is not identified")
	}
	require.Equal(t, before, e.snapshot(), "refused duplicates change nothing")

	// The same customer in another territory is a lead of its own.
	res = e.do("POST", "/api/leads", carla, map[string]any{"companyName": "Café Müller AG", "email": "info@cafe-mueller.example",
		"phone": "+49 30 123456", "countryCode": "CH"})
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))

	// A change into a duplicate is refused too.
	other := e.createLead(anna, map[string]any{"companyName": "Zweites Haus", "email": "zwei@example.com"})
	res = e.do("PATCH", "/api/leads/"+other.ID.String(), anna, map[string]any{"email": "info@CAFE-mueller.example"}, "If-Match", `"1"`)
	require.Equal(t, http.StatusConflict, res.Status)
	require.Equal(t, "/problems/duplicate-lead", res.problem(t).Type)

	// A deleted lead no longer blocks its e-mail.
	mia := e.token("mia", auth.RoleManager, "DE")
	require.Equal(t, http.StatusNoContent, e.do("DELETE", "/api/leads/"+first.ID.String(), mia, nil, "If-Match", `"1"`).Status)
	res = e.do("PATCH", "/api/leads/"+other.ID.String(), anna, map[string]any{"email": "info@CAFE-mueller.example"}, "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))

	require.Equal(t, 2.0, testutil.ToFloat64(e.metrics.LeadsConflicts.WithLabelValues("email")))
	require.Equal(t, 4.0, testutil.ToFloat64(e.metrics.LeadsConflicts.WithLabelValues("phone")))
}

func TestSoftDuplicateWarningAndForcedCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	first := e.createLead(anna, map[string]any{"companyName": "FreshFoodz GmbH", "city": "Köln"})
	body := map[string]any{"companyName": "  Freshfoodz G.m.b.H. ", "city": "köln"}
	before := e.snapshot()
	res := e.do("POST", "/api/leads", anna, body)
	require.Equal(t, http.StatusConflict, res.Status)
	var p dupProblem
	res.json(t, &p)
	require.Equal(t, "WARNING", p.Severity)
	require.Equal(t, "/problems/possible-duplicate", p.Type)
	require.Len(t, p.Candidates, 1)
	require.Equal(t, first.ID, p.Candidates[0].ID)
	require.Equal(t, "same_name_city", p.Candidates[0].Reason)
	require.Equal(t, before, e.snapshot())

	body["force"] = true
	res = e.do("POST", "/api/leads", anna, body)
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	require.Equal(t, []string{"overrideReason"}, res.problem(t).fields())
	body["overrideReason"] = "too short"
	require.Equal(t, http.StatusUnprocessableEntity, e.do("POST", "/api/leads", anna, body).Status)

	body["overrideReason"] = "second branch of the same owner, confirmed by phone"
	res = e.do("POST", "/api/leads", anna, body)
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	var forced lead.Lead
	res.json(t, &forced)
	require.Equal(t, "second branch of the same owner, confirmed by phone", *forced.DuplicateOverrideReason)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM audit_log WHERE lead_id = $1 AND action = 'lead.force_created'
		AND details->>'reason' = 'second branch of the same owner, confirmed by phone' AND details->'candidates' ? $2`, forced.ID, first.ID.String()))

	// A similar name in the same city is found by the lookup; in another
	// city it is not (SPEC §3: a fuzzy name needs a second, exact field).
	var found struct {
		Data []lead.Candidate `json:"data"`
	}
	res = e.do("GET", "/api/leads/duplicates?companyName=FreshFoodz%20AG&city=K%C3%B6ln", anna, nil)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	res.json(t, &found)
	require.Len(t, found.Data, 2)
	e.do("GET", "/api/leads/duplicates?companyName=FreshFoodz%20AG&city=Bonn", anna, nil).json(t, &found)
	require.Empty(t, found.Data)
	ben := e.token("ben", auth.RoleSales, "DE")
	e.do("GET", "/api/leads/duplicates?companyName=FreshFoodz", ben, nil).json(t, &found)
	require.Empty(t, found.Data, "the lookup shows only leads the caller may see")
	res = e.do("GET", "/api/leads/duplicates", anna, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	res = e.do("GET", "/api/leads/duplicates?companyName=x&countryCode=FR", anna, nil)
	require.Equal(t, []string{"countryCode"}, res.problem(t).fields())
}

// TestSoftDuplicateNeedsASecondField walks the branches of SPEC §3: a
// similar name warns only in the same city or postal code, with the same
// website domain, or — when the new lead gives neither city nor postal
// code — anywhere in the territory.
func TestSoftDuplicateNeedsASecondField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	koeln := e.createLead(anna, map[string]any{"companyName": "Gasthaus zur Linde", "city": "Köln", "postalCode": "50667",
		"website": "https://www.linde-koeln.de"})

	// The same name in another city (and postal code, without a website) is another customer.
	bonn := e.createLead(anna, map[string]any{"companyName": "Gasthaus zur Linde GmbH", "city": "Bonn", "postalCode": "53111"})
	// A name below the threshold (similarity 0.68) in the same city is no warning either.
	e.createLead(anna, map[string]any{"companyName": "Gasthof zur Linde", "city": "Köln"})

	warned := func(body map[string]any) []lead.Candidate {
		t.Helper()
		before := e.snapshot()
		res := e.do("POST", "/api/leads", anna, body)
		require.Equal(t, http.StatusConflict, res.Status, string(res.Body))
		var p dupProblem
		res.json(t, &p)
		require.Equal(t, "WARNING", p.Severity)
		require.Equal(t, before, e.snapshot())
		return p.Candidates
	}
	ids := func(cs []lead.Candidate) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			require.Equal(t, "similar_name", c.Reason)
			require.GreaterOrEqual(t, c.Similarity, 0.7)
			out[i] = c.ID.String()
		}
		return out
	}

	// A similar name (0.86) with the same postal code, in a city spelled otherwise.
	got := warned(map[string]any{"companyName": "Gasthaus zur Linden", "city": "Köln-Altstadt", "postalCode": "50667"})
	require.Equal(t, []string{koeln.ID.String()}, ids(got))
	// A similar name (0.79) in a third city with the same website domain.
	got = warned(map[string]any{"companyName": "Gasthaus Linde", "city": "Brühl", "postalCode": "50321",
		"website": "http://linde-koeln.de/bruehl"})
	require.Equal(t, []string{koeln.ID.String()}, ids(got))
	// Neither city nor postal code: a similar name anywhere in the territory.
	got = warned(map[string]any{"companyName": "Gasthaus zur Linden"})
	require.ElementsMatch(t, []string{koeln.ID.String(), bonn.ID.String()}, ids(got))
	// A city alone narrows it to that city.
	got = warned(map[string]any{"companyName": "Gasthaus zur Linden", "city": "bonn"})
	require.Equal(t, []string{bonn.ID.String()}, ids(got))

	// The lookup applies the same rule to the same fields.
	lookup := func(query string) []string {
		t.Helper()
		var found struct {
			Data []lead.Candidate `json:"data"`
		}
		res := e.do("GET", "/api/leads/duplicates?companyName=Gasthaus%20zur%20Linden&"+query, anna, nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		res.json(t, &found)
		return ids(found.Data)
	}
	require.Equal(t, []string{koeln.ID.String()}, lookup("city=K%C3%B6ln-Altstadt&postalCode=50667"))
	require.Equal(t, []string{koeln.ID.String()}, lookup("city=Br%C3%BChl&website=linde-koeln.de"))
	require.Empty(t, lookup("city=Br%C3%BChl&postalCode=50321"))
}

func TestConcurrentCreatesWithOneEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tokens := []string{e.token("anna", auth.RoleSales, "DE"), e.token("ben", auth.RoleSales, "DE")}
	var wg sync.WaitGroup
	statuses := make([]int, 20)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := e.do("POST", "/api/leads", tokens[i%2], map[string]any{
				"companyName": []string{"Alpha", "Bravo", "Charlie", "Delta", "Echo"}[i%5] + " Gastro " + string(rune('A'+i)),
				"email":       "race@example.com"})
			statuses[i] = res.Status
		}()
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		require.Contains(t, []int{http.StatusCreated, http.StatusConflict}, s, "never a 500")
		if s == http.StatusCreated {
			created++
		}
	}
	require.Equal(t, 1, created)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM leads`))
}

func TestInvalidPhoneIsKeptAndCounted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anna := e.token("anna", auth.RoleSales, "DE")
	l := e.createLead(anna, map[string]any{"companyName": "Imbiss Nord", "phone": "123"})
	require.Equal(t, "123", *l.Phone)
	require.Nil(t, l.PhoneE164)
	require.Equal(t, 1.0, testutil.ToFloat64(e.metrics.NormalizationErrors.WithLabelValues("phone")))
}
