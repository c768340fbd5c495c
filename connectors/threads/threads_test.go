package threads_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/connectortest"
	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/connectors/threads"
	"github.com/prasar/prasar/publisher"
)

// clock is the shared test clock.
type clock = connectortest.Clock

const thID = "25000000000000001"

// env is a sandbox and an image server on one httptest server and a
// connector pointed at them.
type env struct {
	t     *testing.T
	sb    *sandbox.Server
	srv   *httptest.Server
	th    *threads.Connector
	cfg   threads.Config
	clock *clock
	logs  *bytes.Buffer
	acct  *publisher.Account
	cred  publisher.Credentials

	mu      sync.Mutex
	reqs    []string
	images  map[string][]byte
	secrets []string
}

func newEnv(t *testing.T, cfg threads.Config) *env {
	t.Helper()
	e := &env{t: t, clock: connectortest.NewClock(time.Date(2026, 8, 1, 4, 30, 0, 0, time.UTC)), logs: &bytes.Buffer{}, images: map[string][]byte{}}
	e.sb = sandbox.New(sandbox.Options{Secret: []byte("test secret"), Now: e.clock.Now})
	mux := http.NewServeMux()
	mux.Handle(sandbox.MountPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.reqs = append(e.reqs, r.Method+" "+r.URL.RequestURI())
		e.mu.Unlock()
		e.sb.Handler().ServeHTTP(w, r)
	}))
	mux.HandleFunc("GET /media/{name}", func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		b, ok := e.images[r.PathValue("name")]
		e.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	})
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	cfg.GraphURL = e.srv.URL + sandbox.ThreadsGraphPath
	cfg.WebURL = e.srv.URL + sandbox.ThreadsWebPath
	if cfg.AppID == "" {
		cfg.AppID, cfg.AppSecret = "th-app-1", "th-app-secret-XYZ"
	}
	cfg.Now, cfg.Sleep = e.clock.Now, e.clock.Sleep
	cfg.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.cfg = cfg
	e.th = threads.New(cfg)
	e.acct = &publisher.Account{ID: "acct-1", Platform: publisher.Threads, ExternalID: thID, Handle: "haryana_gov",
		ProfileURL: e.srv.URL + sandbox.ThreadsWebPath + "/" + thID}
	e.cred = e.mint(60 * 24 * time.Hour)
	e.secret(cfg.AppSecret)
	t.Cleanup(e.checkSecrets)
	return e
}

func (e *env) mint(ttl time.Duration) publisher.Credentials {
	tok := e.sb.MintToken("threads", thID, "haryana_gov", ttl)
	exp := e.clock.Now().Add(ttl)
	e.secret(tok)
	return publisher.Credentials{AccessToken: tok, ExpiresAt: &exp, Extra: map[string]string{threads.ExtraIssuedAt: e.clock.Now().Format(time.RFC3339)}}
}

func (e *env) secret(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.secrets = append(e.secrets, s)
}

func (e *env) checkSecrets() {
	e.mu.Lock()
	defer e.mu.Unlock()
	logs := e.logs.String()
	for _, s := range e.secrets {
		if s == "" {
			continue
		}
		for _, u := range e.reqs {
			documented := strings.Contains(u, "/access_token?") || strings.Contains(u, "/refresh_access_token?")
			if strings.Contains(u, s) && !documented {
				e.t.Errorf("secret in URL %s", u)
			}
		}
		if strings.Contains(logs, s) {
			e.t.Error("secret in the connector's logs")
		}
	}
}

func (e *env) count(method, pathSuffix string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, r := range e.reqs {
		m, rest, _ := strings.Cut(r, " ")
		path, _, _ := strings.Cut(rest, "?")
		if m == method && strings.HasSuffix(path, pathSuffix) {
			n++
		}
	}
	return n
}

func (e *env) posts() []sandbox.Post { return e.sb.Posts("threads", thID) }

func (e *env) visible() int {
	n := 0
	for _, p := range e.posts() {
		if p.Visible(e.clock.Now()) {
			n++
		}
	}
	return n
}

func (e *env) fault(f sandbox.Fault) {
	e.t.Helper()
	if err := e.sb.SetFault("threads", thID, f); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) settings(s sandbox.MetaAccountSettings) {
	e.t.Helper()
	if err := e.sb.SetMetaAccount("threads", thID, s); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) image(name string, data []byte) publisher.MediaRef {
	e.mu.Lock()
	e.images[name] = data
	e.mu.Unlock()
	return publisher.MediaRef{ID: name, ContentType: http.DetectContentType(data), Size: int64(len(data)), AltText: "alt " + name,
		URL: e.srv.URL + "/media/" + name + "?exp=1785000000&sig=c2ln"}
}

func (e *env) jpeg(name string) publisher.MediaRef {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	img.Set(1, 1, color.RGBA{1, 2, 3, 255})
	var b bytes.Buffer
	jpeg.Encode(&b, img, nil)
	return e.image(name, b.Bytes())
}

func (e *env) png(name string) publisher.MediaRef {
	var b bytes.Buffer
	png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 30, 30)))
	return e.image(name, b.Bytes())
}

func asPlatformError(t *testing.T, err error) *publisher.PlatformError {
	t.Helper()
	var pe *publisher.PlatformError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want *publisher.PlatformError", err, err)
	}
	return pe
}

func TestPublishText(t *testing.T) {
	e := newEnv(t, threads.Config{})
	msg := publisher.Message{DeliveryID: "d1", Text: "हरियाणा सरकार की नई पहल 🙏", Link: "https://haryana.gov.in/pahal"}
	pub, err := e.th.Publish(context.Background(), e.acct, e.cred, msg)
	if err != nil {
		t.Fatal(err)
	}
	posts := e.posts()
	if len(posts) != 1 || posts[0].ID != pub.ExternalID || posts[0].Text != msg.Text+"\n\nhttps://haryana.gov.in/pahal" || len(posts[0].Images) != 0 {
		t.Fatalf("sandbox has %+v", posts)
	}
	// A text container is ready at once: one status read, no sleeping.
	if e.clock.Now() != time.Date(2026, 8, 1, 4, 30, 0, 0, time.UTC) {
		t.Errorf("waited for a text container")
	}
	resp, err := http.Get(pub.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "नई पहल") {
		t.Errorf("the permalink %s does not show the post", pub.URL)
	}
}

func TestPublishImages(t *testing.T) {
	for _, n := range []int{1, 2, 20} {
		t.Run(strconv.Itoa(n)+" images", func(t *testing.T) {
			e := newEnv(t, threads.Config{})
			var media []publisher.MediaRef
			for i := range n {
				if i%2 == 0 {
					media = append(media, e.jpeg("j"+strconv.Itoa(i)))
				} else {
					media = append(media, e.png("p"+strconv.Itoa(i)))
				}
			}
			pub, err := e.th.Publish(context.Background(), e.acct, e.cred, publisher.Message{DeliveryID: "d1", Text: "photos", Media: media})
			if err != nil {
				t.Fatal(err)
			}
			posts := e.posts()
			if len(posts) != 1 || posts[0].ID != pub.ExternalID || len(posts[0].Images) != n {
				t.Fatalf("sandbox has %+v", posts)
			}
			for i, im := range posts[0].Images {
				e.mu.Lock()
				sum := sha256.Sum256(e.images[media[i].ID])
				e.mu.Unlock()
				if im.SHA256 != hex.EncodeToString(sum[:]) || im.AltText != "alt "+media[i].ID {
					t.Errorf("image %d: %+v", i, im)
				}
			}
		})
	}
}

func TestContainerPolling(t *testing.T) {
	ctx := context.Background()
	msg := func(e *env) publisher.Message {
		return publisher.Message{DeliveryID: "d1", Text: "a photo", Media: []publisher.MediaRef{e.jpeg("a")}}
	}
	t.Run("slow but in time", func(t *testing.T) {
		e := newEnv(t, threads.Config{})
		e.settings(sandbox.MetaAccountSettings{ContainerDelay: 30 * time.Second})
		if _, err := e.th.Publish(ctx, e.acct, e.cred, msg(e)); err != nil {
			t.Fatal(err)
		}
		if n := e.count("GET", "/"+e.posts()[0].Images[0].ID); n != 16 {
			t.Errorf("%d status reads, want 16 (every 2s for 30s)", n)
		}
	})
	t.Run("still in progress, then reused", func(t *testing.T) {
		e := newEnv(t, threads.Config{PollTimeout: 20 * time.Second})
		e.settings(sandbox.MetaAccountSettings{ContainerDelay: 30 * time.Second})
		m := msg(e)
		_, err := e.th.Publish(ctx, e.acct, e.cred, m)
		if pe := asPlatformError(t, err); pe.Class != publisher.ClassRetryable || pe.Ambiguous || !strings.Contains(pe.Message, "still processing") {
			t.Fatalf("got %s ambiguous=%v %q", pe.Class, pe.Ambiguous, pe.Message)
		}
		if _, err := e.th.Publish(ctx, e.acct, e.cred, m); err != nil {
			t.Fatal(err)
		}
		if n := e.count("POST", "/"+thID+"/threads"); n != 1 || len(e.posts()) != 1 {
			t.Errorf("%d containers, %d posts", n, len(e.posts()))
		}
	})
	t.Run("stuck", func(t *testing.T) {
		e := newEnv(t, threads.Config{})
		e.settings(sandbox.MetaAccountSettings{Containers: sandbox.ContainersStuck})
		_, err := e.th.Publish(ctx, e.acct, e.cred, msg(e))
		if pe := asPlatformError(t, err); pe.Class != publisher.ClassRetryable || pe.Ambiguous {
			t.Errorf("got %s ambiguous=%v", pe.Class, pe.Ambiguous)
		}
		if e.count("POST", "/threads_publish") != 0 {
			t.Error("published an unfinished container")
		}
	})
	t.Run("error", func(t *testing.T) {
		e := newEnv(t, threads.Config{})
		e.settings(sandbox.MetaAccountSettings{Containers: sandbox.ContainersError})
		_, err := e.th.Publish(ctx, e.acct, e.cred, msg(e))
		if pe := asPlatformError(t, err); pe.Class != publisher.ClassRetryable || pe.Ambiguous || pe.Code != "UNKNOWN" {
			t.Errorf("got %s %q ambiguous=%v", pe.Class, pe.Code, pe.Ambiguous)
		}
	})
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
		{"expired token", func(e *env) { e.cred = e.mint(time.Hour); e.clock.Advance(2 * time.Hour) }, publisher.ClassAuth, "190/463", false, 0},
		{"invalid token", func(e *env) { e.cred.AccessToken = "THAA-not-a-sandbox-token" }, publisher.ClassAuth, "190", false, 0},
		{"rate limit with BUC header", func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultRateLimit, RetryAfter: 33 * time.Minute}) }, publisher.ClassRateLimited, "4", false, 33 * time.Minute},
		{"server error on publish", func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultServerError}) }, publisher.ClassRetryable, "2", true, 0},
		{"server error on the container", func(e *env) {
			e.fault(sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpUpload}})
		}, publisher.ClassRetryable, "2", false, 0},
		{"duplicate", func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultDuplicate}) }, publisher.ClassRejected, "506/1455006", false, 0},
		{"dropped after commit", func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultDropAfterCommit}) }, publisher.ClassRetryable, "", true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, threads.Config{})
			c.setup(e)
			_, err := e.th.Publish(context.Background(), e.acct, e.cred, publisher.Message{Text: "the text"})
			pe := asPlatformError(t, err)
			if pe.Class != c.class || pe.Code != c.code || pe.Ambiguous != c.ambiguous {
				t.Errorf("got %s %q ambiguous=%v (%s); want %s %q ambiguous=%v", pe.Class, pe.Code, pe.Ambiguous, pe.Message, c.class, c.code, c.ambiguous)
			}
			if c.retryIn > 0 && !pe.RetryAt.Equal(e.clock.Now().Add(c.retryIn)) {
				t.Errorf("RetryAt %s, want now+%s", pe.RetryAt, c.retryIn)
			}
		})
	}
}

func TestPublishingQuota(t *testing.T) {
	e := newEnv(t, threads.Config{})
	e.settings(sandbox.MetaAccountSettings{QuotaTotal: 2})
	ctx := context.Background()
	first := e.clock.Now()
	for i := range 2 {
		if _, err := e.th.Publish(ctx, e.acct, e.cred, publisher.Message{Text: "post " + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
	}
	_, err := e.th.Publish(ctx, e.acct, e.cred, publisher.Message{Text: "post 3"})
	pe := asPlatformError(t, err)
	if pe.Class != publisher.ClassRateLimited || pe.Code != "quota" || !pe.RetryAt.Equal(first.Add(24*time.Hour)) {
		t.Errorf("got %s %q RetryAt %s", pe.Class, pe.Code, pe.RetryAt)
	}
	// The quota check missed a post made elsewhere meanwhile: threads_publish refuses.
	e2 := newEnv(t, threads.Config{})
	e2.settings(sandbox.MetaAccountSettings{QuotaTotal: 1})
	e2.fault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Code: 9})
	_, err = e2.th.Publish(ctx, e2.acct, e2.cred, publisher.Message{Text: "x"})
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassRateLimited || pe.Code != "9/2207042" || !pe.RetryAt.Equal(e2.clock.Now().Add(15*time.Minute)) {
		t.Errorf("got %s %q RetryAt %s", pe.Class, pe.Code, pe.RetryAt)
	}
}

func TestExactlyOnceAfterAmbiguousFailure(t *testing.T) {
	cases := []struct {
		name      string
		fault     sandbox.Fault
		committed bool
	}{
		{"connection dropped after commit", sandbox.Fault{Kind: sandbox.FaultDropAfterCommit, Times: 1}, true},
		{"timeout, then Threads finished", sandbox.Fault{Kind: sandbox.FaultSlow, Delay: time.Minute, Times: 1}, true},
		{"500 after committing", sandbox.Fault{Kind: sandbox.FaultServerError, Commit: true, Times: 1}, true},
		{"connection dropped before acting", sandbox.Fault{Kind: sandbox.FaultDrop, Times: 1}, false},
		{"500 without acting", sandbox.Fault{Kind: sandbox.FaultServerError, Times: 1}, false},
	}
	for _, c := range cases {
		for _, images := range []int{0, 1, 3} {
			t.Run(c.name+"/"+strconv.Itoa(images)+" images", func(t *testing.T) {
				e := newEnv(t, threads.Config{})
				msg := publisher.Message{DeliveryID: "d1", Text: "परिणाम घोषित 🎉\r\nResults announced"}
				for i := range images {
					msg.Media = append(msg.Media, e.jpeg("m"+strconv.Itoa(i)))
				}
				since := e.clock.Now().Add(-time.Minute)
				e.fault(c.fault)
				timeout := 20 * time.Second
				if c.fault.Kind == sandbox.FaultSlow {
					timeout = 3 * time.Second
				}
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				_, err := e.th.Publish(ctx, e.acct, e.cred, msg)
				if pe := asPlatformError(t, err); !pe.Ambiguous || pe.Class != publisher.ClassRetryable {
					t.Fatalf("first attempt: %s ambiguous=%v", pe.Class, pe.Ambiguous)
				}
				if c.committed {
					deadline := time.Now().Add(5 * time.Second)
					for len(e.posts()) < 1 && time.Now().Before(deadline) {
						time.Sleep(10 * time.Millisecond)
					}
				}
				pub, err := e.th.Lookup(context.Background(), e.acct, e.cred, msg, since)
				switch {
				case c.committed && err != nil:
					t.Fatalf("Lookup: %v", err)
				case c.committed:
					if pub.ExternalID != e.posts()[0].ID {
						t.Errorf("Lookup found %+v", pub)
					}
				case !errors.Is(err, publisher.ErrNotPublished):
					t.Fatalf("Lookup: %v, want ErrNotPublished", err)
				default:
					if _, err := e.th.Publish(context.Background(), e.acct, e.cred, msg); err != nil {
						t.Fatalf("second attempt: %v", err)
					}
				}
				if n := e.visible(); n != 1 {
					t.Errorf("%d posts, want exactly 1", n)
				}
			})
		}
	}
}

func TestLookup(t *testing.T) {
	e := newEnv(t, threads.Config{LookupPageSize: 10, LookupMaxPages: 5})
	ctx := context.Background()
	post := func(s string) *publisher.Published {
		p, err := e.th.Publish(ctx, e.acct, e.cred, publisher.Message{Text: s})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	post("old")
	e.clock.Advance(time.Hour)
	since := e.clock.Now()
	want := post("target\nline")
	for i := range 25 {
		e.clock.Advance(time.Second)
		post("filler " + strconv.Itoa(i))
	}
	if got, err := e.th.Lookup(ctx, e.acct, e.cred, publisher.Message{Text: " target\r\nline "}, since); err != nil || *got != *want {
		t.Errorf("Lookup: %+v, %v; want %+v", got, err, want)
	}
	if _, err := e.th.Lookup(ctx, e.acct, e.cred, publisher.Message{Text: "old"}, since); !errors.Is(err, publisher.ErrNotPublished) {
		t.Errorf("before since: %v", err)
	}
	short := threads.New(func() threads.Config { c := e.cfg; c.LookupPageSize, c.LookupMaxPages = 5, 2; return c }())
	if _, err := short.Lookup(ctx, e.acct, e.cred, publisher.Message{Text: "absent"}, since); !errors.Is(err, publisher.ErrLookupUnsupported) {
		t.Errorf("too many posts: %v", err)
	}
	if _, err := e.th.Lookup(ctx, e.acct, e.cred, publisher.Message{Media: []publisher.MediaRef{{}}}, since); !errors.Is(err, publisher.ErrLookupUnsupported) {
		t.Errorf("no text: %v", err)
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	e := newEnv(t, threads.Config{MaxImages: 3})
	ok := e.jpeg("ok")
	bad := func(f func(*publisher.MediaRef)) []publisher.MediaRef { m := ok; f(&m); return []publisher.MediaRef{m} }
	cases := []struct {
		name  string
		acct  *publisher.Account
		cred  publisher.Credentials
		msg   publisher.Message
		class publisher.ErrorClass
	}{
		{"empty", e.acct, e.cred, publisher.Message{}, publisher.ClassRejected},
		{"501 letters", e.acct, e.cred, publisher.Message{Text: strings.Repeat("a", 501)}, publisher.ClassRejected},
		{"497 letters and an emoji", e.acct, e.cred, publisher.Message{Text: strings.Repeat("a", 497) + "😀"}, publisher.ClassRejected},
		{"a link pushes it over", e.acct, e.cred, publisher.Message{Text: strings.Repeat("a", 490), Link: "https://a.in"}, publisher.ClassRejected},
		{"too many images", e.acct, e.cred, publisher.Message{Media: []publisher.MediaRef{ok, ok, ok, ok}}, publisher.ClassRejected},
		{"GIF", e.acct, e.cred, publisher.Message{Media: bad(func(m *publisher.MediaRef) { m.ContentType = "image/gif" })}, publisher.ClassRejected},
		{"too big", e.acct, e.cred, publisher.Message{Media: bad(func(m *publisher.MediaRef) { m.Size = 9 << 20 })}, publisher.ClassRejected},
		{"no URL", e.acct, e.cred, publisher.Message{Media: bad(func(m *publisher.MediaRef) { m.URL = "" })}, publisher.ClassRejected},
		{"no user id", &publisher.Account{}, e.cred, publisher.Message{Text: "x"}, publisher.ClassAuth},
		{"no token", e.acct, publisher.Credentials{}, publisher.Message{Text: "x"}, publisher.ClassAuth},
	}
	for _, c := range cases {
		_, err := e.th.Publish(context.Background(), c.acct, c.cred, c.msg)
		if pe := asPlatformError(t, err); pe.Class != c.class || pe.Ambiguous {
			t.Errorf("%s: %s ambiguous=%v %q", c.name, pe.Class, pe.Ambiguous, pe.Message)
		}
	}
	// 500 exactly goes through, and the sandbox (which counts on its own) agrees.
	if _, err := e.th.Publish(context.Background(), e.acct, e.cred, publisher.Message{Text: strings.Repeat("क", 490) + "🇮🇳🙏" + "क"}); err == nil {
		t.Error("503 weighted characters were accepted")
	}
	if _, err := e.th.Publish(context.Background(), e.acct, e.cred, publisher.Message{Text: strings.Repeat("क", 488) + "🇮🇳🙏"}); err != nil {
		t.Errorf("500 weighted characters: %v", err)
	}
	if n := len(e.posts()); n != 1 {
		t.Errorf("%d posts", n)
	}
}

func TestRulesAndMeasure(t *testing.T) {
	c := threads.New(threads.Config{})
	r := c.Rules()
	if r.Platform != publisher.Threads || r.MaxChars != 500 || r.CountUnit != "weighted" || r.RequiresMedia || r.MaxImages != 20 ||
		r.MaxImageBytes != 8<<20 || strings.Join(r.ImageTypes, ",") != "image/jpeg,image/png" || !r.Enabled || c.Platform() != publisher.Threads {
		t.Errorf("rules %+v", r)
	}
	cases := []struct {
		msg  publisher.Message
		want int
	}{
		{publisher.Message{Text: "नमस्ते 🙏"}, 11},
		{publisher.Message{Text: "hi", Link: "https://a.in"}, 16},
		{publisher.Message{Text: "see https://a.in", Link: "https://a.in"}, 16},
	}
	for _, tc := range cases {
		if m := c.Measure(tc.msg); m.Count != tc.want || m.Limit != 500 {
			t.Errorf("Measure(%+v) = %+v, want %d", tc.msg, m, tc.want)
		}
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t, threads.Config{})
	ctx := context.Background()
	pub, err := e.th.Publish(ctx, e.acct, e.cred, publisher.Message{Text: "to be withdrawn"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.th.Delete(ctx, e.acct, e.cred, pub.ExternalID); err != nil {
		t.Fatal(err)
	}
	if e.visible() != 0 || e.posts()[0].DeletedAt == nil {
		t.Error("the post is still there")
	}
	if err := e.th.Delete(ctx, e.acct, e.cred, pub.ExternalID); err != nil {
		t.Errorf("deleting a deleted post: %v", err)
	}
	e.fault(sandbox.Fault{Kind: sandbox.FaultExpiredToken, Ops: []sandbox.Op{sandbox.OpDelete}})
	if err := e.th.Delete(ctx, e.acct, e.cred, pub.ExternalID); asPlatformError(t, err).Class != publisher.ClassAuth {
		t.Errorf("with an expired token: %v", err)
	}
	if err := e.th.Delete(ctx, e.acct, e.cred, "../x"); asPlatformError(t, err).Class != publisher.ClassRejected {
		t.Errorf("a bad id: %v", err)
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, threads.Config{})
	ctx := context.Background()
	pub, err := e.th.Publish(ctx, e.acct, e.cred, publisher.Message{Text: "metrics"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.th.FetchMetrics(ctx, e.acct, e.cred, pub.ExternalID)
	if err != nil || len(res.Values) != 0 || len(res.Unavailable) != 6 {
		t.Fatalf("young post: %+v %v", res, err)
	}
	e.clock.Advance(12 * time.Hour)
	res, err = e.th.FetchMetrics(ctx, e.acct, e.cred, pub.ExternalID)
	if err != nil || len(res.Values) != 6 || res.Values["views"] <= 0 || res.Unavailable != nil {
		t.Fatalf("metrics: %+v %v", res, err)
	}
	bad := threads.New(func() threads.Config { c := e.cfg; c.Metrics = []string{"views", "impressions", "likes"}; return c }())
	res, err = bad.FetchMetrics(ctx, e.acct, e.cred, pub.ExternalID)
	if err != nil || len(res.Values) != 2 || !strings.Contains(res.Unavailable["impressions"], "must be one of") {
		t.Errorf("with an unknown metric: %+v %v", res, err)
	}
}

var (
	formRE  = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	inputRE = regexp.MustCompile(`<input ([^>]*)>`)
	attrRE  = regexp.MustCompile(`(\w+)(?:="([^"]*)")?`)
)

// consent drives a consent page like a browser and returns where it sends
// the browser.
func consent(t *testing.T, e *env, pageURL, decision string, edit func(url.Values)) *url.URL {
	t.Helper()
	client := *e.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formRE.FindStringSubmatch(string(body))
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("consent page: %d\n%s", resp.StatusCode, body)
	}
	v := url.Values{}
	for _, in := range inputRE.FindAllStringSubmatch(string(body), -1) {
		attrs := map[string]string{}
		for _, a := range attrRE.FindAllStringSubmatch(in[1], -1) {
			attrs[a[1]] = html.UnescapeString(a[2])
		}
		_, checked := attrs["checked"]
		if (attrs["type"] != "checkbox" && attrs["type"] != "radio") || checked {
			v.Add(attrs["name"], attrs["value"])
		}
	}
	if edit != nil {
		edit(v)
	}
	v.Set("decision", decision)
	resp, err = client.PostForm(e.srv.URL+html.UnescapeString(m[1]), v)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	to, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || to == nil {
		t.Fatalf("decision: %d", resp.StatusCode)
	}
	return to
}

func TestOAuthRoundTrip(t *testing.T) {
	e := newEnv(t, threads.Config{})
	ctx := context.Background()
	callback := e.srv.URL + "/callback"
	u := e.th.AuthCodeURL("st", "", callback)
	if q, _ := url.Parse(u); !strings.HasPrefix(u, e.cfg.WebURL+"/oauth/authorize?") || q.Query().Get("scope") != "threads_basic,threads_content_publish,threads_manage_insights,threads_delete" {
		t.Fatalf("AuthCodeURL %s", u)
	}
	to := consent(t, e, u, "approve", func(v url.Values) { v.Set("account", "new"); v.Set("new_account", "haryana_health") })
	if to.Fragment != "_" || to.Query().Get("state") != "st" {
		t.Errorf("redirect %s", to)
	}
	code := to.Query().Get("code")
	e.secret(code)
	now := e.clock.Now()
	accts, err := e.th.Exchange(ctx, code+"#_", "", callback)
	if err != nil {
		t.Fatal(err)
	}
	g := accts[0]
	e.secret(g.Credentials.AccessToken)
	if len(accts) != 1 || !strings.HasPrefix(g.ExternalID, "2") || g.ExternalID == thID || g.Handle != "haryana_health" ||
		!g.Credentials.ExpiresAt.Equal(now.Add(5183944*time.Second)) || g.Credentials.Extra[threads.ExtraIssuedAt] != now.Format(time.RFC3339) {
		t.Errorf("granted %+v", g)
	}
	if _, err := e.th.Publish(ctx, &publisher.Account{ExternalID: g.ExternalID}, g.Credentials, publisher.Message{Text: "connected"}); err != nil {
		t.Errorf("publishing with the granted token: %v", err)
	}
	if _, err := e.th.Exchange(ctx, code, "", callback); asPlatformError(t, err).Class != publisher.ClassRejected {
		t.Errorf("a used code: %v", err)
	}
	if to := consent(t, e, u, "deny", nil); to.Query().Get("error") != "access_denied" {
		t.Errorf("deny: %s", to)
	}

	// Refresh: not before 24 h, then another 60 days.
	cred := g.Credentials
	if e.th.RefreshDue(cred, e.clock.Now()) {
		t.Error("a fresh token is due")
	}
	if _, err := e.th.Refresh(ctx, nil, cred); asPlatformError(t, err).Class != publisher.ClassRateLimited {
		t.Errorf("refresh of a fresh token: %v", err)
	}
	e.clock.Advance(52 * 24 * time.Hour)
	if !e.th.RefreshDue(cred, e.clock.Now()) {
		t.Fatal("not due at 52 days")
	}
	fresh, err := e.th.Refresh(ctx, nil, cred)
	if err != nil {
		t.Fatal(err)
	}
	e.secret(fresh.AccessToken)
	if fresh.AccessToken == cred.AccessToken || !fresh.ExpiresAt.Equal(e.clock.Now().Add(5183944*time.Second)) || e.th.RefreshDue(fresh, e.clock.Now()) {
		t.Errorf("refreshed: %v", fresh.ExpiresAt)
	}
	e.clock.Advance(9 * 24 * time.Hour)
	if _, err := e.th.Refresh(ctx, nil, cred); asPlatformError(t, err).Class != publisher.ClassAuth {
		t.Errorf("refresh of an expired token: %v", err)
	}
}

func TestNoSecretInErrors(t *testing.T) {
	e := newEnv(t, threads.Config{})
	ctx := context.Background()
	check := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, s := range e.secrets {
			if strings.Contains(err.Error(), s) || strings.Contains(fmt.Sprintf("%+v", err), s) {
				t.Errorf("%s: the error shows a secret: %v", what, err)
			}
		}
	}
	expired := e.mint(time.Hour)
	e.clock.Advance(2 * time.Hour)
	_, err := e.th.Publish(ctx, e.acct, expired, publisher.Message{Text: "x"})
	check("publish with an expired token", err)
	check("delete with an expired token", e.th.Delete(ctx, e.acct, expired, "123"))
	_, err = e.th.Exchange(ctx, "nonsense", "", e.srv.URL+"/callback")
	check("a bad code", err)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	down := threads.New(func() threads.Config { c := e.cfg; c.GraphURL = "http://" + addr; return c }())
	e.clock.Advance(55 * 24 * time.Hour)
	_, err = down.Refresh(ctx, e.acct, e.cred)
	check("refresh against a closed port", err)
	_, err = down.Exchange(ctx, "code", "", e.srv.URL+"/callback")
	check("exchange against a closed port", err)
}
