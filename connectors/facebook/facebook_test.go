package facebook_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/connectortest"
	"github.com/prasar/prasar/connectors/facebook"
	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/publisher"
)

// clock is the shared test clock.
type clock = connectortest.Clock

// env is a sandbox served over HTTP, a connector pointed at it, and a log
// of every URL the sandbox received.
type env struct {
	t     *testing.T
	sb    *sandbox.Server
	srv   *httptest.Server
	fb    *facebook.Connector
	clock *clock
	logs  *bytes.Buffer
	cred  publisher.Credentials

	mu   sync.Mutex
	urls []string
}

func newEnv(t *testing.T, cfg facebook.Config) *env {
	t.Helper()
	e := &env{t: t, clock: connectortest.NewClock(time.Date(2026, 8, 1, 4, 30, 0, 0, time.UTC)), logs: &bytes.Buffer{}}
	e.sb = sandbox.New(sandbox.Options{Secret: []byte("test secret"), Now: e.clock.Now})
	mux := http.NewServeMux()
	mux.Handle(sandbox.MountPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.urls = append(e.urls, r.URL.String())
		e.mu.Unlock()
		e.sb.Handler().ServeHTTP(w, r)
	}))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	cfg.GraphURL = e.srv.URL + sandbox.FacebookGraphPath
	cfg.WebURL = e.srv.URL + sandbox.FacebookWebPath
	cfg.Now = e.clock.Now
	cfg.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.fb = facebook.New(cfg)
	e.cred = publisher.Credentials{AccessToken: e.sb.MintToken("facebook", pageID, "Agriculture Department", 0)}
	t.Cleanup(func() {
		// The token never appears in a URL the platform saw, nor in the logs.
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, u := range e.urls {
			if strings.Contains(u, e.cred.AccessToken) {
				t.Errorf("token in URL %s", u)
			}
		}
		if strings.Contains(e.logs.String(), e.cred.AccessToken) {
			t.Error("token in the connector's logs")
		}
	})
	return e
}

func (e *env) posts() []sandbox.Post { return e.sb.Posts("facebook", pageID) }

func (e *env) fault(f sandbox.Fault) {
	e.t.Helper()
	if err := e.sb.SetFault("facebook", pageID, f); err != nil {
		e.t.Fatal(err)
	}
}

func asPlatformError(t *testing.T, err error) *publisher.PlatformError {
	t.Helper()
	var pe *publisher.PlatformError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want *publisher.PlatformError", err, err)
	}
	return pe
}

var png1 = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")

func TestPublishTextAgainstSandbox(t *testing.T) {
	e := newEnv(t, facebook.Config{})
	msg := publisher.Message{DeliveryID: "d1", Text: "हरियाणा में नई योजना\n\nA new scheme in Haryana", Link: "https://haryana.gov.in/scheme"}
	pub, err := e.fb.Publish(context.Background(), account, e.cred, msg)
	if err != nil {
		t.Fatal(err)
	}
	posts := e.posts()
	if len(posts) != 1 || posts[0].ID != pub.ExternalID || posts[0].Text != msg.Text || posts[0].Link != msg.Link {
		t.Fatalf("sandbox received %+v; published %+v", posts, pub)
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
}

func TestPublishPhotosAgainstSandbox(t *testing.T) {
	for _, n := range []int{1, 3} {
		t.Run(strconv.Itoa(n)+" images", func(t *testing.T) {
			e := newEnv(t, facebook.Config{})
			var media []publisher.MediaRef
			for i := range n {
				media = append(media, image("m"+strconv.Itoa(i), png1))
			}
			pub, err := e.fb.Publish(context.Background(), account, e.cred, publisher.Message{Text: "photos", Media: media})
			if err != nil {
				t.Fatal(err)
			}
			posts := e.posts()
			if len(posts) != 1 || posts[0].ID != pub.ExternalID || len(posts[0].Images) != n || posts[0].Text != "photos" {
				t.Fatalf("sandbox received %+v", posts)
			}
			sum := sha256.Sum256(png1)
			for i, im := range posts[0].Images {
				if im.SHA256 != hex.EncodeToString(sum[:]) || im.AltText != "alt m"+strconv.Itoa(i) {
					t.Errorf("image %d: %+v", i, im)
				}
			}
		})
	}
}

func TestPublishErrorClasses(t *testing.T) {
	cases := []struct {
		name      string
		setup     func(e *env)
		class     publisher.ErrorClass
		code      string
		ambiguous bool
		retryIn   time.Duration
	}{
		{"expired token", func(e *env) {
			e.cred.AccessToken = e.sb.MintToken("facebook", pageID, "Agriculture", time.Hour)
			e.clock.Advance(2 * time.Hour)
		}, publisher.ClassAuth, "190/463", false, 0},
		{"expired token (fault)", func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultExpiredToken}) }, publisher.ClassAuth, "190/463", false, 0},
		{"invalid token", func(e *env) { e.cred.AccessToken = "EAAB-not-a-sandbox-token" }, publisher.ClassAuth, "190", false, 0},
		{"duplicate", func(e *env) {
			if _, err := e.fb.Publish(context.Background(), account, e.cred, publisher.Message{Text: "the text"}); err != nil {
				e.t.Fatal(err)
			}
		}, publisher.ClassRejected, "506/1455006", false, 0},
		{"duplicate (fault)", func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultDuplicate}) }, publisher.ClassRejected, "506/1455006", false, 0},
		{"app rate limit with BUC header", func(e *env) {
			e.fault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Code: 4, RetryAfter: 19 * time.Minute})
		}, publisher.ClassRateLimited, "4", false, 19 * time.Minute},
		{"page rate limit", func(e *env) {
			e.fault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Code: 80001, RetryAfter: 61 * time.Minute})
		}, publisher.ClassRateLimited, "80001", false, 61 * time.Minute},
		{"500", func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultServerError}) }, publisher.ClassRetryable, "2", true, 0},
		{"timeout after the server accepted", func(e *env) {
			e.fault(sandbox.Fault{Kind: sandbox.FaultSlow, Delay: 10 * time.Second})
		}, publisher.ClassRetryable, "", true, 0},
		{"connection dropped after commit", func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultDropAfterCommit}) }, publisher.ClassRetryable, "", true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, facebook.Config{})
			c.setup(e)
			// Only the slow case should come near this deadline.
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, err := e.fb.Publish(ctx, account, e.cred, publisher.Message{Text: "the text"})
			pe := asPlatformError(t, err)
			if pe.Class != c.class || pe.Code != c.code || pe.Ambiguous != c.ambiguous {
				t.Errorf("got %s %q ambiguous=%v (%s); want %s %q ambiguous=%v", pe.Class, pe.Code, pe.Ambiguous, pe.Message, c.class, c.code, c.ambiguous)
			}
			if c.retryIn > 0 && !pe.RetryAt.Equal(e.clock.Now().Add(c.retryIn)) {
				t.Errorf("RetryAt %s, want now+%s", pe.RetryAt, c.retryIn)
			}
			if pe.Message == "" {
				t.Error("no message")
			}
			if wantDup := strings.HasPrefix(c.code, "506"); pe.Duplicate != wantDup {
				t.Errorf("Duplicate = %v, want %v", pe.Duplicate, wantDup)
			}
		})
	}
}

func TestConnectionRefusedIsNotAmbiguous(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c := facebook.New(facebook.Config{GraphURL: "http://" + addr})
	_, err := c.Publish(context.Background(), account, cred, publisher.Message{Text: "x"})
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
// says the post is not there.
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
		for _, media := range []int{0, 1, 2} {
			t.Run(c.name+"/"+strconv.Itoa(media)+" images", func(t *testing.T) {
				e := newEnv(t, facebook.Config{})
				msg := publisher.Message{DeliveryID: "d1", Text: "परिणाम घोषित\r\nResults announced", Link: "https://haryana.gov.in/r"}
				for i := range media {
					msg.Media = append(msg.Media, image("m"+strconv.Itoa(i), png1))
				}
				since := e.clock.Now().Add(-time.Minute)
				e.fault(c.fault)
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				_, err := e.fb.Publish(ctx, account, e.cred, msg)
				if pe := asPlatformError(t, err); !pe.Ambiguous || pe.Class != publisher.ClassRetryable {
					t.Fatalf("first attempt: %s ambiguous=%v, want retryable and ambiguous", pe.Class, pe.Ambiguous)
				}
				if c.committed {
					waitForPosts(t, e, 1)
				}
				pub, err := e.fb.Lookup(context.Background(), account, e.cred, msg, since)
				switch {
				case c.committed && err != nil:
					t.Fatalf("Lookup: %v, want the committed post", err)
				case c.committed:
					if posts := e.posts(); pub.ExternalID != posts[0].ID {
						t.Errorf("Lookup found %s, the sandbox has %s", pub.ExternalID, posts[0].ID)
					}
				case !errors.Is(err, publisher.ErrNotPublished):
					t.Fatalf("Lookup: %v, want ErrNotPublished", err)
				default:
					if _, err := e.fb.Publish(context.Background(), account, e.cred, msg); err != nil {
						t.Fatalf("second attempt: %v", err)
					}
				}
				visible := 0
				for _, p := range e.posts() {
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

func TestUploadFailureIsNotAmbiguous(t *testing.T) {
	e := newEnv(t, facebook.Config{})
	e.fault(sandbox.Fault{Kind: sandbox.FaultDropAfterCommit, Ops: []sandbox.Op{sandbox.OpUpload}, Skip: 1, Times: 1})
	_, err := e.fb.Publish(context.Background(), account, e.cred, publisher.Message{Text: "three",
		Media: []publisher.MediaRef{image("a", png1), image("b", png1), image("c", png1)}})
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassRetryable || pe.Ambiguous {
		t.Errorf("got %s ambiguous=%v: a lost unpublished upload cannot have made a post", pe.Class, pe.Ambiguous)
	}
	if n := len(e.posts()); n != 0 {
		t.Errorf("%d posts", n)
	}
}

func TestLookup(t *testing.T) {
	e := newEnv(t, facebook.Config{LookupPageSize: 20, LookupMaxPages: 4})
	ctx := context.Background()
	old := publisher.Message{Text: "old announcement"}
	if _, err := e.fb.Publish(ctx, account, e.cred, old); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	since := e.clock.Now()
	target := publisher.Message{Text: "target post\nline two"}
	want, err := e.fb.Publish(ctx, account, e.cred, target)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 45 {
		e.clock.Advance(time.Second)
		if _, err := e.fb.Publish(ctx, account, e.cred, publisher.Message{Text: "filler " + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// The target is the 46th newest: on the third page of 20.
	got, err := e.fb.Lookup(ctx, account, e.cred, publisher.Message{Text: "  target post\r\nline two\n"}, since)
	if err != nil || *got != *want {
		t.Errorf("Lookup: %+v, %v; want %+v", got, err, want)
	}
	if _, err := e.fb.Lookup(ctx, account, e.cred, old, since); !errors.Is(err, publisher.ErrNotPublished) {
		t.Errorf("a post before since: %v, want ErrNotPublished", err)
	}
	if _, err := e.fb.Lookup(ctx, account, e.cred, old, time.Time{}); err != nil {
		t.Errorf("a post without since: %v", err)
	}
	short := facebook.New(facebook.Config{GraphURL: e.srv.URL + sandbox.FacebookGraphPath, LookupPageSize: 10, LookupMaxPages: 2})
	if _, err := short.Lookup(ctx, account, e.cred, publisher.Message{Text: "absent"}, since); !errors.Is(err, publisher.ErrLookupUnsupported) {
		t.Errorf("more posts than it may read: %v, want ErrLookupUnsupported", err)
	}
	if _, err := e.fb.Lookup(ctx, account, e.cred, publisher.Message{Link: "https://x.org"}, since); !errors.Is(err, publisher.ErrLookupUnsupported) {
		t.Errorf("a post without text: %v, want ErrLookupUnsupported", err)
	}
	e.fault(sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpRead}})
	_, err = e.fb.Lookup(ctx, account, e.cred, target, since)
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassRetryable || pe.Ambiguous {
		t.Errorf("failed lookup: %s ambiguous=%v", pe.Class, pe.Ambiguous)
	}
	e.sb.ClearFaults("", "")
	e.fault(sandbox.Fault{Kind: sandbox.FaultExpiredToken, Ops: []sandbox.Op{sandbox.OpRead}})
	if _, err := e.fb.Lookup(ctx, account, e.cred, target, since); asPlatformError(t, err).Class != publisher.ClassAuth {
		t.Errorf("lookup with an expired token: %v", err)
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	e := newEnv(t, facebook.Config{MaxChars: 10, MaxImages: 2, MaxImageBytes: 100})
	ctx := context.Background()
	big := image("big", bytes.Repeat([]byte{1}, 200))
	big.Size = 50 // the metadata lies; the bytes are checked too
	cases := []struct {
		name  string
		acct  *publisher.Account
		cred  publisher.Credentials
		msg   publisher.Message
		class publisher.ErrorClass
	}{
		{"too long", account, e.cred, publisher.Message{Text: "एक दो तीन चार"}, publisher.ClassRejected},
		{"too many images", account, e.cred, publisher.Message{Text: "x", Media: []publisher.MediaRef{image("a", png1), image("b", png1), image("c", png1)}}, publisher.ClassRejected},
		{"wrong type", account, e.cred, publisher.Message{Text: "x", Media: []publisher.MediaRef{{ID: "w", ContentType: "image/webp", Size: 10}}}, publisher.ClassRejected},
		{"image too big", account, e.cred, publisher.Message{Text: "x", Media: []publisher.MediaRef{big}}, publisher.ClassRejected},
		{"empty", account, e.cred, publisher.Message{}, publisher.ClassRejected},
		{"no page id", &publisher.Account{Platform: publisher.Facebook}, e.cred, publisher.Message{Text: "x"}, publisher.ClassAuth},
		{"no token", account, publisher.Credentials{}, publisher.Message{Text: "x"}, publisher.ClassAuth},
	}
	for _, c := range cases {
		_, err := e.fb.Publish(ctx, c.acct, c.cred, c.msg)
		if pe := asPlatformError(t, err); pe.Class != c.class || pe.Ambiguous {
			t.Errorf("%s: %s ambiguous=%v %q", c.name, pe.Class, pe.Ambiguous, pe.Message)
		}
	}
	if n := len(e.posts()); n != 0 {
		t.Errorf("%d posts reached the sandbox", n)
	}
}

func TestRulesAndMeasure(t *testing.T) {
	c := facebook.New(facebook.Config{})
	r := c.Rules()
	if r.Platform != publisher.Facebook || r.MaxChars != 63206 || r.CountUnit != "characters" || r.MaxImages != 10 ||
		r.MaxImageBytes != 10<<20 || strings.Join(r.ImageTypes, ",") != "image/jpeg,image/png,image/gif" || !r.Enabled || c.Platform() != publisher.Facebook {
		t.Errorf("rules %+v", r)
	}
	if r := facebook.New(facebook.Config{MaxChars: 500, MaxImages: 4}).Rules(); r.MaxChars != 500 || r.MaxImages != 4 {
		t.Errorf("configured rules %+v", r)
	}
	cases := []struct {
		msg  publisher.Message
		want int
	}{
		{publisher.Message{Text: "hello"}, 5},
		{publisher.Message{Text: "नमस्ते"}, 6}, // न म स ् त े: six code points
		{publisher.Message{Text: "hi", Link: "https://a.in"}, 2},
		{publisher.Message{Text: "hi", Link: "https://a.in", Media: []publisher.MediaRef{{}}}, 2 + 2 + 12}, // the link joins the caption
		{publisher.Message{Text: "see https://a.in", Link: "https://a.in", Media: []publisher.MediaRef{{}}}, 16},
	}
	for _, tc := range cases {
		if m := c.Measure(tc.msg); m.Count != tc.want || m.Limit != 63206 {
			t.Errorf("Measure(%+v) = %+v, want %d", tc.msg, m, tc.want)
		}
	}
}
