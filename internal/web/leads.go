package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/lead"
)

// leadForm is the create page's state: what was entered, what was wrong
// and which leads look like the same customer.
type leadForm struct {
	page
	Who           auth.Principal
	CSRF          string
	In            map[string]string
	Errors        map[string]string
	Problem       string
	Candidates    []lead.Candidate
	BusinessTypes []string
}

// newLeadForm is GET /leads/new.
func (p *pages) newLeadForm(w http.ResponseWriter, r *http.Request, who auth.Principal, session string) {
	p.render(w, "lead_new.html", leadForm{page: pageOf(r, "Neuer Lead"), Who: who, CSRF: p.csrf(session), In: map[string]string{"countryCode": "DE"},
		BusinessTypes: lead.BusinessTypes})
}

// createLead is POST /leads/new: the lead, or the form again with what
// was wrong, or with the leads that look like the same customer and the
// choice to register it anyway with a reason.
func (p *pages) createLead(w http.ResponseWriter, r *http.Request, who auth.Principal, session string) {
	form := leadForm{page: pageOf(r, "Neuer Lead"), Who: who, CSRF: p.csrf(session), In: map[string]string{}, Errors: map[string]string{},
		BusinessTypes: lead.BusinessTypes}
	for _, f := range []string{"companyName", "city", "postalCode", "email", "phone", "countryCode", "businessType",
		"overrideReason"} {
		form.In[f] = strings.TrimSpace(r.PostFormValue(f))
	}
	opt := func(f string) *string {
		if v := form.In[f]; v != "" {
			return &v
		}
		return nil
	}
	consent := r.PostFormValue("emailConsent") == "on"
	force := r.PostFormValue("force") == "on"
	in := lead.CreateInput{CompanyName: form.In["companyName"], City: opt("city"), PostalCode: opt("postalCode"),
		Email: opt("email"), Phone: opt("phone"), CountryCode: opt("countryCode"), BusinessType: opt("businessType"),
		EmailConsent: &consent}
	if force {
		in.Force, in.OverrideReason = &force, opt("overrideReason")
	}
	l, err := p.cfg.Leads.Create(r.Context(), who, in)
	var ve *lead.ValidationError
	var soft *lead.SoftDuplicateError
	var dup *lead.DuplicateError
	switch {
	case err == nil:
		http.Redirect(w, r, "/leads/"+l.ID.String(), http.StatusSeeOther)
		return
	case errors.As(err, &ve):
		for _, f := range ve.Fields {
			form.Errors[f.Field] = f.Message
		}
		form.Problem = "Bitte prüfen Sie die markierten Felder."
	case errors.As(err, &soft):
		form.Candidates = soft.Candidates
		form.Problem = "Diese Leads sehen nach demselben Kunden aus. Zum Anlegen trotzdem bitte bestätigen und begründen."
	case errors.As(err, &dup):
		form.Problem = "Ein Lead mit dieser Angabe (" + dup.Field + ") existiert in diesem Gebiet bereits."
	case errors.Is(err, lead.ErrForbidden):
		form.Problem = "Sie dürfen in diesem Gebiet keine Leads anlegen."
	default:
		p.cfg.Log.ErrorContext(r.Context(), "web: create lead", "error", err)
		form.Problem = "Der Lead konnte nicht angelegt werden. Bitte später erneut versuchen."
	}
	w.WriteHeader(http.StatusUnprocessableEntity)
	p.render(w, "lead_new.html", form)
}

type leadPage struct {
	page
	Who           auth.Principal
	CSRF          string
	Lead          *lead.Lead
	Activities    []lead.Activity
	ActivityTypes []string
	Statuses      []lead.Status // where the caller may move the lead
	Privileged    bool          // may stop and resume the clock
	Problem       string
}

// leadDetail is GET /leads/{id}: the lead, its timeline and its forms.
func (p *pages) leadDetail(w http.ResponseWriter, r *http.Request, who auth.Principal, session string) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	p.leadDetailWith(w, r, who, session, id, "")
}

func (p *pages) leadDetailWith(w http.ResponseWriter, r *http.Request, who auth.Principal, session string, id uuid.UUID,
	problem string) {
	l, err := p.cfg.Leads.Get(r.Context(), who, id)
	if err != nil {
		if !lead.IsNotFound(err) {
			p.cfg.Log.ErrorContext(r.Context(), "web: lead", "error", err)
		}
		http.NotFound(w, r)
		return
	}
	activities, _, err := p.cfg.Leads.Activities(r.Context(), who, id, 0, 50)
	if err != nil {
		p.cfg.Log.ErrorContext(r.Context(), "web: activities", "error", err)
	}
	page := leadPage{page: pageOf(r, l.CompanyName), Who: who, CSRF: p.csrf(session), Lead: l, Activities: activities, ActivityTypes: lead.UserActivityTypes,
		Statuses:   lead.Allowed(l.Status, who.Role(), l.ClockStoppedAt != nil),
		Privileged: who.Role() == auth.RoleManager || who.Role() == auth.RoleAdmin, Problem: problem}
	if problem != "" {
		w.WriteHeader(http.StatusUnprocessableEntity)
	}
	p.render(w, "lead.html", page)
}

// listSize is the lead list's page size.
const listSize = 20

type listPage struct {
	page
	Who      auth.Principal
	Status   string
	Q        string
	Statuses []lead.Status
	Page     *lead.ListPage
	From     int    // the first row's number
	Next     string // the cursor of the next page, "" on the last
	Problem  string
}

// listLeads is GET /leads: the caller's leads, newest first, filtered by
// status and text, twenty a page (keyset paging with the API's cursor).
func (p *pages) listLeads(w http.ResponseWriter, r *http.Request, who auth.Principal, _ string) {
	q := r.URL.Query()
	page := listPage{page: pageOf(r, "Leads"), Who: who, Status: q.Get("status"), Q: strings.TrimSpace(q.Get("q")), Statuses: lead.Statuses}
	query := lead.ListQuery{Sort: "createdAt", Desc: true, Size: listSize, After: q.Get("after")}
	if page.Status != "" {
		st := lead.Status(page.Status)
		query.Status = &st
	}
	if page.Q != "" {
		query.Q = &page.Q
	}
	res, err := p.cfg.Leads.List(r.Context(), who, query)
	var ve *lead.ValidationError
	switch {
	case errors.As(err, &ve):
		page.Problem = "Dieser Filter passt nicht; bitte anpassen."
		w.WriteHeader(http.StatusUnprocessableEntity)
	case err != nil:
		p.cfg.Log.ErrorContext(r.Context(), "web: list leads", "error", err)
		http.Error(w, "Die Liste ist gerade nicht erreichbar.", http.StatusInternalServerError)
		return
	default:
		page.Page, page.Next = res, res.Next
	}
	p.render(w, "leads.html", page)
}

// leadAction is POST /leads/{id}: an activity, a status change or the
// clock, as the form says; then the lead again, or the form's problem.
func (p *pages) leadAction(w http.ResponseWriter, r *http.Request, who auth.Principal, session string) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	ctx := r.Context()
	switch r.PostFormValue("action") {
	case "activity":
		_, err = p.cfg.Leads.AddActivity(ctx, who, id, lead.ActivityInput{Type: r.PostFormValue("type"),
			Description: strings.TrimSpace(r.PostFormValue("description"))})
	case "status":
		_, err = p.cfg.Leads.Update(ctx, who, id, version, lead.UpdateInput{
			Status: lead.Opt[lead.Status]{Set: true, V: lead.Status(r.PostFormValue("status"))}})
	case "stop-clock":
		_, err = p.cfg.Leads.Update(ctx, who, id, version, lead.UpdateInput{StopClock: lead.Opt[bool]{Set: true, V: true},
			StopReason: lead.Opt[string]{Set: true, V: strings.TrimSpace(r.PostFormValue("reason"))}})
	case "resume-clock":
		_, err = p.cfg.Leads.Update(ctx, who, id, version, lead.UpdateInput{StopClock: lead.Opt[bool]{Set: true}})
	default:
		http.Error(w, "Unbekannte Aktion.", http.StatusBadRequest)
		return
	}
	if err == nil {
		http.Redirect(w, r, "/leads/"+id.String(), http.StatusSeeOther)
		return
	}
	p.leadDetailWith(w, r, who, session, id, problemOf(err))
}

// problemOf is the sentence a page shows for a refused change.
func problemOf(err error) string {
	var ve *lead.ValidationError
	var te *lead.TransitionError
	switch {
	case errors.As(err, &ve):
		parts := make([]string, len(ve.Fields))
		for i, f := range ve.Fields {
			parts[i] = f.Field + ": " + f.Message
		}
		return "Bitte prüfen: " + strings.Join(parts, "; ")
	case errors.As(err, &te):
		return "Dieser Statuswechsel ist nicht erlaubt (" + te.ClientMessage() + ")."
	case errors.Is(err, lead.ErrVersionMismatch):
		return "Der Lead wurde inzwischen geändert; bitte erneut versuchen."
	case errors.Is(err, lead.ErrForbidden):
		return "Das darf Ihre Rolle nicht."
	case errors.Is(err, lead.ErrConflict):
		return "Das passt nicht zum Stand des Leads."
	}
	return "Das hat nicht geklappt; bitte später erneut versuchen."
}
