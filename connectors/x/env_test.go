package x_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/connectortest"
	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/connectors/x"
	"github.com/prasar/prasar/publisher"
)

// clock is the shared test clock.
type clock = connectortest.Clock

const (
	userID       = "1001"
	userName     = "Agriculture Department"
	userHandle   = "Agricultur_1001" // the sandbox's username for the account
	clientID     = "prasar-test-client"
	clientSecret = "client-secret-not-for-logs"
)

// env is a sandbox served over HTTP, a connector pointed at it, and a
// record of every URL and Authorization header the sandbox received, and
// of the connector's log.
type env struct {
	t     *testing.T
	sb    *sandbox.Server
	srv   *httptest.Server
	x     *x.Connector
	cfg   x.Config
	clock *clock
	logs  *bytes.Buffer
	acct  *publisher.Account
	cred  publisher.Credentials

	mu      sync.Mutex
	urls    []string
	secrets []string // every secret seen in the test, for the leak checks
}

func newEnv(t *testing.T, cfg x.Config) *env {
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
	cfg.APIURL = e.srv.URL + sandbox.XAPIPath
	cfg.AuthURL = e.srv.URL + sandbox.XAuthorizePath
	cfg.TokenURL = e.srv.URL + sandbox.XTokenPath
	cfg.WebURL = e.srv.URL + sandbox.XWebPath
	if cfg.ClientID == "" {
		cfg.ClientID, cfg.ClientSecret = clientID, clientSecret
	}
	cfg.Now = e.clock.Now
	cfg.Logger = slog.New(slog.NewTextHandler(&syncWriter{mu: &e.mu, w: e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if cfg.MediaPollMax == 0 {
		cfg.MediaPollMax = time.Millisecond
	}
	e.cfg = cfg
	e.x = x.New(cfg)
	e.acct = &publisher.Account{ID: "acct1", Platform: publisher.X, ExternalID: userID, Handle: userHandle}
	e.cred = publisher.Credentials{AccessToken: e.sb.MintToken("x", userID, userName, 0)}
	e.secret(e.cred.AccessToken, clientSecret)
	t.Cleanup(e.checkLeaks)
	return e
}

// syncWriter serialises writes to the log buffer.
type syncWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// secret records values that must never appear in a URL or a log line.
func (e *env) secret(vs ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, v := range vs {
		if v != "" {
			e.secrets = append(e.secrets, v)
		}
	}
}

// checkLeaks: no secret in a URL the platform saw nor in the connector's
// logs.
func (e *env) checkLeaks() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.secrets {
		for _, u := range e.urls {
			if strings.Contains(u, s) {
				e.t.Errorf("a secret is in URL %s", u)
			}
		}
		if strings.Contains(e.logs.String(), s) {
			e.t.Errorf("a secret is in the connector's logs")
		}
	}
}

// noSecretIn fails if err's text carries a recorded secret.
func (e *env) noSecretIn(err error) {
	e.t.Helper()
	if err == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.secrets {
		if strings.Contains(err.Error(), s) {
			e.t.Errorf("a secret is in the error %q", err.Error())
		}
	}
}

func (e *env) posts() []sandbox.Post { return e.sb.Posts("x", userID) }

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
	if err := e.sb.SetFault("x", userID, f); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) publish(msg publisher.Message) (*publisher.Published, error) {
	pub, err := e.x.Publish(context.Background(), e.acct, e.cred, msg)
	e.noSecretIn(err)
	return pub, err
}

func asPlatformError(t *testing.T, err error) *publisher.PlatformError {
	t.Helper()
	var pe *publisher.PlatformError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want *publisher.PlatformError", err, err)
	}
	return pe
}

// Small valid images.
var (
	png1 = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")
	gif1 = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
)

func image(id, contentType string, data []byte) publisher.MediaRef {
	return publisher.MediaRef{ID: id, ContentType: contentType, Size: int64(len(data)), AltText: "alt " + id,
		Open: func(context.Context) ([]byte, error) { return data, nil }}
}
