package linkedin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
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
	"github.com/prasar/prasar/connectors/linkedin"
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
	Method     string
	Path       string
	RawPath    string
	RawQuery   string
	Header     http.Header
	Body       []byte
	RequestURI string
}

func (r recorded) json() map[string]any {
	var m map[string]any
	json.Unmarshal(r.Body, &m)
	return m
}

// stub answers each request with the next canned answer, "file" (200) or
// "status:file", optionally followed by "|Header: value"; "UPLOAD_URL" in
// a file becomes the stub's own upload address.
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
	s.reqs = append(s.reqs, recorded{Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: b, RequestURI: r.RequestURI})
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
	body = bytes.ReplaceAll(body, []byte("UPLOAD_URL"), []byte(s.srv.URL+"/dms-uploads/sp/C4E10AQ/0?ca=vector_feedshare"))
	if len(body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	w.Write(body)
}

func (s *stub) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

// env is the sandbox's LinkedIn served over HTTP and a connector pointed
// at it. Secrets registered with secret may appear in no log line, no URL
// the sandbox saw and no error passed through check.
type env struct {
	t     *testing.T
	sb    *sandbox.Server
	srv   *httptest.Server
	c     *linkedin.Connector
	cfg   linkedin.Config
	clock *clock
	logs  *syncBuffer

	mu      sync.Mutex
	secrets []string
	errs    []string
	urls    []string
}

const org = "urn:li:organization:2414183"

func newEnv(t *testing.T, cfg linkedin.Config) *env {
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
	cfg.APIURL = e.srv.URL + sandbox.LinkedInAPIPath
	cfg.AuthURL = e.srv.URL + sandbox.LinkedInWebPath + "/oauth/v2/authorization"
	cfg.TokenURL = e.srv.URL + sandbox.LinkedInWebPath + "/oauth/v2/accessToken"
	cfg.WebURL = e.srv.URL + sandbox.LinkedInWebPath
	if cfg.ClientID == "" {
		cfg.ClientID = "prasar-test"
	}
	cfg.ClientSecret = e.sb.LinkedInClientSecret(cfg.ClientID)
	e.secrets = append(e.secrets, cfg.ClientSecret)
	cfg.Now = e.clock.Now
	cfg.Logger = logger
	if cfg.Version == "" {
		cfg.Version = "202607"
	}
	e.cfg = cfg
	e.c = linkedin.New(cfg)
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

// token mints an organization-scoped sandbox token and registers it.
func (e *env) token(orgID, name string) publisher.Credentials {
	tok := e.sb.MintToken("linkedin", orgID, name, 60*24*time.Hour)
	e.secret(tok)
	return publisher.Credentials{AccessToken: tok}
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

func (e *env) posts(account string) []sandbox.Post { return e.sb.Posts("linkedin", account) }

func (e *env) fault(account string, f sandbox.Fault) {
	e.t.Helper()
	if err := e.sb.SetFault("linkedin", account, f); err != nil {
		e.t.Fatal(err)
	}
}

var account = &publisher.Account{ID: "a1", Platform: publisher.LinkedIn, ExternalID: org, Handle: "agriharyana"}

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

var requestRE = regexp.MustCompile(`name="request" value="([^"]+)"`)

// consent walks the sandbox's consent page: it opens authURL, submits the
// form with the decision and the extra fields, and returns where the
// browser is sent back to.
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
