package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/freshplan/leads/internal/idempotency"
	"github.com/freshplan/leads/internal/lead"
)

// FieldError names one invalid input field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// maxFieldErrors bounds the errors list of a problem, whatever the input.
const maxFieldErrors = 20

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
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

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

const problemBase = "/problems/"

func newProblem(status int, slug, title, detail string) *Problem {
	return &Problem{Type: problemBase + slug, Title: title, Status: status, Detail: detail}
}

func invalid(fields ...FieldError) *Problem {
	p := newProblem(http.StatusUnprocessableEntity, "validation", "Invalid input", "One or more fields are invalid.")
	p.Errors = fields[:min(len(fields), maxFieldErrors)]
	return p
}

func internalProblem() *Problem {
	return newProblem(http.StatusInternalServerError, "internal", "Internal error",
		"The request failed. Quote the X-Request-ID header when you report it.")
}

// clientMessage is implemented by domain errors that carry the sentence
// meant for the client.
type clientMessage interface{ ClientMessage() string }

// problemFor maps an error to its problem. Unknown errors become a 500
// that says nothing about internals; the log keeps the cause.
func problemFor(log *slog.Logger, r *http.Request, err error) *Problem {
	var pe *Problem
	var ve *lead.ValidationError
	var te *lead.TransitionError
	var dup *lead.DuplicateError
	var soft *lead.SoftDuplicateError
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &ve):
		fields := make([]FieldError, len(ve.Fields))
		for i, f := range ve.Fields {
			fields[i] = FieldError(f)
		}
		return invalid(fields...)
	case errors.As(err, &dup):
		return duplicateProblem(dup)
	case errors.As(err, &soft):
		p := newProblem(http.StatusConflict, "possible-duplicate", "Possible duplicate",
			"Leads that look like the same customer exist. Repeat with force: true and an overrideReason to register it anyway.")
		p.Severity, p.Candidates = "WARNING", soft.Candidates
		return p
	case errors.As(err, &te):
		p := newProblem(http.StatusConflict, "invalid-transition", "Status change not allowed", te.ClientMessage())
		p.AllowedTransitions, p.CurrentStatus = te.Allowed, te.From
		return p
	case errors.Is(err, lead.ErrNotFound):
		return newProblem(http.StatusNotFound, "not-found", "Not found", "No such lead.")
	case errors.Is(err, lead.ErrVersionMismatch):
		return newProblem(http.StatusPreconditionFailed, "precondition-failed", "Precondition failed",
			"The lead was changed since you read it; reload it and use its current ETag.")
	case errors.Is(err, lead.ErrForbidden):
		return newProblem(http.StatusForbidden, "forbidden", "Forbidden", detailOf(err))
	case errors.Is(err, lead.ErrConflict):
		return newProblem(http.StatusConflict, "conflict", "Conflict", detailOf(err))
	case errors.Is(err, idempotency.ErrMismatch), errors.Is(err, idempotency.ErrInProgress),
		errors.As(err, new(*idempotency.ReplayError)):
		return idempotencyProblem(err)
	}
	log.ErrorContext(r.Context(), "request failed", "error", err)
	return internalProblem()
}

// detailOf is the client's sentence of a refused command.
func detailOf(err error) string {
	var cm clientMessage
	if errors.As(err, &cm) {
		return cm.ClientMessage()
	}
	return "The request was refused."
}

func duplicateProblem(d *lead.DuplicateError) *Problem {
	p := newProblem(http.StatusConflict, "duplicate-lead", "Duplicate lead",
		"A lead with this "+d.Field+" already exists in the territory.")
	p.Severity, p.DuplicateField, p.ExistingStatus = "ERROR", d.Field, d.ExistingStatus
	if d.ExistingLeadID != nil {
		p.ExistingLeadID = d.ExistingLeadID.String()
	}
	return p
}

func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	p.Instance = r.URL.Path
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// fail answers a request with the problem for err.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeProblem(w, r, problemFor(s.log, r, err))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
