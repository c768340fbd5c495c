// Package bluesky publishes posts to Bluesky (the AT Protocol;
// platform-apis.md §5.5) through XRPC at Config.ServiceURL (bsky.social,
// the entryway, proxies every call to the account's own PDS and AppView).
//
// # Accounts and sessions
//
// Accounts connect with a form (publisher.CredentialForm): the handle and
// an app password — never the account's own password; VerifyCredentials
// refuses anything not shaped like an app password (xxxx-xxxx-xxxx-xxxx)
// unless Config.AllowAnyPassword. It calls createSession once and keeps the
// session, not the password: publisher.Credentials.AccessToken is the
// access JWT, RefreshToken the refresh JWT, ExpiresAt the access JWT's
// expiry (read from the token, unverified), Extra["did"] and
// Extra["handle"] who it is; publisher.Account.ExternalID is the DID.
// createSession is limited to 30 per 5 minutes and 300 a day per account,
// so Publish never logs in: when the access JWT nears expiry
// (RefreshDue, Config.RefreshMargin before it), the domain calls Refresh,
// which spends the refresh JWT on refreshSession and returns the new pair
// (keeping the old refresh JWT if none came back). A session that can no
// longer be refreshed is an auth error: the account must be connected
// again with an app password. x/oauth2 is not used: atproto OAuth needs
// PAR and DPoP, and app passwords are what Bluesky suggests for servers.
//
// # Publishing and exactly once
//
// Publish uploads each image with uploadBlob (at most 4, 1,000,000 bytes
// each), then calls createRecord with an rkey derived from
// Message.DeliveryID: a TID-shaped key (13 characters of base32-sortable)
// whose 53-bit "timestamp" and 10-bit clock id are cut from SHA-256 of the
// delivery id, the timestamp placed between 2023 and early 2025 so that it
// is never in the future. The same delivery always writes the same record
// key, so
//   - Lookup is exact: getRecord of that key, ErrNotPublished when the PDS
//     says RecordNotFound;
//   - a repeat cannot make a second post: the PDS refuses to create over an
//     existing key (today with a 500, which the domain treats as ambiguous
//     and answers with Lookup; an explicit "record exists" error, proposed
//     upstream, is answered here at once with the existing post).
//
// The record carries the text (the message's link appended on its own
// paragraph unless the text holds it), createdAt, up to three langs, and
// facets, which Bluesky does not detect itself: a link facet over every
// http(s) URL and a tag facet over every #hashtag, with UTF-8 byte
// offsets (Go string indices). No link card (app.bsky.embed.external) is
// made: it needs the page's title, which Prasar does not fetch.
//
// Measure counts grapheme clusters (github.com/rivo/uniseg) against 300;
// Publish also refuses more than 3000 bytes.
//
// # Errors, deleting, metrics
//
// XRPC errors are {"error","message"}: ExpiredToken, InvalidToken,
// AuthMissing, AuthenticationRequired and account takedowns are auth
// errors; RateLimitExceeded (or 429) is rate-limited until ratelimit-reset;
// 5xx is retryable and ambiguous; other 4xx are rejected. Delete uses
// deleteRecord; FetchMetrics reads likeCount, repostCount, replyCount and
// quoteCount from app.bsky.feed.getPosts (there are no impressions or
// reach).
package bluesky

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rivo/uniseg"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

// Config configures the connector. Zero fields take the defaults given on
// each.
type Config struct {
	// ServiceURL is where XRPC calls go (default https://bsky.social;
	// sandbox: BaseURL+sandbox.BlueskyPath).
	ServiceURL string
	// WebURL is where posts are seen, for Published.URL (default
	// https://bsky.app; sandbox: BaseURL+sandbox.BlueskyWebPath).
	WebURL string
	// MaxGraphemes is the longest text (default 300) and MaxBytes its
	// UTF-8 size limit (default 3000).
	MaxGraphemes int
	MaxBytes     int
	// MaxImages is the most images in one post (default 4).
	MaxImages int
	// MaxImageBytes is the largest image (default 1,000,000 bytes).
	MaxImageBytes int64
	// ImageTypes are the accepted MIME types (default JPEG, PNG, WebP).
	ImageTypes []string
	// MaxLangs is the most languages a post names (default 3).
	MaxLangs int
	// RefreshMargin is how long before the access JWT expires RefreshDue
	// says to refresh it (default 15 minutes).
	RefreshMargin time.Duration
	// AllowAnyPassword lets VerifyCredentials take a password that is not
	// shaped like an app password.
	AllowAnyPassword bool
	// RateLimitBackoff is how long a rate limit lasts without
	// ratelimit-reset (default 5 minutes).
	RateLimitBackoff time.Duration
	// MaxResponseBytes caps an answer's size (default 4 MB).
	MaxResponseBytes int64
	// HTTPClient makes the calls (nil: connectors.NewHTTPClient(HTTP)).
	HTTPClient *http.Client
	// HTTP sets the timeouts of the default client.
	HTTP connectors.HTTPConfig
	// Now is the clock for createdAt and reset times (nil: time.Now).
	Now func() time.Time
	// Logger receives one debug line per call, never a token or password
	// (nil: discarded).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.ServiceURL == "" {
		c.ServiceURL = "https://bsky.social"
	}
	if c.WebURL == "" {
		c.WebURL = "https://bsky.app"
	}
	c.ServiceURL, c.WebURL = strings.TrimRight(c.ServiceURL, "/"), strings.TrimRight(c.WebURL, "/")
	if c.MaxGraphemes <= 0 {
		c.MaxGraphemes = 300
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 3000
	}
	if c.MaxImages <= 0 {
		c.MaxImages = 4
	}
	if c.MaxImageBytes <= 0 {
		c.MaxImageBytes = 1000000
	}
	if len(c.ImageTypes) == 0 {
		c.ImageTypes = []string{"image/jpeg", "image/png", "image/webp"}
	}
	if c.MaxLangs <= 0 {
		c.MaxLangs = 3
	}
	if c.RefreshMargin <= 0 {
		c.RefreshMargin = 15 * time.Minute
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

// Connector publishes to Bluesky accounts.
type Connector struct {
	cfg Config
}

var (
	_ publisher.Connector      = (*Connector)(nil)
	_ publisher.CredentialForm = (*Connector)(nil)
	_ publisher.Refresher      = (*Connector)(nil)
	_ publisher.Deleter        = (*Connector)(nil)
	_ publisher.MetricsFetcher = (*Connector)(nil)
)

// New returns a connector configured by cfg.
func New(cfg Config) *Connector { return &Connector{cfg: cfg.withDefaults()} }

// Platform is publisher.Bluesky.
func (c *Connector) Platform() publisher.Platform { return publisher.Bluesky }

// Rules are Bluesky's composing limits as configured.
func (c *Connector) Rules() publisher.PlatformRules {
	return publisher.PlatformRules{
		Platform:      publisher.Bluesky,
		MaxChars:      c.cfg.MaxGraphemes,
		CountUnit:     "graphemes",
		MaxImages:     c.cfg.MaxImages,
		MaxImageBytes: c.cfg.MaxImageBytes,
		ImageTypes:    slices.Clone(c.cfg.ImageTypes),
		Enabled:       true,
	}
}

// Measure counts the grapheme clusters of the text Publish sends.
func (c *Connector) Measure(msg publisher.Message) publisher.Measure {
	return publisher.Measure{Count: uniseg.GraphemeClusterCount(text(msg)), Limit: c.cfg.MaxGraphemes}
}

// text is the post's text: the message's, with its link on its own
// paragraph unless the text already contains it.
func text(msg publisher.Message) string {
	return connectors.WithLink(msg.Text, msg.Link)
}

const postCollection = "app.bsky.feed.post"

// RecordKey is the rkey of the post made for a delivery: TID-shaped, from
// SHA-256 of the delivery id (see the package doc). It is "" for an empty
// id.
func RecordKey(deliveryID string) string {
	if deliveryID == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("prasar-bluesky-rkey\x00" + deliveryID))
	v := binary.BigEndian.Uint64(sum[:8])
	const epoch = 1672531200000000 // 2023-01-01T00:00:00Z in microseconds
	ts := uint64(epoch) + (v>>10)%(1<<46)
	tid := ts<<10 | v&1023
	const alphabet = "234567abcdefghijklmnopqrstuvwxyz"
	out := make([]byte, 13)
	for i := 12; i >= 0; i-- {
		out[i] = alphabet[tid&31]
		tid >>= 5
	}
	return string(out)
}

var (
	urlRE = regexp.MustCompile(`https?://[^\s<>"]+`)
	tagRE = regexp.MustCompile(`(^|[^\p{L}\p{M}\p{N}_&/#])#([\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)`)
)

// facet is an app.bsky.richtext.facet.
type facet struct {
	Index struct {
		ByteStart int `json:"byteStart"`
		ByteEnd   int `json:"byteEnd"`
	} `json:"index"`
	Features []map[string]string `json:"features"`
}

// facets marks the links and hashtags of s, by UTF-8 byte offsets.
func facets(s string) []facet {
	var out []facet
	var links [][2]int
	for _, loc := range urlRE.FindAllStringIndex(s, -1) {
		end := loc[1]
		for end > loc[0] && strings.ContainsRune(".,;:!?'\")]", rune(s[end-1])) {
			end--
		}
		var f facet
		f.Index.ByteStart, f.Index.ByteEnd = loc[0], end
		f.Features = []map[string]string{{"$type": "app.bsky.richtext.facet#link", "uri": s[loc[0]:end]}}
		out = append(out, f)
		links = append(links, [2]int{loc[0], end})
	}
	for _, m := range tagRE.FindAllStringSubmatchIndex(s, -1) {
		start, end := m[4]-1, m[5] // from the "#"
		if slices.ContainsFunc(links, func(l [2]int) bool { return start < l[1] && end > l[0] }) || uniseg.GraphemeClusterCount(s[m[4]:end]) > 64 {
			continue
		}
		var f facet
		f.Index.ByteStart, f.Index.ByteEnd = start, end
		f.Features = []map[string]string{{"$type": "app.bsky.richtext.facet#tag", "tag": s[m[4]:end]}}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b facet) int { return a.Index.ByteStart - b.Index.ByteStart })
	return out
}

func rejected(format string, args ...any) *publisher.PlatformError {
	return &publisher.PlatformError{Class: publisher.ClassRejected, Message: fmt.Sprintf(format, args...)}
}

// target checks that the account and credentials can be used at all.
func target(acct *publisher.Account, cred publisher.Credentials) (did, token string, err error) {
	if acct == nil || !strings.HasPrefix(acct.ExternalID, "did:") || strings.ContainsAny(acct.ExternalID, "/?# ") {
		return "", "", &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no valid Bluesky DID; reconnect it."}
	}
	if cred.AccessToken == "" {
		return "", "", &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no Bluesky session; reconnect it with an app password."}
	}
	return acct.ExternalID, cred.AccessToken, nil
}

// postURL is a post's bsky.app address, by handle where known.
func (c *Connector) postURL(acct *publisher.Account, cred publisher.Credentials, did, rkey string) string {
	who := did
	if h := cred.Extra["handle"]; h != "" && h != "handle.invalid" {
		who = h
	} else if h := strings.TrimPrefix(acct.Handle, "@"); strings.Contains(h, ".") && !strings.ContainsAny(h, "/ ") {
		who = h
	}
	return c.cfg.WebURL + "/profile/" + url.PathEscape(who) + "/post/" + url.PathEscape(rkey)
}

// Publish creates the post (see the package doc). Every failure is a
// *publisher.PlatformError.
func (c *Connector) Publish(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message) (*publisher.Published, error) {
	did, token, err := target(acct, cred)
	if err != nil {
		return nil, err
	}
	body := text(msg)
	if strings.TrimSpace(body) == "" && len(msg.Media) == 0 {
		return nil, rejected("The post is empty.")
	}
	if n := uniseg.GraphemeClusterCount(body); n > c.cfg.MaxGraphemes {
		return nil, rejected("The text is %d characters (grapheme clusters) long; Bluesky allows %d.", n, c.cfg.MaxGraphemes)
	}
	if len(body) > c.cfg.MaxBytes {
		return nil, rejected("The text is %d bytes long in UTF-8; Bluesky allows %d.", len(body), c.cfg.MaxBytes)
	}
	if len(msg.Media) > c.cfg.MaxImages {
		return nil, rejected("The post has %d images; Bluesky allows %d.", len(msg.Media), c.cfg.MaxImages)
	}
	for i, m := range msg.Media {
		if !slices.Contains(c.cfg.ImageTypes, m.ContentType) {
			return nil, rejected("Image %d is %s; Bluesky accepts %s.", i+1, m.ContentType, strings.Join(c.cfg.ImageTypes, ", "))
		}
		if m.Size > c.cfg.MaxImageBytes {
			return nil, rejected("Image %d is larger than %d bytes, Bluesky's limit.", i+1, c.cfg.MaxImageBytes)
		}
	}
	type image struct {
		Alt         string          `json:"alt"`
		Image       json.RawMessage `json:"image"`
		AspectRatio *struct {
			Width  int `json:"width"`
			Height int `json:"height"`
		} `json:"aspectRatio,omitempty"`
	}
	var images []image
	for _, m := range msg.Media {
		blob, err := c.uploadBlob(ctx, token, m)
		if err != nil {
			// A blob on its own is not a post.
			pe := *publisher.AsPlatformError(err)
			pe.Ambiguous = false
			return nil, &pe
		}
		im := image{Alt: m.AltText, Image: blob}
		if m.Width > 0 && m.Height > 0 {
			im.AspectRatio = &struct {
				Width  int `json:"width"`
				Height int `json:"height"`
			}{m.Width, m.Height}
		}
		images = append(images, im)
	}
	record := map[string]any{"$type": postCollection, "text": body, "createdAt": c.cfg.Now().UTC().Format("2006-01-02T15:04:05.000Z")}
	if langs := c.langs(msg.Languages); len(langs) > 0 {
		record["langs"] = langs
	}
	if f := facets(body); len(f) > 0 {
		record["facets"] = f
	}
	if len(images) > 0 {
		record["embed"] = map[string]any{"$type": "app.bsky.embed.images", "images": images}
	}
	rkey := RecordKey(msg.DeliveryID)
	in := map[string]any{"repo": did, "collection": postCollection, "record": record}
	if rkey != "" {
		in["rkey"] = rkey
	}
	var out struct {
		URI string `json:"uri"`
		CID string `json:"cid"`
	}
	err = c.xrpc(ctx, http.MethodPost, "com.atproto.repo.createRecord", nil, token, in, &out)
	var pe *publisher.PlatformError
	if errors.As(err, &pe) && rkey != "" && (pe.Code == "RecordAlreadyExists" || strings.Contains(strings.ToLower(pe.Message), "already exists")) {
		// An earlier attempt made it: that post is this delivery's.
		c.cfg.Logger.InfoContext(ctx, "bluesky: the record key is taken; looking the post up", "did", did, "rkey", rkey)
		return c.Lookup(ctx, acct, cred, msg, time.Time{})
	}
	if err != nil {
		return nil, err
	}
	_, _, key := splitURI(out.URI)
	if out.URI == "" || key == "" {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: true, Message: "Bluesky answered without the post's address."}
	}
	return &publisher.Published{ExternalID: out.URI, URL: c.postURL(acct, cred, did, key)}, nil
}

// langs are the first MaxLangs distinct, non-empty language tags.
func (c *Connector) langs(in []string) []string {
	var out []string
	for _, l := range in {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(out, l) && len(out) < c.cfg.MaxLangs {
			out = append(out, l)
		}
	}
	return out
}

// uploadBlob sends one image's bytes and returns the blob reference.
func (c *Connector) uploadBlob(ctx context.Context, token string, m publisher.MediaRef) (json.RawMessage, error) {
	if m.Open == nil {
		return nil, rejected("Image %s cannot be read.", m.ID)
	}
	data, err := m.Open(ctx)
	if err != nil {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Prasar could not read image " + m.ID + ".", Err: err}
	}
	if int64(len(data)) > c.cfg.MaxImageBytes {
		return nil, rejected("Image %s is larger than %d bytes, Bluesky's limit.", m.ID, c.cfg.MaxImageBytes)
	}
	var out struct {
		Blob json.RawMessage `json:"blob"`
	}
	if err := c.call(ctx, http.MethodPost, "com.atproto.repo.uploadBlob", nil, token, m.ContentType, bytes.NewReader(data), &out); err != nil {
		return nil, err
	}
	if len(out.Blob) == 0 {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Bluesky answered the upload without a blob."}
	}
	return out.Blob, nil
}

// xrpcError is the XRPC error envelope.
type xrpcError struct {
	Name    string `json:"error"`
	Message string `json:"message"`
}

func (e *xrpcError) Error() string { return "bluesky: " + e.Name + ": " + e.Message }

// authErrors are the XRPC error names that mean the session or the account
// is no longer usable.
var authErrors = []string{"ExpiredToken", "InvalidToken", "AuthMissing", "AuthenticationRequired", "AccountTakedown",
	"AccountDeactivated", "AccountSuspended", "InvalidAuthorization"}

// classify turns an XRPC error answer into a *publisher.PlatformError.
func (c *Connector) classify(resp *connectors.Response) *publisher.PlatformError {
	now := c.cfg.Now()
	pe := connectors.StatusError(resp, now, c.cfg.RateLimitBackoff)
	var e xrpcError
	if json.Unmarshal(resp.Body, &e) != nil || e.Name == "" {
		return pe
	}
	pe.Code, pe.Err = e.Name, &e
	pe.Message = e.Name
	if e.Message != "" {
		pe.Message += ": " + e.Message
	}
	switch {
	case e.Name == "RateLimitExceeded" || resp.StatusCode == http.StatusTooManyRequests:
		pe.Class, pe.Ambiguous = publisher.ClassRateLimited, false
		pe.RetryAt = now.Add(c.cfg.RateLimitBackoff)
		if n, err := strconv.ParseInt(resp.Header.Get("RateLimit-Reset"), 10, 64); err == nil && time.Unix(n, 0).After(now) {
			pe.RetryAt = time.Unix(n, 0)
		} else if d, ok := connectors.RetryAfter(resp.Header, now); ok {
			pe.RetryAt = now.Add(d)
		}
	case slices.Contains(authErrors, e.Name):
		pe.Class, pe.Ambiguous = publisher.ClassAuth, false
	}
	return pe
}

// xrpc calls a method with a JSON body (nil for none) or query.
func (c *Connector) xrpc(ctx context.Context, method, nsid string, query url.Values, token string, in, out any) error {
	var body io.Reader
	ct := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return &publisher.PlatformError{Class: publisher.ClassRejected, Message: "Prasar could not encode the Bluesky request.", Err: err}
		}
		body, ct = bytes.NewReader(b), "application/json"
	}
	return c.call(ctx, method, nsid, query, token, ct, body, out)
}

// call makes one XRPC call with the token in the Authorization header and
// decodes a 2xx answer into out (an empty answer leaves it as it is).
func (c *Connector) call(ctx context.Context, method, nsid string, query url.Values, token, contentType string, body io.Reader, out any) error {
	u := c.cfg.ServiceURL + "/xrpc/" + nsid
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return &publisher.PlatformError{Class: publisher.ClassRejected, Message: "Prasar could not build the Bluesky request.", Err: err}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := connectors.Do(c.cfg.HTTPClient, req, c.cfg.MaxResponseBytes)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	c.cfg.Logger.DebugContext(ctx, "bluesky: xrpc call", "nsid", nsid, "status", status, "duration_ms", time.Since(start).Milliseconds())
	if err != nil {
		return err
	}
	if !resp.OK() {
		return c.classify(resp)
	}
	if out != nil && len(bytes.TrimSpace(resp.Body)) > 0 {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: method == http.MethodPost,
				Message: "Bluesky's answer could not be read.", Err: err}
		}
	}
	return nil
}

// splitURI splits at://did/collection/rkey.
func splitURI(uri string) (did, collection, rkey string) {
	rest, ok := strings.CutPrefix(uri, "at://")
	if !ok {
		return "", "", ""
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return "", "", ""
	}
	return parts[0], parts[1], parts[2]
}

// Lookup reads the record this delivery's key names (getRecord). It
// returns publisher.ErrNotPublished when the PDS has no such record, and
// publisher.ErrLookupUnsupported for a message without a delivery id.
func (c *Connector) Lookup(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message, since time.Time) (*publisher.Published, error) {
	did, token, err := target(acct, cred)
	if err != nil {
		return nil, err
	}
	rkey := RecordKey(msg.DeliveryID)
	if rkey == "" {
		return nil, fmt.Errorf("bluesky: a post without a delivery id has no known record key: %w", publisher.ErrLookupUnsupported)
	}
	var out struct {
		URI string `json:"uri"`
	}
	q := url.Values{"repo": {did}, "collection": {postCollection}, "rkey": {rkey}}
	err = c.xrpc(ctx, http.MethodGet, "com.atproto.repo.getRecord", q, token, nil, &out)
	if pe := (*publisher.PlatformError)(nil); errors.As(err, &pe) && pe.Code == "RecordNotFound" {
		return nil, publisher.ErrNotPublished
	}
	if err != nil {
		pe := *publisher.AsPlatformError(err)
		pe.Ambiguous = false
		return nil, &pe
	}
	uri := out.URI
	if _, _, key := splitURI(uri); key != "" {
		rkey = key
	} else {
		uri = "at://" + did + "/" + postCollection + "/" + rkey
	}
	return &publisher.Published{ExternalID: uri, URL: c.postURL(acct, cred, did, rkey)}, nil
}

// Delete removes a post by its at:// URI. One that is already gone is not
// an error.
func (c *Connector) Delete(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, externalID string) error {
	did, token, err := target(acct, cred)
	if err != nil {
		return err
	}
	repo, coll, rkey := splitURI(externalID)
	if repo == "" || coll == "" || rkey == "" {
		return rejected("%q is not a Bluesky post address (at://did/collection/rkey).", externalID)
	}
	if repo != did {
		return rejected("The post %s belongs to another account.", externalID)
	}
	err = c.xrpc(ctx, http.MethodPost, "com.atproto.repo.deleteRecord", nil, token, map[string]string{"repo": did, "collection": coll, "rkey": rkey}, nil)
	if pe := (*publisher.PlatformError)(nil); errors.As(err, &pe) && pe.Code == "RecordNotFound" {
		return nil
	}
	if err != nil {
		pe := *publisher.AsPlatformError(err)
		pe.Ambiguous = false
		return &pe
	}
	return nil
}

// FetchMetrics reads a post's likeCount, repostCount, replyCount and
// quoteCount from app.bsky.feed.getPosts.
func (c *Connector) FetchMetrics(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, externalID string) (*publisher.MetricsResult, error) {
	_, token, err := target(acct, cred)
	if err != nil {
		return nil, err
	}
	var out struct {
		Posts []struct {
			URI         string `json:"uri"`
			LikeCount   *int64 `json:"likeCount"`
			RepostCount *int64 `json:"repostCount"`
			ReplyCount  *int64 `json:"replyCount"`
			QuoteCount  *int64 `json:"quoteCount"`
		} `json:"posts"`
	}
	if err := c.xrpc(ctx, http.MethodGet, "app.bsky.feed.getPosts", url.Values{"uris": {externalID}}, token, nil, &out); err != nil {
		pe := *publisher.AsPlatformError(err)
		pe.Ambiguous = false
		return nil, &pe
	}
	if len(out.Posts) == 0 {
		return nil, rejected("Bluesky does not show the post %s any more (deleted, or taken down).", externalID)
	}
	p := out.Posts[0]
	res := &publisher.MetricsResult{Values: map[string]int64{}, Unavailable: map[string]string{}}
	for name, v := range map[string]*int64{"likeCount": p.LikeCount, "repostCount": p.RepostCount, "replyCount": p.ReplyCount, "quoteCount": p.QuoteCount} {
		if v != nil {
			res.Values[name] = *v
		} else {
			res.Unavailable[name] = "not in Bluesky's answer"
		}
	}
	if len(res.Unavailable) == 0 {
		res.Unavailable = nil
	}
	return res, nil
}

// CredentialFields describes the form that connects an account.
func (c *Connector) CredentialFields() []publisher.CredentialField {
	return []publisher.CredentialField{
		{Name: "handle", Label: "Handle", Required: true,
			Help: "The account's handle, such as agriharyana.bsky.social (without @)."},
		{Name: "app_password", Label: "App password", Secret: true, Required: true,
			Help: "Create one in Bluesky under Settings → Privacy and security → App passwords (it looks like xxxx-xxxx-xxxx-xxxx). Never enter the account's own password."},
	}
}

var appPasswordRE = regexp.MustCompile(`^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$`)

// session is a createSession or refreshSession answer.
type session struct {
	DID        string `json:"did"`
	Handle     string `json:"handle"`
	AccessJwt  string `json:"accessJwt"`
	RefreshJwt string `json:"refreshJwt"`
	Active     *bool  `json:"active"`
	Status     string `json:"status"`
}

// credentials turns a session into credentials, keeping old's refresh
// token when the session brings none.
func credentials(s session, old publisher.Credentials) publisher.Credentials {
	cred := publisher.Credentials{AccessToken: s.AccessJwt, RefreshToken: s.RefreshJwt, Extra: map[string]string{}}
	for k, v := range old.Extra {
		cred.Extra[k] = v
	}
	if cred.RefreshToken == "" {
		cred.RefreshToken = old.RefreshToken
	}
	if s.DID != "" {
		cred.Extra["did"] = s.DID
	}
	if s.Handle != "" {
		cred.Extra["handle"] = s.Handle
	}
	if t, ok := jwtExpiry(s.AccessJwt); ok {
		cred.ExpiresAt = &t
	}
	return cred
}

// jwtExpiry reads a JWT's exp claim without checking the signature (only
// the PDS can); it tells when to refresh.
func jwtExpiry(tok string) (time.Time, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if err != nil || json.Unmarshal(b, &claims) != nil || claims.Exp <= 0 {
		return time.Time{}, false
	}
	return time.Unix(claims.Exp, 0).UTC(), true
}

// VerifyCredentials signs in with a handle and app password
// (createSession) and returns the account with its session. Wrong
// credentials are ClassAuth; a password not shaped like an app password is
// refused without calling.
func (c *Connector) VerifyCredentials(ctx context.Context, values map[string]string) (*publisher.GrantedAccount, error) {
	handle := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(values["handle"]), "@"))
	password := strings.TrimSpace(values["app_password"])
	if handle == "" || password == "" {
		return nil, &publisher.PlatformError{Class: publisher.ClassAuth, Message: "Enter the account's handle and an app password."}
	}
	if !c.cfg.AllowAnyPassword && !appPasswordRE.MatchString(password) {
		return nil, rejected("That is not an app password. Create one in Bluesky under Settings → Privacy and security → App passwords (it looks like xxxx-xxxx-xxxx-xxxx); never enter the account's own password.")
	}
	var s session
	err := c.xrpc(ctx, http.MethodPost, "com.atproto.server.createSession", nil, "", map[string]string{"identifier": handle, "password": password}, &s)
	if err != nil {
		pe := *publisher.AsPlatformError(err)
		pe.Ambiguous = false
		if pe.Class == publisher.ClassAuth {
			pe.Message = "Bluesky did not accept the handle and app password (" + pe.Message + ")."
		}
		return nil, &pe
	}
	if s.DID == "" || s.AccessJwt == "" {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Bluesky's sign-in answer had no session."}
	}
	if s.Active != nil && !*s.Active {
		return nil, &publisher.PlatformError{Class: publisher.ClassAuth, Message: "Bluesky says the account is not active (" + s.Status + ")."}
	}
	g := &publisher.GrantedAccount{ExternalID: s.DID, Handle: "@" + s.Handle, DisplayName: s.Handle, Credentials: credentials(s, publisher.Credentials{})}
	if s.Handle != "" && s.Handle != "handle.invalid" {
		g.ProfileURL = c.cfg.WebURL + "/profile/" + url.PathEscape(s.Handle)
	}
	return g, nil
}

// RefreshDue reports whether the access JWT expires within RefreshMargin
// of now and there is a refresh JWT to renew it with.
func (c *Connector) RefreshDue(cred publisher.Credentials, now time.Time) bool {
	return cred.RefreshToken != "" && cred.ExpiresAt != nil && !now.Before(cred.ExpiresAt.Add(-c.cfg.RefreshMargin))
}

// Refresh spends the refresh JWT on refreshSession and returns the new
// session. A refresh JWT that is expired, revoked or already spent is
// ClassAuth: connect the account again.
func (c *Connector) Refresh(ctx context.Context, acct *publisher.Account, cred publisher.Credentials) (publisher.Credentials, error) {
	if cred.RefreshToken == "" {
		return cred, &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The Bluesky session cannot be renewed (no refresh token); reconnect the account with an app password."}
	}
	var s session
	if err := c.xrpc(ctx, http.MethodPost, "com.atproto.server.refreshSession", nil, cred.RefreshToken, nil, &s); err != nil {
		pe := *publisher.AsPlatformError(err)
		pe.Ambiguous = false
		if pe.Class == publisher.ClassAuth {
			pe.Message = "The Bluesky session can no longer be renewed (" + pe.Message + "); reconnect the account with an app password."
		}
		return cred, &pe
	}
	if s.AccessJwt == "" {
		return cred, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Bluesky's refresh answer had no session."}
	}
	return credentials(s, cred), nil
}
