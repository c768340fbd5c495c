package publisher

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. Adapters map each code to a transport status in one place.
const (
	EINVALID      = "invalid"      // the request is well-formed but breaks a rule; see Fields
	EMALFORMED    = "malformed"    // the request cannot be read (bad JSON, bad id)
	ENOTFOUND     = "not_found"    // no such object, or not visible to the caller
	ECONFLICT     = "conflict"     // the object changed or already exists
	EUNAUTHORIZED = "unauthorized" // not signed in, or the session expired
	EFORBIDDEN    = "forbidden"    // signed in, but the role does not allow it
	ETOOLARGE     = "too_large"    // an upload or body over its limit
	EUNSUPPORTED  = "unsupported"  // an unsupported media type
	EUNAVAILABLE  = "unavailable"  // a dependency is down, or publishing is paused
	EINTERNAL     = "internal"     // a bug or an unexpected failure; details are logged, not shown
)

// FieldError explains what is wrong with one input field. Code is stable and
// machine-readable (the UI translates it); Params carry the figures the
// message needs (for example "limit" and "count"); Message is English.
type FieldError struct {
	Field   string            `json:"field"`
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Params  map[string]string `json:"params,omitempty"`
}

// Error is the one error type of the domain.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	Err     error // the cause, if any; never shown to users
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Code)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error with the given code, message and cause.
func WrapError(code string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of err, EINTERNAL for errors not of this
// package, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err; internal errors get a
// generic message so that details never leak.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "Internal error."
}

// ErrorFields returns the field errors carried by err, if any.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }

// fieldErrors collects field errors while validating input.
type fieldErrors []FieldError

func (fe *fieldErrors) add(field, code, msg string, params ...string) {
	f := FieldError{Field: field, Code: code, Message: msg}
	if len(params) > 0 {
		f.Params = map[string]string{}
		for i := 0; i+1 < len(params); i += 2 {
			f.Params[params[i]] = params[i+1]
		}
	}
	*fe = append(*fe, f)
}

// err returns an EINVALID *Error listing the collected fields, or nil.
func (fe fieldErrors) err(msg string) error {
	if len(fe) == 0 {
		return nil
	}
	out := append([]FieldError(nil), fe...)
	return &Error{Code: EINVALID, Message: msg, Fields: out}
}
