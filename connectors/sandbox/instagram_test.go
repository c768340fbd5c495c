package sandbox_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/sandbox"
)

// metaEnv is a sandbox served over HTTP beside an image server on the same
// host (as Prasar's signed media URLs are in sandbox mode).
type metaEnv struct {
	*env
	mu     sync.Mutex
	images map[string][]byte
}

func newMetaEnv(t *testing.T) *metaEnv {
	t.Helper()
	c := newClock()
	sb := sandbox.New(sandbox.Options{Secret: testSecret, Now: c.Now})
	e := &metaEnv{images: map[string][]byte{}}
	mux := http.NewServeMux()
	mux.Handle(sandbox.MountPath, sb.Handler())
	mux.HandleFunc("GET /media/{name}", func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		b, ok := e.images[r.PathValue("name")]
		e.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.env = &env{t: t, sb: sb, srv: srv, clock: c}
	return e
}

// image serves data and returns its URL.
func (e *metaEnv) image(name string, data []byte) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.images[name] = data
	return e.srv.URL + "/media/" + name + "?exp=1&sig=abc"
}

// call sends a form-encoded Graph call to a fake mounted at base, with the
// token in the Authorization header.
func (e *metaEnv) call(method, base, path, token string, v url.Values) answer {
	e.t.Helper()
	u := e.srv.URL + base + path
	var body *strings.Reader
	if method == http.MethodGet || method == http.MethodDelete {
		if len(v) > 0 {
			u += "?" + v.Encode()
		}
		body = strings.NewReader("")
	} else {
		body = strings.NewReader(v.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(req)
}

func (e *metaEnv) ig(method, path, token string, v url.Values) answer {
	e.t.Helper()
	return e.call(method, sandbox.InstagramGraphPath, "/v25.0"+path, token, v)
}

func jpegOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const igUser = "17841400000001"

func (a answer) str(key string) string { s, _ := a.body[key].(string); return s }

func TestInstagramPublishImage(t *testing.T) {
	e := newMetaEnv(t)
	tok := e.sb.MintToken("instagram", igUser, "haryana_agri", 60*24*time.Hour)
	img := jpegOf(t, 100, 100)
	a := e.ig("POST", "/"+igUser+"/media", tok, url.Values{"image_url": {e.image("a.jpg", img)}, "caption": {"नई योजना #Haryana"}, "alt_text": {"Farmers in a field"}})
	container := a.str("id")
	if a.status != 200 || container == "" {
		t.Fatalf("create: %d %s", a.status, a.raw)
	}
	status := func() string {
		return e.ig("GET", "/"+container, tok, url.Values{"fields": {"status_code,status"}}).str("status_code")
	}
	if s := status(); s != "IN_PROGRESS" {
		t.Errorf("fresh container: %s", s)
	}
	if a := e.ig("POST", "/"+igUser+"/media_publish", tok, url.Values{"creation_id": {container}}); a.status != 400 {
		t.Errorf("publishing an unfinished container: %d", a.status)
	} else if c, sub := a.errCode(); c != 9007 || sub != 2207027 {
		t.Errorf("unfinished: %d/%d", c, sub)
	}
	e.clock.Advance(time.Second)
	if s := status(); s != "FINISHED" {
		t.Fatalf("after the delay: %s", s)
	}
	a = e.ig("POST", "/me/media_publish", tok, url.Values{"creation_id": {container}})
	media := a.str("id")
	if a.status != 200 || media == "" {
		t.Fatalf("publish: %d %s", a.status, a.raw)
	}
	if s := status(); s != "PUBLISHED" {
		t.Errorf("published container: %s", s)
	}
	posts := e.sb.Posts("instagram", igUser)
	if len(posts) != 1 || posts[0].ID != media || posts[0].Text != "नई योजना #Haryana" || len(posts[0].Images) != 1 ||
		posts[0].Images[0].AltText != "Farmers in a field" || posts[0].Images[0].ContentType != "image/jpeg" || posts[0].Images[0].Size != int64(len(img)) {
		t.Fatalf("recorded %+v", posts)
	}
	got := e.ig("GET", "/"+media, tok, url.Values{"fields": {"id,caption,timestamp,permalink,media_type,shortcode"}})
	permalink := got.str("permalink")
	if got.str("caption") != "नई योजना #Haryana" || got.str("timestamp") != "2026-08-01T04:30:01+0000" || got.str("media_type") != "IMAGE" ||
		!strings.HasPrefix(permalink, e.srv.URL+sandbox.InstagramWebPath+"/p/") {
		t.Errorf("media: %s", got.raw)
	}
	// The post page shows it, with the fetched image kept by the sandbox.
	status2, body := e.page(strings.TrimPrefix(permalink, e.srv.URL))
	if status2 != 200 || !strings.Contains(body, "नई योजना #Haryana") || !strings.Contains(body, `alt="Farmers in a field"`) || !strings.Contains(body, "/sandbox/_media/"+container) {
		t.Errorf("post page: %d\n%s", status2, body)
	}
	if status, body := e.page(sandbox.InstagramWebPath + "/" + igUser); status != 200 || !strings.Contains(body, "haryana_agri") || !strings.Contains(body, "नई योजना") {
		t.Errorf("profile page: %d\n%s", status, body)
	}
	limit := e.ig("GET", "/"+igUser+"/content_publishing_limit", tok, url.Values{"fields": {"quota_usage,config"}})
	if !strings.Contains(string(limit.raw), `"quota_usage":1`) || !strings.Contains(string(limit.raw), `"quota_total":100`) || !strings.Contains(string(limit.raw), `"quota_duration":86400`) {
		t.Errorf("limit: %s", limit.raw)
	}
	// The Instagram API cannot delete media.
	if a := e.ig("DELETE", "/"+media, tok, nil); a.status != 400 {
		t.Errorf("delete: %d", a.status)
	} else if c, sub := a.errCode(); c != 100 || sub != 33 {
		t.Errorf("delete: %d/%d", c, sub)
	}
	// Publishing needs the professional account id, not the app-scoped id /me gives as "id".
	me := e.ig("GET", "/me", tok, url.Values{"fields": {"user_id,username,id"}})
	if me.str("user_id") != igUser || me.str("username") != "haryana_agri" || me.str("id") == igUser || me.str("id") == "" {
		t.Errorf("me: %s", me.raw)
	}
	if a := e.ig("POST", "/"+me.str("id")+"/media", tok, url.Values{"image_url": {e.image("a.jpg", img)}}); a.status != 400 {
		t.Errorf("creating on the app-scoped id: %d", a.status)
	}
}

func TestInstagramCarousel(t *testing.T) {
	e := newMetaEnv(t)
	tok := e.sb.MintToken("instagram", igUser, "haryana_agri", 0)
	var children []string
	for i := range 3 {
		a := e.ig("POST", "/"+igUser+"/media", tok, url.Values{"image_url": {e.image(strconv.Itoa(i), jpegOf(t, 80, 100))}, "is_carousel_item": {"true"}, "alt_text": {"photo " + strconv.Itoa(i)}})
		if a.status != 200 {
			t.Fatalf("child %d: %d %s", i, a.status, a.raw)
		}
		children = append(children, a.str("id"))
	}
	eleven := append(append(append(append([]string{}, children...), children...), children...), children...)[:11]
	for _, bad := range [][]string{children[:1], eleven} {
		if a := e.ig("POST", "/"+igUser+"/media", tok, url.Values{"media_type": {"CAROUSEL"}, "children": {strings.Join(bad, ",")}}); a.status != 400 {
			t.Errorf("%d children: %d", len(bad), a.status)
		}
	}
	parent := e.ig("POST", "/"+igUser+"/media", tok, url.Values{"media_type": {"CAROUSEL"}, "children": {strings.Join(children, ",")}, "caption": {"three photos"}}).str("id")
	if a := e.ig("POST", "/"+igUser+"/media_publish", tok, url.Values{"creation_id": {children[0]}}); a.status != 400 {
		t.Errorf("publishing a child: %d", a.status)
	}
	e.clock.Advance(time.Second)
	a := e.ig("POST", "/"+igUser+"/media_publish", tok, url.Values{"creation_id": {parent}})
	if a.status != 200 {
		t.Fatalf("publish: %d %s", a.status, a.raw)
	}
	posts := e.sb.Posts("instagram", igUser)
	if len(posts) != 1 || len(posts[0].Images) != 3 || posts[0].Images[2].AltText != "photo 2" || posts[0].Text != "three photos" {
		t.Fatalf("recorded %+v", posts)
	}
	if got := e.ig("GET", "/"+a.str("id"), tok, url.Values{"fields": {"media_type"}}).str("media_type"); got != "CAROUSEL_ALBUM" {
		t.Errorf("media_type %s", got)
	}
}

func TestInstagramImageChecks(t *testing.T) {
	e := newMetaEnv(t)
	tok := e.sb.MintToken("instagram", igUser, "haryana_agri", 0)
	big := append([]byte("\xff\xd8\xff\xe0"), make([]byte, 8<<20)...)
	cases := []struct {
		name          string
		url           string
		code, subcode int
	}{
		{"another host", "https://cdn.example.org/a.jpg", 9004, 2207052},
		{"not found", e.srv.URL + "/media/missing.jpg", 9004, 2207052},
		{"non-ASCII URL", e.srv.URL + "/media/चित्र.jpg", 9004, 2207052},
		{"PNG", e.image("p.png", pngOf(t, 10, 10)), 36001, 2207005},
		{"over 8 MiB", e.image("big.jpg", big), 36000, 2207004},
	}
	for _, c := range cases {
		a := e.ig("POST", "/"+igUser+"/media", tok, url.Values{"image_url": {c.url}})
		if code, sub := a.errCode(); a.status != 400 || code != c.code || sub != c.subcode {
			t.Errorf("%s: %d %d/%d %s", c.name, a.status, code, sub, a.raw)
		}
	}
	// A wide image is accepted, then fails in processing.
	a := e.ig("POST", "/"+igUser+"/media", tok, url.Values{"image_url": {e.image("wide.jpg", jpegOf(t, 300, 100))}})
	e.clock.Advance(time.Minute)
	st := e.ig("GET", "/"+a.str("id"), tok, url.Values{"fields": {"status_code,status"}})
	if st.str("status_code") != "ERROR" || !strings.Contains(st.str("status"), "2207009") {
		t.Errorf("wide image: %s", st.raw)
	}
	if a := e.ig("POST", "/"+igUser+"/media", tok, url.Values{"image_url": {e.image("ok.jpg", jpegOf(t, 10, 10))}, "caption": {strings.Repeat("#tag ", 31)}}); a.status != 400 {
		t.Errorf("31 hashtags: %d", a.status)
	}
	if a := e.ig("POST", "/"+igUser+"/media", tok, url.Values{"image_url": {e.image("ok.jpg", jpegOf(t, 10, 10))}, "caption": {strings.Repeat("क", 2201)}}); a.status != 400 {
		t.Errorf("2201 characters: %d", a.status)
	}
	if a := e.ig("POST", "/"+igUser+"/media", tok, url.Values{"image_url": {e.image("ok.jpg", jpegOf(t, 10, 10))}, "caption": {strings.Repeat("क", 2200)}}); a.status != 200 {
		t.Errorf("2200 characters: %d %s", a.status, a.raw)
	}
}

func TestInstagramContainerModes(t *testing.T) {
	e := newMetaEnv(t)
	tok := e.sb.MintToken("instagram", igUser, "haryana_agri", 0)
	create := func() string {
		return e.ig("POST", "/"+igUser+"/media", tok, url.Values{"image_url": {e.image("a.jpg", jpegOf(t, 10, 10))}}).str("id")
	}
	status := func(id string) string {
		return e.ig("GET", "/"+id, tok, url.Values{"fields": {"status_code"}}).str("status_code")
	}
	publish := func(id string) (int, int) {
		return e.ig("POST", "/"+igUser+"/media_publish", tok, url.Values{"creation_id": {id}}).errCode()
	}
	if err := e.sb.SetMetaAccount("instagram", igUser, sandbox.MetaAccountSettings{Containers: sandbox.ContainersStuck}); err != nil {
		t.Fatal(err)
	}
	stuck := create()
	e.clock.Advance(time.Hour)
	if s := status(stuck); s != "IN_PROGRESS" {
		t.Errorf("stuck after an hour: %s", s)
	}
	if err := e.sb.SetMetaAccount("instagram", igUser, sandbox.MetaAccountSettings{Containers: sandbox.ContainersError}); err != nil {
		t.Fatal(err)
	}
	failed := create()
	if s := status(failed); s != "ERROR" {
		t.Errorf("error mode: %s", s)
	}
	if c, sub := publish(failed); c != -1 || sub != 2207032 {
		t.Errorf("publishing an ERROR container: %d/%d", c, sub)
	}
	if err := e.sb.SetMetaAccount("instagram", igUser, sandbox.MetaAccountSettings{ContainerDelay: time.Minute}); err != nil {
		t.Fatal(err)
	}
	slow := create()
	e.clock.Advance(59 * time.Second)
	if s := status(slow); s != "IN_PROGRESS" {
		t.Errorf("slow container at 59s: %s", s)
	}
	e.clock.Advance(time.Second)
	if s := status(slow); s != "FINISHED" {
		t.Errorf("slow container at 60s: %s", s)
	}
	e.clock.Advance(24 * time.Hour)
	if s := status(stuck); s != "EXPIRED" {
		t.Errorf("stuck container after 24 h: %s", s)
	}
	if c, sub := publish(slow); c != -2 || sub != 2207020 {
		t.Errorf("publishing an expired container: %d/%d", c, sub)
	}
	if c, sub := publish("123"); c != 24 || sub != 2207008 {
		t.Errorf("publishing an unknown container: %d/%d", c, sub)
	}
	if err := e.sb.SetMetaAccount("instagram", igUser, sandbox.MetaAccountSettings{Containers: "melting"}); err == nil {
		t.Error("an unknown mode was accepted")
	}
	if err := e.sb.SetMetaAccount("facebook", igUser, sandbox.MetaAccountSettings{}); err == nil {
		t.Error("settings for Facebook were accepted")
	}
}

func TestInstagramQuota(t *testing.T) {
	e := newMetaEnv(t)
	tok := e.sb.MintToken("instagram", igUser, "haryana_agri", 0)
	if err := e.sb.SetMetaAccount("instagram", igUser, sandbox.MetaAccountSettings{QuotaTotal: 2}); err != nil {
		t.Fatal(err)
	}
	post := func(n int) answer {
		id := e.ig("POST", "/"+igUser+"/media", tok, url.Values{"image_url": {e.image("a.jpg", jpegOf(t, 10, 10))}, "caption": {"post " + strconv.Itoa(n)}}).str("id")
		e.clock.Advance(time.Second)
		return e.ig("POST", "/"+igUser+"/media_publish", tok, url.Values{"creation_id": {id}})
	}
	for i := range 2 {
		if a := post(i); a.status != 200 {
			t.Fatalf("post %d: %d %s", i, a.status, a.raw)
		}
		e.clock.Advance(time.Hour)
	}
	a := post(2)
	if c, sub := a.errCode(); c != 9 || sub != 2207042 {
		t.Fatalf("over the quota: %d/%d %s", c, sub, a.raw)
	}
	if got := e.ig("GET", "/"+igUser+"/content_publishing_limit", tok, url.Values{"fields": {"quota_usage,config"}}); !strings.Contains(string(got.raw), `"quota_usage":2`) || !strings.Contains(string(got.raw), `"quota_total":2`) {
		t.Errorf("limit: %s", got.raw)
	}
	// The first post leaves the rolling window 24 h after it was made.
	e.clock.Advance(22 * time.Hour)
	if a := post(3); a.status != 200 {
		t.Errorf("after the window moved: %d %s", a.status, a.raw)
	}
	if n := len(e.sb.Posts("instagram", igUser)); n != 3 {
		t.Errorf("%d posts", n)
	}
}

func TestInstagramListAndInsights(t *testing.T) {
	e := newMetaEnv(t)
	tok := e.sb.MintToken("instagram", igUser, "haryana_agri", 0)
	var ids []string
	for i := range 5 {
		c := e.ig("POST", "/"+igUser+"/media", tok, url.Values{"image_url": {e.image("a.jpg", jpegOf(t, 10, 10))}, "caption": {"post " + strconv.Itoa(i)}}).str("id")
		e.clock.Advance(time.Minute)
		ids = append(ids, e.ig("POST", "/"+igUser+"/media_publish", tok, url.Values{"creation_id": {c}}).str("id"))
	}
	page1 := e.ig("GET", "/"+igUser+"/media", tok, url.Values{"fields": {"id,caption,timestamp"}, "limit": {"2"}})
	data := page1.body["data"].([]any)
	if len(data) != 2 || data[0].(map[string]any)["caption"] != "post 4" {
		t.Fatalf("page 1: %s", page1.raw)
	}
	after := page1.body["paging"].(map[string]any)["cursors"].(map[string]any)["after"].(string)
	page2 := e.ig("GET", "/"+igUser+"/media", tok, url.Values{"fields": {"id,caption"}, "limit": {"2"}, "after": {after}})
	if d := page2.body["data"].([]any); len(d) != 2 || d[0].(map[string]any)["caption"] != "post 2" {
		t.Errorf("page 2: %s", page2.raw)
	}
	since := e.clock.Now().Add(-150 * time.Second).Unix()
	if d := e.ig("GET", "/"+igUser+"/media", tok, url.Values{"fields": {"caption"}, "since": {strconv.FormatInt(since, 10)}}).body["data"].([]any); len(d) != 3 {
		t.Errorf("since: %v", d)
	}

	insights := func(metric string) answer {
		return e.ig("GET", "/"+ids[0]+"/insights", tok, url.Values{"metric": {metric}})
	}
	if a := insights("reach,views"); a.status != 200 || len(a.body["data"].([]any)) != 0 {
		t.Errorf("a young post: %s", a.raw)
	}
	value := func(a answer, i int) float64 {
		return a.body["data"].([]any)[i].(map[string]any)["values"].([]any)[0].(map[string]any)["value"].(float64)
	}
	e.clock.Advance(time.Hour)
	first := insights("reach,views,likes,comments,shares,saved,total_interactions")
	if first.status != 200 || len(first.body["data"].([]any)) != 7 || value(first, 0) <= 0 {
		t.Fatalf("insights: %s", first.raw)
	}
	e.clock.Advance(24 * time.Hour)
	later := insights("reach,views,likes,comments,shares,saved,total_interactions")
	if value(later, 0) <= value(first, 0) || value(later, 1) <= value(later, 0) {
		t.Errorf("reach does not grow: %v then %v", value(first, 0), value(later, 0))
	}
	for _, m := range []string{"impressions", "reach,plays", "video_views", "bogus"} {
		if a := insights(m); a.status != 400 {
			t.Errorf("%s: %d", m, a.status)
		} else if c, _ := a.errCode(); c != 100 {
			t.Errorf("%s: code %d", m, c)
		}
	}
	if a := insights("impressions"); !strings.Contains(a.errMessage(), "no longer supported") {
		t.Errorf("removed metric: %s", a.errMessage())
	}
}

func TestInstagramLogin(t *testing.T) {
	e := newMetaEnv(t)
	client := noRedirects(e.env)
	callback := e.srv.URL + "/callback"
	authorize := e.srv.URL + sandbox.InstagramWebPath + "/oauth/authorize?" + url.Values{"client_id": {"ig-app"}, "redirect_uri": {callback},
		"response_type": {"code"}, "scope": {"instagram_business_basic,instagram_business_content_publish"}, "state": {"xyz"}}.Encode()
	form := readConsent(t, client, authorize)
	if form.values.Get("account") != "new" || form.values.Get("new_account") == "" {
		t.Fatalf("first login offers no new account: %v", form.values)
	}
	form.values.Set("new_account", "@haryana_health")
	to := form.submit(t, client, e.srv.URL, "approve")
	if to.Fragment != "_" || to.Query().Get("state") != "xyz" {
		t.Errorf("redirect %s: Instagram appends #_", to)
	}
	code := to.Query().Get("code")
	exchange := func(code, redirect string) answer {
		req, _ := http.NewRequest("POST", e.srv.URL+sandbox.InstagramAPIPath+"/oauth/access_token", strings.NewReader(url.Values{
			"client_id": {"ig-app"}, "client_secret": {"sec"}, "grant_type": {"authorization_code"}, "redirect_uri": {redirect}, "code": {code}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return e.do(req)
	}
	if a := exchange(code, callback+"/x"); a.status != 400 || a.body["error_type"] != "OAuthException" || !strings.Contains(fmt.Sprint(a.body["error_message"]), "redirect_uri") {
		t.Errorf("wrong redirect_uri: %d %s", a.status, a.raw)
	}
	a := exchange(code+"#_", callback)
	data, _ := a.body["data"].([]any)
	if a.status != 200 || len(data) != 1 {
		t.Fatalf("wrapped exchange: %d %s", a.status, a.raw)
	}
	entry := data[0].(map[string]any)
	short := entry["access_token"].(string)
	if entry["permissions"] != "instagram_business_basic,instagram_business_content_publish" || entry["user_id"] == "" {
		t.Errorf("wrapped entry: %v", entry)
	}
	if a := exchange(code, callback); a.status != 400 || !strings.Contains(fmt.Sprint(a.body["error_message"]), "already used") {
		t.Errorf("code reused: %d %s", a.status, a.raw)
	}
	// The flat shape, on the switch.
	e.sb.SetInstagramTokenShape(true)
	form = readConsent(t, client, authorize)
	if form.values.Get("account") == "new" {
		t.Errorf("the known account is not offered first: %v", form.values)
	}
	a = exchange(form.submit(t, client, e.srv.URL, "approve").Query().Get("code"), callback)
	if a.status != 200 || a.str("access_token") == "" || a.body["data"] != nil {
		t.Errorf("flat exchange: %d %s", a.status, a.raw)
	}

	me := e.ig("GET", "/me", short, url.Values{"fields": {"user_id,username"}})
	account := me.str("user_id")
	if me.str("username") != "haryana_health" || !strings.HasPrefix(account, "1784") {
		t.Errorf("me: %s", me.raw)
	}
	graph := func(path string, v url.Values) answer {
		return e.call("GET", sandbox.InstagramGraphPath, path, "", v)
	}
	a = graph("/access_token", url.Values{"grant_type": {"ig_exchange_token"}, "client_secret": {"sec"}, "access_token": {short}})
	long := a.str("access_token")
	if a.status != 200 || long == "" || a.body["expires_in"] != float64(5183944) {
		t.Fatalf("long-lived: %d %s", a.status, a.raw)
	}
	refresh := func(tok string) answer {
		return graph("/refresh_access_token", url.Values{"grant_type": {"ig_refresh_token"}, "access_token": {tok}})
	}
	if a := refresh(long); a.status != 400 {
		t.Errorf("refresh of a fresh token: %d %s", a.status, a.raw)
	}
	e.clock.Advance(25 * time.Hour)
	a = refresh(long)
	if a.status != 200 || a.str("access_token") == "" || a.str("access_token") == long {
		t.Fatalf("refresh after 25 h: %d %s", a.status, a.raw)
	}
	e.clock.Advance(61 * 24 * time.Hour)
	if a := refresh(a.str("access_token")); a.status != 400 {
		t.Errorf("refresh of an expired token: %d", a.status)
	} else if c, sub := a.errCode(); c != 190 || sub != 463 {
		t.Errorf("refresh of an expired token: %d/%d", c, sub)
	}
	// Deny.
	form = readConsent(t, client, authorize)
	if to := form.submit(t, client, e.srv.URL, "deny"); to.Query().Get("error") != "access_denied" || to.Query().Get("code") != "" {
		t.Errorf("deny: %s", to)
	}
}

func TestInstagramFaults(t *testing.T) {
	e := newMetaEnv(t)
	tok := e.sb.MintToken("instagram", igUser, "haryana_agri", 0)
	container := func() string {
		id := e.ig("POST", "/"+igUser+"/media", tok, url.Values{"image_url": {e.image("a.jpg", jpegOf(t, 10, 10))}, "caption": {"x"}}).str("id")
		e.clock.Advance(time.Second)
		return id
	}
	cases := []struct {
		fault         sandbox.Fault
		status        int
		code, subcode int
		header        string
	}{
		{sandbox.Fault{Kind: sandbox.FaultRateLimit, RetryAfter: 20 * time.Minute}, 400, 80002, 0, "X-Business-Use-Case-Usage"},
		{sandbox.Fault{Kind: sandbox.FaultRateLimit, Code: 9}, 400, 9, 2207042, "X-Business-Use-Case-Usage"},
		{sandbox.Fault{Kind: sandbox.FaultServerError}, 500, -1, 2207001, ""},
		{sandbox.Fault{Kind: sandbox.FaultExpiredToken}, 400, 190, 463, ""},
		{sandbox.Fault{Kind: sandbox.FaultDuplicate}, 400, 4, 2207051, ""},
	}
	for _, c := range cases {
		id := container()
		if err := e.sb.SetFault("instagram", igUser, c.fault); err != nil {
			t.Fatal(err)
		}
		a := e.ig("POST", "/"+igUser+"/media_publish", tok, url.Values{"creation_id": {id}})
		e.sb.ClearFaults("", "")
		if code, sub := a.errCode(); a.status != c.status || code != c.code || sub != c.subcode || (c.header != "" && a.header.Get(c.header) == "") {
			t.Errorf("%s: %d %d/%d %v", c.fault.Kind, a.status, code, sub, a.header)
		}
	}
	if n := len(e.sb.Posts("instagram", igUser)); n != 0 {
		t.Fatalf("%d posts after refused calls", n)
	}
	if !strings.Contains(e.ig("GET", "/me", tok, nil).str("id"), "9") {
		t.Error("reads are not affected by a publish fault")
	}
	// Dropped after commit: the post exists although no answer came.
	id := container()
	e.sb.SetFault("instagram", igUser, sandbox.Fault{Kind: sandbox.FaultDropAfterCommit, Times: 1})
	req, _ := http.NewRequest("POST", e.srv.URL+sandbox.InstagramGraphPath+"/v25.0/"+igUser+"/media_publish?creation_id="+id, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if _, err := e.srv.Client().Do(req); err == nil {
		t.Error("the connection was not dropped")
	}
	if n := len(e.sb.Posts("instagram", igUser)); n != 1 {
		t.Errorf("%d posts after a drop after commit", n)
	}
	// Container creation is an upload.
	e.sb.SetFault("instagram", igUser, sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpUpload}, Times: 1})
	if a := e.ig("POST", "/"+igUser+"/media", tok, url.Values{"image_url": {e.image("a.jpg", jpegOf(t, 10, 10))}}); a.status != 500 {
		t.Errorf("upload fault: %d", a.status)
	}
}

func TestMetaSettingsOverHTTP(t *testing.T) {
	e := newMetaEnv(t)
	post := func(path, body string) answer {
		req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return e.do(req)
	}
	a := post("/sandbox/instagram/_settings", `{"account":"`+igUser+`","containers":"stuck","containerDelay":"5s","quotaTotal":3,"tokenResponse":"flat"}`)
	if a.status != 200 || !strings.Contains(string(a.raw), `"containers":"stuck"`) || !strings.Contains(string(a.raw), `"tokenResponse":"flat"`) {
		t.Errorf("set: %d %s", a.status, a.raw)
	}
	for _, bad := range []string{`{"containers":"melting"}`, `{"containerDelay":"soon"}`, `{"bogus":1}`, `{"tokenResponse":"round"}`} {
		if a := post("/sandbox/instagram/_settings", bad); a.status != 400 {
			t.Errorf("%s: %d", bad, a.status)
		}
	}
	if a := post("/sandbox/threads/_settings", `{"tokenResponse":"flat"}`); a.status != 400 {
		t.Errorf("threads token shape: %d", a.status)
	}
	if a := post("/sandbox/threads/_settings", `{"account":"","quotaTotal":9}`); a.status != 200 || !strings.Contains(string(a.raw), `"quotaTotal":9`) {
		t.Errorf("threads: %d %s", a.status, a.raw)
	}
}
