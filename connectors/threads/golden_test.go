package threads_test

import (
	"context"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/threads"
	"github.com/prasar/prasar/publisher"
)

type recorded struct {
	Method, Path string
	Query        url.Values
	Header       http.Header
	Form         url.Values
}

type answer struct {
	status int
	body   string
}

// stub answers "METHOD /path" with canned answers (in order when a route
// has several) and records every request.
type stub struct {
	srv    *httptest.Server
	mu     sync.Mutex
	routes map[string][]answer
	reqs   []recorded
}

func newStub(t *testing.T, routes map[string][]answer) *stub {
	s := &stub{routes: routes}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Form: url.Values{}}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
			b, _ := io.ReadAll(r.Body)
			rec.Form, _ = url.ParseQuery(string(b))
		}
		key := r.Method + " " + r.URL.Path
		s.mu.Lock()
		s.reqs = append(s.reqs, rec)
		as := s.routes[key]
		if len(as) == 0 {
			s.mu.Unlock()
			t.Errorf("unexpected request %s", key)
			http.Error(w, "unexpected", http.StatusNotImplemented)
			return
		}
		a := as[0]
		if len(as) > 1 {
			s.routes[key] = as[1:]
		}
		s.mu.Unlock()
		if a.status == 0 {
			a.status = 200
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *stub) find(method, path string) []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []recorded
	for _, r := range s.reqs {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func TestGoldenPublish(t *testing.T) {
	s := newStub(t, map[string][]answer{
		"POST /v1.0/77/threads":                 {{body: `{"id":"c1"}`}},
		"GET /v1.0/c1":                          {{body: `{"status":"IN_PROGRESS","id":"c1"}`}, {body: `{"status":"FINISHED","id":"c1"}`}},
		"GET /v1.0/77/threads_publishing_limit": {{body: `{"data":[{"quota_usage":4,"config":{"quota_total":250,"quota_duration":86400}}]}`}},
		"POST /v1.0/77/threads_publish":         {{body: `{"id":"m1"}`}},
		"GET /v1.0/m1":                          {{body: `{"permalink":"https://www.threads.net/@haryana/post/XYZ","id":"m1"}`}},
	})
	c := threads.New(threads.Config{GraphURL: s.srv.URL, Sleep: func(context.Context, time.Duration) error { return nil }})
	img := publisher.MediaRef{ID: "a", ContentType: "image/png", Size: 10, URL: "https://prasar.example/media/a?exp=1&sig=x", AltText: "A chart"}
	pub, err := c.Publish(context.Background(), &publisher.Account{ExternalID: "77"}, publisher.Credentials{AccessToken: "TOKEN"},
		publisher.Message{Text: "नई दरें", Media: []publisher.MediaRef{img}})
	if err != nil || pub.ExternalID != "m1" || pub.URL != "https://www.threads.net/@haryana/post/XYZ" {
		t.Fatalf("%+v %v", pub, err)
	}
	if f := s.find("POST", "/v1.0/77/threads")[0].Form; f.Get("media_type") != "IMAGE" || f.Get("image_url") != img.URL || f.Get("text") != "नई दरें" || f.Get("alt_text") != "A chart" || f.Has("is_carousel_item") {
		t.Errorf("container: %v", f)
	}
	if q := s.find("GET", "/v1.0/c1")[0].Query; q.Get("fields") != "status,error_message" {
		t.Errorf("status: %v", q)
	}
	if f := s.find("POST", "/v1.0/77/threads_publish")[0].Form; f.Get("creation_id") != "c1" {
		t.Errorf("publish: %v", f)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.reqs {
		if r.Header.Get("Authorization") != "Bearer TOKEN" || strings.Contains(r.Query.Encode()+r.Form.Encode(), "TOKEN") {
			t.Errorf("%s %s: token not in the header only", r.Method, r.Path)
		}
	}
}

func TestGoldenContainerErrors(t *testing.T) {
	for msg, class := range map[string]publisher.ErrorClass{
		"INVALID_ASPEC_RATIO":      publisher.ClassRejected,
		"FAILED_DOWNLOADING_VIDEO": publisher.ClassRetryable,
		"":                         publisher.ClassRetryable,
	} {
		s := newStub(t, map[string][]answer{
			"POST /v1.0/77/threads": {{body: `{"id":"c1"}`}},
			"GET /v1.0/c1":          {{body: `{"status":"ERROR","error_message":"` + msg + `"}`}},
		})
		c := threads.New(threads.Config{GraphURL: s.srv.URL})
		_, err := c.Publish(context.Background(), &publisher.Account{ExternalID: "77"}, publisher.Credentials{AccessToken: "T"}, publisher.Message{Text: "x"})
		if pe := asPlatformError(t, err); pe.Class != class || pe.Ambiguous || pe.Code != msg || !strings.Contains(pe.Message, "c1") {
			t.Errorf("%q: %s %q ambiguous=%v %q", msg, pe.Class, pe.Code, pe.Ambiguous, pe.Message)
		}
	}
}

func TestGoldenLogin(t *testing.T) {
	s := newStub(t, map[string][]answer{
		"POST /oauth/access_token":    {{body: `{"access_token":"SHORT","user_id":25000000000000001}`}},
		"GET /access_token":           {{body: `{"access_token":"LONG","token_type":"bearer","expires_in":5183944}`}},
		"GET /v1.0/me":                {{body: `{"id":"25000000000000001","username":"haryana"}`}},
		"GET /refresh_access_token":   {{body: `{"access_token":"LONGER","token_type":"bearer","expires_in":5183944}`}},
		"DELETE /v1.0/25000000000001": {{body: `{"success":true,"deleted_id":"25000000000001"}`}},
	})
	now := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	c := threads.New(threads.Config{GraphURL: s.srv.URL, AppID: "app", AppSecret: "secret", Now: func() time.Time { return now }})
	accts, err := c.Exchange(context.Background(), "CODE#_", "", "https://prasar.example/cb")
	if err != nil || len(accts) != 1 || accts[0].ExternalID != "25000000000000001" || accts[0].Credentials.AccessToken != "LONG" {
		t.Fatalf("%+v %v", accts, err)
	}
	if f := s.find("POST", "/oauth/access_token")[0].Form; f.Get("client_id") != "app" || f.Get("client_secret") != "secret" || f.Get("code") != "CODE" ||
		f.Get("grant_type") != "authorization_code" || f.Get("redirect_uri") != "https://prasar.example/cb" {
		t.Errorf("code exchange: %v", f)
	}
	if q := s.find("GET", "/access_token")[0].Query; q.Get("grant_type") != "th_exchange_token" || q.Get("client_secret") != "secret" || q.Get("access_token") != "SHORT" {
		t.Errorf("long-lived: %v", q)
	}
	if r := s.find("GET", "/v1.0/me")[0]; r.Header.Get("Authorization") != "Bearer LONG" || r.Query.Get("fields") != "id,username" {
		t.Errorf("me: %v %v", r.Header, r.Query)
	}
	now = now.Add(51 * 24 * time.Hour)
	fresh, err := c.Refresh(context.Background(), nil, accts[0].Credentials)
	if err != nil || fresh.AccessToken != "LONGER" {
		t.Fatalf("refresh: %v", err)
	}
	if q := s.find("GET", "/refresh_access_token")[0].Query; q.Get("grant_type") != "th_refresh_token" || q.Get("access_token") != "LONG" {
		t.Errorf("refresh: %v", q)
	}
	if err := c.Delete(context.Background(), &publisher.Account{ExternalID: "1"}, fresh, "25000000000001"); err != nil {
		t.Errorf("delete: %v", err)
	}
	if r := s.find("DELETE", "/v1.0/25000000000001"); len(r) != 1 || r[0].Header.Get("Authorization") != "Bearer LONGER" {
		t.Errorf("delete request: %+v", r)
	}
}
