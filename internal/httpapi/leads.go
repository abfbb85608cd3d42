package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/freshplan/leads/internal/lead"
)

func (s *server) createLead(w http.ResponseWriter, r *http.Request) (reply, error) {
	var in lead.CreateInput
	if err := decode(w, r, &in); err != nil {
		return reply{}, err
	}
	render := leadReply(http.StatusCreated)
	s.bindClaim(r, render)
	l, err := s.leads.Create(r.Context(), principal(r), in)
	if err != nil {
		return reply{}, err
	}
	return render(l), nil
}

func (s *server) getLead(w http.ResponseWriter, r *http.Request) (reply, error) {
	id, err := pathID(r)
	if err != nil {
		return reply{}, err
	}
	l, err := s.leads.Get(r.Context(), principal(r), id)
	if err != nil {
		return reply{}, err
	}
	tag := etag(l.Version)
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagListContains(inm, tag) {
		return reply{status: http.StatusNotModified, header: map[string]string{"ETag": tag, "Cache-Control": "private, no-cache"}}, nil
	}
	return jsonReply(http.StatusOK, l, "ETag", tag, "Cache-Control", "private, no-cache"), nil
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

// leadPage is the lead list's page: the paged-list envelope, with a total
// that is exact only up to lead.MaxTotal, and the keyset cursor of the
// next page.
type leadPage struct {
	listPage[lead.Lead]
	TotalExact bool   `json:"totalExact"`
	Next       string `json:"next,omitempty"`
}

func (s *server) listLeads(w http.ResponseWriter, r *http.Request) (reply, error) {
	q, err := listQuery(r)
	if err != nil {
		return reply{}, err
	}
	page, err := s.leads.List(r.Context(), principal(r), q)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, leadPage{newPage(page.Leads, q.Page, q.Size, page.Total), page.TotalExact, page.Next}), nil
}

// listQuery parses the list filters, sort and paging; every bad value is
// named in the problem.
func listQuery(r *http.Request) (lead.ListQuery, error) {
	p := queryParams(r)
	q := lead.ListQuery{Sort: "createdAt", Desc: true, Owner: p.text("owner", 255), Q: p.text("q", 200)}
	if s := p.text("status", 50); s != nil {
		st := lead.Status(strings.ToUpper(*s))
		if !slices.Contains(lead.Statuses, st) {
			p.bad("status", "must be a lead status")
		}
		q.Status = &st
	}
	if s := p.text("territory", 50); s != nil {
		t := strings.ToUpper(*s)
		if len(t) != 2 || strings.Trim(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			p.bad("territory", "must be a territory code like DE")
		}
		q.Territory = &t
	}
	if s := p.text("sort", 50); s != nil {
		field, dir, _ := strings.Cut(*s, ",")
		q.Sort, q.Desc = field, strings.EqualFold(dir, "desc")
		if !slices.Contains(lead.SortFields(), field) {
			p.bad("sort", "must be one of "+strings.Join(lead.SortFields(), ", "))
		}
		if dir != "" && !strings.EqualFold(dir, "asc") && !q.Desc {
			p.bad("sort", "direction must be asc or desc")
		}
	}
	if after := p.text("after", 2048); after != nil {
		q.After = *after
	}
	q.Page, q.Size = p.page()
	return q, p.err()
}

func (s *server) updateLead(w http.ResponseWriter, r *http.Request) (reply, error) {
	id, version, err := leadAndVersion(r)
	if err != nil {
		return reply{}, err
	}
	var in lead.UpdateInput
	if err := decode(w, r, &in); err != nil {
		return reply{}, err
	}
	render := leadReply(http.StatusOK)
	s.bindClaim(r, render)
	l, err := s.leads.Update(r.Context(), principal(r), id, version, in)
	if err != nil {
		return reply{}, err
	}
	return render(l), nil
}

func (s *server) backdateLead(w http.ResponseWriter, r *http.Request) (reply, error) {
	id, version, err := leadAndVersion(r)
	if err != nil {
		return reply{}, err
	}
	if version == lead.AnyVersion {
		return reply{}, newProblem(http.StatusPreconditionFailed, "precondition-failed", "Precondition failed",
			"A registration date changes only at a known version: send the lead's ETag, like \"3\", not *.")
	}
	var in lead.BackdateInput
	if err := decode(w, r, &in); err != nil {
		return reply{}, err
	}
	render := leadReply(http.StatusOK)
	s.bindClaim(r, render)
	l, err := s.leads.Backdate(r.Context(), principal(r), id, version, in)
	if err != nil {
		return reply{}, err
	}
	return render(l), nil
}

func (s *server) deleteLead(w http.ResponseWriter, r *http.Request) (reply, error) {
	id, version, err := leadAndVersion(r)
	if err != nil {
		return reply{}, err
	}
	s.bindClaim(r, noContent)
	if err := s.leads.Delete(r.Context(), principal(r), id, version); err != nil {
		return reply{}, err
	}
	return noContent(nil), nil
}

func (s *server) duplicates(w http.ResponseWriter, r *http.Request) (reply, error) {
	p := queryParams(r)
	q := lead.DuplicateQuery{CompanyName: p.text("companyName", 255), City: p.text("city", 255), Email: p.text("email", 254),
		Phone: p.text("phone", 50), PostalCode: p.text("postalCode", 20), Website: p.text("website", 255), CountryCode: "DE"}
	if c := p.text("countryCode", 2); c != nil {
		q.CountryCode = *c
	}
	if err := p.err(); err != nil {
		return reply{}, err
	}
	list, err := s.leads.Duplicates(r.Context(), principal(r), q)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, map[string]any{"data": list}), nil
}

// leadReply renders a lead with its ETag (and Location when created).
func leadReply(status int) func(any) reply {
	return func(v any) reply {
		l := v.(*lead.Lead)
		h := []string{"ETag", etag(l.Version)}
		if status == http.StatusCreated {
			h = append(h, "Location", "/api/leads/"+l.ID.String())
		}
		return jsonReply(status, l, h...)
	}
}

func noContent(any) reply { return reply{status: http.StatusNoContent, header: map[string]string{}} }

func leadAndVersion(r *http.Request) (id uuid.UUID, version int, err error) {
	if id, err = pathID(r); err != nil {
		return id, 0, err
	}
	version, err = ifMatchVersion(r)
	return id, version, err
}

// ifMatchVersion reads the lead version from a strong If-Match ETag.
func ifMatchVersion(r *http.Request) (int, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return 0, newProblem(http.StatusPreconditionRequired, "precondition-required", "Precondition required",
			"Send If-Match with the lead's ETag, so a concurrent change is not overwritten.")
	}
	if h == "*" {
		return lead.AnyVersion, nil
	}
	v, err := strconv.Atoi(strings.Trim(h, `"`))
	if err != nil || !strings.HasPrefix(h, `"`) || !strings.HasSuffix(h, `"`) || v < 1 {
		return 0, newProblem(http.StatusPreconditionFailed, "precondition-failed", "Precondition failed",
			"If-Match must be the lead's strong ETag, like \"3\".")
	}
	return v, nil
}

func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }
