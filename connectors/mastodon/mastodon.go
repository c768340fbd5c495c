// Package mastodon publishes statuses to Mastodon accounts
// (platform-apis.md §5.4). Every instance is its own server, with its own
// app registration: Config.Instances lists the instances Prasar has an app
// on (URL, client id, client secret).
//
// # Accounts
//
// Accounts connect through OAuth 2.0 with PKCE (publisher.Authorizer),
// against the first configured instance (the Authorizer interface carries no
// instance; AuthCodeURLFor and ExchangeAt take one for deployments with
// several). Exchange reads the account with
// GET /api/v1/accounts/verify_credentials. The access token is
// publisher.Credentials.AccessToken; the instance's base URL is stored
// with it, in Credentials.Extra["instance"], so that each account publishes
// to its own instance; credentials without it (seeded sandbox accounts)
// use the first configured instance. The account id on the instance is
// publisher.Account.ExternalID. Mastodon tokens do not expire and come
// without a refresh token, so there is no publisher.Refresher.
//
// # Publishing and exactly once
//
// Images are uploaded first (POST /api/v2/media with the alt text as
// description); an answer of 202 means the instance is still processing,
// and the connector polls GET /api/v1/media/{id} until it has a URL. Then
// POST /api/v1/statuses, as JSON with visibility (Config.Visibility,
// default public) and the message's first language, carries
// Idempotency-Key: Message.DeliveryID.
//
// Two mechanisms combine after an ambiguous failure (a timeout, a dropped
// connection, a 5xx). Lookup reads the account's newest statuses
// (GET /api/v1/accounts/{id}/statuses, limit 40, at most LookupMaxPages
// pages back to `since`) and compares their text, recovered from the
// status's HTML, with what Publish sends. If it finds nothing the domain
// publishes again — with the same Idempotency-Key, which the instance keeps
// for an hour: a status created by the lost request, but not yet visible
// to Lookup, is returned instead of being duplicated. Within an hour of the
// first attempt the key is the guarantee; after that Lookup is. (The key
// also lets net/http resend the request by itself when a reused
// connection drops before any answer — Go's transport treats requests with
// an Idempotency-Key as idempotent — which is safe for the same reason.)
//
// # Counting
//
// Measure counts what Publish sends the way Mastodon does: grapheme
// clusters (github.com/rivo/uniseg), every link as Config.CharsPerURL (23)
// characters, and a remote mention @user@domain as @user; the limit is
// Config.MaxChars (500 by default: instances may allow more, and their
// GET /api/v2/instance says how much).
//
// # Errors, deleting, metrics
//
// Status-driven: 401 and 403 (token revoked, account suspended, scope
// missing) are auth errors; 422 and other 4xx are rejected with the
// instance's message; 429 is rate-limited until X-RateLimit-Reset; 5xx is
// retryable and ambiguous. Delete uses DELETE /api/v1/statuses/{id}.
// FetchMetrics reads replies_count, reblogs_count, favourites_count (and
// quotes_count on 4.5+) from GET /api/v1/statuses/{id}: Mastodon has no
// impressions or reach.
package mastodon

import (
	"bytes"
	"cmp"
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

	"github.com/rivo/uniseg"
	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

// Instance is a Mastodon server Prasar has an app registered on
// (POST /api/v1/apps, once per instance).
type Instance struct {
	// URL is the instance's base URL, e.g. https://mastodon.social
	// (sandbox: BaseURL+sandbox.MastodonPath).
	URL string
	// ClientID and ClientSecret are the app's credentials on it (sandbox:
	// any id, with the secret sandbox.Server.MastodonClientSecret(id)).
	ClientID     string
	ClientSecret string
	// WebURL is where people's browsers reach the instance, for its
	// consent page, when that differs from URL (the sandbox behind
	// docker-compose: the API at http://api:8080, the browser at
	// PRASAR_BASE_URL). Default URL.
	WebURL string
}

// Config configures the connector. Zero fields take the defaults given on
// each.
type Config struct {
	// Instances are the instances accounts connect on; the first is the
	// default for the Authorizer methods and for credentials that name no
	// instance.
	Instances []Instance
	// Scopes are asked for at authorization (default read:accounts
	// read:statuses write:statuses write:media).
	Scopes []string
	// Visibility of new statuses (default "public").
	Visibility string
	// MaxChars is the longest status (default 500).
	MaxChars int
	// CharsPerURL is what a link counts for (default 23).
	CharsPerURL int
	// MaxImages is the most images in one status (default 4).
	MaxImages int
	// MaxImageBytes is the largest image (default 16 MiB).
	MaxImageBytes int64
	// ImageTypes are the accepted MIME types (default JPEG, PNG, GIF, WebP).
	ImageTypes []string
	// MediaPollInterval is the wait between checks of an image still
	// processing (default 1s), and MediaPollTimeout how long to wait in all
	// (default 60s) before giving up with a retryable error.
	MediaPollInterval time.Duration
	MediaPollTimeout  time.Duration
	// LookupPageSize is the page size Lookup asks for (default 40, the
	// maximum) and LookupMaxPages how many pages it reads (default 5).
	LookupPageSize int
	LookupMaxPages int
	// RateLimitBackoff is how long a 429 lasts without X-RateLimit-Reset
	// (default 5 minutes).
	RateLimitBackoff time.Duration
	// MaxResponseBytes caps an answer's size (default 4 MB).
	MaxResponseBytes int64
	// HTTPClient makes the calls (nil: connectors.NewHTTPClient(HTTP)).
	HTTPClient *http.Client
	// HTTP sets the timeouts of the default client.
	HTTP connectors.HTTPConfig
	// Now is the clock for rate-limit reset times (nil: time.Now).
	Now func() time.Time
	// Logger receives one debug line per call, never a token (nil:
	// discarded).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	c.Instances = slices.Clone(c.Instances)
	for i := range c.Instances {
		c.Instances[i].URL = strings.TrimRight(c.Instances[i].URL, "/")
		c.Instances[i].WebURL = strings.TrimRight(c.Instances[i].WebURL, "/")
	}
	if len(c.Scopes) == 0 {
		c.Scopes = []string{"read:accounts", "read:statuses", "write:statuses", "write:media"}
	}
	if c.Visibility == "" {
		c.Visibility = "public"
	}
	if c.MaxChars <= 0 {
		c.MaxChars = 500
	}
	if c.CharsPerURL <= 0 {
		c.CharsPerURL = 23
	}
	if c.MaxImages <= 0 {
		c.MaxImages = 4
	}
	if c.MaxImageBytes <= 0 {
		c.MaxImageBytes = 16 << 20
	}
	if len(c.ImageTypes) == 0 {
		c.ImageTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp"}
	}
	if c.MediaPollInterval <= 0 {
		c.MediaPollInterval = time.Second
	}
	if c.MediaPollTimeout <= 0 {
		c.MediaPollTimeout = time.Minute
	}
	if c.LookupPageSize <= 0 {
		c.LookupPageSize = 40
	}
	if c.LookupMaxPages <= 0 {
		c.LookupMaxPages = 5
	}
	if c.RateLimitBackoff <= 0 {
		c.RateLimitBackoff = 5 * time.Minute
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

// Connector publishes to Mastodon accounts.
type Connector struct {
	cfg Config
}

var (
	_ publisher.Connector      = (*Connector)(nil)
	_ publisher.Authorizer     = (*Connector)(nil)
	_ publisher.Deleter        = (*Connector)(nil)
	_ publisher.MetricsFetcher = (*Connector)(nil)
)

// New returns a connector configured by cfg.
func New(cfg Config) *Connector { return &Connector{cfg: cfg.withDefaults()} }

// Platform is publisher.Mastodon.
func (c *Connector) Platform() publisher.Platform { return publisher.Mastodon }

// Rules are Mastodon's composing limits as configured.
func (c *Connector) Rules() publisher.PlatformRules {
	return publisher.PlatformRules{
		Platform:      publisher.Mastodon,
		MaxChars:      c.cfg.MaxChars,
		CountUnit:     "graphemes",
		MaxImages:     c.cfg.MaxImages,
		MaxImageBytes: c.cfg.MaxImageBytes,
		ImageTypes:    slices.Clone(c.cfg.ImageTypes),
		Enabled:       true,
	}
}

// Measure counts the status Publish sends as Mastodon does (see the
// package doc).
func (c *Connector) Measure(msg publisher.Message) publisher.Measure {
	return publisher.Measure{Count: c.length(text(msg)), Limit: c.cfg.MaxChars}
}

// text is the status posted for msg: its text, with the link on its own
// paragraph unless the text already contains it.
func text(msg publisher.Message) string {
	return connectors.WithLink(msg.Text, msg.Link)
}

var (
	urlRE           = regexp.MustCompile(`https?://[^\s<>"]+`)
	remoteMentionRE = regexp.MustCompile(`(^|[^\w/])@(\w+)@[\w.-]+\w`)
)

// length counts s as Mastodon does.
func (c *Connector) length(s string) int {
	s = remoteMentionRE.ReplaceAllString(s, "$1@$2")
	n, last := 0, 0
	for _, loc := range urlRE.FindAllStringIndex(s, -1) {
		end := loc[1]
		for end > loc[0] && strings.ContainsRune(".,;:!?'\")]", rune(s[end-1])) {
			end--
		}
		n += uniseg.GraphemeClusterCount(s[last:loc[0]]) + c.cfg.CharsPerURL
		last = end
	}
	return n + uniseg.GraphemeClusterCount(s[last:])
}

func rejected(format string, args ...any) *publisher.PlatformError {
	return &publisher.PlatformError{Class: publisher.ClassRejected, Message: fmt.Sprintf(format, args...)}
}

// instanceOf is the instance the credentials belong to.
func (c *Connector) instanceOf(cred publisher.Credentials) (string, error) {
	if u := strings.TrimRight(cred.Extra["instance"], "/"); u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return "", &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account's Mastodon instance address is not valid; reconnect it."}
		}
		return u, nil
	}
	if len(c.cfg.Instances) > 0 && c.cfg.Instances[0].URL != "" {
		return c.cfg.Instances[0].URL, nil
	}
	return "", &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account names no Mastodon instance and none is configured; reconnect it."}
}

// target checks that the credentials can be used at all.
func (c *Connector) target(cred publisher.Credentials) (instance, token string, err error) {
	if cred.AccessToken == "" {
		return "", "", &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no Mastodon access token; reconnect it."}
	}
	instance, err = c.instanceOf(cred)
	return instance, cred.AccessToken, err
}

// Status is the part of a Mastodon Status this package reads.
type status struct {
	ID              string `json:"id"`
	CreatedAt       string `json:"created_at"`
	URL             string `json:"url"`
	URI             string `json:"uri"`
	Content         string `json:"content"`
	RepliesCount    int64  `json:"replies_count"`
	ReblogsCount    int64  `json:"reblogs_count"`
	FavouritesCount int64  `json:"favourites_count"`
	QuotesCount     *int64 `json:"quotes_count"`
}

func (s status) published() *publisher.Published {
	u := s.URL
	if u == "" {
		u = s.URI
	}
	return &publisher.Published{ExternalID: s.ID, URL: u}
}

// Publish creates the status: images first, then the status with the
// delivery id as its Idempotency-Key. Every failure is a
// *publisher.PlatformError.
func (c *Connector) Publish(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message) (*publisher.Published, error) {
	instance, token, err := c.target(cred)
	if err != nil {
		return nil, err
	}
	body := text(msg)
	if strings.TrimSpace(body) == "" && len(msg.Media) == 0 {
		return nil, rejected("The post is empty.")
	}
	if n := c.length(body); n > c.cfg.MaxChars {
		return nil, rejected("The text counts %d characters as Mastodon counts them; the instance allows %d.", n, c.cfg.MaxChars)
	}
	if len(msg.Media) > c.cfg.MaxImages {
		return nil, rejected("The post has %d images; Mastodon allows %d.", len(msg.Media), c.cfg.MaxImages)
	}
	for i, m := range msg.Media {
		if !slices.Contains(c.cfg.ImageTypes, m.ContentType) {
			return nil, rejected("Image %d is %s; Mastodon accepts %s.", i+1, m.ContentType, strings.Join(c.cfg.ImageTypes, ", "))
		}
		if m.Size > c.cfg.MaxImageBytes {
			return nil, rejected("Image %d is larger than %d MB.", i+1, c.cfg.MaxImageBytes>>20)
		}
	}
	mediaIDs := []string{}
	for _, m := range msg.Media {
		id, err := c.upload(ctx, instance, token, m)
		if err != nil {
			// An attachment on its own is not a post.
			pe := *publisher.AsPlatformError(err)
			pe.Ambiguous = false
			return nil, &pe
		}
		mediaIDs = append(mediaIDs, id)
	}
	params := map[string]any{"status": body, "visibility": c.cfg.Visibility}
	if len(mediaIDs) > 0 {
		params["media_ids"] = mediaIDs
	}
	if len(msg.Languages) > 0 && msg.Languages[0] != "" {
		params["language"] = msg.Languages[0]
	}
	b, _ := json.Marshal(params)
	header := http.Header{"Content-Type": {"application/json"}}
	if msg.DeliveryID != "" {
		header.Set("Idempotency-Key", msg.DeliveryID)
	}
	var st status
	if _, err := c.call(ctx, http.MethodPost, instance, "/api/v1/statuses", token, header, bytes.NewReader(b), &st); err != nil {
		return nil, err
	}
	if st.ID == "" {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: true, Message: "Mastodon answered without a status id."}
	}
	return st.published(), nil
}

type attachment struct {
	ID  string  `json:"id"`
	URL *string `json:"url"`
}

// upload sends one image to POST /api/v2/media and waits until the
// instance has processed it.
func (c *Connector) upload(ctx context.Context, instance, token string, m publisher.MediaRef) (string, error) {
	if m.Open == nil {
		return "", rejected("Image %s cannot be read.", m.ID)
	}
	data, err := m.Open(ctx)
	if err != nil {
		return "", &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Prasar could not read image " + m.ID + ".", Err: err}
	}
	if int64(len(data)) > c.cfg.MaxImageBytes {
		return "", rejected("Image %s is larger than %d MB.", m.ID, c.cfg.MaxImageBytes>>20)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}[m.ContentType]
	h.Set("Content-Disposition", `form-data; name="file"; filename="image`+ext+`"`)
	h.Set("Content-Type", m.ContentType)
	part, _ := mw.CreatePart(h)
	part.Write(data)
	if m.AltText != "" {
		mw.WriteField("description", m.AltText)
	}
	mw.Close()
	var a attachment
	status, err := c.call(ctx, http.MethodPost, instance, "/api/v2/media", token, http.Header{"Content-Type": {mw.FormDataContentType()}}, &body, &a)
	if err != nil {
		return "", err
	}
	if a.ID == "" {
		return "", &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Mastodon answered the upload without a media id."}
	}
	if status != http.StatusAccepted && a.URL != nil {
		return a.ID, nil
	}
	deadline := time.Now().Add(c.cfg.MediaPollTimeout)
	for {
		t := time.NewTimer(c.cfg.MediaPollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", connectors.TransportError(ctx.Err(), false)
		case <-t.C:
		}
		status, err := c.call(ctx, http.MethodGet, instance, "/api/v1/media/"+url.PathEscape(a.ID), token, nil, nil, &a)
		if err != nil {
			return "", err
		}
		if status == http.StatusOK && a.URL != nil {
			return a.ID, nil
		}
		if time.Now().After(deadline) {
			return "", &publisher.PlatformError{Class: publisher.ClassRetryable,
				Message: fmt.Sprintf("Mastodon was still processing image %s after %s.", m.ID, c.cfg.MediaPollTimeout)}
		}
	}
}

// apiError is Mastodon's error entity.
type apiError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// classify turns a non-2xx answer into a *publisher.PlatformError:
// status-driven, with Mastodon's message and reset time.
func (c *Connector) classify(resp *connectors.Response) *publisher.PlatformError {
	now := c.cfg.Now()
	pe := connectors.StatusError(resp, now, c.cfg.RateLimitBackoff)
	var e apiError
	if json.Unmarshal(resp.Body, &e) == nil && e.Error != "" {
		pe.Message = e.Error
		if e.Description != "" {
			pe.Message += ": " + e.Description
		}
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		if t, err := time.Parse(time.RFC3339Nano, resp.Header.Get("X-RateLimit-Reset")); err == nil && t.After(now) {
			pe.RetryAt = t
		}
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusGone:
		// A suspended or disabled account, a missing scope: reconnecting
		// (or the instance's moderators) must fix it.
		pe.Class = publisher.ClassAuth
	}
	return pe
}

// call makes one API call with the token in the Authorization header,
// decodes a 2xx answer into out (if not nil) and returns its status.
func (c *Connector) call(ctx context.Context, method, instance, path, token string, header http.Header, body io.Reader, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, instance+path, body)
	if err != nil {
		return 0, &publisher.PlatformError{Class: publisher.ClassRejected, Message: "Prasar could not build the Mastodon request.", Err: err}
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := connectors.Do(c.cfg.HTTPClient, req, c.cfg.MaxResponseBytes)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	c.cfg.Logger.DebugContext(ctx, "mastodon: api call", "method", method, "instance", instance, "path", path, "status", status,
		"duration_ms", time.Since(start).Milliseconds())
	if err != nil {
		return 0, err
	}
	if !resp.OK() {
		return resp.StatusCode, c.classify(resp)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return resp.StatusCode, &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: method == http.MethodPost,
				Message: "Mastodon's answer could not be read.", Err: err}
		}
	}
	return resp.StatusCode, nil
}

// plainText recovers a status's text from its HTML content: paragraphs as
// blank lines, <br> as line breaks, every text node kept (including the
// "invisible" parts of shortened links), entities decoded.
func plainText(content string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(content))
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "br":
				b.WriteByte('\n')
			case "p":
				if b.Len() > 0 {
					b.WriteString("\n\n")
				}
			case "script", "style":
				skip++
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if n := string(name); (n == "script" || n == "style") && skip > 0 {
				skip--
			}
		}
	}
}

// normalise makes texts comparable: remote mentions by their local part
// (Mastodon shows @user for @user@domain), every run of white space as one
// space, none around.
func normalise(s string) string {
	s = remoteMentionRE.ReplaceAllString(s, "$1@$2")
	return strings.Join(strings.Fields(s), " ")
}

// Lookup looks for a status made from msg on the account at or after
// since: it reads the account's statuses newest first (LookupPageSize a
// page, at most LookupMaxPages pages) and compares their text with what
// Publish sends. It returns publisher.ErrNotPublished when the account has
// no such status since then, and publisher.ErrLookupUnsupported when it
// cannot tell (a status without text, or more statuses since than it may
// read). See the package doc for how the Idempotency-Key completes it.
func (c *Connector) Lookup(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message, since time.Time) (*publisher.Published, error) {
	instance, token, err := c.target(cred)
	if err != nil {
		return nil, err
	}
	if acct == nil || acct.ExternalID == "" || strings.ContainsAny(acct.ExternalID, "/?#") {
		return nil, &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no valid Mastodon account id; reconnect it."}
	}
	want := normalise(text(msg))
	if want == "" {
		return nil, fmt.Errorf("mastodon: a status without text cannot be recognised: %w", publisher.ErrLookupUnsupported)
	}
	q := url.Values{"limit": {strconv.Itoa(c.cfg.LookupPageSize)}, "exclude_reblogs": {"true"}, "exclude_replies": {"true"}}
	for range c.cfg.LookupMaxPages {
		var page []status
		if _, err := c.call(ctx, http.MethodGet, instance, "/api/v1/accounts/"+url.PathEscape(acct.ExternalID)+"/statuses?"+q.Encode(), token, nil, nil, &page); err != nil {
			pe := *publisher.AsPlatformError(err)
			pe.Ambiguous = false // reading creates nothing
			return nil, &pe
		}
		for _, s := range page {
			created, err := time.Parse(time.RFC3339Nano, s.CreatedAt)
			if err == nil && !since.IsZero() && created.Before(since.Truncate(time.Second)) {
				// Newest first: everything after this is older still.
				return nil, publisher.ErrNotPublished
			}
			if normalise(plainText(s.Content)) == want {
				return s.published(), nil
			}
		}
		if len(page) < c.cfg.LookupPageSize {
			return nil, publisher.ErrNotPublished
		}
		q.Set("max_id", page[len(page)-1].ID)
	}
	return nil, fmt.Errorf("mastodon: more than %d statuses since %s; cannot tell whether the post is among them: %w",
		c.cfg.LookupPageSize*c.cfg.LookupMaxPages, since.UTC().Format(time.RFC3339), publisher.ErrLookupUnsupported)
}

// Delete removes a status. One that is already gone is not an error.
func (c *Connector) Delete(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, externalID string) error {
	instance, token, err := c.target(cred)
	if err != nil {
		return err
	}
	if externalID == "" || strings.ContainsAny(externalID, "/?#") {
		return rejected("%q is not a Mastodon status id.", externalID)
	}
	status, err := c.call(ctx, http.MethodDelete, instance, "/api/v1/statuses/"+url.PathEscape(externalID), token, nil, nil, nil)
	if status == http.StatusNotFound {
		return nil
	}
	if err != nil {
		pe := *publisher.AsPlatformError(err)
		pe.Ambiguous = false
		return &pe
	}
	return nil
}

// FetchMetrics reads a status's counts: replies_count, reblogs_count,
// favourites_count, and quotes_count where the instance has it (4.5+).
// Mastodon has no impressions or reach.
func (c *Connector) FetchMetrics(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, externalID string) (*publisher.MetricsResult, error) {
	instance, token, err := c.target(cred)
	if err != nil {
		return nil, err
	}
	var s status
	if _, err := c.call(ctx, http.MethodGet, instance, "/api/v1/statuses/"+url.PathEscape(externalID), token, nil, nil, &s); err != nil {
		pe := *publisher.AsPlatformError(err)
		pe.Ambiguous = false
		return nil, &pe
	}
	res := &publisher.MetricsResult{Values: map[string]int64{
		"replies_count": s.RepliesCount, "reblogs_count": s.ReblogsCount, "favourites_count": s.FavouritesCount}}
	if s.QuotesCount != nil {
		res.Values["quotes_count"] = *s.QuotesCount
	}
	return res, nil
}

// oauthConfig is the OAuth client of an instance.
func (c *Connector) oauthConfig(inst Instance, redirectURL string) *oauth2.Config {
	return &oauth2.Config{ClientID: inst.ClientID, ClientSecret: inst.ClientSecret, RedirectURL: redirectURL, Scopes: c.cfg.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: cmp.Or(inst.WebURL, inst.URL) + "/oauth/authorize", TokenURL: inst.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}}
}

// instance finds a configured instance by URL ("" for the first).
func (c *Connector) instance(u string) (Instance, error) {
	u = strings.TrimRight(u, "/")
	for _, in := range c.cfg.Instances {
		if u == "" || strings.EqualFold(in.URL, u) {
			if in.URL == "" || in.ClientID == "" {
				break
			}
			return in, nil
		}
	}
	return Instance{}, &publisher.PlatformError{Class: publisher.ClassRejected,
		Message: fmt.Sprintf("Prasar has no app registered on the Mastodon instance %q; an administrator must add it to the configuration.", u)}
}

// AuthCodeURL is AuthCodeURLFor the first configured instance.
func (c *Connector) AuthCodeURL(state, verifier, redirectURL string) string {
	return c.AuthCodeURLFor("", state, verifier, redirectURL)
}

// AuthCodeURLFor returns the consent page of a configured instance ("":
// the first), with the PKCE S256 challenge of verifier. It returns "" for
// an instance Prasar has no app on.
func (c *Connector) AuthCodeURLFor(instance, state, verifier, redirectURL string) string {
	in, err := c.instance(instance)
	if err != nil {
		return ""
	}
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	return c.oauthConfig(in, redirectURL).AuthCodeURL(state, opts...)
}

// Exchange is ExchangeAt the first configured instance.
func (c *Connector) Exchange(ctx context.Context, code, verifier, redirectURL string) ([]publisher.GrantedAccount, error) {
	return c.ExchangeAt(ctx, "", code, verifier, redirectURL)
}

type account struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	Acct        string `json:"acct"`
	DisplayName string `json:"display_name"`
	URL         string `json:"url"`
}

// ExchangeAt trades a code from a configured instance's consent page for
// a token (with the PKCE verifier) and returns the account it acts for,
// read with verify_credentials. A refused or expired code is ClassRejected.
func (c *Connector) ExchangeAt(ctx context.Context, instance, code, verifier, redirectURL string) ([]publisher.GrantedAccount, error) {
	in, err := c.instance(instance)
	if err != nil {
		return nil, err
	}
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	tok, err := c.oauthConfig(in, redirectURL).Exchange(context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient), code, opts...)
	c.cfg.Logger.DebugContext(ctx, "mastodon: token exchange", "instance", in.URL, "ok", err == nil)
	if err != nil {
		return nil, oauthError(err)
	}
	var a account
	if _, err := c.call(ctx, http.MethodGet, in.URL, "/api/v1/accounts/verify_credentials", tok.AccessToken, nil, nil, &a); err != nil {
		pe := *publisher.AsPlatformError(err)
		pe.Ambiguous = false
		return nil, &pe
	}
	if a.ID == "" {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Mastodon did not say which account the token is for."}
	}
	host := in.URL
	if u, err := url.Parse(in.URL); err == nil {
		host = u.Host
	}
	handle := "@" + a.Acct
	if !strings.Contains(a.Acct, "@") {
		handle += "@" + host
	}
	scope, _ := tok.Extra("scope").(string)
	return []publisher.GrantedAccount{{ExternalID: a.ID, Handle: handle, DisplayName: a.DisplayName, ProfileURL: a.URL, Scopes: strings.Fields(scope),
		Credentials: publisher.Credentials{AccessToken: tok.AccessToken, Extra: map[string]string{"instance": in.URL}}}}, nil
}

// oauthError classifies a failed token request: the instance's refusal
// (a bad, used or expired code, a wrong verifier or client) is rejected;
// anything else is retryable.
func oauthError(err error) *publisher.PlatformError {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		msg := re.ErrorCode
		if re.ErrorDescription != "" {
			msg += ": " + re.ErrorDescription
		}
		if msg == "" {
			msg = "the instance refused the authorization code"
		}
		code := ""
		if re.Response != nil {
			code = strconv.Itoa(re.Response.StatusCode)
			if re.Response.StatusCode >= 500 {
				return &publisher.PlatformError{Class: publisher.ClassRetryable, Code: code, Message: "Mastodon could not complete the sign-in (" + msg + "); try again."}
			}
		}
		return &publisher.PlatformError{Class: publisher.ClassRejected, Code: code, Message: "Mastodon refused the sign-in (" + msg + "). Start the connection again."}
	}
	return &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Mastodon could not be reached to complete the sign-in; try again.", Err: err}
}
