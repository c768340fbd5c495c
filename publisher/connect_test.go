package publisher_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/sqlitestore"
)

// The connection and token tests run the real service on a real SQLite
// store with platform fakes that behave as the real platforms' contracts
// say: an X-like OAuth platform with PKCE and rotating single-use refresh
// tokens (a replayed one revokes the grant), a Facebook-like one whose
// login grants several Pages, and a Telegram-like credential form.

// oauthFake is an OAuth platform. Its consent page is approve: it takes the
// state and returns the code the platform would send back.
type oauthFake struct {
	rules publisher.PlatformRules
	pkce  bool
	// grants are the accounts a login grants, by the user who approves.
	grants []publisher.GrantedAccount
	// refreshErr, when set, is what the next Refresh calls return.
	refreshErr error
	// emptyRefresh makes Refresh return no refresh token (some platforms
	// rotate only sometimes).
	emptyRefresh bool
	// stripRefresh makes Exchange grant no refresh token.
	stripRefresh bool
	// lifetime of access tokens (0: none).
	lifetime time.Duration
	// margin before expiry at which a refresh is due.
	margin time.Duration
	now    func() time.Time
	// onPublish, if set, runs at the start of every Publish.
	onPublish  func(acct *publisher.Account, cred publisher.Credentials)
	publishErr error
	revokeErr  error

	mu        sync.Mutex
	auths     map[string]fakeAuth // state → what the consent page was asked
	codes     map[string]fakeAuth // code → the request it answers
	live      map[string]bool     // refresh tokens not yet used
	access    map[string]bool     // access tokens that work
	seq       int
	refreshes int
	inFlight  int
	maxFlight int
	published []string // access tokens used to publish
	revoked   []string
}

type fakeAuth struct{ state, challenge, redirect string }

func newOAuthFake(p publisher.Platform, pkce bool, grants ...publisher.GrantedAccount) *oauthFake {
	return &oauthFake{rules: publisher.PlatformRules{Platform: p, MaxChars: 280, CountUnit: "characters", MaxImages: 4, Enabled: true},
		pkce: pkce, grants: grants, auths: map[string]fakeAuth{}, codes: map[string]fakeAuth{}, live: map[string]bool{}, access: map[string]bool{},
		margin: 10 * time.Minute, now: time.Now}
}

func (f *oauthFake) Platform() publisher.Platform   { return f.rules.Platform }
func (f *oauthFake) Rules() publisher.PlatformRules { return f.rules }
func (f *oauthFake) Measure(m publisher.Message) publisher.Measure {
	return publisher.Measure{Count: len([]rune(m.Text)), Limit: f.rules.MaxChars}
}

func s256(v string) string {
	h := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func (f *oauthFake) AuthCodeURL(state, verifier, redirectURL string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := fakeAuth{state: state, redirect: redirectURL}
	q := url.Values{"state": {state}, "redirect_uri": {redirectURL}}
	if f.pkce {
		a.challenge = s256(verifier)
		q.Set("code_challenge", a.challenge)
		q.Set("code_challenge_method", "S256")
	}
	f.auths[state] = a
	return "https://" + string(f.rules.Platform) + ".example/oauth/authorize?" + q.Encode()
}

// approve is the user clicking Approve on the consent page: it returns the
// code sent back with state.
func (f *oauthFake) approve(t *testing.T, state string) string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.auths[state]
	if !ok {
		t.Fatalf("the consent page was never opened for state %q", state)
	}
	f.seq++
	code := fmt.Sprintf("code-%d", f.seq)
	f.codes[code] = a
	return code
}

// mint issues a token pair.
func (f *oauthFake) mintLocked() publisher.Credentials {
	f.seq++
	c := publisher.Credentials{AccessToken: fmt.Sprintf("SECRET-access-%s-%d", f.rules.Platform, f.seq),
		RefreshToken: fmt.Sprintf("SECRET-refresh-%s-%d", f.rules.Platform, f.seq)}
	if f.lifetime > 0 {
		exp := f.now().Add(f.lifetime).UTC()
		c.ExpiresAt = &exp
	}
	f.live[c.RefreshToken] = true
	f.access[c.AccessToken] = true
	return c
}

func (f *oauthFake) Exchange(_ context.Context, code, verifier, redirectURL string) ([]publisher.GrantedAccount, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.codes[code]
	delete(f.codes, code) // single use
	switch {
	case !ok:
		return nil, &publisher.PlatformError{Class: publisher.ClassRejected, Message: "invalid_grant: the code is unknown or used"}
	case a.redirect != redirectURL:
		return nil, &publisher.PlatformError{Class: publisher.ClassRejected, Message: "invalid_grant: redirect_uri does not match"}
	case f.pkce && s256(verifier) != a.challenge:
		return nil, &publisher.PlatformError{Class: publisher.ClassRejected, Message: "invalid_request: code_verifier does not match"}
	}
	out := make([]publisher.GrantedAccount, len(f.grants))
	for i, g := range f.grants {
		g.Credentials = f.mintLocked()
		if f.stripRefresh {
			delete(f.live, g.Credentials.RefreshToken)
			g.Credentials.RefreshToken = ""
		}
		out[i] = g
	}
	return out, nil
}

func (f *oauthFake) RefreshDue(cred publisher.Credentials, now time.Time) bool {
	return cred.RefreshToken != "" && cred.ExpiresAt != nil && !now.Before(cred.ExpiresAt.Add(-f.margin))
}

func (f *oauthFake) Refresh(_ context.Context, _ *publisher.Account, cred publisher.Credentials) (publisher.Credentials, error) {
	f.mu.Lock()
	f.refreshes++
	f.inFlight++
	f.maxFlight = max(f.maxFlight, f.inFlight)
	f.mu.Unlock()
	time.Sleep(20 * time.Millisecond) // a platform round trip: long enough for races to show
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight--
	if f.refreshErr != nil {
		return cred, f.refreshErr
	}
	if !f.live[cred.RefreshToken] {
		// A used (or unknown) refresh token: X revokes the whole grant.
		for k := range f.live {
			delete(f.live, k)
		}
		for k := range f.access {
			delete(f.access, k)
		}
		return cred, &publisher.PlatformError{Class: publisher.ClassAuth, Message: "invalid_request: Value passed for the token was invalid."}
	}
	delete(f.live, cred.RefreshToken)
	delete(f.access, cred.AccessToken)
	next := f.mintLocked()
	if f.emptyRefresh {
		delete(f.live, next.RefreshToken)
		f.live[cred.RefreshToken] = true // the platform keeps the old one valid
		next.RefreshToken = ""
	}
	return next, nil
}

func (f *oauthFake) Publish(_ context.Context, a *publisher.Account, cred publisher.Credentials, m publisher.Message) (*publisher.Published, error) {
	if f.onPublish != nil {
		f.onPublish(a, cred)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.publishErr != nil {
		return nil, f.publishErr
	}
	if !f.access[cred.AccessToken] {
		return nil, &publisher.PlatformError{Class: publisher.ClassAuth, Message: "Unauthorized: the access token is invalid"}
	}
	f.published = append(f.published, cred.AccessToken)
	return &publisher.Published{ExternalID: fmt.Sprintf("%s-%d", a.ExternalID, len(f.published)), URL: "https://x.example/p"}, nil
}

func (f *oauthFake) Lookup(context.Context, *publisher.Account, publisher.Credentials, publisher.Message, time.Time) (*publisher.Published, error) {
	return nil, publisher.ErrNotPublished
}

func (f *oauthFake) Revoke(_ context.Context, _ *publisher.Account, cred publisher.Credentials) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.revokeErr != nil {
		return f.revokeErr
	}
	f.revoked = append(f.revoked, cred.RefreshToken)
	delete(f.live, cred.RefreshToken)
	delete(f.access, cred.AccessToken)
	return nil
}

func (f *oauthFake) counts() (refreshes, maxFlight int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refreshes, f.maxFlight
}

// formFake is a platform connected with a credential form (Telegram-like).
type formFake struct {
	rules publisher.PlatformRules
	mu    sync.Mutex
	seen  []map[string]string
}

func (f *formFake) Platform() publisher.Platform   { return f.rules.Platform }
func (f *formFake) Rules() publisher.PlatformRules { return f.rules }
func (f *formFake) Measure(m publisher.Message) publisher.Measure {
	return publisher.Measure{Count: len([]rune(m.Text)), Limit: f.rules.MaxChars}
}
func (f *formFake) Publish(context.Context, *publisher.Account, publisher.Credentials, publisher.Message) (*publisher.Published, error) {
	return &publisher.Published{ExternalID: "1", URL: "https://t.example/1"}, nil
}
func (f *formFake) Lookup(context.Context, *publisher.Account, publisher.Credentials, publisher.Message, time.Time) (*publisher.Published, error) {
	return nil, publisher.ErrNotPublished
}
func (f *formFake) CredentialFields() []publisher.CredentialField {
	return []publisher.CredentialField{{Name: "bot_token", Label: "Bot token", Secret: true, Required: true}, {Name: "channel", Label: "Channel", Required: true}}
}
func (f *formFake) VerifyCredentials(_ context.Context, v map[string]string) (*publisher.GrantedAccount, error) {
	f.mu.Lock()
	f.seen = append(f.seen, v)
	f.mu.Unlock()
	switch {
	case v["bot_token"] != "123:SECRET-bot-token":
		return nil, &publisher.PlatformError{Class: publisher.ClassAuth, Message: "Unauthorized: the bot token was revoked or is wrong", Code: "401"}
	case v["channel"] == "@notadmin":
		return nil, &publisher.PlatformError{Class: publisher.ClassRejected, Message: "the bot is not an administrator of @notadmin"}
	case v["channel"] == "@down":
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Bad Gateway"}
	}
	return &publisher.GrantedAccount{ExternalID: "-1001" + strings.TrimPrefix(v["channel"], "@"), Handle: v["channel"], DisplayName: "Channel " + v["channel"],
		Credentials: publisher.Credentials{AccessToken: v["bot_token"]}}, nil
}

// logBuffer collects the service's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// connEnv is a service with the connection fakes, two organisations and
// their users.
type connEnv struct {
	t       *testing.T
	store   publisher.Store
	keyring *publisher.Keyring
	clock   *clock
	queue   *enqueued
	logs    *logBuffer
	svc     *publisher.Service
	x, fb   *oauthFake
	tg      *formFake

	org, otherOrg                            *publisher.Organisation
	admin, editor, editor2, other, viewer    *publisher.User
	sessEditor, sessEditor2, sessOther, sess string
}

func connKeyring(t *testing.T, primary string, ids ...string) *publisher.Keyring {
	t.Helper()
	keys := map[string][]byte{}
	for _, id := range append([]string{primary}, ids...) {
		sum := sha256.Sum256([]byte("test key " + id)) // the same id is the same key in every keyring
		keys[id] = sum[:]
	}
	kr, err := publisher.NewKeyring(primary, keys)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func newConnEnv(t *testing.T) *connEnv {
	t.Helper()
	store, err := sqlitestore.Open(filepath.Join(t.TempDir(), "prasar.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e := &connEnv{t: t, store: store, keyring: connKeyring(t, "k1"), clock: &clock{t: time.Date(2026, 11, 28, 4, 30, 0, 0, time.UTC)},
		queue: &enqueued{}, logs: &logBuffer{}}
	e.x = newOAuthFake(publisher.X, true, publisher.GrantedAccount{ExternalID: "2244994945", Handle: "AgriHry", DisplayName: "Agriculture Haryana",
		ProfileURL: "https://x.example/AgriHry", Scopes: []string{"tweet.write", "offline.access"}})
	e.x.now, e.x.lifetime = e.clock.Now, 2*time.Hour
	e.fb = newOAuthFake(publisher.Facebook, false,
		publisher.GrantedAccount{ExternalID: "1001", Handle: "Krishi Vibhag Haryana", DisplayName: "Krishi Vibhag Haryana"},
		publisher.GrantedAccount{ExternalID: "1002", Handle: "Kisan Mitra", DisplayName: "Kisan Mitra", Problem: "You may only analyse this Page, not post to it."},
		publisher.GrantedAccount{ExternalID: "1003", Handle: "Swasthya Haryana", DisplayName: "Swasthya Haryana"})
	e.fb.now = e.clock.Now
	e.tg = &formFake{rules: publisher.PlatformRules{Platform: publisher.Telegram, MaxChars: 4096, CountUnit: "characters", Enabled: true}}
	e.svc = e.newService(e.keyring)
	sys := publisher.SystemContext(context.Background())
	mkOrg := func(code, en, hi string) *publisher.Organisation {
		o, err := e.svc.CreateOrg(sys, publisher.OrgInput{Code: code, Type: publisher.OrgDepartment, NameEN: en, NameHI: hi})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	e.org = mkOrg("AGRI", "Agriculture", "कृषि")
	e.otherOrg = mkOrg("HEALTH", "Health", "स्वास्थ्य")
	mkUser := func(email string, r publisher.Role, org string) *publisher.User {
		u, err := e.svc.CreateUser(sys, publisher.UserInput{Email: email, Name: strings.Split(email, "@")[0], Role: r, OrgID: org, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	e.admin = mkUser("admin@example.gov.in", publisher.RoleAdmin, "")
	e.editor = mkUser("editor.agri@example.gov.in", publisher.RoleEditor, e.org.ID)
	e.editor2 = mkUser("editor2.agri@example.gov.in", publisher.RoleEditor, e.org.ID)
	e.other = mkUser("editor.health@example.gov.in", publisher.RoleEditor, e.otherOrg.ID)
	e.viewer = mkUser("viewer@example.gov.in", publisher.RoleViewer, "")
	e.sessEditor, e.sessEditor2, e.sessOther, e.sess = "sess-editor", "sess-editor2", "sess-other", "sess-admin"
	t.Cleanup(e.checkNoSecrets)
	return e
}

// newService builds a service on the env's store (a second one stands for
// another worker process).
func (e *connEnv) newService(kr *publisher.Keyring) *publisher.Service {
	e.t.Helper()
	svc, err := publisher.New(publisher.Config{RetryBase: time.Second, RetryMax: time.Minute, MaxFailures: 3, BaseURL: "https://prasar.example",
		SandboxPlatforms: []publisher.Platform{publisher.Facebook}},
		publisher.Deps{Store: e.store, Enqueuer: e.queue, Keyring: kr, Hasher: passhashCheap(), Now: e.clock.Now,
			Connectors: []publisher.Connector{e.x, e.fb, e.tg},
			Logger:     slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

// checkNoSecrets fails the test if a token, refresh token, bot token or
// code ever reached the log.
func (e *connEnv) checkNoSecrets() {
	logs := e.logs.String()
	if i := strings.Index(logs, "SECRET-"); i >= 0 {
		e.t.Errorf("the log contains a secret: …%s…", logs[max(0, i-200):min(len(logs), i+80)])
	}
	if strings.Contains(logs, "code-") {
		e.t.Errorf("the log contains an authorization code:\n%s", logs)
	}
}

// connectX runs the whole redirect flow for X as u in session sess and
// returns the connected account.
func (e *connEnv) connectX(u *publisher.User, sess string, t publisher.ConnectTarget) *publisher.Account {
	e.t.Helper()
	authURL, err := e.svc.StartConnect(as(u), sess, publisher.X, t)
	if err != nil {
		e.t.Fatalf("StartConnect: %v", err)
	}
	state := stateOf(e.t, authURL)
	res, err := e.svc.CompleteConnect(as(u), sess, publisher.X, publisher.OAuthCallback{State: state, Code: e.x.approve(e.t, state)})
	if err != nil {
		e.t.Fatalf("CompleteConnect: %v", err)
	}
	if len(res.Accounts) != 1 || res.Selection != nil {
		e.t.Fatalf("result = %+v, want one account connected", res)
	}
	return res.Accounts[0]
}

func stateOf(t *testing.T, authURL string) string {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("state")
}

func (e *connEnv) credentials(id string) (*publisher.Account, publisher.Credentials) {
	e.t.Helper()
	a, err := e.store.GetAccount(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := e.keyring.OpenCredentials(a.ID, a.Secret)
	if err != nil {
		e.t.Fatal(err)
	}
	return a, c
}

func (e *connEnv) notifications(u *publisher.User) []*publisher.Notification {
	e.t.Helper()
	ns, _, err := e.store.ListNotifications(context.Background(), publisher.NotificationFilter{UserID: u.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	return ns
}

func wantReason(t *testing.T, err error, reason string) {
	t.Helper()
	got, detail := publisher.ConnectReason(err)
	if got != reason {
		t.Fatalf("connection failure reason = %q (detail %q, err %v), want %q", got, detail, err, reason)
	}
}

func TestConnectOAuthWithPKCE(t *testing.T) {
	e := newConnEnv(t)
	authURL, err := e.svc.StartConnect(as(e.editor), e.sessEditor, publisher.X, publisher.ConnectTarget{})
	if err != nil {
		t.Fatal(err)
	}
	q := mustQuery(t, authURL)
	state := q.Get("state")
	if len(state) < 43 || q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" {
		t.Fatalf("consent URL %s: want a long random state and an S256 challenge", authURL)
	}
	if got := q.Get("redirect_uri"); got != "https://prasar.example/api/v1/oauth/x/callback" {
		t.Errorf("redirect_uri = %q", got)
	}
	// The state is stored, bound to the session, and its verifier sealed.
	a, err := e.store.GetAuthorization(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	if a.SessionID != e.sessEditor || a.UserID != e.editor.ID || a.OrgID != e.org.ID || a.Phase != publisher.AuthAuthorize ||
		!a.ExpiresAt.Equal(e.clock.Now().Add(publisher.AuthorizationTTL)) {
		t.Errorf("stored authorization = %+v", a)
	}
	if strings.Contains(a.Sealed, q.Get("code_challenge")) || !strings.HasPrefix(a.Sealed, "k1:") {
		t.Errorf("the verifier is not sealed: %q", a.Sealed)
	}
	// Approve; the callback comes back with the code.
	res, err := e.svc.CompleteConnect(as(e.editor), e.sessEditor, publisher.X, publisher.OAuthCallback{State: state, Code: e.x.approve(t, state)})
	if err != nil {
		t.Fatalf("CompleteConnect: %v", err)
	}
	if len(res.Accounts) != 1 {
		t.Fatalf("connected %d accounts", len(res.Accounts))
	}
	acct, cred := e.credentials(res.Accounts[0].ID)
	if acct.OrgID != e.org.ID || acct.ExternalID != "2244994945" || acct.Handle != "AgriHry" || acct.Status != publisher.AccountConnected ||
		acct.Sandbox || acct.TokenExpiresAt == nil || !acct.TokenExpiresAt.Equal(e.clock.Now().Add(2*time.Hour)) {
		t.Errorf("connected account = %+v", acct)
	}
	if !strings.HasPrefix(cred.AccessToken, "SECRET-access-x-") || !strings.HasPrefix(cred.RefreshToken, "SECRET-refresh-x-") {
		t.Errorf("stored credentials %q / %q are not the grant's", cred.AccessToken, cred.RefreshToken)
	}
	if b, _ := json.Marshal(res); bytes.Contains(b, []byte("SECRET")) {
		t.Errorf("the result carries a token: %s", b)
	}
	events, err := e.store.ListAudit(context.Background(), publisher.AuditFilter{ObjectID: acct.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !hasAudit(events, "account.connect", e.editor.ID) {
		t.Errorf("no account.connect audit event by the editor: %+v", events)
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func hasAudit(es []*publisher.AuditEvent, action, actor string) bool {
	for _, ev := range es {
		if ev.Action == action && (actor == "" || ev.ActorID == actor) {
			return true
		}
	}
	return false
}

func TestConnectStateIsBoundToTheSession(t *testing.T) {
	cases := []struct {
		name   string
		change func(e *connEnv, cb *publisher.OAuthCallback) (u *publisher.User, sess string, p publisher.Platform)
		reason string
		// kept: the refused attempt left the state for its rightful owner.
		kept bool
	}{
		{"another user's session", func(e *connEnv, _ *publisher.OAuthCallback) (*publisher.User, string, publisher.Platform) {
			return e.editor2, e.sessEditor2, publisher.X
		}, publisher.ConnectReasonState, true},
		{"another user with the victim's session id", func(e *connEnv, _ *publisher.OAuthCallback) (*publisher.User, string, publisher.Platform) {
			return e.other, e.sessEditor, publisher.X
		}, publisher.ConnectReasonState, false},
		{"the same user in another session", func(e *connEnv, _ *publisher.OAuthCallback) (*publisher.User, string, publisher.Platform) {
			return e.editor, "sess-editor-laptop", publisher.X
		}, publisher.ConnectReasonState, true},
		{"another platform's callback", func(e *connEnv, _ *publisher.OAuthCallback) (*publisher.User, string, publisher.Platform) {
			return e.editor, e.sessEditor, publisher.Facebook
		}, publisher.ConnectReasonState, false},
		{"a made-up state", func(e *connEnv, cb *publisher.OAuthCallback) (*publisher.User, string, publisher.Platform) {
			cb.State = publisher.NewToken(32)
			return e.editor, e.sessEditor, publisher.X
		}, publisher.ConnectReasonState, true},
		{"a malformed state", func(e *connEnv, cb *publisher.OAuthCallback) (*publisher.User, string, publisher.Platform) {
			cb.State = "../" + cb.State
			return e.editor, e.sessEditor, publisher.X
		}, publisher.ConnectReasonState, true},
		{"no session", func(e *connEnv, _ *publisher.OAuthCallback) (*publisher.User, string, publisher.Platform) {
			return e.editor, "", publisher.X
		}, publisher.ConnectReasonState, true},
		{"an expired state", func(e *connEnv, _ *publisher.OAuthCallback) (*publisher.User, string, publisher.Platform) {
			e.clock.Add(publisher.AuthorizationTTL + time.Second)
			return e.editor, e.sessEditor, publisher.X
		}, publisher.ConnectReasonExpired, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newConnEnv(t)
			authURL, err := e.svc.StartConnect(as(e.editor), e.sessEditor, publisher.X, publisher.ConnectTarget{})
			if err != nil {
				t.Fatal(err)
			}
			state := stateOf(t, authURL)
			cb := publisher.OAuthCallback{State: state, Code: e.x.approve(t, state)}
			u, sess, p := tc.change(e, &cb)
			_, err = e.svc.CompleteConnect(as(u), sess, p, cb)
			wantReason(t, err, tc.reason)
			if accts, _ := e.store.ListAccounts(context.Background(), publisher.AccountFilter{Platform: publisher.X}); len(accts) != 0 {
				t.Fatalf("an account was connected: %+v", accts[0])
			}
			// The rightful owner can still finish only if the attempt did
			// not spend the state.
			_, err = e.svc.CompleteConnect(as(e.editor), e.sessEditor, publisher.X, publisher.OAuthCallback{State: state, Code: cb.Code})
			if tc.kept && err != nil {
				t.Fatalf("the owner's own callback after the refused one: %v", err)
			}
			if !tc.kept && err == nil {
				t.Fatal("the state was used after a callback spent it")
			}
		})
	}

	t.Run("a state is used once", func(t *testing.T) {
		e := newConnEnv(t)
		authURL, err := e.svc.StartConnect(as(e.editor), e.sessEditor, publisher.X, publisher.ConnectTarget{})
		if err != nil {
			t.Fatal(err)
		}
		state := stateOf(t, authURL)
		code := e.x.approve(t, state)
		if _, err := e.svc.CompleteConnect(as(e.editor), e.sessEditor, publisher.X, publisher.OAuthCallback{State: state, Code: code}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.CompleteConnect(as(e.editor), e.sessEditor, publisher.X, publisher.OAuthCallback{State: state, Code: e.x.approve(t, state)})
		wantReason(t, err, publisher.ConnectReasonState)
	})

	t.Run("only those who may write for the organisation start", func(t *testing.T) {
		e := newConnEnv(t)
		_, err := e.svc.StartConnect(as(e.other), e.sessOther, publisher.X, publisher.ConnectTarget{OrgID: e.org.ID})
		wantCode(t, err, publisher.ENOTFOUND)
		_, err = e.svc.StartConnect(as(e.viewer), "sess-viewer", publisher.X, publisher.ConnectTarget{OrgID: e.org.ID})
		wantCode(t, err, publisher.EFORBIDDEN)
		_, err = e.svc.StartConnect(as(e.admin), e.sess, publisher.X, publisher.ConnectTarget{})
		wantField(t, err, "orgId", "required")
		_, err = e.svc.StartConnect(as(e.editor), e.sessEditor, publisher.Telegram, publisher.ConnectTarget{})
		wantField(t, err, "platform", "invalid_choice")
		_, err = e.svc.StartConnect(context.Background(), e.sessEditor, publisher.X, publisher.ConnectTarget{})
		wantCode(t, err, publisher.EUNAUTHORIZED)
		if _, err := e.svc.StartConnect(as(e.admin), e.sess, publisher.X, publisher.ConnectTarget{OrgID: e.otherOrg.ID}); err != nil {
			t.Errorf("an admin connecting for any organisation: %v", err)
		}
	})
}

func TestConnectFailuresSayWhy(t *testing.T) {
	e := newConnEnv(t)
	start := func() string {
		authURL, err := e.svc.StartConnect(as(e.editor), e.sessEditor, publisher.X, publisher.ConnectTarget{})
		if err != nil {
			t.Fatal(err)
		}
		return stateOf(t, authURL)
	}
	state := start()
	_, err := e.svc.CompleteConnect(as(e.editor), e.sessEditor, publisher.X, publisher.OAuthCallback{State: state, Error: "access_denied", ErrorDescription: "The user denied"})
	wantReason(t, err, publisher.ConnectReasonDenied)

	state = start()
	_, err = e.svc.CompleteConnect(as(e.editor), e.sessEditor, publisher.X, publisher.OAuthCallback{State: state, Error: "server_error", ErrorDescription: "Try later"})
	wantReason(t, err, publisher.ConnectReasonPlatform)
	if _, detail := publisher.ConnectReason(err); detail != "server_error: Try later" {
		t.Errorf("detail = %q, want the platform's words", detail)
	}

	state = start()
	_, err = e.svc.CompleteConnect(as(e.editor), e.sessEditor, publisher.X, publisher.OAuthCallback{State: state, Code: "code-never-issued"})
	wantReason(t, err, publisher.ConnectReasonExchange)
	if _, detail := publisher.ConnectReason(err); !strings.Contains(detail, "invalid_grant") {
		t.Errorf("detail = %q, want the platform's words", detail)
	}

	// A wrong PKCE verifier is refused by the platform: the service must
	// send the verifier that matches the challenge, so tamper with the
	// stored one to prove the platform checks it.
	state = start()
	code := e.x.approve(t, state)
	a, err := e.store.TakeAuthorization(context.Background(), state, e.sessEditor, publisher.AuthAuthorize)
	if err != nil {
		t.Fatal(err)
	}
	if a.Sealed, err = e.keyring.Seal(a.ID, []byte(publisher.NewToken(32))); err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateAuthorization(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.CompleteConnect(as(e.editor), e.sessEditor, publisher.X, publisher.OAuthCallback{State: state, Code: code})
	wantReason(t, err, publisher.ConnectReasonExchange)

	e.x.grants = nil
	state = start()
	_, err = e.svc.CompleteConnect(as(e.editor), e.sessEditor, publisher.X, publisher.OAuthCallback{State: state, Code: e.x.approve(t, state)})
	wantReason(t, err, publisher.ConnectReasonNoAccounts)
	if accts, _ := e.store.ListAccounts(context.Background(), publisher.AccountFilter{}); len(accts) != 0 {
		t.Errorf("failed connections left accounts: %+v", accts)
	}
}

func TestConnectSelectionOfGrantedPages(t *testing.T) {
	e := newConnEnv(t)
	sys := publisher.SystemContext(context.Background())
	// Page 1003 is the health department's already.
	if _, err := e.svc.SaveAccount(sys, publisher.AccountInput{OrgID: e.otherOrg.ID, Platform: publisher.Facebook, Handle: "Swasthya Haryana",
		ExternalID: "1003", Credentials: &publisher.Credentials{AccessToken: "SECRET-health-page"}}); err != nil {
		t.Fatal(err)
	}
	authURL, err := e.svc.StartConnect(as(e.editor), e.sessEditor, publisher.Facebook, publisher.ConnectTarget{OrgID: e.org.ID})
	if err != nil {
		t.Fatal(err)
	}
	if q := mustQuery(t, authURL); q.Get("code_challenge") != "" {
		t.Errorf("a platform without PKCE got a challenge: %s", authURL)
	}
	state := stateOf(t, authURL)
	res, err := e.svc.CompleteConnect(as(e.editor), e.sessEditor, publisher.Facebook, publisher.OAuthCallback{State: state, Code: e.fb.approve(t, state)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Selection == nil || len(res.Accounts) != 0 {
		t.Fatalf("three Pages granted: want a selection, got %+v", res)
	}
	sel := res.Selection
	want := map[string]bool{"1001": true, "1002": false, "1003": false} // selectable
	for _, a := range sel.Accounts {
		if (a.Problem == "") != want[a.ExternalID] {
			t.Errorf("page %s: problem %q, selectable want %v", a.ExternalID, a.Problem, want[a.ExternalID])
		}
	}
	if b, _ := json.Marshal(sel); bytes.Contains(b, []byte("SECRET")) || bytes.Contains(b, []byte("ccessToken")) {
		t.Errorf("the selection carries credentials: %s", b)
	}
	// Only this session sees and completes it.
	_, err = e.svc.GetSelection(as(e.editor2), e.sessEditor2, sel.ID)
	wantCode(t, err, publisher.ENOTFOUND)
	_, err = e.svc.CompleteSelection(as(e.editor2), e.sessEditor2, sel.ID, []string{"1001"})
	wantCode(t, err, publisher.ENOTFOUND)
	got, err := e.svc.GetSelection(as(e.editor), e.sessEditor, sel.ID)
	if err != nil || len(got.Accounts) != 3 {
		t.Fatalf("GetSelection = %+v, %v", got, err)
	}
	_, err = e.svc.CompleteSelection(as(e.editor), e.sessEditor, sel.ID, []string{"1002"})
	wantField(t, err, "externalIds", "invalid_choice")
	_, err = e.svc.CompleteSelection(as(e.editor), e.sessEditor, sel.ID, []string{"1003"})
	wantField(t, err, "externalIds", "invalid_choice")
	_, err = e.svc.CompleteSelection(as(e.editor), e.sessEditor, sel.ID, nil)
	wantField(t, err, "externalIds", "required")
	done, err := e.svc.CompleteSelection(as(e.editor), e.sessEditor, sel.ID, []string{"1001"})
	if err != nil {
		t.Fatal(err)
	}
	if len(done.Accounts) != 1 || done.Accounts[0].ExternalID != "1001" || done.Accounts[0].OrgID != e.org.ID || !done.Accounts[0].Sandbox {
		t.Fatalf("connected %+v", done.Accounts)
	}
	if _, cred := e.credentials(done.Accounts[0].ID); !strings.HasPrefix(cred.AccessToken, "SECRET-access-facebook-") {
		t.Errorf("page credentials = %q", cred.AccessToken)
	}
	_, err = e.svc.CompleteSelection(as(e.editor), e.sessEditor, sel.ID, []string{"1001"})
	wantCode(t, err, publisher.ENOTFOUND)

	// A selection expires.
	state = stateOf(t, mustStart(t, e.svc, e.editor, e.sessEditor, publisher.Facebook))
	res, err = e.svc.CompleteConnect(as(e.editor), e.sessEditor, publisher.Facebook, publisher.OAuthCallback{State: state, Code: e.fb.approve(t, state)})
	if err != nil || res.Selection == nil {
		t.Fatalf("second login: %+v %v", res, err)
	}
	e.clock.Add(publisher.AuthorizationTTL)
	_, err = e.svc.CompleteSelection(as(e.editor), e.sessEditor, res.Selection.ID, []string{"1001"})
	wantCode(t, err, publisher.ENOTFOUND)
}

func mustStart(t *testing.T, svc *publisher.Service, u *publisher.User, sess string, p publisher.Platform) string {
	t.Helper()
	authURL, err := svc.StartConnect(as(u), sess, p, publisher.ConnectTarget{})
	if err != nil {
		t.Fatal(err)
	}
	return authURL
}

func TestReconnectSendsWaitingDeliveries(t *testing.T) {
	e := newConnEnv(t)
	acct := e.connectX(e.editor, e.sessEditor, publisher.ConnectTarget{})
	_, oldCred := e.credentials(acct.ID)
	// The grant is revoked on X: the delivery waits for a reconnection.
	e.x.mu.Lock()
	clear(e.x.access)
	clear(e.x.live)
	e.x.mu.Unlock()
	p := newPost(t, e.svc, e.editor, e.admin, acct)
	if err := e.svc.Fanout(context.Background(), p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	ds, _, _ := e.store.ListDeliveries(context.Background(), publisher.DeliveryFilter{PostID: p.ID})
	if err := e.svc.Deliver(context.Background(), ds[0].ID); err != nil {
		t.Fatal(err)
	}
	if d, _ := e.store.GetDelivery(context.Background(), ds[0].ID); d.Status != publisher.DeliveryNeedsReconnect {
		t.Fatalf("delivery = %s, want needs_reconnect", d.Status)
	}
	if a, _ := e.store.GetAccount(context.Background(), acct.ID); a.Status != publisher.AccountNeedsReconnect {
		t.Fatalf("account = %s, want needs_reconnect", a.Status)
	}
	// The officers hear of it (the organisation has no officer with a
	// user account, so its editors do).
	if ns := e.notifications(e.editor); len(ns) != 1 || ns[0].Kind != "account.needs_reconnect" || ns[0].OrgID != e.org.ID {
		t.Fatalf("notifications = %+v", ns)
	}

	// Reconnecting through another X account is refused.
	e.x.grants[0].ExternalID = "999"
	state := stateOf(t, mustStartFor(t, e.svc, e.editor, e.sessEditor, publisher.X, acct.ID))
	_, err := e.svc.CompleteConnect(as(e.editor), e.sessEditor, publisher.X, publisher.OAuthCallback{State: state, Code: e.x.approve(t, state)})
	wantReason(t, err, publisher.ConnectReasonMismatch)
	e.x.grants[0].ExternalID = acct.ExternalID

	_, queuedBefore := e.queue.counts()
	re := e.connectX(e.editor, e.sessEditor, publisher.ConnectTarget{AccountID: acct.ID})
	if re.ID != acct.ID || re.Status != publisher.AccountConnected {
		t.Fatalf("reconnected %+v", re)
	}
	if _, c := e.credentials(acct.ID); c.AccessToken == oldCred.AccessToken {
		t.Error("the reconnection kept the old token")
	}
	if d, _ := e.store.GetDelivery(context.Background(), ds[0].ID); d.Status != publisher.DeliveryQueued {
		t.Errorf("waiting delivery = %s after the reconnection, want queued", d.Status)
	}
	if _, queued := e.queue.counts(); queued != queuedBefore+1 {
		t.Errorf("deliveries enqueued: %d → %d, want one more", queuedBefore, queued)
	}
	if err := e.svc.Deliver(context.Background(), ds[0].ID); err != nil {
		t.Fatal(err)
	}
	if d, _ := e.store.GetDelivery(context.Background(), ds[0].ID); d.Status != publisher.DeliveryPublished {
		t.Errorf("delivery after reconnection = %s, want published", d.Status)
	}
}

func mustStartFor(t *testing.T, svc *publisher.Service, u *publisher.User, sess string, p publisher.Platform, accountID string) string {
	t.Helper()
	authURL, err := svc.StartConnect(as(u), sess, p, publisher.ConnectTarget{AccountID: accountID})
	if err != nil {
		t.Fatal(err)
	}
	return authURL
}

// newPost writes, submits and approves a text post for the accounts.
func newPost(t *testing.T, svc *publisher.Service, editor, approver *publisher.User, accts ...*publisher.Account) *publisher.Post {
	t.Helper()
	var ids []string
	for _, a := range accts {
		ids = append(ids, a.ID)
	}
	p, err := svc.CreatePost(as(editor), publisher.PostInput{Content: publisher.Content{BodyHI: "किसान भाई ध्यान दें " + publisher.NewToken(4)}, Targets: ids})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = svc.SubmitPost(as(editor), p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	if p, err = svc.ApprovePost(as(approver), p.ID, p.Revision, ""); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReconnectKeepsARefreshTokenTheGrantLacks(t *testing.T) {
	e := newConnEnv(t)
	acct := e.connectX(e.editor, e.sessEditor, publisher.ConnectTarget{})
	_, first := e.credentials(acct.ID)
	// The platform issues no refresh token on a second consent (as Google
	// does): the one of the first grant stays.
	e.x.mu.Lock()
	e.x.stripRefresh = true
	e.x.mu.Unlock()
	re := e.connectX(e.editor, e.sessEditor, publisher.ConnectTarget{AccountID: acct.ID})
	_, second := e.credentials(re.ID)
	if second.AccessToken == first.AccessToken || second.RefreshToken != first.RefreshToken {
		t.Errorf("after a grant without a refresh token: access %q (was %q), refresh %q (was %q); want a new access token and the old refresh token",
			second.AccessToken, first.AccessToken, second.RefreshToken, first.RefreshToken)
	}
}

func TestConnectWithCredentialForm(t *testing.T) {
	e := newConnEnv(t)
	_, err := e.svc.ConnectWithCredentials(as(e.editor), publisher.Telegram, publisher.CredentialsInput{Values: map[string]string{"channel": "@agrihry"}})
	wantField(t, err, "values.bot_token", "required")
	_, err = e.svc.ConnectWithCredentials(as(e.editor), publisher.Telegram, publisher.CredentialsInput{Values: map[string]string{"bot_token": "1", "channel": "@a", "extra": "x"}})
	wantField(t, err, "values.extra", "unknown_field")
	_, err = e.svc.ConnectWithCredentials(as(e.editor), publisher.Telegram, publisher.CredentialsInput{Values: map[string]string{"bot_token": "123:SECRET-wrong", "channel": "@agrihry"}})
	f := wantField(t, err, "values.bot_token", "credentials_refused")
	if !strings.Contains(f.Message, "revoked or is wrong") {
		t.Errorf("message = %q, want the platform's words", f.Message)
	}
	_, err = e.svc.ConnectWithCredentials(as(e.editor), publisher.Telegram, publisher.CredentialsInput{Values: map[string]string{"bot_token": "123:SECRET-bot-token", "channel": "@notadmin"}})
	wantField(t, err, "values", "credentials_refused")
	_, err = e.svc.ConnectWithCredentials(as(e.editor), publisher.Telegram, publisher.CredentialsInput{Values: map[string]string{"bot_token": "123:SECRET-bot-token", "channel": "@down"}})
	wantCode(t, err, publisher.EUNAVAILABLE)
	_, err = e.svc.ConnectWithCredentials(as(e.viewer), publisher.Telegram, publisher.CredentialsInput{OrgID: e.org.ID, Values: map[string]string{"bot_token": "123:SECRET-bot-token", "channel": "@agrihry"}})
	wantCode(t, err, publisher.EFORBIDDEN)
	_, err = e.svc.ConnectWithCredentials(as(e.editor), publisher.X, publisher.CredentialsInput{Values: map[string]string{}})
	wantField(t, err, "platform", "invalid_choice")

	a, err := e.svc.ConnectWithCredentials(as(e.editor), publisher.Telegram, publisher.CredentialsInput{Values: map[string]string{"bot_token": " 123:SECRET-bot-token ", "channel": "@agrihry"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.OrgID != e.org.ID || a.Handle != "@agrihry" || a.ExternalID != "-1001agrihry" || a.Status != publisher.AccountConnected {
		t.Errorf("connected %+v", a)
	}
	if _, c := e.credentials(a.ID); c.AccessToken != "123:SECRET-bot-token" {
		t.Errorf("stored bot token %q, want the trimmed one", c.AccessToken)
	}
	// Reconnecting the channel with a form for another channel is refused.
	_, err = e.svc.ConnectWithCredentials(as(e.editor), publisher.Telegram, publisher.CredentialsInput{AccountID: a.ID, Values: map[string]string{"bot_token": "123:SECRET-bot-token", "channel": "@other"}})
	wantReason(t, err, publisher.ConnectReasonMismatch)
	if strings.Contains(fmt.Sprint(err), "SECRET") {
		t.Errorf("an error carries the token: %v", err)
	}
}

func TestDisconnectRevokesAndDropsCredentials(t *testing.T) {
	e := newConnEnv(t)
	acct := e.connectX(e.editor, e.sessEditor, publisher.ConnectTarget{})
	_, cred := e.credentials(acct.ID)
	_, err := e.svc.DisconnectAccount(as(e.other), acct.ID)
	wantCode(t, err, publisher.ENOTFOUND)
	_, err = e.svc.DisconnectAccount(as(e.viewer), acct.ID)
	wantCode(t, err, publisher.EFORBIDDEN)
	res, err := e.svc.DisconnectAccount(as(e.editor), acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Revoked || res.Account.Status != publisher.AccountDisconnected || res.Account.Secret != "" || res.Account.TokenExpiresAt != nil {
		t.Errorf("disconnect = %+v / %+v", res, res.Account)
	}
	if len(e.x.revoked) != 1 || e.x.revoked[0] != cred.RefreshToken {
		t.Errorf("revoked %v, want the account's grant", e.x.revoked)
	}
	stored, err := e.store.GetAccount(context.Background(), acct.ID)
	if err != nil || stored.Secret != "" || stored.Status != publisher.AccountDisconnected {
		t.Errorf("stored after disconnect: %+v %v", stored, err)
	}
	// A platform that fails to revoke: the credentials go anyway, and the
	// person is told to remove the app on the platform.
	acct = e.connectX(e.editor, e.sessEditor, publisher.ConnectTarget{AccountID: acct.ID})
	e.x.revokeErr = &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Service Unavailable"}
	res, err = e.svc.DisconnectAccount(as(e.admin), acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Revoked || !strings.Contains(res.RevokeError, "Service Unavailable") || res.Account.Status != publisher.AccountDisconnected {
		t.Errorf("disconnect with a failed revoke = %+v", res)
	}
	events, _ := e.store.ListAudit(context.Background(), publisher.AuditFilter{ObjectID: acct.ID})
	if !hasAudit(events, "account.disconnect", e.admin.ID) {
		t.Error("no account.disconnect audit event")
	}
}

func TestConnectMethods(t *testing.T) {
	e := newConnEnv(t)
	ms, err := e.svc.ConnectMethods(as(e.admin))
	if err != nil {
		t.Fatal(err)
	}
	got := map[publisher.Platform]publisher.ConnectMethod{}
	for _, m := range ms {
		got[m.Platform] = m
	}
	if m := got[publisher.X]; m.Method != publisher.ConnectOAuth || m.RedirectURL != "https://prasar.example/api/v1/oauth/x/callback" || m.Sandbox {
		t.Errorf("X = %+v", m)
	}
	if m := got[publisher.Facebook]; m.Method != publisher.ConnectOAuth || !m.Sandbox {
		t.Errorf("Facebook = %+v", m)
	}
	if m := got[publisher.Telegram]; m.Method != publisher.ConnectForm || len(m.Fields) != 2 || !m.Fields[0].Secret {
		t.Errorf("Telegram = %+v", m)
	}
	// X's connector renews tokens; Telegram's bot tokens do not expire.
	if !got[publisher.X].Renewable || got[publisher.Telegram].Renewable {
		t.Errorf("renewable: X %v, Telegram %v; want true, false", got[publisher.X].Renewable, got[publisher.Telegram].Renewable)
	}
	ms, _ = e.svc.ConnectMethods(as(e.editor))
	for _, m := range ms {
		if m.RedirectURL != "" {
			t.Errorf("an editor is shown the app's redirect URL: %+v", m)
		}
	}
}

// Compile-time checks that the fakes have the capabilities under test.
var (
	_ publisher.Authorizer     = (*oauthFake)(nil)
	_ publisher.Refresher      = (*oauthFake)(nil)
	_ publisher.Revoker        = (*oauthFake)(nil)
	_ publisher.CredentialForm = (*formFake)(nil)
)
