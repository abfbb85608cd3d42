package redact

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
)

// handler masks personal data before passing records on to next. It holds no
// mutable state, so it is safe for concurrent use whenever next is.
type handler struct {
	next slog.Handler
}

// NewHandler returns a slog.Handler that masks e-mail addresses and phone
// numbers (see [String]) in the message, keys, group names and values of
// every record and every attribute added with WithAttrs, and then passes them
// on to next. Records that need no masking are passed on unchanged.
func NewHandler(next slog.Handler) slog.Handler {
	if next == nil {
		panic("redact: NewHandler called with a nil handler")
	}
	return &handler{next: next}
}

func (h *handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	msg := String(r.Message)
	changed := msg != r.Message
	var buf [8]slog.Attr
	attrs := buf[:0]
	r.Attrs(func(a slog.Attr) bool {
		na, ch := redactAttr(a)
		changed = changed || ch
		attrs = append(attrs, na)
		return true
	})
	if !changed {
		return h.next.Handle(ctx, r)
	}
	nr := slog.NewRecord(r.Time, r.Level, msg, r.PC)
	nr.AddAttrs(attrs...)
	return h.next.Handle(ctx, nr)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i], _ = redactAttr(a)
	}
	return &handler{next: h.next.WithAttrs(out)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &handler{next: h.next.WithGroup(String(name))}
}

// redactAttr masks a's key and value and reports whether anything changed.
func redactAttr(a slog.Attr) (slog.Attr, bool) {
	key := String(a.Key)
	v, changed := redactValue(a.Value)
	if !changed && key == a.Key {
		return a, false
	}
	return slog.Attr{Key: key, Value: v}, true
}

func redactValue(v slog.Value) (slog.Value, bool) {
	changed := false
	if v.Kind() == slog.KindLogValuer {
		// Resolve here: the next handler would otherwise resolve it after
		// masking and log whatever LogValue returns.
		v = v.Resolve()
		changed = true
	}
	switch v.Kind() {
	case slog.KindString:
		s := v.String()
		if m := String(s); m != s {
			return slog.StringValue(m), true
		}
	case slog.KindGroup:
		attrs := v.Group()
		var out []slog.Attr
		for i, a := range attrs {
			na, ch := redactAttr(a)
			if ch && out == nil {
				out = make([]slog.Attr, len(attrs))
				copy(out, attrs[:i])
			}
			if out != nil {
				out[i] = na
			}
		}
		if out != nil {
			return slog.GroupValue(out...), true
		}
	case slog.KindAny:
		if m, ok := redactAny(v.Any()); ok {
			return slog.StringValue(m), true
		}
	}
	return v, changed
}

// redactAny formats x the way log handlers do and returns the masked form if
// it contains anything to mask. Values without personal data are kept as
// they are, so handlers still see their original type.
func redactAny(x any) (string, bool) {
	switch t := x.(type) {
	case nil:
		return "", false
	case error:
		return maskChanged(fmt.Sprint(t)) // handlers log err.Error()
	case []byte:
		return maskChanged(string(t)) // TextHandler logs byte slices as text
	}
	_, isStringer := x.(fmt.Stringer)
	switch reflect.TypeOf(x).Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		// Numbers are not masked, like slog.Int and friends, unless they
		// format themselves as text.
		if !isStringer {
			return "", false
		}
		return maskChanged(fmt.Sprint(x))
	case reflect.String:
		if m, ok := maskChanged(fmt.Sprint(x)); ok {
			return m, true
		}
		return maskChanged(reflect.ValueOf(x).String()) // what JSON shows for a Stringer
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return "", false
	}
	// Structs, maps, slices, arrays, pointers: TextHandler shows "%+v"
	// (String() for Stringers), JSONHandler shows the JSON encoding, which
	// may differ (pointer fields, custom marshalers). Check both.
	if m, ok := maskChanged(fmt.Sprintf("%+v", x)); ok {
		return m, true
	}
	if j, ok := marshalJSON(x); ok {
		return maskChanged(string(j))
	}
	return "", false
}

func maskChanged(s string) (string, bool) {
	m := String(s)
	return m, m != s
}

func marshalJSON(x any) (b []byte, ok bool) {
	defer func() {
		if recover() != nil {
			b, ok = nil, false
		}
	}()
	b, err := json.Marshal(x)
	return b, err == nil
}
