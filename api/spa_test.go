package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

func TestSPAAndUnknownPaths(t *testing.T) {
	e := newEnv(t)
	index := string(e.ui["index.html"].Data)
	for _, tc := range []struct {
		method, path string
		status       int
		body         string // "" = do not check
		cache        string // "" = do not check
		ctype        string // prefix; "" = do not check
	}{
		{"GET", "/", 200, index, cacheRevalidate, "text/html"},
		{"GET", "/index.html", 200, index, cacheRevalidate, "text/html"},
		{"GET", "/posts/abc123", 200, index, cacheRevalidate, "text/html"},
		{"GET", "/review/queue/", 200, index, cacheRevalidate, "text/html"},
		{"HEAD", "/compose", 200, "", cacheRevalidate, "text/html"},
		{"GET", "/assets/app-3f9a1c.js", 200, "console.log('prasar')", cacheImmutable, "text/javascript"},
		{"GET", "/assets/style-77aa01.css", 200, "body{margin:0}", cacheImmutable, "text/css"},
		{"GET", "/favicon.ico", 200, "", cacheRevalidate, ""},
		{"GET", "/assets/app-000000.js", 404, "", "", "text/plain"},
		{"GET", "/robots.txt", 404, "", "", "text/plain"},
		{"GET", "/assets/../index.html", 200, index, "", ""},
		{"GET", "/assets", 200, index, "", ""}, // a directory is not a file
		{"GET", "/api/v1/nothing-here", 404, "", "no-store", "application/json"},
		{"GET", "/api", 404, "", "", "application/json"},
		{"POST", "/api/v1/posts/abc/publish-now", 404, "", "", "application/json"},
		{"DELETE", "/api/v1/posts", 405, "", "", "application/json"},
		{"PUT", "/api/v1/session", 405, "", "", "application/json"},
		{"POST", "/healthz", 405, "", "", "application/json"},
		{"POST", "/compose", 405, "", "", "application/json"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := e.anon().do(tc.method, tc.path, nil)
			r.want(t, tc.status)
			if tc.body != "" && string(r.body) != tc.body {
				t.Errorf("body = %q, want %q", r.body, tc.body)
			}
			if tc.cache != "" && r.header.Get("Cache-Control") != tc.cache {
				t.Errorf("Cache-Control = %q, want %q", r.header.Get("Cache-Control"), tc.cache)
			}
			if ct := r.header.Get("Content-Type"); tc.ctype != "" && !strings.HasPrefix(ct, tc.ctype) {
				t.Errorf("Content-Type = %q, want %s", ct, tc.ctype)
			}
			if strings.HasPrefix(tc.ctype, "application/json") {
				eb := r.apiError(t)
				if tc.status == 404 && eb.Code != publisher.ENOTFOUND || tc.status == 405 && eb.Code != "method_not_allowed" {
					t.Errorf("error code %q for status %d", eb.Code, tc.status)
				}
			}
			if tc.status == 405 && r.header.Get("Allow") == "" {
				t.Errorf("405 without Allow")
			}
		})
	}
	t.Run("allow lists the route's methods", func(t *testing.T) {
		r := e.anon().do("DELETE", "/api/v1/posts", nil).want(t, 405)
		if a := r.header.Get("Allow"); !strings.Contains(a, "GET") || !strings.Contains(a, "POST") {
			t.Errorf("Allow = %q, want GET and POST", a)
		}
	})
	t.Run("no UI built", func(t *testing.T) {
		h := NewHandler(Config{BaseURL: testBaseURL}, e.svc, nil, nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		if w.Code != 404 {
			t.Errorf("GET / without a UI: %d", w.Code)
		}
	})
}

func TestSecurityHeadersAndRequestID(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(e.editorA)
	paths := []struct{ method, path string }{
		{"GET", "/"}, {"GET", "/assets/app-3f9a1c.js"}, {"GET", "/api/v1/session"}, {"GET", "/api/v1/nope"},
		{"GET", "/healthz"}, {"DELETE", "/api/v1/posts"}, {"GET", "/api/v1/posts/zzz"},
	}
	for _, p := range paths {
		t.Run(p.method+" "+p.path, func(t *testing.T) {
			r := c.do(p.method, p.path, nil)
			for k, want := range map[string]string{
				"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
				"Content-Security-Policy": DefaultCSP,
			} {
				if got := r.header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if !saneRequestID(r.header.Get("X-Request-Id")) {
				t.Errorf("X-Request-Id = %q", r.header.Get("X-Request-Id"))
			}
			if strings.HasPrefix(p.path, "/api/") && r.header.Get("Cache-Control") != "no-store" && r.status != 405 {
				t.Errorf("API answer Cache-Control = %q, want no-store", r.header.Get("Cache-Control"))
			}
		})
	}
	t.Run("request id", func(t *testing.T) {
		for _, tc := range []struct {
			sent string
			echo bool
		}{
			{"abc-123", true},
			{"0f2c7e0a-9a1b-4c2d-8e3f-1234567890ab", true},
			{"trace:span.1_2", true},
			{"has space", false},
			{"<script>", false},
			{strings.Repeat("a", 65), false},
			{"", false},
		} {
			r := c.do("GET", "/api/v1/posts/no-such-post", nil, withHeader("X-Request-Id", tc.sent))
			got := r.header.Get("X-Request-Id")
			if tc.echo && got != tc.sent || !tc.echo && (got == tc.sent || !saneRequestID(got)) {
				t.Errorf("sent %q, got %q (echo %v)", tc.sent, got, tc.echo)
			}
			if eb := r.apiError(t); eb.RequestID != got {
				t.Errorf("error body requestId %q, header %q", eb.RequestID, got)
			}
		}
	})
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	e.anon().do("GET", "/healthz", nil).want(t, 200)

	r := e.anon().do("GET", "/readyz", nil).want(t, 200)
	var a readyAnswer
	json.Unmarshal(r.body, &a)
	if a.Status != "ok" || a.Checks["store"] != "ok" {
		t.Errorf("readyz = %s", r.body)
	}

	failing := errors.New("dial tcp 10.0.0.7:6379: connection refused")
	h := NewHandler(Config{BaseURL: testBaseURL, ReadyTimeout: 100 * time.Millisecond, ReadyChecks: map[string]func(context.Context) error{
		"store": e.svc.Ping,
		"queue": func(context.Context) error { return failing },
		"slow":  func(ctx context.Context) error { time.Sleep(2 * time.Second); return nil },
	}}, e.svc, nil, nil)
	w := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
	if time.Since(start) > time.Second {
		t.Errorf("readyz waited %s for a hanging check", time.Since(start))
	}
	a = readyAnswer{}
	json.Unmarshal(w.Body.Bytes(), &a)
	if w.Code != 503 || a.Status != "unavailable" || a.Checks["store"] != "ok" || a.Checks["queue"] != "unavailable" || a.Checks["slow"] != "unavailable" {
		t.Errorf("readyz with failing checks = %d %s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "10.0.0.7") {
		t.Errorf("readyz shows the failure's details to anyone: %s", w.Body)
	}
}

func TestInternalErrors(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(e.editorA)
	p := c.createPost(postInput(e.orgA.ID, e.xA.ID))
	// Break the store under the running service.
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	r := c.do("GET", "/api/v1/posts/"+p.ID+"/revisions", nil)
	eb := r.wantError(t, http.StatusInternalServerError, publisher.EINTERNAL)
	if eb.Message != "Internal error." || len(eb.Fields) != 0 {
		t.Errorf("internal error shown as %+v", eb)
	}
	if strings.Contains(string(r.body), "closed") || strings.Contains(string(r.body), "sql") {
		t.Errorf("the error's cause leaked: %s", r.body)
	}
	// The log has the cause, with the request id the user can quote.
	var logged bool
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(line, `"msg":"internal error"`) && strings.Contains(line, `"request_id":"`+eb.RequestID+`"`) && strings.Contains(line, "sqlitestore:") && strings.Contains(line, "closed") {
			logged = true
		}
	}
	if !logged {
		t.Errorf("no log line with the request id %s and the cause in:\n%s", eb.RequestID, e.logs.String())
	}
}
