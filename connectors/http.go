package connectors

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/prasar/prasar/publisher"
)

// HTTPConfig sets the timeouts of a connector's HTTP client. Zero fields
// take the defaults given on each.
type HTTPConfig struct {
	// DialTimeout bounds opening a TCP connection (default 10s).
	DialTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake (default 10s).
	TLSHandshakeTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for the answer's headers once
	// the request is written (default 60s: photo uploads take a while).
	ResponseHeaderTimeout time.Duration
	// Timeout bounds one whole call, body included (default 120s).
	Timeout time.Duration
	// IdleConnTimeout is how long an idle keep-alive connection is kept
	// (default 90s).
	IdleConnTimeout time.Duration
	// MaxIdleConnsPerHost caps kept-alive connections per host (default 16).
	MaxIdleConnsPerHost int
}

func (c HTTPConfig) withDefaults() HTTPConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.DialTimeout, 10*time.Second)
	def(&c.TLSHandshakeTimeout, 10*time.Second)
	def(&c.ResponseHeaderTimeout, 60*time.Second)
	def(&c.Timeout, 120*time.Second)
	def(&c.IdleConnTimeout, 90*time.Second)
	if c.MaxIdleConnsPerHost <= 0 {
		c.MaxIdleConnsPerHost = 16
	}
	return c
}

// NewHTTPClient returns a client with the given timeouts that honours the
// usual proxy environment variables. It never retries on its own: whether
// and when to try again is the domain's decision (publisher.Service.Deliver).
func NewHTTPClient(c HTTPConfig) *http.Client {
	c = c.withDefaults()
	dialer := &net.Dialer{Timeout: c.DialTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   c.TLSHandshakeTimeout,
		ResponseHeaderTimeout: c.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       c.IdleConnTimeout,
		MaxIdleConnsPerHost:   c.MaxIdleConnsPerHost,
	}
	return &http.Client{Transport: tr, Timeout: c.Timeout}
}

// DefaultMaxBody is the largest answer Do reads when given no limit.
const DefaultMaxBody = 4 << 20

// Response is a platform's answer, read in full.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// OK reports whether the status is 2xx.
func (r *Response) OK() bool { return r.StatusCode >= 200 && r.StatusCode < 300 }

// Do sends req with client and reads the whole answer, at most maxBody
// bytes (0: DefaultMaxBody). A failure to get an answer is returned as a
// *publisher.PlatformError classified by TransportError; an answer of any
// status is returned as a Response for the platform's own classifier.
//
// Do records whether a connection was obtained for the request: until then
// nothing can have reached the platform, so such failures (DNS, connection
// refused, TLS, connect timeouts) are not ambiguous. Anything after that is
// treated as possibly acted upon.
func Do(client *http.Client, req *http.Request, maxBody int64) (*Response, error) {
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	var gotConn atomic.Bool
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { gotConn.Store(true) }}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	resp, err := client.Do(req)
	if err != nil {
		return nil, TransportError(redact(err), gotConn.Load())
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, TransportError(redact(err), true)
	}
	if int64(len(body)) > maxBody {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: true,
			Message: fmt.Sprintf("The platform's answer (HTTP %d) was larger than %d bytes and was not read.", resp.StatusCode, maxBody)}
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// TransportError classifies a failure to get an answer. sent says whether
// the request may have reached the platform; pass true when in doubt. Every
// transport failure is retryable; it is ambiguous (the platform may have
// acted) unless the request certainly never left.
func TransportError(err error, sent bool) *publisher.PlatformError {
	reason := transportReason(err)
	if !sent {
		return &publisher.PlatformError{Class: publisher.ClassRetryable, Err: err,
			Message: "The platform could not be reached (" + reason + "); nothing was sent."}
	}
	return &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: true, Err: err,
		Message: "The connection failed after the request was sent (" + reason + "); the platform may have acted on it."}
}

// transportReason names a transport failure in a few words.
func transportReason(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.As(err, &dnsErr):
		return "the host name could not be resolved"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &certErr), errors.As(err, &recErr):
		return "TLS failure"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timed out"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "the connection was closed without an answer"
	}
	return "network error"
}

// redact removes the query from the URL inside a *url.Error, so that a
// token carried in a query string never reaches a log or a stored message.
func redact(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	u, perr := url.Parse(ue.URL)
	if perr != nil {
		return &url.Error{Op: ue.Op, URL: "(unparsable URL)", Err: ue.Err}
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
}

// StatusError classifies a non-2xx answer by its HTTP status alone, for
// status-driven platforms and as the fallback for answers without a known
// error envelope:
//   - 429 → rate-limited until Retry-After (seconds or an HTTP date), else
//     now+defaultBackoff;
//   - 5xx → retryable and ambiguous (the platform may have acted);
//   - 408 → retryable (the platform did not get the whole request);
//   - 401 → auth;
//   - any other status → rejected.
func StatusError(resp *Response, now time.Time, defaultBackoff time.Duration) *publisher.PlatformError {
	pe := &publisher.PlatformError{Code: strconv.Itoa(resp.StatusCode), Message: BodySnippet(resp)}
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests:
		pe.Class = publisher.ClassRateLimited
		pe.RetryAt = now.Add(defaultBackoff)
		if d, ok := RetryAfter(resp.Header, now); ok {
			pe.RetryAt = now.Add(d)
		}
	case s >= 500:
		pe.Class, pe.Ambiguous = publisher.ClassRetryable, true
	case s == http.StatusRequestTimeout:
		pe.Class = publisher.ClassRetryable
	case s == http.StatusUnauthorized:
		pe.Class = publisher.ClassAuth
	default:
		pe.Class = publisher.ClassRejected
	}
	return pe
}

// RetryAfter reads a Retry-After header (delay-seconds or an HTTP date).
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}

// BodySnippet is a short, printable description of an answer for a user:
// the start of a text body, or the status text for anything else.
func BodySnippet(resp *Response) string {
	const max = 300
	ct := resp.Header.Get("Content-Type")
	text := strings.HasPrefix(ct, "text/plain") || strings.Contains(ct, "json")
	b := strings.TrimSpace(string(resp.Body))
	if !text || b == "" || !utf8.ValidString(b) {
		return fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	if len(b) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(b[cut]) {
			cut--
		}
		b = b[:cut] + "…"
	}
	return fmt.Sprintf("HTTP %d: %s", resp.StatusCode, b)
}
