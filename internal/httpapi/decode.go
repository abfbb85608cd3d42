package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxBody is the largest request body accepted (SPEC §2).
const maxBody = 1 << 20

// decode reads a JSON body into dst: only JSON, at most maxBody bytes, no
// unknown fields, exactly one value.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
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
