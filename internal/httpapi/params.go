package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// params reads query parameters and collects every bad one, so a client
// learns all its mistakes from one problem.
type params struct {
	q      url.Values
	errors []FieldError
}

func queryParams(r *http.Request) *params { return &params{q: r.URL.Query()} }

func (p *params) bad(field, message string) { p.errors = append(p.errors, FieldError{field, message}) }

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
