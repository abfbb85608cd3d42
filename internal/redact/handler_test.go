package redact_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/redact"
)

// contact formats itself with its e-mail address.
type contact struct {
	Name  string
	Email string
}

func (c contact) String() string { return c.Name + " <" + c.Email + ">" }

// card shows personal data only through a pointer field, which "%+v" prints
// as an address but JSON prints as the value.
type card struct {
	ID    int
	Phone *string
}

// secretLead logs itself through LogValue.
type secretLead struct{ email, phone string }

func (l secretLead) LogValue() slog.Value {
	return slog.GroupValue(slog.String("email", l.email), slog.String("phone", l.phone))
}

type emailAddr string

// everything that must not show up in a log line.
var secrets = []string{
	"anna.mueller", "Anna.Mueller", "owner.person", "caller@", "deep.inside", "err.person",
	"stringer.person", "valuer@", "group.name", "bytes.person", "named.person",
	"30 1234567", "30 7654321", "030/9876543", "44 555 12 34", "0171 1234 567", "555 123 4567", "0171 1234567",
}

func requireNoPII(t *testing.T, out string) {
	t.Helper()
	for _, s := range secrets {
		require.NotContains(t, out, s)
	}
	for _, m := range emailLike.FindAllStringSubmatch(out, -1) {
		require.Equal(t, "***", m[1], "unmasked e-mail %q in %s", m[0], out)
	}
}

func TestHandlerJSON(t *testing.T) {
	var buf bytes.Buffer
	phone := "+41 44 555 12 34"
	logger := slog.New(redact.NewHandler(slog.NewJSONHandler(&buf, nil)))
	logger = logger.
		With(slog.String("owner", "owner.person@example.com"), slog.String("owner_phone", "+49 30 7654321")).
		WithGroup("request").
		With(slog.String("caller", "caller@example.com"), "id", "0190f3c2-7d1e-7a3b-9c4d-5e6f7a8b9c0d")

	logger.Info("new lead anna.mueller@example.com, phone +49 30 1234567",
		slog.String("email", "Anna.Mueller+crm@Example.com"),
		slog.Any("err", errors.New("duplicate key: err.person@example.com")),
		slog.Any("wrapped", fmt.Errorf("create lead: %w", errors.New("phone 030/9876543 invalid"))),
		slog.Any("contact", contact{Name: "Anna", Email: "stringer.person@example.com"}),
		slog.Any("card", card{ID: 7, Phone: &phone}),
		slog.Group("lead",
			slog.String("phone", "0171 1234 567"),
			slog.Group("inner", slog.String("email", "deep.inside@example.com"), slog.Int("n", 3)),
		),
		slog.Any("lv", secretLead{email: "valuer@example.com", phone: "+1 555 123 4567"}),
		slog.Any("raw", []byte("bytes.person@example.com")),
		slog.Any("named", emailAddr("named.person@example.com")),
		slog.Int("status", 201),
		slog.Int64("big", 12345678901),
		slog.Duration("took", 1234567*time.Nanosecond),
		slog.String("at", "2025-09-26T20:00:00.000000Z"),
		slog.String("local", "2025-09-26 20:00:00"),
	)
	logger.WithGroup("group.name@example.com").Info("grouped", "k", "v")

	out := buf.String()
	requireNoPII(t, out)
	require.Contains(t, out, "***@example.com")
	require.Contains(t, out, "***67")

	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &m))
	require.Equal(t, "new lead ***@example.com, phone ***67", m["msg"])
	require.Equal(t, "***@example.com", m["owner"])
	require.Equal(t, "***21", m["owner_phone"])
	req := m["request"].(map[string]any)
	require.Equal(t, "***@example.com", req["caller"])
	require.Equal(t, "0190f3c2-7d1e-7a3b-9c4d-5e6f7a8b9c0d", req["id"])
	require.Equal(t, "***@Example.com", req["email"])
	require.Equal(t, "duplicate key: ***@example.com", req["err"])
	require.Equal(t, "create lead: phone ***43 invalid", req["wrapped"])
	require.Equal(t, "Anna <***@example.com>", req["contact"])
	require.Equal(t, `{"ID":7,"Phone":"***34"}`, req["card"])
	require.Equal(t, map[string]any{"phone": "***67", "inner": map[string]any{"email": "***@example.com", "n": float64(3)}}, req["lead"])
	require.Equal(t, map[string]any{"email": "***@example.com", "phone": "***67"}, req["lv"])
	require.Equal(t, "***@example.com", req["raw"])
	require.Equal(t, "***@example.com", req["named"])
	require.Equal(t, float64(201), req["status"])
	require.Equal(t, float64(12345678901), req["big"], "numeric attributes are not masked")
	require.Equal(t, float64(1234567), req["took"])
	require.Equal(t, "2025-09-26T20:00:00.000000Z", req["at"])
	require.Equal(t, "2025-09-26 20:00:00", req["local"])

	m = nil
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &m))
	require.Contains(t, m["request"], "***@example.com", "group names are masked too")
}

func TestHandlerText(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(redact.NewHandler(slog.NewTextHandler(&buf, nil)))
	logger.Info("login", "user", "anna.mueller@example.com", "raw", []byte("tel 0171 1234567"),
		"contacts", []contact{{Name: "A", Email: "anna.mueller@example.com"}},
		"m", map[string]string{"phone": "+49 30 1234567"})
	out := buf.String()
	requireNoPII(t, out)
	require.Contains(t, out, "user=***@example.com")
	require.Contains(t, out, `raw="tel ***67"`)
	require.Contains(t, out, `contacts="[A <***@example.com>]"`)
	require.Contains(t, out, "m=map[phone:***67]")
}

func TestHandlerPassesCleanRecordsThrough(t *testing.T) {
	rec := &recorder{}
	logger := slog.New(redact.NewHandler(rec))
	err := errors.New("boom")
	logger.Info("clean", "err", err, "n", 1, "s", "ok", "d", time.Second)
	require.Len(t, rec.records, 1)
	var got []slog.Attr
	rec.records[0].Attrs(func(a slog.Attr) bool { got = append(got, a); return true })
	require.Equal(t, "clean", rec.records[0].Message)
	require.Same(t, err, got[0].Value.Any(), "values without personal data keep their type")
}

func TestHandlerEnabledAndEmptyGroup(t *testing.T) {
	var buf bytes.Buffer
	h := redact.NewHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	require.False(t, h.Enabled(context.Background(), slog.LevelInfo))
	require.True(t, h.Enabled(context.Background(), slog.LevelError))
	require.Same(t, h, h.WithGroup(""))
	require.Same(t, h, h.WithAttrs(nil))
	require.Panics(t, func() { redact.NewHandler(nil) })
}

func TestHandlerConcurrent(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(redact.NewHandler(slog.NewJSONHandler(&buf, nil))).With("owner", "owner.person@example.com")
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			l := logger.WithGroup(fmt.Sprintf("g%d", i))
			for j := range 50 {
				l.Info("lead anna.mueller@example.com", "phone", "+49 30 1234567", "j", j)
			}
		})
	}
	wg.Wait()
	out := buf.String()
	requireNoPII(t, out)
	require.Equal(t, 16*50, strings.Count(out, `"msg":"lead ***@example.com","owner":"***@example.com"`))
	require.Equal(t, 16*50, strings.Count(out, `"phone":"***67"`))
}

// recorder keeps the records it is given.
type recorder struct{ records []slog.Record }

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.records = append(r.records, rec.Clone())
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func BenchmarkHandler(b *testing.B) {
	logger := slog.New(redact.NewHandler(slog.NewJSONHandler(discard{}, nil)))
	b.Run("clean", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			logger.Info("lead updated", "id", "0190f3c2-7d1e-7a3b-9c4d-5e6f7a8b9c0d", "status", 200)
		}
	})
	b.Run("pii", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			logger.Info("lead updated", "email", "anna@example.com", "status", 200)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
