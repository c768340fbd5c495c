package instagram_test

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

	"github.com/prasar/prasar/connectors/instagram"
	"github.com/prasar/prasar/publisher"
)

// recorded is one request as the platform received it.
type recorded struct {
	Method, Path string
	Query        url.Values
	Header       http.Header
	Form         url.Values
}

// answer is a canned answer.
type answer struct {
	status int
	body   string
}

// stub answers "METHOD /path" with canned answers, in order when a route
// has several, and records every request.
type stub struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	routes map[string][]answer
	reqs   []recorded
}

func newStub(t *testing.T, routes map[string][]answer) *stub {
	s := &stub{t: t, routes: routes}
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
		var a answer
		switch {
		case len(as) == 0:
			s.mu.Unlock()
			t.Errorf("unexpected request %s", key)
			http.Error(w, "unexpected", http.StatusNotImplemented)
			return
		case len(as) == 1:
			a = as[0]
		default:
			a, s.routes[key] = as[0], as[1:]
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

func (s *stub) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

func (s *stub) find(method, path string) []recorded {
	var out []recorded
	for _, r := range s.requests() {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// noToken checks that the token is in the Authorization header and in no
// query or form.
func noToken(t *testing.T, r recorded, token string) {
	t.Helper()
	if r.Header.Get("Authorization") != "Bearer "+token {
		t.Errorf("%s %s: Authorization %q", r.Method, r.Path, r.Header.Get("Authorization"))
	}
	if r.Query.Has("access_token") || r.Form.Has("access_token") || strings.Contains(r.Query.Encode()+r.Form.Encode(), token) {
		t.Errorf("%s %s: the token is in the query or form", r.Method, r.Path)
	}
}

func TestGoldenPublish(t *testing.T) {
	for _, login := range []instagram.Login{instagram.InstagramLogin, instagram.FacebookLogin} {
		t.Run(string(login), func(t *testing.T) {
			s := newStub(t, map[string][]answer{
				"POST /v24.0/1784/media":                   {{body: `{"id":"c1"}`}, {body: `{"id":"c2"}`}, {body: `{"id":"parent"}`}},
				"GET /v24.0/c1":                            {{body: `{"status_code":"FINISHED","id":"c1"}`}},
				"GET /v24.0/c2":                            {{body: `{"status_code":"FINISHED","id":"c2"}`}},
				"GET /v24.0/parent":                        {{body: `{"status_code":"IN_PROGRESS","status":"In Progress"}`}, {body: `{"status_code":"FINISHED","id":"parent"}`}},
				"GET /v24.0/1784/content_publishing_limit": {{body: `{"data":[{"quota_usage":2,"config":{"quota_total":50,"quota_duration":86400}}]}`}},
				"POST /v24.0/1784/media_publish":           {{body: `{"id":"m9"}`}},
				"GET /v24.0/m9":                            {{body: `{"permalink":"https://www.instagram.com/p/ABC/","id":"m9"}`}},
			})
			var slept []time.Duration
			c := instagram.New(instagram.Config{Login: login, GraphURL: s.srv.URL, APIVersion: "v24.0",
				Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }})
			msg := publisher.Message{DeliveryID: "d1", Text: "दो तस्वीरें", Link: "https://haryana.gov.in", Media: []publisher.MediaRef{
				{ID: "a", ContentType: "image/jpeg", Size: 100, URL: "https://prasar.example/media/a?exp=1&sig=x", AltText: "first"},
				{ID: "b", ContentType: "image/jpeg", Size: 100, URL: "https://prasar.example/media/b?exp=1&sig=y"},
			}}
			pub, err := c.Publish(context.Background(), &publisher.Account{ExternalID: "1784"}, publisher.Credentials{AccessToken: "TOKEN"}, msg)
			if err != nil {
				t.Fatal(err)
			}
			if pub.ExternalID != "m9" || pub.URL != "https://www.instagram.com/p/ABC/" {
				t.Errorf("published %+v", pub)
			}
			creates := s.find("POST", "/v24.0/1784/media")
			if len(creates) != 3 {
				t.Fatalf("%d container requests", len(creates))
			}
			if f := creates[0].Form; f.Get("image_url") != msg.Media[0].URL || f.Get("is_carousel_item") != "true" || f.Get("alt_text") != "first" || f.Has("caption") {
				t.Errorf("child 1: %v", f)
			}
			if f := creates[1].Form; f.Get("image_url") != msg.Media[1].URL || f.Has("alt_text") {
				t.Errorf("child 2: %v", f)
			}
			if f := creates[2].Form; f.Get("media_type") != "CAROUSEL" || f.Get("children") != "c1,c2" || f.Get("caption") != "दो तस्वीरें\n\nhttps://haryana.gov.in" || f.Has("image_url") {
				t.Errorf("parent: %v", f)
			}
			if q := s.find("GET", "/v24.0/parent")[0].Query; q.Get("fields") != "status_code,status" {
				t.Errorf("status poll: %v", q)
			}
			if q := s.find("GET", "/v24.0/1784/content_publishing_limit")[0].Query; q.Get("fields") != "quota_usage,config" {
				t.Errorf("limit: %v", q)
			}
			if f := s.find("POST", "/v24.0/1784/media_publish")[0].Form; f.Get("creation_id") != "parent" || len(f) != 1 {
				t.Errorf("publish: %v", f)
			}
			if q := s.find("GET", "/v24.0/m9")[0].Query; q.Get("fields") != "permalink" {
				t.Errorf("permalink: %v", q)
			}
			for _, r := range s.requests() {
				noToken(t, r, "TOKEN")
			}
			if len(slept) != 1 || slept[0] != 2*time.Second {
				t.Errorf("slept %v", slept)
			}
		})
	}
}

func TestGoldenInstagramLogin(t *testing.T) {
	s := newStub(t, map[string][]answer{
		"POST /oauth/access_token": {{body: `{"data":[{"access_token":"SHORT","user_id":"10200","permissions":"instagram_business_basic,instagram_business_content_publish"}]}`}},
		"GET /access_token":        {{body: `{"access_token":"LONG","token_type":"bearer","expires_in":5183944}`}},
		"GET /v25.0/me":            {{body: `{"user_id":"17841499","username":"haryana_cmo","id":"10200"}`}},
	})
	now := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	c := instagram.New(instagram.Config{GraphURL: s.srv.URL, APIURL: s.srv.URL, AppID: "app", AppSecret: "secret", Now: func() time.Time { return now }})
	accts, err := c.Exchange(context.Background(), "CODE#_", "", "https://prasar.example/oauth/instagram")
	if err != nil {
		t.Fatal(err)
	}
	g := accts[0]
	if len(accts) != 1 || g.ExternalID != "17841499" || g.Handle != "haryana_cmo" || g.Credentials.AccessToken != "LONG" ||
		!g.Credentials.ExpiresAt.Equal(now.Add(5183944*time.Second)) || len(g.Scopes) != 2 || g.Problem != "" {
		t.Errorf("granted %+v %v", g, g.Credentials.ExpiresAt)
	}
	if f := s.find("POST", "/oauth/access_token")[0].Form; f.Get("client_id") != "app" || f.Get("client_secret") != "secret" ||
		f.Get("grant_type") != "authorization_code" || f.Get("redirect_uri") != "https://prasar.example/oauth/instagram" || f.Get("code") != "CODE" {
		t.Errorf("code exchange: %v", f)
	}
	if q := s.find("GET", "/access_token")[0].Query; q.Get("grant_type") != "ig_exchange_token" || q.Get("client_secret") != "secret" || q.Get("access_token") != "SHORT" {
		t.Errorf("long-lived exchange: %v", q)
	}
	me := s.find("GET", "/v25.0/me")[0]
	noToken(t, me, "LONG")
	if me.Query.Get("fields") != "user_id,username" {
		t.Errorf("me: %v", me.Query)
	}

	// The refresh: GET /refresh_access_token with the token, as documented.
	s.routes["GET /refresh_access_token"] = []answer{{body: `{"access_token":"LONGER","token_type":"bearer","expires_in":5184000}`}}
	now = now.Add(55 * 24 * time.Hour)
	fresh, err := c.Refresh(context.Background(), nil, g.Credentials)
	if err != nil || fresh.AccessToken != "LONGER" || !fresh.ExpiresAt.Equal(now.Add(5184000*time.Second)) {
		t.Fatalf("refresh: %+v %v", fresh.ExpiresAt, err)
	}
	if q := s.find("GET", "/refresh_access_token")[0].Query; q.Get("grant_type") != "ig_refresh_token" || q.Get("access_token") != "LONG" {
		t.Errorf("refresh: %v", q)
	}
}

func TestGoldenFacebookLogin(t *testing.T) {
	s := newStub(t, map[string][]answer{
		"POST /v25.0/oauth/access_token": {{body: `{"access_token":"USER-SHORT","token_type":"bearer","expires_in":3600}`},
			{body: `{"access_token":"USER-LONG","token_type":"bearer","expires_in":5183944}`}},
		"GET /v25.0/me/accounts": {{body: `{"data":[
			{"id":"p1","name":"Agriculture","access_token":"PAGE1","tasks":["ANALYZE","CREATE_CONTENT"],"instagram_business_account":{"id":"1784001","username":"haryana_agri"}},
			{"id":"p2","name":"Health","access_token":"PAGE2","tasks":["ANALYZE"],"instagram_business_account":{"id":"1784002","username":"haryana_health"}},
			{"id":"p3","name":"No Instagram","access_token":"PAGE3","tasks":["CREATE_CONTENT"]}],"paging":{"cursors":{"before":"a","after":"b"}}}`}},
	})
	c := instagram.New(instagram.Config{Login: instagram.FacebookLogin, GraphURL: s.srv.URL, AppID: "meta-app", AppSecret: "meta-secret", FacebookWebURL: "https://fb.example"})
	u, _ := url.Parse(c.AuthCodeURL("st", "", "https://prasar.example/cb"))
	if u.Host != "fb.example" || u.Path != "/v25.0/dialog/oauth" || u.Query().Get("scope") != "instagram_basic,instagram_content_publish,instagram_manage_insights,pages_show_list,pages_read_engagement" {
		t.Errorf("AuthCodeURL %s", u)
	}
	accts, err := c.Exchange(context.Background(), "CODE#_", "", "https://prasar.example/cb")
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 2 || accts[0].ExternalID != "1784001" || accts[0].Credentials.AccessToken != "PAGE1" || accts[0].Credentials.ExpiresAt != nil ||
		accts[0].Credentials.Extra[instagram.ExtraPageID] != "p1" || accts[0].Problem != "" || accts[1].Problem == "" {
		t.Errorf("granted %+v", accts)
	}
	tokens := s.find("POST", "/v25.0/oauth/access_token")
	if f := tokens[0].Form; f.Get("code") != "CODE" || f.Get("redirect_uri") != "https://prasar.example/cb" || f.Get("client_id") != "meta-app" || f.Get("client_secret") != "meta-secret" {
		t.Errorf("code exchange: %v", f)
	}
	if f := tokens[1].Form; f.Get("grant_type") != "fb_exchange_token" || f.Get("fb_exchange_token") != "USER-SHORT" {
		t.Errorf("long-lived exchange: %v", f)
	}
	list := s.find("GET", "/v25.0/me/accounts")[0]
	noToken(t, list, "USER-LONG")
	if list.Query.Get("fields") != "id,name,access_token,tasks,instagram_business_account{id,username}" {
		t.Errorf("me/accounts: %v", list.Query)
	}
	if c.RefreshDue(accts[0].Credentials, time.Now().Add(1000*24*time.Hour)) {
		t.Error("a Page token is due for refresh")
	}

	s2 := newStub(t, map[string][]answer{
		"POST /v25.0/oauth/access_token": {{body: `{"access_token":"a"}`}, {body: `{"access_token":"b","expires_in":5183944}`}},
		"GET /v25.0/me/accounts":         {{body: `{"data":[{"id":"p3","name":"No Instagram","access_token":"PAGE3","tasks":["CREATE_CONTENT"]}]}`}},
	})
	c2 := instagram.New(instagram.Config{Login: instagram.FacebookLogin, GraphURL: s2.srv.URL})
	if _, err := c2.Exchange(context.Background(), "CODE", "", "https://prasar.example/cb"); asPlatformError(t, err).Class != publisher.ClassRejected {
		t.Errorf("no linked account: %v", err)
	}
}

func TestGoldenErrors(t *testing.T) {
	cases := []struct {
		name  string
		route string
		ans   answer
		class publisher.ErrorClass
		code  string
		msg   string
	}{
		{"api.instagram.com error shape", "POST /oauth/access_token", answer{400, `{"error_type":"OAuthException","code":400,"error_message":"Matching code was not found or was already used"}`},
			publisher.ClassRejected, "OAuthException", "already used"},
		{"Graph envelope at the code exchange", "POST /oauth/access_token", answer{400, `{"error":{"message":"Invalid platform app","type":"OAuthException","code":101,"fbtrace_id":"x"}}`},
			publisher.ClassRejected, "101", "Invalid platform app"},
		{"5xx without a body", "POST /oauth/access_token", answer{503, ``}, publisher.ClassRetryable, "503", "HTTP 503"},
		{"permission missing at /me", "GET /v25.0/me", answer{403, `{"error":{"message":"(#200) Requires instagram_business_basic","type":"OAuthException","code":200,"fbtrace_id":"x"}}`},
			publisher.ClassAuth, "200", "must be reconnected"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			routes := map[string][]answer{
				"POST /oauth/access_token": {{body: `{"access_token":"S","user_id":1,"permissions":["instagram_business_basic"]}`}},
				"GET /access_token":        {{body: `{"access_token":"L","expires_in":100}`}},
				"GET /v25.0/me":            {{body: `{"user_id":"1","username":"u"}`}},
			}
			routes[c.route] = []answer{c.ans}
			s := newStub(t, routes)
			ig := instagram.New(instagram.Config{GraphURL: s.srv.URL, APIURL: s.srv.URL})
			_, err := ig.Exchange(context.Background(), "CODE", "", "https://prasar.example/cb")
			pe := asPlatformError(t, err)
			if pe.Class != c.class || pe.Code != c.code || pe.Ambiguous || !strings.Contains(pe.Message, c.msg) {
				t.Errorf("got %s %q ambiguous=%v %q", pe.Class, pe.Code, pe.Ambiguous, pe.Message)
			}
		})
	}
}

func TestGoldenInsights(t *testing.T) {
	cases := []struct {
		name        string
		answers     []answer
		values      map[string]int64
		unavailable []string
		class       publisher.ErrorClass
	}{
		{"values and total_value", []answer{{body: `{"data":[
			{"name":"reach","period":"lifetime","values":[{"value":120}]},
			{"name":"views","metric_type":"total_value","total_value":{"value":300}},
			{"name":"likes","period":"lifetime","values":[{"value":{"a":1}}]}]}`}},
			map[string]int64{"reach": 120, "views": 300}, []string{"likes"}, ""},
		{"not enough viewers", []answer{{status: 400, body: `{"error":{"message":"(#10) Not enough viewers for the media to show insights","type":"OAuthException","code":10,"fbtrace_id":"x"}}`}},
			map[string]int64{}, []string{"reach", "views", "likes"}, ""},
		{"a permission error is not hidden", []answer{{status: 400, body: `{"error":{"message":"(#10) Application does not have permission for this action","type":"OAuthException","code":10,"fbtrace_id":"x"}}`}},
			nil, nil, publisher.ClassAuth},
		{"one metric invalid", []answer{
			{status: 400, body: `{"error":{"message":"(#100) metric[2] must be one of the following values: reach, views","type":"OAuthException","code":100,"fbtrace_id":"x"}}`},
			{body: `{"data":[{"name":"reach","values":[{"value":5}]}]}`},
			{body: `{"data":[]}`},
			{status: 400, body: `{"error":{"message":"(#100) metric[0] must be one of the following values: reach, views","type":"OAuthException","code":100,"fbtrace_id":"x"}}`}},
			map[string]int64{"reach": 5}, []string{"views", "likes"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStub(t, map[string][]answer{"GET /v25.0/m1/insights": c.answers})
			ig := instagram.New(instagram.Config{GraphURL: s.srv.URL, Metrics: []string{"reach", "views", "likes"}})
			res, err := ig.FetchMetrics(context.Background(), &publisher.Account{ExternalID: "1784"}, publisher.Credentials{AccessToken: "T"}, "m1")
			if c.class != "" {
				if pe := asPlatformError(t, err); pe.Class != c.class {
					t.Errorf("class %s", pe.Class)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Values) != len(c.values) || len(res.Unavailable) != len(c.unavailable) {
				t.Fatalf("got %+v", res)
			}
			for k, v := range c.values {
				if res.Values[k] != v {
					t.Errorf("%s = %d, want %d", k, res.Values[k], v)
				}
			}
			for _, k := range c.unavailable {
				if res.Unavailable[k] == "" {
					t.Errorf("%s not reported unavailable", k)
				}
			}
			if reqs := s.requests(); reqs[0].Query.Get("metric") != "reach,views,likes" {
				t.Errorf("first request: %v", reqs[0].Query)
			}
		})
	}
}
