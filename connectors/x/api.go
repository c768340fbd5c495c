package x

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

// send makes one API call and returns the answer of any status; only a
// failure to get an answer is an error (classified by connectors.Do). The
// token goes in the Authorization header.
func (c *Connector) send(ctx context.Context, method, path string, query url.Values, tok, contentType string, body []byte) (*connectors.Response, error) {
	u := c.cfg.APIURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, &publisher.PlatformError{Class: publisher.ClassRejected, Message: "Prasar could not build the X request.", Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	start := time.Now()
	resp, err := connectors.Do(c.cfg.HTTPClient, req, c.cfg.MaxResponseBytes)
	attrs := []any{"method", method, "path", path, "duration_ms", time.Since(start).Milliseconds()}
	if resp != nil {
		attrs = append(attrs, "status", resp.StatusCode)
		if v := resp.Header.Get("x-rate-limit-remaining"); v != "" {
			attrs = append(attrs, "rate_limit_remaining", v)
		}
	} else {
		attrs = append(attrs, "status", 0)
	}
	c.cfg.Logger.DebugContext(ctx, "x: api call", attrs...)
	return resp, err
}

// call makes one API call, classifies a non-2xx answer and decodes a
// successful one into out (if not nil).
func (c *Connector) call(ctx context.Context, method, path string, query url.Values, tok, contentType string, body []byte, out any) error {
	resp, err := c.send(ctx, method, path, query, tok, contentType, body)
	if err != nil {
		return err
	}
	if !resp.OK() {
		return c.classify(resp)
	}
	return c.decode(resp, method, out)
}

// decode reads a successful answer into out; an unreadable answer is
// retryable, and ambiguous unless the call was a read.
func (c *Connector) decode(resp *connectors.Response, method string, out any) error {
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: method != http.MethodGet,
			Message: fmt.Sprintf("X's answer (HTTP %d) could not be read.", resp.StatusCode), Err: err}
	}
	return nil
}

// problem is X's error answer: an RFC 7807 problem object (v2), possibly
// with errors[], or the older {"errors":[{"code","message"}]} shape.
type problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Detail string         `json:"detail"`
	Status int            `json:"status"`
	Reason string         `json:"reason"` // client-forbidden
	Period string         `json:"period"` // usage-capped: Daily, Monthly
	Scope  string         `json:"scope"`  // usage-capped: Account, Product
	Errors []problemEntry `json:"errors"`
}

// problemEntry is one entry of errors[]: a partial error of a 200 answer
// or a detail of an invalid request.
type problemEntry struct {
	Type         string              `json:"type"`
	Title        string              `json:"title"`
	Detail       string              `json:"detail"`
	Message      string              `json:"message"`
	Code         int                 `json:"code"`
	Parameter    string              `json:"parameter"`
	Field        string              `json:"field"`
	ResourceType string              `json:"resource_type"`
	ResourceID   string              `json:"resource_id"`
	Value        any                 `json:"value"`
	Parameters   map[string][]string `json:"parameters"`
}

// text is the entry's own words.
func (e problemEntry) text() string {
	switch {
	case e.Detail != "":
		return e.Detail
	case e.Message != "":
		return e.Message
	}
	return e.Title
}

// kind is the last segment of a problem type URI ("invalid-request"), or
// "" for about:blank and empty types. X roots them at
// https://api.twitter.com/2/problems/ (the docs write api.x.com).
func kind(typ string) string {
	if typ == "" || typ == "about:blank" {
		return ""
	}
	return typ[strings.LastIndex(typ, "/")+1:]
}

func parseProblem(body []byte) problem {
	var p problem
	json.Unmarshal(body, &p)
	return p
}

// message is the problem in X's words: the detail (or title) and the
// messages of errors[], for the user.
func (p problem) message() string {
	var parts []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	if p.Detail != "" {
		add(p.Detail)
	} else {
		add(p.Title)
	}
	for _, e := range p.Errors {
		add(e.text())
	}
	return strings.Join(parts, " ")
}

// classify turns a non-2xx answer into a *publisher.PlatformError, by the
// status and the headers first, then by the problem type (platform-apis.md
// §3.5–3.6):
//   - 429 (and a usage-capped problem of any status): rate-limited until the
//     latest exhausted limit resets (see retryAt);
//   - 401: auth;
//   - 403 unsupported-authentication: auth, because the token is of a kind
//     this endpoint does not take (an app-only token, say) and connecting
//     the account again issues a user-context one;
//   - 403 client-forbidden: rejected, because the app itself is not allowed
//     (not attached to a project, not enrolled): an administrator must fix
//     the app in X's developer portal, and reconnecting accounts would not
//     help;
//   - other 403 (duplicate content, a reply or quote not allowed, no
//     permission) and 400 invalid-request: rejected with X's own words;
//   - 5xx, 408 and anything else: as connectors.StatusError (5xx retryable
//     and ambiguous).
func (c *Connector) classify(resp *connectors.Response) *publisher.PlatformError {
	now := c.cfg.Now()
	p := parseProblem(resp.Body)
	k := kind(p.Type)
	msg := p.message()
	pe := connectors.StatusError(resp, now, c.cfg.RateLimitBackoff)
	if k != "" {
		pe.Code = strconv.Itoa(resp.StatusCode) + "/" + k
	}
	if msg != "" {
		pe.Message = msg
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || k == "usage-capped":
		pe.Class, pe.Ambiguous = publisher.ClassRateLimited, false
		pe.RetryAt = c.retryAt(resp.Header, p, now)
	case resp.StatusCode == http.StatusUnauthorized || k == "unsupported-authentication":
		pe.Class = publisher.ClassAuth
	case resp.StatusCode == http.StatusForbidden && strings.Contains(strings.ToLower(msg), "duplicate"):
		// "You are not allowed to create a Tweet with duplicate content."
		pe.Class, pe.Duplicate = publisher.ClassRejected, true
	case k == "client-forbidden":
		pe.Class = publisher.ClassRejected
		if p.Reason != "" {
			pe.Message += " (" + p.Reason + ")"
		}
		pe.Message += " The X app is not allowed to use this endpoint; an administrator must fix it in X's developer portal."
	}
	return pe
}

// retryAt is when a rate limit ends: the latest reset among the limits the
// headers say are exhausted (x-rate-limit-*, x-user-limit-24hour-*,
// x-app-limit-24hour-*, and Retry-After); for a usage cap without such
// headers, the start of the next UTC day or month its period names, else
// now+UsageCapBackoff; otherwise the 15-minute window's reset if given,
// else now+RateLimitBackoff.
func (c *Connector) retryAt(h http.Header, p problem, now time.Time) time.Time {
	var at time.Time
	later := func(t time.Time) {
		if t.After(at) {
			at = t
		}
	}
	reset := func(prefix string) (time.Time, bool, bool) {
		v := strings.TrimSpace(h.Get(prefix + "-reset"))
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return time.Time{}, false, false
		}
		return time.Unix(n, 0), true, strings.TrimSpace(h.Get(prefix+"-remaining")) == "0"
	}
	window, hasWindow, windowOut := reset("x-rate-limit")
	if windowOut {
		later(window)
	}
	for _, prefix := range []string{"x-user-limit-24hour", "x-app-limit-24hour"} {
		if t, ok, out := reset(prefix); ok && out {
			later(t)
		}
	}
	if d, ok := connectors.RetryAfter(h, now); ok {
		later(now.Add(d))
	}
	if !at.IsZero() {
		return at
	}
	if kind(p.Type) == "usage-capped" {
		day := now.UTC().Truncate(24 * time.Hour)
		switch strings.ToLower(p.Period) {
		case "daily":
			return day.Add(24 * time.Hour)
		case "monthly":
			return time.Date(day.Year(), day.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		}
		return now.Add(c.cfg.UsageCapBackoff)
	}
	if hasWindow && window.After(now) {
		return window
	}
	return now.Add(c.cfg.RateLimitBackoff)
}
