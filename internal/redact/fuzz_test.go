package redact_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/redact"
)

// emailLike is deliberately independent of the package's own scanner: a
// conventional address pattern whose local part also admits '*', so that a
// masked address matches with local part "***". Every match in the output of
// String must have exactly that local part.
var emailLike = regexp.MustCompile(`([A-Za-z0-9._%+*-]+)@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}`)

func FuzzString(f *testing.F) {
	for _, tc := range stringCases {
		f.Add(tc.in)
	}
	for _, s := range []string{
		"a@b.cx@y.de",
		"x%40y%40z.de",
		"0%400.A%400.A",
		"%40@0.AA",
		"0000000:0@0.A",
		"00000 00:0000000",
		"'.anna@x.de",
		"a@x.1234567.de@y.de",
		"0301234567@x.de",
		"+49 (0) 30 1234567-89 2025-09-26 20:00:00.123",
		"(0301234567",
		"192.168.1.10 0301234567",
		"\xc3anna@example.com\xa4",
		strings.Repeat("1 ", 40),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := redact.String(s)
		require.Equal(t, out, redact.String(out), "String must be idempotent for %q", s)
		// "%40" is an encoded '@': check URL-encoded addresses too.
		for _, m := range emailLike.FindAllStringSubmatch(strings.ReplaceAll(out, "%40", "@"), -1) {
			require.Equal(t, "***", m[1], "unmasked e-mail %q in String(%q) = %q", m[0], s, out)
		}
		if !strings.ContainsAny(s, "@%0123456789") {
			require.Equal(t, s, out, "strings without '@' or digits are never changed")
		}
	})
}
