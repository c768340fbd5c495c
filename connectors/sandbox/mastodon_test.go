package sandbox_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/sandbox"
)

// mdnDo calls the fake instance's API.
func (e *env) mdnDo(method, path, token string, body any, header map[string]string) answer {
	e.t.Helper()
	var r *http.Request
	switch b := body.(type) {
	case nil:
		r, _ = http.NewRequest(method, e.srv.URL+sandbox.MastodonPath+path, nil)
	case url.Values:
		r, _ = http.NewRequest(method, e.srv.URL+sandbox.MastodonPath+path, strings.NewReader(b.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	default:
		j, _ := json.Marshal(b)
		r, _ = http.NewRequest(method, e.srv.URL+sandbox.MastodonPath+path, bytes.NewReader(j))
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	return e.do(r)
}

// mdnUpload sends an image to POST /api/v2/media.
func (e *env) mdnUpload(token string, data []byte, description string) answer {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	w, _ := mw.CreateFormFile("file", "a.png")
	w.Write(data)
	mw.WriteField("description", description)
	mw.Close()
	r, _ := http.NewRequest("POST", e.srv.URL+sandbox.MastodonPath+"/api/v2/media", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Authorization", "Bearer "+token)
	return e.do(r)
}

// doList is do for answers that are JSON arrays.
func (e *env) doList(method, path, token string) (int, http.Header, []map[string]any) {
	e.t.Helper()
	r, _ := http.NewRequest(method, e.srv.URL+sandbox.MastodonPath+path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header, out
}

func TestMastodonStatusShape(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("mastodon", "110900000001", "कृषि विभाग Agriculture", 0)
	a := e.mdnDo("POST", "/api/v1/statuses", tok, url.Values{"status": {"नई <योजना> & सूचना #कृषि\nदेखें https://haryana.gov.in/schemes/kisan-samman-nidhi-2026.\n\nदूसरा अनुच्छेद"},
		"language": {"hi"}, "visibility": {"public"}}, nil)
	if a.status != 200 {
		t.Fatalf("create: %d %s", a.status, a.raw)
	}
	want := `<p>नई &lt;योजना&gt; &amp; सूचना <a href="` + e.srv.URL + `/sandbox/mastodon/tags/%E0%A4%95%E0%A5%83%E0%A4%B7%E0%A4%BF" class="mention hashtag" rel="tag">#<span>कृषि</span></a><br />देखें ` +
		`<a href="https://haryana.gov.in/schemes/kisan-samman-nidhi-2026" target="_blank" rel="nofollow noopener" translate="no"><span class="invisible">https://</span><span class="ellipsis">haryana.gov.in/schemes/kisan-s</span><span class="invisible">amman-nidhi-2026</span></a>.</p><p>दूसरा अनुच्छेद</p>`
	if a.body["content"] != want {
		t.Errorf("content\n%s\nwant\n%s", a.body["content"], want)
	}
	acct, _ := a.body["account"].(map[string]any)
	if a.body["language"] != "hi" || a.body["visibility"] != "public" || a.body["replies_count"] != 0.0 || acct["id"] != "110900000001" ||
		acct["username"] != "agriculture" || !strings.HasSuffix(a.body["url"].(string), "/sandbox/mastodon/www/110900000001/"+a.body["id"].(string)) ||
		a.body["created_at"] != "2026-08-01T04:30:00.000Z" {
		t.Errorf("status %s", a.raw)
	}
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
		if a.header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	if a.header.Get("X-RateLimit-Limit") != "300" || a.header.Get("X-RateLimit-Remaining") != "299" || a.header.Get("X-RateLimit-Reset") != "2026-08-01T04:35:00.000000Z" {
		t.Errorf("rate-limit headers %v", a.header)
	}
	// JSON bodies too.
	if b := e.mdnDo("POST", "/api/v1/statuses", tok, map[string]any{"status": "json body", "visibility": "unlisted"}, nil); b.status != 200 || b.body["visibility"] != "unlisted" {
		t.Errorf("JSON: %d %s", b.status, b.raw)
	}
	// The account's statuses, newest first, paged.
	status, header, list := e.doList("GET", "/api/v1/accounts/110900000001/statuses?limit=1", "")
	if status != 200 || len(list) != 1 || list[0]["content"] != "<p>json body</p>" || !strings.Contains(header.Get("Link"), `max_id=`+list[0]["id"].(string)+`>; rel="next"`) {
		t.Errorf("statuses: %d %v %v", status, header, list)
	}
	_, _, older := e.doList("GET", "/api/v1/accounts/110900000001/statuses?limit=1&max_id="+list[0]["id"].(string), tok)
	if len(older) != 1 || older[0]["id"] != a.body["id"] {
		t.Errorf("older page %v", older)
	}
	if status, _, _ := e.doList("GET", "/api/v1/accounts/999/statuses", ""); status != 404 {
		t.Errorf("unknown account: %d", status)
	}
	if acct := e.mdnDo("GET", "/api/v1/accounts/110900000001", "", nil, nil); acct.status != 200 || acct.body["display_name"] != "कृषि विभाग Agriculture" || acct.body["statuses_count"] != 2.0 {
		t.Errorf("account: %d %s", acct.status, acct.raw)
	}
	if acct := e.mdnDo("GET", "/api/v1/accounts/999", "", nil, nil); acct.status != 404 || acct.body["error"] != "Record not found" {
		t.Errorf("unknown account: %d %s", acct.status, acct.raw)
	}
}

func TestMastodonValidation(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("mastodon", "110900000001", "Agriculture", 0)
	cases := []struct {
		params url.Values
		status int
		err    string
	}{
		{url.Values{"status": {" "}}, 422, "Validation failed: Text can't be blank"},
		{url.Values{"status": {strings.Repeat("क", 501)}}, 422, "Validation failed: Text character limit of 500 exceeded"},
		{url.Values{"status": {"x"}, "visibility": {"everyone"}}, 422, "Validation failed: Visibility is not included in the list"},
		{url.Values{"status": {"x"}, "media_ids[]": {"404"}}, 422, "Validation failed: Media attachments are invalid"},
	}
	for _, c := range cases {
		if a := e.mdnDo("POST", "/api/v1/statuses", tok, c.params, nil); a.status != c.status || a.body["error"] != c.err {
			t.Errorf("%v: %d %s", c.params, a.status, a.raw)
		}
	}
	// 500 counted as Mastodon counts: links are 23.
	if a := e.mdnDo("POST", "/api/v1/statuses", tok, url.Values{"status": {strings.Repeat("क", 476) + " https://example.org/" + strings.Repeat("p", 400)}}, nil); a.status != 200 {
		t.Errorf("500 with a long link: %d %s", a.status, a.raw)
	}
	for _, c := range []struct{ token, err string }{{"", "The access token is invalid"}, {"nonsense", "The access token is invalid"}} {
		if a := e.mdnDo("POST", "/api/v1/statuses", c.token, url.Values{"status": {"x"}}, nil); a.status != 401 || a.body["error"] != c.err || a.header.Get("WWW-Authenticate") == "" {
			t.Errorf("token %q: %d %s", c.token, a.status, a.raw)
		}
	}
	expiring := e.sb.MintToken("mastodon", "110900000001", "Agriculture", time.Minute)
	e.clock.Advance(2 * time.Minute)
	if a := e.mdnDo("POST", "/api/v1/statuses", expiring, url.Values{"status": {"x"}}, nil); a.status != 401 || a.body["error"] != "The access token expired" {
		t.Errorf("expired: %d %s", a.status, a.raw)
	}
}

func TestMastodonIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("mastodon", "110900000001", "Agriculture", 0)
	other := e.sb.MintToken("mastodon", "110900000002", "Health", 0)
	key := map[string]string{"Idempotency-Key": "k-1"}
	first := e.mdnDo("POST", "/api/v1/statuses", tok, url.Values{"status": {"first"}}, key)
	again := e.mdnDo("POST", "/api/v1/statuses", tok, url.Values{"status": {"different text, same key"}}, key)
	if first.body["id"] != again.body["id"] || again.body["content"] != "<p>first</p>" {
		t.Errorf("same key: %s then %s", first.raw, again.raw)
	}
	// Keys are per account.
	if o := e.mdnDo("POST", "/api/v1/statuses", other, url.Values{"status": {"first"}}, key); o.body["id"] == first.body["id"] {
		t.Error("another account's key matched")
	}
	e.clock.Advance(61 * time.Minute)
	if late := e.mdnDo("POST", "/api/v1/statuses", tok, url.Values{"status": {"first"}}, key); late.body["id"] == first.body["id"] {
		t.Error("a key older than an hour still matched")
	}
	if n := len(e.sb.Posts("mastodon", "110900000001")); n != 2 {
		t.Errorf("%d statuses, want 2", n)
	}
}

func TestMastodonMediaProcessing(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("mastodon", "110900000001", "Agriculture", 0)
	small := e.mdnUpload(tok, pngBytes, "खेत")
	if small.status != 200 || small.body["url"] == nil || small.body["description"] != "खेत" || small.body["type"] != "image" {
		t.Fatalf("small upload: %d %s", small.status, small.raw)
	}
	big := e.mdnUpload(tok, append(append([]byte(nil), pngBytes...), make([]byte, 300<<10)...), "")
	id := big.body["id"].(string)
	if big.status != 202 || big.body["url"] != nil {
		t.Fatalf("big upload: %d %s", big.status, big.raw)
	}
	if a := e.mdnDo("POST", "/api/v1/statuses", tok, map[string]any{"status": "x", "media_ids": []string{id}}, nil); a.status != 422 ||
		a.body["error"] != "Cannot attach files that have not finished processing. Try again in a moment!" {
		t.Errorf("attaching while processing: %d %s", a.status, a.raw)
	}
	if a := e.mdnDo("GET", "/api/v1/media/"+id, tok, nil, nil); a.status != 206 || a.body["url"] != nil {
		t.Errorf("first poll: %d %s", a.status, a.raw)
	}
	if a := e.mdnDo("GET", "/api/v1/media/"+id, tok, nil, nil); a.status != 200 || a.body["url"] == nil {
		t.Errorf("second poll: %d %s", a.status, a.raw)
	}
	a := e.mdnDo("POST", "/api/v1/statuses", tok, map[string]any{"status": "photos", "media_ids": []string{small.body["id"].(string), id}}, nil)
	media, _ := a.body["media_attachments"].([]any)
	if a.status != 200 || len(media) != 2 {
		t.Fatalf("status with media: %d %s", a.status, a.raw)
	}
	// Attached media cannot be attached again.
	if a := e.mdnDo("POST", "/api/v1/statuses", tok, map[string]any{"status": "again", "media_ids": []string{id}}, nil); a.status != 422 {
		t.Errorf("re-attaching: %d", a.status)
	}
	if a := e.mdnUpload(tok, []byte("not an image"), ""); a.status != 422 {
		t.Errorf("not an image: %d", a.status)
	}
	// 30 uploads in 30 minutes: two so far (the non-image was refused
	// before it counted).
	for range 28 {
		e.mdnUpload(tok, pngBytes, "")
	}
	if a := e.mdnUpload(tok, pngBytes, ""); a.status != 429 || a.header.Get("X-RateLimit-Limit") != "30" {
		t.Errorf("31st upload: %d %v", a.status, a.header)
	}
}

func TestMastodonRateLimit(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("mastodon", "110900000001", "Agriculture", 0)
	e.clock.Advance(90 * time.Second) // 04:31:30; the window ends at 04:35
	for i := range 300 {
		if a := e.mdnDo("GET", "/api/v1/accounts/verify_credentials", tok, nil, nil); a.status != 200 {
			t.Fatalf("call %d: %d", i, a.status)
		}
	}
	a := e.mdnDo("POST", "/api/v1/statuses", tok, url.Values{"status": {"x"}}, nil)
	if a.status != 429 || a.body["error"] != "Too many requests" || a.header.Get("X-RateLimit-Remaining") != "0" || a.header.Get("X-RateLimit-Reset") != "2026-08-01T04:35:00.000000Z" {
		t.Errorf("301st call: %d %s %v", a.status, a.raw, a.header)
	}
	e.clock.Advance(4 * time.Minute)
	if a := e.mdnDo("POST", "/api/v1/statuses", tok, url.Values{"status": {"x"}}, nil); a.status != 200 {
		t.Errorf("next window: %d", a.status)
	}
}

func TestMastodonFaults(t *testing.T) {
	cases := []struct {
		fault  sandbox.Fault
		status int
		err    string
	}{
		{sandbox.Fault{Kind: sandbox.FaultRateLimit, RetryAfter: 3 * time.Minute}, 429, "Too many requests"},
		{sandbox.Fault{Kind: sandbox.FaultServerError, Status: 503}, 503, "We're sorry, but something went wrong on our end."},
		{sandbox.Fault{Kind: sandbox.FaultExpiredToken}, 401, "The access token expired"},
		{sandbox.Fault{Kind: sandbox.FaultDuplicate}, 422, "Validation failed: Text is a duplicate (a sandbox fault: Mastodon itself accepts repeated text)"},
	}
	for _, c := range cases {
		t.Run(string(c.fault.Kind), func(t *testing.T) {
			e := newEnv(t)
			tok := e.sb.MintToken("mastodon", "110900000001", "Agriculture", 0)
			c.fault.Times = 1
			mustSetFault(t, e.sb, "mastodon", "110900000001", c.fault)
			a := e.mdnDo("POST", "/api/v1/statuses", tok, url.Values{"status": {"x"}}, nil)
			if a.status != c.status || a.body["error"] != c.err {
				t.Errorf("got %d %s", a.status, a.raw)
			}
			if c.fault.Kind == sandbox.FaultRateLimit && a.header.Get("X-RateLimit-Reset") != "2026-08-01T04:33:00.000000Z" {
				t.Errorf("reset %q", a.header.Get("X-RateLimit-Reset"))
			}
		})
	}
}

func TestMastodonAppsTokenErrorsAndPages(t *testing.T) {
	e := newEnv(t)
	app := e.mdnDo("POST", "/api/v1/apps", "", url.Values{"client_name": {"Prasar"}, "redirect_uris": {e.srv.URL + "/cb"}, "scopes": {"read write"}}, nil)
	if app.status != 200 || app.body["client_id"] == "" || app.body["client_secret"] != e.sb.MastodonClientSecret(app.body["client_id"].(string)) {
		t.Fatalf("apps: %d %s", app.status, app.raw)
	}
	if a := e.mdnDo("POST", "/api/v1/apps", "", url.Values{"redirect_uris": {"x"}}, nil); a.status != 422 {
		t.Errorf("app without a name: %d", a.status)
	}
	tokenCall := func(v url.Values) answer {
		r, _ := http.NewRequest("POST", e.srv.URL+sandbox.MastodonPath+"/oauth/token", strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return e.do(r)
	}
	cid := app.body["client_id"].(string)
	if a := tokenCall(url.Values{"grant_type": {"authorization_code"}, "client_id": {cid}, "client_secret": {"wrong"}, "code": {"x"}}); a.status != 401 || a.body["error"] != "invalid_client" {
		t.Errorf("wrong secret: %d %s", a.status, a.raw)
	}
	if a := tokenCall(url.Values{"grant_type": {"authorization_code"}, "client_id": {cid}, "client_secret": {e.sb.MastodonClientSecret(cid)}, "code": {"forged"}}); a.status != 400 || a.body["error"] != "invalid_grant" {
		t.Errorf("forged code: %d %s", a.status, a.raw)
	}
	if a := tokenCall(url.Values{"grant_type": {"password"}, "client_id": {cid}, "client_secret": {e.sb.MastodonClientSecret(cid)}}); a.status != 400 || a.body["error"] != "unsupported_grant_type" {
		t.Errorf("password grant: %d %s", a.status, a.raw)
	}
	inst := e.mdnDo("GET", "/api/v2/instance", "", nil, nil)
	conf, _ := inst.body["configuration"].(map[string]any)
	st, _ := conf["statuses"].(map[string]any)
	if st["max_characters"] != 500.0 || st["characters_reserved_per_url"] != 23.0 || st["max_media_attachments"] != 4.0 {
		t.Errorf("instance %s", inst.raw)
	}
	tok := e.sb.MintToken("mastodon", "110900000001", "जिला प्रशासन", 0)
	id := e.mdnDo("POST", "/api/v1/statuses", tok, url.Values{"status": {"मेला 12 तारीख को"}}, nil).body["id"].(string)
	if status, body := e.page(sandbox.MastodonWebPath + "/110900000001"); status != 200 || !strings.Contains(body, "मेला 12 तारीख को") || !strings.Contains(body, "SANDBOX") {
		t.Errorf("account page: %d", status)
	}
	if status, _ := e.page(sandbox.MastodonWebPath + "/110900000001/" + id); status != 200 {
		t.Errorf("status page: %d", status)
	}
	// Deleting returns the source text; the status is gone afterwards.
	del := e.mdnDo("DELETE", "/api/v1/statuses/"+id, tok, nil, nil)
	if del.status != 200 || del.body["text"] != "मेला 12 तारीख को" {
		t.Errorf("delete: %d %s", del.status, del.raw)
	}
	if a := e.mdnDo("GET", "/api/v1/statuses/"+id, tok, nil, nil); a.status != 404 || a.body["error"] != "Record not found" {
		t.Errorf("after delete: %d %s", a.status, a.raw)
	}
	if a := e.mdnDo("DELETE", "/api/v1/statuses/"+id, tok, nil, nil); a.status != 404 {
		t.Errorf("delete twice: %d", a.status)
	}
	// Counts grow with time.
	id = e.mdnDo("POST", "/api/v1/statuses", tok, url.Values{"status": {"counted"}}, nil).body["id"].(string)
	e.clock.Advance(72 * time.Hour)
	if a := e.mdnDo("GET", "/api/v1/statuses/"+id, "", nil, nil); a.body["favourites_count"].(float64) < 1 {
		t.Errorf("counts after 3 days: %s", a.raw)
	}
}
