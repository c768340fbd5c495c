package facebook_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/facebook"
	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/publisher"
)

var (
	formRE  = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	inputRE = regexp.MustCompile(`<input ([^>]*)>`)
	attrRE  = regexp.MustCompile(`(\w+)(?:="([^"]*)")?`)
)

// consent drives the sandbox's Facebook Login dialog like a browser: it
// opens pageURL, lets edit change the form, submits it with decision, and
// returns where the browser is sent.
func consent(t *testing.T, e *env, pageURL, decision string, edit func(url.Values)) *url.URL {
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
		t.Fatalf("dialog %s: %d\n%s", pageURL, resp.StatusCode, body)
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
	to, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || to == nil {
		t.Fatalf("decision: %d", resp.StatusCode)
	}
	return to
}

// noSecrets checks that none of secrets reached a URL the sandbox saw or
// the connector's logs.
func noSecrets(t *testing.T, e *env, secrets ...string) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range secrets {
		for _, u := range e.urls {
			if strings.Contains(u, s) {
				t.Errorf("secret in URL %s", u)
			}
		}
		if strings.Contains(e.logs.String(), s) {
			t.Error("secret in the connector's logs")
		}
	}
}

func TestFacebookLogin(t *testing.T) {
	e := newEnv(t, facebook.Config{AppID: "app-1", AppSecret: "app-secret-XYZ"})
	ctx := context.Background()
	callback := e.srv.URL + "/prasar/oauth/facebook"
	u := e.fb.AuthCodeURL("state-9", "ignored", callback)
	parsed, _ := url.Parse(u)
	if !strings.HasPrefix(u, e.srv.URL+sandbox.FacebookWebPath+"/v25.0/dialog/oauth?") || parsed.Query().Get("client_id") != "app-1" ||
		parsed.Query().Get("scope") != "pages_show_list,pages_manage_posts,pages_read_engagement,pages_manage_metadata,read_insights" ||
		parsed.Query().Get("state") != "state-9" || parsed.Query().Get("redirect_uri") != callback {
		t.Fatalf("AuthCodeURL %s", u)
	}
	// The Page the env made exists already; grant it without content
	// creation, and add a new Page with it.
	to := consent(t, e, u, "approve", func(v url.Values) {
		v.Del("publish")
		v.Set("new_account", "Health Department")
	})
	if to.Query().Get("state") != "state-9" || to.Path != "/prasar/oauth/facebook" {
		t.Fatalf("redirected to %s", to)
	}
	code := to.Query().Get("code")
	accts, err := e.fb.Exchange(ctx, code+"#_=_", "", callback)
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 2 {
		t.Fatalf("%d accounts: %+v", len(accts), accts)
	}
	byName := map[string]publisher.GrantedAccount{}
	for _, a := range accts {
		byName[a.DisplayName] = a
	}
	agri, health := byName["Agriculture Department"], byName["Health Department"]
	if agri.ExternalID != pageID || !strings.Contains(agri.Problem, "CREATE_CONTENT") {
		t.Errorf("existing Page: %+v", agri)
	}
	if health.Problem != "" || health.Credentials.AccessToken == "" || health.Credentials.ExpiresAt != nil ||
		!slices.Contains(health.Scopes, "pages_manage_posts") || health.ProfileURL != e.srv.URL+sandbox.FacebookWebPath+"/"+health.ExternalID {
		t.Errorf("new Page: %+v", health)
	}
	// The Page token publishes, long after the user token would have expired.
	e.clock.Advance(200 * 24 * time.Hour)
	if e.fb.RefreshDue(health.Credentials, e.clock.Now()) {
		t.Error("a Page token is due for refresh")
	}
	acct := &publisher.Account{ExternalID: health.ExternalID}
	if _, err := e.fb.Publish(ctx, acct, health.Credentials, publisher.Message{Text: "connected through Facebook Login"}); err != nil {
		t.Errorf("publishing with the Page token: %v", err)
	}
	// The code is spent.
	if _, err := e.fb.Exchange(ctx, code, "", callback); asPlatformError(t, err).Class != publisher.ClassRejected {
		t.Errorf("a used code: %v", err)
	}
	noSecrets(t, e, "app-secret-XYZ", code, agri.Credentials.AccessToken, health.Credentials.AccessToken)
}

func TestFacebookLoginRefusals(t *testing.T) {
	e := newEnv(t, facebook.Config{AppID: "app-1", AppSecret: "fb-secret-ABC"})
	ctx := context.Background()
	callback := e.srv.URL + "/cb"
	u := e.fb.AuthCodeURL("s", "", callback)
	var codes []string
	defer func() { noSecrets(t, e, append(codes, "fb-secret-ABC")...) }()
	// No error shows the app secret or the code.
	asPlatformError := func(t *testing.T, err error) *publisher.PlatformError {
		t.Helper()
		for _, s := range append(codes, "fb-secret-ABC") {
			if err != nil && strings.Contains(err.Error(), s) {
				t.Errorf("the error shows a secret: %v", err)
			}
		}
		return asPlatformError(t, err)
	}
	consent := func(t *testing.T, e *env, pageURL, decision string, edit func(url.Values)) *url.URL {
		to := consent(t, e, pageURL, decision, edit)
		if c := to.Query().Get("code"); c != "" {
			codes = append(codes, c)
		}
		return to
	}

	// A permission withheld: every Page comes back with a problem.
	to := consent(t, e, u, "approve", func(v url.Values) {
		v["scope"] = slices.DeleteFunc(v["scope"], func(s string) bool { return s == "pages_manage_posts" })
	})
	accts, err := e.fb.Exchange(ctx, to.Query().Get("code"), "", callback)
	if err != nil || len(accts) != 1 || !strings.Contains(accts[0].Problem, "pages_manage_posts") {
		t.Errorf("without pages_manage_posts: %+v %v", accts, err)
	}
	// Pages hidden: nothing to connect.
	to = consent(t, e, u, "approve", func(v url.Values) {
		v["scope"] = slices.DeleteFunc(v["scope"], func(s string) bool { return s == "pages_show_list" })
	})
	if _, err := e.fb.Exchange(ctx, to.Query().Get("code"), "", callback); asPlatformError(t, err).Class != publisher.ClassRejected {
		t.Errorf("without pages_show_list: %v", err)
	}
	// No Page chosen.
	to = consent(t, e, u, "approve", func(v url.Values) { v.Del("account"); v.Del("new_account") })
	if _, err := e.fb.Exchange(ctx, to.Query().Get("code"), "", callback); !strings.Contains(asPlatformError(t, err).Message, "no Pages") {
		t.Errorf("no Page chosen: %v", err)
	}
	// Denied.
	if to := consent(t, e, u, "deny", nil); to.Query().Get("error") != "access_denied" || to.Query().Get("error_reason") != "user_denied" {
		t.Errorf("deny: %s", to)
	}
	// Another redirect URL than the dialog's; an expired code.
	to = consent(t, e, u, "approve", nil)
	_, err = e.fb.Exchange(ctx, to.Query().Get("code"), "", callback+"/other")
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassRejected || pe.Code != "100/36008" || pe.Ambiguous {
		t.Errorf("another redirect URL: %s %q", pe.Class, pe.Code)
	}
	to = consent(t, e, u, "approve", nil)
	e.clock.Advance(time.Hour)
	if _, err := e.fb.Exchange(ctx, to.Query().Get("code"), "", callback); asPlatformError(t, err).Code != "100/36007" {
		t.Errorf("an expired code: %v", err)
	}
	// Facebook down: retryable, and not ambiguous (nothing is published).
	if err := e.sb.SetFault("facebook", "", sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpRead}, Times: 1}); err != nil {
		t.Fatal(err)
	}
	_, err = e.fb.Exchange(ctx, "x", "", callback)
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassRetryable || pe.Ambiguous {
		t.Errorf("outage: %s ambiguous=%v", pe.Class, pe.Ambiguous)
	}
}

func TestFacebookRefresh(t *testing.T) {
	e := newEnv(t, facebook.Config{AppID: "app-1", AppSecret: "s"})
	ctx := context.Background()
	now := e.clock.Now()
	day := 24 * time.Hour
	exp := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	cases := []struct {
		name string
		cred publisher.Credentials
		due  bool
	}{
		{"Page token, no expiry", publisher.Credentials{AccessToken: "t"}, false},
		{"60 days left", publisher.Credentials{AccessToken: "t", ExpiresAt: exp(60 * day)}, false},
		{"9 days left", publisher.Credentials{AccessToken: "t", ExpiresAt: exp(9 * day)}, true},
		{"an hour left", publisher.Credentials{AccessToken: "t", ExpiresAt: exp(time.Hour)}, true},
		{"expired", publisher.Credentials{AccessToken: "t", ExpiresAt: exp(-time.Hour)}, false},
	}
	for _, c := range cases {
		if got := e.fb.RefreshDue(c.cred, now); got != c.due {
			t.Errorf("%s: RefreshDue = %v", c.name, got)
		}
	}
	if got := facebook.New(facebook.Config{OAuth: facebook.OAuthConfig{RefreshBefore: 20 * day}}).RefreshDue(cases[1].cred, now.Add(45*day)); !got {
		t.Error("RefreshBefore is not honoured")
	}

	// A user token (short-lived, from the dialog) renewed for 60 days.
	to := consent(t, e, e.fb.AuthCodeURL("s", "", e.srv.URL+"/cb"), "approve", nil)
	form := url.Values{"client_id": {"app-1"}, "client_secret": {"s"}, "redirect_uri": {e.srv.URL + "/cb"}, "code": {to.Query().Get("code")}}
	resp, err := http.PostForm(e.srv.URL+sandbox.FacebookGraphPath+"/v25.0/oauth/access_token", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	short := regexp.MustCompile(`"access_token":"([^"]+)"`).FindStringSubmatch(string(body))[1]
	cred := publisher.Credentials{AccessToken: short, ExpiresAt: exp(time.Hour), Extra: map[string]string{"k": "v"}}
	fresh, err := e.fb.Refresh(ctx, nil, cred)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.AccessToken == short || !fresh.ExpiresAt.Equal(now.Add(5183944*time.Second)) || fresh.Extra["k"] != "v" || e.fb.RefreshDue(fresh, now) {
		t.Errorf("renewed: %v %v", fresh.ExpiresAt, fresh.Extra)
	}
	if same, err := e.fb.Refresh(ctx, nil, publisher.Credentials{AccessToken: "page"}); err != nil || same.AccessToken != "page" {
		t.Errorf("a Page token: %v %v", same, err)
	}
	e.clock.Advance(2 * time.Hour)
	if _, err := e.fb.Refresh(ctx, nil, cred); asPlatformError(t, err).Class != publisher.ClassAuth {
		t.Errorf("an expired token: %v", err)
	}
	// A Page token is not a user token: Facebook refuses to exchange it.
	page := e.cred
	page.ExpiresAt = exp(100 * day)
	if _, err := e.fb.Refresh(ctx, nil, page); asPlatformError(t, err).Class != publisher.ClassAuth {
		t.Errorf("exchanging a Page token: %v", err)
	}
	noSecrets(t, e, short, fresh.AccessToken)
}

func TestFacebookLoginGolden(t *testing.T) {
	var got []*http.Request
	var forms []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		got = append(got, r)
		forms = append(forms, r.PostForm)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v24.0/oauth/access_token":
			if r.PostForm.Get("grant_type") == "fb_exchange_token" {
				io.WriteString(w, `{"access_token":"LONG","token_type":"bearer","expires_in":5183944}`)
			} else {
				// Old Graph versions answered form-encoded.
				w.Header().Set("Content-Type", "text/plain")
				io.WriteString(w, `access_token=SHORT&expires=3600`)
			}
		case "/v24.0/me/permissions":
			io.WriteString(w, `{"data":[{"permission":"pages_show_list","status":"granted"},{"permission":"pages_manage_posts","status":"granted"},{"permission":"pages_read_engagement","status":"declined"}]}`)
		case "/v24.0/me/accounts":
			if r.URL.Query().Get("after") == "" {
				io.WriteString(w, `{"data":[{"id":"11","name":"One","access_token":"P1","tasks":["CREATE_CONTENT"]}],"paging":{"cursors":{"after":"c1"},"next":"https://graph.facebook.com/next"}}`)
			} else {
				io.WriteString(w, `{"data":[{"id":"22","name":"Two","access_token":"P2","tasks":["CREATE_CONTENT"]}],"paging":{"cursors":{"after":"c2"}}}`)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := facebook.New(facebook.Config{GraphURL: srv.URL, WebURL: "https://www.facebook.com", APIVersion: "v24.0", AppID: "app", AppSecret: "sec",
		OAuth: facebook.OAuthConfig{ConfigID: "cfg-7", RequiredScopes: []string{"pages_manage_posts"}}})
	u, _ := url.Parse(c.AuthCodeURL("st", "", "https://prasar.example/cb"))
	if u.Path != "/v24.0/dialog/oauth" || u.Query().Get("config_id") != "cfg-7" || u.Query().Has("scope") || u.Query().Get("response_type") != "code" {
		t.Errorf("AuthCodeURL with a configuration: %s", u)
	}
	accts, err := c.Exchange(context.Background(), "CODE", "", "https://prasar.example/cb")
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 2 || accts[0].ExternalID != "11" || accts[1].Credentials.AccessToken != "P2" || accts[0].Problem != "" ||
		!slices.Equal(accts[0].Scopes, []string{"pages_show_list", "pages_manage_posts"}) {
		t.Errorf("granted %+v", accts)
	}
	if f := forms[0]; f.Get("code") != "CODE" || f.Get("client_id") != "app" || f.Get("client_secret") != "sec" || f.Get("redirect_uri") != "https://prasar.example/cb" || got[0].Method != "POST" {
		t.Errorf("code exchange: %s %v", got[0].Method, f)
	}
	if f := forms[1]; f.Get("grant_type") != "fb_exchange_token" || f.Get("fb_exchange_token") != "SHORT" {
		t.Errorf("long-lived exchange: %v", f)
	}
	for _, r := range got[2:] {
		if r.Header.Get("Authorization") != "Bearer LONG" || r.URL.Query().Get("appsecret_proof") == "" || r.URL.Query().Has("access_token") {
			t.Errorf("%s: %v %v", r.URL.Path, r.Header.Get("Authorization"), r.URL.Query())
		}
	}
	if q := got[3].URL.Query(); q.Get("fields") != "id,name,access_token,tasks,category" || q.Get("limit") != "100" {
		t.Errorf("me/accounts: %v", q)
	}
}
