package x_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/x"
	"github.com/prasar/prasar/publisher"
)

// recorded is one request as the platform received it.
type recorded struct {
	Method   string
	Path     string
	Query    url.Values
	Header   http.Header
	Body     []byte
	Form     url.Values        // form or multipart fields
	Files    map[string][]byte // multipart files
	FileType map[string]string
}

// answer is a canned answer.
type answer struct {
	status int
	header map[string]string
	body   string
}

func ok(body string) answer { return answer{status: 200, body: body} }

// stub answers each request with the next canned answer and records what
// it received.
type stub struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	reqs    []recorded
	answers []answer
}

func newStub(t *testing.T, answers ...answer) *stub {
	s := &stub{t: t, answers: answers}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *stub) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body,
		Form: url.Values{}, Files: map[string][]byte{}, FileType: map[string]string{}}
	mt, mp, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-www-form-urlencoded":
		rec.Form, _ = url.ParseQuery(string(body))
	case "multipart/form-data":
		mr := multipart.NewReader(strings.NewReader(string(body)), mp["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			if p.FileName() != "" {
				rec.Files[p.FormName()], rec.FileType[p.FormName()] = b, p.Header.Get("Content-Type")
			} else {
				rec.Form.Add(p.FormName(), string(b))
			}
		}
	}
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, rec)
	s.mu.Unlock()
	if n >= len(s.answers) {
		s.t.Errorf("unexpected request %d: %s %s", n+1, r.Method, r.URL.Path)
		w.WriteHeader(500)
		return
	}
	a := s.answers[n]
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

func (s *stub) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

const token = "user-access-token-secret"

var (
	account = &publisher.Account{ID: "acct1", Platform: publisher.X, ExternalID: "1001", Handle: "haryana_agri"}
	cred    = publisher.Credentials{AccessToken: token}
	fixed   = time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)
)

func stubConnector(s *stub, cfg x.Config) *x.Connector {
	cfg.APIURL = s.srv.URL
	cfg.TokenURL = s.srv.URL + "/2/oauth2/token"
	cfg.WebURL = "https://x.com"
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixed }
	}
	cfg.MediaPollMax = time.Millisecond
	return x.New(cfg)
}

// assertBearer checks the token travels only in the Authorization header.
func assertBearer(t *testing.T, r recorded) {
	t.Helper()
	if strings.Contains(r.Query.Encode(), token) || strings.Contains(r.Path, token) || strings.Contains(string(r.Body), token) {
		t.Errorf("%s %s: the token is in the URL or body", r.Method, r.Path)
	}
	if r.Header.Get("Authorization") != "Bearer "+token {
		t.Errorf("%s %s: Authorization = %q", r.Method, r.Path, r.Header.Get("Authorization"))
	}
}

const created = `{"data":{"id":"1346889436626259968","text":"x","edit_history_tweet_ids":["1346889436626259968"]}}`

func TestGoldenTextPost(t *testing.T) {
	s := newStub(t, answer{status: 201, body: created})
	c := stubConnector(s, x.Config{})
	pub, err := c.Publish(context.Background(), account, cred, publisher.Message{Text: "नई योजना \"quoted\" <b>", Link: "https://haryana.gov.in/x"})
	if err != nil {
		t.Fatal(err)
	}
	if pub.ExternalID != "1346889436626259968" || pub.URL != "https://x.com/haryana_agri/status/1346889436626259968" {
		t.Errorf("published %+v", pub)
	}
	reqs := s.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/2/tweets" || len(r.Query) != 0 || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request %s %s?%s %s", r.Method, r.Path, r.Query.Encode(), r.Header.Get("Content-Type"))
	}
	if want := `{"text":"नई योजना \"quoted\" \u003cb\u003e\n\nhttps://haryana.gov.in/x"}`; string(r.Body) != want {
		t.Errorf("body\n%s\nwant\n%s", r.Body, want)
	}
	assertBearer(t, r)
}

func TestGoldenImagePost(t *testing.T) {
	s := newStub(t,
		ok(`{"data":{"id":"1880028106020515840","media_key":"3_1880028106020515840","size":70,"expires_after_secs":86400}}`),
		ok(`{"data":{"id":"1880028106020515840","associated_metadata":{"alt_text":{"text":"alt p"}}}}`),
		ok(`{"data":{"id":"1880028106020515841","media_key":"16_1880028106020515841","expires_after_secs":86400}}`),
		ok(`{"data":{"expires_at":1785650000}}`),
		ok(`{"data":{"expires_at":1785650000}}`),
		ok(`{"data":{"id":"1880028106020515841","media_key":"16_1880028106020515841","size":43,"processing_info":{"state":"pending","check_after_secs":1}}}`),
		ok(`{"data":{"id":"1880028106020515841","processing_info":{"state":"in_progress","check_after_secs":1,"progress_percent":50}}}`),
		ok(`{"data":{"id":"1880028106020515841","processing_info":{"state":"succeeded","progress_percent":100}}}`),
		answer{status: 201, body: created},
	)
	c := stubConnector(s, x.Config{ChunkBytes: 30})
	gif := image("g", "image/gif", gif1)
	gif.AltText = ""
	_, err := c.Publish(context.Background(), account, cred, publisher.Message{Text: "two", Media: []publisher.MediaRef{image("p", "image/png", png1), gif}})
	if err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	if len(reqs) != 9 {
		t.Fatalf("%d requests", len(reqs))
	}
	for _, r := range reqs {
		assertBearer(t, r)
	}
	up := reqs[0]
	if up.Method != "POST" || up.Path != "/2/media/upload" || !strings.HasPrefix(up.Header.Get("Content-Type"), "multipart/form-data") ||
		up.Form.Get("media_category") != "tweet_image" || up.Form.Get("media_type") != "image/png" || len(up.Form) != 2 ||
		string(up.Files["media"]) != string(png1) || up.FileType["media"] != "image/png" {
		t.Errorf("one-shot upload: %s %s %v %v", up.Method, up.Path, up.Form, up.FileType)
	}
	meta := reqs[1]
	if meta.Path != "/2/media/metadata" || string(meta.Body) != `{"id":"1880028106020515840","metadata":{"alt_text":{"text":"alt p"}}}` ||
		meta.Header.Get("Content-Type") != "application/json" {
		t.Errorf("alt text: %s %s", meta.Path, meta.Body)
	}
	init := reqs[2]
	if init.Path != "/2/media/upload/initialize" || string(init.Body) != `{"media_category":"tweet_gif","media_type":"image/gif","total_bytes":43}` {
		t.Errorf("initialize: %s %s", init.Path, init.Body)
	}
	var joined []byte
	for i, r := range reqs[3:5] {
		if r.Path != "/2/media/upload/1880028106020515841/append" || r.Form.Get("segment_index") != strconv.Itoa(i) || r.FileType["media"] != "image/gif" {
			t.Errorf("append %d: %s %v", i, r.Path, r.Form)
		}
		joined = append(joined, r.Files["media"]...)
	}
	if string(joined) != string(gif1) || len(reqs[3].Files["media"]) != 30 {
		t.Errorf("segments: %d bytes in all, first %d", len(joined), len(reqs[3].Files["media"]))
	}
	if f := reqs[5]; f.Path != "/2/media/upload/1880028106020515841/finalize" || len(f.Body) != 0 || f.Method != "POST" {
		t.Errorf("finalize: %s %s %q", f.Method, f.Path, f.Body)
	}
	for _, st := range reqs[6:8] {
		if st.Method != "GET" || st.Path != "/2/media/upload" || st.Query.Get("media_id") != "1880028106020515841" || st.Query.Get("command") != "STATUS" || len(st.Query) != 2 {
			t.Errorf("status: %s %s?%s", st.Method, st.Path, st.Query.Encode())
		}
	}
	if p := reqs[8]; p.Path != "/2/tweets" || string(p.Body) != `{"text":"two","media":{"media_ids":["1880028106020515840","1880028106020515841"]}}` {
		t.Errorf("post: %s %s", p.Path, p.Body)
	}
}

func TestGoldenMediaOnlyPost(t *testing.T) {
	s := newStub(t, ok(`{"data":{"id":"42","media_key":"3_42"}}`), answer{status: 201, body: created})
	c := stubConnector(s, x.Config{})
	m := image("p", "image/png", png1)
	m.AltText = ""
	if _, err := c.Publish(context.Background(), account, cred, publisher.Message{Media: []publisher.MediaRef{m}}); err != nil {
		t.Fatal(err)
	}
	if p := s.requests()[1]; string(p.Body) != `{"media":{"media_ids":["42"]}}` {
		t.Errorf("post: %s", p.Body)
	}
}

func TestGoldenClassification(t *testing.T) {
	reset := fixed.Add(7 * time.Minute)
	day := fixed.Add(20 * time.Hour)
	unix := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	cases := []struct {
		name      string
		answer    answer
		class     publisher.ErrorClass
		code      string
		message   string
		ambiguous bool
		retryAt   time.Time
	}{
		{"401", answer{401, nil, `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`},
			publisher.ClassAuth, "401", "Unauthorized", false, time.Time{}},
		{"403 duplicate", answer{403, nil, `{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}`},
			publisher.ClassRejected, "403", "You are not allowed to create a Tweet with duplicate content.", false, time.Time{}},
		{"403 reply not allowed", answer{403, nil, `{"detail":"Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to.","type":"about:blank","title":"Forbidden","status":403}`},
			publisher.ClassRejected, "403", "Reply to this conversation is not allowed", false, time.Time{}},
		{"403 client-forbidden", answer{403, nil, `{"client_id":"123","detail":"When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project.","registration_url":"https://developer.twitter.com/en/docs/projects/overview","title":"Client Forbidden","required_enrollment":"Appropriate Level of API Access","reason":"client-not-enrolled","type":"https://api.twitter.com/2/problems/client-forbidden"}`},
			publisher.ClassRejected, "403/client-forbidden", "client-not-enrolled", false, time.Time{}},
		{"403 unsupported-authentication", answer{403, nil, `{"title":"Unsupported Authentication","detail":"Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].","type":"https://api.twitter.com/2/problems/unsupported-authentication","status":403}`},
			publisher.ClassAuth, "403/unsupported-authentication", "Application-Only is forbidden", false, time.Time{}},
		{"400 invalid-request", answer{400, nil, `{"errors":[{"parameters":{"media.media_ids":["1"]},"message":"Your media IDs are invalid."}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}`},
			publisher.ClassRejected, "400/invalid-request", "One or more parameters to your request was invalid. Your media IDs are invalid.", false, time.Time{}},
		{"429 window", answer{429, map[string]string{"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": unix(reset)},
			`{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}`},
			publisher.ClassRateLimited, "429", "Too Many Requests", false, reset},
		{"429 v1.1 body", answer{429, map[string]string{"x-rate-limit-remaining": "0", "x-rate-limit-reset": unix(reset)}, `{"errors":[{"code":88,"message":"Rate limit exceeded"}]}`},
			publisher.ClassRateLimited, "429", "Rate limit exceeded", false, reset},
		{"429 user day cap later than the window", answer{429, map[string]string{
			"x-rate-limit-remaining": "0", "x-rate-limit-reset": unix(reset),
			"x-user-limit-24hour-limit": "17", "x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": unix(day),
			"x-app-limit-24hour-remaining": "9000", "x-app-limit-24hour-reset": unix(day.Add(time.Hour))}, `{"title":"Too Many Requests"}`},
			publisher.ClassRateLimited, "429", "Too Many Requests", false, day},
		{"429 app day cap, window not used up", answer{429, map[string]string{
			"x-rate-limit-remaining": "40", "x-rate-limit-reset": unix(reset),
			"x-app-limit-24hour-remaining": "0", "x-app-limit-24hour-reset": unix(day)}, `{"title":"Too Many Requests"}`},
			publisher.ClassRateLimited, "429", "Too Many Requests", false, day},
		{"429 usage-capped daily", answer{429, nil, `{"title":"Usage cap exceeded","detail":"Usage cap exceeded: Daily account cap","type":"https://api.twitter.com/2/problems/usage-capped","period":"Daily","scope":"Account"}`},
			publisher.ClassRateLimited, "429/usage-capped", "Usage cap exceeded", false, time.Date(2026, 8, 2, 0, 0, 0, 0, time.UTC)},
		{"429 Retry-After only", answer{429, map[string]string{"Retry-After": "120"}, `{}`},
			publisher.ClassRateLimited, "429", "HTTP 429", false, fixed.Add(2 * time.Minute)},
		{"429 without headers", answer{429, nil, ``},
			publisher.ClassRateLimited, "429", "HTTP 429", false, fixed.Add(15 * time.Minute)},
		{"503", answer{503, nil, `{"title":"Service Unavailable","detail":"Service Unavailable","type":"about:blank","status":503}`},
			publisher.ClassRetryable, "503", "Service Unavailable", true, time.Time{}},
		{"201 without an id", answer{201, nil, `{"data":{}}`},
			publisher.ClassRetryable, "", "without the post's id", true, time.Time{}},
		{"201 unreadable", answer{201, nil, `<html>`},
			publisher.ClassRetryable, "", "could not be read", true, time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStub(t, c.answer)
			_, err := stubConnector(s, x.Config{}).Publish(context.Background(), account, cred, publisher.Message{Text: "t"})
			pe := asPlatformError(t, err)
			if pe.Class != c.class || pe.Code != c.code || pe.Ambiguous != c.ambiguous || !strings.Contains(pe.Message, c.message) {
				t.Errorf("got %s %q ambiguous=%v %q; want %s %q ambiguous=%v %q", pe.Class, pe.Code, pe.Ambiguous, pe.Message, c.class, c.code, c.ambiguous, c.message)
			}
			if !pe.RetryAt.Equal(c.retryAt) {
				t.Errorf("RetryAt %s, want %s", pe.RetryAt.UTC(), c.retryAt)
			}
		})
	}
}

func TestGoldenLookup(t *testing.T) {
	since := time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)
	page1 := `{"data":[
		{"id":"21","text":"other post","created_at":"2026-08-01T10:05:00.000Z","edit_history_tweet_ids":["21"]},
		{"id":"20","text":"नई योजना &amp; more\n\nhttps://t.co/AbCdEfGhIj https://t.co/PiCtUrE123","created_at":"2026-08-01T10:01:00.000Z","edit_history_tweet_ids":["20"]}],
		"meta":{"result_count":2,"newest_id":"21","oldest_id":"20","next_token":"7140dibdnow9c7btw4b0l4pr"}}`
	last := `{"meta":{"result_count":0}}`
	t.Run("found on the first page, despite t.co and &amp;", func(t *testing.T) {
		s := newStub(t, ok(page1))
		c := stubConnector(s, x.Config{})
		msg := publisher.Message{Text: "नई योजना & more", Link: "https://haryana.gov.in/x", Media: []publisher.MediaRef{image("m", "image/png", png1)}}
		pub, err := c.Lookup(context.Background(), account, cred, msg, since)
		if err != nil || pub.ExternalID != "20" || pub.URL != "https://x.com/haryana_agri/status/20" {
			t.Fatalf("got %+v, %v", pub, err)
		}
		r := s.requests()[0]
		if r.Method != "GET" || r.Path != "/2/users/1001/tweets" || r.Query.Get("tweet.fields") != "created_at,text" ||
			r.Query.Get("start_time") != "2026-08-01T10:00:00Z" || r.Query.Get("max_results") != "100" || len(r.Query) != 3 {
			t.Errorf("request %s %s?%s", r.Method, r.Path, r.Query.Encode())
		}
		assertBearer(t, r)
	})
	t.Run("the picture link only counts for a post with media", func(t *testing.T) {
		s := newStub(t, ok(page1), ok(last))
		c := stubConnector(s, x.Config{})
		msg := publisher.Message{Text: "नई योजना & more", Link: "https://haryana.gov.in/x"}
		if _, err := c.Lookup(context.Background(), account, cred, msg, since); !errors.Is(err, publisher.ErrNotPublished) {
			t.Fatalf("err = %v, want ErrNotPublished", err)
		}
	})
	t.Run("not found after following next_token", func(t *testing.T) {
		s := newStub(t, ok(page1), ok(last))
		c := stubConnector(s, x.Config{LookupPageSize: 50})
		_, err := c.Lookup(context.Background(), account, cred, publisher.Message{Text: "never posted"}, since)
		if !errors.Is(err, publisher.ErrNotPublished) {
			t.Fatalf("err = %v, want ErrNotPublished", err)
		}
		reqs := s.requests()
		if len(reqs) != 2 {
			t.Fatalf("%d requests", len(reqs))
		}
		if q := reqs[1].Query; q.Get("pagination_token") != "7140dibdnow9c7btw4b0l4pr" || q.Get("start_time") != "2026-08-01T10:00:00Z" || q.Get("max_results") != "50" {
			t.Errorf("second page request ?%s", q.Encode())
		}
	})
}

func TestGoldenMetrics(t *testing.T) {
	s := newStub(t,
		answer{400, nil, `{"errors":[{"parameters":{"tweet.fields":["promoted_metrics"]},"message":"The ` + "`tweet.fields`" + ` query parameter value [promoted_metrics] is not one of [id,text,public_metrics]"}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}`},
		ok(`{"data":{"id":"20","text":"t","edit_history_tweet_ids":["20"],
			"public_metrics":{"retweet_count":50,"reply_count":12,"like_count":234,"quote_count":5,"bookmark_count":8,"impression_count":5432}},
			"errors":[{"value":"20","detail":"Sorry, you are not authorized to access 'non_public_metrics' on the Tweet with ids [20].","title":"Field Authorization Error","resource_type":"tweet","parameter":"non_public_metrics","resource_id":"20","type":"https://api.twitter.com/2/problems/not-authorized-for-field"}]}`),
	)
	c := stubConnector(s, x.Config{MetricFields: []string{"public_metrics", "non_public_metrics", "organic_metrics", "promoted_metrics"}})
	m, err := c.FetchMetrics(context.Background(), account, cred, "20")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"public_metrics.retweet_count": 50, "public_metrics.reply_count": 12, "public_metrics.like_count": 234,
		"public_metrics.quote_count": 5, "public_metrics.bookmark_count": 8, "public_metrics.impression_count": 5432}
	if len(m.Values) != len(want) {
		t.Errorf("values %v", m.Values)
	}
	for k, v := range want {
		if m.Values[k] != v {
			t.Errorf("%s = %d, want %d", k, m.Values[k], v)
		}
	}
	if !strings.Contains(m.Unavailable["non_public_metrics.engagements"], "not authorized to access 'non_public_metrics'") ||
		m.Unavailable["organic_metrics.like_count"] != "X returned no organic_metrics for this post." ||
		!strings.Contains(m.Unavailable["promoted_metrics.impression_count"], "[promoted_metrics] is not one of") {
		t.Errorf("unavailable %v", m.Unavailable)
	}
	reqs := s.requests()
	if q := reqs[0].Query.Get("tweet.fields"); reqs[0].Path != "/2/tweets/20" || q != "public_metrics,non_public_metrics,organic_metrics,promoted_metrics" {
		t.Errorf("first request %s ?tweet.fields=%s", reqs[0].Path, q)
	}
	if q := reqs[1].Query.Get("tweet.fields"); q != "public_metrics,non_public_metrics,organic_metrics" {
		t.Errorf("second request ?tweet.fields=%s", q)
	}
	for _, r := range reqs {
		assertBearer(t, r)
	}
}

func TestGoldenDelete(t *testing.T) {
	s := newStub(t, ok(`{"data":{"deleted":true}}`),
		answer{404, nil, `{"title":"Not Found Error","detail":"Could not find tweet with id: [20].","type":"https://api.twitter.com/2/problems/resource-not-found"}`},
		answer{403, nil, `{"title":"Forbidden","detail":"You are not allowed to delete a Post that is not yours.","type":"about:blank","status":403}`})
	c := stubConnector(s, x.Config{})
	ctx := context.Background()
	if err := c.Delete(ctx, account, cred, "20"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, account, cred, "20"); err != nil {
		t.Errorf("404: %v, want nil", err)
	}
	if pe := asPlatformError(t, c.Delete(ctx, account, cred, "21")); pe.Class != publisher.ClassRejected {
		t.Errorf("403: %s", pe.Class)
	}
	r := s.requests()[0]
	if r.Method != "DELETE" || r.Path != "/2/tweets/20" || len(r.Body) != 0 {
		t.Errorf("request %s %s %q", r.Method, r.Path, r.Body)
	}
	assertBearer(t, r)
}

func TestGoldenTokenRequests(t *testing.T) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape("my client")+":"+url.QueryEscape("s3cret/+=")))
	t.Run("exchange, confidential client", func(t *testing.T) {
		s := newStub(t,
			ok(`{"token_type":"bearer","expires_in":7200,"access_token":"AT1","scope":"tweet.read tweet.write users.read offline.access","refresh_token":"RT1"}`),
			ok(`{"data":{"id":"1001","name":"कृषि विभाग","username":"haryana_agri"}}`))
		c := stubConnector(s, x.Config{ClientID: "my client", ClientSecret: "s3cret/+="})
		got, err := c.Exchange(context.Background(), "the-code", "the-verifier", "https://prasar.example/cb")
		if err != nil {
			t.Fatal(err)
		}
		exp := fixed.Add(2 * time.Hour)
		if len(got) != 1 || got[0].ExternalID != "1001" || got[0].Handle != "haryana_agri" || got[0].DisplayName != "कृषि विभाग" ||
			got[0].ProfileURL != "https://x.com/haryana_agri" || got[0].Credentials.AccessToken != "AT1" || got[0].Credentials.RefreshToken != "RT1" ||
			got[0].Credentials.ExpiresAt == nil || !got[0].Credentials.ExpiresAt.Equal(exp) {
			t.Fatalf("granted %+v %+v", got, got[0].Credentials.ExpiresAt)
		}
		if got[0].Problem != "X did not grant media.write; connect the account again and allow every permission Prasar asks for." {
			t.Errorf("problem %q", got[0].Problem)
		}
		r := s.requests()[0]
		want := url.Values{"grant_type": {"authorization_code"}, "code": {"the-code"}, "code_verifier": {"the-verifier"}, "redirect_uri": {"https://prasar.example/cb"}}
		if r.Method != "POST" || r.Path != "/2/oauth2/token" || r.Header.Get("Authorization") != basic || r.Form.Encode() != want.Encode() ||
			r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("token request %s %s %q %s", r.Method, r.Path, r.Header.Get("Authorization"), r.Form.Encode())
		}
		me := s.requests()[1]
		if me.Method != "GET" || me.Path != "/2/users/me" || me.Header.Get("Authorization") != "Bearer AT1" {
			t.Errorf("me request %s %s %q", me.Method, me.Path, me.Header.Get("Authorization"))
		}
	})
	t.Run("exchange, public client", func(t *testing.T) {
		s := newStub(t, ok(`{"token_type":"bearer","expires_in":7200,"access_token":"AT1"}`), ok(`{"data":{"id":"1001","name":"n","username":"u"}}`))
		c := stubConnector(s, x.Config{ClientID: "pub"})
		if _, err := c.Exchange(context.Background(), "code", "verifier", "https://p/cb"); err != nil {
			t.Fatal(err)
		}
		r := s.requests()[0]
		if r.Header.Get("Authorization") != "" || r.Form.Get("client_id") != "pub" || r.Form.Has("client_secret") {
			t.Errorf("public client: %q %v", r.Header.Get("Authorization"), r.Form)
		}
	})
	t.Run("refresh without a new refresh token keeps the old one", func(t *testing.T) {
		s := newStub(t, ok(`{"token_type":"bearer","expires_in":7200,"access_token":"AT2","scope":"tweet.read"}`))
		c := stubConnector(s, x.Config{ClientID: "my client", ClientSecret: "s3cret/+="})
		old := fixed.Add(-time.Minute)
		got, err := c.Refresh(context.Background(), account, publisher.Credentials{AccessToken: "AT1", RefreshToken: "RT1", ExpiresAt: &old, Extra: map[string]string{"k": "v"}})
		if err != nil {
			t.Fatal(err)
		}
		if got.AccessToken != "AT2" || got.RefreshToken != "RT1" || got.ExpiresAt == nil || !got.ExpiresAt.Equal(fixed.Add(2*time.Hour)) || got.Extra["k"] != "v" {
			t.Errorf("refreshed %+v %v", got.Extra, got.ExpiresAt)
		}
		r := s.requests()[0]
		want := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"RT1"}}
		if r.Header.Get("Authorization") != basic || r.Form.Encode() != want.Encode() {
			t.Errorf("refresh request %q %s", r.Header.Get("Authorization"), r.Form.Encode())
		}
	})
	t.Run("refresh errors", func(t *testing.T) {
		cases := []struct {
			answer    answer
			class     publisher.ErrorClass
			ambiguous bool
		}{
			{answer{400, nil, `{"error":"invalid_request","error_description":"Value passed for the token was invalid."}`}, publisher.ClassAuth, false},
			{answer{400, nil, `{"error":"invalid_grant","error_description":"The refresh token was revoked."}`}, publisher.ClassAuth, false},
			{answer{401, nil, `{"error":"unauthorized_client","error_description":"Missing valid authorization header"}`}, publisher.ClassAuth, false},
			{answer{429, map[string]string{"x-rate-limit-remaining": "0", "x-rate-limit-reset": strconv.FormatInt(fixed.Add(time.Minute).Unix(), 10)}, `{"error":"rate_limited"}`}, publisher.ClassRateLimited, false},
			{answer{503, nil, `{"error":"server_error"}`}, publisher.ClassRetryable, true},
			{answer{200, nil, `not json`}, publisher.ClassRetryable, true},
		}
		for _, c := range cases {
			s := newStub(t, c.answer)
			_, err := stubConnector(s, x.Config{ClientID: "id", ClientSecret: "sec"}).Refresh(context.Background(), account, publisher.Credentials{RefreshToken: "RT1"})
			pe := asPlatformError(t, err)
			if pe.Class != c.class || pe.Ambiguous != c.ambiguous {
				t.Errorf("%d %s: got %s ambiguous=%v %q", c.answer.status, c.answer.body, pe.Class, pe.Ambiguous, pe.Message)
			}
			if c.class == publisher.ClassRateLimited && !pe.RetryAt.Equal(fixed.Add(time.Minute)) {
				t.Errorf("RetryAt %s", pe.RetryAt)
			}
			if strings.Contains(err.Error(), "RT1") || strings.Contains(err.Error(), "sec") {
				t.Errorf("a secret in %q", err.Error())
			}
		}
	})
}

func TestAuthCodeURL(t *testing.T) {
	c := x.New(x.Config{ClientID: "cid", ClientSecret: "sec"})
	u, err := url.Parse(c.AuthCodeURL("st@te", "verifier-0123456789-0123456789-0123456789", "https://prasar.example/cb"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != "https://x.com/i/oauth2/authorize" || q.Get("response_type") != "code" || q.Get("client_id") != "cid" ||
		q.Get("redirect_uri") != "https://prasar.example/cb" || q.Get("scope") != "tweet.read tweet.write users.read offline.access media.write" ||
		q.Get("state") != "st@te" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") != "fPc7wtmTs3M3V70EldOc7-yL4fAeQRnBhGAixq3XYqw" || q.Has("client_secret") {
		t.Errorf("URL %s", u)
	}
	if !strings.Contains(u.RawQuery, "scope=tweet.read+tweet.write") && !strings.Contains(u.RawQuery, "scope=tweet.read%20tweet.write") {
		t.Errorf("scopes not space-separated: %s", u.RawQuery)
	}
}

func TestRefreshDue(t *testing.T) {
	c := x.New(x.Config{})
	now := fixed
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	cases := []struct {
		name string
		cred publisher.Credentials
		want bool
	}{
		{"fresh", publisher.Credentials{RefreshToken: "r", ExpiresAt: at(2 * time.Hour)}, false},
		{"11 minutes left", publisher.Credentials{RefreshToken: "r", ExpiresAt: at(11 * time.Minute)}, false},
		{"10 minutes left", publisher.Credentials{RefreshToken: "r", ExpiresAt: at(10 * time.Minute)}, true},
		{"expired", publisher.Credentials{RefreshToken: "r", ExpiresAt: at(-time.Hour)}, true},
		{"no refresh token", publisher.Credentials{ExpiresAt: at(-time.Hour)}, false},
		{"no expiry", publisher.Credentials{RefreshToken: "r"}, false},
	}
	for _, tc := range cases {
		if got := c.RefreshDue(tc.cred, now); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
	if !x.New(x.Config{RefreshMargin: time.Hour}).RefreshDue(publisher.Credentials{RefreshToken: "r", ExpiresAt: at(59 * time.Minute)}, now) {
		t.Error("configured margin ignored")
	}
	if _, err := c.Refresh(context.Background(), account, publisher.Credentials{AccessToken: "a"}); asPlatformError(t, err).Class != publisher.ClassAuth {
		t.Errorf("refresh without a refresh token: %v", err)
	}
}

func TestRulesAndMeasure(t *testing.T) {
	c := x.New(x.Config{})
	r := c.Rules()
	if r.Platform != publisher.X || r.MaxChars != 280 || r.CountUnit != "weighted" || r.MaxImages != 4 || r.MaxImageBytes != 5<<20 ||
		strings.Join(r.ImageTypes, ",") != "image/jpeg,image/png,image/gif,image/webp" || !r.Enabled || r.Defunct != "" || c.Platform() != publisher.X {
		t.Errorf("rules %+v", r)
	}
	if r := x.New(x.Config{MaxWeighted: 500, MaxImages: 2}).Rules(); r.MaxChars != 500 || r.MaxImages != 2 {
		t.Errorf("configured rules %+v", r)
	}
	v2 := x.ConfigV2()
	if m := x.New(x.Config{TextConfig: &v2}).Measure(publisher.Message{Text: "👍🏽"}); m.Count != 4 || m.Limit != 280 {
		t.Errorf("v2 config: %+v (no emoji parsing: two code points of weight 2)", m)
	}
	cases := []struct {
		msg  publisher.Message
		want int
	}{
		{publisher.Message{Text: "hello"}, 5},
		{publisher.Message{Text: "नमस्ते"}, 6}, // न म स ् त े: six code points, weight 1 each
		{publisher.Message{Text: "ਸਤਿ ਸ੍ਰੀ ਅਕਾਲ"}, 13},
		{publisher.Message{Text: "中文"}, 4},
		{publisher.Message{Text: "👨‍👩‍👧 family"}, 2 + 7},
		{publisher.Message{Text: "see haryana.gov.in"}, 4 + 23},
		{publisher.Message{Text: "hi", Link: "https://haryana.gov.in/a/very/long/path/that/is/still/one/link"}, 2 + 2 + 23},
		{publisher.Message{Text: "see https://a.in", Link: "https://a.in"}, 4 + 23},
		{publisher.Message{Link: "https://a.in"}, 23},
		{publisher.Message{Text: "e\u0301"}, 1}, // NFC: é
	}
	for _, tc := range cases {
		if m := c.Measure(tc.msg); m.Count != tc.want || m.Limit != 280 {
			t.Errorf("Measure(%+v) = %+v, want %d", tc.msg, m, tc.want)
		}
	}
}
