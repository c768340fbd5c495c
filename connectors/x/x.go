// Package x publishes to X (Twitter) through its API v2 (platform-apis.md
// §3): text posts and posts with up to four images to POST /2/tweets, images
// uploaded first through the v2 media endpoints. It looks posts up in the
// account's timeline for the exactly-once protocol, connects accounts with
// OAuth 2.0 authorization code + PKCE (golang.org/x/oauth2), refreshes
// their rotating single-use refresh tokens, deletes posts and reads their
// metrics.
//
// The X user id is publisher.Account.ExternalID, the username its Handle;
// the user-context access token is publisher.Credentials.AccessToken and
// the refresh token Credentials.RefreshToken. Tokens travel in the
// Authorization header (the client secret in the token call's Basic
// authorization) and are never logged nor put in an error message.
//
// Text is weighed with twitter-text v3 (count.go): Measure and the local
// length check count exactly the text Publish sends.
package x

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

// Config configures the connector. Zero fields take the defaults given on
// each; every limit is a setting because X changes them.
type Config struct {
	// APIURL is the API host (default https://api.x.com; sandbox:
	// BaseURL+sandbox.XAPIPath). Paths start with /2/.
	APIURL string
	// AuthURL is the consent page (default https://x.com/i/oauth2/authorize;
	// sandbox: BaseURL+sandbox.XAuthorizePath).
	AuthURL string
	// TokenURL is the token endpoint (default https://api.x.com/2/oauth2/token;
	// sandbox: BaseURL+sandbox.XTokenPath).
	TokenURL string
	// WebURL is where posts are seen, for Published.URL (default
	// https://x.com; sandbox: BaseURL+sandbox.XWebPath).
	WebURL string
	// ClientID and ClientSecret identify the X app. With a secret the app
	// is a confidential client and authenticates token calls with HTTP
	// Basic authorization; without one it is a public client and sends
	// client_id in the form.
	ClientID     string
	ClientSecret string
	// Scopes are requested on the consent page (default tweet.read
	// tweet.write users.read offline.access media.write).
	Scopes []string
	// TextConfig is the twitter-text weighting (nil: ConfigV3()).
	TextConfig *TextConfig
	// MaxWeighted is the longest text in weighted characters (default 280,
	// or TextConfig's maxWeightedTweetLength when TextConfig is set); it
	// overrides the configuration's limit.
	MaxWeighted int
	// MaxImages is the most images in one post (default 4).
	MaxImages int
	// MaxImageBytes is the largest image (default 5 MB).
	MaxImageBytes int64
	// ImageTypes are the accepted MIME types (default JPEG, PNG, GIF, WEBP).
	ImageTypes []string
	// ChunkedTypes are uploaded with initialize/append/finalize and
	// processed before use (default image/gif, as tweet_gif); the others
	// in one POST /2/media/upload (as tweet_image).
	ChunkedTypes []string
	// ChunkBytes is the size of one appended segment (default 1 MiB).
	ChunkBytes int
	// MediaPollInterval is the wait between processing checks when X does
	// not give check_after_secs (default 1s); MediaPollMax caps any one
	// wait (default 10s); MediaProcessingTimeout bounds the whole wait
	// (default 2 minutes).
	MediaPollInterval      time.Duration
	MediaPollMax           time.Duration
	MediaProcessingTimeout time.Duration
	// MaxAltTextChars is the longest alt text sent (default 1000); longer
	// texts are cut.
	MaxAltTextChars int
	// RateLimitBackoff is how long a rate limit lasts when X's headers do
	// not say (default 15 minutes).
	RateLimitBackoff time.Duration
	// UsageCapBackoff is how long a usage cap (credits or a plan's quota
	// exhausted) lasts when neither the headers nor the answer's period
	// say (default 1 hour).
	UsageCapBackoff time.Duration
	// LookupPageSize is the timeline page size Lookup asks for (default
	// 100, X's maximum) and LookupMaxPages how many pages it reads before
	// giving up (default 5).
	LookupPageSize int
	LookupMaxPages int
	// RefreshMargin is how long before the access token expires RefreshDue
	// says to refresh (default 10 minutes; X's tokens last 2 hours).
	RefreshMargin time.Duration
	// MetricFields are the tweet.fields FetchMetrics asks for (default
	// public_metrics, non_public_metrics, organic_metrics).
	MetricFields []string
	// MaxResponseBytes caps an answer's size (default 4 MB).
	MaxResponseBytes int64
	// HTTPClient makes the calls (nil: connectors.NewHTTPClient(HTTP)).
	HTTPClient *http.Client
	// HTTP sets the timeouts of the default client.
	HTTP connectors.HTTPConfig
	// Now is the clock for reset and expiry times (nil: time.Now).
	Now func() time.Time
	// Logger receives one debug line per call (nil: discarded).
	Logger *slog.Logger
}

// DefaultScopes are the OAuth scopes requested by default: posting, reading
// the account and its posts, uploading media, and a refresh token.
var DefaultScopes = []string{"tweet.read", "tweet.write", "users.read", "offline.access", "media.write"}

func (c Config) withDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
		*s = strings.TrimRight(*s, "/")
	}
	def(&c.APIURL, "https://api.x.com")
	def(&c.AuthURL, "https://x.com/i/oauth2/authorize")
	def(&c.TokenURL, "https://api.x.com/2/oauth2/token")
	def(&c.WebURL, "https://x.com")
	if len(c.Scopes) == 0 {
		c.Scopes = slices.Clone(DefaultScopes)
	}
	tc := ConfigV3()
	if c.TextConfig != nil {
		tc = c.TextConfig.clone()
	}
	if c.MaxWeighted > 0 {
		tc.MaxWeightedTweetLength = c.MaxWeighted
	}
	c.MaxWeighted = tc.MaxWeightedTweetLength
	c.TextConfig = &tc
	if c.MaxImages <= 0 {
		c.MaxImages = 4
	}
	if c.MaxImageBytes <= 0 {
		c.MaxImageBytes = 5 << 20
	}
	if len(c.ImageTypes) == 0 {
		c.ImageTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp"}
	}
	if c.ChunkedTypes == nil {
		c.ChunkedTypes = []string{"image/gif"}
	}
	if c.ChunkBytes <= 0 {
		c.ChunkBytes = 1 << 20
	}
	defDur := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defDur(&c.MediaPollInterval, time.Second)
	defDur(&c.MediaPollMax, 10*time.Second)
	defDur(&c.MediaProcessingTimeout, 2*time.Minute)
	defDur(&c.RateLimitBackoff, 15*time.Minute)
	defDur(&c.UsageCapBackoff, time.Hour)
	defDur(&c.RefreshMargin, 10*time.Minute)
	if c.MaxAltTextChars <= 0 {
		c.MaxAltTextChars = 1000
	}
	if c.LookupPageSize <= 0 {
		c.LookupPageSize = 100
	}
	if c.LookupMaxPages <= 0 {
		c.LookupMaxPages = 5
	}
	if len(c.MetricFields) == 0 {
		c.MetricFields = []string{"public_metrics", "non_public_metrics", "organic_metrics"}
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

// Connector publishes to X.
type Connector struct {
	cfg Config
}

var (
	_ publisher.Connector      = (*Connector)(nil)
	_ publisher.Authorizer     = (*Connector)(nil)
	_ publisher.Refresher      = (*Connector)(nil)
	_ publisher.Deleter        = (*Connector)(nil)
	_ publisher.MetricsFetcher = (*Connector)(nil)
)

// New returns a connector configured by cfg.
func New(cfg Config) *Connector {
	return &Connector{cfg: cfg.withDefaults()}
}

// Platform is publisher.X.
func (c *Connector) Platform() publisher.Platform { return publisher.X }

// Rules are X's composing limits as configured.
func (c *Connector) Rules() publisher.PlatformRules {
	return publisher.PlatformRules{
		Platform:      publisher.X,
		MaxChars:      c.cfg.MaxWeighted,
		CountUnit:     "weighted",
		MaxImages:     c.cfg.MaxImages,
		MaxImageBytes: c.cfg.MaxImageBytes,
		ImageTypes:    slices.Clone(c.cfg.ImageTypes),
		Enabled:       true,
	}
}

// Measure weighs the text Publish sends (see text) with twitter-text v3:
// every URL counts 23, an emoji sequence 2, code points below U+1100 (Latin,
// Devanagari, Gurmukhi and the other Indic scripts, each combining sign
// included) 1, CJK and most symbols 2; the text is NFC-normalised first.
func (c *Connector) Measure(msg publisher.Message) publisher.Measure {
	return publisher.Measure{Count: WeightedLength(c.text(msg), *c.cfg.TextConfig), Limit: c.cfg.MaxWeighted}
}

// text is what is posted for msg: its text, with the link appended on its
// own paragraph unless the text already contains it (X has no separate
// link field; it turns the URL into a card).
func (c *Connector) text(msg publisher.Message) string {
	return connectors.WithLink(msg.Text, msg.Link)
}

func rejected(format string, args ...any) *publisher.PlatformError {
	return &publisher.PlatformError{Class: publisher.ClassRejected, Message: fmt.Sprintf(format, args...)}
}

func authError(msg string) *publisher.PlatformError {
	return &publisher.PlatformError{Class: publisher.ClassAuth, Message: msg}
}

// token checks that the credentials can be used at all.
func token(acct *publisher.Account, cred publisher.Credentials) (string, error) {
	if acct == nil {
		return "", authError("There is no X account to publish to; reconnect it.")
	}
	if cred.AccessToken == "" {
		return "", authError("The account has no X access token; reconnect it.")
	}
	return cred.AccessToken, nil
}

// userID checks the account's X user id, needed to read its timeline.
func userID(acct *publisher.Account) (string, error) {
	if acct == nil || !isID(acct.ExternalID) {
		return "", authError("The account has no valid X user id; reconnect it.")
	}
	return acct.ExternalID, nil
}

// isID reports whether s is an X id: 1 to 19 digits.
func isID(s string) bool {
	if len(s) == 0 || len(s) > 19 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// createRequest is the body of POST /2/tweets. Only the fields Prasar uses
// are declared: X rejects unknown fields.
type createRequest struct {
	Text  string       `json:"text,omitempty"`
	Media *createMedia `json:"media,omitempty"`
}

type createMedia struct {
	MediaIDs []string `json:"media_ids"`
}

// Publish uploads the images, then creates the post. Every failure is a
// *publisher.PlatformError; failed uploads are never ambiguous (an upload
// is not a post), a failed create is whenever the request may have landed.
func (c *Connector) Publish(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message) (*publisher.Published, error) {
	tok, err := token(acct, cred)
	if err != nil {
		return nil, err
	}
	text := c.text(msg)
	if err := c.check(text, msg.Media); err != nil {
		return nil, err
	}
	req := createRequest{Text: text}
	if len(msg.Media) > 0 {
		req.Media = &createMedia{}
		for _, m := range msg.Media {
			id, err := c.upload(ctx, tok, m)
			if err != nil {
				pe := *publisher.AsPlatformError(err)
				pe.Ambiguous = false
				return nil, &pe
			}
			req.Media.MediaIDs = append(req.Media.MediaIDs, id)
		}
	}
	body, _ := json.Marshal(req)
	var out struct {
		Data struct {
			ID   string `json:"id"`
			Text string `json:"text"`
		} `json:"data"`
	}
	if err := c.call(ctx, http.MethodPost, "/2/tweets", nil, tok, "application/json", body, &out); err != nil {
		return nil, err
	}
	if !isID(out.Data.ID) {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: true, Message: "X answered without the post's id."}
	}
	return c.published(acct, out.Data.ID), nil
}

// check refuses locally what X would refuse: text too long or unpostable,
// an empty post, too many images, wrong types or sizes.
func (c *Connector) check(text string, media []publisher.MediaRef) error {
	blank := strings.TrimSpace(text) == ""
	if blank && len(media) == 0 {
		return rejected("The post is empty.")
	}
	if !blank {
		r := ParseTweet(text, *c.cfg.TextConfig)
		switch {
		case r.WeightedLength > c.cfg.MaxWeighted:
			return rejected("The text weighs %d characters as X counts them; X allows %d.", r.WeightedLength, c.cfg.MaxWeighted)
		case !r.Valid:
			return rejected("The text contains characters X does not accept (U+FFFE, U+FEFF or U+FFFF).")
		}
	}
	if len(media) > c.cfg.MaxImages {
		return rejected("The post has %d images; X allows %d in one post.", len(media), c.cfg.MaxImages)
	}
	for i, m := range media {
		if !slices.Contains(c.cfg.ImageTypes, m.ContentType) {
			return rejected("Image %d is %s; X accepts %s.", i+1, m.ContentType, strings.Join(c.cfg.ImageTypes, ", "))
		}
		if m.Size > c.cfg.MaxImageBytes {
			return rejected("Image %d is larger than %s.", i+1, megabytes(c.cfg.MaxImageBytes))
		}
	}
	return nil
}

func megabytes(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// published builds the result for post id: the post's page under the
// account's username, or X's handle-less status URL when the username is
// not known.
func (c *Connector) published(acct *publisher.Account, id string) *publisher.Published {
	u := c.cfg.WebURL + "/i/web/status/" + id
	if acct != nil && acct.Handle != "" {
		u = c.cfg.WebURL + "/" + url.PathEscape(strings.TrimPrefix(acct.Handle, "@")) + "/status/" + id
	}
	return &publisher.Published{ExternalID: id, URL: u}
}
