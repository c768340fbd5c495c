package linkedin_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/linkedin"
	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/publisher"
)

func TestPublishAgainstSandbox(t *testing.T) {
	e := newEnv(t, linkedin.Config{})
	cred := e.token(org, "कृषि विभाग Agriculture")
	text := "नई योजना (PM-KISAN) के लिए आवेदन [अंतिम तिथि 15/08] — *ज़रूरी* #किसान"
	msg := publisher.Message{DeliveryID: "d1", Text: text, Link: "https://haryana.gov.in/pm_kisan"}
	pub, err := e.c.Publish(context.Background(), account, cred, msg)
	if e.check(err) != nil {
		t.Fatal(err)
	}
	posts := e.posts(org)
	// The sandbox shows what a reader would see: nothing was truncated at a
	// reserved character, and the link is whole.
	if len(posts) != 1 || posts[0].ID != pub.ExternalID || posts[0].Text != text+"\n\n"+msg.Link || posts[0].Link != msg.Link {
		t.Fatalf("sandbox shows %+v; published %+v", posts, pub)
	}
	if pub.URL != e.cfg.WebURL+"/feed/update/"+pub.ExternalID+"/" || !strings.HasPrefix(pub.ExternalID, "urn:li:share:") {
		t.Errorf("published %+v", pub)
	}
	resp, err := http.Get(pub.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "नई योजना (PM-KISAN)") {
		t.Errorf("the post's URL %s does not show it: %d", pub.URL, resp.StatusCode)
	}
	// Lookup finds it.
	got, err := e.c.Lookup(context.Background(), account, cred, msg, e.clock.Now().Add(-time.Minute))
	if e.check(err) != nil || *got != *pub {
		t.Errorf("Lookup: %+v %v; want %+v", got, err, pub)
	}
}

// TestUnescapedTextWouldBeTruncated shows what the escaping prevents: the
// sandbox, like LinkedIn, cuts commentary at an unescaped reserved
// character.
func TestUnescapedTextWouldBeTruncated(t *testing.T) {
	e := newEnv(t, linkedin.Config{})
	cred := e.token(org, "Agriculture")
	body := `{"author":"` + org + `","commentary":"नई योजना (PM-KISAN) शुरू","visibility":"PUBLIC","distribution":{"feedDistribution":"MAIN_FEED"},"lifecycleState":"PUBLISHED"}`
	req, _ := http.NewRequest("POST", e.cfg.APIURL+"/rest/posts", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+cred.AccessToken)
	req.Header.Set("Linkedin-Version", "202607")
	req.Header.Set("X-Restli-Protocol-Version", "2.0.0")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if p := e.posts(org); resp.StatusCode != 201 || len(p) != 1 || p[0].Text != "नई योजना " {
		t.Errorf("unescaped: %d %+v", resp.StatusCode, p)
	}
}

func TestPublishImagesAgainstSandbox(t *testing.T) {
	for _, n := range []int{1, 3} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			e := newEnv(t, linkedin.Config{})
			cred := e.token(org, "Agriculture")
			var media []publisher.MediaRef
			for i := range n {
				media = append(media, image("m"+strconv.Itoa(i), png1))
			}
			if _, err := e.c.Publish(context.Background(), account, cred, publisher.Message{Text: "photos", Media: media}); e.check(err) != nil {
				t.Fatal(err)
			}
			posts := e.posts(org)
			if len(posts) != 1 || len(posts[0].Images) != n || posts[0].Images[0].AltText != "alt m0" || posts[0].Images[0].ContentType != "image/png" {
				t.Fatalf("sandbox received %+v", posts)
			}
		})
	}
}

func TestRulesAndMeasure(t *testing.T) {
	c := linkedin.New(linkedin.Config{})
	r := c.Rules()
	if r.Platform != publisher.LinkedIn || r.MaxChars != 3000 || r.CountUnit != "characters" || r.MaxImages != 20 || !r.Enabled || c.Platform() != publisher.LinkedIn {
		t.Errorf("rules %+v", r)
	}
	cases := []struct {
		msg  publisher.Message
		want int
	}{
		{publisher.Message{Text: "hello"}, 5},
		{publisher.Message{Text: "नमस्ते"}, 6},
		{publisher.Message{Text: "(a)"}, 5}, // the escapes count
		{publisher.Message{Text: "hi", Link: "https://a.in/x_y"}, 2 + 2 + 16},
	}
	for _, tc := range cases {
		if m := c.Measure(tc.msg); m.Count != tc.want || m.Limit != 3000 {
			t.Errorf("Measure(%q) = %+v, want %d", tc.msg.Text, m, tc.want)
		}
	}
}

func TestPublishErrorClasses(t *testing.T) {
	cases := []struct {
		name      string
		setup     func(e *env) (*publisher.Account, publisher.Credentials)
		cfg       linkedin.Config
		class     publisher.ErrorClass
		code      string
		ambiguous bool
		retryIn   time.Duration
	}{
		{"duplicate", func(e *env) (*publisher.Account, publisher.Credentials) {
			cred := e.token(org, "A")
			if _, err := e.c.Publish(context.Background(), account, cred, publisher.Message{Text: "the text"}); err != nil {
				e.t.Fatal(err)
			}
			return account, cred
		}, linkedin.Config{}, publisher.ClassRejected, "DUPLICATE_POST", false, 0},
		{"duplicate (fault)", func(e *env) (*publisher.Account, publisher.Credentials) {
			e.fault(org, sandbox.Fault{Kind: sandbox.FaultDuplicate})
			return account, e.token(org, "A")
		}, linkedin.Config{}, publisher.ClassRejected, "DUPLICATE_POST", false, 0},
		{"expired token", func(e *env) (*publisher.Account, publisher.Credentials) {
			cred := e.token(org, "A")
			e.clock.Advance(61 * 24 * time.Hour)
			return account, cred
		}, linkedin.Config{Version: "202608"}, publisher.ClassAuth, "EXPIRED_ACCESS_TOKEN", false, 0},
		{"invalid token", func(e *env) (*publisher.Account, publisher.Credentials) {
			return account, publisher.Credentials{AccessToken: "AQX-nonsense"}
		}, linkedin.Config{}, publisher.ClassAuth, "INVALID_ACCESS_TOKEN", false, 0},
		{"another organization", func(e *env) (*publisher.Account, publisher.Credentials) {
			return &publisher.Account{ExternalID: "urn:li:organization:999"}, e.token(org, "A")
		}, linkedin.Config{}, publisher.ClassAuth, "ACCESS_DENIED", false, 0},
		{"retired version", func(e *env) (*publisher.Account, publisher.Credentials) {
			return account, e.token(org, "A")
		}, linkedin.Config{Version: "202501"}, publisher.ClassRejected, "NONEXISTENT_VERSION", false, 0},
		{"too long for LinkedIn", func(e *env) (*publisher.Account, publisher.Credentials) {
			return account, e.token(org, "A")
		}, linkedin.Config{MaxChars: 5000}, publisher.ClassRejected, "MAX_LENGTH_EXCEEDED", false, 0},
		{"rate limit (fault)", func(e *env) (*publisher.Account, publisher.Credentials) {
			e.fault(org, sandbox.Fault{Kind: sandbox.FaultRateLimit, RetryAfter: 3 * time.Minute})
			return account, e.token(org, "A")
		}, linkedin.Config{}, publisher.ClassRateLimited, "TOO_MANY_REQUESTS", false, 3 * time.Minute},
		{"the daily quota", func(e *env) (*publisher.Account, publisher.Credentials) {
			cred := e.token(org, "A")
			for i := range 150 {
				if _, err := e.c.Publish(context.Background(), account, cred, publisher.Message{Text: "post " + strconv.Itoa(i)}); err != nil {
					e.t.Fatal(err)
				}
			}
			return account, cred
		}, linkedin.Config{RateLimitBackoff: 2 * time.Hour}, publisher.ClassRateLimited, "TOO_MANY_REQUESTS", false, 2 * time.Hour},
		{"500", func(e *env) (*publisher.Account, publisher.Credentials) {
			e.fault(org, sandbox.Fault{Kind: sandbox.FaultServerError})
			return account, e.token(org, "A")
		}, linkedin.Config{}, publisher.ClassRetryable, "500", true, 0},
		{"timeout after the server accepted", func(e *env) (*publisher.Account, publisher.Credentials) {
			e.fault(org, sandbox.Fault{Kind: sandbox.FaultSlow, Delay: 10 * time.Second})
			return account, e.token(org, "A")
		}, linkedin.Config{}, publisher.ClassRetryable, "", true, 0},
		{"connection dropped after commit", func(e *env) (*publisher.Account, publisher.Credentials) {
			e.fault(org, sandbox.Fault{Kind: sandbox.FaultDropAfterCommit})
			return account, e.token(org, "A")
		}, linkedin.Config{}, publisher.ClassRetryable, "", true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.cfg)
			acct, cred := c.setup(e)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			text := "the text"
			if c.cfg.MaxChars > 3000 {
				text = strings.Repeat("क", 3001)
			}
			_, err := e.c.Publish(ctx, acct, cred, publisher.Message{Text: text})
			pe := asPlatformError(t, e.check(err))
			if pe.Class != c.class || pe.Code != c.code || pe.Ambiguous != c.ambiguous || pe.Message == "" {
				t.Errorf("got %s %q ambiguous=%v (%s); want %s %q ambiguous=%v", pe.Class, pe.Code, pe.Ambiguous, pe.Message, c.class, c.code, c.ambiguous)
			}
			if c.retryIn > 0 && !pe.RetryAt.Equal(e.clock.Now().Add(c.retryIn)) {
				t.Errorf("RetryAt %s, want now+%s", pe.RetryAt, c.retryIn)
			}
		})
	}
}

func TestConnectionRefusedIsNotAmbiguous(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c := linkedin.New(linkedin.Config{APIURL: "http://" + addr})
	_, err := c.Publish(context.Background(), account, goldenCred, publisher.Message{Text: "x"})
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassRetryable || pe.Ambiguous {
		t.Errorf("got %s ambiguous=%v", pe.Class, pe.Ambiguous)
	}
}

// TestExactlyOnceAfterAmbiguousFailure follows Service.Deliver's protocol:
// an ambiguous failure is followed by Lookup, and Publish only if Lookup
// says the post is not there.
func TestExactlyOnceAfterAmbiguousFailure(t *testing.T) {
	cases := []struct {
		name      string
		fault     sandbox.Fault
		committed bool
	}{
		{"connection dropped after commit", sandbox.Fault{Kind: sandbox.FaultDropAfterCommit, Times: 1}, true},
		{"timeout, then LinkedIn finished", sandbox.Fault{Kind: sandbox.FaultSlow, Delay: 10 * time.Second, Times: 1}, true},
		{"500 after committing", sandbox.Fault{Kind: sandbox.FaultServerError, Commit: true, Times: 1}, true},
		{"connection dropped before acting", sandbox.Fault{Kind: sandbox.FaultDrop, Times: 1}, false},
		{"500 without acting", sandbox.Fault{Kind: sandbox.FaultServerError, Times: 1}, false},
	}
	for _, c := range cases {
		for _, media := range []int{0, 2} {
			t.Run(c.name+"/"+strconv.Itoa(media)+" images", func(t *testing.T) {
				e := newEnv(t, linkedin.Config{})
				cred := e.token(org, "Agriculture")
				msg := publisher.Message{DeliveryID: "d1", Text: "परिणाम घोषित (2026)\r\nResults announced", Link: "https://haryana.gov.in/r_1"}
				for i := range media {
					msg.Media = append(msg.Media, image("m"+strconv.Itoa(i), png1))
				}
				since := e.clock.Now().Add(-time.Minute)
				e.fault(org, c.fault)
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				_, err := e.c.Publish(ctx, account, cred, msg)
				if pe := asPlatformError(t, e.check(err)); !pe.Ambiguous || pe.Class != publisher.ClassRetryable {
					t.Fatalf("first attempt: %s ambiguous=%v, want retryable and ambiguous", pe.Class, pe.Ambiguous)
				}
				if c.committed {
					deadline := time.Now().Add(5 * time.Second)
					for len(e.posts(org)) == 0 && time.Now().Before(deadline) {
						time.Sleep(10 * time.Millisecond)
					}
				}
				pub, err := e.c.Lookup(context.Background(), account, cred, msg, since)
				switch {
				case c.committed && e.check(err) != nil:
					t.Fatalf("Lookup: %v, want the committed post", err)
				case c.committed:
					if pub.ExternalID != e.posts(org)[0].ID {
						t.Errorf("Lookup found %s", pub.ExternalID)
					}
				case !errors.Is(err, publisher.ErrNotPublished):
					t.Fatalf("Lookup: %v, want ErrNotPublished", err)
				default:
					if _, err := e.c.Publish(context.Background(), account, cred, msg); e.check(err) != nil {
						t.Fatalf("second attempt: %v", err)
					}
				}
				visible := 0
				for _, p := range e.posts(org) {
					if p.Visible(e.clock.Now()) {
						visible++
					}
				}
				if visible != 1 {
					t.Errorf("%d posts on the Page, want exactly 1", visible)
				}
			})
		}
	}
}

func TestLookupPagingAgainstSandbox(t *testing.T) {
	e := newEnv(t, linkedin.Config{LookupPageSize: 10, LookupMaxPages: 3})
	cred := e.token(org, "Agriculture")
	ctx := context.Background()
	old := publisher.Message{Text: "old announcement"}
	if _, err := e.c.Publish(ctx, account, cred, old); e.check(err) != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	since := e.clock.Now()
	target := publisher.Message{Text: "target [post] with_underscores"}
	want, err := e.c.Publish(ctx, account, cred, target)
	if e.check(err) != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		e.clock.Advance(time.Second)
		if _, err := e.c.Publish(ctx, account, cred, publisher.Message{Text: "filler " + strconv.Itoa(i)}); e.check(err) != nil {
			t.Fatal(err)
		}
	}
	// The target is the 26th newest: on the third page of 10. White space
	// may differ.
	got, err := e.c.Lookup(ctx, account, cred, publisher.Message{Text: " target [post]\r\nwith_underscores "}, since)
	if e.check(err) != nil || *got != *want {
		t.Errorf("Lookup: %+v, %v; want %+v", got, err, want)
	}
	if _, err := e.c.Lookup(ctx, account, cred, old, since); !errors.Is(err, publisher.ErrNotPublished) {
		t.Errorf("a post before since: %v", err)
	}
	short := linkedin.New(linkedin.Config{APIURL: e.cfg.APIURL, Version: e.cfg.Version, LookupPageSize: 10, LookupMaxPages: 2})
	if _, err := short.Lookup(ctx, account, cred, publisher.Message{Text: "absent"}, since); !errors.Is(err, publisher.ErrLookupUnsupported) {
		t.Errorf("more than it may read: %v", err)
	}
	e.fault(org, sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpRead}})
	_, err = e.c.Lookup(ctx, account, cred, target, since)
	if pe := asPlatformError(t, e.check(err)); pe.Class != publisher.ClassRetryable || pe.Ambiguous {
		t.Errorf("failed lookup: %s ambiguous=%v", pe.Class, pe.Ambiguous)
	}
}

func TestOAuthFlowAgainstSandbox(t *testing.T) {
	e := newEnv(t, linkedin.Config{})
	e.token("urn:li:organization:555", "Health Department") // a Page the sandbox knows
	redirect := e.srv.URL + "/callback"
	// Approve: the known Page only to analyse, and a new Page with the
	// right to post.
	loc := e.consent(e.c.AuthCodeURL("st-1", "", redirect), "approve",
		url.Values{"account": {"urn:li:organization:555"}, "new_account": {"Agriculture Haryana"}, "new_publish": {"1"}})
	if loc.Path != "/callback" || loc.Query().Get("state") != "st-1" || loc.Query().Get("code") == "" {
		t.Fatalf("redirected to %s", loc)
	}
	e.secret(loc.Query().Get("code"))
	g, err := e.c.Exchange(context.Background(), loc.Query().Get("code"), "", redirect)
	if e.check(err) != nil {
		t.Fatal(err)
	}
	if len(g) != 2 {
		t.Fatalf("granted %+v", g)
	}
	byName := map[string]publisher.GrantedAccount{}
	for _, a := range g {
		byName[a.DisplayName] = a
		e.secret(a.Credentials.AccessToken)
	}
	agri, health := byName["Agriculture Haryana"], byName["Health Department"]
	if !strings.HasPrefix(agri.ExternalID, "urn:li:organization:") || agri.Problem != "" || agri.Handle != "agriculture-haryana" ||
		agri.Credentials.ExpiresAt == nil || agri.Credentials.RefreshToken != "" || health.Problem == "" || !strings.Contains(health.Problem, "ANALYST") {
		t.Errorf("granted %+v / %+v", agri, health)
	}
	// The token posts for the Page it may post for, and not for the other.
	acct := &publisher.Account{ExternalID: agri.ExternalID}
	if _, err := e.c.Publish(context.Background(), acct, agri.Credentials, publisher.Message{Text: "पहली पोस्ट"}); e.check(err) != nil {
		t.Fatal(err)
	}
	if n := len(e.posts(agri.ExternalID)); n != 1 {
		t.Errorf("%d posts on the granted Page", n)
	}
	_, err = e.c.Publish(context.Background(), &publisher.Account{ExternalID: health.ExternalID}, health.Credentials, publisher.Message{Text: "x"})
	if pe := asPlatformError(t, e.check(err)); pe.Class != publisher.ClassAuth || pe.Code != "ACCESS_DENIED" {
		t.Errorf("posting as an analyst: %s %s", pe.Class, pe.Code)
	}
	// A code works once.
	if _, err := e.c.Exchange(context.Background(), loc.Query().Get("code"), "", redirect); asPlatformError(t, e.check(err)).Class != publisher.ClassRejected {
		t.Errorf("a used code: %v", err)
	}
	// Deny.
	loc = e.consent(e.c.AuthCodeURL("st-2", "", redirect), "deny", nil)
	if loc.Query().Get("error") != "user_cancelled_authorize" || loc.Query().Get("state") != "st-2" {
		t.Errorf("deny redirected to %s", loc)
	}
	// A wrong secret.
	bad := linkedin.New(linkedin.Config{TokenURL: e.cfg.TokenURL, AuthURL: e.cfg.AuthURL, ClientID: e.cfg.ClientID, ClientSecret: "wrong"})
	loc = e.consent(bad.AuthCodeURL("st-3", "", redirect), "approve", url.Values{"account": {agri.ExternalID}, "publish": {agri.ExternalID}})
	e.secret(loc.Query().Get("code"))
	_, err = bad.Exchange(context.Background(), loc.Query().Get("code"), "", redirect)
	if pe := asPlatformError(t, e.check(err)); pe.Class != publisher.ClassRejected || !strings.Contains(pe.Message, "invalid_client") {
		t.Errorf("wrong secret: %s %q", pe.Class, pe.Message)
	}
}

func TestPartnerRefreshAgainstSandbox(t *testing.T) {
	e := newEnv(t, linkedin.Config{ClientID: "partner-prasar"})
	redirect := e.srv.URL + "/callback"
	loc := e.consent(e.c.AuthCodeURL("st", "", redirect), "approve", url.Values{"new_account": {"Agriculture Haryana"}, "new_publish": {"1"}})
	e.secret(loc.Query().Get("code"))
	g, err := e.c.Exchange(context.Background(), loc.Query().Get("code"), "", redirect)
	if e.check(err) != nil {
		t.Fatal(err)
	}
	cred := g[0].Credentials
	e.secret(cred.AccessToken, cred.RefreshToken)
	if cred.RefreshToken == "" || cred.Extra["refresh_expires_at"] == "" || e.c.RefreshDue(cred, e.clock.Now()) {
		t.Fatalf("credentials %+v", cred)
	}
	e.clock.Advance(54 * 24 * time.Hour)
	if !e.c.RefreshDue(cred, e.clock.Now()) {
		t.Fatal("not due six days before expiry")
	}
	fresh, err := e.c.Refresh(context.Background(), &publisher.Account{ExternalID: g[0].ExternalID}, cred)
	if e.check(err) != nil {
		t.Fatal(err)
	}
	e.secret(fresh.AccessToken, fresh.RefreshToken)
	if fresh.AccessToken == cred.AccessToken || fresh.RefreshToken == "" || !fresh.ExpiresAt.After(*cred.ExpiresAt) {
		t.Errorf("refreshed %+v", fresh)
	}
	if _, err := e.c.Publish(context.Background(), &publisher.Account{ExternalID: g[0].ExternalID}, fresh, publisher.Message{Text: "after refresh"}); e.check(err) != nil {
		t.Errorf("publishing with the refreshed token: %v", err)
	}
	// After a year from the first grant, the refresh token is dead.
	e.clock.Advance(320 * 24 * time.Hour)
	_, err = e.c.Refresh(context.Background(), &publisher.Account{ExternalID: g[0].ExternalID}, fresh)
	if pe := asPlatformError(t, e.check(err)); pe.Class != publisher.ClassAuth {
		t.Errorf("a refresh token past its year: %s %q", pe.Class, pe.Message)
	}
}

func TestDeleteAndMetricsAgainstSandbox(t *testing.T) {
	e := newEnv(t, linkedin.Config{})
	cred := e.token(org, "Agriculture")
	ctx := context.Background()
	pub, err := e.c.Publish(ctx, account, cred, publisher.Message{Text: "counted"})
	if e.check(err) != nil {
		t.Fatal(err)
	}
	first, err := e.c.FetchMetrics(ctx, account, cred, pub.ExternalID)
	if e.check(err) != nil {
		t.Fatal(err)
	}
	e.clock.Advance(48 * time.Hour)
	later, err := e.c.FetchMetrics(ctx, account, cred, pub.ExternalID)
	if e.check(err) != nil {
		t.Fatal(err)
	}
	if len(later.Values) != 6 || later.Values["impressionCount"] <= first.Values["impressionCount"] || later.Unavailable != nil {
		t.Errorf("metrics did not grow: %v → %v", first.Values, later.Values)
	}
	if err := e.check(e.c.Delete(ctx, account, cred, pub.ExternalID)); err != nil {
		t.Fatal(err)
	}
	if p := e.posts(org)[0]; p.DeletedAt == nil {
		t.Error("not deleted")
	}
	if err := e.check(e.c.Delete(ctx, account, cred, pub.ExternalID)); err != nil {
		t.Errorf("deleting again: %v", err)
	}
	if _, err := e.c.FetchMetrics(ctx, account, cred, pub.ExternalID); asPlatformError(t, e.check(err)).Class != publisher.ClassRejected {
		t.Errorf("metrics of a deleted post: %v", err)
	}
}

func TestNoSecretInLogsOrErrors(t *testing.T) {
	e := newEnv(t, linkedin.Config{})
	cred := e.token(org, "Agriculture")
	ctx := context.Background()
	for _, k := range []sandbox.FaultKind{sandbox.FaultDropAfterCommit, sandbox.FaultServerError, sandbox.FaultRateLimit, sandbox.FaultExpiredToken} {
		e.fault(org, sandbox.Fault{Kind: k, Times: 1, Ops: []sandbox.Op{sandbox.OpAll}})
		_, err := e.c.Publish(ctx, account, cred, publisher.Message{Text: "x " + string(k), Media: []publisher.MediaRef{image("m", png1)}})
		e.check(err)
	}
	_, err := e.c.Exchange(ctx, "forged-code", "", e.srv.URL+"/callback")
	e.check(err)
	if !strings.Contains(e.logs.String(), "linkedin: api call") {
		t.Error("nothing was logged; the check would prove nothing")
	}
}
