package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/freshplan/leads/internal/lead"
)

func (s *server) createLead(w http.ResponseWriter, r *http.Request) {
	var in lead.CreateInput
	if p := decode(w, r, &in); p != nil {
		writeProblem(w, r, p)
		return
	}
	render := leadResponse(http.StatusCreated)
	bindRenderer(r, render)
	l, err := s.leads.Create(r.Context(), principal(r), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	respond(w, render(l))
}

func (s *server) getLead(w http.ResponseWriter, r *http.Request) {
	id, p := pathID(r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	l, err := s.leads.Get(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tag := etag(l.Version)
	w.Header().Set("ETag", tag)
	w.Header().Set("Cache-Control", "private, no-cache")
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagListContains(inm, tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func etagListContains(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == tag || t == "*" {
			return true
		}
	}
	return false
}

// listPage is the envelope of every paged list.
type listPage[T any] struct {
	Data       []T `json:"data"`
	Page       int `json:"page"`
	Size       int `json:"size"`
	Total      int `json:"total"`
	TotalPages int `json:"totalPages"`
}

func newPage[T any](data []T, page, size, total int) listPage[T] {
	return listPage[T]{Data: data, Page: page, Size: size, Total: total, TotalPages: (total + size - 1) / size}
}

func (s *server) listLeads(w http.ResponseWriter, r *http.Request) {
	q, p := listQuery(r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	list, total, err := s.leads.List(r.Context(), principal(r), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(list, q.Page, q.Size, total))
}

// listQuery parses the list filters, sort and paging; every bad value is
// named in the problem.
func listQuery(r *http.Request) (lead.ListQuery, *Problem) {
	v := r.URL.Query()
	q := lead.ListQuery{Sort: "createdAt", Desc: true}
	var fields []lead.FieldError
	if s := v.Get("status"); s != "" {
		st := lead.Status(strings.ToUpper(s))
		if !slices.Contains(lead.Statuses, st) {
			fields = append(fields, lead.FieldError{Field: "status", Message: "must be a lead status"})
		}
		q.Status = &st
	}
	if s := v.Get("territory"); s != "" {
		t := strings.ToUpper(s)
		if len(t) != 2 || strings.Trim(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			fields = append(fields, lead.FieldError{Field: "territory", Message: "must be a territory code like DE"})
		}
		q.Territory = &t
	}
	if s := v.Get("owner"); s != "" {
		q.Owner = &s
	}
	if s := strings.TrimSpace(v.Get("q")); s != "" {
		if len(s) > 200 {
			fields = append(fields, lead.FieldError{Field: "q", Message: "must be at most 200 characters"})
		}
		q.Q = &s
	}
	if s := v.Get("sort"); s != "" {
		field, dir, _ := strings.Cut(s, ",")
		q.Sort = field
		q.Desc = strings.EqualFold(dir, "desc")
		if !slices.Contains(lead.SortFields(), field) {
			fields = append(fields, lead.FieldError{Field: "sort", Message: "must be one of " + strings.Join(lead.SortFields(), ", ")})
		}
		if dir != "" && !strings.EqualFold(dir, "asc") && !q.Desc {
			fields = append(fields, lead.FieldError{Field: "sort", Message: "direction must be asc or desc"})
		}
	}
	page, size, p := pageParams(r)
	if p != nil {
		fields = append(fields, p.Errors...)
	}
	if fields != nil {
		return q, invalid(fields...)
	}
	q.Page, q.Size = page, size
	return q, nil
}

func (s *server) updateLead(w http.ResponseWriter, r *http.Request) {
	id, p := pathID(r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	version, p := ifMatchVersion(r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	var in lead.UpdateInput
	if p := decode(w, r, &in); p != nil {
		writeProblem(w, r, p)
		return
	}
	render := leadResponse(http.StatusOK)
	bindRenderer(r, render)
	l, err := s.leads.Update(r.Context(), principal(r), id, version, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	respond(w, render(l))
}

func (s *server) deleteLead(w http.ResponseWriter, r *http.Request) {
	id, p := pathID(r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	version, p := ifMatchVersion(r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	bindRenderer(r, noContent)
	if err := s.leads.Delete(r.Context(), principal(r), id, version); err != nil {
		s.fail(w, r, err)
		return
	}
	respond(w, noContent(nil))
}

func (s *server) addActivity(w http.ResponseWriter, r *http.Request) {
	id, p := pathID(r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	var in lead.ActivityInput
	if p := decode(w, r, &in); p != nil {
		writeProblem(w, r, p)
		return
	}
	bindRenderer(r, activityResponse)
	a, err := s.leads.AddActivity(r.Context(), principal(r), id, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	respond(w, activityResponse(a))
}

func (s *server) listActivities(w http.ResponseWriter, r *http.Request) {
	id, p := pathID(r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	page, size, p := pageParams(r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	list, total, err := s.leads.Activities(r.Context(), principal(r), id, page, size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(list, page, size, total))
}

func (s *server) territories(w http.ResponseWriter, r *http.Request) {
	list, err := s.leads.Territories(r.Context(), principal(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": list})
}

func (s *server) duplicates(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	opt := func(name string) *string {
		if x := strings.TrimSpace(v.Get(name)); x != "" {
			return &x
		}
		return nil
	}
	q := lead.DuplicateQuery{CompanyName: opt("companyName"), City: opt("city"), Email: opt("email"), Phone: opt("phone"), CountryCode: "DE"}
	if c := opt("countryCode"); c != nil {
		q.CountryCode = *c
	}
	list, err := s.leads.Duplicates(r.Context(), principal(r), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": list})
}
