package sandbox_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/sandbox"
)

const page = "1001"

func TestFacebookTokenForms(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("facebook", page, "Agriculture Department", 0)
	mk := func(n int) string { return "message " + strconv.Itoa(n) }
	cases := []struct {
		name string
		req  func(msg string) *http.Request
	}{
		{"bearer header, form body", func(msg string) *http.Request {
			r, _ := http.NewRequest("POST", e.graph("/"+page+"/feed"), strings.NewReader(url.Values{"message": {msg}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Authorization", "Bearer "+tok)
			return r
		}},
		{"OAuth header", func(msg string) *http.Request {
			r, _ := http.NewRequest("POST", e.graph("/"+page+"/feed"), strings.NewReader(url.Values{"message": {msg}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Authorization", "OAuth "+tok)
			return r
		}},
		{"token and message in the query", func(msg string) *http.Request {
			r, _ := http.NewRequest("POST", e.graph("/"+page+"/feed")+"?"+url.Values{"message": {msg}, "access_token": {tok}}.Encode(), nil)
			return r
		}},
		{"token in the form", func(msg string) *http.Request {
			r, _ := http.NewRequest("POST", e.graph("/"+page+"/feed"), strings.NewReader(url.Values{"message": {msg}, "access_token": {tok}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}},
		{"JSON body", func(msg string) *http.Request {
			b, _ := json.Marshal(map[string]any{"message": msg, "access_token": tok})
			r, _ := http.NewRequest("POST", e.graph("/"+page+"/feed"), bytes.NewReader(b))
			r.Header.Set("Content-Type", "application/json")
			return r
		}},
		{"unversioned path", func(msg string) *http.Request {
			r, _ := http.NewRequest("POST", e.srv.URL+sandbox.FacebookGraphPath+"/"+page+"/feed?access_token="+url.QueryEscape(tok)+"&message="+url.QueryEscape(msg), nil)
			return r
		}},
		{"other version", func(msg string) *http.Request {
			r, _ := http.NewRequest("POST", e.srv.URL+sandbox.FacebookGraphPath+"/v3.2/"+page+"/feed?access_token="+url.QueryEscape(tok)+"&message="+url.QueryEscape(msg), nil)
			return r
		}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := e.do(c.req(mk(i)))
			if a.status != 200 || !strings.HasPrefix(fmt.Sprint(a.body["id"]), page+"_") {
				t.Fatalf("got %d %s", a.status, a.raw)
			}
		})
	}
	if got := len(e.sb.Posts("facebook", page)); got != len(cases) {
		t.Errorf("recorded %d posts, want %d", got, len(cases))
	}
	bad, _ := http.NewRequest("POST", e.srv.URL+sandbox.FacebookGraphPath+"/vX.1/"+page+"/feed?access_token="+url.QueryEscape(tok)+"&message=x", nil)
	if a := e.do(bad); a.status != 400 {
		t.Errorf("bad version: got %d, want 400", a.status)
	} else if code, _ := a.errCode(); code != 2500 {
		t.Errorf("bad version: code %d, want 2500", code)
	}
}

func TestFacebookTokenErrors(t *testing.T) {
	e := newEnv(t)
	good := e.sb.MintToken("facebook", page, "Agriculture", time.Hour)
	other := sandbox.New(sandbox.Options{Secret: []byte("another secret")}).MintToken("facebook", page, "x", 0)
	xTok := e.sb.MintToken("x", page, "x", 0)
	cases := []struct {
		name          string
		token         string
		advance       time.Duration
		code, subcode int
		msg           string
	}{
		{"missing", "", 0, 104, 0, "An access token is required"},
		{"garbage", "EAAGarbage", 0, 190, 0, "Cannot parse access token"},
		{"signed with another secret", other, 0, 190, 0, "Cannot parse access token"},
		{"another platform's token", xTok, 0, 190, 0, "Cannot parse access token"},
		{"expired", good, 2 * time.Hour, 190, 463, "Session has expired on"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.clock.Advance(c.advance)
			a := e.form("POST", "/"+page+"/feed", c.token, url.Values{"message": {"hello " + c.name}})
			code, sub := a.errCode()
			if a.status != 400 || code != c.code || sub != c.subcode || !strings.Contains(a.errMessage(), c.msg) {
				t.Errorf("got %d code %d/%d %q; want 400 %d/%d containing %q", a.status, code, sub, a.errMessage(), c.code, c.subcode, c.msg)
			}
			if e, _ := a.body["error"].(map[string]any); e["type"] != "OAuthException" || e["fbtrace_id"] == "" {
				t.Errorf("envelope: %s", a.raw)
			}
		})
	}
	if n := len(e.sb.Posts("facebook", page)); n != 0 {
		t.Errorf("%d posts recorded for refused calls", n)
	}
}

func TestFacebookTokensSurviveRestart(t *testing.T) {
	first := sandbox.New(sandbox.Options{Secret: testSecret})
	tok := first.MintToken("facebook", "2002", "Health Department", 0)
	e := newEnv(t) // a new server with the same secret
	if len(e.sb.Accounts("facebook")) != 0 {
		t.Fatal("fresh sandbox has accounts")
	}
	a := e.form("POST", "/2002/feed", tok, url.Values{"message": {"after restart"}})
	if a.status != 200 {
		t.Fatalf("token refused after restart: %d %s", a.status, a.raw)
	}
	accts := e.sb.Accounts("facebook")
	if len(accts) != 1 || accts[0].ID != "2002" || accts[0].Name != "Health Department" {
		t.Errorf("accounts after first use: %+v", accts)
	}
}

func TestFacebookFeedPostAndRead(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("facebook", page, "Agriculture", 0)
	text := "किसानों के लिए नई योजना\r\nNew scheme for farmers"
	a := e.form("POST", "/"+page+"/feed", tok, url.Values{"message": {text}, "link": {"https://haryana.gov.in/scheme"}})
	if a.status != 200 {
		t.Fatalf("post: %d %s", a.status, a.raw)
	}
	id := a.body["id"].(string)
	if len(a.body) != 1 {
		t.Errorf("success shape %s, want only id", a.raw)
	}
	posts := e.sb.Posts("facebook", page)
	if len(posts) != 1 || posts[0].ID != id || posts[0].Text != text || posts[0].Link != "https://haryana.gov.in/scheme" {
		t.Fatalf("record: %+v", posts)
	}
	g := e.get("/"+id, tok, url.Values{"fields": {"id,message,created_time,permalink_url,is_published"}})
	if g.status != 200 || g.body["message"] != text || g.body["created_time"] != "2026-08-01T04:30:00+0000" || g.body["is_published"] != true {
		t.Errorf("read back: %d %s", g.status, g.raw)
	}
	_, postPart, _ := strings.Cut(id, "_")
	if pl := fmt.Sprint(g.body["permalink_url"]); pl != e.srv.URL+sandbox.FacebookWebPath+"/"+page+"/posts/"+postPart {
		t.Errorf("permalink %s", pl)
	}
	if b := e.get("/"+id, tok, url.Values{"fields": {"id,nonsense"}}); b.status != 400 || !strings.Contains(b.errMessage(), "nonexisting field (nonsense)") {
		t.Errorf("unknown field: %d %s", b.status, b.raw)
	}
	if b := e.get("/"+page+"_999", tok, nil); b.status != 400 {
		t.Errorf("unknown post: %d", b.status)
	} else if code, sub := b.errCode(); code != 100 || sub != 33 {
		t.Errorf("unknown post: code %d/%d", code, sub)
	}
	if b := e.form("POST", "/"+page+"/feed", tok, url.Values{}); b.status != 400 || !strings.Contains(b.errMessage(), "Missing message or attachment") {
		t.Errorf("empty post: %d %s", b.status, b.raw)
	}
	if b := e.form("POST", "/"+page+"/feed", tok, url.Values{"link": {"https://news.invalid/x"}}); b.status != 400 {
		t.Errorf("unscrapable link: %d", b.status)
	} else if code, _ := b.errCode(); code != 1609005 {
		t.Errorf("unscrapable link: code %d", code)
	}
}

func TestFacebookFeedPaging(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("facebook", page, "Agriculture", 0)
	start := e.clock.Now()
	for i := range 5 {
		if a := e.form("POST", "/"+page+"/feed", tok, url.Values{"message": {"post " + strconv.Itoa(i)}}); a.status != 200 {
			t.Fatal(a.status, string(a.raw))
		}
		e.clock.Advance(time.Minute)
	}
	var got []string
	q := url.Values{"limit": {"2"}, "since": {strconv.FormatInt(start.Add(time.Minute).Unix(), 10)}}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		a := e.get("/"+page+"/feed", tok, q)
		if a.status != 200 {
			t.Fatal(a.status, string(a.raw))
		}
		for _, d := range a.body["data"].([]any) {
			m := d.(map[string]any)
			if _, ok := m["created_time"]; !ok {
				t.Errorf("default fields lack created_time: %v", m)
			}
			got = append(got, m["message"].(string))
		}
		paging, _ := a.body["paging"].(map[string]any)
		next, _ := paging["next"].(string)
		if next == "" {
			break
		}
		if strings.Contains(next, "access_token") {
			t.Errorf("next URL carries the token: %s", next)
		}
		q.Set("after", paging["cursors"].(map[string]any)["after"].(string))
	}
	want := []string{"post 4", "post 3", "post 2", "post 1"} // newest first; post 0 is before since
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("feed %v, want %v", got, want)
	}
	other := e.sb.MintToken("facebook", "3003", "Other", 0)
	if a := e.get("/"+page+"/feed", other, nil); a.status != 400 {
		t.Errorf("another Page's feed: %d", a.status)
	} else if code, _ := a.errCode(); code != 10 {
		t.Errorf("another Page's feed: code %d", code)
	}
	if a := e.form("POST", "/"+page+"/feed", other, url.Values{"message": {"intruder"}}); a.status != 400 {
		t.Errorf("posting to another Page: %d", a.status)
	} else if code, _ := a.errCode(); code != 200 {
		t.Errorf("posting to another Page: code %d", code)
	}
}

func TestFacebookDuplicate(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("facebook", page, "Agriculture", 0)
	post := func(msg string) answer { return e.form("POST", "/"+page+"/feed", tok, url.Values{"message": {msg}}) }
	if a := post("same text"); a.status != 200 {
		t.Fatal(a.status)
	}
	a := post("same text")
	if code, sub := a.errCode(); a.status != 400 || code != 506 || sub != 1455006 || a.errMessage() != "(#506) Duplicate status message" {
		t.Errorf("duplicate: %d %s", a.status, a.raw)
	}
	if a := post("other text"); a.status != 200 {
		t.Errorf("different text refused: %s", a.raw)
	}
	if a := post("same text"); a.status != 200 {
		t.Errorf("repeat after another post refused: %s", a.raw)
	}
	if n := len(e.sb.Posts("facebook", page)); n != 3 {
		t.Errorf("%d posts, want 3", n)
	}
}

func TestFacebookPhotos(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("facebook", page, "Agriculture", 0)
	a := e.photo(page, tok, pngBytes, map[string]string{"message": "फसल बीमा", "alt_text_custom": "A wheat field"})
	if a.status != 200 || a.body["id"] == nil || !strings.HasPrefix(fmt.Sprint(a.body["post_id"]), page+"_") {
		t.Fatalf("photo post: %d %s", a.status, a.raw)
	}
	posts := e.sb.Posts("facebook", page)
	sum := sha256.Sum256(pngBytes)
	if len(posts) != 1 || posts[0].Text != "फसल बीमा" || len(posts[0].Images) != 1 ||
		posts[0].Images[0].SHA256 != hex.EncodeToString(sum[:]) || posts[0].Images[0].AltText != "A wheat field" || posts[0].Images[0].ContentType != "image/png" {
		t.Fatalf("record: %+v", posts)
	}
	resp, err := http.Get(e.srv.URL + "/sandbox/_media/" + fmt.Sprint(a.body["id"]))
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("media: %v %v", err, resp)
	}
	resp.Body.Close()

	for _, c := range []struct {
		name string
		data []byte
		code int
	}{{"no file", nil, 324}, {"not an image", []byte("plain text, not a picture"), 324}} {
		if a := e.photo(page, tok, c.data, map[string]string{"message": c.name}); a.status != 400 {
			t.Errorf("%s: %d", c.name, a.status)
		} else if code, _ := a.errCode(); code != c.code {
			t.Errorf("%s: code %d", c.name, code)
		}
	}
	if a := e.form("POST", "/"+page+"/photos", tok, url.Values{"url": {"https://example.org/a.jpg"}, "caption": {"by url"}}); a.status != 200 {
		t.Errorf("photo by url: %d %s", a.status, a.raw)
	}
}

func TestFacebookMultiPhoto(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("facebook", page, "Agriculture", 0)
	var ids []string
	for range 2 {
		a := e.photo(page, tok, pngBytes, map[string]string{"published": "false"})
		if a.status != 200 || a.body["post_id"] != nil {
			t.Fatalf("unpublished upload: %d %s", a.status, a.raw)
		}
		ids = append(ids, a.body["id"].(string))
	}
	if n := len(e.sb.Posts("facebook", page)); n != 0 {
		t.Fatalf("unpublished photos recorded as %d posts", n)
	}
	v := url.Values{"message": {"two photos"}}
	for i, id := range ids {
		v.Set(fmt.Sprintf("attached_media[%d]", i), `{"media_fbid":"`+id+`"}`)
	}
	a := e.form("POST", "/"+page+"/feed", tok, v)
	if a.status != 200 {
		t.Fatalf("multi-photo post: %d %s", a.status, a.raw)
	}
	posts := e.sb.Posts("facebook", page)
	if len(posts) != 1 || len(posts[0].Images) != 2 || posts[0].Images[0].ID != ids[0] || posts[0].Images[1].ID != ids[1] {
		t.Fatalf("record: %+v", posts)
	}
	v.Set("message", "reusing a photo")
	if a := e.form("POST", "/"+page+"/feed", tok, v); a.status != 400 {
		t.Errorf("attaching a used photo: %d", a.status)
	}
	// JSON body with an attached_media array.
	up := e.photo(page, tok, pngBytes, map[string]string{"published": "false"})
	b, _ := json.Marshal(map[string]any{"message": "json", "attached_media": []map[string]string{{"media_fbid": up.body["id"].(string)}}})
	req, _ := http.NewRequest("POST", e.graph("/"+page+"/feed"), bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	if a := e.do(req); a.status != 200 {
		t.Errorf("JSON attached_media: %d %s", a.status, a.raw)
	}
}

func TestFacebookScheduling(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("facebook", page, "Agriculture", 0)
	at := func(d time.Duration) string { return strconv.FormatInt(e.clock.Now().Add(d).Unix(), 10) }
	for _, d := range []time.Duration{5 * time.Minute, 31 * 24 * time.Hour} {
		a := e.form("POST", "/"+page+"/feed", tok, url.Values{"message": {"early"}, "published": {"false"}, "scheduled_publish_time": {at(d)}})
		if code, _ := a.errCode(); a.status != 400 || code != 100 {
			t.Errorf("scheduled in %s: %d %s", d, a.status, a.raw)
		}
	}
	a := e.form("POST", "/"+page+"/feed", tok, url.Values{"message": {"later"}, "published": {"false"}, "scheduled_publish_time": {at(time.Hour)}})
	if a.status != 200 {
		t.Fatalf("schedule: %d %s", a.status, a.raw)
	}
	count := func() int { return len(e.get("/"+page+"/feed", tok, nil).body["data"].([]any)) }
	if n := count(); n != 0 {
		t.Errorf("scheduled post visible early: %d", n)
	}
	e.clock.Advance(61 * time.Minute)
	if n := count(); n != 1 {
		t.Errorf("scheduled post not visible after its time: %d", n)
	}
}

func TestFacebookDelete(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("facebook", page, "Agriculture", 0)
	id := e.form("POST", "/"+page+"/feed", tok, url.Values{"message": {"to delete"}}).body["id"].(string)
	if a := e.form("DELETE", "/"+id, tok, nil); a.status != 200 || a.body["success"] != true {
		t.Fatalf("delete: %d %s", a.status, a.raw)
	}
	if a := e.get("/"+id, tok, nil); a.status != 400 {
		t.Errorf("read after delete: %d", a.status)
	}
	if a := e.form("DELETE", "/"+id, tok, nil); a.status != 400 {
		t.Errorf("second delete: %d", a.status)
	}
	if p := e.sb.Posts("facebook", page); len(p) != 1 || p[0].DeletedAt == nil {
		t.Errorf("record after delete: %+v", p)
	}
}

func TestFacebookInsights(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("facebook", page, "Agriculture", 0)
	id := e.form("POST", "/"+page+"/feed", tok, url.Values{"message": {"reach me"}}).body["id"].(string)
	reach := func() (int, int) {
		a := e.get("/"+id+"/insights", tok, url.Values{"metric": {"post_total_media_view_unique,post_media_view"}, "period": {"lifetime"}})
		if a.status != 200 {
			t.Fatalf("insights: %d %s", a.status, a.raw)
		}
		data := a.body["data"].([]any)
		if len(data) != 2 {
			t.Fatalf("insights data: %s", a.raw)
		}
		m := data[0].(map[string]any)
		if m["name"] != "post_total_media_view_unique" || m["period"] != "lifetime" || m["id"] != id+"/insights/post_total_media_view_unique/lifetime" {
			t.Errorf("metric shape: %v", m)
		}
		val := func(i int) int {
			return int(data[i].(map[string]any)["values"].([]any)[0].(map[string]any)["value"].(float64))
		}
		return val(0), val(1)
	}
	r0, _ := reach()
	e.clock.Advance(2 * time.Hour)
	r1, v1 := reach()
	e.clock.Advance(48 * time.Hour)
	r2, v2 := reach()
	if !(r0 == 0 && r1 > r0 && r2 > r1 && v1 >= r1 && v2 > v1) {
		t.Errorf("reach does not grow: %d, %d, %d (views %d, %d)", r0, r1, r2, v1, v2)
	}
	for _, metric := range []string{"post_impressions", "post_impressions_unique", "post_total_media_view_unique,post_engaged_users"} {
		a := e.get("/"+id+"/insights", tok, url.Values{"metric": {metric}})
		if code, _ := a.errCode(); a.status != 400 || code != 100 || a.errMessage() != "(#100) The value must be a valid insights metric" {
			t.Errorf("%s: %d %s", metric, a.status, a.raw)
		}
	}
	if a := e.get("/"+page+"/insights", tok, url.Values{"metric": {"page_total_media_view_unique"}, "period": {"day"}}); a.status != 200 {
		t.Errorf("page insights: %d %s", a.status, a.raw)
	}
	if a := e.get("/"+page+"/insights", tok, url.Values{"metric": {"page_fans"}}); a.status != 400 {
		t.Errorf("removed page metric: %d", a.status)
	}
}

func TestFacebookAccountsAndDebugToken(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("facebook", page, "Agriculture Department", time.Hour)
	a := e.get("/me/accounts", tok, url.Values{"fields": {"id,name,access_token,tasks,category"}})
	data, _ := a.body["data"].([]any)
	if a.status != 200 || len(data) != 1 {
		t.Fatalf("me/accounts: %d %s", a.status, a.raw)
	}
	p := data[0].(map[string]any)
	if p["id"] != page || p["name"] != "Agriculture Department" || p["access_token"] != tok || !strings.Contains(fmt.Sprint(p["tasks"]), "CREATE_CONTENT") {
		t.Errorf("page entry: %v", p)
	}
	if me := e.get("/me", tok, nil); me.body["id"] != page || me.body["name"] != "Agriculture Department" {
		t.Errorf("me: %s", me.raw)
	}
	debug := func(input string) map[string]any {
		u := e.srv.URL + sandbox.FacebookGraphPath + "/debug_token?" + url.Values{"input_token": {input}, "access_token": {"app|secret"}}.Encode()
		req, _ := http.NewRequest("GET", u, nil)
		a := e.do(req)
		if a.status != 200 {
			t.Fatalf("debug_token: %d %s", a.status, a.raw)
		}
		return a.body["data"].(map[string]any)
	}
	if d := debug(tok); d["is_valid"] != true || d["profile_id"] != page || int64(d["expires_at"].(float64)) != e.clock.Now().Add(time.Hour).Unix() {
		t.Errorf("valid token: %v", d)
	}
	if d := debug("nonsense"); d["is_valid"] != false {
		t.Errorf("garbage token: %v", d)
	}
	e.clock.Advance(2 * time.Hour)
	if d := debug(tok); d["is_valid"] != false || d["error"].(map[string]any)["subcode"] != float64(463) {
		t.Errorf("expired token: %v", d)
	}
}

func TestFacebookConcurrentPosts(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("facebook", page, "Agriculture", 0)
	const n = 40
	var wg sync.WaitGroup
	ids := make([]string, n)
	for i := range n {
		wg.Go(func() {
			a := e.form("POST", "/"+page+"/feed", tok, url.Values{"message": {"parallel " + strconv.Itoa(i)}})
			ids[i], _ = a.body["id"].(string)
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			t.Fatalf("missing or repeated id %q", id)
		}
		seen[id] = true
	}
	if got := len(e.sb.Posts("facebook", page)); got != n {
		t.Errorf("%d posts, want %d", got, n)
	}
}
