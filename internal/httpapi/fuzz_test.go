package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/freshplan/leads/internal/lead"
)

// FuzzDecode feeds arbitrary bodies to the request decoder: it never
// panics, every refusal is a 4xx problem that names a field (at most 20),
// and what it accepts is valid UTF-8 whose top-level keys are exact field
// names, each given once.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{`{"companyName":"x"}`, `{"companyName":1}`, `{"x":1}`, `[]`, `{`, `{}{}`, `null`, `"s"`,
		`{"status":null,"stopClock":"yes"}`, `{"addCollaborators":[1]}`,
		`{"companyName":"A","COMPANYNAME":"B"}`, `{"companyName":"A","companyName":"B"}`, `{"city":{"a":1,"a":2}}`,
		"{\"companyName\":\"\xff\"}", `{"companyName":"\ud800"}`, `{"companyName":"\ud83c\udf74"}`, `{"companyName":"\\ud800"}`,
		`{"type":"CALL","occurredAt":"0001-01-01T00:00:00Z"}`, strings.Repeat("[", 20000), `{"a":1e400}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, dst := range []any{&lead.CreateInput{}, &lead.UpdateInput{}, &lead.ActivityInput{}} {
			req := httptest.NewRequest("POST", "/api/leads", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			err := decode(httptest.NewRecorder(), req, dst)
			if err == nil {
				checkAccepted(t, body, dst)
				continue
			}
			p := err.(*Problem)
			if p.Status < 400 || p.Status > 499 {
				t.Fatalf("status %d for %q", p.Status, body)
			}
			if p.Status != http.StatusRequestEntityTooLarge && (len(p.Errors) == 0 || len(p.Errors) > maxFieldErrors) {
				t.Fatalf("%d fields named for %q: %+v", len(p.Errors), body, p)
			}
		}
	})
}

// checkAccepted fails when decode accepted a body it should have refused.
func checkAccepted(t *testing.T, body []byte, dst any) {
	t.Helper()
	if !utf8.Valid(body) {
		t.Fatalf("accepted invalid UTF-8 %q", body)
	}
	names := exactNames(t, dst)
	keys := topLevelKeys(body)
	for i, k := range keys {
		if !slices.Contains(names, k) || slices.Contains(keys[:i], k) {
			t.Fatalf("accepted key %q of %q into %T", k, body, dst)
		}
	}
}

// exactNames are the JSON names of a request type, as encoding/json writes
// them: none of the request types uses omitempty.
func exactNames(t *testing.T, dst any) []string {
	t.Helper()
	b, err := json.Marshal(dst)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// topLevelKeys lists the keys of a top-level JSON object in order, with
// repeats; nil when body is not an object.
func topLevelKeys(body []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var keys []string
	depth, wantKey := 0, false
	for {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		switch {
		case depth == 1 && wantKey && tok != json.Delim('}'):
			keys, wantKey = append(keys, tok.(string)), false
			continue
		case tok == json.Delim('{'), tok == json.Delim('['):
			depth++
			wantKey = depth == 1 && tok == json.Delim('{')
			continue
		case tok == json.Delim('}'), tok == json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return keys
		}
		wantKey = depth == 1
	}
}

// FuzzQuery feeds arbitrary query strings to the query-parameter parser and
// the list query: never a panic; a refusal is a 422 naming at most 20
// parameters; what is accepted is clean text PostgreSQL can take.
func FuzzQuery(f *testing.F) {
	for _, seed := range []string{"", "q=bistro&sort=city,asc&page=1&size=5", "q=%00", "owner=%FF", "status=active",
		"territory=de", "sort=updatedAt", "sort=city,sideways", "size=101", "page=-1", "q=%1B%5B2J", "%FF=1",
		"after=1~2~3,4", "after=%00", "q=a&q=%00", "companyName=%E2%80%8B", "sort=%20city%20,%20desc"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		req := httptest.NewRequest("GET", "/api/leads", nil)
		req.URL.RawQuery = raw
		checkParams(t, req)
		q, err := listQuery(req)
		if err != nil {
			p := err.(*Problem)
			if p.Status != http.StatusUnprocessableEntity || len(p.Errors) == 0 || len(p.Errors) > maxFieldErrors {
				t.Fatalf("%q: %+v", raw, p)
			}
			return
		}
		for _, s := range []*string{q.Q, q.Owner, q.Territory, (*string)(q.Status), &q.Sort} {
			if s != nil && !cleanText(*s) {
				t.Fatalf("%q: accepted %q", raw, *s)
			}
		}
		if !slices.Contains(lead.SortFields(), q.Sort) || q.Size < 1 || q.Size > 100 || q.Page < 0 {
			t.Fatalf("%q: accepted %+v", raw, q)
		}
	})
}

// checkParams reads every parameter of req as a handler may, through text
// or straight from the screened values: it is clean text, or absent and
// named in the problem.
func checkParams(t *testing.T, req *http.Request) {
	t.Helper()
	p := queryParams(req)
	for name, values := range req.URL.Query() {
		if !cleanText(name) {
			continue // no handler reads such a name
		}
		if s := p.text(name, 1000); s != nil && !cleanText(*s) {
			t.Fatalf("%q: text %q", name, *s)
		}
		if s := p.q.Get(name); !cleanText(s) {
			t.Fatalf("%q: raw %q", name, s)
		}
		bad := slices.ContainsFunc(values, func(v string) bool { return !cleanText(v) })
		named := slices.ContainsFunc(p.errors, func(e FieldError) bool { return e.Field == name })
		if bad && !named && len(p.errors) < maxFieldErrors {
			t.Fatalf("%q: bad value not named in %+v", name, p.errors)
		}
	}
	if len(p.errors) > maxFieldErrors {
		t.Fatalf("%d errors", len(p.errors))
	}
}
