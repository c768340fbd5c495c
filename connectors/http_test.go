package connectors_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

func TestNewHTTPClient(t *testing.T) {
	c := connectors.NewHTTPClient(connectors.HTTPConfig{Timeout: 7 * time.Second, ResponseHeaderTimeout: 3 * time.Second})
	tr := c.Transport.(*http.Transport)
	if c.Timeout != 7*time.Second || tr.ResponseHeaderTimeout != 3*time.Second || tr.TLSHandshakeTimeout != 10*time.Second || tr.Proxy == nil {
		t.Errorf("client: timeout %s, header %s, tls %s", c.Timeout, tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout)
	}
	if c.CheckRedirect != nil {
		t.Error("unexpected redirect policy")
	}
}

// closedAddr returns an address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func platformError(t *testing.T, err error) *publisher.PlatformError {
	t.Helper()
	var pe *publisher.PlatformError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want a *publisher.PlatformError", err, err)
	}
	return pe
}

func TestDoTransportFailures(t *testing.T) {
	// The server reads the request, then misbehaves in the way each case says.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // the request is in; from now on the server could act on it
		switch r.URL.Path {
		case "/drop":
			conn, _, _ := http.NewResponseController(w).Hijack()
			conn.Close()
		case "/slow":
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		case "/short":
			w.Header().Set("Content-Length", "100")
			w.Write([]byte(`{"id":`))
			conn, _, _ := http.NewResponseController(w).Hijack()
			conn.Close()
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2048)))
		}
	}))
	defer srv.Close()
	dnsClient := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "graph.example", IsNotFound: true}}
	}}}
	fast := connectors.NewHTTPClient(connectors.HTTPConfig{Timeout: 300 * time.Millisecond})
	std := connectors.NewHTTPClient(connectors.HTTPConfig{})
	cases := []struct {
		name      string
		client    *http.Client
		method    string
		url       string
		ambiguous bool
		reason    string
	}{
		{"connection refused", std, "POST", "http://" + closedAddr(t) + "/feed?access_token=SECRET", false, "connection refused"},
		{"DNS failure", dnsClient, "POST", "http://graph.example/feed", false, "could not be resolved"},
		{"dropped after the request was written", std, "POST", srv.URL + "/drop", true, "closed without an answer"},
		{"timeout after the server accepted", fast, "POST", srv.URL + "/slow?access_token=SECRET", true, "timed out"},
		{"connection lost while reading the body", std, "POST", srv.URL + "/short", true, "closed without an answer"},
		{"answer too large", std, "POST", srv.URL + "/big", true, "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, c.url, strings.NewReader("message=hi"))
			resp, err := connectors.Do(c.client, req, 1024)
			if err == nil {
				t.Fatalf("no error; got %+v", resp)
			}
			pe := platformError(t, err)
			if pe.Class != publisher.ClassRetryable || pe.Ambiguous != c.ambiguous || !strings.Contains(pe.Message, c.reason) {
				t.Errorf("got %s ambiguous=%v %q; want retryable ambiguous=%v containing %q", pe.Class, pe.Ambiguous, pe.Message, c.ambiguous, c.reason)
			}
			if strings.Contains(pe.Error(), "SECRET") {
				t.Errorf("the token leaked into the error: %s", pe.Error())
			}
		})
	}
}

func TestDoReturnsAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Test", "yes")
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte("body"))
	}))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	resp, err := connectors.Do(srv.Client(), req, 0)
	if err != nil || resp.StatusCode != http.StatusTeapot || string(resp.Body) != "body" || resp.Header.Get("X-Test") != "yes" || resp.OK() {
		t.Errorf("got %+v, %v", resp, err)
	}
}

func TestStatusError(t *testing.T) {
	now := time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		status    int
		header    http.Header
		body      string
		class     publisher.ErrorClass
		ambiguous bool
		retryAt   time.Time
		message   string
	}{
		{429, http.Header{"Retry-After": {"120"}}, "", publisher.ClassRateLimited, false, now.Add(2 * time.Minute), "HTTP 429"},
		{429, http.Header{"Retry-After": {now.Add(time.Hour).Format(http.TimeFormat)}}, "", publisher.ClassRateLimited, false, now.Add(time.Hour), ""},
		{429, nil, "", publisher.ClassRateLimited, false, now.Add(5 * time.Minute), ""},
		{500, nil, "", publisher.ClassRetryable, true, time.Time{}, "HTTP 500 Internal Server Error"},
		{503, http.Header{"Content-Type": {"text/plain"}}, "down for maintenance", publisher.ClassRetryable, true, time.Time{}, "HTTP 503: down for maintenance"},
		{502, http.Header{"Content-Type": {"text/html"}}, "<html>bad gateway</html>", publisher.ClassRetryable, true, time.Time{}, "HTTP 502 Bad Gateway"},
		{408, nil, "", publisher.ClassRetryable, false, time.Time{}, ""},
		{401, nil, "", publisher.ClassAuth, false, time.Time{}, ""},
		{403, http.Header{"Content-Type": {"application/json"}}, `{"detail":"duplicate content"}`, publisher.ClassRejected, false, time.Time{}, "duplicate content"},
		{422, nil, "", publisher.ClassRejected, false, time.Time{}, ""},
	}
	for _, c := range cases {
		if c.header == nil {
			c.header = http.Header{}
		}
		pe := connectors.StatusError(&connectors.Response{StatusCode: c.status, Header: c.header, Body: []byte(c.body)}, now, 5*time.Minute)
		if pe.Class != c.class || pe.Ambiguous != c.ambiguous || !pe.RetryAt.Equal(c.retryAt) || !strings.Contains(pe.Message, c.message) {
			t.Errorf("%d %v: got %s ambiguous=%v retry %s %q", c.status, c.header, pe.Class, pe.Ambiguous, pe.RetryAt, pe.Message)
		}
	}
}
