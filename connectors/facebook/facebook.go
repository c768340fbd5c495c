// Package facebook publishes to Facebook Pages through the Graph API
// (platform-apis.md §1): text and link posts to /{page}/feed, one photo to
// /{page}/photos, several photos as unpublished uploads attached to a feed
// post. It looks posts up in the Page's feed for the exactly-once protocol.
//
// The Page id is publisher.Account.ExternalID and the Page access token is
// publisher.Credentials.AccessToken. The token travels in the Authorization
// header only, never in a URL, and is never logged.
package facebook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

// Config configures the connector. Zero fields take the defaults given on
// each; every limit is a setting because Meta changes them.
type Config struct {
	// GraphURL is the Graph API host (default https://graph.facebook.com;
	// sandbox: BaseURL+"/sandbox/facebook/graph").
	GraphURL string
	// WebURL is where posts are seen, for Published.URL (default
	// https://www.facebook.com; sandbox: BaseURL+"/sandbox/facebook/www").
	WebURL string
	// APIVersion is the Graph API version in every path (default v25.0).
	APIVersion string
	// AppID and AppSecret identify the Meta app. With AppSecret set every
	// call carries appsecret_proof (for apps with "Require App Secret").
	AppID     string
	AppSecret string
	// MaxChars is the longest message (default 63206).
	MaxChars int
	// MaxImages is the most images in one post (default 10).
	MaxImages int
	// MaxImageBytes is the largest image (default 10 MB).
	MaxImageBytes int64
	// ImageTypes are the accepted MIME types (default JPEG, PNG, GIF).
	ImageTypes []string
	// RateLimitBackoff is how long a rate limit lasts when Meta's usage
	// headers do not say (default 15 minutes).
	RateLimitBackoff time.Duration
	// LookupPageSize is the feed page size Lookup asks for (default 100,
	// the Graph maximum) and LookupMaxPages how many pages it reads before
	// giving up (default 10).
	LookupPageSize int
	LookupMaxPages int
	// Metrics are the post insights FetchMetrics asks for, by their names
	// in the configured API version (default DefaultMetrics).
	Metrics []string
	// MaxResponseBytes caps an answer's size (default 4 MB).
	MaxResponseBytes int64
	// HTTPClient makes the calls (nil: connectors.NewHTTPClient(HTTP)).
	HTTPClient *http.Client
	// HTTP sets the timeouts of the default client.
	HTTP connectors.HTTPConfig
	// Now is the clock for rate-limit reset times (nil: time.Now).
	Now func() time.Time
	// Logger receives one debug line per call (nil: discarded).
	Logger *slog.Logger
	// OAuth configures connecting Pages through Facebook Login (oauth.go).
	OAuth OAuthConfig
}

func (c Config) withDefaults() Config {
	if c.GraphURL == "" {
		c.GraphURL = "https://graph.facebook.com"
	}
	if c.WebURL == "" {
		c.WebURL = "https://www.facebook.com"
	}
	c.GraphURL, c.WebURL = strings.TrimRight(c.GraphURL, "/"), strings.TrimRight(c.WebURL, "/")
	if c.APIVersion == "" {
		c.APIVersion = "v25.0"
	}
	if c.MaxChars <= 0 {
		c.MaxChars = 63206
	}
	if c.MaxImages <= 0 {
		c.MaxImages = 10
	}
	if c.MaxImageBytes <= 0 {
		c.MaxImageBytes = 10 << 20
	}
	if len(c.ImageTypes) == 0 {
		c.ImageTypes = []string{"image/jpeg", "image/png", "image/gif"}
	}
	if c.RateLimitBackoff <= 0 {
		c.RateLimitBackoff = 15 * time.Minute
	}
	if c.LookupPageSize <= 0 {
		c.LookupPageSize = 100
	}
	if c.LookupMaxPages <= 0 {
		c.LookupMaxPages = 10
	}
	if len(c.Metrics) == 0 {
		c.Metrics = DefaultMetrics
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

// Connector publishes to Facebook Pages.
type Connector struct {
	cfg      Config
	classify connectors.GraphClassifier
}

var _ publisher.Connector = (*Connector)(nil)

// New returns a connector configured by cfg.
func New(cfg Config) *Connector {
	cfg = cfg.withDefaults()
	return &Connector{cfg: cfg, classify: connectors.GraphClassifier{DefaultBackoff: cfg.RateLimitBackoff, Now: cfg.Now}}
}

// Platform is publisher.Facebook.
func (c *Connector) Platform() publisher.Platform { return publisher.Facebook }

// Rules are Facebook's composing limits as configured.
func (c *Connector) Rules() publisher.PlatformRules {
	return publisher.PlatformRules{
		Platform:      publisher.Facebook,
		MaxChars:      c.cfg.MaxChars,
		CountUnit:     "characters",
		MaxImages:     c.cfg.MaxImages,
		MaxImageBytes: c.cfg.MaxImageBytes,
		ImageTypes:    slices.Clone(c.cfg.ImageTypes),
		Enabled:       true,
	}
}

// Measure counts the message as it will be posted (see message) in Unicode
// code points, without normalisation: Facebook documents no counting rule,
// and Prasar sends the text exactly as composed, so the count is of what is
// sent. Devanagari combining signs count one each, as they do in the
// platform's limit checks that count characters.
func (c *Connector) Measure(msg publisher.Message) publisher.Measure {
	return publisher.Measure{Count: utf8.RuneCountInString(c.message(msg)), Limit: c.cfg.MaxChars}
}

// message is the text posted for msg: its text, and for posts with images
// (which have no link parameter) the link appended on its own paragraph
// unless the text already contains it.
func (c *Connector) message(msg publisher.Message) string {
	if len(msg.Media) == 0 {
		return msg.Text
	}
	return connectors.WithLink(msg.Text, msg.Link)
}

// normalise makes texts comparable: line endings as "\n", no surrounding
// space.
func normalise(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimSpace(s)
}

func rejected(format string, args ...any) *publisher.PlatformError {
	return &publisher.PlatformError{Class: publisher.ClassRejected, Message: fmt.Sprintf(format, args...)}
}

// target checks that the account and credentials can be used at all.
func target(acct *publisher.Account, cred publisher.Credentials) (page, token string, err error) {
	if acct == nil || strings.TrimSpace(acct.ExternalID) == "" || strings.ContainsAny(acct.ExternalID, "/?#_ ") {
		return "", "", &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no valid Facebook Page id; reconnect it."}
	}
	if cred.AccessToken == "" {
		return "", "", &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no Facebook access token; reconnect it."}
	}
	return acct.ExternalID, cred.AccessToken, nil
}

// Publish creates the post: a feed post for text and links, a photo post
// for one image, unpublished photo uploads attached to a feed post for
// several. Every failure is a *publisher.PlatformError.
func (c *Connector) Publish(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message) (*publisher.Published, error) {
	page, token, err := target(acct, cred)
	if err != nil {
		return nil, err
	}
	text := c.message(msg)
	if n := utf8.RuneCountInString(text); n > c.cfg.MaxChars {
		return nil, rejected("The text is %d characters long; Facebook allows %d.", n, c.cfg.MaxChars)
	}
	if len(msg.Media) > c.cfg.MaxImages {
		return nil, rejected("The post has %d images; Facebook allows %d in one post.", len(msg.Media), c.cfg.MaxImages)
	}
	if strings.TrimSpace(text) == "" && msg.Link == "" && len(msg.Media) == 0 {
		return nil, rejected("The post is empty.")
	}
	for i, m := range msg.Media {
		if !slices.Contains(c.cfg.ImageTypes, m.ContentType) {
			return nil, rejected("Image %d is %s; Facebook accepts %s.", i+1, m.ContentType, strings.Join(c.cfg.ImageTypes, ", "))
		}
		if m.Size > c.cfg.MaxImageBytes {
			return nil, rejected("Image %d is larger than %d MB.", i+1, c.cfg.MaxImageBytes>>20)
		}
	}
	var id string
	switch len(msg.Media) {
	case 0:
		form := url.Values{}
		if text != "" {
			form.Set("message", text)
		}
		if msg.Link != "" {
			form.Set("link", msg.Link)
		}
		id, err = c.postFeed(ctx, page, token, form)
	case 1:
		var photo photoResult
		photo, err = c.postPhoto(ctx, page, token, msg.Media[0], text, true)
		id = photo.PostID
		if err == nil && id == "" {
			id = page + "_" + photo.ID
		}
	default:
		form := url.Values{}
		if text != "" {
			form.Set("message", text)
		}
		for i, m := range msg.Media {
			photo, err := c.postPhoto(ctx, page, token, m, "", false)
			if err != nil {
				// An unpublished photo is not a post: whatever happened
				// to it, nothing visible can have been created yet.
				pe := *publisher.AsPlatformError(err)
				pe.Ambiguous = false
				return nil, &pe
			}
			ref, _ := json.Marshal(map[string]string{"media_fbid": photo.ID})
			form.Set(fmt.Sprintf("attached_media[%d]", i), string(ref))
		}
		id, err = c.postFeed(ctx, page, token, form)
	}
	if err != nil {
		return nil, err
	}
	return c.published(page, id), nil
}

// published builds the result for a post id "{page}_{post}".
func (c *Connector) published(page, id string) *publisher.Published {
	p, post, ok := strings.Cut(id, "_")
	if !ok {
		p, post, id = page, id, page+"_"+id
	}
	return &publisher.Published{ExternalID: id, URL: c.cfg.WebURL + "/" + url.PathEscape(p) + "/posts/" + url.PathEscape(post)}
}

// postFeed sends POST /{page}/feed, form-encoded, and returns the post id.
func (c *Connector) postFeed(ctx context.Context, page, token string, form url.Values) (string, error) {
	c.proof(form, token)
	var out struct {
		ID string `json:"id"`
	}
	err := c.call(ctx, http.MethodPost, "/"+url.PathEscape(page)+"/feed", nil, token,
		"application/x-www-form-urlencoded", strings.NewReader(form.Encode()), &out)
	if err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: true, Message: "Facebook answered without a post id."}
	}
	return out.ID, nil
}

type photoResult struct {
	ID     string `json:"id"`
	PostID string `json:"post_id"`
}

// postPhoto uploads one image to POST /{page}/photos as multipart
// ("source"), published or not.
func (c *Connector) postPhoto(ctx context.Context, page, token string, m publisher.MediaRef, caption string, published bool) (photoResult, error) {
	var out photoResult
	if m.Open == nil {
		return out, rejected("Image %s cannot be read.", m.ID)
	}
	data, err := m.Open(ctx)
	if err != nil {
		return out, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Prasar could not read image " + m.ID + ".", Err: err}
	}
	if int64(len(data)) > c.cfg.MaxImageBytes {
		return out, rejected("Image %s is larger than %d MB.", m.ID, c.cfg.MaxImageBytes>>20)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fields := url.Values{}
	if caption != "" {
		fields.Set("message", caption)
	}
	fields.Set("published", strconv.FormatBool(published))
	if m.AltText != "" {
		fields.Set("alt_text_custom", m.AltText)
	}
	c.proof(fields, token)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		mw.WriteField(k, fields.Get(k))
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="source"; filename="%s"`, fileName(m)))
	h.Set("Content-Type", m.ContentType)
	part, _ := mw.CreatePart(h)
	part.Write(data)
	mw.Close()
	err = c.call(ctx, http.MethodPost, "/"+url.PathEscape(page)+"/photos", nil, token, mw.FormDataContentType(), &body, &out)
	if err == nil && out.ID == "" {
		err = &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: published, Message: "Facebook answered without a photo id."}
	}
	return out, err
}

func fileName(m publisher.MediaRef) string {
	ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif"}[m.ContentType]
	id := strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < ' ' {
			return -1
		}
		return r
	}, m.ID)
	if id == "" {
		id = "image"
	}
	return id + ext
}

// proof adds appsecret_proof when an app secret is configured.
func (c *Connector) proof(v url.Values, token string) {
	if c.cfg.AppSecret == "" {
		return
	}
	m := hmac.New(sha256.New, []byte(c.cfg.AppSecret))
	m.Write([]byte(token))
	v.Set("appsecret_proof", hex.EncodeToString(m.Sum(nil)))
}

// call makes one Graph API call and decodes a successful answer into out.
// The token goes in the Authorization header.
func (c *Connector) call(ctx context.Context, method, path string, query url.Values, token, contentType string, body io.Reader, out any) error {
	u := c.cfg.GraphURL + "/" + c.cfg.APIVersion + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return &publisher.PlatformError{Class: publisher.ClassRejected, Message: "Prasar could not build the Facebook request.", Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	start := time.Now()
	resp, err := connectors.Do(c.cfg.HTTPClient, req, c.cfg.MaxResponseBytes)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	c.cfg.Logger.DebugContext(ctx, "facebook: graph call", "method", method, "path", path, "status", status,
		"duration_ms", time.Since(start).Milliseconds())
	if err != nil {
		return err
	}
	if !resp.OK() {
		return c.classify.Classify(resp)
	}
	if _, isErr := connectors.ParseGraphError(resp.Body); isErr {
		return c.classify.Classify(resp)
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: method != http.MethodGet,
			Message: "Facebook's answer could not be read.", Err: err}
	}
	return nil
}

// Lookup looks for a post made from msg on the Page at or after since: it
// reads the Page's feed newest first (limit LookupPageSize, at most
// LookupMaxPages pages) and matches the message Publish would send,
// compared after normalising line endings and surrounding space. It
// returns publisher.ErrNotPublished when the feed has no such post, and
// publisher.ErrLookupUnsupported when it cannot tell (a post without text,
// or more posts since than it may read).
func (c *Connector) Lookup(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message, since time.Time) (*publisher.Published, error) {
	page, token, err := target(acct, cred)
	if err != nil {
		return nil, err
	}
	want := normalise(c.message(msg))
	if want == "" {
		return nil, fmt.Errorf("facebook: a post without text cannot be recognised: %w", publisher.ErrLookupUnsupported)
	}
	q := url.Values{"fields": {"id,message,created_time"}, "limit": {strconv.Itoa(c.cfg.LookupPageSize)}}
	if !since.IsZero() {
		q.Set("since", strconv.FormatInt(since.Unix(), 10))
	}
	c.proof(q, token)
	for range c.cfg.LookupMaxPages {
		var feed struct {
			Data []struct {
				ID          string `json:"id"`
				Message     string `json:"message"`
				CreatedTime string `json:"created_time"`
			} `json:"data"`
			Paging struct {
				Cursors struct {
					After string `json:"after"`
				} `json:"cursors"`
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := c.call(ctx, http.MethodGet, "/"+url.PathEscape(page)+"/feed", q, token, "", nil, &feed); err != nil {
			pe := *publisher.AsPlatformError(err)
			pe.Ambiguous = false // reading the feed creates nothing
			return nil, &pe
		}
		for _, p := range feed.Data {
			if t, err := time.Parse("2006-01-02T15:04:05-0700", p.CreatedTime); err == nil && !since.IsZero() && t.Before(since.Truncate(time.Second)) {
				continue
			}
			if normalise(p.Message) == want {
				return c.published(page, p.ID), nil
			}
		}
		if feed.Paging.Next == "" || feed.Paging.Cursors.After == "" {
			return nil, publisher.ErrNotPublished
		}
		q.Set("after", feed.Paging.Cursors.After)
	}
	window := "on the Page"
	if !since.IsZero() {
		window = "since " + since.UTC().Format(time.RFC3339)
	}
	return nil, fmt.Errorf("facebook: more than %d posts %s; cannot tell whether the post is among them: %w",
		c.cfg.LookupPageSize*c.cfg.LookupMaxPages, window, publisher.ErrLookupUnsupported)
}
