package instagram_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
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
	"github.com/prasar/prasar/connectors/instagram"
	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/publisher"
)

// clock is the shared test clock.
type clock = connectortest.Clock

const igID = "17841400000000001"

// env is a sandbox and an image server on one httptest server, a connector
// pointed at them, and a log of every request.
type env struct {
	t     *testing.T
	sb    *sandbox.Server
	srv   *httptest.Server
	ig    *instagram.Connector
	cfg   instagram.Config
	clock *clock
	logs  *bytes.Buffer
	acct  *publisher.Account
	cred  publisher.Credentials

	mu      sync.Mutex
	reqs    []string // "METHOD path?query"
	images  map[string][]byte
	secrets []string // strings that must appear in no log line, URL or error
}

func newEnv(t *testing.T, cfg instagram.Config) *env {
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
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "back in Prasar") })
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	cfg.GraphURL = e.srv.URL + sandbox.InstagramGraphPath
	cfg.APIURL = e.srv.URL + sandbox.InstagramAPIPath
	cfg.WebURL = e.srv.URL + sandbox.InstagramWebPath
	if cfg.AppID == "" {
		cfg.AppID, cfg.AppSecret = "ig-app-1", "ig-app-secret-XYZ"
	}
	cfg.Now, cfg.Sleep = e.clock.Now, e.clock.Sleep
	cfg.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.cfg = cfg
	e.ig = instagram.New(cfg)
	e.acct = &publisher.Account{ID: "acct-1", Platform: publisher.Instagram, ExternalID: igID, Handle: "haryana_agri",
		ProfileURL: e.srv.URL + sandbox.InstagramWebPath + "/" + igID}
	e.cred = e.mint(60 * 24 * time.Hour)
	e.secrets = append(e.secrets, cfg.AppSecret)
	t.Cleanup(e.checkSecrets)
	return e
}

// mint makes a token for the account, valid for ttl, and remembers it as a
// secret.
func (e *env) mint(ttl time.Duration) publisher.Credentials {
	tok := e.sb.MintToken("instagram", igID, "haryana_agri", ttl)
	exp := e.clock.Now().Add(ttl)
	e.mu.Lock()
	e.secrets = append(e.secrets, tok)
	e.mu.Unlock()
	return publisher.Credentials{AccessToken: tok, ExpiresAt: &exp, Extra: map[string]string{instagram.ExtraIssuedAt: e.clock.Now().Format(time.RFC3339)}}
}

func (e *env) secret(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.secrets = append(e.secrets, s)
}

// checkSecrets: no token or app secret in a URL the platform saw (but for
// the two token endpoints Meta documents as GET with the token in the
// query), nor in the connector's logs.
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
			e.t.Errorf("secret in the connector's logs")
		}
	}
}

// requests returns the requests made so far whose "METHOD path" starts
// with prefix.
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

func (e *env) posts() []sandbox.Post { return e.sb.Posts("instagram", igID) }

func (e *env) fault(f sandbox.Fault) {
	e.t.Helper()
	if err := e.sb.SetFault("instagram", igID, f); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) settings(s sandbox.MetaAccountSettings) {
	e.t.Helper()
	if err := e.sb.SetMetaAccount("instagram", igID, s); err != nil {
		e.t.Fatal(err)
	}
}

// image serves data and returns a MediaRef for it, as Prasar builds them.
func (e *env) image(name string, data []byte, w, h int) publisher.MediaRef {
	e.mu.Lock()
	e.images[name] = data
	e.mu.Unlock()
	ct := http.DetectContentType(data)
	return publisher.MediaRef{ID: name, ContentType: ct, Size: int64(len(data)), Width: w, Height: h, AltText: "alt " + name,
		URL:  e.srv.URL + "/media/" + name + "?exp=1785000000&sig=c2lnbmF0dXJl",
		Open: func(context.Context) ([]byte, error) { return data, nil }}
}

func (e *env) jpeg(name string, w, h int) publisher.MediaRef {
	return e.image(name, jpegOf(e.t, w, h), w, h)
}

func jpegOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.RGBA{200, uint8(x), 40, 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func asPlatformError(t *testing.T, err error) *publisher.PlatformError {
	t.Helper()
	var pe *publisher.PlatformError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want *publisher.PlatformError", err, err)
	}
	return pe
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestPublishSingleImage(t *testing.T) {
	e := newEnv(t, instagram.Config{})
	img := e.jpeg("m1", 108, 135)
	msg := publisher.Message{DeliveryID: "d1", Text: "हरियाणा में नई योजना #Haryana\nA new scheme", Link: "https://haryana.gov.in/scheme", Media: []publisher.MediaRef{img}}
	pub, err := e.ig.Publish(context.Background(), e.acct, e.cred, msg)
	if err != nil {
		t.Fatal(err)
	}
	posts := e.posts()
	want := msg.Text + "\n\nhttps://haryana.gov.in/scheme"
	if len(posts) != 1 || posts[0].ID != pub.ExternalID || posts[0].Text != want || len(posts[0].Images) != 1 {
		t.Fatalf("sandbox has %+v; published %+v", posts, pub)
	}
	data, _ := img.Open(context.Background())
	if im := posts[0].Images[0]; im.SHA256 != sha(data) || im.AltText != "alt m1" {
		t.Errorf("image %+v", im)
	}
	// The container was IN_PROGRESS at first: the connector polled once more.
	if n := e.count("GET", "/"+posts[0].Images[0].ID); n != 2 {
		t.Errorf("%d status polls, want 2", n)
	}
	if e.count("GET", "/content_publishing_limit") != 1 {
		t.Error("the publishing limit was not checked")
	}
	resp, err := http.Get(pub.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "हरियाणा में नई योजना") {
		t.Errorf("the permalink %s does not show the post: %d", pub.URL, resp.StatusCode)
	}
}

func TestPublishCarousel(t *testing.T) {
	e := newEnv(t, instagram.Config{})
	var media []publisher.MediaRef
	for i := range 3 {
		media = append(media, e.jpeg("c"+strconv.Itoa(i), 100, 100))
	}
	pub, err := e.ig.Publish(context.Background(), e.acct, e.cred, publisher.Message{DeliveryID: "d1", Text: "तीन तस्वीरें", Media: media})
	if err != nil {
		t.Fatal(err)
	}
	posts := e.posts()
	if len(posts) != 1 || posts[0].ID != pub.ExternalID || len(posts[0].Images) != 3 || posts[0].Text != "तीन तस्वीरें" {
		t.Fatalf("sandbox has %+v", posts)
	}
	for i, im := range posts[0].Images {
		if im.AltText != "alt c"+strconv.Itoa(i) {
			t.Errorf("image %d out of order: %+v", i, im)
		}
	}
	if n := e.count("POST", "/"+igID+"/media"); n != 4 {
		t.Errorf("%d containers, want 3 children and a parent", n)
	}
}

func TestContainerPolling(t *testing.T) {
	ctx := context.Background()
	msg := func(e *env) publisher.Message {
		return publisher.Message{DeliveryID: "d1", Text: "slow one", Media: []publisher.MediaRef{e.jpeg("s", 100, 100)}}
	}
	t.Run("finishes within the wait", func(t *testing.T) {
		e := newEnv(t, instagram.Config{})
		e.settings(sandbox.MetaAccountSettings{ContainerDelay: 9 * time.Second})
		start := e.clock.Now()
		if _, err := e.ig.Publish(ctx, e.acct, e.cred, msg(e)); err != nil {
			t.Fatal(err)
		}
		if waited := e.clock.Now().Sub(start); waited != 10*time.Second {
			t.Errorf("waited %s, want 10s (polls every 2s)", waited)
		}
	})
	t.Run("still in progress at the limit, reused by the next attempt", func(t *testing.T) {
		e := newEnv(t, instagram.Config{PollInterval: 5 * time.Second, PollTimeout: 30 * time.Second})
		e.settings(sandbox.MetaAccountSettings{ContainerDelay: 45 * time.Second})
		m := msg(e)
		_, err := e.ig.Publish(ctx, e.acct, e.cred, m)
		pe := asPlatformError(t, err)
		if pe.Class != publisher.ClassRetryable || pe.Ambiguous || !strings.Contains(pe.Message, "still processing") {
			t.Fatalf("got %s ambiguous=%v %q", pe.Class, pe.Ambiguous, pe.Message)
		}
		if len(e.posts()) != 0 {
			t.Fatal("published anyway")
		}
		if _, err := e.ig.Publish(ctx, e.acct, e.cred, m); err != nil {
			t.Fatalf("second attempt: %v", err)
		}
		if n := e.count("POST", "/"+igID+"/media"); n != 1 {
			t.Errorf("%d containers made, want the first one reused", n)
		}
		if len(e.posts()) != 1 {
			t.Errorf("%d posts", len(e.posts()))
		}
	})
	t.Run("stuck", func(t *testing.T) {
		e := newEnv(t, instagram.Config{})
		e.settings(sandbox.MetaAccountSettings{Containers: sandbox.ContainersStuck})
		start := e.clock.Now()
		_, err := e.ig.Publish(ctx, e.acct, e.cred, msg(e))
		pe := asPlatformError(t, err)
		if pe.Class != publisher.ClassRetryable || pe.Ambiguous {
			t.Errorf("got %s ambiguous=%v", pe.Class, pe.Ambiguous)
		}
		if waited := e.clock.Now().Sub(start); waited != 60*time.Second {
			t.Errorf("waited %s, want the 60s default", waited)
		}
		if n := e.count("GET", "/content_publishing_limit") + e.count("POST", "/media_publish"); n != 0 {
			t.Errorf("%d quota or publish calls for an unfinished container", n)
		}
	})
	t.Run("an expired remembered container is replaced", func(t *testing.T) {
		e := newEnv(t, instagram.Config{ContainerReuse: 48 * time.Hour}) // remembered past its expiry
		e.settings(sandbox.MetaAccountSettings{Containers: sandbox.ContainersStuck})
		m := msg(e)
		if _, err := e.ig.Publish(ctx, e.acct, e.cred, m); err == nil {
			t.Fatal("published a stuck container")
		}
		e.settings(sandbox.MetaAccountSettings{})
		e.clock.Advance(24 * time.Hour)
		if _, err := e.ig.Publish(ctx, e.acct, e.cred, m); err != nil {
			t.Fatal(err)
		}
		if n := e.count("POST", "/"+igID+"/media"); n != 2 {
			t.Errorf("%d containers, want 2", n)
		}
		if !strings.Contains(e.logs.String(), "a remembered container cannot be used") {
			t.Error("the expired container was not looked at")
		}
	})
	t.Run("processing error, retryable", func(t *testing.T) {
		e := newEnv(t, instagram.Config{})
		e.settings(sandbox.MetaAccountSettings{Containers: sandbox.ContainersError})
		_, err := e.ig.Publish(ctx, e.acct, e.cred, msg(e))
		pe := asPlatformError(t, err)
		if pe.Class != publisher.ClassRetryable || pe.Ambiguous || pe.Code != "2207053" {
			t.Errorf("got %s %q ambiguous=%v %q", pe.Class, pe.Code, pe.Ambiguous, pe.Message)
		}
		// The failed container is not reused.
		e.settings(sandbox.MetaAccountSettings{})
		if _, err := e.ig.Publish(ctx, e.acct, e.cred, msg(e)); err != nil {
			t.Fatal(err)
		}
		if n := e.count("POST", "/"+igID+"/media"); n != 2 {
			t.Errorf("%d containers, want 2", n)
		}
	})
	t.Run("image of the wrong shape, rejected", func(t *testing.T) {
		e := newEnv(t, instagram.Config{})
		wide := e.jpeg("w", 300, 100)
		wide.Width, wide.Height = 0, 0 // unknown to Prasar: only Instagram finds out
		_, err := e.ig.Publish(ctx, e.acct, e.cred, publisher.Message{Text: "wide", Media: []publisher.MediaRef{wide}})
		pe := asPlatformError(t, err)
		if pe.Class != publisher.ClassRejected || pe.Ambiguous || pe.Code != "2207009" || !strings.Contains(pe.Message, "aspect ratio") {
			t.Errorf("got %s %q ambiguous=%v %q", pe.Class, pe.Code, pe.Ambiguous, pe.Message)
		}
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		e := newEnv(t, instagram.Config{})
		e.settings(sandbox.MetaAccountSettings{Containers: sandbox.ContainersStuck})
		cctx, cancel := context.WithCancel(ctx)
		e.ig = instagram.New(func() instagram.Config {
			c := e.cfg
			c.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
			return c
		}())
		_, err := e.ig.Publish(cctx, e.acct, e.cred, msg(e))
		if pe := asPlatformError(t, err); pe.Class != publisher.ClassRetryable || pe.Ambiguous || !errors.Is(err, context.Canceled) {
			t.Errorf("got %s ambiguous=%v %v", pe.Class, pe.Ambiguous, err)
		}
	})
}

func TestPublishErrorClasses(t *testing.T) {
	cases := []struct {
		name      string
		setup     func(e *env)
		media     func(e *env) []publisher.MediaRef
		class     publisher.ErrorClass
		code      string
		ambiguous bool
		retryIn   time.Duration
	}{
		{"expired token", func(e *env) {
			e.cred = e.mint(time.Hour)
			e.clock.Advance(2 * time.Hour)
		}, nil, publisher.ClassAuth, "190/463", false, 0},
		{"expired token (fault)", func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultExpiredToken}) }, nil, publisher.ClassAuth, "190/463", false, 0},
		{"invalid token", func(e *env) { e.cred.AccessToken = "IGQVJ-not-a-sandbox-token" }, nil, publisher.ClassAuth, "190", false, 0},
		{"business-use-case limit", func(e *env) {
			e.fault(sandbox.Fault{Kind: sandbox.FaultRateLimit, RetryAfter: 20 * time.Minute})
		}, nil, publisher.ClassRateLimited, "80002", false, 20 * time.Minute},
		{"daily limit on media_publish", func(e *env) {
			e.fault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Code: 9})
		}, nil, publisher.ClassRateLimited, "9/2207042", false, 15 * time.Minute},
		{"server error on media_publish", func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultServerError}) }, nil, publisher.ClassRetryable, "-1/2207001", true, 0},
		{"server error on the container", func(e *env) {
			e.fault(sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpUpload}})
		}, nil, publisher.ClassRetryable, "-1/2207001", false, 0},
		{"spam restriction", func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultDuplicate}) }, nil, publisher.ClassRejected, "4/2207051", false, 0},
		{"connection dropped after commit", func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultDropAfterCommit}) }, nil, publisher.ClassRetryable, "", true, 0},
		{"timeout on media_publish", func(e *env) { e.fault(sandbox.Fault{Kind: sandbox.FaultSlow, Delay: time.Minute}) }, nil, publisher.ClassRetryable, "", true, 0},
		{"a status poll fails", func(e *env) {
			e.fault(sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpRead}})
		}, nil, publisher.ClassRetryable, "-1/2207001", false, 0},
		{"image on a host the sandbox will not fetch", nil, func(e *env) []publisher.MediaRef {
			m := e.jpeg("x", 100, 100)
			m.URL = "https://cdn.example.org/x.jpg"
			return []publisher.MediaRef{m}
		}, publisher.ClassRetryable, "9004/2207052", false, 0},
		{"PNG bytes labelled JPEG", nil, func(e *env) []publisher.MediaRef {
			m := e.image("p", pngOf(e.t, 100, 100), 100, 100)
			m.ContentType = "image/jpeg"
			return []publisher.MediaRef{m}
		}, publisher.ClassRejected, "36001/2207005", false, 0},
		{"image over 8 MiB though labelled smaller", nil, func(e *env) []publisher.MediaRef {
			m := e.image("big", append([]byte("\xff\xd8\xff\xe0"), make([]byte, 8<<20)...), 100, 100)
			m.Size = 1000
			return []publisher.MediaRef{m}
		}, publisher.ClassRejected, "36000/2207004", false, 0},
		{"another account's id", func(e *env) { e.acct = &publisher.Account{ExternalID: "17841499999999999"} }, nil, publisher.ClassRejected, "100/33", false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, instagram.Config{})
			if c.setup != nil {
				c.setup(e)
			}
			media := []publisher.MediaRef{e.jpeg("m", 100, 100)}
			if c.media != nil {
				media = c.media(e)
			}
			// Only the slow case should come near its deadline.
			timeout := 20 * time.Second
			if strings.HasPrefix(c.name, "timeout") {
				timeout = time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			_, err := e.ig.Publish(ctx, e.acct, e.cred, publisher.Message{DeliveryID: "d1", Text: "the caption", Media: media})
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
		})
	}
}

func TestPublishingQuota(t *testing.T) {
	e := newEnv(t, instagram.Config{})
	e.settings(sandbox.MetaAccountSettings{QuotaTotal: 2})
	ctx := context.Background()
	first := e.clock.Now()
	for i := range 2 {
		if _, err := e.ig.Publish(ctx, e.acct, e.cred, publisher.Message{Text: "post " + strconv.Itoa(i), Media: []publisher.MediaRef{e.jpeg("q", 100, 100)}}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
	}
	_, err := e.ig.Publish(ctx, e.acct, e.cred, publisher.Message{Text: "post 3", Media: []publisher.MediaRef{e.jpeg("q", 100, 100)}})
	pe := asPlatformError(t, err)
	// The first post was published a second after `first` (one poll); it
	// leaves the rolling window 24 h later.
	if pe.Class != publisher.ClassRateLimited || pe.Ambiguous || pe.Code != "quota" || !pe.RetryAt.Equal(first.Add(2*time.Second).Add(24*time.Hour).Truncate(time.Second)) {
		t.Errorf("got %s %q ambiguous=%v RetryAt %s (%s)", pe.Class, pe.Code, pe.Ambiguous, pe.RetryAt, pe.Message)
	}
	if e.count("POST", "/media_publish") != 2 {
		t.Error("media_publish was called over the quota")
	}
	e.clock.Advance(pe.RetryAt.Sub(e.clock.Now()))
	if _, err := e.ig.Publish(ctx, e.acct, e.cred, publisher.Message{Text: "post 3", Media: []publisher.MediaRef{e.jpeg("q", 100, 100)}}); err != nil {
		t.Errorf("at RetryAt: %v", err)
	}
}

func TestConnectionRefusedIsNotAmbiguous(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c := instagram.New(instagram.Config{GraphURL: "http://" + addr})
	_, err := c.Publish(context.Background(), &publisher.Account{ExternalID: igID}, publisher.Credentials{AccessToken: "t"},
		publisher.Message{Text: "x", Media: []publisher.MediaRef{{ID: "a", ContentType: "image/jpeg", Size: 10, URL: "https://x.in/a.jpg"}}})
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassRetryable || pe.Ambiguous {
		t.Errorf("got %s ambiguous=%v", pe.Class, pe.Ambiguous)
	}
}

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
		{"timeout, then Instagram finished", sandbox.Fault{Kind: sandbox.FaultSlow, Delay: time.Minute, Times: 1}, true},
		{"500 after committing", sandbox.Fault{Kind: sandbox.FaultServerError, Commit: true, Times: 1}, true},
		{"connection dropped before acting", sandbox.Fault{Kind: sandbox.FaultDrop, Times: 1}, false},
		{"500 without acting", sandbox.Fault{Kind: sandbox.FaultServerError, Times: 1}, false},
	}
	for _, c := range cases {
		for _, images := range []int{1, 3} {
			t.Run(c.name+"/"+strconv.Itoa(images)+" images", func(t *testing.T) {
				e := newEnv(t, instagram.Config{})
				msg := publisher.Message{DeliveryID: "d1", Text: "परिणाम घोषित\r\nResults announced", Link: "https://haryana.gov.in/r"}
				for i := range images {
					msg.Media = append(msg.Media, e.jpeg("m"+strconv.Itoa(i), 100, 100))
				}
				since := e.clock.Now().Add(-time.Minute)
				e.fault(c.fault)
				timeout := 20 * time.Second
				if c.fault.Kind == sandbox.FaultSlow {
					timeout = 3 * time.Second // well before the fault's delay
				}
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				_, err := e.ig.Publish(ctx, e.acct, e.cred, msg)
				if pe := asPlatformError(t, err); !pe.Ambiguous || pe.Class != publisher.ClassRetryable {
					t.Fatalf("first attempt: %s ambiguous=%v, want retryable and ambiguous", pe.Class, pe.Ambiguous)
				}
				if c.committed {
					waitForPosts(t, e, 1)
				}
				pub, err := e.ig.Lookup(context.Background(), e.acct, e.cred, msg, since)
				switch {
				case c.committed && err != nil:
					t.Fatalf("Lookup: %v, want the committed post", err)
				case c.committed:
					if posts := e.posts(); pub.ExternalID != posts[0].ID || !strings.Contains(pub.URL, "/p/") {
						t.Errorf("Lookup found %+v, the sandbox has %s", pub, posts[0].ID)
					}
				case !errors.Is(err, publisher.ErrNotPublished):
					t.Fatalf("Lookup: %v, want ErrNotPublished", err)
				default:
					if _, err := e.ig.Publish(context.Background(), e.acct, e.cred, msg); err != nil {
						t.Fatalf("second attempt: %v", err)
					}
				}
				if n := len(e.posts()); n != 1 {
					t.Errorf("%d posts on the account, want exactly 1", n)
				}
			})
		}
	}
}

func TestContainerFailureIsNotAmbiguous(t *testing.T) {
	e := newEnv(t, instagram.Config{})
	// The second child's container is made, then the connection drops.
	e.fault(sandbox.Fault{Kind: sandbox.FaultDropAfterCommit, Ops: []sandbox.Op{sandbox.OpUpload}, Skip: 1, Times: 1})
	msg := publisher.Message{DeliveryID: "d1", Text: "three", Media: []publisher.MediaRef{e.jpeg("a", 100, 100), e.jpeg("b", 100, 100), e.jpeg("c", 100, 100)}}
	_, err := e.ig.Publish(context.Background(), e.acct, e.cred, msg)
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassRetryable || pe.Ambiguous {
		t.Errorf("got %s ambiguous=%v: a lost container cannot have made a post", pe.Class, pe.Ambiguous)
	}
	if n := len(e.posts()); n != 0 {
		t.Errorf("%d posts", n)
	}
	if _, err := e.ig.Publish(context.Background(), e.acct, e.cred, msg); err != nil || len(e.posts()) != 1 {
		t.Errorf("retry: %v, %d posts", err, len(e.posts()))
	}
}

func TestPermalinkFailureStillPublishes(t *testing.T) {
	e := newEnv(t, instagram.Config{})
	// Reads: two status polls and the quota check pass; the permalink read fails.
	e.fault(sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpRead}, Skip: 3, Times: 1})
	pub, err := e.ig.Publish(context.Background(), e.acct, e.cred, publisher.Message{Text: "x", Media: []publisher.MediaRef{e.jpeg("a", 100, 100)}})
	if err != nil {
		t.Fatal(err)
	}
	if posts := e.posts(); len(posts) != 1 || pub.ExternalID != posts[0].ID || pub.URL != e.acct.ProfileURL {
		t.Errorf("published %+v; sandbox %+v", pub, posts)
	}
}

func TestLookup(t *testing.T) {
	e := newEnv(t, instagram.Config{LookupPageSize: 20, LookupMaxPages: 4})
	ctx := context.Background()
	post := func(text string) *publisher.Published {
		t.Helper()
		p, err := e.ig.Publish(ctx, e.acct, e.cred, publisher.Message{Text: text, Media: []publisher.MediaRef{e.jpeg("l", 100, 100)}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	old := publisher.Message{Text: "old announcement"}
	post(old.Text)
	e.clock.Advance(time.Hour)
	since := e.clock.Now()
	want := post("target post\nline two")
	for i := range 45 {
		e.clock.Advance(time.Second)
		post("filler " + strconv.Itoa(i))
	}
	got, err := e.ig.Lookup(ctx, e.acct, e.cred, publisher.Message{Text: "  target post\r\nline two\n"}, since)
	if err != nil || *got != *want {
		t.Errorf("Lookup: %+v, %v; want %+v", got, err, want)
	}
	if _, err := e.ig.Lookup(ctx, e.acct, e.cred, old, since); !errors.Is(err, publisher.ErrNotPublished) {
		t.Errorf("a post before since: %v, want ErrNotPublished", err)
	}
	short := instagram.New(func() instagram.Config { c := e.cfg; c.LookupPageSize, c.LookupMaxPages = 10, 2; return c }())
	if _, err := short.Lookup(ctx, e.acct, e.cred, publisher.Message{Text: "absent"}, since); !errors.Is(err, publisher.ErrLookupUnsupported) {
		t.Errorf("more posts than it may read: %v, want ErrLookupUnsupported", err)
	}
	if _, err := e.ig.Lookup(ctx, e.acct, e.cred, publisher.Message{Media: []publisher.MediaRef{{}}}, since); !errors.Is(err, publisher.ErrLookupUnsupported) {
		t.Errorf("a post without a caption: %v, want ErrLookupUnsupported", err)
	}
	e.fault(sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpRead}})
	_, err = e.ig.Lookup(ctx, e.acct, e.cred, publisher.Message{Text: "target post\nline two"}, since)
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassRetryable || pe.Ambiguous {
		t.Errorf("failed lookup: %s ambiguous=%v", pe.Class, pe.Ambiguous)
	}
	e.sb.ClearFaults("", "")
	e.fault(sandbox.Fault{Kind: sandbox.FaultExpiredToken, Ops: []sandbox.Op{sandbox.OpRead}})
	if _, err := e.ig.Lookup(ctx, e.acct, e.cred, old, since); asPlatformError(t, err).Class != publisher.ClassAuth {
		t.Errorf("lookup with an expired token: %v", err)
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	e := newEnv(t, instagram.Config{MaxChars: 20, MaxImages: 2, MaxImageBytes: 1 << 20})
	ctx := context.Background()
	ok := e.jpeg("ok", 100, 100)
	with := func(f func(m *publisher.MediaRef)) []publisher.MediaRef {
		m := ok
		f(&m)
		return []publisher.MediaRef{m}
	}
	cases := []struct {
		name  string
		acct  *publisher.Account
		cred  publisher.Credentials
		msg   publisher.Message
		class publisher.ErrorClass
	}{
		{"no image", e.acct, e.cred, publisher.Message{Text: "x"}, publisher.ClassRejected},
		{"too long", e.acct, e.cred, publisher.Message{Text: strings.Repeat("क", 21), Media: []publisher.MediaRef{ok}}, publisher.ClassRejected},
		{"link pushes it over", e.acct, e.cred, publisher.Message{Text: "twelve chars", Link: "https://a.in", Media: []publisher.MediaRef{ok}}, publisher.ClassRejected},
		{"6 hashtags", e.acct, e.cred, publisher.Message{Text: "#a #b #c #d #e #f", Media: []publisher.MediaRef{ok}}, publisher.ClassRejected},
		{"too many images", e.acct, e.cred, publisher.Message{Text: "x", Media: []publisher.MediaRef{ok, ok, ok}}, publisher.ClassRejected},
		{"PNG", e.acct, e.cred, publisher.Message{Text: "x", Media: with(func(m *publisher.MediaRef) { m.ContentType = "image/png" })}, publisher.ClassRejected},
		{"too big", e.acct, e.cred, publisher.Message{Text: "x", Media: with(func(m *publisher.MediaRef) { m.Size = 2 << 20 })}, publisher.ClassRejected},
		{"no URL", e.acct, e.cred, publisher.Message{Text: "x", Media: with(func(m *publisher.MediaRef) { m.URL = "" })}, publisher.ClassRejected},
		{"non-ASCII URL", e.acct, e.cred, publisher.Message{Text: "x", Media: with(func(m *publisher.MediaRef) { m.URL = e.srv.URL + "/media/चित्र.jpg" })}, publisher.ClassRejected},
		{"too wide", e.acct, e.cred, publisher.Message{Text: "x", Media: with(func(m *publisher.MediaRef) { m.Width, m.Height = 2000, 1000 })}, publisher.ClassRejected},
		{"too tall", e.acct, e.cred, publisher.Message{Text: "x", Media: with(func(m *publisher.MediaRef) { m.Width, m.Height = 1000, 1300 })}, publisher.ClassRejected},
		{"alt text too long", e.acct, e.cred, publisher.Message{Text: "x", Media: with(func(m *publisher.MediaRef) { m.AltText = strings.Repeat("a", 1001) })}, publisher.ClassRejected},
		{"no account id", &publisher.Account{Platform: publisher.Instagram}, e.cred, publisher.Message{Text: "x", Media: []publisher.MediaRef{ok}}, publisher.ClassAuth},
		{"no token", e.acct, publisher.Credentials{}, publisher.Message{Text: "x", Media: []publisher.MediaRef{ok}}, publisher.ClassAuth},
	}
	for _, c := range cases {
		_, err := e.ig.Publish(ctx, c.acct, c.cred, c.msg)
		if pe := asPlatformError(t, err); pe.Class != c.class || pe.Ambiguous {
			t.Errorf("%s: %s ambiguous=%v %q", c.name, pe.Class, pe.Ambiguous, pe.Message)
		}
	}
	wide := instagram.New(func() instagram.Config { c := e.cfg; c.MaxChars = 100; c.MaxMentions = 2; return c }())
	if _, err := wide.Publish(ctx, e.acct, e.cred, publisher.Message{Text: "@a @b @c", Media: []publisher.MediaRef{ok}}); asPlatformError(t, err).Class != publisher.ClassRejected {
		t.Errorf("3 mentions with a limit of 2: %v", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.reqs) != 0 {
		t.Errorf("calls reached the sandbox: %v", e.reqs)
	}
}

func TestRulesAndMeasure(t *testing.T) {
	c := instagram.New(instagram.Config{})
	r := c.Rules()
	if r.Platform != publisher.Instagram || r.MaxChars != 2200 || r.CountUnit != "characters" || !r.RequiresMedia || r.MaxImages != 10 ||
		r.MaxImageBytes != 8<<20 || strings.Join(r.ImageTypes, ",") != "image/jpeg" || r.MaxHashtags != 5 || !r.Enabled || c.Platform() != publisher.Instagram {
		t.Errorf("rules %+v", r)
	}
	if r := instagram.New(instagram.Config{MaxChars: 500, MaxHashtags: 30, MaxImages: 4}).Rules(); r.MaxChars != 500 || r.MaxHashtags != 30 || r.MaxImages != 4 {
		t.Errorf("configured rules %+v", r)
	}
	cases := []struct {
		msg  publisher.Message
		want int
	}{
		{publisher.Message{Text: "hello"}, 5},
		{publisher.Message{Text: "नमस्ते"}, 6},
		{publisher.Message{Text: "hi 😀"}, 4},
		{publisher.Message{Text: "hi", Link: "https://a.in"}, 2 + 2 + 12},
		{publisher.Message{Text: "see https://a.in", Link: "https://a.in"}, 16},
		{publisher.Message{Link: "https://a.in"}, 12},
	}
	for _, tc := range cases {
		if m := c.Measure(tc.msg); m.Count != tc.want || m.Limit != 2200 {
			t.Errorf("Measure(%+v) = %+v, want %d", tc.msg, m, tc.want)
		}
	}
}

func TestHashtagsAndMentions(t *testing.T) {
	cases := []struct {
		text               string
		hashtags, mentions int
	}{
		{"#Haryana #हरियाणा #किसान_कल्याण", 3, 0},
		{"no#tag, but #tag1 and #1 (a number, not a tag)", 1, 0},
		{"Q&A: ask@haryana.gov.in or @cmo_haryana and @pib.india.", 0, 2},
		{"#a#b @x@y", 1, 1},
		{"line\n#one\t#two", 2, 0},
	}
	for _, c := range cases {
		if h, m := instagram.Hashtags(c.text), instagram.Mentions(c.text); h != c.hashtags || m != c.mentions {
			t.Errorf("%q: %d hashtags, %d mentions; want %d, %d", c.text, h, m, c.hashtags, c.mentions)
		}
	}
}

func TestNotADeleter(t *testing.T) {
	// The Instagram API cannot delete media; the connector must not claim it can.
	if _, ok := any(instagram.New(instagram.Config{})).(publisher.Deleter); ok {
		t.Error("the Instagram connector implements publisher.Deleter")
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, instagram.Config{})
	ctx := context.Background()
	pub, err := e.ig.Publish(ctx, e.acct, e.cred, publisher.Message{Text: "metrics", Media: []publisher.MediaRef{e.jpeg("a", 100, 100)}})
	if err != nil {
		t.Fatal(err)
	}
	all := []string{"reach", "views", "likes", "comments", "shares", "saved", "total_interactions"}
	// Too young: an empty data set is "not available", not zero.
	res, err := e.ig.FetchMetrics(ctx, e.acct, e.cred, pub.ExternalID)
	if err != nil || len(res.Values) != 0 || len(res.Unavailable) != len(all) {
		t.Fatalf("young post: %+v, %v", res, err)
	}
	e.clock.Advance(6 * time.Hour)
	res, err = e.ig.FetchMetrics(ctx, e.acct, e.cred, pub.ExternalID)
	if err != nil || len(res.Values) != len(all) || res.Unavailable != nil || res.Values["reach"] <= 0 || res.Values["views"] <= res.Values["reach"] {
		t.Fatalf("metrics: %+v, %v", res, err)
	}
	reach := res.Values["reach"]
	if n := e.count("GET", "/insights"); n != 2 {
		t.Errorf("%d insights calls, want one a reading", n)
	}
	// A deprecated metric is refused on its own; the others still come.
	old := instagram.New(func() instagram.Config {
		c := e.cfg
		c.Metrics = []string{"reach", "impressions", "likes", "plays"}
		return c
	}())
	e.clock.Advance(24 * time.Hour)
	res, err = old.FetchMetrics(ctx, e.acct, e.cred, pub.ExternalID)
	if err != nil || len(res.Values) != 2 || res.Values["reach"] <= reach || len(res.Unavailable) != 2 || !strings.Contains(res.Unavailable["impressions"], "no longer supported") {
		t.Errorf("with deprecated metrics: %+v, %v", res, err)
	}
	e.fault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Ops: []sandbox.Op{sandbox.OpRead}, Times: 1})
	if _, err := e.ig.FetchMetrics(ctx, e.acct, e.cred, pub.ExternalID); asPlatformError(t, err).Class != publisher.ClassRateLimited {
		t.Errorf("rate limited reading: %v", err)
	}
	if _, err := e.ig.FetchMetrics(ctx, e.acct, e.cred, "1/../2"); asPlatformError(t, err).Class != publisher.ClassRejected {
		t.Errorf("a bad id: %v", err)
	}
}

func TestNoSecretInErrors(t *testing.T) {
	e := newEnv(t, instagram.Config{})
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
	_, err := e.ig.Publish(ctx, e.acct, expired, publisher.Message{Text: "x", Media: []publisher.MediaRef{e.jpeg("a", 100, 100)}})
	check("publish with an expired token", err)
	_, err = e.ig.Refresh(ctx, e.acct, expired)
	check("refresh of an expired token", err)
	_, err = e.ig.Exchange(ctx, "not-a-code", "", e.srv.URL+"/callback")
	check("exchange of a bad code", err)
	// A refresh that cannot reach the platform: the token is in the query
	// of that GET, and must not reach the error.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	down := instagram.New(func() instagram.Config { c := e.cfg; c.GraphURL = "http://" + addr; return c }())
	old := e.cred
	e.clock.Advance(55 * 24 * time.Hour)
	_, err = down.Refresh(ctx, e.acct, old)
	check("refresh against a closed port", err)
	_, err = down.Exchange(ctx, "code", "", e.srv.URL+"/callback")
	check("exchange against a closed port", err)
}
