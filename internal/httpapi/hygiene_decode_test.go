package httpapi

import (
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/lead"
)

func decodeBody(body string, dst any) error {
	req := httptest.NewRequest("POST", "/api/leads", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return decode(httptest.NewRecorder(), req, dst)
}

// TestDecodeHygiene: the refusals of decode, each with its status and the
// field it names.
func TestDecodeHygiene(t *testing.T) {
	t.Parallel()
	cases := []struct {
		body   string
		status int
		field  string
		msg    string
	}{
		{`{"companyName":"A","COMPANYNAME":"B"}`, 422, "COMPANYNAME", "is not a known field (names are case-sensitive: companyName)"},
		{`{"companyName":"A","companyName":"B"}`, 422, "companyName", "appears more than once"},
		{`{"company\u004eame":"A","companyName":"B"}`, 422, "companyName", "appears more than once"},
		{`{"companyName":"A","tenantId":1}`, 422, "tenantId", "is not a known field"},
		{`{"companyName":{"a":1,"a":2}}`, 422, "companyName.a", "appears more than once"},
		{`{"collaboratorUserIds":[{"x":1},{"y":1,"y":2}]}`, 422, "collaboratorUserIds.y", "appears more than once"},
		{`{"companyName":1}`, 422, "companyName", "must be of type string"},
		{`{"companyName":"` + "\xff" + `"}`, 400, "body", "the body is not valid UTF-8 text"},
		{`{"companyName":"\udfff"}`, 400, "body", "the body is not valid UTF-8 text"},
		{`{"companyName":"\ud800x"}`, 400, "body", "the body is not valid UTF-8 text"},
		{`{"companyName":"\ud800\u0041"}`, 400, "body", "the body is not valid UTF-8 text"},
		{`{"companyName":"A"}{}`, 400, "body", "the body must hold exactly one JSON object"},
		{`{"companyName":"A",}`, 400, "body", "the body is not valid JSON"},
		{strings.Repeat("[", 10001) + strings.Repeat("]", 10001), 400, "body", "the body is not valid JSON"},
		{`[]`, 422, "body", "must be of type object"},
	}
	for _, c := range cases {
		err := decodeBody(c.body, &lead.CreateInput{})
		require.Error(t, err, c.body)
		p := err.(*Problem)
		require.Equal(t, c.status, p.Status, c.body)
		require.Contains(t, p.Errors, FieldError{c.field, c.msg}, c.body)
	}
	for _, ok := range []string{`{"companyName":"Caf\u00e9 \ud83c\udf74"}`, `{"companyName":"\\ud800"}`, `null`,
		` {"companyName" : "A" , "city" : null } `, `{"companyName":"A","collaboratorUserIds":["b","b"]}`} {
		require.NoError(t, decodeBody(ok, &lead.CreateInput{}), ok)
	}
}

// TestDecodeErrorsBounded: a body full of bad keys names at most 20, each
// at most about 200 bytes long.
func TestDecodeErrorsBounded(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(`{"companyName":"A"`)
	for i := range 100 {
		b.WriteString(`,"` + strings.Repeat("k", 5000) + string(rune('a'+i%26)) + strings.Repeat("x", i) + `":1`)
	}
	b.WriteString("}")
	p := decodeBody(b.String(), &lead.CreateInput{}).(*Problem)
	require.Len(t, p.Errors, maxFieldErrors)
	for _, f := range p.Errors {
		require.LessOrEqual(t, len(f.Field), 210)
	}
}

// TestDecodeDeepNestingIsLinear: dotted paths were once built for every
// level, which cost the square of the depth (1.7 s and 100 MB at 9,000
// levels); paths are now built only for a refusal.
// Not parallel: it measures the allocations of one decode.
func TestDecodeDeepNestingIsLinear(t *testing.T) {
	body := strings.Repeat(`{"companyName":`, 9999) + "1" + strings.Repeat("}", 9999)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := decodeBody(body, &lead.CreateInput{})
	runtime.ReadMemStats(&after)
	require.Equal(t, []FieldError{{"companyName", "must be of type string"}}, err.(*Problem).Errors)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(20<<20), "allocated bytes")
}
