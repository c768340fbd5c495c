package mastodon_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/mastodon"
	"github.com/prasar/prasar/publisher"
)

const goldenToken = "ZA-Yj3aBD8U8Cm7lKUp-golden-token"

func goldenConnector(s *stub, cfg mastodon.Config) *mastodon.Connector {
	cfg.Instances = []mastodon.Instance{{URL: "https://mastodon.example/", ClientID: "cid", ClientSecret: "csecret"}}
	cfg.MediaPollInterval = time.Millisecond
	c := mastodon.New(cfg)
	return c
}

var goldenCred = func(s *stub) publisher.Credentials {
	return publisher.Credentials{AccessToken: goldenToken, Extra: map[string]string{"instance": s.srv.URL}}
}

func assertAuth(t *testing.T, r recorded) {
	t.Helper()
	if r.Header.Get("Authorization") != "Bearer "+goldenToken || strings.Contains(r.RawQuery, goldenToken) {
		t.Errorf("%s %s: the token is not (only) in the Authorization header", r.Method, r.Path)
	}
}

func TestGoldenStatus(t *testing.T) {
	s := newStub(t, "status.json")
	c := goldenConnector(s, mastodon.Config{})
	pub, err := c.Publish(context.Background(), account, goldenCred(s),
		publisher.Message{DeliveryID: "dq3f8a", Text: "नई योजना", Link: "https://haryana.gov.in/x", Languages: []string{"hi", "en"}})
	if err != nil {
		t.Fatal(err)
	}
	if pub.ExternalID != "103270115826048975" || pub.URL != "https://mastodon.example/@agri/103270115826048975" {
		t.Errorf("published %+v", pub)
	}
	r := s.requests()[0]
	if r.Method != "POST" || r.Path != "/api/v1/statuses" || r.Header.Get("Idempotency-Key") != "dq3f8a" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request %s %s key=%q", r.Method, r.Path, r.Header.Get("Idempotency-Key"))
	}
	want := `{"language":"hi","status":"नई योजना\n\nhttps://haryana.gov.in/x","visibility":"public"}`
	if got := mustJSON(r.JSON); got != want {
		t.Errorf("body %s\nwant %s", got, want)
	}
	assertAuth(t, r)
}

func TestGoldenMediaAndPolling(t *testing.T) {
	s := newStub(t, "media_sync.json", "202:media_async.json", "206:media_async.json", "media_ready.json", "status.json")
	c := goldenConnector(s, mastodon.Config{Visibility: "unlisted"})
	_, err := c.Publish(context.Background(), account, goldenCred(s),
		publisher.Message{DeliveryID: "d2", Text: "photos", Media: []publisher.MediaRef{image("m1", png1), image("m2", png1)}})
	if err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	if len(reqs) != 5 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, r := range reqs[:2] {
		if r.Method != "POST" || r.Path != "/api/v2/media" || string(r.Files["file"]) != string(png1) || r.FileType["file"] != "image/png" || r.Params.Get("description") == "" {
			t.Errorf("upload %d: %s %s %v", i, r.Method, r.Path, r.Params)
		}
		assertAuth(t, r)
	}
	for _, r := range reqs[2:4] {
		if r.Method != "GET" || r.Path != "/api/v1/media/22348642" {
			t.Errorf("poll: %s %s", r.Method, r.Path)
		}
	}
	if got := mustJSON(reqs[4].JSON); got != `{"media_ids":["22348641","22348642"],"status":"photos","visibility":"unlisted"}` {
		t.Errorf("status body %s", got)
	}
}

func TestGoldenErrors(t *testing.T) {
	now := time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		answer    string
		class     publisher.ErrorClass
		code      string
		ambiguous bool
		retryAt   time.Time
		message   string
	}{
		{"401:invalid_token.json", publisher.ClassAuth, "401", false, time.Time{}, "The access token is invalid"},
		{"403:forbidden.json", publisher.ClassAuth, "403", false, time.Time{}, "outside the authorized scopes"},
		{"422:blank.json", publisher.ClassRejected, "422", false, time.Time{}, "Text can't be blank"},
		{"429:too_many.json|X-RateLimit-Reset: 2026-08-01T10:05:00.000000Z", publisher.ClassRateLimited, "429", false, now.Add(5 * time.Minute), "Too many requests"},
		{"429:too_many.json", publisher.ClassRateLimited, "429", false, now.Add(7 * time.Minute), "Too many requests"},
		{"503:too_many.json", publisher.ClassRetryable, "503", true, time.Time{}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.answer, func(t *testing.T) {
			s := newStub(t, tc.answer)
			c := goldenConnector(s, mastodon.Config{Now: func() time.Time { return now }, RateLimitBackoff: 7 * time.Minute})
			_, err := c.Publish(context.Background(), account, goldenCred(s), publisher.Message{Text: "x"})
			pe := asPlatformError(t, err)
			if pe.Class != tc.class || pe.Code != tc.code || pe.Ambiguous != tc.ambiguous || !pe.RetryAt.Equal(tc.retryAt) || !strings.Contains(pe.Message, tc.message) {
				t.Errorf("got %s %s ambiguous=%v retry=%s %q", pe.Class, pe.Code, pe.Ambiguous, pe.RetryAt, pe.Message)
			}
		})
	}
}

func TestGoldenLookupRecoversTextFromHTML(t *testing.T) {
	since := time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)
	s := newStub(t, "statuses_page.json")
	c := goldenConnector(s, mastodon.Config{})
	msg := publisher.Message{Text: "नई योजना & <सूचना> #कृषि\nलिंक देखें\n\nhttps://haryana.gov.in/schemes/kisan-samman-nidhi-2026 @cm@gov.example"}
	pub, err := c.Lookup(context.Background(), account, goldenCred(s), msg, since)
	if err != nil || pub.ExternalID != "103270115826048976" || pub.URL != "https://mastodon.example/@agri/103270115826048976" {
		t.Fatalf("Lookup: %+v, %v", pub, err)
	}
	r := s.requests()[0]
	q, _ := url.ParseQuery(r.RawQuery)
	if r.Method != "GET" || r.Path != "/api/v1/accounts/"+acctID+"/statuses" || q.Get("limit") != "40" || q.Get("exclude_reblogs") != "true" || q.Has("max_id") {
		t.Errorf("request %s %s?%s", r.Method, r.Path, r.RawQuery)
	}
	assertAuth(t, r)
	// The page ends before 40 statuses, and nothing older than since
	// matched: not published.
	s = newStub(t, "statuses_page.json")
	c = goldenConnector(s, mastodon.Config{})
	if _, err := c.Lookup(context.Background(), account, goldenCred(s), publisher.Message{Text: "never posted"}, since); !errors.Is(err, publisher.ErrNotPublished) {
		t.Errorf("absent: %v", err)
	}
	// A full page makes it read the next one, from the last id.
	s = newStub(t, "statuses_page.json", "statuses_page.json")
	c = goldenConnector(s, mastodon.Config{LookupPageSize: 2, LookupMaxPages: 2})
	if _, err := c.Lookup(context.Background(), account, goldenCred(s), publisher.Message{Text: "never posted"}, time.Time{}); !errors.Is(err, publisher.ErrLookupUnsupported) {
		t.Errorf("more than it may read: %v", err)
	}
	if q, _ := url.ParseQuery(s.requests()[1].RawQuery); q.Get("max_id") != "103270115826048976" || q.Get("limit") != "2" {
		t.Errorf("second page ?%s", s.requests()[1].RawQuery)
	}
}

func TestGoldenMetrics(t *testing.T) {
	s := newStub(t, "status_counts.json")
	c := goldenConnector(s, mastodon.Config{})
	m, err := c.FetchMetrics(context.Background(), account, goldenCred(s), "103270115826048975")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Values) != 4 || m.Values["replies_count"] != 4 || m.Values["reblogs_count"] != 12 || m.Values["favourites_count"] != 33 || m.Values["quotes_count"] != 1 {
		t.Errorf("metrics %+v", m)
	}
	if r := s.requests()[0]; r.Method != "GET" || r.Path != "/api/v1/statuses/103270115826048975" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
}

func TestGoldenAuthCodeURLAndExchange(t *testing.T) {
	s := newStub(t, "token.json", "verify_credentials.json")
	c := mastodon.New(mastodon.Config{Instances: []mastodon.Instance{{URL: s.srv.URL, ClientID: "cid", ClientSecret: "csecret"}}})
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	u, err := url.Parse(c.AuthCodeURL("st4te", verifier, "https://prasar.example/oauth/callback"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	sum := sha256.Sum256([]byte(verifier))
	if u.Path != "/oauth/authorize" || q.Get("response_type") != "code" || q.Get("client_id") != "cid" || q.Get("state") != "st4te" ||
		q.Get("redirect_uri") != "https://prasar.example/oauth/callback" || q.Get("scope") != "read:accounts read:statuses write:statuses write:media" ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") != base64.RawURLEncoding.EncodeToString(sum[:]) || q.Has("client_secret") {
		t.Errorf("auth URL %s", u)
	}
	g, err := c.Exchange(context.Background(), "the-code", verifier, "https://prasar.example/oauth/callback")
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(s.srv.URL, "http://")
	if len(g) != 1 || g[0].ExternalID != "109900000000001" || g[0].Handle != "@agri_haryana@"+host || g[0].DisplayName != "कृषि विभाग हरियाणा" ||
		g[0].Credentials.AccessToken != "fake.mastodon.token.golden" || g[0].Credentials.Extra["instance"] != s.srv.URL || len(g[0].Scopes) != 4 {
		t.Errorf("granted %+v", g)
	}
	reqs := s.requests()
	p := reqs[0].Params
	if reqs[0].Method != "POST" || reqs[0].Path != "/oauth/token" || p.Get("grant_type") != "authorization_code" || p.Get("code") != "the-code" ||
		p.Get("code_verifier") != verifier || p.Get("client_id") != "cid" || p.Get("client_secret") != "csecret" || p.Get("redirect_uri") != "https://prasar.example/oauth/callback" {
		t.Errorf("token request %s %s %v", reqs[0].Method, reqs[0].Path, p)
	}
	if reqs[1].Path != "/api/v1/accounts/verify_credentials" || reqs[1].Header.Get("Authorization") != "Bearer fake.mastodon.token.golden" {
		t.Errorf("verify request %s %v", reqs[1].Path, reqs[1].Header)
	}
	s = newStub(t, "400:invalid_grant.json")
	c = mastodon.New(mastodon.Config{Instances: []mastodon.Instance{{URL: s.srv.URL, ClientID: "cid", ClientSecret: "csecret"}}})
	_, err = c.Exchange(context.Background(), "used-code", verifier, "https://prasar.example/oauth/callback")
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassRejected || !strings.Contains(pe.Message, "invalid_grant") || strings.Contains(err.Error(), "csecret") {
		t.Errorf("refused code: %s %q", pe.Class, pe.Message)
	}
	if got := mastodon.New(mastodon.Config{}).AuthCodeURL("s", "v", "https://x"); got != "" {
		t.Errorf("no instance configured: %q", got)
	}
	// An instance that browsers reach at another address (the sandbox
	// behind docker-compose) sends them there; the token call stays on URL.
	c = mastodon.New(mastodon.Config{Instances: []mastodon.Instance{{URL: "http://api:8080/sandbox/mastodon", WebURL: "http://localhost:8080/sandbox/mastodon/",
		ClientID: "cid", ClientSecret: "csecret"}}})
	if got := c.AuthCodeURL("s", "", "https://x"); !strings.HasPrefix(got, "http://localhost:8080/sandbox/mastodon/oauth/authorize?") {
		t.Errorf("consent page at %q, want the browser's address", got)
	}
}
