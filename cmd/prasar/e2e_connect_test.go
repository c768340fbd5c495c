//go:build embedui

package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/publisher"
)

// capturedLog keeps everything the process logs, for the secrets check.
type capturedLog struct {
	t  *testing.T
	mu sync.Mutex
	b  strings.Builder
}

func (c *capturedLog) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.b.Write(p)
	c.mu.Unlock()
	return len(p), nil
}

func (c *capturedLog) String() string { c.mu.Lock(); defer c.mu.Unlock(); return c.b.String() }

// TestE2EConnectSandboxXAndPublishEverywhere connects accounts the way a
// department's nodal officer does, in headless Chromium against the whole
// product with the demo seeded. The demo leaves the Health department's X
// account needing reconnection and its LinkedIn token three days from
// expiry; the token job tells the department, and the officer:
//
//   - sees both in the notifications bell and on the accounts page (the
//     expiry in IST, with a warning);
//   - starts connecting X and refuses on X's consent page: the result page
//     says so, and nothing changes;
//   - reconnects the broken X account through the full OAuth 2.0 PKCE
//     redirect flow (Prasar's start, the sandbox X's consent page, Approve,
//     Prasar's callback bound to this browser's session);
//   - connects a second, new sandbox X account the same way;
//
// and a post then goes out to every account of the department on every
// platform — the reconnected X account with its new token. No token
// appears in any page or log line along the way.
func TestE2EConnectSandboxXAndPublishEverywhere(t *testing.T) {
	chromiumPath(t)
	logs := &capturedLog{t: t}
	cfg, err := LoadConfig("serve", testEnv(t, "PRASAR_DEMO", "on", "PRASAR_DEMO_PASSWORD", e2ePassword, "PRASAR_LOG_LEVEL", "debug"))
	if err != nil {
		t.Fatal(err)
	}
	m := NewMain(cfg, io.Discard, logs)
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	ctx := context.Background()
	store, svc, sb := m.Store(), m.Service(), m.Sandbox()
	if sb == nil || svc.Connector(publisher.X) == nil {
		t.Fatal("serve mode without platform credentials must run X against the sandbox")
	}
	health, err := store.GetOrgByCode(ctx, demoAlertOrg)
	if err != nil {
		t.Fatal(err)
	}
	editor, err := store.GetUserByEmail(ctx, e2eOther) // the Health department's editor
	if err != nil {
		t.Fatal(err)
	}
	one := func(p publisher.Platform) *publisher.Account {
		t.Helper()
		as, err := store.ListAccounts(ctx, publisher.AccountFilter{OrgID: health.ID, Platform: p})
		if err != nil || len(as) != 1 {
			t.Fatalf("the demo's %s accounts of %s: %v %v", p, health.Code, as, err)
		}
		return as[0]
	}
	xAcct, liAcct := one(publisher.X), one(publisher.LinkedIn)
	if xAcct.Status != publisher.AccountNeedsReconnect || liAcct.TokenExpiresAt == nil {
		t.Fatalf("demo: X %s, LinkedIn expiry %v; want X needing reconnection and LinkedIn expiring", xAcct.Status, liAcct.TokenExpiresAt)
	}

	// The token job ran at start-up and told the department (its nodal
	// officer has no sign-in, so its editors).
	b := startBrowser(t, m.URL())
	b.waitFor("the token job's notifications", e2eStep, func() (bool, string) {
		ns, _, err := store.ListNotifications(ctx, publisher.NotificationFilter{UserID: editor.ID})
		if err != nil {
			return false, err.Error()
		}
		kinds := map[string]bool{}
		for _, n := range ns {
			kinds[n.Kind] = true
		}
		return kinds["account.needs_reconnect"] && kinds["account.expiring"], fmt.Sprint(kinds)
	})

	// ---- The bell and the accounts page ----
	b.open("/accounts")
	b.signIn(e2eOther, e2ePassword)
	b.choose("lang-select", "en")
	b.waitJS("the bell with the unread alerts", e2eStep, `Number(document.querySelector('[data-testid="notifications-bell"]')?.dataset.unread ?? 0) >= 2`)
	b.click("notifications-bell")
	b.waitJS("the notifications panel", e2eStep, `document.querySelectorAll('[data-testid^="notification-"][data-kind]').length >= 2`)
	for _, kind := range []string{"account.needs_reconnect", "account.expiring"} {
		if !eval[bool](b, `!!document.querySelector('[data-testid="notifications-panel"] [data-kind=`+js(kind)+`][data-read="false"]')`) {
			t.Errorf("the bell does not list an unread %s notification", kind)
		}
	}
	b.do("opening the reconnection alert", chromedp.Click(chromedp.CSS(`[data-testid="notifications-panel"] [data-kind="account.needs_reconnect"] a`), chromedp.NodeVisible))
	b.waitJS("the accounts page", e2eStep, `location.pathname === '/accounts' && !!document.querySelector('[data-testid="account-`+xAcct.ID+`"]')`)
	if got := b.attr("account-"+xAcct.ID, "data-status"); got != "needs_reconnect" {
		t.Errorf("X account row status = %q, want needs_reconnect", got)
	}
	if r := b.text("account-reason-" + xAcct.ID); !strings.Contains(r, "revoked") {
		t.Errorf("X account reason = %q", r)
	}
	// Three days less the start-up: "2 days" left, shown with the IST time.
	expiry, warning := b.text("account-expiry-"+liAcct.ID), b.text("account-expiring-"+liAcct.ID)
	if !strings.Contains(expiry, "IST") || !strings.Contains(warning, "Expires in 2 days") {
		t.Errorf("LinkedIn expiry shows %q / %q, want the IST time and a warning", expiry, warning)
	}

	// consent goes through the sandbox X's consent page: it checks the PKCE
	// parameters Prasar sent, picks the account (an id, or "new" with a
	// name) and presses the decision's button.
	consent := func(account, name, decision string) {
		t.Helper()
		b.waitJS("the sandbox X consent page", e2eStep, `location.pathname === `+js(sandbox.XAuthorizePath)+` && !!document.querySelector('button[value="approve"]')`)
		u, err := url.Parse(eval[string](b, `location.href`))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || len(q.Get("state")) < 43 ||
			q.Get("redirect_uri") != m.URL()+"/api/v1/oauth/x/callback" || q.Get("response_type") != "code" {
			t.Fatalf("the consent page was opened with %v; want PKCE S256, a long state and Prasar's callback", q)
		}
		if !strings.Contains(q.Get("scope"), "offline.access") {
			t.Errorf("scope %q lacks offline.access (no refresh token)", q.Get("scope"))
		}
		res := eval[string](b, `(() => {
			const r = document.querySelector('input[name="account"][value=`+js(account)+`]');
			if (!r) return 'no account ' + `+js(account)+`;
			r.click();
			const n = document.querySelector('input[name="name"]');
			if (`+js(name)+` && n) n.value = `+js(name)+`;
			return 'ok';
		})()`)
		if res != "ok" {
			t.Fatalf("consent page: %s\n%s", res, b.state())
		}
		b.do("pressing "+decision, chromedp.Click(chromedp.CSS(`button[name="decision"][value=`+js(decision)+`]`), chromedp.NodeVisible))
	}

	// ---- Refusing on X's consent page ----
	b.click("connect-x")
	consent("new", "", "deny")
	b.waitJS("the result page of a refusal", e2eStep, `location.pathname === '/accounts/connected' && !!document.querySelector('[data-testid="connect-result"]')`)
	if got := b.attr("connect-result", "data-reason"); got != "denied" {
		t.Fatalf("result after Deny: reason %q, want denied\n%s", got, b.state())
	}
	if s := b.text("connect-result-error"); !strings.Contains(s, "Permission was not given on X") {
		t.Errorf("refusal explained as %q", s)
	}
	if as, _ := store.ListAccounts(ctx, publisher.AccountFilter{OrgID: health.ID, Platform: publisher.X}); len(as) != 1 || as[0].Status != publisher.AccountNeedsReconnect {
		t.Fatalf("after the refusal the department's X accounts are %+v", as)
	}

	// ---- Reconnecting the broken X account ----
	b.click("connect-back")
	b.waitJS("the accounts page", e2eStep, `location.pathname === '/accounts' && !!document.querySelector('[data-testid="reconnect-`+xAcct.ID+`"]')`)
	b.click("reconnect-" + xAcct.ID)
	consent(xAcct.ExternalID, "", "approve")
	b.waitJS("the result page of the reconnection", e2eStep, `location.pathname === '/accounts/connected' && !!document.querySelector('[data-testid="connect-result"]')`)
	if got := b.attr("connect-result", "data-outcome"); got != "connected" {
		t.Fatalf("reconnection result %q\n%s", got, b.state())
	}
	b.waitJS("the reconnected account on the result page", e2eStep, `!!document.querySelector('[data-testid="connect-result-account-`+xAcct.ID+`"]')`)
	xAcct, err = store.GetAccount(ctx, xAcct.ID)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := openCredentials(m, xAcct)
	if err != nil {
		t.Fatal(err)
	}
	if xAcct.Status != publisher.AccountConnected || cred.RefreshToken == "" || xAcct.TokenExpiresAt == nil ||
		time.Until(*xAcct.TokenExpiresAt) < 100*time.Minute || !xAcct.Sandbox {
		t.Fatalf("reconnected X account: status %s, refresh token %v, expiry %v, sandbox %v", xAcct.Status, cred.RefreshToken != "", xAcct.TokenExpiresAt, xAcct.Sandbox)
	}
	events, _ := store.ListAudit(ctx, publisher.AuditFilter{ObjectID: xAcct.ID})
	if !hasAction(events, "account.connect", editor.ID) {
		t.Errorf("no account.connect audit event by the editor: %+v", events)
	}

	// ---- Connecting a new sandbox X account ----
	b.click("connect-back")
	b.waitJS("the accounts page", e2eStep, `location.pathname === '/accounts' && !!document.querySelector('[data-testid="connect-x"]')`)
	b.click("connect-x")
	consent("new", "Swasthya Vibhag Haryana", "approve")
	b.waitJS("the result page of the new account", e2eStep, `location.pathname === '/accounts/connected' && document.querySelector('[data-testid="connect-result"]')?.dataset.outcome === 'connected'`)
	xs, _ := store.ListAccounts(ctx, publisher.AccountFilter{OrgID: health.ID, Platform: publisher.X})
	if len(xs) != 2 {
		t.Fatalf("the department has %d X accounts after connecting a new one, want 2", len(xs))
	}
	var newX *publisher.Account
	for _, a := range xs {
		if a.ID != xAcct.ID {
			newX = a
		}
	}
	if newX.Status != publisher.AccountConnected || newX.DisplayName != "Swasthya Vibhag Haryana" || !b.present("connect-result-account-"+newX.ID) {
		t.Fatalf("new X account %+v", newX)
	}
	for _, page := range []string{"/accounts", "/accounts/connected?platform=x&accounts=" + newX.ID} {
		b.open(page)
		b.waitJS(page, e2eStep, `!!document.querySelector('#page-title') && document.querySelector('main').textContent.length > 50`)
		if eval[bool](b, `document.documentElement.innerHTML.includes('sbx1.')`) {
			t.Errorf("the page %s shows a token", page)
		}
	}

	// ---- A post to every account of the department ----
	_, selectable := selectableAccounts(t, m, health.ID)
	platforms := map[publisher.Platform]bool{}
	var targets []string
	for id, a := range selectable {
		if a.Status != publisher.AccountConnected {
			t.Errorf("%s account %s is %s before publishing", a.Platform, a.Handle, a.Status)
		}
		targets = append(targets, id)
		platforms[a.Platform] = true
	}
	for _, p := range []publisher.Platform{publisher.Facebook, publisher.X, publisher.Instagram, publisher.Threads, publisher.Telegram,
		publisher.Mastodon, publisher.Bluesky, publisher.LinkedIn} {
		if !platforms[p] {
			t.Errorf("the department has no %s account to publish to", p)
		}
	}
	ref := fmt.Sprintf("e2e-connect-%d", time.Now().UnixNano()%1_000_000_000)
	as := publisher.NewContextWithUser(ctx, editor)
	jpg, err := os.ReadFile(writeTestJPEG(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	media, err := svc.UploadMedia(as, health.ID, "camp.jpg", jpg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.CreatePost(as, publisher.PostInput{OrgID: health.ID, Kind: publisher.KindPost, Title: "Vaccination camp " + ref, Targets: targets,
		Content: publisher.Content{BodyHI: "टीकाकरण शिविर शनिवार को।", BodyEN: "Vaccination camp on Saturday. Ref " + ref + ".", MediaIDs: []string{media.ID},
			AltText: "A vaccination camp at a community health centre"}})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = svc.SubmitPost(as, p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	approver, err := store.GetUserByEmail(ctx, e2eApprover)
	if err != nil {
		t.Fatal(err)
	}
	if _, err = svc.ApprovePost(publisher.NewContextWithUser(ctx, approver), p.ID, p.Revision, "Approved."); err != nil {
		t.Fatal(err)
	}
	b.open("/posts/" + p.ID)
	var rows []deliveryRow
	b.waitFor("every delivery published", e2ePublish, func() (bool, string) {
		rows = eval[[]deliveryRow](b, deliveryRowsJS)
		published := 0
		for _, r := range rows {
			if r.Status == "published" {
				published++
			}
		}
		return len(rows) == len(targets) && published == len(rows), fmt.Sprintf("%+v", rows)
	})
	for _, id := range targets {
		a := selectable[id]
		n := 0
		for _, sp := range sb.Posts(string(a.Platform), a.ExternalID) {
			if strings.Contains(sp.Text, ref) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s account %s received the post %d times, want once", a.Platform, a.Handle, n)
		}
	}

	// ---- The bell, read ----
	b.click("notifications-bell")
	b.waitJS("the notifications panel", e2eStep, `!!document.querySelector('[data-testid="notifications-read-all"]')`)
	b.click("notifications-read-all")
	b.waitJS("no unread notifications", e2eStep, `document.querySelector('[data-testid="notifications-bell"]')?.dataset.unread === '0'`)
	if ns, _, _ := store.ListNotifications(ctx, publisher.NotificationFilter{UserID: editor.ID, UnreadOnly: true}); len(ns) != 0 {
		t.Errorf("%d notifications still unread in the store", len(ns))
	}

	// No token, refresh token or authorization code reached the log.
	all := logs.String()
	if !strings.Contains(all, "account connected") {
		t.Errorf("the log does not record the connections (captured %d bytes)", len(all))
	}
	for _, needle := range []string{"sbx1.", "/callback?", cred.RefreshToken} {
		if i := strings.Index(all, needle); i >= 0 {
			t.Errorf("the log contains %q: …%s…", needle, all[max(0, i-150):min(len(all), i+100)])
		}
	}
}

// openCredentials opens an account's sealed credentials with the process's
// keyring (the test is the only one that looks at them).
func openCredentials(m *Main, a *publisher.Account) (publisher.Credentials, error) {
	return m.keyring.OpenCredentials(a.ID, a.Secret)
}

func hasAction(es []*publisher.AuditEvent, action, actor string) bool {
	for _, e := range es {
		if e.Action == action && e.ActorID == actor {
			return true
		}
	}
	return false
}
