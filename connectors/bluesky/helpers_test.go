package bluesky_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/bluesky"
	"github.com/prasar/prasar/connectors/connectortest"
	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/publisher"
)

// clock and syncBuffer are the shared test clock and log buffer.
type (
	clock      = connectortest.Clock
	syncBuffer = connectortest.LogBuffer
)

// recorded is one request as the platform received it.
type recorded struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
}

func (r recorded) json() map[string]any {
	var m map[string]any
	json.Unmarshal(r.Body, &m)
	return m
}

// stub answers each request with the next canned answer: "file" (200),
// "status:file" (a testdata file), or a literal JSON body starting with
// "{"; "|Header: value" may follow.
type stub struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	reqs    []recorded
	answers []string
}

func newStub(t *testing.T, answers ...string) *stub {
	s := &stub{t: t, answers: answers}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *stub) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, recorded{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: b})
	s.mu.Unlock()
	if n >= len(s.answers) {
		s.t.Errorf("unexpected request %d: %s %s", n+1, r.Method, r.URL.Path)
		w.WriteHeader(500)
		return
	}
	var body []byte
	status := 200
	answer := s.answers[n]
	if strings.HasPrefix(answer, "{") {
		body = []byte(answer)
	} else {
		var header string
		answer, header, _ = strings.Cut(answer, "|")
		file := answer
		if code, f, ok := strings.Cut(answer, ":"); ok {
			status, _ = strconv.Atoi(code)
			file = f
		}
		if k, v, ok := strings.Cut(header, ": "); ok {
			w.Header().Set(k, v)
		}
		var err error
		if body, err = os.ReadFile("testdata/" + file); err != nil {
			s.t.Error(err)
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

func (s *stub) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

// env is the sandbox's PDS served over HTTP and a connector pointed at it.
// Secrets registered with secret may appear in no log line, no URL the
// sandbox saw and no error passed through check.
type env struct {
	t     *testing.T
	sb    *sandbox.Server
	srv   *httptest.Server
	c     *bluesky.Connector
	cfg   bluesky.Config
	clock *clock
	logs  *syncBuffer

	mu      sync.Mutex
	secrets []string
	errs    []string
	urls    []string
}

func newEnv(t *testing.T, cfg bluesky.Config) *env {
	t.Helper()
	e := &env{t: t, clock: connectortest.NewClock(time.Date(2026, 8, 1, 4, 30, 0, 0, time.UTC)), logs: &syncBuffer{}}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.sb = sandbox.New(sandbox.Options{Secret: []byte("test secret"), Now: e.clock.Now, Logger: logger})
	mux := http.NewServeMux()
	mux.Handle(sandbox.MountPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.urls = append(e.urls, r.URL.String())
		e.mu.Unlock()
		e.sb.Handler().ServeHTTP(w, r)
	}))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	cfg.ServiceURL = e.srv.URL + sandbox.BlueskyPath
	cfg.WebURL = e.srv.URL + sandbox.BlueskyWebPath
	cfg.Now = e.clock.Now
	cfg.Logger = logger
	e.cfg = cfg
	e.c = bluesky.New(cfg)
	t.Cleanup(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		logs := e.logs.String()
		for _, s := range e.secrets {
			if strings.Contains(logs, s) {
				t.Error("a secret is in the logs")
			}
			for _, m := range e.errs {
				if strings.Contains(m, s) {
					t.Errorf("a secret is in the error %q", strings.ReplaceAll(m, s, "<SECRET>"))
				}
			}
			for _, u := range e.urls {
				if strings.Contains(u, s) {
					t.Errorf("a secret is in the URL %s", strings.ReplaceAll(u, s, "<SECRET>"))
				}
			}
		}
	})
	return e
}

func (e *env) secret(ss ...string) {
	e.mu.Lock()
	e.secrets = append(e.secrets, ss...)
	e.mu.Unlock()
}

func (e *env) check(err error) error {
	if err != nil {
		e.mu.Lock()
		e.errs = append(e.errs, err.Error())
		e.mu.Unlock()
	}
	return err
}

// connect signs in as handle with its sandbox app password, as a nodal
// officer would, and returns the account and its credentials.
func (e *env) connect(handle string) (*publisher.Account, publisher.Credentials) {
	e.t.Helper()
	pw := e.sb.BlueskyAppPassword(handle)
	e.secret(pw)
	g, err := e.c.VerifyCredentials(context.Background(), map[string]string{"handle": handle, "app_password": pw})
	if e.check(err) != nil {
		e.t.Fatalf("VerifyCredentials: %v", err)
	}
	e.secret(g.Credentials.AccessToken, g.Credentials.RefreshToken)
	return &publisher.Account{ID: "acct-" + handle, Platform: publisher.Bluesky, ExternalID: g.ExternalID, Handle: g.Handle}, g.Credentials
}

func (e *env) posts(did string) []sandbox.Post { return e.sb.Posts("bluesky", did) }

func (e *env) fault(did string, f sandbox.Fault) {
	e.t.Helper()
	if err := e.sb.SetFault("bluesky", did, f); err != nil {
		e.t.Fatal(err)
	}
}

// calls counts the calls of an XRPC method the sandbox received.
func (e *env) calls(nsid string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, u := range e.urls {
		if p, _ := url.Parse(u); p != nil && strings.HasSuffix(p.Path, "/xrpc/"+nsid) {
			n++
		}
	}
	return n
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

func image(id string, data []byte) publisher.MediaRef {
	return publisher.MediaRef{ID: id, ContentType: "image/png", Size: int64(len(data)), Width: 1280, Height: 760, AltText: "alt " + id,
		Open: func(context.Context) ([]byte, error) { return data, nil }}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
