package mastodon_test

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
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/connectortest"
	"github.com/prasar/prasar/connectors/mastodon"
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
	JSON     map[string]any
	Params   url.Values
	Files    map[string][]byte
	FileType map[string]string
}

// stub answers each request with the next canned answer, "file" (200) or
// "status:file", optionally followed by "|Header: value".
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
		json.Unmarshal(b, &rec.JSON)
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
	answer, header, _ := strings.Cut(s.answers[n], "|")
	status, file := 200, answer
	if code, f, ok := strings.Cut(answer, ":"); ok {
		status, _ = strconv.Atoi(code)
		file = f
	}
	if k, v, ok := strings.Cut(header, ": "); ok {
		w.Header().Set(k, v)
	}
	body, err := os.ReadFile("testdata/" + file)
	if err != nil {
		s.t.Error(err)
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

// env is the sandbox's Mastodon instance served over HTTP, and a connector
// configured for it. Secrets registered with secret must appear in no log
// line and in no error passed through check.
type env struct {
	t        *testing.T
	sb       *sandbox.Server
	srv      *httptest.Server
	c        *mastodon.Connector
	cfg      mastodon.Config
	clock    *clock
	logs     *syncBuffer
	instance string

	mu      sync.Mutex
	secrets []string
	errs    []string
	urls    []string
}

const clientID = "prasar-test-client"

func newEnv(t *testing.T, cfg mastodon.Config) *env {
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
	mux.HandleFunc("/callback", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("callback")) })
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.instance = e.srv.URL + sandbox.MastodonPath
	secret := e.sb.MastodonClientSecret(clientID)
	e.secrets = append(e.secrets, secret)
	cfg.Instances = append([]mastodon.Instance{{URL: e.instance, ClientID: clientID, ClientSecret: secret}}, cfg.Instances...)
	cfg.Now = e.clock.Now
	cfg.Logger = logger
	if cfg.MediaPollInterval == 0 {
		cfg.MediaPollInterval = time.Millisecond
	}
	e.cfg = cfg
	e.c = mastodon.New(cfg)
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

// token mints an access token for an account and registers it as a
// secret; its credentials name the sandbox instance.
func (e *env) token(accountID, name string) publisher.Credentials {
	tok := e.sb.MintToken("mastodon", accountID, name, 0)
	e.secret(tok)
	return publisher.Credentials{AccessToken: tok, Extra: map[string]string{"instance": e.instance}}
}

func (e *env) secret(s string) {
	e.mu.Lock()
	e.secrets = append(e.secrets, s)
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

func (e *env) posts(account string) []sandbox.Post { return e.sb.Posts("mastodon", account) }

func (e *env) fault(account string, f sandbox.Fault) {
	e.t.Helper()
	if err := e.sb.SetFault("mastodon", account, f); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) visible(account string) int {
	n := 0
	for _, p := range e.posts(account) {
		if p.Visible(e.clock.Now()) {
			n++
		}
	}
	return n
}

const acctID = "110900000001"

var account = &publisher.Account{ID: "a1", Platform: publisher.Mastodon, ExternalID: acctID, Handle: "@agri@sandbox"}

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

// bigPNG is a PNG larger than the sandbox processes at once.
func bigPNG() []byte {
	return append(append([]byte(nil), png1...), bytes.Repeat([]byte{0}, 300<<10)...)
}

var requestRE = regexp.MustCompile(`name="request" value="([^"]+)"`)

// consent walks the sandbox's consent page as a person would: it opens
// authURL, then submits the form with the decision and the extra fields,
// and returns where the browser is sent back to.
func (e *env) consent(authURL, decision string, fields url.Values) *url.URL {
	e.t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authURL)
	if err != nil {
		e.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := requestRE.FindStringSubmatch(string(page))
	if resp.StatusCode != 200 || m == nil {
		e.t.Fatalf("consent page: %d\n%s", resp.StatusCode, page)
	}
	form := url.Values{"request": {m[1]}, "decision": {decision}}
	for _, sc := range regexp.MustCompile(`name="scope" value="([^"]+)"`).FindAllStringSubmatch(string(page), -1) {
		form.Add("scope", sc[1])
	}
	for k, vs := range fields {
		form[k] = vs
	}
	u, _ := url.Parse(authURL)
	resp, err = client.PostForm(u.Scheme+"://"+u.Host+u.Path, form)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		e.t.Fatalf("decision: %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return loc
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
