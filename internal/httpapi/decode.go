package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/freshplan/leads/internal/lead"
)

// maxBody is the largest request body accepted (SPEC §2).
const maxBody = 1 << 20

// decode reads a JSON body into dst: only JSON, at most maxBody bytes, no
// unknown fields, exactly one value.
func decode(w http.ResponseWriter, r *http.Request, dst any) *Problem {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return newProblem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
			"Send the body as application/json.")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeProblem(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return decodeProblem(err)
		}
		return malformed("the body must hold exactly one JSON object")
	}
	return nil
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
		return invalid(lead.FieldError{Field: field, Message: "must be of type " + jsonType(te.Type.Kind().String())})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid(lead.FieldError{Field: name, Message: "is not a known field"})
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
	p.Errors = []lead.FieldError{{Field: "body", Message: detail}}
	return p
}

func pathID(r *http.Request) (uuid.UUID, *Problem) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil || len(r.PathValue("id")) != 36 {
		return uuid.Nil, invalid(lead.FieldError{Field: "id", Message: "must be a UUID"})
	}
	return id, nil
}

// pageParams reads page (from 0) and size (1..100, default 20).
func pageParams(r *http.Request) (page, size int, p *Problem) {
	q := r.URL.Query()
	var fields []lead.FieldError
	page, size = 0, 20
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 1_000_000 {
			fields = append(fields, lead.FieldError{Field: "page", Message: "must be an integer from 0"})
		}
		page = n
	}
	if s := q.Get("size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			fields = append(fields, lead.FieldError{Field: "size", Message: "must be an integer from 1 to 100"})
		}
		size = n
	}
	if fields != nil {
		return 0, 0, invalid(fields...)
	}
	return page, size, nil
}

// ifMatchVersion reads the lead version from a strong If-Match ETag.
func ifMatchVersion(r *http.Request) (int, *Problem) {
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
