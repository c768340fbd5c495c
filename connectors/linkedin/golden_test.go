package linkedin_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/linkedin"
	"github.com/prasar/prasar/publisher"
)

const goldenToken = "fake.linkedin.token.golden"

var goldenCred = publisher.Credentials{AccessToken: goldenToken}

var now = time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)

func golden(s *stub, cfg linkedin.Config) *linkedin.Connector {
	cfg.APIURL = s.srv.URL
	cfg.Now = func() time.Time { return now }
	return linkedin.New(cfg)
}

func assertHeaders(t *testing.T, r recorded, version string) {
	t.Helper()
	if r.Header.Get("Authorization") != "Bearer "+goldenToken || r.Header.Get("Linkedin-Version") != version ||
		r.Header.Get("X-Restli-Protocol-Version") != "2.0.0" || strings.Contains(r.RawQuery, goldenToken) {
		t.Errorf("%s %s headers %v", r.Method, r.Path, r.Header)
	}
}

func TestEscape(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"योजना (PM-KISAN) [2026]", `योजना \(PM-KISAN\) \[2026\]`},
		{`a_b *bold* ~x~ <tag> {x} | @cm \ #`, `a\_b \*bold\* \~x\~ \<tag\> \{x\} \| \@cm \\ \#`},
		{"#किसान और #Haryana2026 हैं", "#किसान और #Haryana2026 हैं"},
		{"see https://haryana.gov.in/a_b(c) now", "see https://haryana.gov.in/a_b(c) now"},
		{"(https://a.in/x_y)", `\(https://a.in/x_y)`},
		{"price#1", `price\#1`},
	}
	for _, c := range cases {
		if got := linkedin.Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestGoldenTextPost(t *testing.T) {
	s := newStub(t, "201:empty.json|X-Restli-Id: urn:li:share:7175463025836568576")
	c := golden(s, linkedin.Config{Version: "202607"})
	acct := &publisher.Account{ExternalID: "2414183"} // the bare id works too
	pub, err := c.Publish(context.Background(), acct, goldenCred, publisher.Message{DeliveryID: "d1", Text: "नई योजना (PM-KISAN)", Link: "https://haryana.gov.in/x_y"})
	if err != nil {
		t.Fatal(err)
	}
	if pub.ExternalID != "urn:li:share:7175463025836568576" || pub.URL != "https://www.linkedin.com/feed/update/urn:li:share:7175463025836568576/" {
		t.Errorf("published %+v", pub)
	}
	r := s.requests()[0]
	if r.Method != "POST" || r.Path != "/rest/posts" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	assertHeaders(t, r, "202607")
	want := `{"author":"urn:li:organization:2414183","commentary":"नई योजना \\(PM-KISAN\\)\n\nhttps://haryana.gov.in/x_y",` +
		`"distribution":{"feedDistribution":"MAIN_FEED","targetEntities":[],"thirdPartyDistributionChannels":[]},"isReshareDisabledByAuthor":false,` +
		`"lifecycleState":"PUBLISHED","visibility":"PUBLIC"}`
	if got := mustJSON(r.json()); got != want {
		t.Errorf("body\n%s\nwant\n%s", got, want)
	}
}

func TestGoldenImages(t *testing.T) {
	s := newStub(t, "init_upload.json", "201:empty.json", "init_upload.json", "201:empty.json", "201:empty.json|X-Restli-Id: urn:li:share:9")
	c := golden(s, linkedin.Config{})
	_, err := c.Publish(context.Background(), account, goldenCred, publisher.Message{Text: "photos", Media: []publisher.MediaRef{image("m1", png1), image("m2", png1)}})
	if err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	init := reqs[0]
	if init.Method != "POST" || init.Path != "/rest/images" || init.RawQuery != "action=initializeUpload" || mustJSON(init.json()) != `{"initializeUploadRequest":{"owner":"`+org+`"}}` {
		t.Errorf("initializeUpload %s %s?%s %s", init.Method, init.Path, init.RawQuery, init.Body)
	}
	assertHeaders(t, init, "202605")
	put := reqs[1]
	if put.Method != "PUT" || put.Path != "/dms-uploads/sp/C4E10AQ/0" || put.RawQuery != "ca=vector_feedshare" || string(put.Body) != string(png1) ||
		put.Header.Get("Authorization") != "Bearer "+goldenToken {
		t.Errorf("upload %s %s?%s", put.Method, put.Path, put.RawQuery)
	}
	post := reqs[4].json()
	if got := mustJSON(post["content"]); got != `{"multiImage":{"images":[{"altText":"alt m1","id":"urn:li:image:C4E10AQFoyyAjHPMQuQ"},{"altText":"alt m2","id":"urn:li:image:C4E10AQFoyyAjHPMQuQ"}]}}` {
		t.Errorf("content %s", got)
	}
	// One image: content.media.
	s = newStub(t, "init_upload.json", "201:empty.json", "201:empty.json|X-Restli-Id: urn:li:share:9")
	c = golden(s, linkedin.Config{})
	if _, err := c.Publish(context.Background(), account, goldenCred, publisher.Message{Text: "one", Media: []publisher.MediaRef{image("m1", png1)}}); err != nil {
		t.Fatal(err)
	}
	if got := mustJSON(s.requests()[2].json()["content"]); got != `{"media":{"altText":"alt m1","id":"urn:li:image:C4E10AQFoyyAjHPMQuQ"}}` {
		t.Errorf("content %s", got)
	}
}

func TestGoldenErrors(t *testing.T) {
	cases := []struct {
		answer    string
		class     publisher.ErrorClass
		code      string
		ambiguous bool
		retryAt   time.Time
		message   string
	}{
		{"422:duplicate.json", publisher.ClassRejected, "DUPLICATE_POST", false, time.Time{}, "Content is a duplicate of urn:li:share:7175463025836568576"},
		{"422:author_missing.json", publisher.ClassRejected, "FIELD_REQUIRED", false, time.Time{}, "/author"},
		{"401:invalid_token.json", publisher.ClassAuth, "INVALID_ACCESS_TOKEN", false, time.Time{}, "Invalid access token"},
		{"403:access_denied.json", publisher.ClassAuth, "ACCESS_DENIED", false, time.Time{}, "Not enough permissions"},
		{"429:throttled.json", publisher.ClassRateLimited, "TOO_MANY_REQUESTS", false, now.Add(time.Hour), "throttle"},
		{"429:throttled.json|Retry-After: 120", publisher.ClassRateLimited, "TOO_MANY_REQUESTS", false, now.Add(2 * time.Minute), "throttle"},
		{"426:version.json", publisher.ClassRejected, "NONEXISTENT_VERSION", false, time.Time{}, "must be updated in the configuration"},
		{"500:server_error.json", publisher.ClassRetryable, "500", true, time.Time{}, "Internal Server Error"},
		{"201:empty.json", publisher.ClassRetryable, "", true, time.Time{}, "x-restli-id"},
	}
	for _, tc := range cases {
		t.Run(tc.answer, func(t *testing.T) {
			s := newStub(t, tc.answer)
			c := golden(s, linkedin.Config{})
			_, err := c.Publish(context.Background(), account, goldenCred, publisher.Message{Text: "x"})
			pe := asPlatformError(t, err)
			if pe.Class != tc.class || pe.Code != tc.code || pe.Ambiguous != tc.ambiguous || !pe.RetryAt.Equal(tc.retryAt) || !strings.Contains(pe.Message, tc.message) {
				t.Errorf("got %s %s ambiguous=%v retry=%s %q", pe.Class, pe.Code, pe.Ambiguous, pe.RetryAt, pe.Message)
			}
		})
	}
}

func TestGoldenLookupDeleteMetrics(t *testing.T) {
	since := time.UnixMilli(1785578000000)
	s := newStub(t, "posts_page.json", "posts_page.json", "204:empty.json", "404:server_error.json", "stats.json")
	c := golden(s, linkedin.Config{})
	ctx := context.Background()
	msg := publisher.Message{Text: "नई योजना (PM-KISAN) #किसान https://haryana.gov.in/a_b"}
	pub, err := c.Lookup(ctx, account, goldenCred, msg, since)
	if err != nil || pub.ExternalID != "urn:li:share:7" {
		t.Fatalf("Lookup: %+v %v", pub, err)
	}
	r := s.requests()[0]
	if r.Path != "/rest/posts" || r.RawQuery != "q=author&author=urn%3Ali%3Aorganization%3A2414183&count=50&start=0&sortBy=LAST_MODIFIED" {
		t.Errorf("finder %s?%s", r.Path, r.RawQuery)
	}
	assertHeaders(t, r, "202605")
	// The older post is before since: not published, and no second page.
	if _, err := c.Lookup(ctx, account, goldenCred, publisher.Message{Text: "older"}, since); !errors.Is(err, publisher.ErrNotPublished) {
		t.Errorf("before since: %v", err)
	}
	if err := c.Delete(ctx, account, goldenCred, "urn:li:share:7"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, account, goldenCred, "urn:li:share:7"); err != nil {
		t.Errorf("already gone: %v", err)
	}
	if r := s.requests()[2]; r.Method != "DELETE" || r.RawPath != "/rest/posts/urn%3Ali%3Ashare%3A7" {
		t.Errorf("delete %s %s", r.Method, r.RawPath)
	}
	m, err := c.FetchMetrics(ctx, account, goldenCred, "urn:li:share:7")
	if err != nil {
		t.Fatal(err)
	}
	if mustJSON(m.Values) != `{"clickCount":3,"commentCount":1,"impressionCount":199,"likeCount":4,"shareCount":2,"uniqueImpressionsCount":120}` {
		t.Errorf("metrics %+v", m)
	}
	if r := s.requests()[4]; r.Path != "/rest/organizationalEntityShareStatistics" ||
		r.RawQuery != "q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183&shares=List(urn%3Ali%3Ashare%3A7)" {
		t.Errorf("statistics %s?%s", r.Path, r.RawQuery)
	}
}

func TestGoldenOAuth(t *testing.T) {
	s := newStub(t, "token.json", "acls.json", "org_2414183.json", "org_5515715.json")
	c := linkedin.New(linkedin.Config{APIURL: s.srv.URL, TokenURL: s.srv.URL + "/oauth/v2/accessToken", ClientID: "cid", ClientSecret: "csecret", Now: func() time.Time { return now }})
	u, _ := url.Parse(c.AuthCodeURL("st", "verifier-ignored", "https://prasar.example/cb"))
	q := u.Query()
	if u.Host != "www.linkedin.com" || u.Path != "/oauth/v2/authorization" || q.Get("response_type") != "code" || q.Get("client_id") != "cid" ||
		q.Get("scope") != "w_organization_social r_organization_social rw_organization_admin" || q.Get("state") != "st" || q.Has("code_challenge") {
		t.Errorf("auth URL %s", u)
	}
	g, err := c.Exchange(context.Background(), "code", "", "https://prasar.example/cb")
	if err != nil {
		t.Fatal(err)
	}
	if len(g) != 2 || g[0].ExternalID != "urn:li:organization:2414183" || g[0].Handle != "agriharyana" || g[0].DisplayName != "Department of Agriculture, Haryana" ||
		g[0].ProfileURL != "https://www.linkedin.com/company/agriharyana" || g[0].Problem != "" || g[1].Problem == "" || !strings.Contains(g[1].Problem, "ANALYST") ||
		g[0].Credentials.AccessToken != "fake.linkedin.token.golden" || g[0].Credentials.RefreshToken != "" || !g[0].Credentials.ExpiresAt.Equal(now.Add(5183999*time.Second)) ||
		len(g[0].Scopes) != 3 {
		t.Errorf("granted %+v", g)
	}
	reqs := s.requests()
	if p, _ := url.ParseQuery(string(reqs[0].Body)); p.Get("grant_type") != "authorization_code" || p.Get("client_secret") != "csecret" || p.Get("code") != "code" || p.Has("code_verifier") {
		t.Errorf("token request %s", reqs[0].Body)
	}
	if reqs[1].Path != "/rest/organizationAcls" || reqs[1].RawQuery != "q=roleAssignee&state=APPROVED&count=100" || reqs[2].Path != "/rest/organizations/2414183" {
		t.Errorf("acl/org requests %s?%s %s", reqs[1].Path, reqs[1].RawQuery, reqs[2].Path)
	}
	// Without a refresh token nothing is due, and Refresh says why.
	exp := now.Add(time.Hour)
	cred := publisher.Credentials{AccessToken: "a", ExpiresAt: &exp}
	if c.RefreshDue(cred, now) {
		t.Error("due without a refresh token")
	}
	if _, err := c.Refresh(context.Background(), account, cred); asPlatformError(t, err).Class != publisher.ClassAuth {
		t.Errorf("refresh without a refresh token: %v", err)
	}
	// A partner's refresh: an empty refresh token in the answer keeps the
	// old one.
	s = newStub(t, "token_partner.json")
	c = linkedin.New(linkedin.Config{TokenURL: s.srv.URL, ClientID: "cid", ClientSecret: "csecret", Now: func() time.Time { return now }})
	cred = publisher.Credentials{AccessToken: "old", RefreshToken: "refresh-1", ExpiresAt: &exp, Extra: map[string]string{"refresh_expires_at": "2027-07-01T00:00:00Z"}}
	if !c.RefreshDue(cred, now) {
		t.Error("not due an hour before expiry")
	}
	fresh, err := c.Refresh(context.Background(), account, cred)
	if err != nil {
		t.Fatal(err)
	}
	// LinkedIn answers the refresh token's remaining life; it is kept.
	if fresh.AccessToken != "fake.linkedin.token.renewed" || fresh.RefreshToken != "refresh-1" ||
		fresh.Extra["refresh_expires_at"] != now.Add(31103999*time.Second).Format(time.RFC3339) || !fresh.ExpiresAt.Equal(now.Add(5183999*time.Second)) {
		t.Errorf("refreshed %+v", fresh)
	}
	if p, _ := url.ParseQuery(string(s.requests()[0].Body)); p.Get("grant_type") != "refresh_token" || p.Get("refresh_token") != "refresh-1" {
		t.Errorf("refresh request %s", s.requests()[0].Body)
	}
	expired := cred
	expired.Extra = map[string]string{"refresh_expires_at": "2026-01-01T00:00:00Z"}
	if c.RefreshDue(expired, now) {
		t.Error("due with an expired refresh token")
	}
}
