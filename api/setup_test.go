package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf8"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/passhash"
	"github.com/prasar/prasar/publisher/sqlitestore"
)

// The test deployment's public URL: browsers at it send this Origin.
const testBaseURL = "http://prasar.test"

// Secrets that must never appear in a response body or a log line.
const (
	password     = "correct horse battery staple"
	secretToken  = "SECRET-access-token-7f3a9c"
	secretRefrsh = "SECRET-refresh-token-b41d02"
)

// fakeEnqueuer records what the service queues; tests run the fan-out and
// deliveries themselves.
type fakeEnqueuer struct {
	mu         sync.Mutex
	fanouts    []string // "postID/revision"
	deliveries []string
}

func (f *fakeEnqueuer) EnqueueFanout(_ context.Context, postID string, revision int, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fanouts = append(f.fanouts, postID+"/"+itoa(revision))
	return nil
}

func (f *fakeEnqueuer) EnqueueDelivery(_ context.Context, id string, _ publisher.Platform, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deliveries = append(f.deliveries, id)
	return nil
}

func (f *fakeEnqueuer) calls() (fanouts, deliveries []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.fanouts...), append([]string(nil), f.deliveries...)
}

// fakeConnector publishes to nowhere. Text containing REJECTME is refused;
// text containing TIMEOUTME fails as if the call timed out after sending.
type fakeConnector struct {
	rules publisher.PlatformRules
	mu    sync.Mutex
	creds []publisher.Credentials
}

var _ publisher.Connector = (*fakeConnector)(nil)

func (f *fakeConnector) Platform() publisher.Platform { return f.rules.Platform }
func (f *fakeConnector) Rules() publisher.PlatformRules {
	return f.rules
}
func (f *fakeConnector) Measure(m publisher.Message) publisher.Measure {
	return publisher.Measure{Count: utf8.RuneCountInString(m.Text), Limit: f.rules.MaxChars}
}
func (f *fakeConnector) Publish(_ context.Context, _ *publisher.Account, cred publisher.Credentials, m publisher.Message) (*publisher.Published, error) {
	f.mu.Lock()
	f.creds = append(f.creds, cred)
	f.mu.Unlock()
	switch {
	case strings.Contains(m.Text, "REJECTME"):
		return nil, &publisher.PlatformError{Class: publisher.ClassRejected, Message: "Status is a duplicate."}
	case strings.Contains(m.Text, "TIMEOUTME"):
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "timeout", Ambiguous: true}
	}
	return &publisher.Published{ExternalID: "ext-" + m.DeliveryID, URL: "https://" + string(f.rules.Platform) + ".example/p/" + m.DeliveryID}, nil
}
func (f *fakeConnector) Lookup(context.Context, *publisher.Account, publisher.Credentials, publisher.Message, time.Time) (*publisher.Published, error) {
	return nil, publisher.ErrLookupUnsupported
}

// syncBuffer collects log output from concurrent goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// clock is the service's adjustable clock.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }
func itoa(n int) string                  { b, _ := json.Marshal(n); return string(b) }
func ptr[T any](v T) *T                  { return &v }
func ctxAs(u *publisher.User) context.Context {
	return publisher.NewContextWithUser(context.Background(), u)
}

// env is a running API on a real service and SQLite store, with two
// organisations, their users and accounts.
type env struct {
	t       *testing.T
	svc     *publisher.Service
	store   *sqlitestore.Store
	dbPath  string
	keyring *publisher.Keyring
	hasher  passhash.Hasher
	enq     *fakeEnqueuer
	conns   []publisher.Connector
	clock   *clock
	logs    *syncBuffer
	handler http.Handler
	srv     *httptest.Server
	ui      fstest.MapFS

	orgA, orgB                                          *publisher.Organisation
	admin, approver, editorA, editorA2, editorB, viewer *publisher.User
	xA, igA, xB                                         *publisher.Account
	officerB                                            *publisher.Officer

	mu      sync.Mutex
	bodies  [][]byte // every response body, scanned for secrets at the end
	secrets []string // values that must never appear in a body or a log
}

type envOptions struct {
	api Config
	svc publisher.Config
}

// testUI is the SPA's build output as the tests see it.
func testUI() fstest.MapFS {
	return fstest.MapFS{
		"index.html":              {Data: []byte("<!doctype html><title>Prasar</title><script type=module src=/assets/app-3f9a1c.js></script>")},
		"assets/app-3f9a1c.js":    {Data: []byte("console.log('prasar')")},
		"assets/style-77aa01.css": {Data: []byte("body{margin:0}")},
		"favicon.ico":             {Data: []byte{0, 0, 1, 0}},
	}
}

func newEnv(t *testing.T, mods ...func(*envOptions)) *env {
	t.Helper()
	opts := envOptions{
		api: Config{BaseURL: testBaseURL, EventPoll: time.Hour, KeepAlive: time.Hour},
		svc: publisher.Config{BaseURL: testBaseURL, MaxUploadBytes: 64 << 10, MaxFailures: 1},
	}
	for _, m := range mods {
		m(&opts)
	}
	e := &env{t: t, enq: &fakeEnqueuer{}, clock: &clock{}, logs: &syncBuffer{}, ui: testUI(),
		hasher:  passhash.Hasher{P: passhash.Params{Memory: 1024, Time: 1, Threads: 1}},
		secrets: []string{secretToken, secretRefrsh, password, "$argon2id"}}
	e.dbPath = filepath.Join(t.TempDir(), "prasar.db")
	st, err := sqlitestore.Open(e.dbPath, sqlitestore.WithLogger(slog.New(slog.NewJSONHandler(e.logs, nil))))
	if err != nil {
		t.Fatalf("sqlitestore.Open: %v", err)
	}
	e.store = st
	t.Cleanup(func() { st.Close() })
	key := bytes.Repeat([]byte{7}, 32)
	if e.keyring, err = publisher.NewKeyring("test", map[string][]byte{"test": key}); err != nil {
		t.Fatal(err)
	}
	e.conns = []publisher.Connector{
		&fakeConnector{rules: publisher.PlatformRules{Platform: publisher.X, MaxChars: 280, CountUnit: "weighted", MaxImages: 4, Enabled: true}},
		&fakeConnector{rules: publisher.PlatformRules{Platform: publisher.Instagram, MaxChars: 2200, CountUnit: "characters", RequiresMedia: true, MaxImages: 10,
			ImageTypes: []string{"image/jpeg", "image/png"}, Enabled: true}},
	}
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.svc = e.newService(opts.svc, logger)
	e.handler = NewHandler(opts.api, e.svc, e.ui, logger)
	e.srv = httptest.NewServer(e.handler)
	t.Cleanup(e.srv.Close)
	e.seed()
	t.Cleanup(e.checkNoSecrets)
	return e
}

// newService builds a service on the env's store; a second one stands for
// a worker in another process (it has its own event broker).
func (e *env) newService(cfg publisher.Config, logger *slog.Logger) *publisher.Service {
	e.t.Helper()
	svc, err := publisher.New(cfg, publisher.Deps{Store: e.store, Enqueuer: e.enq, Connectors: e.conns, Keyring: e.keyring, Hasher: e.hasher,
		Logger: logger, Now: e.clock.now})
	if err != nil {
		e.t.Fatalf("publisher.New: %v", err)
	}
	return svc
}

func (e *env) seed() {
	t := e.t
	t.Helper()
	sys := publisher.SystemContext(context.Background())
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seeding: %v", err)
		}
	}
	var err error
	e.orgA, err = e.svc.CreateOrg(sys, publisher.OrgInput{Code: "AGRI", Type: publisher.OrgDepartment, NameEN: "Agriculture", NameHI: "कृषि"})
	must(err)
	e.orgB, err = e.svc.CreateOrg(sys, publisher.OrgInput{Code: "HLTH", Type: publisher.OrgDepartment, NameEN: "Health", NameHI: "स्वास्थ्य"})
	must(err)
	mk := func(email, name string, role publisher.Role, org string) *publisher.User {
		u, err := e.svc.CreateUser(sys, publisher.UserInput{Email: email, Name: name, Role: role, OrgID: org, Lang: "en", Password: password})
		must(err)
		return u
	}
	e.admin = mk("admin@prasar.test", "Asha Admin", publisher.RoleAdmin, "")
	e.approver = mk("approver@prasar.test", "Pankaj Approver", publisher.RoleApprover, "")
	e.editorA = mk("editor.a@prasar.test", "Esha Editor", publisher.RoleEditor, e.orgA.ID)
	e.editorA2 = mk("editor.a2@prasar.test", "Eklavya Editor", publisher.RoleEditor, e.orgA.ID)
	e.editorB = mk("editor.b@prasar.test", "Bina Editor", publisher.RoleEditor, e.orgB.ID)
	e.viewer = mk("viewer@prasar.test", "Vikram Viewer", publisher.RoleViewer, "")
	acct := func(org string, p publisher.Platform, handle string) *publisher.Account {
		a, err := e.svc.SaveAccount(sys, publisher.AccountInput{OrgID: org, Platform: p, Handle: handle, DisplayName: handle, ExternalID: "ext-" + handle,
			Credentials: &publisher.Credentials{AccessToken: secretToken, RefreshToken: secretRefrsh, Extra: map[string]string{"page_token": secretToken}}})
		must(err)
		return a
	}
	e.xA = acct(e.orgA.ID, publisher.X, "agri_x")
	e.igA = acct(e.orgA.ID, publisher.Instagram, "agri_ig")
	e.xB = acct(e.orgB.ID, publisher.X, "health_x")
	e.officerB = &publisher.Officer{ID: publisher.NewID(), OrgID: e.orgB.ID, Kind: publisher.OfficerNodal, Name: "Nodal B", Designation: "Director",
		Email: "nodal.b@prasar.test", Phone: "+91 172 000 0000", StartDate: time.Now().Add(-time.Hour), CreatedAt: time.Now(), UpdatedAt: time.Now()}
	must(e.store.CreateOfficer(context.Background(), e.officerB))
}

// secret registers a value that must never appear in a body or log.
func (e *env) secret(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.secrets = append(e.secrets, s)
}

func (e *env) record(b []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.bodies = append(e.bodies, b)
}

// checkNoSecrets fails the test if any response body or log line contains
// a token, password, password hash or session token.
func (e *env) checkNoSecrets() {
	e.mu.Lock()
	defer e.mu.Unlock()
	logs := e.logs.String()
	for _, s := range e.secrets {
		for _, b := range e.bodies {
			if bytes.Contains(b, []byte(s)) {
				e.t.Errorf("a response body contains the secret %q: %s", s, b)
			}
		}
		if strings.Contains(logs, s) {
			e.t.Errorf("the log contains the secret %q", s)
		}
	}
}

// client is a browser signed in as one user (or anonymous).
type client struct {
	e      *env
	cookie *http.Cookie
	csrf   string
	user   publisher.User
}

func (e *env) anon() *client { return &client{e: e} }

// signIn signs u in through the API.
func (e *env) signIn(u *publisher.User) *client {
	e.t.Helper()
	c := e.anon()
	r := c.do("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": password})
	r.want(e.t, http.StatusOK)
	var v struct {
		User      publisher.User `json:"user"`
		CSRFToken string         `json:"csrfToken"`
	}
	r.data(e.t, &v)
	c.csrf, c.user = v.CSRFToken, v.User
	c.cookie = r.cookie(e.t, "prasar_session")
	if c.cookie == nil || c.cookie.Value == "" || c.csrf == "" {
		e.t.Fatalf("sign-in of %s gave no cookie or CSRF token", u.Email)
	}
	e.secret(c.cookie.Value)
	return c
}

type reqOpt func(*http.Request)

// withHeader sets a request header; an empty value removes it.
func withHeader(k, v string) reqOpt {
	return func(r *http.Request) {
		if v == "" {
			r.Header.Del(k)
		} else {
			r.Header.Set(k, v)
		}
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
	cks    []*http.Cookie
}

// do sends a request. body: nil (none), string or []byte (raw), io.Reader
// (streamed, without Content-Length), anything else (JSON).
func (c *client) do(method, path string, body any, opts ...reqOpt) *response {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = struct{ io.Reader }{b} // hide the length
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cookie != nil {
		req.AddCookie(&http.Cookie{Name: c.cookie.Name, Value: c.cookie.Value})
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for _, o := range opts {
		o(req)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.e.t.Fatalf("%s %s: reading: %v", method, path, err)
	}
	c.e.record(b)
	return &response{status: res.StatusCode, header: res.Header, body: b, cks: res.Cookies()}
}

func (r *response) want(t *testing.T, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

// data decodes {"data": v}.
func (r *response) data(t *testing.T, v any) {
	t.Helper()
	env := struct {
		Data json.RawMessage `json:"data"`
	}{}
	if err := json.Unmarshal(r.body, &env); err != nil || env.Data == nil {
		t.Fatalf("body is not a data envelope (%v): %s", err, r.body)
	}
	reflect.ValueOf(v).Elem().SetZero() // fields the answer omits must not keep old values
	if err := json.Unmarshal(env.Data, v); err != nil {
		t.Fatalf("decoding data: %v: %s", err, env.Data)
	}
}

// apiError decodes the error envelope.
func (r *response) apiError(t *testing.T) errorBody {
	t.Helper()
	var env errorEnvelope
	if err := json.Unmarshal(r.body, &env); err != nil || env.Error.Code == "" {
		t.Fatalf("body is not an error envelope (%v): %s", err, r.body)
	}
	return env.Error
}

// wantError checks the status and error code.
func (r *response) wantError(t *testing.T, status int, code string) errorBody {
	t.Helper()
	r.want(t, status)
	eb := r.apiError(t)
	if eb.Code != code {
		t.Fatalf("error code %q, want %q; body: %s", eb.Code, code, r.body)
	}
	if eb.RequestID == "" || eb.RequestID != r.header.Get("X-Request-Id") {
		t.Fatalf("error requestId %q does not match X-Request-Id %q", eb.RequestID, r.header.Get("X-Request-Id"))
	}
	return eb
}

func (r *response) cookie(t *testing.T, name string) *http.Cookie {
	t.Helper()
	for _, c := range r.cks {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// field returns the field error for name, or fails.
func (eb errorBody) field(t *testing.T, name string) publisher.FieldError {
	t.Helper()
	for _, f := range eb.Fields {
		if f.Field == name {
			return f
		}
	}
	t.Fatalf("no field error for %q in %+v", name, eb.Fields)
	return publisher.FieldError{}
}

// postInput is a valid post of org for the given targets.
func postInput(org string, targets ...string) map[string]any {
	return map[string]any{"orgId": org, "kind": "post", "title": "Kisan Samman",
		"content": map[string]any{"bodyHi": "किसानों के लिए नई योजना", "bodyEn": "A new scheme for farmers"}, "targets": targets}
}

// createPost creates a draft over the API and returns it.
func (c *client) createPost(in map[string]any) publisher.Post {
	c.e.t.Helper()
	var p publisher.Post
	c.do("POST", "/api/v1/posts", in).want(c.e.t, http.StatusCreated).data(c.e.t, &p)
	return p
}

// step takes a post through a review step and returns the response.
func (c *client) step(p publisher.Post, action, comment string) *response {
	c.e.t.Helper()
	body := map[string]any{"revision": p.Revision}
	if action != "submit" {
		body["comment"] = comment
	}
	return c.do("POST", "/api/v1/posts/"+p.ID+"/"+action, body)
}

// approvedPost makes a post of org A (by editorA) approved by the approver
// and returns it.
func (e *env) approvedPost(editor, approver *client, in map[string]any) publisher.Post {
	e.t.Helper()
	p := editor.createPost(in)
	editor.step(p, "submit", "").want(e.t, http.StatusOK).data(e.t, &p)
	approver.step(p, "approve", "ok").want(e.t, http.StatusOK).data(e.t, &p)
	return p
}
