package sandbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"image"
	_ "image/gif"  // image.DecodeConfig for uploaded photos
	_ "image/jpeg" // image.DecodeConfig for uploaded photos
	_ "image/png"  // image.DecodeConfig for uploaded photos
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Telegram Bot API (channels), after platform-apis.md §5.6. Connectors use
// APIURL = BaseURL+TelegramAPIPath (methods at /bot{token}/{method}) and
// WebURL = BaseURL+TelegramWebPath (posts at /{username}/{id} or
// /c/{internal id}/{id}, like t.me).
//
// A token minted with MintToken("telegram", channel, title, ttl) is a bot
// token whose bot administers that channel with every right. The channel is
// "@username" (a public channel) or a numeric "-100…" id (a private one);
// its numeric id, for a public channel, is derived from the username. The
// bot's rights can be taken away over HTTP to train and test the failures:
//
//	POST TelegramRightsPath {"channel":"@agri","status":"administrator","canPostMessages":false}
//
// (status "administrator", "left" or "kicked"; GET lists, DELETE restores
// every right). Rights are kept in memory only.
const (
	TelegramAPIPath    = "/sandbox/telegram/api"
	TelegramWebPath    = "/sandbox/telegram/www"
	TelegramRightsPath = "/sandbox/telegram/_rights"
)

// Limits of the fake Bot API (Bot API docs and Bot FAQ).
const (
	tgMaxText         = 4096 // UTF-16 code units, after entity parsing
	tgMaxCaption      = 1024
	tgMaxPhotoBytes   = 10 << 20
	tgMaxBody         = 64 << 20
	tgMinGroup        = 2
	tgMaxGroup        = 10
	tgPerChatLimit    = 20 // messages a minute in one chat (Bot FAQ; @BotSupport says it holds for channels)
	tgPerChatWindow   = time.Minute
	tgDefaultRetryAft = 15 * time.Minute
)

func init() {
	register(&platform{
		name:  "telegram",
		title: "Telegram",
		order: 50,
		mount: mountTelegram,
		pagePath: func(id string) string {
			return TelegramWebPath + "/" + url.PathEscape(strings.TrimPrefix(id, "@"))
		},
		postPath: tgPostPath,
	})
}

// tgRights is what a bot may do in its channel.
type tgRights struct {
	Channel           string `json:"channel"`
	Status            string `json:"status"` // administrator, left, kicked
	CanPostMessages   bool   `json:"canPostMessages"`
	CanDeleteMessages bool   `json:"canDeleteMessages"`
}

type telegram struct{ s *Server }

// tgState is what the fake keeps beyond posts (platformStateLocked; Reset
// forgets it): rights overriding the default (administrator with every
// right) by channel account id, and each channel's recent send times.
type tgState struct {
	rights map[string]tgRights
	sends  map[string][]time.Time
}

func (tg *telegram) stateLocked() *tgState {
	return platformStateLocked(tg.s, "telegram", func() *tgState {
		return &tgState{rights: map[string]tgRights{}, sends: map[string][]time.Time{}}
	})
}

func mountTelegram(s *Server, mux *http.ServeMux) {
	tg := &telegram{s: s}
	mux.Handle(TelegramAPIPath+"/", s.withFaults("telegram", tg.classify, tg.renderFault, http.HandlerFunc(tg.serveAPI)))
	mux.HandleFunc("GET "+TelegramRightsPath, tg.handleListRights)
	mux.HandleFunc("POST "+TelegramRightsPath, tg.handleSetRights)
	mux.HandleFunc("DELETE "+TelegramRightsPath, tg.handleClearRights)
	mux.HandleFunc("GET "+TelegramWebPath+"/{chat}", tg.handlePage)
	mux.HandleFunc("GET "+TelegramWebPath+"/{chat}/{msg}", tg.handlePost)
	mux.HandleFunc("GET "+TelegramWebPath+"/c/{internal}/{msg}", tg.handlePost)
}

// tgChannel is a sandbox channel, derived from its account id.
type tgChannel struct {
	account  string // the account id as minted
	id       int64
	username string // without "@"; "" for a private channel
}

// tgChannelOf derives a channel from an account id: "@name" (or a bare
// name) is public with a derived numeric id, "-100…" is private.
func tgChannelOf(account string) tgChannel {
	if n, err := strconv.ParseInt(account, 10, 64); err == nil {
		return tgChannel{account: account, id: n}
	}
	name := strings.TrimPrefix(account, "@")
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(name)))
	return tgChannel{account: account, id: -(1000000000000 + int64(h.Sum64()%1000000000)), username: name}
}

// internal is the id t.me uses in links to private channels (without -100).
func (c tgChannel) internal() string {
	return strings.TrimPrefix(strconv.FormatInt(c.id, 10), "-100")
}

// matches reports whether a chat_id names this channel.
func (c tgChannel) matches(chatID string) bool {
	if chatID == strconv.FormatInt(c.id, 10) {
		return true
	}
	return c.username != "" && strings.HasPrefix(chatID, "@") && strings.EqualFold(chatID[1:], c.username)
}

// tgBot is the bot a token stands for.
type tgBot struct {
	id       int64
	username string
	channel  tgChannel
	claims   tokenClaims
}

func tgBotOf(c tokenClaims) tgBot {
	h := fnv.New64a()
	h.Write([]byte(c.Account + "\x00" + c.Nonce))
	id := 5000000000 + int64(h.Sum64()%1000000000)
	return tgBot{id: id, username: fmt.Sprintf("prasar_sandbox_%06d_bot", id%1000000), channel: tgChannelOf(c.Account), claims: c}
}

// tgErr is a Bot API error answer.
type tgErr struct {
	code       int
	desc       string
	retryAfter int
}

func (tg *telegram) writeError(w http.ResponseWriter, e tgErr) {
	body := map[string]any{"ok": false, "error_code": e.code, "description": e.desc}
	if e.retryAfter > 0 {
		body["parameters"] = map[string]int{"retry_after": e.retryAfter}
	}
	writeJSON(w, e.code, body)
}

func tgOK(w http.ResponseWriter, result any) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

// Errors of the Bot API, worded as the real one words them.
var (
	tgUnauthorized   = tgErr{code: 401, desc: "Unauthorized"}
	tgNotFound       = tgErr{code: 404, desc: "Not Found"}
	tgChatNotFound   = tgErr{code: 400, desc: "Bad Request: chat not found"}
	tgNotMember      = tgErr{code: 403, desc: "Forbidden: bot is not a member of the channel chat"}
	tgKicked         = tgErr{code: 403, desc: "Forbidden: bot was kicked from the channel chat"}
	tgNeedRights     = tgErr{code: 400, desc: "Bad Request: need administrator rights in the channel chat"}
	tgEmptyText      = tgErr{code: 400, desc: "Bad Request: message text is empty"}
	tgTooLong        = tgErr{code: 400, desc: "Bad Request: message is too long"}
	tgCaptionTooLong = tgErr{code: 400, desc: "Bad Request: message caption is too long"}
)

func tgBadRequest(msg string) tgErr { return tgErr{code: 400, desc: "Bad Request: " + msg} }

// tgCall is a parsed Bot API request.
type tgCall struct {
	token  string
	method string // lower case
	params url.Values
	files  map[string]graphFile
}

// parseTelegram reads /bot{token}/{method} and the parameters from the
// query string and a form, multipart or JSON body.
func parseTelegram(r *http.Request) (*tgCall, *tgErr) {
	rest := strings.TrimPrefix(r.URL.Path, TelegramAPIPath+"/")
	botPart, method, ok := strings.Cut(rest, "/")
	tok, isBot := strings.CutPrefix(botPart, "bot")
	if !ok || !isBot || tok == "" || method == "" || strings.Contains(method, "/") {
		return nil, &tgNotFound
	}
	c := &tgCall{token: tok, method: strings.ToLower(method), params: r.URL.Query(), files: map[string]graphFile{}}
	if r.Body == nil || r.Body == http.NoBody {
		return c, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, tgMaxBody+1))
	if err != nil {
		e := tgBadRequest("failed to read the request body")
		return nil, &e
	}
	if len(body) > tgMaxBody {
		e := tgErr{code: 413, desc: "Request Entity Too Large"}
		return nil, &e
	}
	bad := tgBadRequest("can't parse request body")
	mt, mp, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		if len(bytes.TrimSpace(body)) == 0 {
			return c, nil
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil {
			return nil, &bad
		}
		for k, raw := range m {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				c.params.Set(k, s)
			} else {
				c.params.Set(k, string(raw))
			}
		}
	case "multipart/form-data":
		mr := multipart.NewReader(bytes.NewReader(body), mp["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, &bad
			}
			data, err := io.ReadAll(part)
			if err != nil {
				return nil, &bad
			}
			if part.FileName() != "" {
				c.files[part.FormName()] = graphFile{name: part.FileName(), contentType: part.Header.Get("Content-Type"), data: data}
			} else {
				c.params.Set(part.FormName(), string(data))
			}
		}
	default: // form-encoded, or no type
		if len(bytes.TrimSpace(body)) == 0 {
			return c, nil
		}
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, &bad
		}
		for k, vs := range v {
			c.params[k] = vs
		}
	}
	return c, nil
}

// classify tells the fault machinery whose call this is (the token's
// channel) and what kind.
func (tg *telegram) classify(r *http.Request) (string, Op) {
	// Reading the body lets the server notice a client that goes away
	// while a slow fault holds the answer.
	bufferBody(r, tgMaxBody)
	rest := strings.TrimPrefix(r.URL.Path, TelegramAPIPath+"/")
	botPart, method, _ := strings.Cut(rest, "/")
	account := ""
	if claims, err := tg.s.parseToken("telegram", strings.TrimPrefix(botPart, "bot")); err == nil {
		account = claims.Account
	}
	switch strings.ToLower(method) {
	case "sendmessage", "sendphoto", "sendmediagroup":
		return account, OpPublish
	case "deletemessage", "deletemessages":
		return account, OpDelete
	}
	return account, OpRead
}

// renderFault answers an injected fault the way the Bot API does. Telegram
// has no duplicate-content error; FaultDuplicate is answered with a 400 that
// says so.
func (tg *telegram) renderFault(w http.ResponseWriter, r *http.Request, f Fault, account string) {
	switch f.Kind {
	case FaultRateLimit:
		d := f.RetryAfter
		if d <= 0 {
			d = tgDefaultRetryAft
		}
		secs := int(math.Ceil(d.Seconds()))
		tg.writeError(w, tgErr{code: 429, desc: "Too Many Requests: retry after " + strconv.Itoa(secs), retryAfter: secs})
	case FaultServerError:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		tg.writeError(w, tgErr{code: status, desc: http.StatusText(status)})
	case FaultExpiredToken:
		tg.writeError(w, tgUnauthorized)
	case FaultDuplicate:
		tg.writeError(w, tgBadRequest("duplicate message (a sandbox fault: Telegram itself never refuses repeated text)"))
	default:
		tg.writeError(w, tgErr{code: 500, desc: "Internal Server Error"})
	}
}

// serveAPI routes a Bot API call.
func (tg *telegram) serveAPI(w http.ResponseWriter, r *http.Request) {
	c, e := parseTelegram(r)
	if e != nil {
		tg.writeError(w, *e)
		return
	}
	claims, err := tg.s.parseToken("telegram", c.token)
	if err != nil || claims.expired(tg.s.now()) {
		// A revoked or unknown token: the Bot API answers 401 either way.
		tg.writeError(w, tgUnauthorized)
		return
	}
	bot := tgBotOf(claims)
	switch c.method {
	case "getme":
		tgOK(w, tg.botUser(bot))
	case "getchat":
		tg.getChat(w, c, bot)
	case "getchatmember":
		tg.getChatMember(w, c, bot)
	case "getchatadministrators":
		tg.getChatAdministrators(w, c, bot)
	case "sendmessage":
		tg.sendMessage(w, c, bot)
	case "sendphoto":
		tg.sendPhoto(w, r, c, bot)
	case "sendmediagroup":
		tg.sendMediaGroup(w, r, c, bot)
	case "deletemessage", "deletemessages":
		tg.deleteMessages(w, c, bot)
	default:
		tg.writeError(w, tgNotFound)
	}
}

func (tg *telegram) botUser(b tgBot) map[string]any {
	return map[string]any{"id": b.id, "is_bot": true, "first_name": "Prasar sandbox bot", "username": b.username,
		"can_join_groups": false, "can_read_all_group_messages": false, "supports_inline_queries": false}
}

// rightsLocked returns the bot's rights in its channel.
func (tg *telegram) rightsLocked(ch tgChannel) tgRights {
	if r, ok := tg.stateLocked().rights[ch.account]; ok {
		return r
	}
	return tgRights{Channel: ch.account, Status: "administrator", CanPostMessages: true, CanDeleteMessages: true}
}

func (tg *telegram) rightsOf(ch tgChannel) tgRights {
	tg.s.mu.Lock()
	defer tg.s.mu.Unlock()
	return tg.rightsLocked(ch)
}

// chatFor resolves chat_id for the bot: its own channel, or the error the
// Bot API gives for a chat the bot cannot see. A public channel can be
// read by anyone; a private one only by its members.
func (tg *telegram) chatFor(c *tgCall, bot tgBot, forWriting bool) (tgChannel, *tgErr) {
	chatID := strings.TrimSpace(c.params.Get("chat_id"))
	if chatID == "" {
		e := tgBadRequest("chat_id is empty")
		return tgChannel{}, &e
	}
	if bot.channel.matches(chatID) {
		r := tg.rightsOf(bot.channel)
		if r.Status != "administrator" && (forWriting || bot.channel.username == "") {
			if r.Status == "kicked" && forWriting {
				return tgChannel{}, &tgKicked
			}
			if forWriting {
				return tgChannel{}, &tgNotMember
			}
			return tgChannel{}, &tgChatNotFound
		}
		return bot.channel, nil
	}
	// Another sandbox channel: public ones exist for everybody.
	for _, a := range tg.s.Accounts("telegram") {
		ch := tgChannelOf(a.ID)
		if ch.matches(chatID) {
			if forWriting {
				return tgChannel{}, &tgNotMember
			}
			if ch.username != "" {
				return ch, nil
			}
		}
	}
	return tgChannel{}, &tgChatNotFound
}

func (tg *telegram) chatJSON(ch tgChannel) map[string]any {
	tg.s.mu.Lock()
	defer tg.s.mu.Unlock()
	return tg.chatJSONLocked(ch)
}

func (tg *telegram) chatJSONLocked(ch tgChannel) map[string]any {
	title := ch.username
	if a := tg.s.accounts[accountKey{"telegram", ch.account}]; a != nil && a.Name != "" {
		title = a.Name
	}
	if title == "" {
		title = "Channel " + ch.internal()
	}
	m := map[string]any{"id": ch.id, "title": title, "type": "channel"}
	if ch.username != "" {
		m["username"] = ch.username
	}
	return m
}

// getChat serves getChat.
func (tg *telegram) getChat(w http.ResponseWriter, c *tgCall, bot tgBot) {
	ch, e := tg.chatFor(c, bot, false)
	if e != nil {
		tg.writeError(w, *e)
		return
	}
	m := tg.chatJSON(ch)
	m["accent_color_id"] = 0
	m["max_reaction_count"] = 11
	if ch.username == "" {
		m["invite_link"] = "https://t.me/+sandbox" + ch.internal()
	}
	tgOK(w, m)
}

func (tg *telegram) memberJSON(bot tgBot, r tgRights) map[string]any {
	m := map[string]any{"user": tg.botUser(bot), "status": r.Status}
	if r.Status == "administrator" {
		m["can_be_edited"] = false
		m["is_anonymous"] = false
		m["can_manage_chat"] = true
		m["can_change_info"] = false
		m["can_post_messages"] = r.CanPostMessages
		m["can_edit_messages"] = r.CanPostMessages
		m["can_delete_messages"] = r.CanDeleteMessages
		m["can_invite_users"] = false
		m["can_restrict_members"] = false
		m["can_promote_members"] = false
		m["can_manage_video_chats"] = false
		m["can_post_stories"] = false
		m["can_edit_stories"] = false
		m["can_delete_stories"] = false
	}
	if r.Status == "kicked" {
		m["until_date"] = 0
	}
	return m
}

// getChatMember serves getChatMember; the sandbox knows only the bot.
func (tg *telegram) getChatMember(w http.ResponseWriter, c *tgCall, bot tgBot) {
	ch, e := tg.chatFor(c, bot, false)
	if e != nil {
		tg.writeError(w, *e)
		return
	}
	uid, err := strconv.ParseInt(c.params.Get("user_id"), 10, 64)
	if err != nil {
		tg.writeError(w, tgBadRequest("invalid user_id specified"))
		return
	}
	if uid != bot.id {
		tg.writeError(w, tgBadRequest("user not found"))
		return
	}
	if ch.id != bot.channel.id {
		tgOK(w, tg.memberJSON(bot, tgRights{Status: "left"}))
		return
	}
	tgOK(w, tg.memberJSON(bot, tg.rightsOf(ch)))
}

// getChatAdministrators serves getChatAdministrators: the bot, when it is
// one.
func (tg *telegram) getChatAdministrators(w http.ResponseWriter, c *tgCall, bot tgBot) {
	ch, e := tg.chatFor(c, bot, false)
	if e != nil {
		tg.writeError(w, *e)
		return
	}
	admins := []map[string]any{}
	if r := tg.rightsOf(ch); ch.id == bot.channel.id && r.Status == "administrator" {
		admins = append(admins, tg.memberJSON(bot, r))
	}
	tgOK(w, admins)
}

// utf16Len counts text the way Telegram's limits do.
func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// checkSendLocked answers the errors a send can get before anything is
// created: rights, and the per-chat rate limit. It records the send.
func (tg *telegram) checkSendLocked(ch tgChannel, n int) *tgErr {
	if r := tg.rightsLocked(ch); !r.CanPostMessages {
		return &tgNeedRights
	}
	now := tg.s.now()
	st := tg.stateLocked()
	recent := st.sends[ch.account][:0]
	for _, t := range st.sends[ch.account] {
		if now.Sub(t) < tgPerChatWindow {
			recent = append(recent, t)
		}
	}
	if len(recent)+n > tgPerChatLimit {
		wait := int(math.Ceil(recent[0].Add(tgPerChatWindow).Sub(now).Seconds()))
		st.sends[ch.account] = recent
		return &tgErr{code: 429, desc: "Too Many Requests: retry after " + strconv.Itoa(max(wait, 1)), retryAfter: max(wait, 1)}
	}
	for range n {
		recent = append(recent, now)
	}
	st.sends[ch.account] = recent
	return nil
}

// nextMessageIDLocked is the channel's next message id: one more than any
// used, counting every message of an album.
func (tg *telegram) nextMessageIDLocked(ch tgChannel) int64 {
	var next int64 = 1
	prefix := strconv.FormatInt(ch.id, 10) + "_"
	for _, p := range tg.s.posts {
		if p.Platform != "telegram" || !strings.HasPrefix(p.ID, prefix) {
			continue
		}
		first, _ := strconv.ParseInt(strings.TrimPrefix(p.ID, prefix), 10, 64)
		next = max(next, first+int64(max(len(p.Images), 1)))
	}
	return next
}

// messageJSONLocked renders message i of a post as the Bot API does.
func (tg *telegram) messageJSONLocked(ch tgChannel, p *Post, first int64, i int, caption bool) map[string]any {
	chat := tg.chatJSONLocked(ch)
	m := map[string]any{"message_id": first + int64(i), "sender_chat": chat, "chat": chat, "date": p.CreatedAt.Unix()}
	if len(p.Images) == 0 {
		m["text"] = p.Text
		if p.Link != "" {
			m["link_preview_options"] = map[string]any{"url": p.Link}
		}
		return m
	}
	im := p.Images[i]
	width, height := 1, 1
	if b := tg.s.media[im.ID]; b != nil {
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(b.Data)); err == nil {
			width, height = cfg.Width, cfg.Height
		}
	}
	m["photo"] = []map[string]any{{"file_id": "AgACAgUAAxkBAAI" + im.ID, "file_unique_id": "AQAD" + im.ID,
		"width": width, "height": height, "file_size": im.Size}}
	if len(p.Images) > 1 {
		m["media_group_id"] = strconv.FormatInt(first, 10) + "0"
	}
	if caption && p.Text != "" {
		m["caption"] = p.Text
	}
	return m
}

// sendMessage serves sendMessage.
func (tg *telegram) sendMessage(w http.ResponseWriter, c *tgCall, bot tgBot) {
	ch, e := tg.chatFor(c, bot, true)
	if e != nil {
		tg.writeError(w, *e)
		return
	}
	text := c.params.Get("text")
	if strings.TrimSpace(text) == "" {
		tg.writeError(w, tgEmptyText)
		return
	}
	if utf16Len(text) > tgMaxText {
		tg.writeError(w, tgTooLong)
		return
	}
	if pm := c.params.Get("parse_mode"); pm != "" && pm != "HTML" && pm != "MarkdownV2" && pm != "Markdown" {
		tg.writeError(w, tgBadRequest("unsupported parse_mode"))
		return
	}
	link := ""
	if v := c.params.Get("link_preview_options"); v != "" {
		var lpo struct {
			IsDisabled bool   `json:"is_disabled"`
			URL        string `json:"url"`
		}
		if json.Unmarshal([]byte(v), &lpo) != nil {
			tg.writeError(w, tgBadRequest("can't parse link preview options JSON object"))
			return
		}
		if !lpo.IsDisabled {
			link = lpo.URL
		}
	}
	if link == "" {
		link = tgFirstURL(text)
	}
	s := tg.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := tg.checkSendLocked(ch, 1); e != nil {
		tg.writeError(w, *e)
		return
	}
	first := tg.nextMessageIDLocked(ch)
	p := &Post{Platform: "telegram", AccountID: ch.account, ID: strconv.FormatInt(ch.id, 10) + "_" + strconv.FormatInt(first, 10),
		Text: text, Link: link, CreatedAt: s.now().UTC()}
	s.addPostLocked(p)
	s.log.Info("sandbox: telegram message sent", "channel", ch.account, "message_id", first)
	tgOK(w, tg.messageJSONLocked(ch, p, first, 0, true))
}

// tgFirstURL is the first http(s) URL in text: what Telegram previews.
func tgFirstURL(text string) string {
	for _, f := range strings.Fields(text) {
		if strings.HasPrefix(f, "https://") || strings.HasPrefix(f, "http://") {
			return strings.TrimRight(f, ".,;:!?)")
		}
	}
	return ""
}

// tgPhoto reads one photo: an uploaded file ("attach://name" or the field
// itself), or an HTTP URL.
func (tg *telegram) tgPhoto(c *tgCall, ref, field string) (Image, []byte, *tgErr) {
	var f graphFile
	var ok bool
	switch {
	case strings.HasPrefix(ref, "attach://"):
		f, ok = c.files[strings.TrimPrefix(ref, "attach://")]
	case ref == "":
		f, ok = c.files[field]
	case strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://"):
		return Image{URL: ref}, nil, nil
	default:
		e := tgBadRequest("wrong file identifier/HTTP URL specified")
		return Image{}, nil, &e
	}
	if !ok {
		e := tgBadRequest("there is no photo in the request")
		return Image{}, nil, &e
	}
	if len(f.data) > tgMaxPhotoBytes {
		e := tgErr{code: 413, desc: "Request Entity Too Large"}
		return Image{}, nil, &e
	}
	ct := http.DetectContentType(f.data)
	cfg, _, err := image.DecodeConfig(bytes.NewReader(f.data))
	if err != nil || !slices.Contains([]string{"image/jpeg", "image/png", "image/gif", "image/webp"}, ct) {
		e := tgBadRequest("IMAGE_PROCESS_FAILED")
		return Image{}, nil, &e
	}
	if cfg.Width+cfg.Height > 10000 || float64(max(cfg.Width, cfg.Height))/float64(max(min(cfg.Width, cfg.Height), 1)) > 20 {
		e := tgBadRequest("PHOTO_INVALID_DIMENSIONS")
		return Image{}, nil, &e
	}
	sum := sha256.Sum256(f.data)
	return Image{ContentType: ct, Size: int64(len(f.data)), SHA256: hex.EncodeToString(sum[:])}, f.data, nil
}

// sendPhoto serves sendPhoto.
func (tg *telegram) sendPhoto(w http.ResponseWriter, r *http.Request, c *tgCall, bot tgBot) {
	ch, e := tg.chatFor(c, bot, true)
	if e != nil {
		tg.writeError(w, *e)
		return
	}
	caption := c.params.Get("caption")
	if utf16Len(caption) > tgMaxCaption {
		tg.writeError(w, tgCaptionTooLong)
		return
	}
	img, data, e := tg.tgPhoto(c, c.params.Get("photo"), "photo")
	if e != nil {
		tg.writeError(w, *e)
		return
	}
	tg.createAlbum(w, ch, caption, []Image{img}, [][]byte{data}, false)
}

// sendMediaGroup serves sendMediaGroup with photos.
func (tg *telegram) sendMediaGroup(w http.ResponseWriter, r *http.Request, c *tgCall, bot tgBot) {
	ch, e := tg.chatFor(c, bot, true)
	if e != nil {
		tg.writeError(w, *e)
		return
	}
	var media []struct {
		Type    string `json:"type"`
		Media   string `json:"media"`
		Caption string `json:"caption"`
	}
	if json.Unmarshal([]byte(c.params.Get("media")), &media) != nil {
		tg.writeError(w, tgBadRequest("can't parse media JSON object"))
		return
	}
	if len(media) < tgMinGroup || len(media) > tgMaxGroup {
		tg.writeError(w, tgBadRequest("wrong number of messages in the album: must be 2-10"))
		return
	}
	caption := ""
	var imgs []Image
	var datas [][]byte
	for i, m := range media {
		if m.Type != "photo" {
			tg.writeError(w, tgBadRequest("the sandbox accepts photo albums only"))
			return
		}
		if utf16Len(m.Caption) > tgMaxCaption {
			tg.writeError(w, tgCaptionTooLong)
			return
		}
		if i == 0 {
			caption = m.Caption
		} else if m.Caption != "" {
			caption += "\n" + m.Caption
		}
		img, data, e := tg.tgPhoto(c, m.Media, "")
		if e != nil {
			tg.writeError(w, *e)
			return
		}
		imgs, datas = append(imgs, img), append(datas, data)
	}
	tg.createAlbum(w, ch, caption, imgs, datas, true)
}

// createAlbum records a photo post (one photo, or an album) and answers
// with its message or messages.
func (tg *telegram) createAlbum(w http.ResponseWriter, ch tgChannel, caption string, imgs []Image, datas [][]byte, group bool) {
	s := tg.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := tg.checkSendLocked(ch, len(imgs)); e != nil {
		tg.writeError(w, *e)
		return
	}
	first := tg.nextMessageIDLocked(ch)
	for i := range imgs {
		imgs[i].ID = s.newIDLocked()
		if datas[i] != nil {
			s.putMediaLocked(imgs[i].ID, imgs[i].ContentType, datas[i])
		}
	}
	p := &Post{Platform: "telegram", AccountID: ch.account, ID: strconv.FormatInt(ch.id, 10) + "_" + strconv.FormatInt(first, 10),
		Text: caption, Link: tgFirstURL(caption), Images: imgs, CreatedAt: s.now().UTC()}
	s.addPostLocked(p)
	s.log.Info("sandbox: telegram photo post sent", "channel", ch.account, "message_id", first, "photos", len(imgs))
	if !group {
		tgOK(w, tg.messageJSONLocked(ch, p, first, 0, true))
		return
	}
	msgs := []map[string]any{}
	for i := range imgs {
		msgs = append(msgs, tg.messageJSONLocked(ch, p, first, i, i == 0))
	}
	tgOK(w, msgs)
}

// postByMessageLocked finds the post a message id belongs to.
func (tg *telegram) postByMessageLocked(ch tgChannel, msg int64) *Post {
	prefix := strconv.FormatInt(ch.id, 10) + "_"
	for _, p := range tg.s.posts {
		if p.Platform != "telegram" || !strings.HasPrefix(p.ID, prefix) {
			continue
		}
		first, _ := strconv.ParseInt(strings.TrimPrefix(p.ID, prefix), 10, 64)
		if msg >= first && msg < first+int64(max(len(p.Images), 1)) {
			return p
		}
	}
	return nil
}

// deleteMessages serves deleteMessage (message_id) and deleteMessages
// (message_ids, a JSON array; missing ones are skipped). Deleting any
// message of an album deletes the sandbox post.
func (tg *telegram) deleteMessages(w http.ResponseWriter, c *tgCall, bot tgBot) {
	ch, e := tg.chatFor(c, bot, true)
	if e != nil {
		tg.writeError(w, *e)
		return
	}
	var ids []int64
	single := c.method == "deletemessage"
	if single {
		id, err := strconv.ParseInt(c.params.Get("message_id"), 10, 64)
		if err != nil {
			tg.writeError(w, tgBadRequest("message identifier is not specified"))
			return
		}
		ids = []int64{id}
	} else if json.Unmarshal([]byte(c.params.Get("message_ids")), &ids) != nil || len(ids) == 0 || len(ids) > 100 {
		tg.writeError(w, tgBadRequest("message_ids must be a non-empty JSON array of at most 100 message identifiers"))
		return
	}
	s := tg.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !tg.rightsLocked(ch).CanDeleteMessages {
		tg.writeError(w, tgBadRequest("message can't be deleted"))
		return
	}
	now := s.now().UTC()
	found := false
	for _, id := range ids {
		if p := tg.postByMessageLocked(ch, id); p != nil && p.DeletedAt == nil {
			p.DeletedAt = &now
			found = true
		}
	}
	if single && !found {
		tg.writeError(w, tgBadRequest("message to delete not found"))
		return
	}
	tgOK(w, true)
}

// handleListRights serves GET /sandbox/telegram/_rights.
func (tg *telegram) handleListRights(w http.ResponseWriter, r *http.Request) {
	tg.s.mu.Lock()
	out := []tgRights{}
	for _, v := range tg.stateLocked().rights {
		out = append(out, v)
	}
	tg.s.mu.Unlock()
	slices.SortFunc(out, func(a, b tgRights) int { return strings.Compare(a.Channel, b.Channel) })
	writeJSON(w, http.StatusOK, map[string]any{"rights": out})
}

// handleSetRights serves POST /sandbox/telegram/_rights with a JSON body
// {"channel","status","canPostMessages","canDeleteMessages"}.
func (tg *telegram) handleSetRights(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "send the rights as application/json"})
		return
	}
	var v tgRights
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the body must be rights as JSON: " + err.Error()})
		return
	}
	if v.Channel == "" || !slices.Contains([]string{"administrator", "left", "kicked"}, v.Status) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `channel is required and status must be "administrator", "left" or "kicked"`})
		return
	}
	if v.Status != "administrator" {
		v.CanPostMessages, v.CanDeleteMessages = false, false
	}
	tg.s.mu.Lock()
	tg.stateLocked().rights[v.Channel] = v
	tg.s.mu.Unlock()
	tg.handleListRights(w, r)
}

// handleClearRights serves DELETE /sandbox/telegram/_rights[?channel=…].
func (tg *telegram) handleClearRights(w http.ResponseWriter, r *http.Request) {
	tg.s.mu.Lock()
	if ch := r.URL.Query().Get("channel"); ch != "" {
		delete(tg.stateLocked().rights, ch)
	} else {
		clear(tg.stateLocked().rights)
	}
	tg.s.mu.Unlock()
	tg.handleListRights(w, r)
}

// accountFor resolves a channel in a page path: the account id as minted,
// a username, or a numeric or internal id.
func (tg *telegram) accountFor(ref string) (tgChannel, bool) {
	for _, a := range tg.s.Accounts("telegram") {
		ch := tgChannelOf(a.ID)
		if a.ID == ref || ch.matches(ref) || ch.matches("@"+ref) || ch.internal() == ref {
			return ch, true
		}
	}
	return tgChannel{}, false
}

// handlePage serves GET /sandbox/telegram/www/{chat}: the channel's feed.
func (tg *telegram) handlePage(w http.ResponseWriter, r *http.Request) {
	ch, ok := tg.accountFor(r.PathValue("chat"))
	if !ok {
		tg.s.renderFeed(w, r, "telegram", r.PathValue("chat"), "")
		return
	}
	tg.s.renderFeed(w, r, "telegram", ch.account, "")
}

// handlePost serves GET /sandbox/telegram/www/{chat}/{msg} and
// /sandbox/telegram/www/c/{internal}/{msg}: one post.
func (tg *telegram) handlePost(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("chat")
	if ref == "" {
		ref = r.PathValue("internal")
	}
	ch, ok := tg.accountFor(ref)
	msg, err := strconv.ParseInt(r.PathValue("msg"), 10, 64)
	if !ok || err != nil {
		renderPage(w, http.StatusNotFound, "notfound", "Not found", map[string]string{"Message": "There is no such post in the sandbox."})
		return
	}
	tg.s.mu.Lock()
	p := tg.postByMessageLocked(ch, msg)
	id := ""
	if p != nil {
		id = p.ID
	}
	tg.s.mu.Unlock()
	if id == "" {
		id = "-" // no such post: renderFeed answers 404
	}
	tg.s.renderFeed(w, r, "telegram", ch.account, id)
}

// tgPostPath is the path of a post's human page, as t.me links it.
func tgPostPath(p *Post) string {
	ch := tgChannelOf(p.AccountID)
	_, msg, _ := strings.Cut(p.ID, "_")
	if ch.username != "" {
		return TelegramWebPath + "/" + url.PathEscape(ch.username) + "/" + msg
	}
	return TelegramWebPath + "/c/" + ch.internal() + "/" + msg
}
