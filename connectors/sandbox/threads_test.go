package sandbox_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/sandbox"
)

const thUser = "25000000000000001"

func (e *metaEnv) th(method, path, token string, v url.Values) answer {
	e.t.Helper()
	return e.call(method, sandbox.ThreadsGraphPath, "/v1.0"+path, token, v)
}

func TestThreadsTextAndImage(t *testing.T) {
	e := newMetaEnv(t)
	tok := e.sb.MintToken("threads", thUser, "haryana_gov", 0)
	a := e.th("POST", "/"+thUser+"/threads", tok, url.Values{"media_type": {"TEXT"}, "text": {"हरियाणा सरकार की नई पहल 🙏"}})
	text := a.str("id")
	if a.status != 200 || text == "" {
		t.Fatalf("text container: %d %s", a.status, a.raw)
	}
	// Threads reports "status", not Instagram's "status_code"; text needs no processing.
	st := e.th("GET", "/"+text, tok, url.Values{"fields": {"status,error_message"}})
	if st.str("status") != "FINISHED" || st.body["status_code"] != nil {
		t.Errorf("text status: %s", st.raw)
	}
	a = e.th("POST", "/"+thUser+"/threads_publish", tok, url.Values{"creation_id": {text}})
	if a.status != 200 {
		t.Fatalf("publish: %d %s", a.status, a.raw)
	}
	got := e.th("GET", "/"+a.str("id"), tok, url.Values{"fields": {"id,text,timestamp,permalink,media_type"}})
	if got.str("text") != "हरियाणा सरकार की नई पहल 🙏" || got.str("media_type") != "TEXT_POST" || !strings.Contains(got.str("permalink"), sandbox.ThreadsWebPath+"/"+thUser+"/post/") {
		t.Errorf("post: %s", got.raw)
	}
	if status, body := e.page(strings.TrimPrefix(got.str("permalink"), e.srv.URL)); status != 200 || !strings.Contains(body, "नई पहल") {
		t.Errorf("post page: %d", status)
	}

	// PNG is fine on Threads; processing takes the configured time.
	img := e.th("POST", "/"+thUser+"/threads", tok, url.Values{"media_type": {"IMAGE"}, "image_url": {e.image("p.png", pngOf(t, 30, 10))}, "text": {"photo"}, "alt_text": {"A photo"}}).str("id")
	if s := e.th("GET", "/"+img, tok, url.Values{"fields": {"status"}}).str("status"); s != "IN_PROGRESS" {
		t.Errorf("image container: %s", s)
	}
	e.clock.Advance(time.Second)
	if a := e.th("POST", "/"+thUser+"/threads_publish", tok, url.Values{"creation_id": {img}}); a.status != 200 {
		t.Errorf("image publish: %d %s", a.status, a.raw)
	}
	// Errors: an ERROR container has an error_message.
	e.sb.SetMetaAccount("threads", thUser, sandbox.MetaAccountSettings{Containers: sandbox.ContainersError})
	bad := e.th("POST", "/"+thUser+"/threads", tok, url.Values{"media_type": {"IMAGE"}, "image_url": {e.image("p.png", pngOf(t, 30, 10))}}).str("id")
	if st := e.th("GET", "/"+bad, tok, url.Values{"fields": {"status,error_message"}}); st.str("status") != "ERROR" || st.str("error_message") == "" {
		t.Errorf("error container: %s", st.raw)
	}
	for _, v := range []url.Values{
		{"media_type": {"TEXT"}},
		{"text": {"no media type"}},
		{"media_type": {"IMAGE"}},
		{"media_type": {"VIDEO"}, "video_url": {e.srv.URL + "/v.mp4"}},
	} {
		if a := e.th("POST", "/"+thUser+"/threads", tok, v); a.status != 400 {
			t.Errorf("%v: %d", v, a.status)
		}
	}
}

func TestThreadsTextLimit(t *testing.T) {
	e := newMetaEnv(t)
	tok := e.sb.MintToken("threads", thUser, "haryana_gov", 0)
	cases := []struct {
		name string
		text string
		ok   bool
	}{
		{"500 letters", strings.Repeat("a", 500), true},
		{"501 letters", strings.Repeat("a", 501), false},
		{"500 Devanagari code points", strings.Repeat("क", 500), true},
		{"496 letters and one 4-byte emoji", strings.Repeat("a", 496) + "😀", true},
		{"497 letters and one 4-byte emoji", strings.Repeat("a", 497) + "😀", false},
		{"a flag counts 8", strings.Repeat("a", 492) + "🇮🇳", true},
		{"a flag counts 8, one over", strings.Repeat("a", 493) + "🇮🇳", false},
		{"heart with VS16 counts 6", strings.Repeat("a", 494) + "❤️", true},
		{"heart with VS16, one over", strings.Repeat("a", 495) + "❤️", false},
		{"a family of three counts 18", strings.Repeat("a", 482) + "👨‍👩‍👧", true},
		{"a family of three, one over", strings.Repeat("a", 483) + "👨‍👩‍👧", false},
		{"a keycap counts 7", strings.Repeat("a", 493) + "1️⃣", true},
		{"a keycap, one over", strings.Repeat("a", 494) + "1️⃣", false},
	}
	for _, c := range cases {
		a := e.th("POST", "/"+thUser+"/threads", tok, url.Values{"media_type": {"TEXT"}, "text": {c.text}})
		if (a.status == 200) != c.ok {
			t.Errorf("%s: %d %s", c.name, a.status, a.errMessage())
		}
	}
}

func TestThreadsCarouselQuotaDelete(t *testing.T) {
	e := newMetaEnv(t)
	tok := e.sb.MintToken("threads", thUser, "haryana_gov", 0)
	var children []string
	for range 20 {
		children = append(children, e.th("POST", "/"+thUser+"/threads", tok, url.Values{"media_type": {"IMAGE"}, "is_carousel_item": {"true"},
			"image_url": {e.image("c.jpg", jpegOf(t, 10, 10))}}).str("id"))
	}
	parent := e.th("POST", "/"+thUser+"/threads", tok, url.Values{"media_type": {"CAROUSEL"}, "children": {strings.Join(children, ",")}, "text": {"twenty"}})
	if parent.status != 200 {
		t.Fatalf("20 children: %d %s", parent.status, parent.raw)
	}
	e.clock.Advance(time.Second)
	pub := e.th("POST", "/"+thUser+"/threads_publish", tok, url.Values{"creation_id": {parent.str("id")}})
	if pub.status != 200 || len(e.sb.Posts("threads", thUser)[0].Images) != 20 {
		t.Fatalf("carousel: %d %s", pub.status, pub.raw)
	}
	limit := e.th("GET", "/"+thUser+"/threads_publishing_limit", tok, url.Values{"fields": {"quota_usage,config"}})
	if !strings.Contains(string(limit.raw), `"quota_usage":1`) || !strings.Contains(string(limit.raw), `"quota_total":250`) {
		t.Errorf("limit: %s", limit.raw)
	}
	// Delete, then the post is gone; deleting again is refused.
	del := e.th("DELETE", "/"+pub.str("id"), tok, nil)
	if del.status != 200 || del.body["success"] != true || del.str("deleted_id") != pub.str("id") {
		t.Errorf("delete: %d %s", del.status, del.raw)
	}
	if p := e.sb.Posts("threads", thUser)[0]; p.DeletedAt == nil {
		t.Error("the post is not marked deleted")
	}
	if a := e.th("DELETE", "/"+pub.str("id"), tok, nil); a.status != 400 {
		t.Errorf("deleting twice: %d", a.status)
	}
	// A deleted post still counts toward the quota.
	e.sb.SetMetaAccount("threads", "", sandbox.MetaAccountSettings{QuotaTotal: 1})
	c := e.th("POST", "/"+thUser+"/threads", tok, url.Values{"media_type": {"TEXT"}, "text": {"one more"}}).str("id")
	if a := e.th("POST", "/"+thUser+"/threads_publish", tok, url.Values{"creation_id": {c}}); a.status != 400 {
		t.Errorf("over the quota: %d %s", a.status, a.raw)
	} else if code, _ := a.errCode(); code != 9 {
		t.Errorf("over the quota: code %d", code)
	}
}

func TestThreadsInsights(t *testing.T) {
	e := newMetaEnv(t)
	tok := e.sb.MintToken("threads", thUser, "haryana_gov", 0)
	c := e.th("POST", "/"+thUser+"/threads", tok, url.Values{"media_type": {"TEXT"}, "text": {"hello"}}).str("id")
	id := e.th("POST", "/"+thUser+"/threads_publish", tok, url.Values{"creation_id": {c}}).str("id")
	all := "views,likes,replies,reposts,quotes,shares"
	if a := e.th("GET", "/"+id+"/insights", tok, url.Values{"metric": {all}}); len(a.body["data"].([]any)) != 0 {
		t.Errorf("a young post: %s", a.raw)
	}
	e.clock.Advance(48 * time.Hour)
	a := e.th("GET", "/"+id+"/insights", tok, url.Values{"metric": {all}})
	if data := a.body["data"].([]any); len(data) != 6 || data[0].(map[string]any)["name"] != "views" {
		t.Errorf("insights: %s", a.raw)
	}
	if a := e.th("GET", "/"+id+"/insights", tok, url.Values{"metric": {"views,impressions"}}); a.status != 400 {
		t.Errorf("unknown metric: %d", a.status)
	}
}

func TestThreadsLogin(t *testing.T) {
	e := newMetaEnv(t)
	client := noRedirects(e.env)
	callback := e.srv.URL + "/callback"
	form := readConsent(t, client, e.srv.URL+sandbox.ThreadsWebPath+"/oauth/authorize?"+url.Values{"client_id": {"th-app"}, "redirect_uri": {callback},
		"scope": {"threads_basic,threads_content_publish"}, "response_type": {"code"}, "state": {"s1"}}.Encode())
	form.values.Set("new_account", "haryana_gov")
	to := form.submit(t, client, e.srv.URL, "approve")
	if to.Fragment != "_" {
		t.Errorf("redirect %s", to)
	}
	exchange := func(code string) answer {
		req, _ := http.NewRequest("POST", e.srv.URL+sandbox.ThreadsGraphPath+"/oauth/access_token", strings.NewReader(url.Values{
			"client_id": {"th-app"}, "client_secret": {"sec"}, "grant_type": {"authorization_code"}, "redirect_uri": {callback}, "code": {code}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return e.do(req)
	}
	a := exchange(to.Query().Get("code"))
	short := a.str("access_token")
	if a.status != 200 || short == "" || a.body["user_id"] == nil {
		t.Fatalf("exchange: %d %s", a.status, a.raw)
	}
	if a := exchange(to.Query().Get("code")); a.status != 400 {
		t.Errorf("code reused: %d", a.status)
	}
	me := e.th("GET", "/me", short, url.Values{"fields": {"id,username"}})
	if me.str("username") != "haryana_gov" || !strings.HasPrefix(me.str("id"), "2") || len(me.str("id")) != 18 {
		t.Errorf("me: %s", me.raw)
	}
	a = e.call("GET", sandbox.ThreadsGraphPath, "/access_token", "", url.Values{"grant_type": {"th_exchange_token"}, "client_secret": {"sec"}, "access_token": {short}})
	long := a.str("access_token")
	if a.status != 200 || a.body["expires_in"] != float64(5183944) {
		t.Fatalf("long-lived: %d %s", a.status, a.raw)
	}
	if a := e.call("GET", sandbox.ThreadsGraphPath, "/refresh_access_token", "", url.Values{"grant_type": {"ig_refresh_token"}, "access_token": {long}}); a.status != 400 {
		t.Errorf("Instagram's grant on Threads: %d", a.status)
	}
	e.clock.Advance(24 * time.Hour)
	if a := e.call("GET", sandbox.ThreadsGraphPath, "/refresh_access_token", "", url.Values{"grant_type": {"th_refresh_token"}, "access_token": {long}}); a.status != 200 {
		t.Errorf("refresh at 24 h: %d %s", a.status, a.raw)
	}
	// Faults in Graph shapes.
	e.sb.SetFault("threads", "", sandbox.Fault{Kind: sandbox.FaultRateLimit, Ops: []sandbox.Op{sandbox.OpAll}, Times: 1})
	if a := e.th("GET", "/me", long, nil); a.status != 400 {
		t.Errorf("rate limit: %d", a.status)
	} else if c, _ := a.errCode(); c != 4 || a.header.Get("X-Business-Use-Case-Usage") == "" {
		t.Errorf("rate limit: %d %v", c, a.header)
	}
}
