package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
)

// This file holds the helpers every handler uses to read a request and
// write its answer.

// dataEnvelope is the body of a successful answer.
type dataEnvelope struct {
	Data any `json:"data"`
}

// listEnvelope is the body of a list answer; Total ignores limit/offset.
type listEnvelope struct {
	Data  any `json:"data"`
	Total int `json:"total"`
}

// writeJSON writes v as the JSON body with the given status.
func writeJSON(c *gin.Context, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a programming error gets here; answer without the body.
		b = []byte(`{"error":{"code":"internal","message":"Internal error.","requestId":"` + requestIDOf(c) + `"}}`)
		status = http.StatusInternalServerError
	}
	c.Header("Content-Type", "application/json; charset=utf-8")
	c.Status(status)
	_, _ = c.Writer.Write(append(b, '\n'))
}

// ok answers 200 {"data": v}.
func ok(c *gin.Context, v any) { writeJSON(c, http.StatusOK, dataEnvelope{Data: v}) }

// created answers 201 {"data": v}.
func created(c *gin.Context, v any) { writeJSON(c, http.StatusCreated, dataEnvelope{Data: v}) }

// list answers 200 {"data": [...], "total": n}.
func list[T any](c *gin.Context, v []T, total int) {
	writeJSON(c, http.StatusOK, listEnvelope{Data: nonNil(v), Total: total})
}

// nonNil returns an empty slice for nil, so that lists render as [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// user returns the signed-in user (requireUser ran before every handler
// that calls it).
func user(c *gin.Context) *publisher.User {
	return publisher.UserFromContext(c.Request.Context())
}

// pathID returns the :id path parameter, or answers 404 and returns false
// if it cannot be an id.
func (h *handler) pathID(c *gin.Context) (string, bool) {
	id := c.Param("id")
	if !publisher.ValidID(id) {
		h.failCode(c, publisher.ENOTFOUND, "No such object.")
		return "", false
	}
	return id, true
}

// bind decodes the JSON body into dst strictly: unknown fields, trailing
// data, wrong types and bodies over the limit are refused. It answers the
// error itself and returns false when the body is unusable.
func (h *handler) bind(c *gin.Context, dst any) bool {
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errTrailing
			var mbe *http.MaxBytesError
			if errors.As(terr, &mbe) {
				err = terr
			}
		}
	}
	if err != nil {
		h.fail(c, decodeError(err))
		return false
	}
	return true
}

var errTrailing = errors.New("api: data after the JSON value")

// decodeError turns a JSON decoding error into a domain error: 413 for an
// oversized body, 400 "malformed" (naming the field where possible)
// otherwise.
func decodeError(err error) error {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
		pe  *time.ParseError
	)
	switch {
	case errors.As(err, &mbe):
		return tooLarge(mbe.Limit)
	case errors.Is(err, io.EOF):
		return publisher.Errorf(publisher.EMALFORMED, "The request body is empty; send a JSON object.")
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return publisher.WrapError(publisher.EMALFORMED, err, "The request body is not valid JSON.")
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(body)"
		}
		return &publisher.Error{Code: publisher.EMALFORMED, Message: "The request body has a value of the wrong type.", Err: err,
			Fields: []publisher.FieldError{{Field: field, Code: "wrong_type", Message: fmt.Sprintf("Expected %s.", jsonKind(te.Type.Kind().String())),
				Params: map[string]string{"expected": jsonKind(te.Type.Kind().String())}}}}
	case errors.As(err, &pe):
		return publisher.WrapError(publisher.EMALFORMED, err, "A time is not in RFC 3339 form (for example 2026-11-28T04:30:00Z).")
	case errors.Is(err, errTrailing):
		return publisher.Errorf(publisher.EMALFORMED, "The request body has data after the JSON object.")
	}
	if name, found := strings.CutPrefix(err.Error(), "json: unknown field "); found {
		name = strings.Trim(name, `"`)
		return &publisher.Error{Code: publisher.EMALFORMED, Message: fmt.Sprintf("The request has an unknown field %q.", name), Err: err,
			Fields: []publisher.FieldError{{Field: name, Code: "unknown_field", Message: "There is no such field."}}}
	}
	return publisher.WrapError(publisher.EMALFORMED, err, "The request body cannot be read.")
}

// jsonKind names a Go kind as a JSON type.
func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "a number"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice", k == "array":
		return "a list"
	case k == "map", k == "struct":
		return "an object"
	}
	return "another type"
}

// tooLarge is the error of a body over its limit.
func tooLarge(limit int64) error {
	return &publisher.Error{Code: publisher.ETOOLARGE, Message: fmt.Sprintf("The request body is larger than %d bytes.", limit)}
}

// required is the field error of a missing field.
func required(field string) publisher.FieldError {
	return publisher.FieldError{Field: field, Code: "required", Message: "This field is required."}
}
