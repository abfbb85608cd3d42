package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/freshplan/leads/internal/idempotency"
	"github.com/freshplan/leads/internal/lead"
)

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type     string            `json:"type"`
	Title    string            `json:"title"`
	Status   int               `json:"status"`
	Detail   string            `json:"detail,omitempty"`
	Instance string            `json:"instance,omitempty"`
	Errors   []lead.FieldError `json:"errors,omitempty"`
	// AllowedTransitions is set on a refused status change.
	AllowedTransitions []lead.Status `json:"allowedTransitions,omitzero"`
	CurrentStatus      lead.Status   `json:"currentStatus,omitempty"`
	// Duplicates (SPEC §3): the colliding field and the existing lead's
	// status; its id only when the caller may see it.
	DuplicateField string           `json:"duplicateField,omitempty"`
	ExistingStatus lead.Status      `json:"existingStatus,omitempty"`
	ExistingLeadID string           `json:"existingLeadId,omitempty"`
	Severity       string           `json:"severity,omitempty"`
	Candidates     []lead.Candidate `json:"candidates,omitzero"`
}

const problemBase = "/problems/"

func newProblem(status int, slug, title, detail string) *Problem {
	return &Problem{Type: problemBase + slug, Title: title, Status: status, Detail: detail}
}

func invalid(fields ...lead.FieldError) *Problem {
	p := newProblem(http.StatusUnprocessableEntity, "validation", "Invalid input", "One or more fields are invalid.")
	p.Errors = fields
	return p
}

func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	p.Instance = r.URL.Path
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// problemFor maps a service error to its problem. Unknown errors become a
// 500 that says nothing about internals; the log keeps the cause.
func problemFor(log *slog.Logger, r *http.Request, err error) *Problem {
	var ve *lead.ValidationError
	var te *lead.TransitionError
	var pe *Problem
	var dup *lead.DuplicateError
	var soft *lead.SoftDuplicateError
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &ve):
		return invalid(ve.Fields...)
	case errors.As(err, &dup):
		return duplicateProblem(dup)
	case errors.As(err, &soft):
		p := newProblem(http.StatusConflict, "possible-duplicate", "Possible duplicate",
			"Leads that look like the same customer exist. Repeat with force: true and an overrideReason to register it anyway.")
		p.Severity, p.Candidates = "WARNING", soft.Candidates
		return p
	case errors.As(err, &te):
		p := newProblem(http.StatusConflict, "invalid-transition", "Status change not allowed",
			string(te.From)+" -> "+string(te.To)+": "+te.Reason)
		p.AllowedTransitions, p.CurrentStatus = te.Allowed, te.From
		return p
	case errors.As(err, new(*idempotency.ReplayError)), errors.Is(err, idempotency.ErrMismatch),
		errors.Is(err, idempotency.ErrInProgress):
		// The idempotency middleware answers these itself.
		return newProblem(http.StatusConflict, "idempotency", "Idempotency-Key", err.Error())
	case errors.Is(err, lead.ErrNotFound):
		return newProblem(http.StatusNotFound, "not-found", "Not found", "No such lead.")
	case errors.Is(err, lead.ErrForbidden):
		return newProblem(http.StatusForbidden, "forbidden", "Forbidden", trimPrefix(err))
	case errors.Is(err, lead.ErrVersionMismatch):
		return newProblem(http.StatusPreconditionFailed, "precondition-failed", "Precondition failed",
			"The lead was changed since you read it; reload it and use its current ETag.")
	case errors.Is(err, lead.ErrConflict):
		return newProblem(http.StatusConflict, "conflict", "Conflict", trimPrefix(err))
	}
	log.ErrorContext(r.Context(), "request failed", "error", err)
	return newProblem(http.StatusInternalServerError, "internal", "Internal error",
		"The request failed. Quote the X-Request-ID header when you report it.")
}

// fail answers a request with the problem for a service error.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeProblem(w, r, problemFor(s.log, r, err))
}

// trimPrefix drops the package prefix of a service error for the client.
func trimPrefix(err error) string {
	msg := err.Error()
	for _, p := range []string{"lead: forbidden: ", "lead: conflict: "} {
		if len(msg) > len(p) && msg[:len(p)] == p {
			return msg[len(p):]
		}
	}
	return msg
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

func duplicateProblem(d *lead.DuplicateError) *Problem {
	p := newProblem(http.StatusConflict, "duplicate-lead", "Duplicate lead",
		"A lead with this "+d.Field+" already exists in the territory.")
	p.Severity, p.DuplicateField, p.ExistingStatus = "ERROR", d.Field, d.ExistingStatus
	if d.ExistingLeadID != nil {
		p.ExistingLeadID = d.ExistingLeadID.String()
	}
	return p
}
