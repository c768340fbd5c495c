package x_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/connectors/x"
	"github.com/prasar/prasar/publisher"
)

const (
	redirectURL = "https://prasar.example/oauth/x/callback?org=agri"
	verifier    = "pkce-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"
)

var (
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	actionRE = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
)

// consent opens the consent page of authURL like a browser and submits it
// with decision ("approve" or "deny") and the given fields; it returns the
// page and the redirect's URL.
func (e *env) consent(authURL, decision string, fields url.Values) (string, *url.URL) {
	e.t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authURL)
	if err != nil {
		e.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), ">Approve</button>") || !strings.Contains(string(page), ">Deny</button>") {
		e.t.Fatalf("consent page: %d\n%s", resp.StatusCode, page)
	}
	form := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(string(page), -1) {
		form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	for k, v := range fields {
		form[k] = v
	}
	form.Set("decision", decision)
	action := actionRE.FindStringSubmatch(string(page))
	if action == nil {
		e.t.Fatalf("no form on the consent page:\n%s", page)
	}
	resp, err = noFollow.PostForm(e.srv.URL+html.UnescapeString(action[1]), form)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("consent answer %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(page), loc
}

// connect runs the whole authorization: consent page, approval, exchange.
func (e *env) connect(state string, fields url.Values) publisher.GrantedAccount {
	e.t.Helper()
	_, loc := e.consent(e.x.AuthCodeURL(state, verifier, redirectURL), "approve", fields)
	if loc.Query().Get("state") != state || loc.Query().Get("code") == "" || loc.Query().Get("org") != "agri" ||
		!strings.HasPrefix(loc.String(), "https://prasar.example/oauth/x/callback?") {
		e.t.Fatalf("redirected to %s", loc)
	}
	got, err := e.x.Exchange(context.Background(), loc.Query().Get("code"), verifier, redirectURL)
	e.noSecretIn(err)
	if err != nil {
		e.t.Fatalf("Exchange: %v", err)
	}
	if len(got) != 1 {
		e.t.Fatalf("granted %d accounts", len(got))
	}
	e.secret(got[0].Credentials.AccessToken, got[0].Credentials.RefreshToken)
	return got[0]
}

func TestOAuthRoundTripAndRotation(t *testing.T) {
	e := newEnv(t, x.Config{})
	e.secret(verifier)
	ctx := context.Background()
	g := e.connect("state-1", url.Values{"account": {"new"}, "name": {"Haryana Agriculture"}})
	if g.DisplayName != "Haryana Agriculture" || !strings.HasPrefix(g.Handle, "HaryanaAgr_") || g.Problem != "" ||
		strings.Join(g.Scopes, " ") != "tweet.read tweet.write users.read offline.access media.write" ||
		g.ProfileURL != e.cfg.WebURL+"/"+g.Handle {
		t.Errorf("granted %+v", g)
	}
	c := g.Credentials
	if c.AccessToken == "" || c.RefreshToken == "" || c.ExpiresAt == nil || !c.ExpiresAt.Equal(e.clock.Now().Add(2*time.Hour)) {
		t.Fatalf("credentials: access %v refresh %v expires %v", c.AccessToken != "", c.RefreshToken != "", c.ExpiresAt)
	}
	acct := &publisher.Account{ExternalID: g.ExternalID, Handle: g.Handle}
	pub, err := e.x.Publish(ctx, acct, c, publisher.Message{Text: "connected through OAuth"})
	if err != nil {
		t.Fatal(err)
	}
	if posts := e.sb.Posts("x", g.ExternalID); len(posts) != 1 || posts[0].ID != pub.ExternalID {
		t.Fatalf("posts %+v", posts)
	}
	if e.x.RefreshDue(c, e.clock.Now()) {
		t.Error("due at once")
	}
	e.clock.Advance(time.Hour + 55*time.Minute)
	if !e.x.RefreshDue(c, e.clock.Now()) {
		t.Error("not due 5 minutes before expiry")
	}

	// The next consent offers the account that approved last, checked.
	page, _ := e.consent(e.x.AuthCodeURL("state-2", verifier, redirectURL), "deny", nil)
	if !strings.Contains(page, `value="`+g.ExternalID+`" checked`) {
		t.Errorf("the last account is not preselected:\n%s", page)
	}

	next, err := e.x.Refresh(ctx, acct, c)
	e.noSecretIn(err)
	if err != nil {
		t.Fatal(err)
	}
	e.secret(next.AccessToken, next.RefreshToken)
	if next.AccessToken == c.AccessToken || next.RefreshToken == c.RefreshToken || next.RefreshToken == "" ||
		next.ExpiresAt == nil || !next.ExpiresAt.Equal(e.clock.Now().Add(2*time.Hour)) {
		t.Fatalf("refresh did not rotate: %v", next.ExpiresAt)
	}
	if _, err := e.x.Publish(ctx, acct, next, publisher.Message{Text: "with the new token"}); err != nil {
		t.Fatal(err)
	}
	// The old refresh token is single-use: a replay fails, and kills the
	// whole family, the new tokens included.
	_, err = e.x.Refresh(ctx, acct, c)
	e.noSecretIn(err)
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassAuth || !strings.Contains(pe.Message, "invalid_request") {
		t.Errorf("replayed refresh token: %s %q", pe.Class, pe.Message)
	}
	if _, err := e.x.Publish(ctx, acct, next, publisher.Message{Text: "after the replay"}); asPlatformError(t, err).Class != publisher.ClassAuth {
		t.Errorf("the family's access token still works after a replay: %v", err)
	}
	if _, err := e.x.Refresh(ctx, acct, next); asPlatformError(t, err).Class != publisher.ClassAuth {
		t.Errorf("the family's newest refresh token still works after a replay: %v", err)
	}
	// Connecting again gives a working family.
	again := e.connect("state-3", url.Values{"account": {g.ExternalID}})
	if again.ExternalID != g.ExternalID {
		t.Errorf("reconnected %s, want %s", again.ExternalID, g.ExternalID)
	}
	if _, err := e.x.Publish(ctx, acct, again.Credentials, publisher.Message{Text: "reconnected"}); err != nil {
		t.Errorf("after reconnecting: %v", err)
	}
	if n := len(e.sb.Posts("x", g.ExternalID)); n != 3 {
		t.Errorf("%d posts", n)
	}
}

func TestOAuthDeny(t *testing.T) {
	e := newEnv(t, x.Config{})
	_, loc := e.consent(e.x.AuthCodeURL("st", verifier, redirectURL), "deny", nil)
	if loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "st" || loc.Query().Has("code") {
		t.Errorf("redirected to %s", loc)
	}
}

func TestOAuthCodeRules(t *testing.T) {
	ctx := context.Background()
	code := func(e *env) string {
		_, loc := e.consent(e.x.AuthCodeURL("st", verifier, redirectURL), "approve", url.Values{"account": {"new"}})
		return loc.Query().Get("code")
	}
	cases := []struct {
		name     string
		exchange func(e *env, c string) error
	}{
		{"wrong verifier", func(e *env, c string) error {
			_, err := e.x.Exchange(ctx, c, "another-verifier-0123456789-0123456789", redirectURL)
			return err
		}},
		{"no verifier", func(e *env, c string) error {
			_, err := e.x.Exchange(ctx, c, "", redirectURL)
			return err
		}},
		{"expired code (30 seconds)", func(e *env, c string) error {
			e.clock.Advance(31 * time.Second)
			_, err := e.x.Exchange(ctx, c, verifier, redirectURL)
			return err
		}},
		{"another redirect URL", func(e *env, c string) error {
			_, err := e.x.Exchange(ctx, c, verifier, "https://prasar.example/other")
			return err
		}},
		{"another client", func(e *env, c string) error {
			other := x.New(x.Config{TokenURL: e.cfg.TokenURL, APIURL: e.cfg.APIURL, ClientID: "someone-else", ClientSecret: "s"})
			_, err := other.Exchange(ctx, c, verifier, redirectURL)
			return err
		}},
		{"a used code", func(e *env, c string) error {
			if _, err := e.x.Exchange(ctx, c, verifier, redirectURL); err != nil {
				e.t.Fatal(err)
			}
			_, err := e.x.Exchange(ctx, c, verifier, redirectURL)
			return err
		}},
		{"a made-up code", func(e *env, c string) error {
			_, err := e.x.Exchange(ctx, "made-up", verifier, redirectURL)
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, x.Config{})
			err := c.exchange(e, code(e))
			if pe := asPlatformError(t, err); pe.Class != publisher.ClassRejected || pe.Ambiguous {
				t.Errorf("got %s ambiguous=%v %q", pe.Class, pe.Ambiguous, pe.Message)
			}
		})
	}
	t.Run("a code within 30 seconds, after a failed attempt, is spent", func(t *testing.T) {
		e := newEnv(t, x.Config{})
		c := code(e)
		e.clock.Advance(29 * time.Second)
		if _, err := e.x.Exchange(ctx, c, "wrong-verifier-0123456789-0123456789", redirectURL); err == nil {
			t.Fatal("wrong verifier accepted")
		}
		if _, err := e.x.Exchange(ctx, c, verifier, redirectURL); err == nil {
			t.Error("the code worked after a failed attempt")
		}
	})
}

func TestOAuthPublicClient(t *testing.T) {
	e := newEnv(t, x.Config{ClientID: "public-client"})
	g := e.connect("st", url.Values{"account": {"new"}, "name": {"Public"}})
	next, err := e.x.Refresh(context.Background(), &publisher.Account{ExternalID: g.ExternalID}, g.Credentials)
	if err != nil || next.RefreshToken == g.Credentials.RefreshToken {
		t.Fatalf("refresh as a public client: %v", err)
	}
	e.secret(next.AccessToken, next.RefreshToken)
}

func TestOAuthWithoutOfflineAccess(t *testing.T) {
	e := newEnv(t, x.Config{Scopes: []string{"tweet.read", "tweet.write", "users.read"}})
	g := e.connect("st", url.Values{"account": {"new"}})
	if g.Credentials.RefreshToken != "" || g.Problem != "" {
		t.Errorf("without offline.access: refresh token %v, problem %q", g.Credentials.RefreshToken != "", g.Problem)
	}
	if e.x.RefreshDue(g.Credentials, e.clock.Now().Add(3*time.Hour)) {
		t.Error("due without a refresh token")
	}
}

func TestRefreshFaults(t *testing.T) {
	cases := []struct {
		name      string
		fault     sandbox.Fault
		class     publisher.ErrorClass
		ambiguous bool
	}{
		{"server error", sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpRead}}, publisher.ClassRetryable, true},
		{"rate limit", sandbox.Fault{Kind: sandbox.FaultRateLimit, Ops: []sandbox.Op{sandbox.OpRead}, RetryAfter: time.Hour}, publisher.ClassRateLimited, false},
		{"connection dropped", sandbox.Fault{Kind: sandbox.FaultDrop, Ops: []sandbox.Op{sandbox.OpRead}}, publisher.ClassRetryable, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, x.Config{})
			g := e.connect("st", url.Values{"account": {"new"}})
			if err := e.sb.SetFault("x", g.ExternalID, c.fault); err != nil {
				t.Fatal(err)
			}
			_, err := e.x.Refresh(context.Background(), &publisher.Account{ExternalID: g.ExternalID}, g.Credentials)
			e.noSecretIn(err)
			pe := asPlatformError(t, err)
			if pe.Class != c.class || pe.Ambiguous != c.ambiguous {
				t.Errorf("got %s ambiguous=%v %q", pe.Class, pe.Ambiguous, pe.Message)
			}
			if c.class == publisher.ClassRateLimited && !pe.RetryAt.Equal(e.clock.Now().Add(time.Hour)) {
				t.Errorf("RetryAt %s", pe.RetryAt)
			}
			// The fault did not reach the token family: the refresh token
			// still works once the fault is gone.
			e.sb.ClearFaults("", "")
			if _, err := e.x.Refresh(context.Background(), &publisher.Account{ExternalID: g.ExternalID}, g.Credentials); err != nil {
				t.Errorf("after the fault: %v", err)
			}
		})
	}
}

// TestNoSecretInLogsOrErrors runs every operation, successful and failing,
// with debug logging, and checks that no token, client secret or PKCE
// verifier appears in a log line, an error message or a URL the platform
// saw (the env's cleanup checks the logs and URLs).
func TestNoSecretInLogsOrErrors(t *testing.T) {
	e := newEnv(t, x.Config{})
	e.secret(verifier)
	ctx := context.Background()
	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	g := e.connect("st", url.Values{"account": {"new"}})
	acct := &publisher.Account{ExternalID: g.ExternalID, Handle: g.Handle}
	c := g.Credentials
	pub, err := e.x.Publish(ctx, acct, c, publisher.Message{Text: "secret check", Media: []publisher.MediaRef{image("m", "image/gif", gif1)}})
	note(err)
	_, err = e.x.Lookup(ctx, acct, c, publisher.Message{Text: "secret check"}, e.clock.Now().Add(-time.Hour))
	note(err)
	if pub != nil {
		_, err = e.x.FetchMetrics(ctx, acct, c, pub.ExternalID)
		note(err)
	}
	_, err = e.x.Publish(ctx, acct, c, publisher.Message{Text: "secret check"}) // duplicate
	note(err)
	e.sb.SetFault("x", g.ExternalID, sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpAll}, Times: 2})
	_, err = e.x.Publish(ctx, acct, c, publisher.Message{Text: "fails"})
	note(err)
	_, err = e.x.Refresh(ctx, acct, c)
	note(err)
	next, err := e.x.Refresh(ctx, acct, c)
	note(err)
	e.secret(next.AccessToken, next.RefreshToken)
	_, err = e.x.Refresh(ctx, acct, c) // replay
	note(err)
	_, err = e.x.Exchange(ctx, "made-up-code", verifier, redirectURL)
	note(err)
	note(e.x.Delete(ctx, acct, next, "1"))
	_, err = e.x.Publish(ctx, acct, next, publisher.Message{Text: "after the replay"})
	note(err)
	if len(errs) < 6 {
		t.Errorf("only %d failures exercised", len(errs))
	}
	for _, err := range errs {
		e.noSecretIn(err)
	}
	if !strings.Contains(e.logs.String(), "x: token call") || !strings.Contains(e.logs.String(), "x: api call") {
		t.Errorf("the calls were not logged:\n%s", e.logs.String())
	}
}

// TestCredentialsNotLogged checks the domain's redaction holds for the
// credentials this connector returns (a log call that passes them whole).
func TestCredentialsNotLogged(t *testing.T) {
	e := newEnv(t, x.Config{})
	g := e.connect("st", url.Values{"account": {"new"}})
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("granted", "credentials", g.Credentials, "account", g)
	if strings.Contains(buf.String(), g.Credentials.AccessToken) || strings.Contains(buf.String(), g.Credentials.RefreshToken) {
		t.Errorf("credentials logged: %s", buf.String())
	}
}

func TestRevoke(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  x.Config
	}{
		{"confidential client", x.Config{}},
		{"public client", x.Config{ClientID: "public-client"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.cfg)
			e.secret(verifier)
			ctx := context.Background()
			g := e.connect("state-r", url.Values{"account": {"new"}, "name": {"Haryana Transport"}})
			acct := &publisher.Account{ExternalID: g.ExternalID, Handle: g.Handle}
			if _, err := e.x.Publish(ctx, acct, g.Credentials, publisher.Message{Text: "before revoking"}); err != nil {
				t.Fatal(err)
			}
			err := e.x.Revoke(ctx, acct, g.Credentials)
			e.noSecretIn(err)
			if err != nil {
				t.Fatal(err)
			}
			// The grant is gone: its access token no longer posts and its
			// refresh token no longer refreshes.
			if _, err := e.x.Publish(ctx, acct, g.Credentials, publisher.Message{Text: "after revoking"}); asPlatformError(t, err).Class != publisher.ClassAuth {
				t.Errorf("the access token still works after revoking: %v", err)
			}
			if _, err := e.x.Refresh(ctx, acct, g.Credentials); asPlatformError(t, err).Class != publisher.ClassAuth {
				t.Errorf("the refresh token still works after revoking: %v", err)
			}
			// Revoking again (or a grant X no longer knows) is not an error.
			if err := e.x.Revoke(ctx, acct, g.Credentials); err != nil {
				t.Errorf("second revoke: %v", err)
			}
		})
	}
}
