package sandbox_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/sandbox"
)

const xUser = "1001"

// xCall sends an X API call (path after XAPIPath) with a bearer token.
func (e *env) xCall(method, path, token, contentType string, body []byte) answer {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.srv.URL+sandbox.XAPIPath+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return e.do(req)
}

// xJSON sends a JSON body.
func (e *env) xJSON(method, path, token string, body any) answer {
	e.t.Helper()
	b, _ := json.Marshal(body)
	return e.xCall(method, path, token, "application/json", b)
}

// xPost creates a post and returns its id.
func (e *env) xPost(token string, body any) string {
	e.t.Helper()
	a := e.xJSON("POST", "/2/tweets", token, body)
	if a.status != 201 {
		e.t.Fatalf("POST /2/tweets: %d %s", a.status, a.raw)
	}
	return xData(a)["id"].(string)
}

// xMultipart sends a multipart body: fields and a "media" file part.
func (e *env) xMultipart(path, token string, fields map[string]string, media []byte) answer {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if media != nil {
		w, _ := mw.CreateFormFile("media", "file")
		w.Write(media)
	}
	mw.Close()
	return e.xCall("POST", path, token, mw.FormDataContentType(), body.Bytes())
}

func xStr(a answer, key string) string {
	s, _ := a.body[key].(string)
	return s
}

func xData(a answer) map[string]any {
	d, _ := a.body["data"].(map[string]any)
	return d
}

// xProblemType is the last segment of a problem's type ("" for about:blank).
func xProblemType(a answer) string {
	t, _ := a.body["type"].(string)
	if t == "about:blank" {
		return ""
	}
	return t[strings.LastIndex(t, "/")+1:]
}

// xFirstError is the message or detail of the first errors[] entry.
func xFirstError(a answer) map[string]any {
	errs, _ := a.body["errors"].([]any)
	if len(errs) == 0 {
		return nil
	}
	m, _ := errs[0].(map[string]any)
	return m
}

var gifBytes = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

func TestXCreatePost(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("x", xUser, "Agriculture Department", 0)
	a := e.xJSON("POST", "/2/tweets", tok, map[string]any{"text": "A & B <i>: https://haryana.gov.in/a?b=1 and haryana.gov.in"})
	if a.status != 201 || a.header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("got %d %s", a.status, a.raw)
	}
	d := xData(a)
	id, _ := d["id"].(string)
	hist, _ := d["edit_history_tweet_ids"].([]any)
	if !regexp.MustCompile(`^[0-9]{1,19}$`).MatchString(id) || len(hist) != 1 || hist[0] != id {
		t.Errorf("data %v", d)
	}
	if text, _ := d["text"].(string); !regexp.MustCompile(`^A &amp; B &lt;i&gt;: https://t\.co/[0-9A-Za-z]{10} and https://t\.co/[0-9A-Za-z]{10}$`).MatchString(text) {
		t.Errorf("returned text %q: URLs as t.co links, &, < and > escaped", text)
	}
	if a.header.Get("x-rate-limit-limit") != "100" || a.header.Get("x-rate-limit-remaining") != "99" ||
		a.header.Get("x-rate-limit-reset") != strconv.FormatInt(e.clock.Now().Add(15*time.Minute).Unix(), 10) ||
		a.header.Get("x-user-limit-24hour-remaining") != "2399" || a.header.Get("x-app-limit-24hour-limit") != "10000" {
		t.Errorf("rate-limit headers %v", a.header)
	}
	posts := e.sb.Posts("x", xUser)
	if len(posts) != 1 || posts[0].ID != id || posts[0].Text != "A & B <i>: https://haryana.gov.in/a?b=1 and haryana.gov.in" {
		t.Errorf("recorded %+v", posts)
	}
}

func TestXCreatePostValidation(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("x", xUser, "Agriculture Department", 0)
	other := e.sb.MintToken("x", "2002", "Health Department", 0)
	theirs := e.xPost(other, map[string]any{"text": "a post by someone else"})
	mentioning := e.xPost(other, map[string]any{"text": "thanks @Agricultur_1001 for the update"})
	mine := e.xPost(tok, map[string]any{"text": "my own post"})
	up := e.xMultipart("/2/media/upload", other, map[string]string{"media_category": "tweet_image", "media_type": "image/png"}, pngBytes)
	theirMedia := xData(up)["id"].(string)
	emoji := strings.Repeat("👨‍👩‍👧", 140)
	cases := []struct {
		name    string
		body    any
		raw     string // sent as is when set
		ctype   string
		status  int
		problem string
		message string
	}{
		{name: "unknown field", body: map[string]any{"text": "x", "foo": 1}, status: 400, problem: "invalid-request", message: "$.foo: is not defined in the schema"},
		{name: "unknown media field", body: map[string]any{"text": "x", "media": map[string]any{"media_ids": []string{"1"}, "alt": "a"}}, status: 400, problem: "invalid-request", message: "$.alt"},
		{name: "not JSON", raw: "text=x", ctype: "application/x-www-form-urlencoded", status: 400, problem: "invalid-request", message: "application/json"},
		{name: "empty", body: map[string]any{"text": "  "}, status: 400, problem: "invalid-request", message: "empty"},
		{name: "281 Devanagari code points", body: map[string]any{"text": strings.Repeat("न", 281)}, status: 400, problem: "invalid-request", message: "Your Tweet text is too long"},
		{name: "280 Devanagari code points", body: map[string]any{"text": strings.Repeat("न", 280)}, status: 201},
		{name: "141 CJK characters", body: map[string]any{"text": strings.Repeat("中", 141)}, status: 400, problem: "invalid-request", message: "too long"},
		{name: "140 CJK characters", body: map[string]any{"text": strings.Repeat("文", 140)}, status: 201},
		{name: "140 ZWJ family emoji", body: map[string]any{"text": emoji}, status: 201},
		{name: "141 ZWJ family emoji", body: map[string]any{"text": emoji + "👨‍👩‍👧"}, status: 400, problem: "invalid-request", message: "too long"},
		{name: "a long URL counts 23", body: map[string]any{"text": strings.Repeat("a", 256) + " https://haryana.gov.in/" + strings.Repeat("p", 100)}, status: 201},
		{name: "one letter more", body: map[string]any{"text": strings.Repeat("b", 257) + " https://haryana.gov.in/"}, status: 400, problem: "invalid-request", message: "too long"},
		{name: "media and poll", body: map[string]any{"text": "x", "media": map[string]any{"media_ids": []string{"1"}}, "poll": map[string]any{"options": []string{"a", "b"}, "duration_minutes": 60}}, status: 400, problem: "invalid-request", message: "mutually exclusive"},
		{name: "five media", body: map[string]any{"text": "x", "media": map[string]any{"media_ids": []string{"1", "2", "3", "4", "5"}}}, status: 400, problem: "invalid-request", message: "media_ids"},
		{name: "unknown media id", body: map[string]any{"text": "x", "media": map[string]any{"media_ids": []string{"12345"}}}, status: 400, problem: "invalid-request", message: "Your media IDs are invalid."},
		{name: "someone else's media", body: map[string]any{"text": "x", "media": map[string]any{"media_ids": []string{theirMedia}}}, status: 400, problem: "invalid-request", message: "Your media IDs are invalid."},
		{name: "reply to a non-summoning author", body: map[string]any{"text": "reply", "reply": map[string]any{"in_reply_to_tweet_id": theirs}}, status: 403, message: "not been mentioned"},
		{name: "reply when mentioned", body: map[string]any{"text": "reply 2", "reply": map[string]any{"in_reply_to_tweet_id": mentioning}}, status: 201},
		{name: "reply to oneself", body: map[string]any{"text": "reply 3", "reply": map[string]any{"in_reply_to_tweet_id": mine}}, status: 201},
		{name: "duplicate", body: map[string]any{"text": "my own post"}, status: 403, message: "You are not allowed to create a Tweet with duplicate content."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var a answer
			if c.raw != "" {
				a = e.xCall("POST", "/2/tweets", tok, c.ctype, []byte(c.raw))
			} else {
				a = e.xJSON("POST", "/2/tweets", tok, c.body)
			}
			if a.status != c.status || xProblemType(a) != c.problem {
				t.Fatalf("got %d %s", a.status, a.raw)
			}
			if c.message != "" && !strings.Contains(string(a.raw), c.message) {
				t.Errorf("answer %s, want %q", a.raw, c.message)
			}
			if c.status == 403 && (a.body["title"] != "Forbidden" || a.body["type"] != "about:blank" || a.body["status"] != float64(403)) {
				t.Errorf("403 shape %s", a.raw)
			}
			if a.header.Get("x-rate-limit-remaining") == "" {
				t.Error("no rate-limit headers")
			}
		})
	}
}

func TestXAuthErrors(t *testing.T) {
	e := newEnv(t)
	expired := e.sb.MintToken("x", xUser, "A", time.Hour)
	e.clock.Advance(2 * time.Hour)
	fb := e.sb.MintToken("facebook", xUser, "A", 0)
	for name, tok := range map[string]string{"none": "", "garbage": "abc", "expired": expired, "another platform's": fb} {
		a := e.xCall("GET", "/2/users/me", tok, "", nil)
		if a.status != 401 || a.body["title"] != "Unauthorized" || a.body["type"] != "about:blank" {
			t.Errorf("%s token: %d %s", name, a.status, a.raw)
		}
	}
	if a := e.xCall("GET", "/2/nothing/here", e.sb.MintToken("x", xUser, "A", 0), "", nil); a.status != 404 {
		t.Errorf("unknown route: %d", a.status)
	}
}

func TestXRateLimitWindow(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("x", xUser, "A", 0)
	start := e.clock.Now()
	for i := range 75 {
		a := e.xCall("GET", "/2/users/me", tok, "", nil)
		if a.status != 200 || a.header.Get("x-rate-limit-remaining") != strconv.Itoa(74-i) || a.header.Get("x-rate-limit-limit") != "75" {
			t.Fatalf("call %d: %d remaining %q", i, a.status, a.header.Get("x-rate-limit-remaining"))
		}
		e.clock.Advance(time.Second)
	}
	a := e.xCall("GET", "/2/users/me", tok, "", nil)
	reset := strconv.FormatInt(start.Add(15*time.Minute).Unix(), 10)
	if a.status != 429 || a.header.Get("x-rate-limit-remaining") != "0" || a.header.Get("x-rate-limit-reset") != reset || a.body["title"] != "Too Many Requests" {
		t.Fatalf("76th call: %d %v %s", a.status, a.header, a.raw)
	}
	// Other endpoints and other accounts have their own windows.
	if a := e.xCall("GET", "/2/users/"+xUser+"/tweets", tok, "", nil); a.status != 200 {
		t.Errorf("another endpoint: %d", a.status)
	}
	if a := e.xCall("GET", "/2/users/me", e.sb.MintToken("x", "2002", "B", 0), "", nil); a.status != 200 {
		t.Errorf("another account: %d", a.status)
	}
	e.clock.Advance(15 * time.Minute)
	if a := e.xCall("GET", "/2/users/me", tok, "", nil); a.status != 200 || a.header.Get("x-rate-limit-remaining") != "74" {
		t.Errorf("after the reset: %d %s", a.status, a.header.Get("x-rate-limit-remaining"))
	}
}

func TestXUsersMe(t *testing.T) {
	e := newEnv(t)
	a := e.xCall("GET", "/2/users/me", e.sb.MintToken("x", "1785000000001001", "कृषि Agriculture Dept", 0), "", nil)
	if d := xData(a); a.status != 200 || d["id"] != "1785000000001001" || d["name"] != "कृषि Agriculture Dept" || d["username"] != "Agricultur_1001" {
		t.Errorf("got %d %s", a.status, a.raw)
	}
	a = e.xCall("GET", "/2/users/me", e.sb.MintToken("x", "77", "हरियाणा", 0), "", nil)
	if d := xData(a); d["username"] != "user_77" {
		t.Errorf("username of a name without ASCII letters: %v", d["username"])
	}
}

func TestXMediaStateMachine(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("x", xUser, "A", 0)
	init := func(body any) (answer, string) {
		a := e.xJSON("POST", "/2/media/upload/initialize", tok, body)
		id, _ := xData(a)["id"].(string)
		return a, id
	}
	status := func(id string) map[string]any {
		a := e.xCall("GET", "/2/media/upload?"+url.Values{"media_id": {id}, "command": {"STATUS"}}.Encode(), tok, "", nil)
		if a.status != 200 {
			t.Fatalf("status: %d %s", a.status, a.raw)
		}
		info, _ := xData(a)["processing_info"].(map[string]any)
		return info
	}
	// A GIF in two segments: pending, in_progress, succeeded.
	a, id := init(map[string]any{"media_type": "image/gif", "total_bytes": len(gifBytes), "media_category": "tweet_gif"})
	if a.status != 200 || xData(a)["media_key"] != "16_"+id || xData(a)["expires_after_secs"] != float64(86400) {
		t.Fatalf("initialize: %d %s", a.status, a.raw)
	}
	if a := e.xCall("GET", "/2/media/upload?media_id="+id, tok, "", nil); a.status != 400 {
		t.Errorf("status before finalize: %d", a.status)
	}
	if a := e.xCall("POST", "/2/media/upload/"+id+"/finalize", tok, "", nil); a.status != 400 || !strings.Contains(string(a.raw), "Segments do not add up") {
		t.Errorf("finalize without segments: %d %s", a.status, a.raw)
	}
	for i, seg := range [][]byte{gifBytes[:20], gifBytes[20:]} {
		a := e.xMultipart("/2/media/upload/"+id+"/append", tok, map[string]string{"segment_index": strconv.Itoa(i)}, seg)
		if a.status != 200 || xData(a)["expires_at"] == nil {
			t.Fatalf("append %d: %d %s", i, a.status, a.raw)
		}
	}
	a = e.xCall("POST", "/2/media/upload/"+id+"/finalize", tok, "", nil)
	info, _ := xData(a)["processing_info"].(map[string]any)
	if a.status != 200 || info["state"] != "pending" || info["check_after_secs"] != float64(1) || xData(a)["size"] != float64(len(gifBytes)) {
		t.Fatalf("finalize: %d %s", a.status, a.raw)
	}
	if a := e.xJSON("POST", "/2/tweets", tok, map[string]any{"text": "too early", "media": map[string]any{"media_ids": []string{id}}}); a.status != 400 {
		t.Errorf("posting media still processing: %d", a.status)
	}
	if a := e.xJSON("POST", "/2/media/metadata", tok, map[string]any{"id": id, "metadata": map[string]any{"alt_text": map[string]any{"text": "एक चित्र"}}}); a.status != 200 {
		t.Errorf("alt text while processing: %d %s", a.status, a.raw)
	}
	if info := status(id); info["state"] != "in_progress" || info["progress_percent"] != float64(50) {
		t.Errorf("first check: %v", info)
	}
	if info := status(id); info["state"] != "succeeded" {
		t.Errorf("second check: %v", info)
	}
	// A PNG in one shot, with alt text set afterwards.
	up := e.xMultipart("/2/media/upload", tok, map[string]string{"media_category": "tweet_image", "media_type": "image/png"}, pngBytes)
	png := xData(up)["id"].(string)
	if up.status != 200 || xData(up)["media_key"] != "3_"+png || xData(up)["size"] != float64(len(pngBytes)) {
		t.Fatalf("one-shot: %d %s", up.status, up.raw)
	}
	meta := e.xJSON("POST", "/2/media/metadata", tok, map[string]any{"id": png, "metadata": map[string]any{"alt_text": map[string]any{"text": "a pixel"}}})
	if meta.status != 200 || !strings.Contains(string(meta.raw), `"associated_metadata":{"alt_text":{"text":"a pixel"}}`) {
		t.Errorf("metadata: %d %s", meta.status, meta.raw)
	}
	post := e.xPost(tok, map[string]any{"text": "with media", "media": map[string]any{"media_ids": []string{id, png}}})
	p := e.sb.Posts("x", xUser)[0]
	sum := sha256.Sum256(gifBytes)
	if p.ID != post || len(p.Images) != 2 || p.Images[0].AltText != "एक चित्र" || p.Images[0].ContentType != "image/gif" ||
		p.Images[0].SHA256 != fmt.Sprintf("%x", sum) || p.Images[1].AltText != "a pixel" {
		t.Errorf("post %+v", p)
	}
	// The API's text ends in a t.co link to the pictures.
	got := e.xCall("GET", "/2/tweets/"+post, tok, "", nil)
	if text, _ := xData(got)["text"].(string); !regexp.MustCompile(`^with media https://t\.co/\w{10}$`).MatchString(text) {
		t.Errorf("text of a post with media: %q", text)
	}
	// Media expire after 24 hours.
	e.clock.Advance(25 * time.Hour)
	if a := e.xJSON("POST", "/2/tweets", tok, map[string]any{"text": "late", "media": map[string]any{"media_ids": []string{png}}}); a.status != 400 {
		t.Errorf("expired media: %d", a.status)
	}
}

func TestXMediaRefusals(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("x", xUser, "A", 0)
	// A "GIF" that is not one fails in processing.
	a := e.xJSON("POST", "/2/media/upload/initialize", tok, map[string]any{"media_type": "image/gif", "total_bytes": len(pngBytes), "media_category": "tweet_gif"})
	id := xData(a)["id"].(string)
	e.xMultipart("/2/media/upload/"+id+"/append", tok, map[string]string{"segment_index": "0"}, pngBytes)
	e.xCall("POST", "/2/media/upload/"+id+"/finalize", tok, "", nil)
	var info map[string]any
	for range 3 {
		a := e.xCall("GET", "/2/media/upload?media_id="+id+"&command=STATUS", tok, "", nil)
		info, _ = xData(a)["processing_info"].(map[string]any)
	}
	if errInfo, _ := info["error"].(map[string]any); info["state"] != "failed" || errInfo["name"] != "InvalidMedia" {
		t.Errorf("processing of a bad GIF: %v", info)
	}
	cases := []struct {
		name string
		a    func() answer
	}{
		{"one-shot GIF", func() answer {
			return e.xMultipart("/2/media/upload", tok, map[string]string{"media_category": "tweet_image", "media_type": "image/gif"}, gifBytes)
		}},
		{"bytes of another type", func() answer {
			return e.xMultipart("/2/media/upload", tok, map[string]string{"media_category": "tweet_image", "media_type": "image/jpeg"}, pngBytes)
		}},
		{"too big", func() answer {
			return e.xMultipart("/2/media/upload", tok, map[string]string{"media_type": "image/png"}, append(append([]byte{}, pngBytes...), make([]byte, 5<<20)...))
		}},
		{"the command form", func() answer {
			return e.xMultipart("/2/media/upload", tok, map[string]string{"command": "INIT", "media_type": "image/png", "total_bytes": "10"}, nil)
		}},
		{"initialize: unknown field", func() answer {
			return e.xJSON("POST", "/2/media/upload/initialize", tok, map[string]any{"media_type": "image/gif", "total_bytes": 10, "media_category": "tweet_gif", "x": 1})
		}},
		{"initialize: GIF over 15 MB", func() answer {
			return e.xJSON("POST", "/2/media/upload/initialize", tok, map[string]any{"media_type": "image/gif", "total_bytes": 16 << 20, "media_category": "tweet_gif"})
		}},
		{"append to another account's upload", func() answer {
			b := e.xJSON("POST", "/2/media/upload/initialize", e.sb.MintToken("x", "2002", "B", 0), map[string]any{"media_type": "image/gif", "total_bytes": 10, "media_category": "tweet_gif"})
			return e.xMultipart("/2/media/upload/"+xData(b)["id"].(string)+"/append", tok, map[string]string{"segment_index": "0"}, []byte("0123456789"))
		}},
		{"segment index out of range", func() answer {
			return e.xMultipart("/2/media/upload/"+id+"/append", tok, map[string]string{"segment_index": "1000"}, []byte("x"))
		}},
		{"alt text over 1000 characters", func() answer {
			return e.xJSON("POST", "/2/media/metadata", tok, map[string]any{"id": id, "metadata": map[string]any{"alt_text": map[string]any{"text": strings.Repeat("a", 1001)}}})
		}},
	}
	for _, c := range cases {
		if a := c.a(); a.status != 400 || xProblemType(a) != "invalid-request" {
			t.Errorf("%s: %d %s", c.name, a.status, a.raw)
		}
	}
	// One-shot JSON with base64 media is accepted.
	a = e.xJSON("POST", "/2/media/upload", tok, map[string]any{"media": base64.StdEncoding.EncodeToString(pngBytes), "media_category": "tweet_image", "media_type": "image/png"})
	if a.status != 200 || xData(a)["id"] == nil {
		t.Errorf("one-shot JSON: %d %s", a.status, a.raw)
	}
}

func TestXTimeline(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("x", xUser, "A", 0)
	var ids []string
	for i := range 12 {
		ids = append(ids, e.xPost(tok, map[string]any{"text": "post " + strconv.Itoa(i)}))
		e.clock.Advance(time.Minute)
	}
	deleted := e.xPost(tok, map[string]any{"text": "deleted"})
	e.xCall("DELETE", "/2/tweets/"+deleted, tok, "", nil)
	start := time.Date(2026, 8, 1, 4, 32, 0, 0, time.UTC) // from post 2 on
	q := url.Values{"max_results": {"5"}, "tweet.fields": {"created_at,text"}, "start_time": {start.Format(time.RFC3339)}}
	var got []string
	for page := 0; ; page++ {
		a := e.xCall("GET", "/2/users/"+xUser+"/tweets?"+q.Encode(), tok, "", nil)
		if a.status != 200 {
			t.Fatalf("page %d: %d %s", page, a.status, a.raw)
		}
		data, _ := a.body["data"].([]any)
		meta, _ := a.body["meta"].(map[string]any)
		if meta["result_count"] != float64(len(data)) {
			t.Errorf("meta %v", meta)
		}
		for _, d := range data {
			m := d.(map[string]any)
			if _, err := time.Parse(time.RFC3339, m["created_at"].(string)); err != nil || m["text"] == nil {
				t.Errorf("post %v", m)
			}
			got = append(got, m["id"].(string))
		}
		next, _ := meta["next_token"].(string)
		if next == "" {
			break
		}
		q.Set("pagination_token", next)
	}
	var want []string
	for i := 11; i >= 2; i-- {
		want = append(want, ids[i])
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("timeline %v, want %v (newest first, from start_time, without the deleted post)", got, want)
	}
	cases := []struct {
		query string
		param string
	}{
		{"max_results=3", "max_results"},
		{"max_results=101", "max_results"},
		{"tweet.fields=created_at,nonsense", "tweet.fields"},
		{"start_time=yesterday", "start_time"},
		{"pagination_token=bogus", "pagination_token"},
	}
	for _, c := range cases {
		a := e.xCall("GET", "/2/users/"+xUser+"/tweets?"+c.query, tok, "", nil)
		params, _ := xFirstError(a)["parameters"].(map[string]any)
		if a.status != 400 || xProblemType(a) != "invalid-request" || params[c.param] == nil {
			t.Errorf("%s: %d %s", c.query, a.status, a.raw)
		}
	}
	a := e.xCall("GET", "/2/users/999/tweets", tok, "", nil)
	if e := xFirstError(a); a.status != 200 || e["type"] != "https://api.twitter.com/2/problems/resource-not-found" || e["resource_type"] != "user" {
		t.Errorf("unknown user: %d %s", a.status, a.raw)
	}
	empty := e.sb.MintToken("x", "3003", "C", 0)
	if a := e.xCall("GET", "/2/users/3003/tweets", empty, "", nil); a.status != 200 || string(a.raw) != `{"meta":{"result_count":0}}` {
		t.Errorf("no posts: %d %s", a.status, a.raw)
	}
}

func TestXMetrics(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("x", xUser, "A", 0)
	other := e.sb.MintToken("x", "2002", "B", 0)
	id := e.xPost(tok, map[string]any{"text": "reach https://haryana.gov.in"})
	fields := "?tweet.fields=public_metrics,non_public_metrics,organic_metrics"
	read := func(token string) answer {
		a := e.xCall("GET", "/2/tweets/"+id+fields, token, "", nil)
		if a.status != 200 {
			t.Fatalf("%d %s", a.status, a.raw)
		}
		return a
	}
	num := func(a answer, field, metric string) float64 {
		m, _ := xData(a)[field].(map[string]any)
		v, _ := m[metric].(float64)
		return v
	}
	a := read(tok)
	if num(a, "public_metrics", "impression_count") != 0 || xData(a)["non_public_metrics"] == nil {
		t.Errorf("at posting: %s", a.raw)
	}
	e.clock.Advance(6 * time.Hour)
	a6 := read(tok)
	e.clock.Advance(48 * time.Hour)
	a54 := read(tok)
	for _, f := range []string{"public_metrics", "non_public_metrics", "organic_metrics"} {
		if num(a6, f, "impression_count") <= 0 || num(a54, f, "impression_count") <= num(a6, f, "impression_count") {
			t.Errorf("%s impressions %v then %v", f, num(a6, f, "impression_count"), num(a54, f, "impression_count"))
		}
	}
	if num(a54, "non_public_metrics", "url_link_clicks") <= 0 || num(a54, "public_metrics", "like_count") <= 0 {
		t.Errorf("metrics %s", a54.raw)
	}
	if a54.body["errors"] != nil {
		t.Errorf("errors for the author's recent post: %s", a54.raw)
	}
	// Someone else sees only the public metrics; the rest are partial errors.
	ao := read(other)
	errs, _ := ao.body["errors"].([]any)
	if xData(ao)["public_metrics"] == nil || xData(ao)["non_public_metrics"] != nil || len(errs) != 2 ||
		xFirstError(ao)["type"] != "https://api.twitter.com/2/problems/not-authorized-for-field" {
		t.Errorf("another account: %s", ao.raw)
	}
	// After 30 days, the author too.
	e.clock.Advance(30 * 24 * time.Hour)
	old := read(tok)
	if xData(old)["organic_metrics"] != nil || !strings.Contains(string(old.raw), "30 days") || xData(old)["public_metrics"] == nil {
		t.Errorf("old post: %s", old.raw)
	}
	if a := e.xCall("GET", "/2/tweets/"+id+"?tweet.fields=promoted_metrics_v0", tok, "", nil); a.status != 400 || xProblemType(a) != "invalid-request" {
		t.Errorf("an unknown field: %d %s", a.status, a.raw)
	}
	e.xCall("DELETE", "/2/tweets/"+id, tok, "", nil)
	if a := e.xCall("GET", "/2/tweets/"+id+fields, tok, "", nil); a.status != 200 || xData(a) != nil || xFirstError(a)["resource_type"] != "tweet" {
		t.Errorf("a deleted post: %d %s", a.status, a.raw)
	}
}

func TestXDelete(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("x", xUser, "A", 0)
	other := e.sb.MintToken("x", "2002", "B", 0)
	id := e.xPost(tok, map[string]any{"text": "bye"})
	if a := e.xCall("DELETE", "/2/tweets/"+id, other, "", nil); a.status != 403 {
		t.Errorf("someone else's post: %d %s", a.status, a.raw)
	}
	a := e.xCall("DELETE", "/2/tweets/"+id, tok, "", nil)
	if a.status != 200 || xData(a)["deleted"] != true || a.header.Get("x-rate-limit-limit") != "50" {
		t.Errorf("delete: %d %s", a.status, a.raw)
	}
	if a := e.xCall("DELETE", "/2/tweets/"+id, tok, "", nil); a.status != 404 || xProblemType(a) != "resource-not-found" {
		t.Errorf("again: %d %s", a.status, a.raw)
	}
	if p := e.sb.Posts("x", xUser)[0]; p.DeletedAt == nil || p.Visible(e.clock.Now()) {
		t.Error("not recorded as deleted")
	}
	// A post with the same text can be made again once the first is gone.
	e.xPost(tok, map[string]any{"text": "bye"})
}

// xConsentPage fetches the consent page for params.
func (e *env) xConsentPage(params url.Values) (int, string) {
	return e.page(sandbox.XAuthorizePath + "?" + params.Encode())
}

var xHiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// xApprove submits the consent page and returns the redirect.
func (e *env) xApprove(params url.Values, extra url.Values) *url.URL {
	e.t.Helper()
	status, body := e.xConsentPage(params)
	if status != 200 {
		e.t.Fatalf("consent page: %d\n%s", status, body)
	}
	form := url.Values{}
	for _, m := range xHiddenRE.FindAllStringSubmatch(body, -1) {
		form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	for k, v := range extra {
		form[k] = v
	}
	client := *e.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.PostForm(e.srv.URL+sandbox.XAuthorizePath, form)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc == nil {
		e.t.Fatalf("consent answer %d", resp.StatusCode)
	}
	return loc
}

// xToken posts to the token endpoint with Basic client authentication
// (client "" sends none).
func (e *env) xToken(client, secret string, form url.Values) answer {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+sandbox.XTokenPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if client != "" {
		req.SetBasicAuth(url.QueryEscape(client), url.QueryEscape(secret))
	}
	return e.do(req)
}

func xAuthParams(challenge, method string) url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {"cid"}, "redirect_uri": {"https://prasar.example/cb"},
		"scope": {"tweet.read tweet.write users.read offline.access media.write"}, "state": {"s1"},
		"code_challenge": {challenge}, "code_challenge_method": {method}}
}

func TestXOAuth(t *testing.T) {
	e := newEnv(t)
	verifier := "a-verifier-of-at-least-forty-three-characters-0123"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])

	// Bad requests show an error page and never redirect.
	for name, mutate := range map[string]func(url.Values){
		"no PKCE":        func(v url.Values) { v.Del("code_challenge") },
		"unknown method": func(v url.Values) { v.Set("code_challenge_method", "S512") },
		"unknown scope":  func(v url.Values) { v.Set("scope", "tweet.read everything") },
		"no state":       func(v url.Values) { v.Del("state") },
		"relative redirect": func(v url.Values) {
			v.Set("redirect_uri", "/cb")
		},
		"token response type": func(v url.Values) { v.Set("response_type", "token") },
	} {
		p := xAuthParams(challenge, "S256")
		mutate(p)
		if status, body := e.xConsentPage(p); status != 400 || !strings.Contains(body, "cannot be used") || !strings.Contains(body, "SANDBOX") {
			t.Errorf("%s: %d", name, status)
		}
	}

	loc := e.xApprove(xAuthParams(challenge, "S256"), url.Values{"decision": {"approve"}, "account": {"new"}, "name": {"Haryana Agriculture"}})
	code := loc.Query().Get("code")
	if loc.Query().Get("state") != "s1" || code == "" || loc.Host != "prasar.example" {
		t.Fatalf("redirect %s", loc)
	}
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://prasar.example/cb"}, "code_verifier": {verifier}}
	if a := e.xToken("", "", exchange); a.status != 401 || a.body["error"] != "unauthorized_client" {
		t.Errorf("without client authentication: %d %s", a.status, a.raw)
	}
	a := e.xToken("cid", "secret", exchange)
	if a.status != 200 || a.body["token_type"] != "bearer" || a.body["expires_in"] != float64(7200) ||
		a.body["scope"] != "tweet.read tweet.write users.read offline.access media.write" || xStr(a, "access_token") == "" || xStr(a, "refresh_token") == "" {
		t.Fatalf("exchange: %d %s", a.status, a.raw)
	}
	access, refresh := xStr(a, "access_token"), xStr(a, "refresh_token")
	me := e.xCall("GET", "/2/users/me", access, "", nil)
	accountID, _ := xData(me)["id"].(string)
	if me.status != 200 || xData(me)["name"] != "Haryana Agriculture" || !strings.HasPrefix(xData(me)["username"].(string), "HaryanaAgr_") {
		t.Fatalf("me: %d %s", me.status, me.raw)
	}
	if got := e.sb.Accounts("x"); len(got) != 1 || got[0].ID != accountID {
		t.Errorf("accounts %+v", got)
	}
	// A refresh token is not an access token.
	if a := e.xCall("GET", "/2/users/me", refresh, "", nil); a.status != 401 {
		t.Errorf("refresh token as bearer: %d", a.status)
	}
	// The code was single-use.
	if a := e.xToken("cid", "secret", exchange); a.status != 400 || a.body["error"] != "invalid_request" {
		t.Errorf("code reuse: %d %s", a.status, a.raw)
	}
	// Rotation.
	r1 := e.xToken("cid", "secret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
	if r1.status != 200 || xStr(r1, "refresh_token") == refresh || xStr(r1, "refresh_token") == "" || xStr(r1, "access_token") == access {
		t.Fatalf("refresh: %d %s", r1.status, r1.raw)
	}
	if a := e.xCall("GET", "/2/users/me", xStr(r1, "access_token"), "", nil); a.status != 200 || xData(a)["id"] != accountID {
		t.Errorf("new access token: %d", a.status)
	}
	if a := e.xToken("other-client", "s", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {xStr(r1, "refresh_token")}}); a.status != 400 {
		t.Errorf("another client's refresh token: %d", a.status)
	}
	// Replaying the first refresh token kills the family.
	replay := e.xToken("cid", "secret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
	if replay.status != 400 || replay.body["error"] != "invalid_request" || replay.body["error_description"] != "Value passed for the token was invalid." {
		t.Errorf("replay: %d %s", replay.status, replay.raw)
	}
	for name, tok := range map[string]string{"first access token": access, "newest access token": xStr(r1, "access_token")} {
		if a := e.xCall("GET", "/2/users/me", tok, "", nil); a.status != 401 {
			t.Errorf("%s after the replay: %d", name, a.status)
		}
	}
	if a := e.xToken("cid", "secret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {xStr(r1, "refresh_token")}}); a.status != 400 {
		t.Errorf("newest refresh token after the replay: %d", a.status)
	}
	if a := e.xToken("cid", "secret", url.Values{"grant_type": {"password"}}); a.status != 400 || a.body["error"] != "unsupported_grant_type" {
		t.Errorf("unsupported grant: %d %s", a.status, a.raw)
	}
}

func TestXOAuthCodeRules(t *testing.T) {
	verifier := "another-verifier-of-at-least-forty-three-chars-0123"
	sum := sha256.Sum256([]byte(verifier))
	s256 := base64.RawURLEncoding.EncodeToString(sum[:])
	cases := []struct {
		name      string
		challenge string
		method    string
		form      func(code string) url.Values
		advance   time.Duration
		ok        bool
	}{
		{"S256", s256, "S256", nil, 0, true},
		{"plain", verifier, "plain", nil, 0, true},
		{"29 seconds", s256, "S256", nil, 29 * time.Second, true},
		{"31 seconds", s256, "S256", nil, 31 * time.Second, false},
		{"wrong verifier", s256, "S256", func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {"https://prasar.example/cb"}, "code_verifier": {"nope"}}
		}, 0, false},
		{"the challenge as the verifier", s256, "S256", func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {"https://prasar.example/cb"}, "code_verifier": {s256}}
		}, 0, false},
		{"another redirect", s256, "S256", func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {"https://prasar.example/other"}, "code_verifier": {verifier}}
		}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			loc := e.xApprove(xAuthParams(c.challenge, c.method), url.Values{"decision": {"approve"}, "account": {"new"}})
			code := loc.Query().Get("code")
			e.clock.Advance(c.advance)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://prasar.example/cb"}, "code_verifier": {verifier}}
			if c.form != nil {
				form = c.form(code)
			}
			a := e.xToken("cid", "secret", form)
			if c.ok != (a.status == 200) {
				t.Errorf("got %d %s", a.status, a.raw)
			}
			if !c.ok && a.body["error"] != "invalid_request" {
				t.Errorf("error %s", a.raw)
			}
		})
	}
}

func TestXOAuthDenyRevokeAndRestart(t *testing.T) {
	e := newEnv(t)
	verifier := "verifier-for-deny-and-revoke-0123456789-0123456789"
	sum := sha256.Sum256([]byte(verifier))
	params := xAuthParams(base64.RawURLEncoding.EncodeToString(sum[:]), "S256")
	params.Set("redirect_uri", "https://prasar.example/cb?keep=1")
	loc := e.xApprove(params, url.Values{"decision": {"deny"}})
	if loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "s1" || loc.Query().Get("keep") != "1" || loc.Query().Has("code") {
		t.Errorf("deny: %s", loc)
	}
	// An existing account can be chosen; it is preselected next time.
	e.sb.MintToken("x", xUser, "Agriculture Department", 0)
	loc = e.xApprove(params, url.Values{"decision": {"approve"}, "account": {xUser}})
	a := e.xToken("cid", "s", url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {"https://prasar.example/cb?keep=1"}, "code_verifier": {verifier}})
	if a.status != 200 {
		t.Fatalf("exchange: %d %s", a.status, a.raw)
	}
	if me := e.xCall("GET", "/2/users/me", xStr(a, "access_token"), "", nil); xData(me)["id"] != xUser {
		t.Errorf("authorized %v, want the chosen account", xData(me)["id"])
	}
	if _, body := e.xConsentPage(params); !strings.Contains(body, `value="`+xUser+`" checked`) {
		t.Error("the account that approved last is not preselected")
	}
	// A restarted sandbox with the same secret accepts the refresh token.
	restarted := sandbox.New(sandbox.Options{Secret: testSecret, Now: e.clock.Now})
	r, _ := http.NewRequest("POST", sandbox.XTokenPath, strings.NewReader(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {xStr(a, "refresh_token")}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth("cid", "s")
	w := httptest.NewRecorder()
	restarted.Handler().ServeHTTP(w, r)
	if w.Code != 200 {
		t.Errorf("refresh after a restart: %d %s", w.Code, w.Body)
	}
	// Revoking kills the family.
	rv, _ := http.NewRequest("POST", e.srv.URL+sandbox.XRevokePath, strings.NewReader(url.Values{"token": {xStr(a, "refresh_token")}, "token_type_hint": {"refresh_token"}}.Encode()))
	rv.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rv.SetBasicAuth("cid", "s")
	if r := e.do(rv); r.status != 200 || r.body["revoked"] != true {
		t.Errorf("revoke: %d %s", r.status, r.raw)
	}
	if me := e.xCall("GET", "/2/users/me", xStr(a, "access_token"), "", nil); me.status != 401 {
		t.Errorf("access token after revocation: %d", me.status)
	}
}

func TestXFaults(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("x", xUser, "A", 0)
	now := e.clock.Now()
	set := func(f sandbox.Fault) {
		if err := e.sb.SetFault("x", xUser, f); err != nil {
			t.Fatal(err)
		}
	}
	post := func(text string) answer { return e.xJSON("POST", "/2/tweets", tok, map[string]any{"text": text}) }
	unix := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }

	set(sandbox.Fault{Kind: sandbox.FaultRateLimit, RetryAfter: 19 * time.Minute, Times: 1})
	if a := post("a"); a.status != 429 || a.header.Get("x-rate-limit-remaining") != "0" || a.header.Get("x-rate-limit-reset") != unix(19*time.Minute) {
		t.Errorf("window: %d %v", a.status, a.header)
	}
	set(sandbox.Fault{Kind: sandbox.FaultRateLimit, Code: sandbox.XLimitUserDaily, RetryAfter: 20 * time.Hour, Times: 1})
	if a := post("a"); a.status != 429 || a.header.Get("x-user-limit-24hour-remaining") != "0" || a.header.Get("x-user-limit-24hour-reset") != unix(20*time.Hour) ||
		a.header.Get("x-rate-limit-remaining") == "0" {
		t.Errorf("user day: %d %v", a.status, a.header)
	}
	set(sandbox.Fault{Kind: sandbox.FaultRateLimit, Code: sandbox.XLimitAppDaily, RetryAfter: 3 * time.Hour, Times: 1})
	if a := post("a"); a.status != 429 || a.header.Get("x-app-limit-24hour-remaining") != "0" || a.header.Get("x-app-limit-24hour-reset") != unix(3*time.Hour) {
		t.Errorf("app day: %d %v", a.status, a.header)
	}
	set(sandbox.Fault{Kind: sandbox.FaultRateLimit, Code: sandbox.XLimitUsageCapped, Times: 1})
	if a := post("a"); a.status != 429 || xProblemType(a) != "usage-capped" || a.body["period"] != "Monthly" || a.body["scope"] != "Product" {
		t.Errorf("usage cap: %d %s", a.status, a.raw)
	}
	set(sandbox.Fault{Kind: sandbox.FaultServerError, Status: 503, Times: 1})
	if a := post("a"); a.status != 503 || a.body["title"] != "Service Unavailable" {
		t.Errorf("503: %d %s", a.status, a.raw)
	}
	set(sandbox.Fault{Kind: sandbox.FaultExpiredToken, Times: 1})
	if a := post("a"); a.status != 401 {
		t.Errorf("expired: %d", a.status)
	}
	set(sandbox.Fault{Kind: sandbox.FaultDuplicate, Times: 1})
	if a := post("a"); a.status != 403 || a.body["detail"] != "You are not allowed to create a Tweet with duplicate content." {
		t.Errorf("duplicate: %d %s", a.status, a.raw)
	}
	if n := len(e.sb.Posts("x", xUser)); n != 0 {
		t.Errorf("%d posts after refused calls", n)
	}
	set(sandbox.Fault{Kind: sandbox.FaultServerError, Commit: true, Times: 1})
	if a := post("committed"); a.status != 500 || len(e.sb.Posts("x", xUser)) != 1 {
		t.Errorf("500 after commit: %d, %d posts", a.status, len(e.sb.Posts("x", xUser)))
	}
	// Uploads and the token endpoint are faulted separately, in their own
	// shapes.
	set(sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpUpload}, Times: 1})
	if a := e.xMultipart("/2/media/upload", tok, map[string]string{"media_type": "image/png"}, pngBytes); a.status != 500 {
		t.Errorf("upload fault: %d", a.status)
	}
	if a := post("not an upload"); a.status != 201 {
		t.Errorf("publish after an upload fault: %d", a.status)
	}
	set(sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpRead}, Times: 1})
	if a := e.xToken("cid", "s", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}); a.status != 400 {
		// A code that does not exist names no account: the account's
		// fault does not apply.
		t.Errorf("token call for no account: %d", a.status)
	}
	if err := e.sb.SetFault("x", "", sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpRead}, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if a := e.xToken("cid", "s", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}); a.status != 500 || a.body["error"] != "server_error" {
		t.Errorf("token endpoint fault: %d %s", a.status, a.raw)
	}
}

func TestXPages(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("x", xUser, "Agriculture Department", 0)
	id := e.xPost(tok, map[string]any{"text": "हरियाणा कृषि <script>alert(1)</script>"})
	gone := e.xPost(tok, map[string]any{"text": "deleted post"})
	e.xCall("DELETE", "/2/tweets/"+gone, tok, "", nil)
	for _, path := range []string{sandbox.XWebPath + "/" + xUser, sandbox.XWebPath + "/Agricultur_1001", sandbox.XWebPath + "/agricultur_1001"} {
		status, body := e.page(path)
		if status != 200 || !strings.Contains(body, "हरियाणा कृषि") || strings.Contains(body, "<script>") || strings.Contains(body, "deleted post") ||
			!strings.Contains(body, "SANDBOX") || !strings.Contains(body, "Agriculture Department") {
			t.Errorf("%s: %d", path, status)
		}
	}
	for _, path := range []string{sandbox.XWebPath + "/Agricultur_1001/status/" + id, sandbox.XWebPath + "/anyone/status/" + id, sandbox.XWebPath + "/i/web/status/" + id} {
		if status, body := e.page(path); status != 200 || !strings.Contains(body, "हरियाणा कृषि") {
			t.Errorf("%s: %d", path, status)
		}
	}
	if status, body := e.page(sandbox.XWebPath + "/i/web/status/" + gone); status != 200 || !strings.Contains(body, "deleted") {
		t.Errorf("a deleted post's page: %d", status)
	}
	for _, path := range []string{sandbox.XWebPath + "/nobody", sandbox.XWebPath + "/i/web/status/42"} {
		if status, _ := e.page(path); status != 404 {
			t.Errorf("%s: %d", path, status)
		}
	}
	if status, body := e.page("/sandbox/"); status != 200 || !strings.Contains(body, `href="`+sandbox.XWebPath+"/"+xUser+`"`) {
		t.Errorf("index: %d", status)
	}
}
