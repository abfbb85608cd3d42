package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxBody is the largest request body accepted (SPEC §2).
const maxBody = 1 << 20

// decode reads a JSON body into dst: only JSON, at most maxBody bytes, valid
// UTF-8, keys that match dst's JSON names exactly and at most once, no
// unknown fields, exactly one value.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return newProblem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
			"Send the body as application/json.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return decodeProblem(err)
	}
	// encoding/json turns invalid UTF-8 and lone surrogate escapes into
	// U+FFFD without a word, so a client would never learn its text was
	// mangled: refuse them before decoding.
	if !utf8.Valid(body) || hasLoneSurrogate(body) {
		return malformed("the body is not valid UTF-8 text")
	}
	if err := checkKeys(body, dst); err != nil {
		return err
	}
	return decodeValue(body, dst)
}

// decodeValue decodes exactly one JSON value from body into dst.
func decodeValue(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeProblem(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return malformed("the body must hold exactly one JSON object")
	}
	return nil
}

// hasLoneSurrogate reports whether a \u escape in body names half of a
// UTF-16 surrogate pair without the other half. Every backslash of valid
// JSON starts an escape inside a string, so no string tracking is needed;
// invalid JSON is refused by the decoder anyway.
func hasLoneSurrogate(body []byte) bool {
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' || i+1 >= len(body) {
			continue
		}
		i++ // the escaped character; skipping it keeps "\\" from starting an escape
		if body[i] != 'u' {
			continue
		}
		switch r := hex4(body[i+1:]); {
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		case r >= 0xD800 && r <= 0xDBFF:
			if next := body[i+5:]; len(next) < 6 || next[0] != '\\' || next[1] != 'u' ||
				hex4(next[2:]) < 0xDC00 || hex4(next[2:]) > 0xDFFF {
				return true
			}
			i += 10 // the low half is consumed with its high half
		}
	}
	return false
}

// hex4 is the value of four hex digits at the start of b, or -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return -1
		}
	}
	return r
}

// checkKeys walks the keys of body before encoding/json sees it: that
// decoder matches keys case-insensitively and lets the last of two equal
// keys win, so {"companyName":"A","COMPANYNAME":"B"} used to store "B".
// Here a key must be the exact JSON name of a field of dst (objects at any
// depth that decode into structs) and appear at most once in its object.
// The walk is a single pass over bytes json.Valid has vetted (the token API
// of encoding/json costs several times the decoding itself); a body that
// is not one valid JSON value is left to the decoder to name.
func checkKeys(body []byte, dst any) error {
	if !json.Valid(body) {
		return nil
	}
	w := keyWalk{body: body, dst: reflect.TypeOf(dst)}
	for w.i < len(body) && len(w.errs) < maxFieldErrors && !w.done {
		w.step()
	}
	if len(w.errs) > 0 {
		return invalid(w.errs...)
	}
	return nil
}

// keyWalk is the state of checkKeys' pass over a valid JSON body.
type keyWalk struct {
	body  []byte
	i     int
	dst   reflect.Type
	stack []*scope
	errs  []FieldError
	done  bool
}

// step consumes one token.
func (w *keyWalk) step() {
	var top *scope
	if n := len(w.stack); n > 0 {
		top = w.stack[n-1]
	}
	switch c := w.body[w.i]; c {
	case ' ', '\t', '\n', '\r', ',', ':':
		w.i++
		return
	case '{', '[':
		w.stack = append(w.stack, openScope(top, w.dst, c == '{'))
		w.i++
		return
	case '}', ']':
		w.stack = w.stack[:len(w.stack)-1]
		w.i++
	case '"':
		end := stringEnd(w.body, w.i)
		key := top != nil && top.wantKey
		if key {
			if fe, ok := top.addKey(jsonString(w.body[w.i:end])); !ok {
				w.errs = append(w.errs, fe)
			}
		}
		w.i = end
		if key {
			return
		}
	default:
		w.i = scalarEnd(w.body, w.i)
	}
	w.valueDone()
}

// valueDone notes that a value ended: the top-level one ends the walk.
func (w *keyWalk) valueDone() {
	if len(w.stack) == 0 {
		w.done = true
		return
	}
	w.stack[len(w.stack)-1].valueDone()
}

// stringEnd is the index after the string that starts at body[i].
func stringEnd(body []byte, i int) int {
	for i++; body[i] != '"'; i++ {
		if body[i] == '\\' {
			i++
		}
	}
	return i + 1
}

// scalarEnd is the index after the number, true, false or null at body[i].
func scalarEnd(body []byte, i int) int {
	for i < len(body) && !strings.ContainsRune(",]} \t\n\r", rune(body[i])) {
		i++
	}
	return i
}

// jsonString is the text of a valid JSON string literal.
func jsonString(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s) // raw is valid: json.Valid passed
	return s
}

// scope is one open object or array of the walk.
type scope struct {
	parent  *scope
	t       reflect.Type            // what its contents decode into; nil when unchecked
	fields  map[string]reflect.Type // exact JSON names, when t is a struct
	object  bool                    // an object, not an array
	seen    map[string]bool         // keys so far, made at the first
	key     string                  // the key whose value comes next, or is open
	wantKey bool
}

// openScope opens an object or array inside parent (nil at the top, where
// the destination is dst's type).
func openScope(parent *scope, dst reflect.Type, object bool) *scope {
	s := &scope{parent: parent, t: checked(dst)}
	if parent != nil {
		s.t = checked(parent.child())
	}
	if object {
		s.object, s.wantKey = true, true
		if s.t != nil && s.t.Kind() == reflect.Struct {
			s.fields = jsonFields(s.t)
		}
	}
	return s
}

// addKey records a key, or names why it is refused.
func (s *scope) addKey(key string) (FieldError, bool) {
	s.key, s.wantKey = key, false
	if s.seen[key] {
		return FieldError{Field: s.path(), Message: "appears more than once"}, false
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	s.seen[key] = true
	if _, ok := s.fields[key]; s.fields != nil && !ok {
		return FieldError{Field: s.path(), Message: unknownField(key, s.fields)}, false
	}
	return FieldError{}, true
}

// valueDone notes that a value of the scope ended: an object wants its next key.
func (s *scope) valueDone() { s.wantKey = s.object }

// child is the destination type of the value that comes next.
func (s *scope) child() reflect.Type {
	switch {
	case s.t == nil:
		return nil
	case s.fields != nil:
		return s.fields[s.key]
	case s.object && s.t.Kind() == reflect.Map,
		!s.object && (s.t.Kind() == reflect.Slice || s.t.Kind() == reflect.Array):
		return s.t.Elem()
	}
	return nil
}

// maxPath bounds a field path in a problem: keys and nesting are the
// client's, and a problem must stay small whatever the body.
const maxPath = 200

// path is the dotted name of the current key, as encoding/json names fields
// in its type errors (array elements share their array's name). It is
// built only for a refusal: building it for every scope would cost the
// square of the nesting depth.
func (s *scope) path() string {
	var keys []string
	for sc := s; sc != nil; sc = sc.parent {
		if sc.object {
			keys = append(keys, sc.key)
		}
	}
	slices.Reverse(keys)
	path := strings.Join(keys, ".")
	if len(path) <= maxPath {
		return path
	}
	cut := maxPath
	for !utf8.RuneStart(path[cut]) {
		cut--
	}
	return path[:cut] + "…"
}

// checked is the type whose keys are checked, without pointers; nil for a
// type that decodes itself (such as lead.Opt) or an interface.
func checked(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	unmarshaler := reflect.TypeFor[json.Unmarshaler]()
	if t == nil || t.Kind() == reflect.Interface || t.Implements(unmarshaler) || reflect.PointerTo(t).Implements(unmarshaler) {
		return nil
	}
	return t
}

// jsonFields maps the exact JSON names of a struct's fields to their types,
// following encoding/json's rules for tags, "-" and embedded structs.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case tag == "-":
		case f.Anonymous && name == "" && checked(f.Type) != nil && checked(f.Type).Kind() == reflect.Struct:
			for n, ft := range jsonFields(checked(f.Type)) {
				out[n] = ft
			}
		case !f.IsExported():
		case name == "":
			out[f.Name] = f.Type
		default:
			out[name] = f.Type
		}
	}
	return out
}

// unknownField says that key is not a field, and which one it misses by
// case alone, if any.
func unknownField(key string, fields map[string]reflect.Type) string {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return "is not a known field (names are case-sensitive: " + name + ")"
		}
	}
	return "is not a known field"
}

func decodeProblem(err error) *Problem {
	var mbe *http.MaxBytesError
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &mbe):
		return newProblem(http.StatusRequestEntityTooLarge, "payload-too-large", "Payload too large",
			fmt.Sprintf("The body must be at most %d bytes.", maxBody))
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return invalid(FieldError{Field: field, Message: "must be of type " + jsonType(te.Type.Kind().String())})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid(FieldError{Field: name, Message: "is not a known field"})
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return malformed("the body is not valid JSON")
	}
	return malformed("the body could not be read as JSON")
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	}
	return "number"
}

func malformed(detail string) *Problem {
	p := newProblem(http.StatusBadRequest, "malformed-body", "Malformed body", detail)
	p.Errors = []FieldError{{Field: "body", Message: detail}}
	return p
}
