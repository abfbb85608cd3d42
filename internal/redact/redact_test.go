package redact_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/redact"
)

var stringCases = []struct {
	name, in, want string
}{
	// Nothing to mask.
	{"empty", "", ""},
	{"plain", "lead created", "lead created"},
	{"short numbers", "HTTP 404 after 3 retries on port 8080, count=123456", "HTTP 404 after 3 retries on port 8080, count=123456"},
	{"listen address", "listening on :8080 and 127.0.0.1:5432", "listening on :8080 and 127.0.0.1:5432"},
	{"versions", "go1.26.8 v1.12.1 1.26.8", "go1.26.8 v1.12.1 1.26.8"},
	{"uuid v7", "0190f3c2-7d1e-7a3b-9c4d-5e6f7a8b9c0d", "0190f3c2-7d1e-7a3b-9c4d-5e6f7a8b9c0d"},
	{"uuid in text", "lead 0190f3c2-7d1e-7a3b-9c4d-5e6f7a8b9c0d not found", "lead 0190f3c2-7d1e-7a3b-9c4d-5e6f7a8b9c0d not found"},
	{"uuid with letters at the ends only", "abcdefab-1234-5678-9012-345678901234", "abcdefab-1234-5678-9012-345678901234"},
	{"uuid all digits", "12345678-1234-1234-1234-123456789012", "12345678-1234-1234-1234-123456789012"},
	{"rfc3339 nano", "2025-09-26T20:00:00.000000Z", "2025-09-26T20:00:00.000000Z"},
	{"rfc3339 offset", "at=2025-09-26T20:00:00.123456789+02:00", "at=2025-09-26T20:00:00.123456789+02:00"},
	{"date time with space", "2025-09-26 20:00:00", "2025-09-26 20:00:00"},
	{"date time fraction", "2025-09-26 20:00:00.123456", "2025-09-26 20:00:00.123456"},
	{"time.Time.String", "2025-09-26 20:00:00.123456789 +0200 CEST m=+0.000012345", "2025-09-26 20:00:00.123456789 +0200 CEST m=+0.000012345"},
	{"german date time", "am 26.09.2025 20:00 Uhr", "am 26.09.2025 20:00 Uhr"},
	{"us date time", "09/26/2025 8:00:00 PM", "09/26/2025 8:00:00 PM"},
	{"dates range", "2025-09-01 2025-09-30", "2025-09-01 2025-09-30"},
	{"time with micros", "12:34:56.789012", "12:34:56.789012"},
	{"durations", "took 1.234567s, 1h2m3.456789s, 1234567ns, 12.3456789ms", "took 1.234567s, 1h2m3.456789s, 1234567ns, 12.3456789ms"},
	{"decimal", "score=0.0012345 ratio 1234567.89", "score=0.0012345 ratio 1234567.89"},
	{"ipv4", "client 192.168.100.200 via 10.0.0.1", "client 192.168.100.200 via 10.0.0.1"},
	{"ipv4 cidr", "allow 192.168.100.0/24", "allow 192.168.100.0/24"},
	{"identifier", "lead-20250926001 and LEAD_20250926001", "lead-20250926001 and LEAD_20250926001"},
	{"digits glued to letters", "ID0301234567 ref 1234567abc", "ID0301234567 ref 1234567abc"},
	{"hash", "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
	{"already masked", "***@example.com ***67", "***@example.com ***67"},
	{"no domain dot", "user@localhost root@db", "user@localhost root@db"},
	{"lone at", "@example.com and a @ b.com", "@example.com and a @ b.com"},

	// E-mail addresses.
	{"email", "anna.mueller@example.com", "***@example.com"},
	{"email in text", "contact: anna.mueller@example.com.", "contact: ***@example.com."},
	{"email plus tag", "anna+newsletter@example.com", "***@example.com"},
	{"email subdomain upper case", "Anna.Mueller@Mail.Example.CO.UK", "***@Mail.Example.CO.UK"},
	{"email all caps", "ANNA@EXAMPLE.COM", "***@EXAMPLE.COM"},
	{"email short", "a@b.de", "***@b.de"},
	{"email special chars", "x_y-z%1!#$^~'o@sub-domain.example.org", "***@sub-domain.example.org"},
	{"email angle brackets", "Anna Müller <anna@example.com>", "Anna Müller <***@example.com>"},
	{"email quoted", `"anna@example.com" 'bob@example.org'`, `"***@example.com" '***@example.org'`},
	{"email unicode", "jürgen.groß@beispiel.de and ana@müller.de", "***@beispiel.de and ***@müller.de"},
	{"email list", "to=anna@example.com,bob.b@example.org;c@example.net", "to=***@example.com,***@example.org;***@example.net"},
	{"email mailto", "mailto:anna@example.com?subject=hi", "mailto:***@example.com?subject=hi"},
	{"email digits in local part", "anna.0301234567@example.com", "***@example.com"},
	{"email url encoded", "GET /leads?email=anna.mueller%40example.com&page=2", "GET /leads?email=***%40example.com&page=2"},
	{"email in dsn", "postgres://leads:s3cret@db.internal:5432/leads", "postgres://leads:***@db.internal:5432/leads"},
	{"email json", `{"email":"anna@example.com","n":1}`, `{"email":"***@example.com","n":1}`},
	{"email twice", "anna@example.com anna@example.com", "***@example.com ***@example.com"},

	// Phone numbers.
	{"phone international", "+49 30 1234567", "***67"},
	{"phone slash", "030/123456", "***56"},
	{"phone swiss", "+41 44 668 18 00", "***00"},
	{"phone swiss dots", "044.668.18.00", "***00"},
	{"phone 00 prefix", "0049 30 1234567", "***67"},
	{"phone parens", "(030) 1234567", "***67"},
	{"phone trunk prefix", "Call +49 (0)30 123 456-78 now", "Call ***78 now"},
	{"phone us", "+1 (555) 123-4567", "***67"},
	{"phone dashes", "0171-1234567", "***67"},
	{"phone dots", "030.1234.5678", "***78"},
	{"phone tel uri", "tel:+4930123456789", "tel:***89"},
	{"phone url encoded", "phone=%2B4930123456", "phone=***56"},
	{"phone in sentence", "Tel.: 030 12345 67, mobil 0171 9876543.", "Tel.: ***67, mobil ***43."},
	{"phone in parens", "Anna (0301234567)", "Anna (***67)"},
	{"phone list", "0301234567,0401234568", "***67,***68"},
	{"phone seven digits", "1234567", "***67"},
	{"phone then date", "0301234567 2025-09-26", "***67 2025-09-26"},
	{"phone then timestamp", "0301234567 2025-09-26T20:00:00Z", "***67 2025-09-26T20:00:00Z"},
	{"time then phone", "12:30 0301234567", "12:30 ***67"},
	{"phone then time", "0301234567 20:15", "***67 20:15"},
	{"phones around colon", "0301234567:0401234567", "***67:***67"},
	{"phone one-digit last group", "+41 44 668 18 0", "***80"},
	{"phone json", `{"phone":"+49 30 1234567"}`, `{"phone":"***67"}`},

	// Trade-offs: 7+ digit numbers that are not recognisably something else
	// are indistinguishable from phone numbers and are masked.
	{"tradeoff bare id", "order 12345678", "order ***78"},
	{"tradeoff unix time", "ts 1727380800", "ts ***00"},
	{"tradeoff compact date", "20250926", "***26"},

	// Mixed.
	{"mixed", "Lead anna@example.com +49 30 1234567 created 2025-09-26T20:00:00Z (id 0190f3c2-7d1e-7a3b-9c4d-5e6f7a8b9c0d, status 201)",
		"Lead ***@example.com ***67 created 2025-09-26T20:00:00Z (id 0190f3c2-7d1e-7a3b-9c4d-5e6f7a8b9c0d, status 201)"},
	{"phone before email", "0301234567 anna@example.com", "***67 ***@example.com"},
}

func TestString(t *testing.T) {
	for _, tc := range stringCases {
		t.Run(tc.name, func(t *testing.T) {
			got := redact.String(tc.in)
			require.Equal(t, tc.want, got)
			require.Equal(t, got, redact.String(got), "String must be idempotent")
		})
	}
}

func TestEmail(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"anna.mueller@example.com", "***@example.com"},
		{"Anna+x@Sub.Example.COM", "***@Sub.Example.COM"},
		{"anna@localhost", "***@localhost"},
		{"a@b@example.com", "***@example.com"},
		{"not an address", "***"},
		{"", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			require.Equal(t, tc.want, redact.Email(tc.in))
		})
	}
}

func BenchmarkString(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"clean", "GET /api/leads/0190f3c2-7d1e-7a3b-9c4d-5e6f7a8b9c0d 200 in 1.234ms"},
		{"digits no pii", "2025-09-26 20:00:00.123456 request took 1.234567s"},
		{"pii", "lead anna.mueller@example.com phone +49 30 1234567 created"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = redact.String(bc.in)
			}
		})
	}
}
