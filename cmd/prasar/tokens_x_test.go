package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/connectors/x"
	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/passhash"
	"github.com/prasar/prasar/publisher/sqlitestore"
)

// The token lifecycle with the real X connector against the sandbox's X,
// which behaves as X does: PKCE, two-hour access tokens, single-use
// refresh tokens that rotate, and a replayed refresh token revoking the
// whole grant. One clock drives the service, the connector and the
// sandbox.

type xClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *xClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *xClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

type xTokenEnv struct {
	t      *testing.T
	clock  *xClock
	sb     *sandbox.Server
	srv    *httptest.Server
	store  publisher.Store
	kr     *publisher.Keyring
	svc    *publisher.Service
	conn   *x.Connector
	logs   *lockedBuffer
	org    *publisher.Organisation
	editor *publisher.User
}

func newXTokenEnv(t *testing.T) *xTokenEnv {
	t.Helper()
	e := &xTokenEnv{t: t, clock: &xClock{t: time.Now().UTC().Truncate(time.Second)}, logs: &lockedBuffer{}}
	e.sb = sandbox.New(sandbox.Options{Secret: []byte("x token test secret"), Now: e.clock.now})
	mux := http.NewServeMux()
	mux.Handle(sandbox.MountPath, e.sb.Handler())
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	st, err := sqlitestore.Open(filepath.Join(t.TempDir(), "prasar.db"), sqlitestore.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.store = st
	if e.kr, err = publisher.NewKeyring("k1", map[string][]byte{"k1": bytes.Repeat([]byte{9}, 32)}); err != nil {
		t.Fatal(err)
	}
	c := Config{SandboxURL: e.srv.URL + "/sandbox"}
	e.conn = x.New(x.Config{ClientID: sandboxClientID, APIURL: c.sandboxURL(sandbox.XAPIPath), AuthURL: c.sandboxURL(sandbox.XAuthorizePath),
		TokenURL: c.sandboxURL(sandbox.XTokenPath), WebURL: c.sandboxURL(sandbox.XWebPath), Now: e.clock.now,
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	e.svc = e.service()
	sys := publisher.SystemContext(context.Background())
	if e.org, err = e.svc.CreateOrg(sys, publisher.OrgInput{Code: "AGRI", Type: publisher.OrgDepartment, NameEN: "Agriculture", NameHI: "कृषि"}); err != nil {
		t.Fatal(err)
	}
	if e.editor, err = e.svc.CreateUser(sys, publisher.UserInput{Email: "editor@example.gov.in", Name: "Editor", Role: publisher.RoleEditor,
		OrgID: e.org.ID, Password: "long enough password"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The sandbox's tokens are "sbx1." + payload: none may be logged.
		if logs := e.logs.String(); strings.Contains(logs, "sbx1.") || strings.Contains(logs, "refresh_token=") {
			t.Errorf("a token reached the log:\n%s", logs)
		}
	})
	return e
}

// service is one worker process's service on the shared store.
func (e *xTokenEnv) service() *publisher.Service {
	e.t.Helper()
	svc, err := publisher.New(publisher.Config{BaseURL: "https://prasar.test", SandboxPlatforms: []publisher.Platform{publisher.X}, RetryBase: time.Second},
		publisher.Deps{Store: e.store, Enqueuer: nopEnqueuer{}, Keyring: e.kr, Hasher: passhash.Hasher{P: passhash.Params{Memory: 1024, Time: 1, Threads: 1}},
			Connectors: []publisher.Connector{e.conn}, Now: e.clock.now,
			Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

// connect runs the redirect flow: Prasar's start, the sandbox's consent
// page approved for a new account, and Prasar's callback.
func (e *xTokenEnv) connect() *publisher.Account {
	e.t.Helper()
	ctx := publisher.NewContextWithUser(context.Background(), e.editor)
	authURL, err := e.svc.StartConnect(ctx, "session-1", publisher.X, publisher.ConnectTarget{})
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := url.Parse(authURL)
	if err != nil {
		e.t.Fatal(err)
	}
	form := u.Query()
	form.Set("decision", "approve")
	form.Set("account", "new")
	form.Set("name", "Krishi Vibhag")
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.PostForm(e.srv.URL+sandbox.XAuthorizePath, form)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusSeeOther || back.Query().Get("code") == "" {
		e.t.Fatalf("consent answered %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	if got := back.Scheme + "://" + back.Host + back.Path; got != "https://prasar.test/api/v1/oauth/x/callback" {
		e.t.Fatalf("the consent page sent the browser to %s", got)
	}
	cr, err := e.svc.CompleteConnect(ctx, "session-1", publisher.X, publisher.OAuthCallback{State: back.Query().Get("state"), Code: back.Query().Get("code")})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(cr.Accounts) != 1 {
		e.t.Fatalf("connected %+v", cr)
	}
	return cr.Accounts[0]
}

func (e *xTokenEnv) credentials(id string) (*publisher.Account, publisher.Credentials) {
	e.t.Helper()
	a, err := e.store.GetAccount(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := e.kr.OpenCredentials(a.ID, a.Secret)
	if err != nil {
		e.t.Fatal(err)
	}
	return a, c
}

// publish approves a post to the account and runs its delivery on svc.
func (e *xTokenEnv) delivery(svc *publisher.Service, acct *publisher.Account, text string) string {
	e.t.Helper()
	ctx := publisher.NewContextWithUser(context.Background(), e.editor)
	p, err := e.svc.CreatePost(ctx, publisher.PostInput{Content: publisher.Content{BodyEN: text}, Targets: []string{acct.ID}})
	if err != nil {
		e.t.Fatal(err)
	}
	if p, err = e.svc.SubmitPost(ctx, p.ID, p.Revision); err != nil {
		e.t.Fatal(err)
	}
	if p, err = e.svc.ApprovePost(publisher.SystemContext(context.Background()), p.ID, p.Revision, ""); err != nil {
		e.t.Fatal(err)
	}
	if err := e.svc.Fanout(context.Background(), p.ID, p.Revision); err != nil {
		e.t.Fatal(err)
	}
	return publisher.DeliveryID(p.ID, p.Revision, acct.ID)
}

func (e *xTokenEnv) status(id string) *publisher.Delivery {
	e.t.Helper()
	d, err := e.store.GetDelivery(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func TestXTokenRotationAgainstTheSandbox(t *testing.T) {
	e := newXTokenEnv(t)
	acct := e.connect()
	a, first := e.credentials(acct.ID)
	if first.RefreshToken == "" || a.TokenExpiresAt == nil || !a.TokenExpiresAt.Equal(e.clock.now().Add(2*time.Hour)) || !a.Sandbox {
		t.Fatalf("connected account %+v: want a refresh token (offline.access) and a two-hour expiry", a)
	}

	// 1 h 55 min later the delivery renews the token just in time (X's
	// connector says it is due 10 minutes before expiry), stores it, and
	// posts with it.
	e.clock.add(115 * time.Minute)
	d := e.delivery(e.svc, acct, "Rabi crop registration closes on 31 December.")
	if err := e.svc.Deliver(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if got := e.status(d); got.Status != publisher.DeliveryPublished {
		t.Fatalf("delivery = %s (%s %s)", got.Status, got.ErrorMessage, got.PlatformMessage)
	}
	_, second := e.credentials(acct.ID)
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatal("the delivery did not renew the due token")
	}
	if posts := e.sb.Posts("x", acct.ExternalID); len(posts) != 1 {
		t.Fatalf("the sandbox has %d posts, want 1", len(posts))
	}

	// Another 1 h 55 min: two workers' token jobs and two deliveries race
	// for the due token. X revokes the grant if a refresh token is used
	// twice, so the account staying connected shows that one refresh ran.
	e.clock.add(115 * time.Minute)
	other := e.service()
	d1 := e.delivery(e.svc, acct, "Soil health cards at every Krishi Vigyan Kendra.")
	d2 := e.delivery(e.svc, acct, "Kisan Mela in Karnal on Saturday.")
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, svc := range []*publisher.Service{e.svc, other} {
		wg.Go(func() {
			<-start
			if _, err := svc.RefreshTokens(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Go(func() { <-start; _ = e.svc.Deliver(context.Background(), d1) })
	wg.Go(func() { <-start; _ = other.Deliver(context.Background(), d2) })
	close(start)
	wg.Wait()
	a, third := e.credentials(acct.ID)
	if a.Status != publisher.AccountConnected {
		t.Fatalf("account = %s (%s): a refresh token was used twice", a.Status, a.StatusReason)
	}
	if third.RefreshToken == second.RefreshToken {
		t.Fatal("the due token was not renewed")
	}
	for _, id := range []string{d1, d2} {
		if got := e.status(id); got.Status != publisher.DeliveryPublished {
			t.Errorf("delivery %s = %s (%s %s)", id, got.Status, got.ErrorMessage, got.PlatformMessage)
		}
	}

	// The stored refresh token is the live one: the one before it was used
	// up, and replaying it now (as a refresh that did not store its result
	// would) makes X revoke the grant.
	if _, err := e.conn.Refresh(context.Background(), a, second); publisher.AsPlatformError(err).Class != publisher.ClassAuth {
		t.Fatalf("replaying a used refresh token: %v, want X's refusal", err)
	}
	// Which the token job then reports as a revoked grant, not a hiccup.
	e.clock.add(115 * time.Minute)
	rep, err := e.svc.RefreshTokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Broken != 1 || rep.Failed != 0 {
		t.Fatalf("after X revoked the grant: %+v, want the account marked broken", rep)
	}
	if a, _ := e.credentials(acct.ID); a.Status != publisher.AccountNeedsReconnect {
		t.Fatalf("account = %s, want needs_reconnect", a.Status)
	}
}

func TestXTransientRefreshFailureKeepsTheAccount(t *testing.T) {
	e := newXTokenEnv(t)
	acct := e.connect()
	_, before := e.credentials(acct.ID)
	e.clock.add(115 * time.Minute)
	// X answers 503 (the sandbox's server-error fault) to the token call.
	if err := e.sb.SetFault("x", "", sandbox.Fault{Kind: sandbox.FaultServerError, Status: http.StatusServiceUnavailable, Times: 1, Ops: []sandbox.Op{sandbox.OpRead}}); err != nil {
		t.Fatal(err)
	}
	rep, err := e.svc.RefreshTokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a, after := e.credentials(acct.ID)
	if rep.Failed != 1 || rep.Broken != 0 || a.Status != publisher.AccountConnected || after.RefreshToken != before.RefreshToken {
		t.Fatalf("after a 503: %+v, account %s, refresh token changed %v", rep, a.Status, after.RefreshToken != before.RefreshToken)
	}
	e.sb.ClearFaults("x", "")
	if rep, err := e.svc.RefreshTokens(context.Background()); err != nil || rep.Refreshed != 1 {
		t.Fatalf("once X is back: %+v %v", rep, err)
	}
}
