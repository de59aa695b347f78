package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/latchauth/latch"
)

// form is a decoded JSON request body. Field readers record type errors per
// field, so that a wrong type gets the same 400 envelope as a missing field.
type form struct {
	fields map[string]json.RawMessage
	errs   latch.InputError
}

// statusError is an HTTP-level refusal that is not an input problem.
type statusError struct {
	status        int
	code, message string
}

func (e *statusError) Error() string { return e.message }

// readForm reads a JSON object body. An empty body is an empty object, as
// allauth treats it. Too large → 413, not JSON content → 415, not a JSON
// object → 400; all as JSON errors.
func (s *Server) readForm(w http.ResponseWriter, r *http.Request) (*form, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, err
		}
		return nil, &statusError{http.StatusBadRequest, "invalid", "The request body could not be read."}
	}
	f := &form{fields: map[string]json.RawMessage{}}
	if len(bytes.TrimSpace(body)) == 0 {
		return f, nil
	}
	// The usual exact "application/json" needs no parsing (and its allocations).
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, &statusError{http.StatusUnsupportedMediaType, "unsupported_media_type",
				"Request bodies must be JSON (Content-Type: application/json)."}
		}
	}
	if !utf8.Valid(body) {
		return nil, latch.Invalid("", "invalid", "The request body is not valid UTF-8.")
	}
	if err := json.Unmarshal(body, &f.fields); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntax):
			return nil, latch.Invalid("", "invalid", fmt.Sprintf("The request body is not valid JSON (at byte %d).", syntax.Offset))
		case errors.As(err, &typ):
			return nil, latch.Invalid("", "invalid", "The request body must be a JSON object.")
		default:
			return nil, latch.Invalid("", "invalid", "The request body is not valid JSON.")
		}
	}
	if f.fields == nil { // the body was `null`
		f.fields = map[string]json.RawMessage{}
	}
	return f, nil
}

// has reports whether the body has the field with a non-null value.
func (f *form) has(name string) bool {
	v, ok := f.fields[name]
	return ok && string(v) != "null"
}

// str returns a string field; absent or null is "". Any other type is an
// "invalid" error on that field.
func (f *form) str(name string) string {
	p := f.strPtr(name)
	if p == nil {
		return ""
	}
	return *p
}

// strPtr is str that tells an absent (or null) field apart: it returns nil.
func (f *form) strPtr(name string) *string {
	if !f.has(name) {
		return nil
	}
	var s string
	if err := json.Unmarshal(f.fields[name], &s); err != nil {
		f.errs.Add(name, "invalid", "Expected a string.")
		return nil
	}
	return &s
}

// boolean returns a boolean field; absent or null is false.
func (f *form) boolean(name string) bool {
	if !f.has(name) {
		return false
	}
	var b bool
	if err := json.Unmarshal(f.fields[name], &b); err != nil {
		f.errs.Add(name, "invalid", "Expected true or false.")
	}
	return b
}

// ids returns a list of integer ids, with Django's list errors.
func (f *form) ids(name string) []int64 {
	if !f.has(name) {
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(f.fields[name], &raw); err != nil {
		f.errs.Add(name, "invalid_list", "Enter a list of values.")
		return nil
	}
	ids := make([]int64, 0, len(raw))
	for _, v := range raw {
		id, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			var s string
			if json.Unmarshal(v, &s) == nil {
				if id, err = strconv.ParseInt(s, 10, 64); err == nil {
					ids = append(ids, id)
					continue
				}
			}
			f.errs.Add(name, "invalid_pk_value", fmt.Sprintf("“%s” is not a valid value.", truncate(string(v), 40)))
			return nil
		}
		ids = append(ids, id)
	}
	return ids
}

// err returns the type errors met so far.
func (f *form) err() error { return f.errs.Err() }
