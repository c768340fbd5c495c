// Package telegram publishes to Telegram channels through the Bot API
// (platform-apis.md §5.6): text with sendMessage, one photo with sendPhoto,
// two to ten photos as an album with sendMediaGroup.
//
// # Accounts
//
// A channel connects with a form (publisher.CredentialForm), not OAuth: the
// bot token from @BotFather and the channel (its public @username or, for a
// private channel, its numeric -100… id). VerifyCredentials checks the token
// (getMe), that the bot can see the channel (getChat) and that it is an
// administrator with the right to post (getChatMember). The token is
// publisher.Credentials.AccessToken; the channel's numeric id is
// publisher.Account.ExternalID, so a renamed channel keeps working.
//
// The Bot API takes the token in the URL path (/bot{token}/{method}); it is
// unavoidable there, so this package keeps it out of everything else: it is
// never logged, and transport errors, whose text would carry the URL, have
// it replaced by "<bot-token>".
//
// # Publishing
//
// Text goes out as plain text (no parse_mode, so nothing in it is markup)
// with the message's link previewed (link_preview_options.url) unless
// Config.DisableLinkPreview. A post with images is one call: a caption holds
// at most 1024 characters, against 4096 for a message, and this connector
// does not split a long text into a photo and a reply, because two calls
// would make one post that can half-succeed, which the exactly-once
// protocol cannot reconcile (see Lookup). Measure reports the caption limit
// for a message with images, so the composer shows the problem before
// approval, and Publish refuses such a message without calling Telegram.
//
// Telegram counts in UTF-16 code units: Measure does too, so an emoji
// outside the Basic Multilingual Plane counts two; Devanagari counts one per
// code point.
//
// Published.ExternalID is the message id, or the album's ids joined by
// commas ("42,43,44"); Published.URL is https://t.me/{username}/{id} for a
// public channel and https://t.me/c/{internal id}/{id} (members only) for a
// private one.
//
// # Errors
//
// 401 (the token was revoked) and the errors that mean the bot lost its
// place in the channel — 403 "bot is not a member"/"bot was kicked", 400
// "chat not found", 400 "need administrator rights" — are auth errors: every
// later post would fail the same way until the nodal officer restores the
// bot and reconnects the channel. Other 400s are rejected (the content); 429
// is rate-limited until parameters.retry_after; 5xx is retryable and
// ambiguous.
//
// # Lookup and metrics
//
// The Bot API cannot read a channel's history, so Lookup returns
// publisher.ErrLookupUnsupported: after an ambiguous failure the domain
// marks the delivery "unconfirmed — check the account" rather than risk a
// second post. The Bot API has no view counts either (they need the MTProto
// client API), so this connector does not implement
// publisher.MetricsFetcher. It implements publisher.Deleter
// (deleteMessage/deleteMessages).
package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

// Config configures the connector. Zero fields take the defaults given on
// each.
type Config struct {
	// APIURL is the Bot API host (default https://api.telegram.org;
	// sandbox: BaseURL+sandbox.TelegramAPIPath).
	APIURL string
	// WebURL is where posts are seen, for Published.URL (default
	// https://t.me; sandbox: BaseURL+sandbox.TelegramWebPath).
	WebURL string
	// MaxChars is the longest message text (default 4096 UTF-16 units).
	MaxChars int
	// MaxCaption is the longest photo caption (default 1024).
	MaxCaption int
	// MaxImages is the most photos in one post (default 10, an album).
	MaxImages int
	// MaxImageBytes is the largest photo upload (default 10 MB).
	MaxImageBytes int64
	// ImageTypes are the accepted MIME types (default JPEG, PNG).
	ImageTypes []string
	// DisableLinkPreview turns off the preview of the message's link.
	DisableLinkPreview bool
	// DisableNotification sends posts silently.
	DisableNotification bool
	// RateLimitBackoff is how long a 429 lasts when it carries no
	// retry_after (default 30 seconds).
	RateLimitBackoff time.Duration
	// MaxResponseBytes caps an answer's size (default 4 MB).
	MaxResponseBytes int64
	// HTTPClient makes the calls (nil: connectors.NewHTTPClient(HTTP)).
	HTTPClient *http.Client
	// HTTP sets the timeouts of the default client.
	HTTP connectors.HTTPConfig
	// Now is the clock for rate-limit reset times (nil: time.Now).
	Now func() time.Time
	// Logger receives one debug line per call, never the token (nil:
	// discarded).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.APIURL == "" {
		c.APIURL = "https://api.telegram.org"
	}
	if c.WebURL == "" {
		c.WebURL = "https://t.me"
	}
	c.APIURL, c.WebURL = strings.TrimRight(c.APIURL, "/"), strings.TrimRight(c.WebURL, "/")
	if c.MaxChars <= 0 {
		c.MaxChars = 4096
	}
	if c.MaxCaption <= 0 {
		c.MaxCaption = 1024
	}
	if c.MaxImages <= 0 {
		c.MaxImages = 10
	}
	if c.MaxImageBytes <= 0 {
		c.MaxImageBytes = 10 << 20
	}
	if len(c.ImageTypes) == 0 {
		c.ImageTypes = []string{"image/jpeg", "image/png"}
	}
	if c.RateLimitBackoff <= 0 {
		c.RateLimitBackoff = 30 * time.Second
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = connectors.DefaultMaxBody
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.HTTPClient == nil {
		c.HTTPClient = connectors.NewHTTPClient(c.HTTP)
	}
	return c
}

// Connector publishes to Telegram channels.
type Connector struct {
	cfg Config
}

var (
	_ publisher.Connector      = (*Connector)(nil)
	_ publisher.CredentialForm = (*Connector)(nil)
	_ publisher.Deleter        = (*Connector)(nil)
)

// New returns a connector configured by cfg.
func New(cfg Config) *Connector { return &Connector{cfg: cfg.withDefaults()} }

// Platform is publisher.Telegram.
func (c *Connector) Platform() publisher.Platform { return publisher.Telegram }

// Rules are Telegram's composing limits as configured. MaxChars is the
// message limit; a post with images is held to the caption limit, which
// Measure reports for it.
func (c *Connector) Rules() publisher.PlatformRules {
	return publisher.PlatformRules{
		Platform:      publisher.Telegram,
		MaxChars:      c.cfg.MaxChars,
		CountUnit:     "characters",
		MaxImages:     c.cfg.MaxImages,
		MaxImageBytes: c.cfg.MaxImageBytes,
		ImageTypes:    slices.Clone(c.cfg.ImageTypes),
		Enabled:       true,
	}
}

// Measure counts the text Publish sends in UTF-16 code units, against the
// message limit, or the caption limit when the message has images.
func (c *Connector) Measure(msg publisher.Message) publisher.Measure {
	return publisher.Measure{Count: utf16Len(text(msg)), Limit: c.limit(msg)}
}

func (c *Connector) limit(msg publisher.Message) int {
	if len(msg.Media) > 0 {
		return c.cfg.MaxCaption
	}
	return c.cfg.MaxChars
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// text is what is posted for msg: its text, with the link on its own
// paragraph unless the text already contains it.
func text(msg publisher.Message) string {
	return connectors.WithLink(msg.Text, msg.Link)
}

func rejected(format string, args ...any) *publisher.PlatformError {
	return &publisher.PlatformError{Class: publisher.ClassRejected, Message: fmt.Sprintf(format, args...)}
}

// validToken reports whether s can be a bot token in a URL path.
func validToken(s string) bool {
	return s != "" && !strings.ContainsAny(s, "/?#% \t\r\n")
}

// target checks that the account and credentials can be used at all.
func target(acct *publisher.Account, cred publisher.Credentials) (chat, token string, err error) {
	if acct == nil || !validChat(acct.ExternalID) {
		return "", "", &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no valid Telegram channel; reconnect it."}
	}
	if !validToken(cred.AccessToken) {
		return "", "", &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no usable Telegram bot token; reconnect it."}
	}
	return acct.ExternalID, cred.AccessToken, nil
}

var (
	usernameRE = regexp.MustCompile(`^@[A-Za-z][A-Za-z0-9_]{3,31}$`)
	chatIDRE   = regexp.MustCompile(`^-100[0-9]{5,16}$`)
)

func validChat(s string) bool { return usernameRE.MatchString(s) || chatIDRE.MatchString(s) }

// message is a Bot API Message, the fields this package reads.
type message struct {
	MessageID int64 `json:"message_id"`
	Chat      chat  `json:"chat"`
}

type chat struct {
	ID       int64  `json:"id"`
	Type     string `json:"type"`
	Title    string `json:"title"`
	Username string `json:"username"`
}

// Publish sends the post: sendMessage for text, sendPhoto for one image,
// sendMediaGroup for an album. Every failure is a *publisher.PlatformError.
func (c *Connector) Publish(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message) (*publisher.Published, error) {
	chatID, token, err := target(acct, cred)
	if err != nil {
		return nil, err
	}
	body := text(msg)
	if strings.TrimSpace(body) == "" && len(msg.Media) == 0 {
		return nil, rejected("The post is empty.")
	}
	if n, limit := utf16Len(body), c.limit(msg); n > limit {
		if len(msg.Media) > 0 {
			return nil, rejected("The text is %d characters long; a Telegram photo caption holds %d. Shorten it, or post the text without images.", n, limit)
		}
		return nil, rejected("The text is %d characters long; Telegram allows %d.", n, limit)
	}
	if len(msg.Media) > c.cfg.MaxImages {
		return nil, rejected("The post has %d images; Telegram allows %d in one album.", len(msg.Media), c.cfg.MaxImages)
	}
	for i, m := range msg.Media {
		if !slices.Contains(c.cfg.ImageTypes, m.ContentType) {
			return nil, rejected("Image %d is %s; Telegram accepts %s.", i+1, m.ContentType, strings.Join(c.cfg.ImageTypes, ", "))
		}
		if m.Size > c.cfg.MaxImageBytes {
			return nil, rejected("Image %d is larger than %d MB.", i+1, c.cfg.MaxImageBytes>>20)
		}
	}
	var msgs []message
	switch len(msg.Media) {
	case 0:
		params := map[string]any{"chat_id": chatID, "text": body}
		if c.cfg.DisableLinkPreview {
			params["link_preview_options"] = map[string]any{"is_disabled": true}
		} else if msg.Link != "" {
			params["link_preview_options"] = map[string]any{"url": msg.Link}
		}
		if c.cfg.DisableNotification {
			params["disable_notification"] = true
		}
		b, _ := json.Marshal(params)
		var m message
		err = c.call(ctx, token, "sendMessage", "application/json", bytes.NewReader(b), &m)
		msgs = []message{m}
	default:
		msgs, err = c.sendPhotos(ctx, chatID, token, body, msg.Media)
	}
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 || msgs[0].MessageID == 0 {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: true, Message: "Telegram answered without a message id."}
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = strconv.FormatInt(m.MessageID, 10)
	}
	return &publisher.Published{ExternalID: strings.Join(ids, ","), URL: c.postURL(msgs[0].Chat, chatID, ids[0])}, nil
}

// postURL is the t.me link of a message: by username for a public
// channel, /c/{internal id}/ for a private one.
func (c *Connector) postURL(ch chat, chatID, id string) string {
	switch {
	case ch.Username != "":
		return c.cfg.WebURL + "/" + url.PathEscape(ch.Username) + "/" + id
	case strings.HasPrefix(chatID, "@"):
		return c.cfg.WebURL + "/" + url.PathEscape(chatID[1:]) + "/" + id
	case ch.ID != 0:
		return c.cfg.WebURL + "/c/" + strings.TrimPrefix(strconv.FormatInt(ch.ID, 10), "-100") + "/" + id
	}
	return c.cfg.WebURL + "/c/" + strings.TrimPrefix(chatID, "-100") + "/" + id
}

// sendPhotos uploads the images as multipart: sendPhoto for one,
// sendMediaGroup with attach:// references for an album (the caption on
// the first photo).
func (c *Connector) sendPhotos(ctx context.Context, chatID, token, caption string, media []publisher.MediaRef) ([]message, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("chat_id", chatID)
	if c.cfg.DisableNotification {
		mw.WriteField("disable_notification", "true")
	}
	type inputMedia struct {
		Type    string `json:"type"`
		Media   string `json:"media"`
		Caption string `json:"caption,omitempty"`
	}
	var group []inputMedia
	for i, m := range media {
		if m.Open == nil {
			return nil, rejected("Image %s cannot be read.", m.ID)
		}
		data, err := m.Open(ctx)
		if err != nil {
			return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Prasar could not read image " + m.ID + ".", Err: err}
		}
		if int64(len(data)) > c.cfg.MaxImageBytes {
			return nil, rejected("Image %s is larger than %d MB.", m.ID, c.cfg.MaxImageBytes>>20)
		}
		field := "photo"
		if len(media) > 1 {
			field = "photo" + strconv.Itoa(i)
			im := inputMedia{Type: "photo", Media: "attach://" + field}
			if i == 0 {
				im.Caption = caption
			}
			group = append(group, im)
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, field, fileName(m, i)))
		h.Set("Content-Type", m.ContentType)
		part, _ := mw.CreatePart(h)
		part.Write(data)
	}
	if len(media) == 1 {
		if caption != "" {
			mw.WriteField("caption", caption)
		}
		mw.Close()
		var m message
		err := c.call(ctx, token, "sendPhoto", mw.FormDataContentType(), &body, &m)
		return []message{m}, err
	}
	g, _ := json.Marshal(group)
	mw.WriteField("media", string(g))
	mw.Close()
	var ms []message
	err := c.call(ctx, token, "sendMediaGroup", mw.FormDataContentType(), &body, &ms)
	return ms, err
}

func fileName(m publisher.MediaRef, i int) string {
	ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}[m.ContentType]
	return "image" + strconv.Itoa(i+1) + ext
}

// apiError is the Bot API's error answer.
type apiError struct {
	OK          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

func (e *apiError) Error() string {
	return fmt.Sprintf("telegram error %d: %s", e.ErrorCode, e.Description)
}

// accountLevel are the descriptions (lower case) that mean the bot lost
// its place in the channel: reconnecting is the fix, not editing the post.
var accountLevel = []string{"chat not found", "not a member", "was kicked", "need administrator rights",
	"not enough rights", "chat_write_forbidden", "chat_admin_required", "have no rights to send"}

// classify turns a Bot API error answer into a *publisher.PlatformError.
func (c *Connector) classify(resp *connectors.Response) *publisher.PlatformError {
	var e apiError
	if json.Unmarshal(resp.Body, &e) != nil || e.Description == "" {
		return connectors.StatusError(resp, c.cfg.Now(), c.cfg.RateLimitBackoff)
	}
	if e.ErrorCode == 0 {
		e.ErrorCode = resp.StatusCode
	}
	pe := &publisher.PlatformError{Message: e.Description, Code: strconv.Itoa(e.ErrorCode), Err: &e}
	desc := strings.ToLower(e.Description)
	switch code := e.ErrorCode; {
	case code == http.StatusTooManyRequests:
		pe.Class = publisher.ClassRateLimited
		pe.RetryAt = c.cfg.Now().Add(c.cfg.RateLimitBackoff)
		if e.Parameters.RetryAfter > 0 {
			pe.RetryAt = c.cfg.Now().Add(time.Duration(e.Parameters.RetryAfter) * time.Second)
		}
	case code >= 500:
		pe.Class, pe.Ambiguous = publisher.ClassRetryable, true
	case code == http.StatusUnauthorized:
		pe.Class = publisher.ClassAuth
		pe.Message = "Telegram refused the bot token (" + e.Description + "): it was revoked or replaced in @BotFather. Reconnect the channel with the current token."
	case code == http.StatusNotFound:
		// The Bot API answers 404 to a URL that names no bot: a malformed token.
		pe.Class = publisher.ClassAuth
		pe.Message = "Telegram does not know this bot token (" + e.Description + "). Reconnect the channel with the token from @BotFather."
	case code == http.StatusForbidden || slices.ContainsFunc(accountLevel, func(s string) bool { return strings.Contains(desc, s) }):
		pe.Class = publisher.ClassAuth
		pe.Message = e.Description + ". The bot must be an administrator of the channel with the right to post messages; restore it, then reconnect the channel."
	case e.Parameters.MigrateToChatID != 0:
		pe.Class = publisher.ClassAuth
		pe.Message = e.Description + ". The chat moved; reconnect it."
	default:
		pe.Class = publisher.ClassRejected
	}
	return pe
}

// call makes one Bot API call and decodes a successful answer's result
// into out. The token is in the URL path (the Bot API has no other place
// for it); it is kept out of logs and errors.
func (c *Connector) call(ctx context.Context, token, method, contentType string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.APIURL+"/bot"+token+"/"+method, body)
	if err != nil {
		return &publisher.PlatformError{Class: publisher.ClassRejected, Message: "Prasar could not build the Telegram request."}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := connectors.Do(c.cfg.HTTPClient, req, c.cfg.MaxResponseBytes)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	c.cfg.Logger.DebugContext(ctx, "telegram: bot api call", "method", method, "status", status, "duration_ms", time.Since(start).Milliseconds())
	if err != nil {
		return scrub(err, token)
	}
	if !resp.OK() {
		return scrub(c.classify(resp), token)
	}
	var env struct {
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(resp.Body, &env); err != nil || !env.OK || json.Unmarshal(env.Result, out) != nil {
		if err == nil && !env.OK {
			return scrub(c.classify(resp), token)
		}
		return &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: strings.HasPrefix(method, "send"),
			Message: "Telegram's answer could not be read."}
	}
	return nil
}

// scrub removes the bot token from an error's text: transport errors carry
// the request URL, whose path holds it.
func scrub(err error, token string) error {
	var pe *publisher.PlatformError
	if !errors.As(err, &pe) {
		return &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: true, Message: strings.ReplaceAll(err.Error(), token, "<bot-token>")}
	}
	out := *pe
	out.Message = strings.ReplaceAll(out.Message, token, "<bot-token>")
	var ue *url.Error
	if errors.As(out.Err, &ue) {
		out.Err = &url.Error{Op: ue.Op, URL: strings.ReplaceAll(ue.URL, token, "<bot-token>"), Err: ue.Err}
	}
	if out.Err != nil && strings.Contains(out.Err.Error(), token) {
		out.Err = errors.New(strings.ReplaceAll(out.Err.Error(), token, "<bot-token>"))
	}
	return &out
}

// Lookup cannot tell: the Bot API does not let a bot read a channel's
// messages. It returns publisher.ErrLookupUnsupported (wrapped).
func (c *Connector) Lookup(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message, since time.Time) (*publisher.Published, error) {
	return nil, fmt.Errorf("telegram: the Bot API cannot read a channel's messages: %w", publisher.ErrLookupUnsupported)
}

// Delete removes a post: deleteMessage for one message, deleteMessages for
// an album ("42,43,44"). A message that is already gone is not an error.
func (c *Connector) Delete(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, externalID string) error {
	chatID, token, err := target(acct, cred)
	if err != nil {
		return err
	}
	var ids []int64
	for _, s := range strings.Split(externalID, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || id <= 0 {
			return rejected("%q is not a Telegram message id.", externalID)
		}
		ids = append(ids, id)
	}
	var params map[string]any
	method := "deleteMessage"
	if len(ids) == 1 {
		params = map[string]any{"chat_id": chatID, "message_id": ids[0]}
	} else {
		method, params = "deleteMessages", map[string]any{"chat_id": chatID, "message_ids": ids}
	}
	b, _ := json.Marshal(params)
	var ok bool
	err = c.call(ctx, token, method, "application/json", bytes.NewReader(b), &ok)
	var pe *publisher.PlatformError
	if errors.As(err, &pe) && strings.Contains(strings.ToLower(pe.Message), "message to delete not found") {
		return nil
	}
	if err != nil {
		pe := *publisher.AsPlatformError(err)
		pe.Ambiguous = false // a retried delete does no harm
		return &pe
	}
	return nil
}

// CredentialFields describes the form that connects a channel.
func (c *Connector) CredentialFields() []publisher.CredentialField {
	return []publisher.CredentialField{
		{Name: "bot_token", Label: "Bot token", Secret: true, Required: true,
			Help: "The token @BotFather gave when the bot was created (/newbot), or a new one from /token. Keep it secret."},
		{Name: "channel", Label: "Channel", Required: true,
			Help: "The channel's public @username, or its numeric id (-100…) for a private channel. First add the bot to the channel as an administrator with the right to post messages."},
	}
}

type user struct {
	ID       int64  `json:"id"`
	IsBot    bool   `json:"is_bot"`
	Username string `json:"username"`
}

type chatMember struct {
	Status          string `json:"status"`
	CanPostMessages bool   `json:"can_post_messages"`
}

// normaliseChannel accepts "@name", "name", "https://t.me/name" and
// "-100…".
func normaliseChannel(s string) string {
	s = strings.TrimSpace(s)
	for _, p := range []string{"https://t.me/", "http://t.me/", "t.me/", "https://telegram.me/"} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			s = strings.Trim(rest, "/")
			break
		}
	}
	if s != "" && !strings.HasPrefix(s, "@") && !strings.HasPrefix(s, "-") {
		s = "@" + s
	}
	return s
}

// VerifyCredentials checks a bot token and channel with Telegram and
// returns the channel: the token must be valid (else ClassAuth), the bot
// must see the channel and administer it with the right to post (else
// ClassRejected, saying what to fix).
func (c *Connector) VerifyCredentials(ctx context.Context, values map[string]string) (*publisher.GrantedAccount, error) {
	token := strings.TrimSpace(values["bot_token"])
	channel := normaliseChannel(values["channel"])
	if !validToken(token) {
		return nil, &publisher.PlatformError{Class: publisher.ClassAuth, Message: "Enter the bot token from @BotFather."}
	}
	if !validChat(channel) {
		return nil, rejected("%q is not a channel: enter its public @username or its numeric id (-100…).", values["channel"])
	}
	var bot user
	if err := c.call(ctx, token, "getMe", "application/json", bytes.NewReader([]byte("{}")), &bot); err != nil {
		return nil, verifyError(err, "")
	}
	botName := "@" + bot.Username
	b, _ := json.Marshal(map[string]any{"chat_id": channel})
	var ch chat
	if err := c.call(ctx, token, "getChat", "application/json", bytes.NewReader(b), &ch); err != nil {
		pe := publisher.AsPlatformError(err)
		if pe.Class == publisher.ClassAuth && pe.Code != "401" && pe.Code != "404" {
			return nil, rejected("Telegram cannot find the channel %s, or %s has not been added to it (%s). Add %s to the channel as an administrator with the right to post messages, then try again.",
				channel, botName, firstLine(pe.Message), botName)
		}
		return nil, verifyError(err, "")
	}
	if ch.Type != "channel" {
		return nil, rejected("%s is a %s, not a channel; Prasar publishes to channels.", channel, ch.Type)
	}
	b, _ = json.Marshal(map[string]any{"chat_id": ch.ID, "user_id": bot.ID})
	var member chatMember
	if err := c.call(ctx, token, "getChatMember", "application/json", bytes.NewReader(b), &member); err != nil {
		return nil, verifyError(err, botName)
	}
	switch {
	case member.Status == "creator":
	case member.Status == "administrator" && member.CanPostMessages:
	case member.Status == "administrator":
		return nil, rejected("%s is an administrator of %s but may not post messages. In the channel's settings, give it the right to post messages, then try again.", botName, ch.Title)
	default:
		return nil, rejected("%s is not an administrator of %s (its status is %q). Add it to the channel as an administrator with the right to post messages, then try again.", botName, ch.Title, member.Status)
	}
	g := &publisher.GrantedAccount{ExternalID: strconv.FormatInt(ch.ID, 10), DisplayName: ch.Title,
		Credentials: publisher.Credentials{AccessToken: token, Extra: map[string]string{"bot_id": strconv.FormatInt(bot.ID, 10), "bot_username": bot.Username}}}
	if ch.Username != "" {
		g.Handle, g.ProfileURL = "@"+ch.Username, c.cfg.WebURL+"/"+url.PathEscape(ch.Username)
	} else {
		g.Handle = ch.Title
	}
	return g, nil
}

// verifyError words a failed check for the person connecting the channel.
func verifyError(err error, bot string) error {
	pe := *publisher.AsPlatformError(err)
	pe.Ambiguous = false
	if pe.Code == "401" || pe.Code == "404" {
		pe.Message = "Telegram did not accept the bot token. Copy it again from @BotFather (/token)."
	} else if pe.Class == publisher.ClassAuth && bot != "" {
		pe.Class = publisher.ClassRejected
	}
	return &pe
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, ". ")
	return s
}
