package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
)

// statuses is THE table from domain error codes to HTTP statuses
// (docs/api.md). Codes not in it are answered as internal errors.
var statuses = map[string]int{
	publisher.EINVALID:      http.StatusUnprocessableEntity,
	publisher.EMALFORMED:    http.StatusBadRequest,
	publisher.ENOTFOUND:     http.StatusNotFound,
	publisher.ECONFLICT:     http.StatusConflict,
	publisher.EUNAUTHORIZED: http.StatusUnauthorized,
	publisher.EFORBIDDEN:    http.StatusForbidden,
	publisher.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	publisher.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	publisher.EUNAVAILABLE:  http.StatusServiceUnavailable,
	publisher.EINTERNAL:     http.StatusInternalServerError,
}

// errorStatus returns the HTTP status of a domain error code.
func errorStatus(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// errorEnvelope is the JSON body of every error answer.
type errorEnvelope struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code      string                 `json:"code"`
	Message   string                 `json:"message"`
	Fields    []publisher.FieldError `json:"fields,omitempty"`
	RequestID string                 `json:"requestId"`
}

// fail answers err with its status and the error envelope, and stops the
// handler chain. Internal errors are logged with the request id and their
// cause and shown only as "Internal error.".
func (h *handler) fail(c *gin.Context, err error) {
	code := publisher.ErrorCode(err)
	if _, known := statuses[code]; !known {
		code = publisher.EINTERNAL
	}
	rid := requestIDOf(c)
	body := errorBody{Code: code, Message: publisher.ErrorMessage(err), RequestID: rid}
	if code == publisher.EINTERNAL {
		body.Message = "Internal error."
		ctx := c.Request.Context()
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			h.log.InfoContext(ctx, "request canceled by the client", slog.String("request_id", rid), slog.String("path", c.Request.URL.Path))
		} else {
			h.log.ErrorContext(ctx, "internal error", slog.String("request_id", rid), slog.String("method", c.Request.Method),
				slog.String("path", c.Request.URL.Path), slog.Any("err", err))
		}
	} else {
		body.Fields = publisher.ErrorFields(err)
	}
	c.Abort()
	writeJSON(c, errorStatus(code), errorEnvelope{Error: body})
}

// failCode answers with a new domain error of the given code.
func (h *handler) failCode(c *gin.Context, code, msg string, fields ...publisher.FieldError) {
	h.fail(c, &publisher.Error{Code: code, Message: msg, Fields: fields})
}
