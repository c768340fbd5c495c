package sandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/sandbox"
)

// tgCall calls a Bot API method with form parameters.
func (e *env) tgCall(token, method string, v url.Values) answer {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+sandbox.TelegramAPIPath+"/bot"+token+"/"+method, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(req)
}

// tgJSON calls a Bot API method with a JSON body.
func (e *env) tgJSON(token, method string, body any) answer {
	e.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", e.srv.URL+sandbox.TelegramAPIPath+"/bot"+token+"/"+method, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return e.do(req)
}

// tgPhotos sends photos as multipart: sendPhoto for one, sendMediaGroup for
// more.
func (e *env) tgPhotos(token, chat, caption string, photos ...[]byte) answer {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("chat_id", chat)
	method := "sendPhoto"
	if len(photos) == 1 {
		mw.WriteField("caption", caption)
		w, _ := mw.CreateFormFile("photo", "p.png")
		w.Write(photos[0])
	} else {
		method = "sendMediaGroup"
		var media []map[string]string
		for i, p := range photos {
			name := "f" + strconv.Itoa(i)
			m := map[string]string{"type": "photo", "media": "attach://" + name}
			if i == 0 {
				m["caption"] = caption
			}
			media = append(media, m)
			w, _ := mw.CreateFormFile(name, name+".png")
			w.Write(p)
		}
		b, _ := json.Marshal(media)
		mw.WriteField("media", string(b))
	}
	mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+sandbox.TelegramAPIPath+"/bot"+token+"/"+method, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return e.do(req)
}

func (a answer) tgResult() map[string]any {
	r, _ := a.body["result"].(map[string]any)
	return r
}

func (a answer) tgError() (int, string) {
	code, _ := a.body["error_code"].(float64)
	desc, _ := a.body["description"].(string)
	return int(code), desc
}

func (e *env) tgRights(channel, status string, canPost bool) {
	e.t.Helper()
	b, _ := json.Marshal(map[string]any{"channel": channel, "status": status, "canPostMessages": canPost, "canDeleteMessages": canPost})
	req, _ := http.NewRequest("POST", e.srv.URL+sandbox.TelegramRightsPath, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if a := e.do(req); a.status != 200 {
		e.t.Fatalf("rights: %d %s", a.status, a.raw)
	}
}

func TestTelegramBotAndChannel(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("telegram", "@agri_haryana", "कृषि विभाग", 0)
	me := e.tgCall(tok, "getMe", nil)
	bot := me.tgResult()
	if me.status != 200 || me.body["ok"] != true || bot["is_bot"] != true || !strings.HasSuffix(bot["username"].(string), "_bot") {
		t.Fatalf("getMe: %d %s", me.status, me.raw)
	}
	// Method names are case-insensitive, parameters come in any encoding.
	chat := e.tgJSON(tok, "GETCHAT", map[string]any{"chat_id": "@agri_haryana"}).tgResult()
	id := int64(chat["id"].(float64))
	if chat["type"] != "channel" || chat["username"] != "agri_haryana" || chat["title"] != "कृषि विभाग" || !strings.HasPrefix(strconv.FormatInt(id, 10), "-100") {
		t.Errorf("getChat: %v", chat)
	}
	if again := e.tgCall(tok, "getChat", url.Values{"chat_id": {strconv.FormatInt(id, 10)}}).tgResult(); again["username"] != "agri_haryana" {
		t.Errorf("getChat by numeric id: %v", again)
	}
	member := e.tgCall(tok, "getChatMember", url.Values{"chat_id": {"@agri_haryana"}, "user_id": {fmt.Sprint(int64(bot["id"].(float64)))}}).tgResult()
	if member["status"] != "administrator" || member["can_post_messages"] != true {
		t.Errorf("getChatMember: %v", member)
	}
	admins := e.tgCall(tok, "getChatAdministrators", url.Values{"chat_id": {"@agri_haryana"}})
	if list, _ := admins.body["result"].([]any); len(list) != 1 {
		t.Errorf("getChatAdministrators: %s", admins.raw)
	}
	// Rights taken away show in getChatMember.
	e.tgRights("@agri_haryana", "administrator", false)
	member = e.tgCall(tok, "getChatMember", url.Values{"chat_id": {"@agri_haryana"}, "user_id": {fmt.Sprint(int64(bot["id"].(float64)))}}).tgResult()
	if member["status"] != "administrator" || member["can_post_messages"] != false {
		t.Errorf("getChatMember without the right: %v", member)
	}
	e.tgRights("@agri_haryana", "left", false)
	member = e.tgCall(tok, "getChatMember", url.Values{"chat_id": {"@agri_haryana"}, "user_id": {fmt.Sprint(int64(bot["id"].(float64)))}}).tgResult()
	if member["status"] != "left" {
		t.Errorf("getChatMember after leaving: %v", member)
	}
	// A private channel the bot left cannot be seen at all.
	ptok := e.sb.MintToken("telegram", "-1001900000001", "DC Hisar", 0)
	e.tgRights("-1001900000001", "left", false)
	if code, desc := e.tgCall(ptok, "getChat", url.Values{"chat_id": {"-1001900000001"}}).tgError(); code != 400 || desc != "Bad Request: chat not found" {
		t.Errorf("private channel after leaving: %d %q", code, desc)
	}
}

func TestTelegramSendMessage(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("telegram", "@agri_haryana", "Agriculture", 0)
	a := e.tgJSON(tok, "sendMessage", map[string]any{"chat_id": "@agri_haryana", "text": "नई योजना https://haryana.gov.in/x",
		"link_preview_options": map[string]any{"url": "https://haryana.gov.in/x"}})
	m := a.tgResult()
	if a.status != 200 || m["message_id"] != 1.0 || m["text"] != "नई योजना https://haryana.gov.in/x" || m["date"] != float64(e.clock.Now().Unix()) {
		t.Fatalf("sendMessage: %d %s", a.status, a.raw)
	}
	if chat := m["chat"].(map[string]any); chat["username"] != "agri_haryana" || chat["type"] != "channel" {
		t.Errorf("chat %v", chat)
	}
	if m["sender_chat"] == nil {
		t.Error("no sender_chat")
	}
	posts := e.sb.Posts("telegram", "@agri_haryana")
	if len(posts) != 1 || posts[0].Link != "https://haryana.gov.in/x" {
		t.Errorf("posts %+v", posts)
	}
	// The text limit counts UTF-16 units: 2048 emoji are 4096 units.
	if a := e.tgCall(tok, "sendMessage", url.Values{"chat_id": {"@agri_haryana"}, "text": {strings.Repeat("🙏", 2048)}}); a.status != 200 {
		t.Errorf("4096 units: %d %s", a.status, a.raw)
	}
	if code, desc := e.tgCall(tok, "sendMessage", url.Values{"chat_id": {"@agri_haryana"}, "text": {strings.Repeat("🙏", 2048) + "a"}}).tgError(); code != 400 || desc != "Bad Request: message is too long" {
		t.Errorf("4097 units: %d %q", code, desc)
	}
	if code, desc := e.tgCall(tok, "sendMessage", url.Values{"chat_id": {"@agri_haryana"}, "text": {" "}}).tgError(); code != 400 || desc != "Bad Request: message text is empty" {
		t.Errorf("empty: %d %q", code, desc)
	}
}

func TestTelegramErrors(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("telegram", "@agri_haryana", "Agriculture", 0)
	e.sb.MintToken("telegram", "@health_haryana", "Health", 0)
	expiring := e.sb.MintToken("telegram", "@agri_haryana", "Agriculture", time.Hour)
	e.clock.Advance(2 * time.Hour)
	send := func(token, chat string) (int, string) {
		return e.tgCall(token, "sendMessage", url.Values{"chat_id": {chat}, "text": {"hi"}}).tgError()
	}
	cases := []struct {
		name string
		got  func() (int, string)
		code int
		desc string
	}{
		{"unknown token", func() (int, string) { return send("123:abc", "@agri_haryana") }, 401, "Unauthorized"},
		{"revoked token", func() (int, string) { return send(expiring, "@agri_haryana") }, 401, "Unauthorized"},
		{"no bot in the path", func() (int, string) {
			req, _ := http.NewRequest("POST", e.srv.URL+sandbox.TelegramAPIPath+"/sendMessage", nil)
			return e.do(req).tgError()
		}, 404, "Not Found"},
		{"unknown method", func() (int, string) { return e.tgCall(tok, "sendSticker", nil).tgError() }, 404, "Not Found"},
		{"unknown chat", func() (int, string) { return send(tok, "-1009999999999") }, 400, "Bad Request: chat not found"},
		{"another channel", func() (int, string) { return send(tok, "@health_haryana") }, 403, "Forbidden: bot is not a member of the channel chat"},
		{"no chat", func() (int, string) { return send(tok, "") }, 400, "Bad Request: chat_id is empty"},
	}
	for _, c := range cases {
		if code, desc := c.got(); code != c.code || desc != c.desc {
			t.Errorf("%s: %d %q, want %d %q", c.name, code, desc, c.code, c.desc)
		}
	}
	e.tgRights("@agri_haryana", "administrator", false)
	if code, desc := send(tok, "@agri_haryana"); code != 400 || desc != "Bad Request: need administrator rights in the channel chat" {
		t.Errorf("no post right: %d %q", code, desc)
	}
	e.tgRights("@agri_haryana", "kicked", false)
	if code, desc := send(tok, "@agri_haryana"); code != 403 || desc != "Forbidden: bot was kicked from the channel chat" {
		t.Errorf("kicked: %d %q", code, desc)
	}
	req, _ := http.NewRequest("DELETE", e.srv.URL+sandbox.TelegramRightsPath, nil)
	e.do(req)
	if code, _ := send(tok, "@agri_haryana"); code != 0 {
		t.Errorf("rights restored: %d", code)
	}
	if n := len(e.sb.Posts("telegram", "@agri_haryana")); n != 1 {
		t.Errorf("%d posts, want the one that was allowed", n)
	}
}

func TestTelegramRateLimit(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("telegram", "@agri_haryana", "Agriculture", 0)
	for i := range 20 {
		if a := e.tgCall(tok, "sendMessage", url.Values{"chat_id": {"@agri_haryana"}, "text": {"m" + strconv.Itoa(i)}}); a.status != 200 {
			t.Fatalf("message %d: %d", i, a.status)
		}
		e.clock.Advance(2 * time.Second)
	}
	a := e.tgCall(tok, "sendMessage", url.Values{"chat_id": {"@agri_haryana"}, "text": {"one too many"}})
	params, _ := a.body["parameters"].(map[string]any)
	if code, desc := a.tgError(); a.status != 429 || code != 429 || desc != "Too Many Requests: retry after 20" || params["retry_after"] != 20.0 {
		t.Errorf("21st message in a minute: %d %s", a.status, a.raw)
	}
	e.clock.Advance(20 * time.Second)
	if a := e.tgCall(tok, "sendMessage", url.Values{"chat_id": {"@agri_haryana"}, "text": {"later"}}); a.status != 200 {
		t.Errorf("after the wait: %d %s", a.status, a.raw)
	}
}

func TestTelegramFaults(t *testing.T) {
	cases := []struct {
		fault     sandbox.Fault
		status    int
		desc      string
		retry     float64
		committed bool
	}{
		{sandbox.Fault{Kind: sandbox.FaultRateLimit, RetryAfter: 90 * time.Second}, 429, "Too Many Requests: retry after 90", 90, false},
		{sandbox.Fault{Kind: sandbox.FaultServerError}, 500, "Internal Server Error", 0, false},
		{sandbox.Fault{Kind: sandbox.FaultServerError, Status: 502, Commit: true}, 502, "Bad Gateway", 0, true},
		{sandbox.Fault{Kind: sandbox.FaultExpiredToken}, 401, "Unauthorized", 0, false},
		{sandbox.Fault{Kind: sandbox.FaultDuplicate}, 400, "Bad Request: duplicate message (a sandbox fault: Telegram itself never refuses repeated text)", 0, false},
	}
	for _, c := range cases {
		t.Run(string(c.fault.Kind), func(t *testing.T) {
			e := newEnv(t)
			tok := e.sb.MintToken("telegram", "-1001900000001", "DC Hisar", 0)
			c.fault.Times = 1
			mustSetFault(t, e.sb, "telegram", "-1001900000001", c.fault)
			// Reads are not publish calls: the fault waits.
			if a := e.tgCall(tok, "getMe", nil); a.status != 200 {
				t.Errorf("getMe hit a publish fault: %d", a.status)
			}
			a := e.tgCall(tok, "sendMessage", url.Values{"chat_id": {"-1001900000001"}, "text": {"hit"}})
			code, desc := a.tgError()
			params, _ := a.body["parameters"].(map[string]any)
			if a.status != c.status || code != c.status || desc != c.desc || (c.retry > 0 && params["retry_after"] != c.retry) || a.body["ok"] != false {
				t.Errorf("got %d %s", a.status, a.raw)
			}
			if n := len(e.sb.Posts("telegram", "-1001900000001")); (n == 1) != c.committed {
				t.Errorf("%d posts, committed=%v", n, c.committed)
			}
		})
	}
}

func TestTelegramPhotosDeleteAndPages(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("telegram", "-1001900000001", "जिला प्रशासन हिसार", 0)
	a := e.tgPhotos(tok, "-1001900000001", "मंडी में किसान", pngBytes)
	m := a.tgResult()
	photo, _ := m["photo"].([]any)
	if a.status != 200 || m["caption"] != "मंडी में किसान" || len(photo) != 1 || photo[0].(map[string]any)["width"] != 1.0 {
		t.Fatalf("sendPhoto: %d %s", a.status, a.raw)
	}
	album := e.tgPhotos(tok, "-1001900000001", "album", pngBytes, pngBytes, pngBytes)
	msgs, _ := album.body["result"].([]any)
	if album.status != 200 || len(msgs) != 3 || msgs[0].(map[string]any)["message_id"] != 2.0 || msgs[2].(map[string]any)["message_id"] != 4.0 ||
		msgs[0].(map[string]any)["media_group_id"] == nil || msgs[0].(map[string]any)["caption"] != "album" {
		t.Fatalf("sendMediaGroup: %d %s", album.status, album.raw)
	}
	if code, desc := e.tgPhotos(tok, "-1001900000001", strings.Repeat("a", 1025), pngBytes).tgError(); code != 400 || desc != "Bad Request: message caption is too long" {
		t.Errorf("long caption: %d %q", code, desc)
	}
	if code, desc := e.tgPhotos(tok, "-1001900000001", "x", []byte("not an image")).tgError(); code != 400 || desc != "Bad Request: IMAGE_PROCESS_FAILED" {
		t.Errorf("not an image: %d %q", code, desc)
	}
	if code, _ := e.tgPhotos(tok, "-1001900000001", "x", pngBytes, pngBytes, pngBytes, pngBytes, pngBytes, pngBytes, pngBytes, pngBytes, pngBytes, pngBytes, pngBytes).tgError(); code != 400 {
		t.Errorf("11 photos: %d", code)
	}
	// Pages: the channel by its id and t.me-style post links.
	status, body := e.page(sandbox.TelegramWebPath + "/-1001900000001")
	if status != 200 || !strings.Contains(body, "जिला प्रशासन हिसार") || !strings.Contains(body, "मंडी में किसान") || !strings.Contains(body, "SANDBOX") {
		t.Errorf("channel page: %d", status)
	}
	for _, msg := range []string{"2", "3", "4"} {
		if status, body := e.page(sandbox.TelegramWebPath + "/c/1900000001/" + msg); status != 200 || !strings.Contains(body, "album") || strings.Contains(body, "मंडी") {
			t.Errorf("album message %s page: %d", msg, status)
		}
	}
	if status, _ := e.page(sandbox.TelegramWebPath + "/c/1900000001/9"); status != 404 {
		t.Errorf("missing message page: %d", status)
	}
	// Deleting.
	if a := e.tgCall(tok, "deleteMessage", url.Values{"chat_id": {"-1001900000001"}, "message_id": {"1"}}); a.status != 200 || a.body["result"] != true {
		t.Errorf("deleteMessage: %d %s", a.status, a.raw)
	}
	if code, desc := e.tgCall(tok, "deleteMessage", url.Values{"chat_id": {"-1001900000001"}, "message_id": {"1"}}).tgError(); code != 400 || desc != "Bad Request: message to delete not found" {
		t.Errorf("deleting twice: %d %q", code, desc)
	}
	if a := e.tgJSON(tok, "deleteMessages", map[string]any{"chat_id": "-1001900000001", "message_ids": []int{2, 3, 4, 99}}); a.status != 200 || a.body["result"] != true {
		t.Errorf("deleteMessages: %d %s", a.status, a.raw)
	}
	for _, p := range e.sb.Posts("telegram", "-1001900000001") {
		if p.DeletedAt == nil {
			t.Errorf("post %s not deleted", p.ID)
		}
	}
	if _, body := e.page(sandbox.TelegramWebPath + "/-1001900000001"); strings.Contains(body, "मंडी में किसान") {
		t.Error("a deleted post is still on the channel page")
	}
	// The index lists the platform.
	if _, body := e.page("/sandbox/"); !strings.Contains(body, "Telegram") || !strings.Contains(body, `href="/sandbox/telegram/www/-1001900000001"`) {
		t.Error("index does not list the Telegram channel")
	}
}
