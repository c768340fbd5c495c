package telegram_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/connectortest"
	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/connectors/telegram"
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
	JSON     map[string]any    // a JSON body
	Params   url.Values        // form or multipart fields
	Files    map[string][]byte // multipart files
	FileType map[string]string
}

// stub answers each request with the next canned answer, "file" (200) or
// "status:file", and records what it received.
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
	rec := recorded{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(),
		Params: url.Values{}, Files: map[string][]byte{}, FileType: map[string]string{}}
	mt, mp, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	b, _ := io.ReadAll(r.Body)
	switch mt {
	case "application/json":
		if err := json.Unmarshal(b, &rec.JSON); err != nil {
			s.t.Errorf("%s: body is not JSON: %s", r.URL.Path, b)
		}
	case "application/x-www-form-urlencoded":
		rec.Params, _ = url.ParseQuery(string(b))
	case "multipart/form-data":
		mr := multipart.NewReader(bytes.NewReader(b), mp["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			data, _ := io.ReadAll(p)
			if p.FileName() != "" {
				rec.Files[p.FormName()], rec.FileType[p.FormName()] = data, p.Header.Get("Content-Type")
			} else {
				rec.Params.Add(p.FormName(), string(data))
			}
		}
	}
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, rec)
	s.mu.Unlock()
	if n >= len(s.answers) {
		s.t.Errorf("unexpected request %d: %s %s", n+1, r.Method, r.URL.Path)
		w.WriteHeader(500)
		return
	}
	status, file := 200, s.answers[n]
	if code, f, ok := strings.Cut(file, ":"); ok {
		status, _ = strconv.Atoi(code)
		file = f
	}
	body, err := os.ReadFile("testdata/" + file)
	if err != nil {
		s.t.Error(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func (s *stub) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

// env is a sandbox served over HTTP and a connector pointed at it. Every
// secret the test uses is registered with secret; at the end no log line
// (the connector's or the sandbox's) and no error seen through check may
// contain one.
type env struct {
	t     *testing.T
	sb    *sandbox.Server
	srv   *httptest.Server
	tg    *telegram.Connector
	cfg   telegram.Config
	clock *clock
	logs  *syncBuffer

	mu      sync.Mutex
	secrets []string
	errs    []string
}

const (
	publicChannel  = "@agri_haryana"
	privateChannel = "-1001900000001"
)

func newEnv(t *testing.T, cfg telegram.Config) *env {
	t.Helper()
	e := &env{t: t, clock: connectortest.NewClock(time.Date(2026, 8, 1, 4, 30, 0, 0, time.UTC)), logs: &syncBuffer{}}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.sb = sandbox.New(sandbox.Options{Secret: []byte("test secret"), Now: e.clock.Now, Logger: logger})
	mux := http.NewServeMux()
	mux.Handle(sandbox.MountPath, e.sb.Handler())
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	cfg.APIURL = e.srv.URL + sandbox.TelegramAPIPath
	cfg.WebURL = e.srv.URL + sandbox.TelegramWebPath
	cfg.Now = e.clock.Now
	cfg.Logger = logger
	e.cfg = cfg
	e.tg = telegram.New(cfg)
	t.Cleanup(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		logs := e.logs.String()
		for _, s := range e.secrets {
			if strings.Contains(logs, s) {
				t.Errorf("a secret is in the logs")
			}
			for _, m := range e.errs {
				if strings.Contains(m, s) {
					t.Errorf("a secret is in the error %q", strings.ReplaceAll(m, s, "<SECRET>"))
				}
			}
		}
	})
	return e
}

// token mints a bot token for a channel and registers it as a secret.
func (e *env) token(channel string, ttl time.Duration) publisher.Credentials {
	tok := e.sb.MintToken("telegram", channel, "कृषि विभाग Agriculture", ttl)
	e.mu.Lock()
	e.secrets = append(e.secrets, tok)
	e.mu.Unlock()
	return publisher.Credentials{AccessToken: tok}
}

// check records an error's text for the secret scan and returns it.
func (e *env) check(err error) error {
	if err != nil {
		e.mu.Lock()
		e.errs = append(e.errs, err.Error())
		if pe := (*publisher.PlatformError)(nil); errors.As(err, &pe) {
			e.errs = append(e.errs, pe.Message)
		}
		e.mu.Unlock()
	}
	return err
}

func (e *env) posts(channel string) []sandbox.Post { return e.sb.Posts("telegram", channel) }

func (e *env) fault(channel string, f sandbox.Fault) {
	e.t.Helper()
	if err := e.sb.SetFault("telegram", channel, f); err != nil {
		e.t.Fatal(err)
	}
}

// setRights changes what the bot may do in its channel, over HTTP.
func (e *env) setRights(channel, status string, canPost bool) {
	e.t.Helper()
	b, _ := json.Marshal(map[string]any{"channel": channel, "status": status, "canPostMessages": canPost, "canDeleteMessages": canPost})
	resp, err := http.Post(e.srv.URL+sandbox.TelegramRightsPath, "application/json", bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		e.t.Fatalf("setting rights: %d", resp.StatusCode)
	}
}

func account(channel string) *publisher.Account {
	return &publisher.Account{ID: "acct-" + channel, Platform: publisher.Telegram, ExternalID: channel, Handle: channel}
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
	return publisher.MediaRef{ID: id, ContentType: "image/png", Size: int64(len(data)), AltText: "alt " + id,
		Open: func(context.Context) ([]byte, error) { return data, nil }}
}

// get fetches a page and returns its status and body.
func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
