package koo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/connectortest"
	"github.com/prasar/prasar/connectors/koo"
	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/publisher"
)

// clock is the shared test clock.
type clock = connectortest.Clock

var account = &publisher.Account{ID: "a1", Platform: publisher.Koo, Handle: "@agri_haryana", ExternalID: "agri_haryana"}

func asPlatformError(t *testing.T, err error) *publisher.PlatformError {
	t.Helper()
	var pe *publisher.PlatformError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want *publisher.PlatformError", err, err)
	}
	return pe
}

func TestDisabledByDefault(t *testing.T) {
	called := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	defer srv.Close()
	c := koo.New(koo.Config{URL: srv.URL})
	r := c.Rules()
	if r.Enabled || r.Defunct != "Koo shut down on 3 July 2024; its API no longer answers" || r.Platform != publisher.Koo || c.Platform() != publisher.Koo || r.MaxChars != 400 {
		t.Errorf("rules %+v", r)
	}
	_, err := c.Publish(context.Background(), account, publisher.Credentials{AccessToken: "k"}, publisher.Message{Text: "नमस्ते"})
	pe := asPlatformError(t, err)
	if !errors.Is(err, publisher.ErrPlatformDisabled) || pe.Class != publisher.ClassRejected || pe.Ambiguous || !strings.Contains(pe.Message, "3 July 2024") {
		t.Errorf("disabled Publish: %v (%s)", err, pe.Class)
	}
	if called {
		t.Error("a disabled connector called the API")
	}
	if _, err := c.Lookup(context.Background(), account, publisher.Credentials{}, publisher.Message{}, time.Now()); !errors.Is(err, publisher.ErrLookupUnsupported) {
		t.Errorf("Lookup: %v", err)
	}
	if r := koo.New(koo.Config{Enabled: true}).Rules(); !r.Enabled || r.Defunct != "" {
		t.Errorf("enabled rules %+v", r)
	}
	if m := c.Measure(publisher.Message{Text: "नमस्ते", Link: "https://a.in"}); m.Count != 6 || m.Limit != 400 {
		t.Errorf("Measure %+v", m)
	}
}

// env is the sandbox's (reverse-engineered) Koo fake and an enabled
// connector pointed at it.
type env struct {
	sb    *sandbox.Server
	srv   *httptest.Server
	c     *koo.Connector
	clock *clock
	logs  *bytes.Buffer
	key   string
}

func newEnv(t *testing.T) *env {
	e := &env{clock: connectortest.NewClock(time.Date(2026, 8, 1, 4, 30, 0, 0, time.UTC)), logs: &bytes.Buffer{}}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.sb = sandbox.New(sandbox.Options{Secret: []byte("s"), Now: e.clock.Now, Logger: logger})
	mux := http.NewServeMux()
	mux.Handle(sandbox.MountPath, e.sb.Handler())
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.c = koo.New(koo.Config{Enabled: true, URL: e.srv.URL + sandbox.KooPostPath, WebURL: e.srv.URL + sandbox.KooWebPath, Now: e.clock.Now, Logger: logger})
	e.key = e.sb.MintToken("koo", "agri_haryana", "कृषि विभाग", 0)
	t.Cleanup(func() {
		if strings.Contains(e.logs.String(), e.key) {
			t.Error("the API key is in the logs")
		}
	})
	return e
}

func TestPublishAgainstSandbox(t *testing.T) {
	e := newEnv(t)
	msg := publisher.Message{Text: "किसानों के लिए नई योजना", Link: "https://haryana.gov.in/x", Languages: []string{"hi", "en"}}
	pub, err := e.c.Publish(context.Background(), account, publisher.Credentials{AccessToken: e.key}, msg)
	if err != nil {
		t.Fatal(err)
	}
	posts := e.sb.Posts("koo", "agri_haryana")
	if len(posts) != 1 || posts[0].Text != msg.Text || posts[0].Link != msg.Link || pub.ExternalID != posts[0].ID ||
		pub.URL != e.srv.URL+sandbox.KooWebPath+"/koo/agri_haryana/"+posts[0].ID {
		t.Fatalf("posts %+v, published %+v", posts, pub)
	}
	resp, err := http.Get(pub.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "किसानों के लिए नई योजना") || !strings.Contains(string(body), "defunct") {
		t.Errorf("post page: %d", resp.StatusCode)
	}
}

func TestGoldenRequest(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r, must(io.ReadAll(r.Body))
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"success","data":{"id":12345}}`))
	}))
	defer srv.Close()
	c := koo.New(koo.Config{Enabled: true, URL: srv.URL + "/api/post/koo", DefaultLanguage: "en"})
	pub, err := c.Publish(context.Background(), account, publisher.Credentials{AccessToken: "partner-key"}, publisher.Message{Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if pub.ExternalID != "12345" || pub.URL != "https://www.kooapp.com/koo/agri_haryana/12345" {
		t.Errorf("published %+v", pub)
	}
	var m map[string]string
	json.Unmarshal(body, &m)
	if got.Method != "POST" || got.URL.Path != "/api/post/koo" || got.URL.RawQuery != "" || got.Header.Get("X-KOO-API-TOKEN") != "partner-key" ||
		got.Header.Get("Content-Type") != "application/json" || len(m) != 3 || m["koo"] != "hello" || m["language"] != "en" || m["link"] != "" {
		t.Errorf("request %s %s %v %s", got.Method, got.URL, got.Header, body)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name      string
		setup     func(e *env) (publisher.Credentials, publisher.Message)
		class     publisher.ErrorClass
		ambiguous bool
		retryIn   time.Duration
	}{
		{"wrong key", func(e *env) (publisher.Credentials, publisher.Message) {
			return publisher.Credentials{AccessToken: "wrong"}, publisher.Message{Text: "x"}
		}, publisher.ClassAuth, false, 0},
		{"no key", func(e *env) (publisher.Credentials, publisher.Message) {
			return publisher.Credentials{}, publisher.Message{Text: "x"}
		}, publisher.ClassAuth, false, 0},
		{"too long", func(e *env) (publisher.Credentials, publisher.Message) {
			return publisher.Credentials{AccessToken: e.key}, publisher.Message{Text: strings.Repeat("क", 401)}
		}, publisher.ClassRejected, false, 0},
		{"images", func(e *env) (publisher.Credentials, publisher.Message) {
			return publisher.Credentials{AccessToken: e.key}, publisher.Message{Text: "x", Media: []publisher.MediaRef{{ID: "m"}}}
		}, publisher.ClassRejected, false, 0},
		{"rate limited", func(e *env) (publisher.Credentials, publisher.Message) {
			e.sb.SetFault("koo", "agri_haryana", sandbox.Fault{Kind: sandbox.FaultRateLimit, RetryAfter: 2 * time.Minute})
			return publisher.Credentials{AccessToken: e.key}, publisher.Message{Text: "x"}
		}, publisher.ClassRateLimited, false, 2 * time.Minute},
		{"duplicate", func(e *env) (publisher.Credentials, publisher.Message) {
			e.sb.SetFault("koo", "agri_haryana", sandbox.Fault{Kind: sandbox.FaultDuplicate})
			return publisher.Credentials{AccessToken: e.key}, publisher.Message{Text: "x"}
		}, publisher.ClassRejected, false, 0},
		{"server error", func(e *env) (publisher.Credentials, publisher.Message) {
			e.sb.SetFault("koo", "agri_haryana", sandbox.Fault{Kind: sandbox.FaultServerError})
			return publisher.Credentials{AccessToken: e.key}, publisher.Message{Text: "x"}
		}, publisher.ClassRetryable, true, 0},
		{"dropped after commit", func(e *env) (publisher.Credentials, publisher.Message) {
			e.sb.SetFault("koo", "agri_haryana", sandbox.Fault{Kind: sandbox.FaultDropAfterCommit})
			return publisher.Credentials{AccessToken: e.key}, publisher.Message{Text: "x"}
		}, publisher.ClassRetryable, true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			cred, msg := c.setup(e)
			_, err := e.c.Publish(context.Background(), account, cred, msg)
			pe := asPlatformError(t, err)
			if pe.Class != c.class || pe.Ambiguous != c.ambiguous || (c.retryIn > 0 && !pe.RetryAt.Equal(e.clock.Now().Add(c.retryIn))) || pe.Message == "" {
				t.Errorf("got %s ambiguous=%v retry=%s %q", pe.Class, pe.Ambiguous, pe.RetryAt, pe.Message)
			}
			if strings.Contains(err.Error(), e.key) {
				t.Error("the key is in the error")
			}
		})
	}
}

// TestExactlyOnce: after an ambiguous failure Lookup cannot tell, so the
// domain stops at "unconfirmed" and the post exists once.
func TestExactlyOnce(t *testing.T) {
	e := newEnv(t)
	e.sb.SetFault("koo", "agri_haryana", sandbox.Fault{Kind: sandbox.FaultDropAfterCommit, Times: 1})
	msg := publisher.Message{DeliveryID: "d1", Text: "एक बार"}
	_, err := e.c.Publish(context.Background(), account, publisher.Credentials{AccessToken: e.key}, msg)
	if pe := asPlatformError(t, err); !pe.Ambiguous {
		t.Fatalf("first attempt: %v", err)
	}
	if _, err := e.c.Lookup(context.Background(), account, publisher.Credentials{AccessToken: e.key}, msg, e.clock.Now()); !errors.Is(err, publisher.ErrLookupUnsupported) {
		t.Fatalf("Lookup: %v", err)
	}
	if n := len(e.sb.Posts("koo", "agri_haryana")); n != 1 {
		t.Errorf("%d posts, want 1", n)
	}
}
