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
// following platform-apis.md §1.5 and §2.5. The shared tables cover
// Facebook, Instagram and Threads; a connector may override or extend them
// through Codes and Subcodes. Precedence: Subcodes, Codes, the shared
// subcode table, the shared code table, then the HTTP status.
//
// Permission errors (codes 3, 10, 200–299) are auth errors: the account
// must be reconnected with the missing permission (or a Page role that
// allows posting), so the delivery waits for that instead of failing; their
// message says so (PermissionAdvice).
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

// graphClass is the shared table of Graph error codes (platform-apis.md
// §1.5, and §2.5 for the codes Instagram and Threads add).
func graphClass(code int) (publisher.ErrorClass, bool) {
	switch {
	case code == 1 || code == 2 || code == -1 || code == -2:
		// -1, -2: Instagram's server error and media download timeout.
		return publisher.ClassRetryable, true
	case code == 4 || code == 17 || code == 32 || code == 613 || code == 80001 || code == 80002 || code == 341:
		// 80002: the Instagram business-use-case limit.
		return publisher.ClassRateLimited, true
	case code == 9:
		// Instagram (9/2207042): the account's API posts per rolling 24 h.
		return publisher.ClassRateLimited, true
	case code == 102 || code == 190 || code == 104: // 104: no access token was sent
		return publisher.ClassAuth, true
	case isPermissionCode(code):
		return publisher.ClassAuth, true
	case code == 9004 || code == 9007:
		// Instagram: the media could not be fetched (often an expired or
		// briefly unreachable URL; the next attempt sends a fresh one), or
		// the container is not ready yet.
		return publisher.ClassRetryable, true
	case code == 100 || code == 368 || code == 506 || code == 1609005:
		return publisher.ClassRejected, true
	case code >= 36000 && code <= 36009:
		// Instagram: the image is too large, of the wrong format or ratio.
		return publisher.ClassRejected, true
	case code == 24 || code == 25:
		// Instagram: no such container or media; the account is inactive.
		return publisher.ClassRejected, true
	}
	return "", false
}

// isPermissionCode reports whether code is a Graph permission error: 10
// (permission denied), 200–299 (one per permission) or 3 (the app lacks a
// capability). Retrying does not help; reconnecting the account and
// granting the permission (or fixing the app) does.
func isPermissionCode(code int) bool {
	return code == 3 || code == 10 || (code >= 200 && code <= 299)
}

// GraphSubcodeClass is the shared table of error subcodes that decide the
// class on their own, whatever the code: Instagram's 2207xxx
// (platform-apis.md §2.5 and Meta's "Error Codes" reference). Connectors
// also use it for the subcode in a failed media container's status.
func GraphSubcodeClass(subcode int) (publisher.ErrorClass, bool) {
	switch subcode {
	case 2207001, // Instagram server error
		2207003, // the media took too long to download
		2207020, // the container expired: make a new one
		2207027, // the media is not ready for publishing yet
		2207032, // creating the media failed: make a new container
		2207052, // the media could not be fetched from the URL
		2207053: // unknown upload error: make a new container
		return publisher.ClassRetryable, true
	case 2207042: // the maximum number of posts a day was reached
		return publisher.ClassRateLimited, true
	case 2207004, // image too large
		2207005, // image format not supported
		2207009, // aspect ratio not supported
		2207051: // activity restricted as suspected spam: a person must look
		return publisher.ClassRejected, true
	}
	return "", false
}

// PermissionAdvice is appended to the message of Graph permission errors
// (codes 3, 10, 200–299).
const PermissionAdvice = "The account must be reconnected with the permissions Prasar asks for (a Page role that allows posting, and every permission in the consent dialog)."

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
	if !known && ge.Subcode != 0 {
		class, known = GraphSubcodeClass(ge.Subcode)
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
	// 506: "Duplicate status message" — the same text is already on the Page.
	pe.Duplicate = ge.Code == 506
	if class == publisher.ClassAuth && isPermissionCode(ge.Code) {
		pe.Message += " — " + PermissionAdvice
	}
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
