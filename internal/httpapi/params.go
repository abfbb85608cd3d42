package httpapi

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// params reads query parameters and collects every bad one, so a client
// learns all its mistakes from one problem.
type params struct {
	q      url.Values
	errors []FieldError
}

// queryParams parses a request's query and screens every value once, so no
// handler can pass a NUL byte or invalid UTF-8 on to PostgreSQL (which
// refuses them in text, and that used to surface as a 500), however it
// reads its parameters.
func queryParams(r *http.Request) *params {
	p := &params{q: r.URL.Query()}
	p.screen()
	return p
}

// screen names every parameter with a value that is not clean text and
// removes it, so handlers see it as absent and answer with the problem.
// Parameter names that are not clean text cannot be any handler's, so
// they are ignored like every other unknown parameter.
func (p *params) screen() {
	for _, name := range slices.Sorted(maps.Keys(p.q)) {
		if !cleanText(name) {
			continue
		}
		if slices.ContainsFunc(p.q[name], func(v string) bool { return !cleanText(v) }) {
			p.bad(name, "must be valid UTF-8 text without NUL bytes or control characters")
			p.q.Del(name)
		}
	}
}

// cleanText reports whether s is valid UTF-8 without control characters
// other than tab, line feed and carriage return: the text the lead fields
// accept, so a search for anything else could never match.
func cleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
}

// bad records an invalid parameter; past maxFieldErrors the problem could
// not show more, so collecting stops.
func (p *params) bad(field, message string) {
	if len(p.errors) < maxFieldErrors {
		p.errors = append(p.errors, FieldError{field, message})
	}
}

// text returns a trimmed parameter, nil when absent or blank, at most max
// characters.
func (p *params) text(name string, max int) *string {
	s := strings.TrimSpace(p.q.Get(name))
	if s == "" {
		return nil
	}
	if len([]rune(s)) > max {
		p.bad(name, "must be at most "+strconv.Itoa(max)+" characters")
	}
	return &s
}

// integer returns a parameter in [lo, hi], def when absent.
func (p *params) integer(name string, def, lo, hi int, message string) int {
	s := p.q.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		p.bad(name, message)
		return def
	}
	return n
}

// page reads page (from 0) and size (1..100, default 20).
func (p *params) page() (page, size int) {
	return p.integer("page", 0, 0, 1_000_000, "must be an integer from 0"),
		p.integer("size", 20, 1, 100, "must be an integer from 1 to 100")
}

// err is the problem naming every bad parameter, or nil.
func (p *params) err() error {
	if p.errors == nil {
		return nil
	}
	return invalid(p.errors...)
}

func pathID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil || len(r.PathValue("id")) != 36 {
		return uuid.Nil, invalid(FieldError{Field: "id", Message: "must be a UUID"})
	}
	return id, nil
}
