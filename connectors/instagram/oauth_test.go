package instagram_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/instagram"
	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/publisher"
)

var (
	formRE  = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	inputRE = regexp.MustCompile(`<input ([^>]*)>`)
	attrRE  = regexp.MustCompile(`(\w+)(?:="([^"]*)")?`)
)

// consent opens a consent page like a browser, lets edit change the form,
// submits it with decision and returns where the browser is sent.
func consent(t *testing.T, e *env, pageURL, decision string, edit func(v url.Values)) *url.URL {
	t.Helper()
	client := *e.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formRE.FindStringSubmatch(string(body))
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("consent page %s: %d\n%s", pageURL, resp.StatusCode, body)
	}
	v := url.Values{}
	for _, in := range inputRE.FindAllStringSubmatch(string(body), -1) {
		attrs := map[string]string{}
		for _, a := range attrRE.FindAllStringSubmatch(in[1], -1) {
			attrs[a[1]] = html.UnescapeString(a[2])
		}
		_, checked := attrs["checked"]
		if (attrs["type"] != "checkbox" && attrs["type"] != "radio") || checked {
			v.Add(attrs["name"], attrs["value"])
		}
	}
	if edit != nil {
		edit(v)
	}
	v.Set("decision", decision)
	resp, err = client.PostForm(e.srv.URL+html.UnescapeString(m[1]), v)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("consent decision: %d", resp.StatusCode)
	}
	to, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return to
}

func TestOAuthRoundTrip(t *testing.T) {
	for _, flat := range []bool{false, true} {
		name := "wrapped answer"
		if flat {
			name = "flat answer"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, instagram.Config{})
			e.sb.SetInstagramTokenShape(flat)
			ctx := context.Background()
			callback := e.srv.URL + "/callback"
			u := e.ig.AuthCodeURL("state-1", "ignored-verifier", callback)
			parsed, _ := url.Parse(u)
			q := parsed.Query()
			if !strings.HasPrefix(u, e.cfg.WebURL+"/oauth/authorize?") || q.Get("client_id") != "ig-app-1" || q.Get("redirect_uri") != callback ||
				q.Get("response_type") != "code" || q.Get("state") != "state-1" ||
				q.Get("scope") != "instagram_business_basic,instagram_business_content_publish,instagram_business_manage_insights" || q.Has("code_challenge") {
				t.Fatalf("AuthCodeURL %s", u)
			}
			to := consent(t, e, u, "approve", func(v url.Values) { v.Set("account", "new"); v.Set("new_account", "haryana_health") })
			if to.Path != "/callback" || to.Query().Get("state") != "state-1" || to.Fragment != "_" {
				t.Fatalf("redirected to %s", to)
			}
			code := to.Query().Get("code")
			e.secret(code)
			now := e.clock.Now()
			accts, err := e.ig.Exchange(ctx, code+"#_", "", callback) // as copied with Meta's "#_"
			if err != nil {
				t.Fatal(err)
			}
			if len(accts) != 1 {
				t.Fatalf("%d accounts", len(accts))
			}
			g := accts[0]
			e.secret(g.Credentials.AccessToken)
			if !strings.HasPrefix(g.ExternalID, "1784") || g.Handle != "haryana_health" || g.Problem != "" || g.ProfileURL != e.cfg.WebURL+"/haryana_health" ||
				!slices.Equal(g.Scopes, []string{"instagram_business_basic", "instagram_business_content_publish", "instagram_business_manage_insights"}) {
				t.Errorf("granted %+v", g)
			}
			if c := g.Credentials; c.ExpiresAt == nil || !c.ExpiresAt.Equal(now.Add(5183944*time.Second)) || c.Extra[instagram.ExtraIssuedAt] != now.Format(time.RFC3339) || c.Extra[instagram.ExtraLogin] != "instagram" {
				t.Errorf("credentials: expires %v, extra %v", c.ExpiresAt, c.Extra)
			}
			// The long-lived token publishes to the granted account.
			acct := &publisher.Account{ExternalID: g.ExternalID}
			if _, err := e.ig.Publish(ctx, acct, g.Credentials, publisher.Message{Text: "connected", Media: []publisher.MediaRef{e.jpeg("a", 100, 100)}}); err != nil {
				t.Errorf("publishing with the granted token: %v", err)
			}
			// The code is spent.
			_, err = e.ig.Exchange(ctx, code, "", callback)
			if pe := asPlatformError(t, err); pe.Class != publisher.ClassRejected || !strings.Contains(pe.Message, "already used") {
				t.Errorf("a used code: %s %q", pe.Class, pe.Message)
			}
		})
	}
}

func TestOAuthRefusals(t *testing.T) {
	e := newEnv(t, instagram.Config{})
	ctx := context.Background()
	callback := e.srv.URL + "/callback"
	u := e.ig.AuthCodeURL("s", "", callback)
	// Publishing refused in the dialog: the account comes back with a problem.
	to := consent(t, e, u, "approve", func(v url.Values) {
		v.Set("account", "new")
		v.Set("new_account", "haryana_health")
		v["scope"] = []string{"instagram_business_basic"}
	})
	accts, err := e.ig.Exchange(ctx, to.Query().Get("code"), "", callback)
	if err != nil || len(accts) != 1 || !strings.Contains(accts[0].Problem, "instagram_business_content_publish") {
		t.Errorf("without the publishing permission: %+v, %v", accts, err)
	} else {
		e.secret(accts[0].Credentials.AccessToken)
	}
	// Denied: the callback gets Instagram's error, and there is no code.
	to = consent(t, e, u, "deny", nil)
	if to.Query().Get("error") != "access_denied" || to.Query().Get("code") != "" {
		t.Errorf("deny: %s", to)
	}
	// A redirect URL other than the dialog's.
	to = consent(t, e, u, "approve", nil)
	_, err = e.ig.Exchange(ctx, to.Query().Get("code"), "", callback+"/elsewhere")
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassRejected || !strings.Contains(pe.Message, "redirect_uri") {
		t.Errorf("another redirect URL: %s %q", pe.Class, pe.Message)
	}
	if _, err := e.ig.Exchange(ctx, " #_", "", callback); asPlatformError(t, err).Class != publisher.ClassRejected {
		t.Errorf("an empty code: %v", err)
	}
	// A wrong app secret at the long-lived exchange is refused by the sandbox only when missing.
	noSecret := instagram.New(func() instagram.Config { c := e.cfg; c.AppSecret = ""; return c }())
	to = consent(t, e, u, "approve", nil)
	if _, err := noSecret.Exchange(ctx, to.Query().Get("code"), "", callback); asPlatformError(t, err).Class != publisher.ClassRejected {
		t.Errorf("no app secret: %v", err)
	}
}

func TestRefresh(t *testing.T) {
	e := newEnv(t, instagram.Config{})
	ctx := context.Background()
	now := e.clock.Now()
	day := 24 * time.Hour
	cred := func(issuedAgo, expiresIn time.Duration, withIssued bool) publisher.Credentials {
		exp := now.Add(expiresIn)
		c := publisher.Credentials{AccessToken: "t", ExpiresAt: &exp, Extra: map[string]string{}}
		if withIssued {
			c.Extra[instagram.ExtraIssuedAt] = now.Add(-issuedAgo).Format(time.RFC3339)
		}
		return c
	}
	cases := []struct {
		name string
		cred publisher.Credentials
		due  bool
	}{
		{"fresh", cred(time.Hour, 60*day-time.Hour, true), false},
		{"30 days old", cred(30*day, 30*day, true), false},
		{"51 days old: within 10 days of expiry", cred(51*day, 9*day, true), true},
		{"expired", cred(61*day, -day, true), false},
		{"no expiry", publisher.Credentials{AccessToken: "t"}, false},
		{"no token", publisher.Credentials{ExpiresAt: cred(0, day, false).ExpiresAt}, false},
		{"issue time unknown, expiry in 5 days", cred(0, 5*day, false), true},
		{"issued 2 hours ago, expiring in 5 days", cred(2*time.Hour, 5*day, true), false},
	}
	for _, c := range cases {
		if got := e.ig.RefreshDue(c.cred, now); got != c.due {
			t.Errorf("%s: RefreshDue = %v, want %v", c.name, got, c.due)
		}
	}
	fb := instagram.New(instagram.Config{Login: instagram.FacebookLogin})
	if fb.RefreshDue(publisher.Credentials{AccessToken: "page token"}, now) {
		t.Error("a Page token without expiry is due")
	}

	// A real refresh through the sandbox, 51 days in.
	old := e.cred
	if _, err := e.ig.Refresh(ctx, e.acct, old); asPlatformError(t, err).Class != publisher.ClassRateLimited {
		t.Errorf("refresh of a fresh token: %v", err)
	} else if pe := asPlatformError(t, err); !pe.RetryAt.Equal(now.Truncate(time.Second).Add(day)) {
		t.Errorf("RetryAt %s", pe.RetryAt)
	}
	e.clock.Advance(51 * day)
	if !e.ig.RefreshDue(old, e.clock.Now()) {
		t.Fatal("not due at 51 days")
	}
	fresh, err := e.ig.Refresh(ctx, e.acct, old)
	if err != nil {
		t.Fatal(err)
	}
	e.secret(fresh.AccessToken)
	if fresh.AccessToken == old.AccessToken || !fresh.ExpiresAt.Equal(e.clock.Now().Add(5183944*time.Second)) ||
		fresh.Extra[instagram.ExtraIssuedAt] != e.clock.Now().Format(time.RFC3339) || e.ig.RefreshDue(fresh, e.clock.Now()) {
		t.Errorf("refreshed: %v %v due=%v", fresh.ExpiresAt, fresh.Extra, e.ig.RefreshDue(fresh, e.clock.Now()))
	}
	// The old token's expiry passes; the new one still publishes.
	e.clock.Advance(10 * day)
	if _, err := e.ig.Publish(ctx, e.acct, fresh, publisher.Message{Text: "after refresh", Media: []publisher.MediaRef{e.jpeg("a", 100, 100)}}); err != nil {
		t.Errorf("publishing with the refreshed token: %v", err)
	}
	if _, err := e.ig.Refresh(ctx, e.acct, old); asPlatformError(t, err).Class != publisher.ClassAuth {
		t.Errorf("refresh of an expired token: %v", err)
	}
	// Revoked (the platform says the token expired): auth.
	e.fault(sandbox.Fault{Kind: sandbox.FaultExpiredToken, Ops: []sandbox.Op{sandbox.OpRead}, Times: 1})
	e.clock.Advance(45 * day)
	if _, err := e.ig.Refresh(ctx, e.acct, fresh); asPlatformError(t, err).Class != publisher.ClassAuth {
		t.Errorf("refresh refused by the platform: %v", err)
	}
	// Transient trouble stays transient.
	e.fault(sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpRead}, Times: 1})
	if _, err := e.ig.Refresh(ctx, e.acct, fresh); asPlatformError(t, err).Class != publisher.ClassRetryable {
		t.Errorf("refresh during an outage: %v", err)
	}
}
