package connectors

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/prasar/prasar/publisher"
)

// GraphError is Meta's Graph API error envelope (Facebook, Instagram,
// Threads): {"error":{"message","type","code","error_subcode",
// "error_user_title","error_user_msg","is_transient","fbtrace_id"}}.
type GraphError struct {
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode"`
	UserTitle   string `json:"error_user_title"`
	UserMsg     string `json:"error_user_msg"`
	IsTransient bool   `json:"is_transient"`
	TraceID     string `json:"fbtrace_id"`
}

func (e *GraphError) Error() string {
	return fmt.Sprintf("graph error %s: %s (type %s, fbtrace_id %s)", e.CodeString(), e.Message, e.Type, e.TraceID)
}

// CodeString is "code" or "code/subcode", as kept in PlatformError.Code.
func (e *GraphError) CodeString() string {
	if e.Subcode != 0 {
		return strconv.Itoa(e.Code) + "/" + strconv.Itoa(e.Subcode)
	}
	return strconv.Itoa(e.Code)
}

// ParseGraphError reads a Graph error envelope from body; ok is false when
// body is not one.
func ParseGraphError(body []byte) (e *GraphError, ok bool) {
	var env struct {
		Error *GraphError `json:"error"`
	}
	if json.Unmarshal(body, &env) != nil || env.Error == nil || (env.Error.Code == 0 && env.Error.Message == "") {
		return nil, false
	}
	return env.Error, true
}

// GraphClassifier turns Graph API error answers into *publisher.PlatformError
// following platform-apis.md §1.5. Platforms of the Graph family use it as
// is and add their own codes through Codes and Subcodes (Instagram's 9 and
// 2207042, for example).
type GraphClassifier struct {
	// DefaultBackoff is how long a rate limit lasts when the answer's usage
	// headers do not say (zero: 15 minutes).
	DefaultBackoff time.Duration
	// Codes and Subcodes override or extend the table below; a subcode
	// entry wins over a code entry.
	Codes    map[int]publisher.ErrorClass
	Subcodes map[int]publisher.ErrorClass
	// Now is the clock for reset times (nil: time.Now).
	Now func() time.Time
}

// graphClass is the shared table of Graph error codes.
func graphClass(code int) (publisher.ErrorClass, bool) {
	switch {
	case code == 1 || code == 2:
		return publisher.ClassRetryable, true
	case code == 4 || code == 17 || code == 32 || code == 613 || code == 80001 || code == 341:
		return publisher.ClassRateLimited, true
	case code == 102 || code == 190 || code == 104: // 104: no access token was sent
		return publisher.ClassAuth, true
	case code == 3 || code == 10 || (code >= 200 && code <= 299):
		return publisher.ClassRejected, true // permission: fix the app or re-consent; retrying will not help
	case code == 100 || code == 368 || code == 506 || code == 1609005:
		return publisher.ClassRejected, true
	}
	return "", false
}

// Classify turns a non-2xx answer (or a 2xx one carrying an error envelope)
// into a *publisher.PlatformError. Message is the platform's message, with
// error_user_msg appended when the platform gave one; Code is "code" or
// "code/subcode"; Err is the *GraphError. Answers without an envelope fall
// back to StatusError. Retryable errors, and any answer with a 5xx status,
// are ambiguous: the platform may have acted before failing.
func (g GraphClassifier) Classify(resp *Response) *publisher.PlatformError {
	now := time.Now()
	if g.Now != nil {
		now = g.Now()
	}
	backoff := g.DefaultBackoff
	if backoff <= 0 {
		backoff = 15 * time.Minute
	}
	ge, ok := ParseGraphError(resp.Body)
	if !ok {
		return StatusError(resp, now, backoff)
	}
	pe := &publisher.PlatformError{Message: ge.Message, Code: ge.CodeString(), Err: ge}
	if ge.UserMsg != "" && ge.UserMsg != ge.Message {
		pe.Message += " — " + ge.UserMsg
	}
	class, known := g.Subcodes[ge.Subcode]
	if !known || ge.Subcode == 0 {
		class, known = g.Codes[ge.Code]
	}
	if !known {
		class, known = graphClass(ge.Code)
	}
	switch {
	case known && class == publisher.ClassRateLimited:
		// A rate limit is never transient in the retry-now sense, whatever
		// is_transient says.
	case ge.IsTransient:
		class = publisher.ClassRetryable
	case !known:
		// An unknown code: fall back on the status.
		class = StatusError(resp, now, backoff).Class
	}
	pe.Class = class
	switch class {
	case publisher.ClassRateLimited:
		d, ok := GraphUsageReset(resp.Header)
		if !ok {
			d = backoff
		}
		pe.RetryAt = now.Add(d)
	case publisher.ClassRetryable:
		pe.Ambiguous = true
	}
	if resp.StatusCode >= 500 {
		pe.Ambiguous = true
	}
	return pe
}

// GraphUsageReset reads how long until a rate limit lifts from Meta's usage
// headers: the largest estimated_time_to_regain_access (minutes) in
// X-Business-Use-Case-Usage (every business object and type), X-Page-Usage
// or X-App-Usage. ok is false when no header gives a positive time.
func GraphUsageReset(h http.Header) (d time.Duration, ok bool) {
	minutes := -1.0
	take := func(m map[string]any) {
		if v, found := m["estimated_time_to_regain_access"].(float64); found && v > minutes {
			minutes = v
		}
	}
	if v := h.Get("X-Business-Use-Case-Usage"); v != "" {
		var buc map[string][]map[string]any
		if json.Unmarshal([]byte(v), &buc) == nil {
			for _, entries := range buc {
				for _, e := range entries {
					take(e)
				}
			}
		}
	}
	for _, name := range []string{"X-Page-Usage", "X-App-Usage"} {
		if v := h.Get(name); v != "" {
			var m map[string]any
			if json.Unmarshal([]byte(v), &m) == nil {
				take(m)
			}
		}
	}
	if minutes <= 0 {
		return 0, false
	}
	return time.Duration(math.Ceil(minutes * float64(time.Minute))), true
}
