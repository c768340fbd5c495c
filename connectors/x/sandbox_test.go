package x_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/connectors/x"
	"github.com/prasar/prasar/publisher"
)

func TestPublishTextAgainstSandbox(t *testing.T) {
	e := newEnv(t, x.Config{})
	msg := publisher.Message{DeliveryID: "d1", Text: "हरियाणा में नई योजना & more\n\nA new scheme in Haryana", Link: "https://haryana.gov.in/scheme"}
	pub, err := e.publish(msg)
	if err != nil {
		t.Fatal(err)
	}
	posts := e.posts()
	want := msg.Text + "\n\n" + msg.Link
	if len(posts) != 1 || posts[0].ID != pub.ExternalID || posts[0].Text != want || len(posts[0].Images) != 0 {
		t.Fatalf("sandbox received %+v; published %+v", posts, pub)
	}
	if pub.URL != e.cfg.WebURL+"/"+userHandle+"/status/"+pub.ExternalID {
		t.Errorf("URL %s", pub.URL)
	}
	resp, err := http.Get(pub.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "हरियाणा में नई योजना") {
		t.Errorf("the post's URL %s does not show it: %d", pub.URL, resp.StatusCode)
	}
	// Without a handle the URL is X's handle-less one, and it works too.
	noHandle := *e.acct
	noHandle.Handle = ""
	pub2, err := e.x.Publish(context.Background(), &noHandle, e.cred, publisher.Message{Text: "second"})
	if err != nil {
		t.Fatal(err)
	}
	if pub2.URL != e.cfg.WebURL+"/i/web/status/"+pub2.ExternalID {
		t.Errorf("URL without a handle: %s", pub2.URL)
	}
	if resp, err := http.Get(pub2.URL); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET %s: %v %v", pub2.URL, resp, err)
	}
}

func TestPublishImagesAgainstSandbox(t *testing.T) {
	cases := []struct {
		name  string
		media []publisher.MediaRef
	}{
		{"one PNG (one-shot upload)", []publisher.MediaRef{image("p", "image/png", png1)}},
		{"one GIF (chunked upload, processed)", []publisher.MediaRef{image("g", "image/gif", gif1)}},
		{"four mixed", []publisher.MediaRef{image("a", "image/png", png1), image("b", "image/gif", gif1),
			image("c", "image/png", png1), image("d", "image/gif", gif1)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, x.Config{ChunkBytes: 10})
			pub, err := e.publish(publisher.Message{Text: "photos", Media: c.media})
			if err != nil {
				t.Fatal(err)
			}
			posts := e.posts()
			if len(posts) != 1 || posts[0].ID != pub.ExternalID || len(posts[0].Images) != len(c.media) || posts[0].Text != "photos" {
				t.Fatalf("sandbox received %+v", posts)
			}
			for i, im := range posts[0].Images {
				data := png1
				if c.media[i].ContentType == "image/gif" {
					data = gif1
				}
				sum := sha256.Sum256(data)
				if im.SHA256 != hex.EncodeToString(sum[:]) || im.AltText != c.media[i].AltText || im.ContentType != c.media[i].ContentType {
					t.Errorf("image %d: %+v", i, im)
				}
			}
		})
	}
}

func TestPublishErrorClasses(t *testing.T) {
	firstOfNextMonth := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		cfg       x.Config
		setup     func(e *env)
		text      string
		class     publisher.ErrorClass
		code      string
		message   string // a part of the message
		ambiguous bool
		retryAt   func(now time.Time) time.Time
	}{
		{name: "expired token", setup: func(e *env) {
			e.cred.AccessToken = e.sb.MintToken("x", userID, userName, time.Hour)
			e.secret(e.cred.AccessToken)
			e.clock.Advance(2 * time.Hour)
		}, class: publisher.ClassAuth, code: "401", message: "Unauthorized"},
		{name: "expired token (fault)", setup: func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultExpiredToken}) },
			class: publisher.ClassAuth, code: "401"},
		{name: "invalid token", setup: func(e *env) { e.cred.AccessToken = "not-a-sandbox-token" }, class: publisher.ClassAuth, code: "401"},
		{name: "a Facebook token", setup: func(e *env) {
			e.cred.AccessToken = e.sb.MintToken("facebook", userID, userName, 0)
			e.secret(e.cred.AccessToken)
		}, class: publisher.ClassAuth, code: "401"},
		{name: "duplicate", setup: func(e *env) {
			if _, err := e.publish(publisher.Message{Text: "the text"}); err != nil {
				e.t.Fatal(err)
			}
		}, class: publisher.ClassRejected, code: "403", message: "You are not allowed to create a Tweet with duplicate content."},
		{name: "duplicate (fault)", setup: func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultDuplicate}) },
			class: publisher.ClassRejected, code: "403", message: "duplicate content"},
		{name: "too long for X (not checked locally)", cfg: x.Config{MaxWeighted: 1000}, text: strings.Repeat("न", 281),
			class: publisher.ClassRejected, code: "400/invalid-request", message: "Your Tweet text is too long"},
		{name: "15-minute window", setup: func(e *env) {
			e.fault(sandbox.Fault{Kind: sandbox.FaultRateLimit, RetryAfter: 19 * time.Minute})
		}, class: publisher.ClassRateLimited, code: "429", retryAt: func(now time.Time) time.Time { return now.Add(19 * time.Minute) }},
		{name: "user's 24-hour cap, later than the window", setup: func(e *env) {
			e.fault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Code: sandbox.XLimitUserDaily, RetryAfter: 20 * time.Hour})
		}, class: publisher.ClassRateLimited, code: "429", retryAt: func(now time.Time) time.Time { return now.Add(20 * time.Hour) }},
		{name: "app's 24-hour cap", setup: func(e *env) {
			e.fault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Code: sandbox.XLimitAppDaily, RetryAfter: 3 * time.Hour})
		}, class: publisher.ClassRateLimited, code: "429", retryAt: func(now time.Time) time.Time { return now.Add(3 * time.Hour) }},
		{name: "usage cap (monthly)", setup: func(e *env) {
			e.fault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Code: sandbox.XLimitUsageCapped})
		}, class: publisher.ClassRateLimited, code: "429/usage-capped", message: "Usage cap exceeded",
			retryAt: func(time.Time) time.Time { return firstOfNextMonth }},
		{name: "500", setup: func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultServerError}) },
			class: publisher.ClassRetryable, code: "500", ambiguous: true},
		{name: "503", setup: func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultServerError, Status: 503}) },
			class: publisher.ClassRetryable, code: "503", ambiguous: true},
		{name: "timeout after the server accepted", setup: func(e *env) {
			e.fault(sandbox.Fault{Kind: sandbox.FaultSlow, Delay: 10 * time.Second})
		}, class: publisher.ClassRetryable, ambiguous: true},
		{name: "connection dropped after commit", setup: func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultDropAfterCommit}) },
			class: publisher.ClassRetryable, ambiguous: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.cfg)
			if c.setup != nil {
				c.setup(e)
			}
			text := c.text
			if text == "" {
				text = "the text"
			}
			// Only the slow case should come near this deadline.
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, err := e.x.Publish(ctx, e.acct, e.cred, publisher.Message{Text: text})
			e.noSecretIn(err)
			pe := asPlatformError(t, err)
			if pe.Class != c.class || pe.Code != c.code || pe.Ambiguous != c.ambiguous {
				t.Errorf("got %s %q ambiguous=%v (%s); want %s %q ambiguous=%v", pe.Class, pe.Code, pe.Ambiguous, pe.Message, c.class, c.code, c.ambiguous)
			}
			if !strings.Contains(pe.Message, c.message) || pe.Message == "" {
				t.Errorf("message %q, want it to contain %q", pe.Message, c.message)
			}
			if c.retryAt != nil && !pe.RetryAt.Equal(c.retryAt(e.clock.Now())) {
				t.Errorf("RetryAt %s, want %s", pe.RetryAt.UTC(), c.retryAt(e.clock.Now()).UTC())
			}
			if wantDup := strings.HasPrefix(c.name, "duplicate"); pe.Duplicate != wantDup {
				t.Errorf("Duplicate = %v, want %v", pe.Duplicate, wantDup)
			}
		})
	}
}

// TestRateLimitAtZero posts until the sandbox's 15-minute window (100
// posts) is used up: the 101st is refused with the reset from the headers.
func TestRateLimitAtZero(t *testing.T) {
	e := newEnv(t, x.Config{})
	start := e.clock.Now()
	for i := range 100 {
		if _, err := e.publish(publisher.Message{Text: "post " + strconv.Itoa(i)}); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
		if i == 0 {
			e.clock.Advance(time.Minute) // the window started with the first post
		}
	}
	_, err := e.publish(publisher.Message{Text: "one too many"})
	pe := asPlatformError(t, err)
	if pe.Class != publisher.ClassRateLimited || pe.Ambiguous {
		t.Fatalf("got %s ambiguous=%v", pe.Class, pe.Ambiguous)
	}
	if want := start.Add(15 * time.Minute); !pe.RetryAt.Equal(want) {
		t.Errorf("RetryAt %s, want the window's reset %s", pe.RetryAt.UTC(), want)
	}
	if n := len(e.posts()); n != 100 {
		t.Errorf("%d posts", n)
	}
	e.clock.Advance(15 * time.Minute)
	if _, err := e.publish(publisher.Message{Text: "after the reset"}); err != nil {
		t.Errorf("after the reset: %v", err)
	}
}

func TestConnectionRefusedIsNotAmbiguous(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c := x.New(x.Config{APIURL: "http://" + addr})
	_, err := c.Publish(context.Background(), &publisher.Account{ExternalID: userID}, publisher.Credentials{AccessToken: "t"}, publisher.Message{Text: "x"})
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassRetryable || pe.Ambiguous {
		t.Errorf("got %s ambiguous=%v", pe.Class, pe.Ambiguous)
	}
}

// waitForPosts waits until the sandbox has recorded n posts: after a
// timeout, the platform finishes its work on its own time.
func waitForPosts(t *testing.T, e *env, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(e.posts()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("sandbox has %d posts, want %d", len(e.posts()), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestExactlyOnceAfterAmbiguousFailure follows Service.Deliver's protocol:
// an ambiguous failure is followed by Lookup, and Publish only if Lookup
// says the post is not there. The text has a link and an ampersand, which
// X returns as a t.co link and &amp;, and posts with an image end in a
// t.co link to it: Lookup must still recognise the post.
func TestExactlyOnceAfterAmbiguousFailure(t *testing.T) {
	cases := []struct {
		name      string
		fault     sandbox.Fault
		committed bool
	}{
		{"connection dropped after commit", sandbox.Fault{Kind: sandbox.FaultDropAfterCommit, Times: 1}, true},
		{"timeout, then the platform finished", sandbox.Fault{Kind: sandbox.FaultSlow, Delay: 10 * time.Second, Times: 1}, true},
		{"500 after committing", sandbox.Fault{Kind: sandbox.FaultServerError, Commit: true, Times: 1}, true},
		{"connection dropped before acting", sandbox.Fault{Kind: sandbox.FaultDrop, Times: 1}, false},
		{"500 without acting", sandbox.Fault{Kind: sandbox.FaultServerError, Times: 1}, false},
	}
	for _, c := range cases {
		for _, media := range []int{0, 1} {
			t.Run(c.name+"/"+strconv.Itoa(media)+" images", func(t *testing.T) {
				e := newEnv(t, x.Config{})
				msg := publisher.Message{DeliveryID: "d1", Text: "परिणाम घोषित & <b>Results</b>: see haryana.gov.in\r\nResults announced", Link: "https://haryana.gov.in/r?a=1&b=2"}
				for i := range media {
					msg.Media = append(msg.Media, image("m"+strconv.Itoa(i), "image/png", png1))
				}
				since := e.clock.Now().Add(-time.Minute)
				e.fault(c.fault)
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				_, err := e.x.Publish(ctx, e.acct, e.cred, msg)
				if pe := asPlatformError(t, err); !pe.Ambiguous || pe.Class != publisher.ClassRetryable {
					t.Fatalf("first attempt: %s ambiguous=%v, want retryable and ambiguous", pe.Class, pe.Ambiguous)
				}
				if c.committed {
					waitForPosts(t, e, 1)
				}
				pub, err := e.x.Lookup(context.Background(), e.acct, e.cred, msg, since)
				switch {
				case c.committed && err != nil:
					t.Fatalf("Lookup: %v, want the committed post", err)
				case c.committed:
					if posts := e.posts(); pub.ExternalID != posts[0].ID || pub.URL != e.cfg.WebURL+"/"+userHandle+"/status/"+posts[0].ID {
						t.Errorf("Lookup found %+v, the sandbox has %s", pub, posts[0].ID)
					}
				case !errors.Is(err, publisher.ErrNotPublished):
					t.Fatalf("Lookup: %v, want ErrNotPublished", err)
				default:
					if _, err := e.publish(msg); err != nil {
						t.Fatalf("second attempt: %v", err)
					}
				}
				if n := e.visible(); n != 1 {
					t.Errorf("%d posts on the account, want exactly 1", n)
				}
			})
		}
	}
}

func TestUploadFailureIsNotAmbiguous(t *testing.T) {
	for _, ct := range []string{"image/png", "image/gif"} {
		t.Run(ct, func(t *testing.T) {
			e := newEnv(t, x.Config{})
			e.fault(sandbox.Fault{Kind: sandbox.FaultDropAfterCommit, Ops: []sandbox.Op{sandbox.OpUpload}, Skip: 1, Times: 1})
			data := png1
			if ct == "image/gif" {
				data = gif1
			}
			_, err := e.publish(publisher.Message{Text: "three",
				Media: []publisher.MediaRef{image("a", ct, data), image("b", ct, data), image("c", ct, data)}})
			if pe := asPlatformError(t, err); pe.Class != publisher.ClassRetryable || pe.Ambiguous {
				t.Errorf("got %s ambiguous=%v: a lost upload cannot have made a post", pe.Class, pe.Ambiguous)
			}
			if n := len(e.posts()); n != 0 {
				t.Errorf("%d posts", n)
			}
		})
	}
}

func TestMediaProcessingFailureIsRejected(t *testing.T) {
	e := newEnv(t, x.Config{})
	notAGIF := image("bad", "image/gif", png1) // the bytes are a PNG
	_, err := e.publish(publisher.Message{Text: "gif", Media: []publisher.MediaRef{notAGIF}})
	pe := asPlatformError(t, err)
	if pe.Class != publisher.ClassRejected || pe.Ambiguous || !strings.Contains(pe.Message, "UnsupportedMedia") {
		t.Errorf("got %s ambiguous=%v %q", pe.Class, pe.Ambiguous, pe.Message)
	}
	if n := len(e.posts()); n != 0 {
		t.Errorf("%d posts", n)
	}
}

func TestLookup(t *testing.T) {
	e := newEnv(t, x.Config{LookupPageSize: 20, LookupMaxPages: 4})
	ctx := context.Background()
	old := publisher.Message{Text: "old announcement"}
	if _, err := e.publish(old); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	since := e.clock.Now()
	target := publisher.Message{Text: "target post\nline two", Link: "https://haryana.gov.in/t"}
	want, err := e.publish(target)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 45 {
		e.clock.Advance(time.Second)
		if _, err := e.publish(publisher.Message{Text: "filler " + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// The target is the 46th newest: on the third page of 20.
	got, err := e.x.Lookup(ctx, e.acct, e.cred, publisher.Message{Text: "  target post\r\nline two\n", Link: target.Link}, since)
	if err != nil || *got != *want {
		t.Errorf("Lookup: %+v, %v; want %+v", got, err, want)
	}
	// A documented limitation: X returns links as t.co links, so the same
	// words with another link cannot be told apart from the timeline.
	if got, err := e.x.Lookup(ctx, e.acct, e.cred, publisher.Message{Text: "target post\nline two", Link: "https://haryana.gov.in/other"}, since); err != nil || got.ExternalID != want.ExternalID {
		t.Errorf("same words, another link: %+v, %v", got, err)
	}
	if _, err := e.x.Lookup(ctx, e.acct, e.cred, publisher.Message{Text: "target post\nline three", Link: target.Link}, since); !errors.Is(err, publisher.ErrNotPublished) {
		t.Errorf("other text: %v, want ErrNotPublished", err)
	}
	if _, err := e.x.Lookup(ctx, e.acct, e.cred, old, since); !errors.Is(err, publisher.ErrNotPublished) {
		t.Errorf("a post before since: %v, want ErrNotPublished", err)
	}
	if _, err := e.x.Lookup(ctx, e.acct, e.cred, old, time.Time{}); err != nil {
		t.Errorf("a post without since: %v", err)
	}
	short := x.New(x.Config{APIURL: e.cfg.APIURL, LookupPageSize: 10, LookupMaxPages: 2})
	if _, err := short.Lookup(ctx, e.acct, e.cred, publisher.Message{Text: "absent"}, since); !errors.Is(err, publisher.ErrLookupUnsupported) {
		t.Errorf("more posts than it may read: %v, want ErrLookupUnsupported", err)
	}
	if _, err := e.x.Lookup(ctx, e.acct, e.cred, publisher.Message{Media: []publisher.MediaRef{image("a", "image/png", png1)}}, since); !errors.Is(err, publisher.ErrLookupUnsupported) {
		t.Errorf("a post without text: %v, want ErrLookupUnsupported", err)
	}
	unknown := &publisher.Account{ExternalID: "999999", Handle: "nobody"}
	if _, err := e.x.Lookup(ctx, unknown, e.cred, target, since); asPlatformError(t, err).Class != publisher.ClassAuth {
		t.Errorf("an account X does not know: %v", err)
	}
	if _, err := e.x.Lookup(ctx, &publisher.Account{Handle: userHandle}, e.cred, target, since); asPlatformError(t, err).Class != publisher.ClassAuth {
		t.Errorf("an account without a user id: %v", err)
	}
	e.fault(sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpRead}})
	_, err = e.x.Lookup(ctx, e.acct, e.cred, target, since)
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassRetryable || pe.Ambiguous {
		t.Errorf("failed lookup: %s ambiguous=%v", pe.Class, pe.Ambiguous)
	}
	e.sb.ClearFaults("", "")
	e.fault(sandbox.Fault{Kind: sandbox.FaultExpiredToken, Ops: []sandbox.Op{sandbox.OpRead}})
	if _, err := e.x.Lookup(ctx, e.acct, e.cred, target, since); asPlatformError(t, err).Class != publisher.ClassAuth {
		t.Errorf("lookup with an expired token: %v", err)
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t, x.Config{})
	ctx := context.Background()
	pub, err := e.publish(publisher.Message{Text: "to be retracted"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.x.Delete(ctx, e.acct, e.cred, pub.ExternalID); err != nil {
		t.Fatal(err)
	}
	if p := e.posts()[0]; p.DeletedAt == nil {
		t.Error("the post was not deleted")
	}
	if err := e.x.Delete(ctx, e.acct, e.cred, pub.ExternalID); err != nil {
		t.Errorf("deleting a deleted post: %v, want nil", err)
	}
	// Another account's post.
	other := e.sb.MintToken("x", "2002", "Health Department", 0)
	e.secret(other)
	theirs, err := e.x.Publish(ctx, &publisher.Account{ExternalID: "2002"}, publisher.Credentials{AccessToken: other}, publisher.Message{Text: "theirs"})
	if err != nil {
		t.Fatal(err)
	}
	if pe := asPlatformError(t, e.x.Delete(ctx, e.acct, e.cred, theirs.ExternalID)); pe.Class != publisher.ClassRejected {
		t.Errorf("deleting another account's post: %s %q", pe.Class, pe.Message)
	}
	e.fault(sandbox.Fault{Kind: sandbox.FaultExpiredToken, Ops: []sandbox.Op{sandbox.OpDelete}})
	if pe := asPlatformError(t, e.x.Delete(ctx, e.acct, e.cred, theirs.ExternalID)); pe.Class != publisher.ClassAuth {
		t.Errorf("expired token: %s", pe.Class)
	}
	if pe := asPlatformError(t, e.x.Delete(ctx, e.acct, e.cred, "abc")); pe.Class != publisher.ClassRejected {
		t.Errorf("a bad id: %s", pe.Class)
	}
}

func TestFetchMetrics(t *testing.T) {
	e := newEnv(t, x.Config{MetricFields: []string{"public_metrics", "non_public_metrics", "organic_metrics", "promoted_metrics_v0"}})
	ctx := context.Background()
	pub, err := e.publish(publisher.Message{Text: "reach me", Link: "https://haryana.gov.in/m"})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(5 * time.Hour)
	first, err := e.x.FetchMetrics(ctx, e.acct, e.cred, pub.ExternalID)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"public_metrics.impression_count", "public_metrics.like_count", "public_metrics.retweet_count",
		"public_metrics.reply_count", "public_metrics.quote_count", "public_metrics.bookmark_count",
		"non_public_metrics.impression_count", "non_public_metrics.engagements", "non_public_metrics.url_link_clicks",
		"non_public_metrics.user_profile_clicks", "organic_metrics.impression_count", "organic_metrics.like_count"} {
		if _, ok := first.Values[name]; !ok {
			t.Errorf("no %s in %v", name, first.Values)
		}
	}
	if first.Values["public_metrics.impression_count"] <= 0 {
		t.Errorf("no impressions after 5 hours: %v", first.Values)
	}
	// The removed field is reported with X's words, and the rest read.
	if msg := first.Unavailable["promoted_metrics_v0"]; !strings.Contains(msg, "promoted_metrics_v0") {
		t.Errorf("unavailable: %v", first.Unavailable)
	}
	e.clock.Advance(24 * time.Hour)
	later, err := e.x.FetchMetrics(ctx, e.acct, e.cred, pub.ExternalID)
	if err != nil {
		t.Fatal(err)
	}
	if later.Values["public_metrics.impression_count"] <= first.Values["public_metrics.impression_count"] {
		t.Errorf("impressions did not grow: %d then %d", first.Values["public_metrics.impression_count"], later.Values["public_metrics.impression_count"])
	}
	// After 30 days the private metrics are refused in errors[]; the
	// public ones still come.
	e.clock.Advance(31 * 24 * time.Hour)
	old, err := e.x.FetchMetrics(ctx, e.acct, e.cred, pub.ExternalID)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := old.Values["public_metrics.impression_count"]; !ok {
		t.Errorf("public metrics of an old post: %v", old.Values)
	}
	for _, name := range []string{"non_public_metrics.impression_count", "non_public_metrics.engagements", "organic_metrics.like_count"} {
		if msg := old.Unavailable[name]; !strings.Contains(msg, "30 days") {
			t.Errorf("%s of an old post: %q (values %v)", name, msg, old.Values)
		}
		if _, ok := old.Values[name]; ok {
			t.Errorf("%s has a value for an old post", name)
		}
	}
	// A post without a link has no url_link_clicks, and says so.
	plain, err := e.publish(publisher.Message{Text: "no link here"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.x.FetchMetrics(ctx, e.acct, e.cred, plain.ExternalID)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Unavailable["non_public_metrics.url_link_clicks"]; !ok {
		t.Errorf("url_link_clicks of a post without a link: %v / %v", m.Values, m.Unavailable)
	}
	// Another account's post: only the public metrics.
	other := e.sb.MintToken("x", "2002", "Health Department", 0)
	e.secret(other)
	om, err := e.x.FetchMetrics(ctx, &publisher.Account{ExternalID: "2002"}, publisher.Credentials{AccessToken: other}, plain.ExternalID)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := om.Values["public_metrics.like_count"]; !ok || !strings.Contains(om.Unavailable["organic_metrics.impression_count"], "not authorized") {
		t.Errorf("another account's post: %v / %v", om.Values, om.Unavailable)
	}
	// A deleted post.
	if err := e.x.Delete(ctx, e.acct, e.cred, plain.ExternalID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.x.FetchMetrics(ctx, e.acct, e.cred, plain.ExternalID); asPlatformError(t, err).Class != publisher.ClassRejected {
		t.Errorf("a deleted post: %v", err)
	}
	e.fault(sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpRead}})
	if _, err := e.x.FetchMetrics(ctx, e.acct, e.cred, pub.ExternalID); asPlatformError(t, err).Class != publisher.ClassRetryable {
		t.Errorf("a server error: %v", err)
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	e := newEnv(t, x.Config{MaxImageBytes: 100})
	ctx := context.Background()
	big := image("big", "image/png", make([]byte, 200))
	big.Size = 50 // the metadata lies; the bytes are checked too
	five := []publisher.MediaRef{image("a", "image/png", png1), image("b", "image/png", png1), image("c", "image/png", png1), image("d", "image/png", png1), image("e", "image/png", png1)}
	cases := []struct {
		name  string
		acct  *publisher.Account
		cred  publisher.Credentials
		msg   publisher.Message
		class publisher.ErrorClass
	}{
		{"281 Devanagari code points", e.acct, e.cred, publisher.Message{Text: strings.Repeat("न", 281)}, publisher.ClassRejected},
		{"the link makes it too long", e.acct, e.cred, publisher.Message{Text: strings.Repeat("a", 256), Link: "https://haryana.gov.in"}, publisher.ClassRejected},
		{"141 CJK characters", e.acct, e.cred, publisher.Message{Text: strings.Repeat("中", 141)}, publisher.ClassRejected},
		{"an invalid character", e.acct, e.cred, publisher.Message{Text: "a\uFFFEb"}, publisher.ClassRejected},
		{"five images", e.acct, e.cred, publisher.Message{Text: "x", Media: five}, publisher.ClassRejected},
		{"wrong type", e.acct, e.cred, publisher.Message{Text: "x", Media: []publisher.MediaRef{{ID: "w", ContentType: "image/bmp", Size: 10}}}, publisher.ClassRejected},
		{"image too big", e.acct, e.cred, publisher.Message{Text: "x", Media: []publisher.MediaRef{big}}, publisher.ClassRejected},
		{"empty", e.acct, e.cred, publisher.Message{Text: "  "}, publisher.ClassRejected},
		{"no account", nil, e.cred, publisher.Message{Text: "x"}, publisher.ClassAuth},
		{"no token", e.acct, publisher.Credentials{}, publisher.Message{Text: "x"}, publisher.ClassAuth},
	}
	for _, c := range cases {
		_, err := e.x.Publish(ctx, c.acct, c.cred, c.msg)
		if pe := asPlatformError(t, err); pe.Class != c.class || pe.Ambiguous {
			t.Errorf("%s: %s ambiguous=%v %q", c.name, pe.Class, pe.Ambiguous, pe.Message)
		}
	}
	if n := len(e.posts()); n != 0 {
		t.Errorf("%d posts reached the sandbox", n)
	}
	// Exactly at the limit is accepted, by the connector and the sandbox.
	if _, err := e.publish(publisher.Message{Text: strings.Repeat("न", 280)}); err != nil {
		t.Errorf("280 Devanagari code points: %v", err)
	}
	if _, err := e.publish(publisher.Message{Text: strings.Repeat("a", 255), Link: "https://haryana.gov.in"}); err != nil {
		t.Errorf("255 letters, a blank line and a link (23): %v", err)
	}
}
