package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// The connection routes over HTTP, on the real service and store, with an
// OAuth platform fake (PKCE, one or several accounts per login) and a
// credential-form fake. Every token the fakes mint starts with "SECRET-"
// and is registered with the env: the env fails the test if any response
// body or log line holds one.

type authFake struct {
	rules  publisher.PlatformRules
	pkce   bool
	grants []publisher.GrantedAccount
	e      *env

	mu    sync.Mutex
	auths map[string]string // state → challenge
	codes map[string]string // code → challenge
	seq   int
}

func newAuthFake(e *env, p publisher.Platform, pkce bool, grants ...publisher.GrantedAccount) *authFake {
	return &authFake{rules: publisher.PlatformRules{Platform: p, MaxChars: 280, CountUnit: "characters", MaxImages: 4, Enabled: true},
		pkce: pkce, grants: grants, e: e, auths: map[string]string{}, codes: map[string]string{}}
}

func (f *authFake) Platform() publisher.Platform   { return f.rules.Platform }
func (f *authFake) Rules() publisher.PlatformRules { return f.rules }
func (f *authFake) Measure(m publisher.Message) publisher.Measure {
	return publisher.Measure{Count: len([]rune(m.Text)), Limit: f.rules.MaxChars}
}
func (f *authFake) Publish(context.Context, *publisher.Account, publisher.Credentials, publisher.Message) (*publisher.Published, error) {
	return &publisher.Published{ExternalID: "1", URL: "https://x.example/1"}, nil
}
func (f *authFake) Lookup(context.Context, *publisher.Account, publisher.Credentials, publisher.Message, time.Time) (*publisher.Published, error) {
	return nil, publisher.ErrNotPublished
}

func challenge(v string) string {
	h := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func (f *authFake) AuthCodeURL(state, verifier, redirectURL string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auths[state] = challenge(verifier)
	return "https://" + string(f.rules.Platform) + ".example/oauth/authorize?" + url.Values{"state": {state}, "redirect_uri": {redirectURL}}.Encode()
}

// approve is the consent page's Approve button: the code for state.
func (f *authFake) approve(t *testing.T, state string) string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	ch, ok := f.auths[state]
	if !ok {
		t.Fatalf("no consent page was opened for state %q", state)
	}
	f.seq++
	code := fmt.Sprintf("SECRET-code-%d", f.seq)
	f.codes[code] = ch
	f.e.secret(code)
	return code
}

func (f *authFake) Exchange(_ context.Context, code, verifier, redirectURL string) ([]publisher.GrantedAccount, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch, ok := f.codes[code]
	delete(f.codes, code)
	if !ok || (f.pkce && challenge(verifier) != ch) || !strings.HasSuffix(redirectURL, "/api/v1/oauth/"+string(f.rules.Platform)+"/callback") {
		return nil, &publisher.PlatformError{Class: publisher.ClassRejected, Message: "invalid_grant"}
	}
	out := make([]publisher.GrantedAccount, len(f.grants))
	for i, g := range f.grants {
		f.seq++
		g.Credentials = publisher.Credentials{AccessToken: fmt.Sprintf("SECRET-access-%d", f.seq), RefreshToken: fmt.Sprintf("SECRET-refresh-%d", f.seq)}
		f.e.secret(g.Credentials.AccessToken)
		f.e.secret(g.Credentials.RefreshToken)
		out[i] = g
	}
	return out, nil
}

type formConn struct{ rules publisher.PlatformRules }

func (f *formConn) Platform() publisher.Platform   { return f.rules.Platform }
func (f *formConn) Rules() publisher.PlatformRules { return f.rules }
func (f *formConn) Measure(m publisher.Message) publisher.Measure {
	return publisher.Measure{Count: len([]rune(m.Text)), Limit: f.rules.MaxChars}
}
func (f *formConn) Publish(context.Context, *publisher.Account, publisher.Credentials, publisher.Message) (*publisher.Published, error) {
	return &publisher.Published{ExternalID: "1"}, nil
}
func (f *formConn) Lookup(context.Context, *publisher.Account, publisher.Credentials, publisher.Message, time.Time) (*publisher.Published, error) {
	return nil, publisher.ErrNotPublished
}
func (f *formConn) CredentialFields() []publisher.CredentialField {
	return []publisher.CredentialField{{Name: "bot_token", Label: "Bot token", Secret: true, Required: true}, {Name: "channel", Label: "Channel", Required: true}}
}
func (f *formConn) VerifyCredentials(_ context.Context, v map[string]string) (*publisher.GrantedAccount, error) {
	if v["bot_token"] != botToken {
		return nil, &publisher.PlatformError{Class: publisher.ClassAuth, Message: "Unauthorized"}
	}
	return &publisher.GrantedAccount{ExternalID: "-100" + strings.TrimPrefix(v["channel"], "@"), Handle: v["channel"],
		Credentials: publisher.Credentials{AccessToken: v["bot_token"]}}, nil
}

const botToken = "123456:SECRET-bot-token-AAH"

// connectEnv is the usual env with the connection fakes in place of its
// X fake, plus Facebook (several Pages per login) and Telegram (a form).
type connectEnv struct {
	*env
	x, fb *authFake
}

func newConnectEnv(t *testing.T) *connectEnv {
	t.Helper()
	e := newEnv(t)
	e.secret(botToken)
	ce := &connectEnv{env: e}
	ce.x = newAuthFake(e, publisher.X, true, publisher.GrantedAccount{ExternalID: "ext-agri_x", Handle: "agri_x", DisplayName: "Agriculture"})
	ce.fb = newAuthFake(e, publisher.Facebook, false,
		publisher.GrantedAccount{ExternalID: "1001", Handle: "Krishi Vibhag", DisplayName: "Krishi Vibhag"},
		publisher.GrantedAccount{ExternalID: "1002", Handle: "Kisan Mitra", DisplayName: "Kisan Mitra", Problem: "You may only analyse this Page."})
	e.conns = []publisher.Connector{ce.x, ce.fb, e.conns[1], &formConn{rules: publisher.PlatformRules{Platform: publisher.Telegram, MaxChars: 4096, Enabled: true}}}
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.svc = e.newService(publisher.Config{BaseURL: testBaseURL, MaxUploadBytes: 64 << 10, MaxFailures: 1}, logger)
	e.handler = NewHandler(Config{BaseURL: testBaseURL, EventPoll: time.Hour, KeepAlive: time.Hour}, e.svc, e.ui, logger)
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	e.srv = srv
	return ce
}

// navigate is the browser following the platform's redirect to the
// callback: a top-level GET with the session cookie and no CSRF header.
// It does not follow Prasar's own redirect, and returns its Location.
func (c *client) navigate(path string) navResult {
	c.e.t.Helper()
	req, err := http.NewRequest("GET", c.e.srv.URL+path, nil)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if c.cookie != nil {
		req.AddCookie(&http.Cookie{Name: c.cookie.Name, Value: c.cookie.Value})
	}
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := cl.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	c.e.record(b)
	c.e.record([]byte(res.Header.Get("Location")))
	return navResult{res.StatusCode, res.Header.Get("Location")}
}

// navResult is the callback's answer: its status and Location.
type navResult struct {
	status int
	loc    string
}

// start starts the redirect flow for platform p and returns the state.
func (c *client) start(p publisher.Platform, body any) string {
	c.e.t.Helper()
	var v struct {
		AuthURL string `json:"authUrl"`
	}
	c.do("POST", "/api/v1/oauth/"+string(p)+"/start", body).want(c.e.t, http.StatusOK).data(c.e.t, &v)
	u, err := url.Parse(v.AuthURL)
	if err != nil || u.Query().Get("state") == "" {
		c.e.t.Fatalf("authUrl %q has no state", v.AuthURL)
	}
	return u.Query().Get("state")
}

func callbackPath(p publisher.Platform, q url.Values) string {
	return "/api/v1/oauth/" + string(p) + "/callback?" + q.Encode()
}

// resultOf parses the result page's address.
func resultOf(t *testing.T, r navResult) url.Values {
	t.Helper()
	status, loc := r.status, r.loc
	if status != http.StatusSeeOther {
		t.Fatalf("callback status %d, want 303", status)
	}
	u, err := url.Parse(loc)
	if err != nil || u.Path != connectResultPath {
		t.Fatalf("callback went to %q, want the result page", loc)
	}
	return u.Query()
}

func TestOAuthConnectOverHTTP(t *testing.T) {
	e := newConnectEnv(t)
	a := e.signIn(e.editorA)
	// Starting needs the CSRF token like every POST.
	a.do("POST", "/api/v1/oauth/x/start", map[string]any{}, withHeader("X-CSRF-Token", "")).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	state := a.start(publisher.X, map[string]any{})
	code := e.x.approve(t, state)
	res := resultOf(t, a.navigate(callbackPath(publisher.X, url.Values{"state": {state}, "code": {code}})))
	if res.Get("error") != "" || res.Get("platform") != "x" || res.Get("accounts") != e.xA.ID {
		t.Fatalf("result = %v, want the existing X account %s reconnected", res, e.xA.ID)
	}
	var got publisher.Account
	a.do("GET", "/api/v1/accounts", nil).want(t, http.StatusOK)
	accts, err := e.store.ListAccounts(context.Background(), publisher.AccountFilter{Platform: publisher.X, OrgID: e.orgA.ID})
	if err != nil || len(accts) != 1 {
		t.Fatalf("accounts %v %v", accts, err)
	}
	got = *accts[0]
	cred, err := e.keyring.OpenCredentials(got.ID, got.Secret)
	if err != nil || !strings.HasPrefix(cred.AccessToken, "SECRET-access-") || got.Status != publisher.AccountConnected {
		t.Errorf("stored account %+v, token %q (%v)", got, cred.AccessToken, err)
	}
	// The same state again is refused.
	res = resultOf(t, a.navigate(callbackPath(publisher.X, url.Values{"state": {state}, "code": {code}})))
	if res.Get("error") != publisher.ConnectReasonState {
		t.Errorf("a reused state: result %v, want error=state", res)
	}
}

func TestOAuthCallbackRefusals(t *testing.T) {
	cases := []struct {
		name   string
		run    func(e *connectEnv, owner *client, state, code string) navResult
		reason string
	}{
		{"another user's browser", func(e *connectEnv, _ *client, state, code string) navResult {
			return e.signIn(e.editorA2).navigate(callbackPath(publisher.X, url.Values{"state": {state}, "code": {code}}))
		}, publisher.ConnectReasonState},
		{"an admin's browser", func(e *connectEnv, _ *client, state, code string) navResult {
			return e.signIn(e.admin).navigate(callbackPath(publisher.X, url.Values{"state": {state}, "code": {code}}))
		}, publisher.ConnectReasonState},
		{"the same user in another sign-in", func(e *connectEnv, _ *client, state, code string) navResult {
			return e.signIn(e.editorA).navigate(callbackPath(publisher.X, url.Values{"state": {state}, "code": {code}}))
		}, publisher.ConnectReasonState},
		{"no session", func(e *connectEnv, _ *client, state, code string) navResult {
			return e.anon().navigate(callbackPath(publisher.X, url.Values{"state": {state}, "code": {code}}))
		}, "session"},
		{"expired", func(e *connectEnv, owner *client, state, code string) navResult {
			e.clock.advance(publisher.AuthorizationTTL + time.Second)
			return owner.navigate(callbackPath(publisher.X, url.Values{"state": {state}, "code": {code}}))
		}, publisher.ConnectReasonExpired},
		{"denied on the consent page", func(e *connectEnv, owner *client, state, _ string) navResult {
			return owner.navigate(callbackPath(publisher.X, url.Values{"state": {state}, "error": {"access_denied"}}))
		}, publisher.ConnectReasonDenied},
		{"another platform's callback", func(e *connectEnv, owner *client, state, code string) navResult {
			return owner.navigate(callbackPath(publisher.Facebook, url.Values{"state": {state}, "code": {code}}))
		}, publisher.ConnectReasonState},
		{"an unknown platform", func(e *connectEnv, owner *client, state, code string) navResult {
			return owner.navigate(callbackPath("myspace", url.Values{"state": {state}, "code": {code}}))
		}, publisher.ConnectReasonState},
		{"a forged code", func(e *connectEnv, owner *client, state, _ string) navResult {
			return owner.navigate(callbackPath(publisher.X, url.Values{"state": {state}, "code": {"forged"}}))
		}, publisher.ConnectReasonExchange},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newConnectEnv(t)
			owner := e.signIn(e.editorA)
			state := owner.start(publisher.X, nil)
			code := e.x.approve(t, state)
			before, _ := e.keyring.OpenCredentials(e.xA.ID, mustAccount(t, e.env, e.xA.ID).Secret)
			res := resultOf(t, tc.run(e, owner, state, code))
			if res.Get("error") != tc.reason || res.Get("accounts") != "" {
				t.Fatalf("result = %v, want error=%s", res, tc.reason)
			}
			after, _ := e.keyring.OpenCredentials(e.xA.ID, mustAccount(t, e.env, e.xA.ID).Secret)
			if after.AccessToken != before.AccessToken {
				t.Error("a refused callback changed the account's credentials")
			}
		})
	}
}

func mustAccount(t *testing.T, e *env, id string) *publisher.Account {
	t.Helper()
	a, err := e.store.GetAccount(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestOAuthSelectionOverHTTP(t *testing.T) {
	e := newConnectEnv(t)
	a := e.signIn(e.editorA)
	state := a.start(publisher.Facebook, map[string]any{"orgId": e.orgA.ID})
	nr := a.navigate(callbackPath(publisher.Facebook, url.Values{"state": {state}, "code": {e.fb.approve(t, state)}}))
	status, loc := nr.status, nr.loc
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, connectSelectionPath) {
		t.Fatalf("callback: %d %q, want the selection page", status, loc)
	}
	id := strings.TrimPrefix(loc, connectSelectionPath)
	var sel publisher.Selection
	a.do("GET", "/api/v1/oauth/selections/"+id, nil).want(t, http.StatusOK).data(t, &sel)
	if len(sel.Accounts) != 2 || sel.Accounts[0].Problem != "" || sel.Accounts[1].Problem == "" {
		t.Fatalf("selection = %+v", sel)
	}
	// Another user, even of the same organisation, cannot see or use it.
	b := e.signIn(e.editorA2)
	b.do("GET", "/api/v1/oauth/selections/"+id, nil).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
	b.do("POST", "/api/v1/oauth/selections/"+id, map[string]any{"externalIds": []string{"1001"}}).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
	a.do("POST", "/api/v1/oauth/selections/"+id, map[string]any{"externalIds": []string{"1002"}}).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	var res publisher.ConnectResult
	a.do("POST", "/api/v1/oauth/selections/"+id, map[string]any{"externalIds": []string{"1001"}}).want(t, http.StatusOK).data(t, &res)
	if len(res.Accounts) != 1 || res.Accounts[0].ExternalID != "1001" || res.Accounts[0].Status != publisher.AccountConnected {
		t.Fatalf("connected %+v", res.Accounts)
	}
	a.do("POST", "/api/v1/oauth/selections/"+id, map[string]any{"externalIds": []string{"1001"}}).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
}

func TestCredentialFormOverHTTP(t *testing.T) {
	e := newConnectEnv(t)
	a := e.signIn(e.editorA)
	r := a.do("POST", "/api/v1/connect/telegram", map[string]any{"values": map[string]string{"bot_token": "123:SECRET-wrong-token", "channel": "@agri"}})
	e.secret("123:SECRET-wrong-token")
	eb := r.wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	eb.field(t, "values.bot_token")
	a.do("POST", "/api/v1/connect/telegram", map[string]any{"values": map[string]string{"channel": "@agri"}}).
		wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "values.bot_token")
	a.do("POST", "/api/v1/connect/myspace", map[string]any{"values": map[string]string{}}).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
	var acct publisher.Account
	a.do("POST", "/api/v1/connect/telegram", map[string]any{"values": map[string]string{"bot_token": botToken, "channel": "@agri"}}).
		want(t, http.StatusOK).data(t, &acct)
	if acct.Platform != publisher.Telegram || acct.OrgID != e.orgA.ID || acct.Status != publisher.AccountConnected {
		t.Fatalf("connected %+v", acct)
	}
	// Editors of another organisation cannot connect for this one.
	e.signIn(e.editorB).do("POST", "/api/v1/connect/telegram", map[string]any{"orgId": e.orgA.ID, "values": map[string]string{"bot_token": botToken, "channel": "@x"}}).
		wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
}

func TestDisconnectAndRenewOverHTTP(t *testing.T) {
	e := newConnectEnv(t)
	e.signIn(e.editorB).do("POST", "/api/v1/accounts/"+e.xA.ID+"/disconnect", nil).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
	e.signIn(e.viewer).do("POST", "/api/v1/accounts/"+e.xA.ID+"/disconnect", nil).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	a := e.signIn(e.editorA)
	// The fake X cannot renew tokens: renewing says so.
	a.do("POST", "/api/v1/accounts/"+e.xA.ID+"/refresh", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	var res publisher.DisconnectResult
	a.do("POST", "/api/v1/accounts/"+e.xA.ID+"/disconnect", nil).want(t, http.StatusOK).data(t, &res)
	if res.Account == nil || res.Account.Status != publisher.AccountDisconnected {
		t.Fatalf("disconnect = %+v", res)
	}
	if got := mustAccount(t, e.env, e.xA.ID); got.Secret != "" || got.Status != publisher.AccountDisconnected {
		t.Errorf("stored after disconnect: status %s, secret kept %v", got.Status, got.Secret != "")
	}
}

func TestConnectMethodsOverHTTP(t *testing.T) {
	e := newConnectEnv(t)
	var ms []publisher.ConnectMethod
	e.signIn(e.admin).do("GET", "/api/v1/connect", nil).want(t, http.StatusOK).data(t, &ms)
	byP := map[publisher.Platform]publisher.ConnectMethod{}
	for _, m := range ms {
		byP[m.Platform] = m
	}
	if byP[publisher.X].Method != "oauth" || byP[publisher.X].RedirectURL != testBaseURL+"/api/v1/oauth/x/callback" {
		t.Errorf("X = %+v", byP[publisher.X])
	}
	if m := byP[publisher.Telegram]; m.Method != "form" || len(m.Fields) != 2 {
		t.Errorf("Telegram = %+v", m)
	}
	if m := byP[publisher.Instagram]; m.Method != "" || m.Reason == "" {
		t.Errorf("a platform without OAuth or a form = %+v", m)
	}
	e.anon().do("GET", "/api/v1/connect", nil).wantError(t, http.StatusUnauthorized, publisher.EUNAUTHORIZED)
}
