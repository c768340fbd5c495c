package api

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
)

func TestQueryDates(t *testing.T) {
	for _, tc := range []struct {
		value        string
		inclusiveEnd bool
		want         string // RFC 3339 UTC; "" = a field error
	}{
		{"2026-11-28", false, "2026-11-27T18:30:00Z"},
		{"2026-11-28", true, "2026-11-28T18:30:00Z"},
		{"2026-12-31", true, "2026-12-31T18:30:00Z"},
		{"2024-02-29", true, "2024-02-29T18:30:00Z"},
		{"2026-02-29", false, ""},
		{"2026-11-28T00:00:00Z", false, ""},
		{"28/11/2026", false, ""},
	} {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest("GET", "/?d="+tc.value, nil)
		q := newQuery(c)
		got := q.date("d", tc.inclusiveEnd)
		if tc.want == "" {
			if q.err() == nil || q.fields[0].Field != "d" || q.fields[0].Code != "invalid_date" {
				t.Errorf("date(%q) = %v, want a field error", tc.value, got)
			}
			continue
		}
		if q.err() != nil || got.Format(time.RFC3339) != tc.want || got.Location() != time.UTC {
			t.Errorf("date(%q, %v) = %v (%v), want %s", tc.value, tc.inclusiveEnd, got, q.err(), tc.want)
		}
	}
}

func TestNormalOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"http://prasar.test":         "http://prasar.test",
		"http://prasar.test/":        "http://prasar.test",
		"HTTP://Prasar.Test:80":      "http://prasar.test",
		"https://prasar.test:443":    "https://prasar.test",
		"https://prasar.test:8443":   "https://prasar.test:8443",
		"http://[::1]:8080":          "http://[::1]:8080",
		"null":                       "",
		"file://":                    "",
		"javascript:alert(1)":        "",
		"https://prasar.test.evil.x": "https://prasar.test.evil.x",
	} {
		if got := normalOrigin(in); got != want {
			t.Errorf("normalOrigin(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg Config
		ok  bool
	}{
		{Config{}, true},
		{Config{BaseURL: "https://prasar.example.gov.in", TrustedProxies: []string{"10.0.0.0/8", "127.0.0.1", "::1"}}, true},
		{Config{BaseURL: "prasar.example.gov.in"}, false},
		{Config{BaseURL: "ftp://prasar.example"}, false},
		{Config{TrustedProxies: []string{"proxy.local"}}, false},
	} {
		if err := ValidateConfig(tc.cfg); (err == nil) != tc.ok {
			t.Errorf("ValidateConfig(%+v) = %v, want ok=%v", tc.cfg, err, tc.ok)
		}
	}
}

func TestErrorStatusTable(t *testing.T) {
	for code, want := range map[string]int{
		publisher.EINVALID: 422, publisher.EMALFORMED: 400, publisher.ENOTFOUND: 404, publisher.ECONFLICT: 409,
		publisher.EUNAUTHORIZED: 401, publisher.EFORBIDDEN: 403, publisher.ETOOLARGE: 413, publisher.EUNSUPPORTED: 415,
		publisher.EUNAVAILABLE: 503, publisher.EINTERNAL: 500, "something_new": 500,
	} {
		if got := errorStatus(code); got != want {
			t.Errorf("errorStatus(%q) = %d, want %d", code, got, want)
		}
	}
}

func TestPanicRecovery(t *testing.T) {
	logs := &syncBuffer{}
	h := &handler{log: slog.New(slog.NewJSONHandler(logs, nil)), cfg: Config{ContentSecurityPolicy: DefaultCSP}}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(h.requestID, h.accessLog, h.recoverPanic, h.securityHeaders)
	r.GET("/boom", func(*gin.Context) { panic("secret detail " + secretToken) })
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/boom", nil))
	if w.Code != 500 {
		t.Fatalf("panic answered %d", w.Code)
	}
	var env errorEnvelope
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || env.Error.Code != publisher.EINTERNAL || env.Error.Message != "Internal error." {
		t.Fatalf("panic body %s", w.Body)
	}
	if strings.Contains(w.Body.String(), "secret detail") {
		t.Errorf("the panic leaked into the answer")
	}
	if env.Error.RequestID == "" || env.Error.RequestID != w.Header().Get("X-Request-Id") {
		t.Errorf("requestId %q, header %q", env.Error.RequestID, w.Header().Get("X-Request-Id"))
	}
	if w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("a panic answer lacks the security headers")
	}
	out := logs.String()
	if !strings.Contains(out, "panic serving request") || !strings.Contains(out, `"request_id":"`+env.Error.RequestID+`"`) || !strings.Contains(out, `"status":500`) {
		t.Errorf("the panic was not logged with its request id and status: %s", out)
	}
}

func TestAccessLog(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(e.editorA)
	r := c.do("GET", "/api/v1/posts?limit=5&sig=should-not-be-logged", nil, withHeader("X-Request-Id", "trace-42")).want(t, 200)
	_ = r
	var line map[string]any
	sc := bufio.NewScanner(strings.NewReader(e.logs.String()))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "http request" && m["request_id"] == "trace-42" {
			line = m
		}
	}
	if line == nil {
		t.Fatalf("no access log line for the request: %s", e.logs.String())
	}
	for k, want := range map[string]any{"method": "GET", "path": "/api/v1/posts", "status": float64(200), "user_id": e.editorA.ID} {
		if line[k] != want {
			t.Errorf("access log %s = %v, want %v", k, line[k], want)
		}
	}
	if _, ok := line["duration_ms"]; !ok {
		t.Errorf("access log has no duration_ms: %v", line)
	}
	all := e.logs.String()
	for _, s := range []string{"should-not-be-logged", c.csrf, c.cookie.Value} {
		if strings.Contains(all, s) {
			t.Errorf("the log contains %q", s)
		}
	}
	// Sign-in is logged with the user who signed in.
	found := false
	sc = bufio.NewScanner(strings.NewReader(all))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "http request" && m["path"] == "/api/v1/session" && m["method"] == "POST" {
			found = m["user_id"] == e.editorA.ID
		}
	}
	if !found {
		t.Errorf("the sign-in's access log line has no user_id")
	}
}

func TestNoTokensInResponses(t *testing.T) {
	// Every response of every test is scanned (env.checkNoSecrets); this
	// test makes sure the endpoints that show accounts, deliveries and users
	// were among them, signed in as each role.
	e := newEnv(t)
	ed, ap := e.signIn(e.editorA), e.signIn(e.approver)
	p := e.approvedPost(ed, ap, postInput(e.orgA.ID, e.xA.ID))
	if err := e.svc.Fanout(t.Context(), p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Deliver(t.Context(), publisher.DeliveryID(p.ID, p.Revision, e.xA.ID)); err != nil {
		t.Fatal(err)
	}
	// The connector got the real token: the secret was there to leak.
	if creds := e.conns[0].(*fakeConnector).creds; len(creds) != 1 || creds[0].AccessToken != secretToken {
		t.Fatalf("the connector did not get the account's token: %v", creds)
	}
	for _, u := range []*publisher.User{e.admin, e.approver, e.editorA, e.viewer} {
		c := e.signIn(u)
		for _, path := range []string{"/api/v1/accounts", "/api/v1/accounts?orgId=" + e.orgA.ID, "/api/v1/posts/" + p.ID, "/api/v1/posts",
			"/api/v1/deliveries", "/api/v1/users", "/api/v1/audit", "/api/v1/session", "/api/v1/orgs"} {
			r := c.do("GET", path, nil)
			if r.status >= 500 {
				t.Errorf("GET %s as %s: %d", path, u.Role, r.status)
			}
		}
	}
	var accts []map[string]any
	e.signIn(e.admin).do("GET", "/api/v1/accounts", nil).want(t, http.StatusOK).data(t, &accts)
	if len(accts) != 3 {
		t.Fatalf("admin sees %d accounts, want 3", len(accts))
	}
	for _, a := range accts {
		for _, k := range []string{"secret", "Secret", "accessToken", "refreshToken", "credentials"} {
			if _, ok := a[k]; ok {
				t.Errorf("an account carries %q", k)
			}
		}
	}
	e.checkNoSecrets() // now, as well as at the end
}
