package sandbox_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/sandbox"
)

// consentForm is a consent page's form as a browser would submit it.
type consentForm struct {
	action string
	values url.Values
	// options lists every checkbox and radio button: name → values.
	options map[string][]string
}

var (
	formRE  = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	inputRE = regexp.MustCompile(`<input ([^>]*)>`)
	attrRE  = regexp.MustCompile(`(\w+)(?:="([^"]*)")?`)
)

// readConsent fetches a consent page and reads its form.
func readConsent(t *testing.T, client *http.Client, pageURL string) consentForm {
	t.Helper()
	resp, err := client.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "SANDBOX") {
		t.Fatalf("consent page %s: %d\n%s", pageURL, resp.StatusCode, body)
	}
	m := formRE.FindStringSubmatch(string(body))
	if m == nil {
		t.Fatalf("no form on the consent page:\n%s", body)
	}
	f := consentForm{action: html.UnescapeString(m[1]), values: url.Values{}, options: map[string][]string{}}
	for _, in := range inputRE.FindAllStringSubmatch(string(body), -1) {
		attrs := map[string]string{}
		for _, a := range attrRE.FindAllStringSubmatch(in[1], -1) {
			attrs[a[1]] = html.UnescapeString(a[2])
		}
		_, checked := attrs["checked"]
		switch attrs["type"] {
		case "checkbox", "radio":
			f.options[attrs["name"]] = append(f.options[attrs["name"]], attrs["value"])
			if checked {
				f.values.Add(attrs["name"], attrs["value"])
			}
		default:
			f.values.Add(attrs["name"], attrs["value"])
		}
	}
	return f
}

// submit posts the form with a decision and returns the redirect target
// (the client must not follow redirects).
func (f consentForm) submit(t *testing.T, client *http.Client, base, decision string) *url.URL {
	t.Helper()
	v := url.Values{}
	for k, vs := range f.values {
		v[k] = slices.Clone(vs)
	}
	v.Set("decision", decision)
	resp, err := client.PostForm(base+f.action, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("decision %s: %d, want 303\n%s", decision, resp.StatusCode, b)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// noRedirects is a client that stops at the first redirect.
func noRedirects(e *env) *http.Client {
	c := *e.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func TestFacebookLoginRoundTrip(t *testing.T) {
	e := newEnv(t)
	e.sb.MintToken("facebook", page, "Agriculture Department", 0) // a Page the sandbox knows already
	client := noRedirects(e)
	callback := e.srv.URL + "/callback?from=prasar"
	dialog := e.srv.URL + sandbox.FacebookWebPath + "/v25.0/dialog/oauth?" + url.Values{"client_id": {"app-1"}, "redirect_uri": {callback},
		"state": {"st-1"}, "response_type": {"code"}, "scope": {"pages_show_list,pages_manage_posts,pages_read_engagement"}}.Encode()
	form := readConsent(t, client, dialog)
	if got := form.options["account"]; !slices.Equal(got, []string{page}) {
		t.Fatalf("pages offered: %v", got)
	}
	if got := form.options["scope"]; !slices.Equal(got, []string{"pages_show_list", "pages_manage_posts", "pages_read_engagement"}) {
		t.Errorf("scopes offered: %v", got)
	}
	// The existing Page may only be analysed; a new Page gets full control;
	// pages_read_engagement is refused.
	form.values.Del("publish")
	form.values.Set("new_account", "Health Department")
	form.values["scope"] = []string{"pages_show_list", "pages_manage_posts"}
	to := form.submit(t, client, e.srv.URL, "approve")
	if to.Path != "/callback" || to.Query().Get("from") != "prasar" || to.Query().Get("state") != "st-1" || to.Query().Get("code") == "" {
		t.Fatalf("redirect: %s", to)
	}
	code := to.Query().Get("code")

	exchange := func(v url.Values) answer {
		t.Helper()
		req, _ := http.NewRequest("POST", e.graph("/oauth/access_token"), strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return e.do(req)
	}
	good := url.Values{"client_id": {"app-1"}, "client_secret": {"s"}, "redirect_uri": {callback}, "code": {code}}
	if a := exchange(url.Values{"client_id": {"app-1"}, "client_secret": {"s"}, "redirect_uri": {e.srv.URL + "/other"}, "code": {code}}); a.status != 400 {
		t.Fatalf("another redirect_uri: %d %s", a.status, a.raw)
	} else if c, sub := a.errCode(); c != 100 || sub != 36008 {
		t.Errorf("another redirect_uri: %d/%d", c, sub)
	}
	a := exchange(good)
	short, _ := a.body["access_token"].(string)
	if a.status != 200 || short == "" || a.body["expires_in"] != float64(3600) || a.body["token_type"] != "bearer" {
		t.Fatalf("code exchange: %d %s", a.status, a.raw)
	}
	if a := exchange(good); a.status != 400 {
		t.Errorf("code used twice: %d", a.status)
	} else if c, sub := a.errCode(); c != 100 || sub != 36009 {
		t.Errorf("code used twice: %d/%d", c, sub)
	}

	a = exchange(url.Values{"grant_type": {"fb_exchange_token"}, "client_id": {"app-1"}, "client_secret": {"s"}, "fb_exchange_token": {short}})
	long, _ := a.body["access_token"].(string)
	if a.status != 200 || long == "" || long == short || a.body["expires_in"] != float64(5183944) {
		t.Fatalf("long-lived exchange: %d %s", a.status, a.raw)
	}

	perms := e.get("/me/permissions", long, nil)
	if got := fmt.Sprint(perms.body["data"]); !strings.Contains(got, "pages_manage_posts") || strings.Contains(got, "pages_read_engagement") {
		t.Errorf("permissions: %s", perms.raw)
	}
	if me := e.get("/me", long, nil); me.status != 200 || me.body["name"] != "Sandbox Officer" {
		t.Errorf("me: %s", me.raw)
	}
	accts := e.get("/me/accounts", long, url.Values{"fields": {"id,name,access_token,tasks"}})
	data, _ := accts.body["data"].([]any)
	if accts.status != 200 || len(data) != 2 {
		t.Fatalf("me/accounts: %d %s", accts.status, accts.raw)
	}
	tasks := map[string]string{}
	var healthToken, healthID string
	for _, d := range data {
		p := d.(map[string]any)
		tasks[p["name"].(string)] = fmt.Sprint(p["tasks"])
		if p["name"] == "Health Department" {
			healthToken, healthID = p["access_token"].(string), p["id"].(string)
		}
	}
	if strings.Contains(tasks["Agriculture Department"], "CREATE_CONTENT") || !strings.Contains(tasks["Health Department"], "CREATE_CONTENT") {
		t.Errorf("tasks: %v", tasks)
	}
	// The Page token works for publishing and does not expire.
	e.clock.Advance(100 * 24 * time.Hour)
	if a := e.form("POST", "/"+healthID+"/feed", healthToken, url.Values{"message": {"from a connected Page"}}); a.status != 200 {
		t.Errorf("posting with the Page token: %d %s", a.status, a.raw)
	}
	// The user token has expired by now.
	if a := e.get("/me/accounts", long, nil); a.status != 400 {
		t.Errorf("expired user token: %d", a.status)
	} else if c, sub := a.errCode(); c != 190 || sub != 463 {
		t.Errorf("expired user token: %d/%d", c, sub)
	}
	// Connecting the same Page name again gives the same Page id.
	form = readConsent(t, client, dialog)
	form.values.Set("new_account", "health department ")
	code = form.submit(t, client, e.srv.URL, "approve").Query().Get("code")
	tok := exchange(url.Values{"client_id": {"app-1"}, "client_secret": {"s"}, "redirect_uri": {callback}, "code": {code}}).body["access_token"].(string)
	if got := fmt.Sprint(e.get("/me/accounts", tok, nil).body["data"]); !strings.Contains(got, healthID) {
		t.Errorf("the Page id changed on reconnecting: %s", got)
	}
}

func TestFacebookLoginRefusals(t *testing.T) {
	e := newEnv(t)
	client := noRedirects(e)
	callback := e.srv.URL + "/callback"
	dialog := func(v url.Values) string {
		return e.srv.URL + sandbox.FacebookWebPath + "/v25.0/dialog/oauth?" + v.Encode()
	}

	// Deny: back to the app with Facebook's error.
	form := readConsent(t, client, dialog(url.Values{"client_id": {"a"}, "redirect_uri": {callback}, "state": {"s"}, "scope": {"pages_show_list"}}))
	to := form.submit(t, client, e.srv.URL, "deny")
	if q := to.Query(); q.Get("error") != "access_denied" || q.Get("error_reason") != "user_denied" || q.Get("state") != "s" || q.Get("code") != "" {
		t.Errorf("deny: %s", to)
	}
	// A redirect to another host, a missing client id: an error page, no redirect.
	for _, v := range []url.Values{
		{"client_id": {"a"}, "redirect_uri": {"https://evil.example/cb"}},
		{"redirect_uri": {callback}},
		{"client_id": {"a"}, "redirect_uri": {callback}, "response_type": {"token"}},
	} {
		resp, err := client.Get(dialog(v))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
			t.Errorf("%v: %d %s", v, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// A forged form is refused.
	form = readConsent(t, client, dialog(url.Values{"client_id": {"a"}, "redirect_uri": {callback}}))
	form.values.Set("request", form.values.Get("request")+"x")
	resp, err := client.PostForm(e.srv.URL+form.action, url.Values{"request": form.values["request"], "decision": {"approve"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("forged form: %d", resp.StatusCode)
	}
	// An expired code.
	form = readConsent(t, client, dialog(url.Values{"client_id": {"a"}, "redirect_uri": {callback}}))
	code := form.submit(t, client, e.srv.URL, "approve").Query().Get("code")
	e.clock.Advance(11 * time.Minute)
	req, _ := http.NewRequest("GET", e.graph("/oauth/access_token")+"?"+url.Values{"client_id": {"a"}, "client_secret": {"s"}, "redirect_uri": {callback}, "code": {code}}.Encode(), nil)
	if a := e.do(req); a.status != 400 {
		t.Errorf("expired code: %d", a.status)
	} else if c, sub := a.errCode(); c != 100 || sub != 36007 {
		t.Errorf("expired code: %d/%d", c, sub)
	}
	// A Page token cannot be exchanged as a user token; a missing secret is refused.
	pageTok := e.sb.MintToken("facebook", page, "Agriculture", 0)
	req, _ = http.NewRequest("GET", e.graph("/oauth/access_token")+"?"+url.Values{"grant_type": {"fb_exchange_token"}, "client_id": {"a"}, "client_secret": {"s"}, "fb_exchange_token": {pageTok}}.Encode(), nil)
	if a := e.do(req); a.status != 400 {
		t.Errorf("page token exchanged: %d", a.status)
	}
	req, _ = http.NewRequest("GET", e.graph("/oauth/access_token")+"?"+url.Values{"client_id": {"a"}, "code": {"x"}}.Encode(), nil)
	if a := e.do(req); a.status != 400 || !strings.Contains(a.errMessage(), "client_secret") {
		t.Errorf("no secret: %d %s", a.status, a.raw)
	}
	// Faults apply to the token endpoint too.
	if err := e.sb.SetFault("facebook", "", sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpRead}, Times: 1}); err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest("GET", e.graph("/oauth/access_token")+"?"+url.Values{"client_id": {"a"}, "client_secret": {"s"}, "code": {"x"}, "redirect_uri": {callback}}.Encode(), nil)
	if a := e.do(req); a.status != 500 {
		t.Errorf("fault on the token endpoint: %d", a.status)
	}
}
