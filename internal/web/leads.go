package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/lead"
)

// leadForm is the create page's state: what was entered, what was wrong
// and which leads look like the same customer.
type leadForm struct {
	Who           auth.Principal
	CSRF          string
	In            map[string]string
	Errors        map[string]string
	Problem       string
	Candidates    []lead.Candidate
	BusinessTypes []string
}

// newLeadForm is GET /leads/new.
func (p *pages) newLeadForm(w http.ResponseWriter, _ *http.Request, who auth.Principal, session string) {
	p.render(w, "lead_new.html", leadForm{Who: who, CSRF: p.csrf(session), In: map[string]string{"countryCode": "DE"},
		BusinessTypes: lead.BusinessTypes})
}

// createLead is POST /leads/new: the lead, or the form again with what
// was wrong, or with the leads that look like the same customer and the
// choice to register it anyway with a reason.
func (p *pages) createLead(w http.ResponseWriter, r *http.Request, who auth.Principal, session string) {
	form := leadForm{Who: who, CSRF: p.csrf(session), In: map[string]string{}, Errors: map[string]string{},
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
	Who        auth.Principal
	CSRF       string
	Lead       *lead.Lead
	Activities []lead.Activity
}

// leadDetail is GET /leads/{id}: the lead and its timeline.
func (p *pages) leadDetail(w http.ResponseWriter, r *http.Request, who auth.Principal, session string) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
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
	p.render(w, "lead.html", leadPage{Who: who, CSRF: p.csrf(session), Lead: l, Activities: activities})
}
