package mastodon_test

import (
	"bytes"
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

	"github.com/prasar/prasar/connectors/mastodon"
	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/publisher"
)

func TestPublishAgainstSandbox(t *testing.T) {
	e := newEnv(t, mastodon.Config{})
	cred := e.token(acctID, "कृषि विभाग")
	msg := publisher.Message{DeliveryID: "d1", Text: "हरियाणा में नई योजना #कृषि\nपंजीकरण खुला", Link: "https://haryana.gov.in/scheme", Languages: []string{"hi"}}
	pub, err := e.c.Publish(context.Background(), account, cred, msg)
	if e.check(err) != nil {
		t.Fatal(err)
	}
	posts := e.posts(acctID)
	if len(posts) != 1 || posts[0].ID != pub.ExternalID || posts[0].Text != msg.Text+"\n\n"+msg.Link || posts[0].Link != msg.Link {
		t.Fatalf("sandbox received %+v; published %+v", posts, pub)
	}
	resp, err := http.Get(pub.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "हरियाणा में नई योजना") {
		t.Errorf("the status's URL %s does not show it: %d", pub.URL, resp.StatusCode)
	}
	// Lookup recognises it through the instance's HTML rendering.
	got, err := e.c.Lookup(context.Background(), account, cred, msg, e.clock.Now().Add(-time.Minute))
	if e.check(err) != nil || *got != *pub {
		t.Errorf("Lookup: %+v, %v; want %+v", got, err, pub)
	}
}

func TestPublishImagesAgainstSandbox(t *testing.T) {
	e := newEnv(t, mastodon.Config{})
	cred := e.token(acctID, "Agriculture")
	big := bigPNG()
	msg := publisher.Message{DeliveryID: "d1", Text: "photos", Media: []publisher.MediaRef{image("small", png1), image("big", big)}}
	if _, err := e.c.Publish(context.Background(), account, cred, msg); e.check(err) != nil {
		t.Fatal(err)
	}
	posts := e.posts(acctID)
	if len(posts) != 1 || len(posts[0].Images) != 2 || posts[0].Images[0].AltText != "alt small" || posts[0].Images[1].Size != int64(len(big)) {
		t.Fatalf("sandbox received %+v", posts)
	}
	// The big one was processed asynchronously: the connector polled.
	polls := 0
	for _, u := range e.urls {
		if strings.HasPrefix(u, sandbox.MastodonPath+"/api/v1/media/") {
			polls++
		}
	}
	if polls != 2 {
		t.Errorf("%d polls, want 2 (206, then 200)", polls)
	}
}

func TestPublishImageStillProcessing(t *testing.T) {
	e := newEnv(t, mastodon.Config{MediaPollInterval: time.Millisecond, MediaPollTimeout: time.Nanosecond})
	cred := e.token(acctID, "Agriculture")
	_, err := e.c.Publish(context.Background(), account, cred, publisher.Message{Text: "x", Media: []publisher.MediaRef{image("big", bigPNG())}})
	if pe := asPlatformError(t, e.check(err)); pe.Class != publisher.ClassRetryable || pe.Ambiguous || !strings.Contains(pe.Message, "still processing") {
		t.Errorf("got %s ambiguous=%v %q", pe.Class, pe.Ambiguous, pe.Message)
	}
	if n := len(e.posts(acctID)); n != 0 {
		t.Errorf("%d posts", n)
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t, mastodon.Config{})
	cred := e.token(acctID, "Agriculture")
	ctx := context.Background()
	msg := publisher.Message{DeliveryID: "dkey1", Text: "once"}
	first, err := e.c.Publish(ctx, account, cred, msg)
	if e.check(err) != nil {
		t.Fatal(err)
	}
	e.clock.Advance(59 * time.Minute)
	again, err := e.c.Publish(ctx, account, cred, msg)
	if e.check(err) != nil || *again != *first || len(e.posts(acctID)) != 1 {
		t.Fatalf("repeat within the hour: %+v, %v; %d posts", again, err, len(e.posts(acctID)))
	}
	// Another delivery of the same text is another status.
	other, err := e.c.Publish(ctx, account, cred, publisher.Message{DeliveryID: "dkey2", Text: "once"})
	if e.check(err) != nil || other.ExternalID == first.ExternalID {
		t.Errorf("another key: %+v, %v", other, err)
	}
	// After an hour the key is forgotten.
	e.clock.Advance(2 * time.Minute)
	late, err := e.c.Publish(ctx, account, cred, msg)
	if e.check(err) != nil || late.ExternalID == first.ExternalID || len(e.posts(acctID)) != 3 {
		t.Errorf("after the hour: %+v, %v", late, err)
	}
}

func TestRulesAndMeasure(t *testing.T) {
	c := mastodon.New(mastodon.Config{})
	r := c.Rules()
	if r.Platform != publisher.Mastodon || r.MaxChars != 500 || r.CountUnit != "graphemes" || r.MaxImages != 4 || r.MaxImageBytes != 16<<20 ||
		strings.Join(r.ImageTypes, ",") != "image/jpeg,image/png,image/gif,image/webp" || !r.Enabled || c.Platform() != publisher.Mastodon {
		t.Errorf("rules %+v", r)
	}
	cases := []struct {
		msg  publisher.Message
		want int
	}{
		{publisher.Message{Text: "hello"}, 5},
		{publisher.Message{Text: "नमस्ते"}, 4}, // न, म, स्, ते: four extended grapheme clusters (UAX #29, Unicode 15.0)
		{publisher.Message{Text: "👍🏽 ok"}, 4},
		{publisher.Message{Text: "see https://haryana.gov.in/a/very/long/path/indeed/yes."}, 4 + 23 + 1},
		{publisher.Message{Text: "hi", Link: "https://a.in"}, 2 + 2 + 23},
		{publisher.Message{Text: "hi @cm@gov.example"}, 6},
	}
	for _, tc := range cases {
		if m := c.Measure(tc.msg); m.Count != tc.want || m.Limit != 500 {
			t.Errorf("Measure(%q) = %+v, want %d", tc.msg.Text, m, tc.want)
		}
	}
	if m := mastodon.New(mastodon.Config{MaxChars: 1000, CharsPerURL: 30}).Measure(publisher.Message{Text: "https://a.in"}); m.Count != 30 || m.Limit != 1000 {
		t.Errorf("configured: %+v", m)
	}
}

func TestMeasureAgreesWithTheInstance(t *testing.T) {
	e := newEnv(t, mastodon.Config{})
	cred := e.token(acctID, "Agriculture")
	// 476 grapheme clusters of Devanagari, a space and a long link: 500
	// exactly.
	text := strings.Repeat("स्", 476) + " https://haryana.gov.in/" + strings.Repeat("x", 100)
	if m := e.c.Measure(publisher.Message{Text: text}); m.Count != 500 {
		t.Fatalf("Measure = %d", m.Count)
	}
	if _, err := e.c.Publish(context.Background(), account, cred, publisher.Message{Text: text}); e.check(err) != nil {
		t.Fatalf("500 characters refused: %v", err)
	}
	long := mastodon.New(mastodon.Config{Instances: e.cfg.Instances, MaxChars: 600})
	_, err := long.Publish(context.Background(), account, cred, publisher.Message{Text: "क" + text})
	if pe := asPlatformError(t, e.check(err)); pe.Class != publisher.ClassRejected || pe.Code != "422" || !strings.Contains(pe.Message, "character limit of 500") {
		t.Errorf("501: %s %s %q", pe.Class, pe.Code, pe.Message)
	}
}

func TestPublishErrorClasses(t *testing.T) {
	cases := []struct {
		name      string
		setup     func(e *env) publisher.Credentials
		class     publisher.ErrorClass
		code      string
		ambiguous bool
		retryIn   time.Duration
	}{
		{"invalid token", func(e *env) publisher.Credentials {
			return publisher.Credentials{AccessToken: "not-a-token", Extra: map[string]string{"instance": e.instance}}
		}, publisher.ClassAuth, "401", false, 0},
		{"expired token (fault)", func(e *env) publisher.Credentials {
			e.fault(acctID, sandbox.Fault{Kind: sandbox.FaultExpiredToken})
			return e.token(acctID, "A")
		}, publisher.ClassAuth, "401", false, 0},
		{"duplicate (fault)", func(e *env) publisher.Credentials {
			e.fault(acctID, sandbox.Fault{Kind: sandbox.FaultDuplicate})
			return e.token(acctID, "A")
		}, publisher.ClassRejected, "422", false, 0},
		{"rate limit (fault)", func(e *env) publisher.Credentials {
			e.fault(acctID, sandbox.Fault{Kind: sandbox.FaultRateLimit, RetryAfter: 4 * time.Minute})
			return e.token(acctID, "A")
		}, publisher.ClassRateLimited, "429", false, 4 * time.Minute},
		{"300 requests in 5 minutes", func(e *env) publisher.Credentials {
			cred := e.token(acctID, "A")
			// The window is aligned to five minutes: 04:30:00–04:35:00.
			for i := range 300 {
				if _, err := e.c.Publish(context.Background(), account, cred, publisher.Message{Text: "m" + strconv.Itoa(i)}); err != nil {
					e.t.Fatal(err)
				}
			}
			e.clock.Advance(time.Minute)
			return cred
		}, publisher.ClassRateLimited, "429", false, 4 * time.Minute},
		{"500", func(e *env) publisher.Credentials {
			e.fault(acctID, sandbox.Fault{Kind: sandbox.FaultServerError})
			return e.token(acctID, "A")
		}, publisher.ClassRetryable, "500", true, 0},
		{"timeout after the server accepted", func(e *env) publisher.Credentials {
			e.fault(acctID, sandbox.Fault{Kind: sandbox.FaultSlow, Delay: 10 * time.Second})
			return e.token(acctID, "A")
		}, publisher.ClassRetryable, "", true, 0},
		{"connection dropped after commit", func(e *env) publisher.Credentials {
			e.fault(acctID, sandbox.Fault{Kind: sandbox.FaultDropAfterCommit})
			return e.token(acctID, "A")
		}, publisher.ClassRetryable, "", true, 0},
		{"upload failed", func(e *env) publisher.Credentials {
			e.fault(acctID, sandbox.Fault{Kind: sandbox.FaultDropAfterCommit, Ops: []sandbox.Op{sandbox.OpUpload}})
			return e.token(acctID, "A")
		}, publisher.ClassRetryable, "", false, 0},
		{"no instance", func(e *env) publisher.Credentials {
			return publisher.Credentials{AccessToken: "x", Extra: map[string]string{"instance": "ftp://nowhere"}}
		}, publisher.ClassAuth, "", false, 0},
		{"no token", func(e *env) publisher.Credentials { return publisher.Credentials{} }, publisher.ClassAuth, "", false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, mastodon.Config{})
			cred := c.setup(e)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			msg := publisher.Message{Text: "the text"}
			if c.name == "upload failed" {
				msg.Media = []publisher.MediaRef{image("m", png1)}
			}
			_, err := e.c.Publish(ctx, account, cred, msg)
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
	c := mastodon.New(mastodon.Config{})
	_, err := c.Publish(context.Background(), account, publisher.Credentials{AccessToken: "t", Extra: map[string]string{"instance": "http://" + addr}}, publisher.Message{Text: "x"})
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassRetryable || pe.Ambiguous {
		t.Errorf("got %s ambiguous=%v", pe.Class, pe.Ambiguous)
	}
}

// TestExactlyOnceAfterAmbiguousFailure follows Service.Deliver's protocol:
// an ambiguous failure is followed by Lookup, and Publish (with the same
// delivery id, so the same Idempotency-Key) only if Lookup says the post
// is not there.
func TestExactlyOnceAfterAmbiguousFailure(t *testing.T) {
	cases := []struct {
		name      string
		fault     sandbox.Fault
		committed bool
	}{
		{"connection dropped after commit", sandbox.Fault{Kind: sandbox.FaultDropAfterCommit, Times: 1}, true},
		{"timeout, then the instance finished", sandbox.Fault{Kind: sandbox.FaultSlow, Delay: 10 * time.Second, Times: 1}, true},
		{"500 after committing", sandbox.Fault{Kind: sandbox.FaultServerError, Commit: true, Times: 1}, true},
		{"connection dropped before acting", sandbox.Fault{Kind: sandbox.FaultDrop, Times: 1}, false},
		{"500 without acting", sandbox.Fault{Kind: sandbox.FaultServerError, Times: 1}, false},
	}
	for _, c := range cases {
		for _, media := range []int{0, 2} {
			t.Run(c.name+"/"+strconv.Itoa(media)+" images", func(t *testing.T) {
				e := newEnv(t, mastodon.Config{})
				cred := e.token(acctID, "Agriculture")
				msg := publisher.Message{DeliveryID: "d1", Text: "परिणाम घोषित\r\nResults announced", Link: "https://haryana.gov.in/r"}
				for i := range media {
					msg.Media = append(msg.Media, image("m"+strconv.Itoa(i), png1))
				}
				since := e.clock.Now().Add(-time.Minute)
				e.fault(acctID, c.fault)
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				_, err := e.c.Publish(ctx, account, cred, msg)
				if err == nil {
					// After the uploads the status goes out on a reused
					// connection; when that drops before any answer,
					// net/http resends a request that carries an
					// Idempotency-Key by itself, and the key makes it safe.
					if media == 0 || (c.fault.Kind != sandbox.FaultDrop && c.fault.Kind != sandbox.FaultDropAfterCommit) {
						t.Fatal("first attempt succeeded")
					}
					if n := e.visible(acctID); n != 1 {
						t.Errorf("%d statuses after net/http's resend, want exactly 1", n)
					}
					return
				}
				if pe := asPlatformError(t, e.check(err)); !pe.Ambiguous || pe.Class != publisher.ClassRetryable {
					t.Fatalf("first attempt: %s ambiguous=%v, want retryable and ambiguous", pe.Class, pe.Ambiguous)
				}
				if c.committed {
					deadline := time.Now().Add(5 * time.Second)
					for len(e.posts(acctID)) == 0 && time.Now().Before(deadline) {
						time.Sleep(10 * time.Millisecond)
					}
				}
				pub, err := e.c.Lookup(context.Background(), account, cred, msg, since)
				switch {
				case c.committed && e.check(err) != nil:
					t.Fatalf("Lookup: %v, want the committed status", err)
				case c.committed:
					if pub.ExternalID != e.posts(acctID)[0].ID {
						t.Errorf("Lookup found %s", pub.ExternalID)
					}
				case !errors.Is(err, publisher.ErrNotPublished):
					t.Fatalf("Lookup: %v, want ErrNotPublished", err)
				default:
					if _, err := e.c.Publish(context.Background(), account, cred, msg); e.check(err) != nil {
						t.Fatalf("second attempt: %v", err)
					}
				}
				if n := e.visible(acctID); n != 1 {
					t.Errorf("%d statuses on the account, want exactly 1", n)
				}
			})
		}
	}
}

// TestIdempotencyCoversWhatLookupMisses: if the domain publishes again
// within the hour without finding the first status (here: Lookup is
// skipped), the Idempotency-Key still prevents a duplicate.
func TestIdempotencyCoversWhatLookupMisses(t *testing.T) {
	e := newEnv(t, mastodon.Config{})
	cred := e.token(acctID, "Agriculture")
	e.fault(acctID, sandbox.Fault{Kind: sandbox.FaultDropAfterCommit, Times: 1})
	msg := publisher.Message{DeliveryID: "d-retry", Text: "ek baar"}
	if _, err := e.c.Publish(context.Background(), account, cred, msg); !asPlatformError(t, e.check(err)).Ambiguous {
		t.Fatal("first attempt not ambiguous")
	}
	pub, err := e.c.Publish(context.Background(), account, cred, msg)
	if e.check(err) != nil || e.visible(acctID) != 1 || pub.ExternalID != e.posts(acctID)[0].ID {
		t.Errorf("resend: %+v %v, %d statuses", pub, err, e.visible(acctID))
	}
}

func TestLookupAgainstSandbox(t *testing.T) {
	e := newEnv(t, mastodon.Config{LookupPageSize: 10, LookupMaxPages: 3})
	cred := e.token(acctID, "Agriculture")
	ctx := context.Background()
	old := publisher.Message{Text: "old announcement"}
	if _, err := e.c.Publish(ctx, account, cred, old); e.check(err) != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	since := e.clock.Now()
	target := publisher.Message{Text: "target <b>post</b> & more\nline two"}
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
	// The target is the 26th newest: on the third page of 10.
	got, err := e.c.Lookup(ctx, account, cred, publisher.Message{Text: "  target <b>post</b> &  more\r\nline two\n"}, since)
	if e.check(err) != nil || *got != *want {
		t.Errorf("Lookup: %+v, %v; want %+v", got, err, want)
	}
	if _, err := e.c.Lookup(ctx, account, cred, old, since); !errors.Is(err, publisher.ErrNotPublished) {
		t.Errorf("a status before since: %v, want ErrNotPublished", err)
	}
	short := mastodon.New(mastodon.Config{Instances: e.cfg.Instances, LookupPageSize: 10, LookupMaxPages: 2})
	if _, err := short.Lookup(ctx, account, cred, publisher.Message{Text: "absent"}, since); !errors.Is(err, publisher.ErrLookupUnsupported) {
		t.Errorf("more statuses than it may read: %v, want ErrLookupUnsupported", err)
	}
	if _, err := e.c.Lookup(ctx, account, cred, publisher.Message{Text: " "}, since); !errors.Is(err, publisher.ErrLookupUnsupported) {
		t.Errorf("a status without text: %v, want ErrLookupUnsupported", err)
	}
	e.fault(acctID, sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpRead}})
	_, err = e.c.Lookup(ctx, account, cred, target, since)
	if pe := asPlatformError(t, e.check(err)); pe.Class != publisher.ClassRetryable || pe.Ambiguous {
		t.Errorf("failed lookup: %s ambiguous=%v", pe.Class, pe.Ambiguous)
	}
}

func TestOAuthFlowAgainstSandbox(t *testing.T) {
	e := newEnv(t, mastodon.Config{})
	redirect := e.srv.URL + "/callback"
	verifier := "verifier-0123456789-0123456789-0123456789-0123"
	loc := e.consent(e.c.AuthCodeURL("st-1", verifier, redirect), "approve", url.Values{"account": {"new"}, "new_account": {"Agri Haryana"}})
	if loc.Path != "/callback" || loc.Query().Get("state") != "st-1" || loc.Query().Get("code") == "" {
		t.Fatalf("redirected to %s", loc)
	}
	code := loc.Query().Get("code")
	e.secret(code)
	// A wrong verifier is refused (PKCE), and spends the code.
	_, err := e.c.Exchange(context.Background(), code, "another-verifier-0123456789-0123456789-01234", redirect)
	if pe := asPlatformError(t, e.check(err)); pe.Class != publisher.ClassRejected || !strings.Contains(pe.Message, "invalid_grant") {
		t.Errorf("wrong verifier: %s %q", pe.Class, pe.Message)
	}
	loc = e.consent(e.c.AuthCodeURL("st-2", verifier, redirect), "approve", url.Values{"account": {"new"}, "new_account": {"Agri Haryana"}})
	code = loc.Query().Get("code")
	e.secret(code)
	g, err := e.c.Exchange(context.Background(), code, verifier, redirect)
	if e.check(err) != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(e.srv.URL, "http://")
	if len(g) != 1 || g[0].DisplayName != "Agri Haryana" || g[0].Handle != "@agri_haryana@"+host || g[0].Credentials.Extra["instance"] != e.instance ||
		!strings.HasPrefix(g[0].ExternalID, "1109") || strings.Join(g[0].Scopes, " ") != "read:accounts read:statuses write:statuses write:media" {
		t.Fatalf("granted %+v", g)
	}
	e.secret(g[0].Credentials.AccessToken)
	// The token publishes as the granted account.
	acct := &publisher.Account{ExternalID: g[0].ExternalID}
	if _, err := e.c.Publish(context.Background(), acct, g[0].Credentials, publisher.Message{Text: "first post"}); e.check(err) != nil {
		t.Fatal(err)
	}
	if n := len(e.posts(g[0].ExternalID)); n != 1 {
		t.Errorf("%d posts on the granted account", n)
	}
	// A code works once.
	if _, err := e.c.Exchange(context.Background(), code, verifier, redirect); asPlatformError(t, e.check(err)).Class != publisher.ClassRejected {
		t.Errorf("a used code: %v", err)
	}
	// Without the verifier the PKCE-bound code is refused.
	loc = e.consent(e.c.AuthCodeURL("st-3", verifier, redirect), "approve", url.Values{"account": {g[0].ExternalID}})
	e.secret(loc.Query().Get("code"))
	if _, err := e.c.Exchange(context.Background(), loc.Query().Get("code"), "", redirect); asPlatformError(t, e.check(err)).Class != publisher.ClassRejected {
		t.Errorf("no verifier: %v", err)
	}
	// A wrong client secret is refused.
	bad := mastodon.New(mastodon.Config{Instances: []mastodon.Instance{{URL: e.instance, ClientID: clientID, ClientSecret: "wrong"}}})
	loc = e.consent(bad.AuthCodeURL("st-4", verifier, redirect), "approve", url.Values{"account": {g[0].ExternalID}})
	e.secret(loc.Query().Get("code"))
	_, err = bad.Exchange(context.Background(), loc.Query().Get("code"), verifier, redirect)
	if pe := asPlatformError(t, e.check(err)); pe.Class != publisher.ClassRejected || !strings.Contains(pe.Message, "invalid_client") {
		t.Errorf("wrong secret: %s %q", pe.Class, pe.Message)
	}
	// Deny.
	loc = e.consent(e.c.AuthCodeURL("st-5", verifier, redirect), "deny", nil)
	if loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "st-5" || loc.Query().Has("code") {
		t.Errorf("deny redirected to %s", loc)
	}
}

func TestConsentPageRefusesForeignRedirects(t *testing.T) {
	e := newEnv(t, mastodon.Config{})
	resp, err := http.Get(e.c.AuthCodeURL("s", "v", "https://evil.example/steal"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("foreign redirect_uri: %d", resp.StatusCode)
	}
	resp, err = http.Get(e.instance + "/oauth/authorize?response_type=code&client_id=x&redirect_uri=" + url.QueryEscape(e.srv.URL+"/callback") + "&code_challenge=abc&code_challenge_method=plain")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("plain PKCE: %d", resp.StatusCode)
	}
}

func TestDeleteAndMetricsAgainstSandbox(t *testing.T) {
	e := newEnv(t, mastodon.Config{})
	cred := e.token(acctID, "Agriculture")
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
	for _, k := range []string{"replies_count", "reblogs_count", "favourites_count", "quotes_count"} {
		if _, ok := later.Values[k]; !ok {
			t.Errorf("no %s", k)
		}
	}
	if later.Values["favourites_count"] <= first.Values["favourites_count"] || later.Values["reblogs_count"] < first.Values["reblogs_count"] {
		t.Errorf("metrics did not grow: %v → %v", first.Values, later.Values)
	}
	if err := e.check(e.c.Delete(ctx, account, cred, pub.ExternalID)); err != nil {
		t.Fatal(err)
	}
	if p := e.posts(acctID)[0]; p.DeletedAt == nil {
		t.Error("not deleted")
	}
	if err := e.check(e.c.Delete(ctx, account, cred, pub.ExternalID)); err != nil {
		t.Errorf("deleting again: %v", err)
	}
	if _, err := e.c.FetchMetrics(ctx, account, cred, pub.ExternalID); asPlatformError(t, e.check(err)).Class != publisher.ClassRejected {
		t.Errorf("metrics of a deleted status: %v", err)
	}
}

func TestNoSecretInLogsOrErrors(t *testing.T) {
	e := newEnv(t, mastodon.Config{})
	cred := e.token(acctID, "Agriculture")
	ctx := context.Background()
	for _, k := range []sandbox.FaultKind{sandbox.FaultDropAfterCommit, sandbox.FaultServerError, sandbox.FaultRateLimit, sandbox.FaultExpiredToken} {
		e.fault(acctID, sandbox.Fault{Kind: k, Times: 1, Ops: []sandbox.Op{sandbox.OpAll}})
		_, err := e.c.Publish(ctx, account, cred, publisher.Message{Text: "x", Media: []publisher.MediaRef{image("m", png1)}})
		e.check(err)
	}
	if _, err := e.c.Publish(ctx, account, cred, publisher.Message{Text: "ok"}); e.check(err) != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.logs.String(), "mastodon: api call") || !bytes.Contains([]byte(e.logs.String()), []byte("sandbox: mastodon status created")) {
		t.Error("nothing was logged; the check would prove nothing")
	}
}
