package telegram_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/telegram"
	"github.com/prasar/prasar/publisher"
)

const botToken = "7012345678:AAH-golden-bot-token_secret"

var goldenCred = publisher.Credentials{AccessToken: botToken}

// assertPath checks a request went to /bot{token}/{method} by POST, with
// nothing in the query string.
func assertPath(t *testing.T, r recorded, method string) {
	t.Helper()
	if r.Method != "POST" || r.Path != "/bot"+botToken+"/"+method || r.RawQuery != "" {
		t.Errorf("request %s %s?%s, want POST /bot<token>/%s", r.Method, strings.ReplaceAll(r.Path, botToken, "<token>"), r.RawQuery, method)
	}
}

func TestGoldenSendMessage(t *testing.T) {
	s := newStub(t, "send_message.json")
	c := telegram.New(telegram.Config{APIURL: s.srv.URL})
	pub, err := c.Publish(context.Background(), account(publicChannel), goldenCred,
		publisher.Message{DeliveryID: "d1", Text: "नई योजना", Link: "https://haryana.gov.in/x"})
	if err != nil {
		t.Fatal(err)
	}
	if pub.ExternalID != "42" || pub.URL != "https://t.me/agri_haryana/42" {
		t.Errorf("published %+v", pub)
	}
	r := s.requests()[0]
	assertPath(t, r, "sendMessage")
	want := map[string]any{"chat_id": publicChannel, "text": "नई योजना\n\nhttps://haryana.gov.in/x",
		"link_preview_options": map[string]any{"url": "https://haryana.gov.in/x"}}
	if got, _ := json.Marshal(r.JSON); string(got) != mustJSON(want) {
		t.Errorf("body %s\nwant %s", got, mustJSON(want))
	}
	if r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("content type %q", r.Header.Get("Content-Type"))
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestGoldenSendMessageOptions(t *testing.T) {
	s := newStub(t, "send_message.json")
	c := telegram.New(telegram.Config{APIURL: s.srv.URL, DisableLinkPreview: true, DisableNotification: true})
	if _, err := c.Publish(context.Background(), account(publicChannel), goldenCred, publisher.Message{Text: "see https://a.in", Link: "https://a.in"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"chat_id": publicChannel, "text": "see https://a.in", "link_preview_options": map[string]any{"is_disabled": true}, "disable_notification": true}
	if got := mustJSON(s.requests()[0].JSON); got != mustJSON(want) {
		t.Errorf("body %s\nwant %s", got, mustJSON(want))
	}
}

func TestGoldenSendPhotoPrivateChannel(t *testing.T) {
	s := newStub(t, "send_photo_private.json")
	c := telegram.New(telegram.Config{APIURL: s.srv.URL, WebURL: "https://t.me/"})
	data := []byte("\x89PNG\r\n\x1a\nfake")
	pub, err := c.Publish(context.Background(), account(privateChannel), goldenCred, publisher.Message{Text: "फसल", Media: []publisher.MediaRef{image("m1", data)}})
	if err != nil {
		t.Fatal(err)
	}
	if pub.ExternalID != "7" || pub.URL != "https://t.me/c/1900000001/7" {
		t.Errorf("published %+v", pub)
	}
	r := s.requests()[0]
	assertPath(t, r, "sendPhoto")
	if string(r.Files["photo"]) != string(data) || r.FileType["photo"] != "image/png" {
		t.Errorf("photo part %q %q", r.Files["photo"], r.FileType["photo"])
	}
	if r.Params.Get("chat_id") != privateChannel || r.Params.Get("caption") != "फसल" || len(r.Params) != 2 {
		t.Errorf("params %v", r.Params)
	}
}

func TestGoldenSendMediaGroup(t *testing.T) {
	s := newStub(t, "send_media_group.json")
	c := telegram.New(telegram.Config{APIURL: s.srv.URL})
	pub, err := c.Publish(context.Background(), account(publicChannel), goldenCred, publisher.Message{Text: "two", Link: "https://a.in",
		Media: []publisher.MediaRef{image("m1", []byte("a")), image("m2", []byte("b"))}})
	if err != nil {
		t.Fatal(err)
	}
	if pub.ExternalID != "43,44" || pub.URL != "https://t.me/agri_haryana/43" {
		t.Errorf("published %+v", pub)
	}
	r := s.requests()[0]
	assertPath(t, r, "sendMediaGroup")
	want := `[{"type":"photo","media":"attach://photo0","caption":"two\n\nhttps://a.in"},{"type":"photo","media":"attach://photo1"}]`
	if r.Params.Get("media") != want || string(r.Files["photo0"]) != "a" || string(r.Files["photo1"]) != "b" {
		t.Errorf("media %s files %v", r.Params.Get("media"), r.Files)
	}
}

func TestGoldenErrors(t *testing.T) {
	now := time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		answer    string
		class     publisher.ErrorClass
		code      string
		ambiguous bool
		retryAt   time.Time
	}{
		{"400:chat_not_found.json", publisher.ClassAuth, "400", false, time.Time{}},
		{"403:not_member.json", publisher.ClassAuth, "403", false, time.Time{}},
		{"401:unauthorized.json", publisher.ClassAuth, "401", false, time.Time{}},
		{"429:too_many.json", publisher.ClassRateLimited, "429", false, now.Add(5 * time.Second)},
		{"400:too_long.json", publisher.ClassRejected, "400", false, time.Time{}},
		{"502:bad_gateway.json", publisher.ClassRetryable, "502", true, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.answer, func(t *testing.T) {
			s := newStub(t, tc.answer)
			c := telegram.New(telegram.Config{APIURL: s.srv.URL, Now: func() time.Time { return now }})
			_, err := c.Publish(context.Background(), account(publicChannel), goldenCred, publisher.Message{Text: "x"})
			pe := asPlatformError(t, err)
			if pe.Class != tc.class || pe.Code != tc.code || pe.Ambiguous != tc.ambiguous || !pe.RetryAt.Equal(tc.retryAt) {
				t.Errorf("got %s %s ambiguous=%v retry=%s (%s)", pe.Class, pe.Code, pe.Ambiguous, pe.RetryAt, pe.Message)
			}
			if strings.Contains(err.Error(), botToken) {
				t.Error("the token is in the error")
			}
		})
	}
}

func TestGoldenDelete(t *testing.T) {
	s := newStub(t, "true.json", "true.json", "400:delete_not_found.json")
	c := telegram.New(telegram.Config{APIURL: s.srv.URL})
	ctx := context.Background()
	if err := c.Delete(ctx, account(publicChannel), goldenCred, "42"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, account(publicChannel), goldenCred, "43,44"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, account(publicChannel), goldenCred, "45"); err != nil {
		t.Errorf("an already deleted message: %v", err)
	}
	reqs := s.requests()
	assertPath(t, reqs[0], "deleteMessage")
	assertPath(t, reqs[1], "deleteMessages")
	if mustJSON(reqs[0].JSON) != `{"chat_id":"@agri_haryana","message_id":42}` || mustJSON(reqs[1].JSON) != `{"chat_id":"@agri_haryana","message_ids":[43,44]}` {
		t.Errorf("bodies %v %v", reqs[0].JSON, reqs[1].JSON)
	}
	if err := c.Delete(ctx, account(publicChannel), goldenCred, "abc"); asPlatformError(t, err).Class != publisher.ClassRejected {
		t.Errorf("a bad id: %v", err)
	}
}

func TestGoldenVerifyCredentials(t *testing.T) {
	s := newStub(t, "get_me.json", "get_chat.json", "member_admin.json")
	c := telegram.New(telegram.Config{APIURL: s.srv.URL})
	g, err := c.VerifyCredentials(context.Background(), map[string]string{"bot_token": " " + botToken + " ", "channel": "https://t.me/agri_haryana"})
	if err != nil {
		t.Fatal(err)
	}
	if g.ExternalID != "-1001234567890" || g.Handle != "@agri_haryana" || g.DisplayName != "Department of Agriculture, Haryana" ||
		g.ProfileURL != "https://t.me/agri_haryana" || g.Credentials.AccessToken != botToken || g.Credentials.Extra["bot_username"] != "agri_haryana_prasar_bot" {
		t.Errorf("granted %+v", g)
	}
	reqs := s.requests()
	assertPath(t, reqs[0], "getMe")
	assertPath(t, reqs[1], "getChat")
	assertPath(t, reqs[2], "getChatMember")
	if mustJSON(reqs[1].JSON) != `{"chat_id":"@agri_haryana"}` || mustJSON(reqs[2].JSON) != `{"chat_id":-1001234567890,"user_id":7012345678}` {
		t.Errorf("bodies %v %v", reqs[1].JSON, reqs[2].JSON)
	}

	s = newStub(t, "get_me.json", "get_chat.json", "member_no_post.json")
	c = telegram.New(telegram.Config{APIURL: s.srv.URL})
	_, err = c.VerifyCredentials(context.Background(), map[string]string{"bot_token": botToken, "channel": "@agri_haryana"})
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassRejected || !strings.Contains(pe.Message, "may not post") {
		t.Errorf("an admin without the post right: %s %q", pe.Class, pe.Message)
	}
}

func TestLookupIsUnsupported(t *testing.T) {
	c := telegram.New(telegram.Config{APIURL: "http://127.0.0.1:1"})
	_, err := c.Lookup(context.Background(), account(publicChannel), goldenCred, publisher.Message{Text: "x"}, time.Now())
	if !errors.Is(err, publisher.ErrLookupUnsupported) {
		t.Errorf("Lookup: %v", err)
	}
}
