// Package instagram publishes to Instagram professional accounts through
// Meta's content publishing API (platform-apis.md §2): a single image or a
// carousel of 2–10, as media containers that Instagram fetches from
// publisher.MediaRef.URL, processes, and then publishes with media_publish.
// It looks posts up for the exactly-once protocol, connects accounts
// through OAuth (Authorizer), renews tokens (Refresher) and reads media
// insights (MetricsFetcher). It does not implement publisher.Deleter: the
// Instagram API cannot delete media (see Connector).
//
// Both API flavours are supported (Config.Login): Instagram Login, on
// graph.instagram.com with an Instagram user token (the default, and what
// sandbox mode uses), and Facebook Login, on graph.facebook.com with the
// token of the Facebook Page the account is linked to.
//
// The Instagram account id is publisher.Account.ExternalID and the token is
// publisher.Credentials.AccessToken. Graph calls carry the token in the
// Authorization header, never in a URL; the token endpoints that Meta
// documents as GET with the token in the query (ig_exchange_token,
// ig_refresh_token) are the exception, and connectors.Do keeps queries out
// of every error. Nothing logs a token.
package instagram

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

// Login is an Instagram API flavour (platform-apis.md §2.1).
type Login string

// Flavours.
const (
	// InstagramLogin is the Instagram API with Instagram Login (Business
	// Login for Instagram): graph.instagram.com, Instagram user tokens.
	InstagramLogin Login = "instagram"
	// FacebookLogin is the Instagram API with Facebook Login:
	// graph.facebook.com, the token of the Page the account is linked to.
	FacebookLogin Login = "facebook"
)

// Config configures the connector. Zero fields take the defaults given on
// each; every limit is a setting because Meta changes them.
type Config struct {
	// Login chooses the API flavour (default InstagramLogin).
	Login Login
	// GraphURL is the Graph API host (default https://graph.instagram.com
	// with Instagram Login, https://graph.facebook.com with Facebook Login;
	// sandbox: BaseURL+"/sandbox/instagram/graph").
	GraphURL string
	// APIURL is the host of Instagram Login's code exchange (default
	// https://api.instagram.com; sandbox: BaseURL+"/sandbox/instagram/api").
	APIURL string
	// WebURL is Instagram's web host: Instagram Login's consent page
	// (WebURL+"/oauth/authorize") and profile links (default
	// https://www.instagram.com; sandbox: BaseURL+"/sandbox/instagram/www").
	WebURL string
	// FacebookWebURL is the host of Facebook Login's dialog, with Facebook
	// Login (default https://www.facebook.com; sandbox:
	// BaseURL+"/sandbox/facebook/www").
	FacebookWebURL string
	// APIVersion is the Graph API version in every versioned path (default
	// v25.0).
	APIVersion string
	// AppID and AppSecret identify the app: the Instagram app id and secret
	// with Instagram Login, the Meta app's with Facebook Login.
	AppID     string
	AppSecret string
	// Scopes are the permissions asked for (default
	// instagram_business_basic, instagram_business_content_publish,
	// instagram_business_manage_insights with Instagram Login;
	// instagram_basic, instagram_content_publish, instagram_manage_insights,
	// pages_show_list, pages_read_engagement with Facebook Login).
	Scopes []string
	// MaxChars is the longest caption (default 2200).
	MaxChars int
	// MaxHashtags is the most hashtags in a caption (default 5, Instagram's
	// limit since December 2025; the API documents 30).
	MaxHashtags int
	// MaxMentions is the most @-mentions in a caption (default 20).
	MaxMentions int
	// MaxImages is the most images in a carousel (default 10).
	MaxImages int
	// MaxImageBytes is the largest image (default 8 MiB).
	MaxImageBytes int64
	// ImageTypes are the accepted MIME types (default JPEG only).
	ImageTypes []string
	// MinAspectRatio and MaxAspectRatio bound width/height for images
	// whose size is known (default 0.8, i.e. 4:5, and 1.91).
	MinAspectRatio float64
	MaxAspectRatio float64
	// MaxAltTextChars is the longest alt text (default 1000).
	MaxAltTextChars int
	// PollInterval is how often a container's status is read while
	// Instagram processes it (default 2s), and PollTimeout how long Publish
	// waits for it in all (default 60s: Publish fits in a 90-second task).
	PollInterval time.Duration
	PollTimeout  time.Duration
	// ContainerReuse is how long a container made for a delivery is
	// remembered, so that the delivery's next attempt in this process
	// publishes it instead of making another (default 23h, under the
	// containers' 24-hour life; negative: never reuse).
	ContainerReuse time.Duration
	// RateLimitBackoff is how long a rate limit lasts when Meta does not
	// say (default 15 minutes).
	RateLimitBackoff time.Duration
	// LookupPageSize is the media page size Lookup asks for (default 50)
	// and LookupMaxPages how many pages it reads (default 4).
	LookupPageSize int
	LookupMaxPages int
	// Metrics are the media insights FetchMetrics reads, valid for
	// APIVersion (default reach, views, likes, comments, shares, saved,
	// total_interactions).
	Metrics []string
	// RefreshBefore is how long before expiry a token is renewed (default
	// 10 days), MinRefreshAge how old it must be first (default 24h, Meta's
	// rule) and TokenLifetime how long a long-lived token lasts, used when
	// the issue time is unknown (default 60 days).
	RefreshBefore time.Duration
	MinRefreshAge time.Duration
	TokenLifetime time.Duration
	// MaxResponseBytes caps an answer's size (default 4 MB).
	MaxResponseBytes int64
	// HTTPClient makes the calls (nil: connectors.NewHTTPClient(HTTP)).
	HTTPClient *http.Client
	// HTTP sets the timeouts of the default client.
	HTTP connectors.HTTPConfig
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Sleep waits between status polls (nil: a timer that stops early when
	// ctx is done). Tests advance a fake clock instead.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives one debug line per call (nil: discarded).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Login == "" {
		c.Login = InstagramLogin
	}
	if c.GraphURL == "" {
		c.GraphURL = "https://graph.instagram.com"
		if c.Login == FacebookLogin {
			c.GraphURL = "https://graph.facebook.com"
		}
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
		*s = strings.TrimRight(*s, "/")
	}
	def(&c.GraphURL, "")
	def(&c.APIURL, "https://api.instagram.com")
	def(&c.WebURL, "https://www.instagram.com")
	def(&c.FacebookWebURL, "https://www.facebook.com")
	def(&c.APIVersion, "v25.0")
	if len(c.Scopes) == 0 {
		c.Scopes = []string{"instagram_business_basic", "instagram_business_content_publish", "instagram_business_manage_insights"}
		if c.Login == FacebookLogin {
			c.Scopes = []string{"instagram_basic", "instagram_content_publish", "instagram_manage_insights", "pages_show_list", "pages_read_engagement"}
		}
	}
	defInt := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	defDur := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt(&c.MaxChars, 2200)
	defInt(&c.MaxHashtags, 5)
	defInt(&c.MaxMentions, 20)
	defInt(&c.MaxImages, 10)
	defInt(&c.MaxAltTextChars, 1000)
	defInt(&c.LookupPageSize, 50)
	defInt(&c.LookupMaxPages, 4)
	if c.MaxImageBytes <= 0 {
		c.MaxImageBytes = 8 << 20
	}
	if len(c.ImageTypes) == 0 {
		c.ImageTypes = []string{"image/jpeg"}
	}
	if c.MinAspectRatio <= 0 {
		c.MinAspectRatio = 0.8
	}
	if c.MaxAspectRatio <= 0 {
		c.MaxAspectRatio = 1.91
	}
	defDur(&c.PollInterval, 2*time.Second)
	defDur(&c.PollTimeout, 60*time.Second)
	if c.ContainerReuse == 0 {
		c.ContainerReuse = 23 * time.Hour
	}
	defDur(&c.RateLimitBackoff, 15*time.Minute)
	if len(c.Metrics) == 0 {
		c.Metrics = []string{"reach", "views", "likes", "comments", "shares", "saved", "total_interactions"}
	}
	defDur(&c.RefreshBefore, 10*24*time.Hour)
	defDur(&c.MinRefreshAge, 24*time.Hour)
	defDur(&c.TokenLifetime, 60*24*time.Hour)
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = connectors.DefaultMaxBody
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = connectors.SleepContext
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.HTTPClient == nil {
		c.HTTPClient = connectors.NewHTTPClient(c.HTTP)
	}
	return c
}

// Connector publishes to Instagram professional accounts.
//
// It does not implement publisher.Deleter, on purpose: the Instagram API
// has no call that deletes media (a DELETE on a media id is refused as an
// unsupported request), so a published post can only be removed in the
// Instagram app. Not implementing the interface lets Prasar say so before
// anyone tries.
type Connector struct {
	cfg        Config
	classify   connectors.GraphClassifier
	containers connectors.GraphContainers
}

var (
	_ publisher.Connector      = (*Connector)(nil)
	_ publisher.Authorizer     = (*Connector)(nil)
	_ publisher.Refresher      = (*Connector)(nil)
	_ publisher.MetricsFetcher = (*Connector)(nil)
)

// New returns a connector configured by cfg.
func New(cfg Config) *Connector {
	cfg = cfg.withDefaults()
	return &Connector{cfg: cfg, classify: connectors.GraphClassifier{DefaultBackoff: cfg.RateLimitBackoff, Now: cfg.Now}}
}

// Platform is publisher.Instagram.
func (c *Connector) Platform() publisher.Platform { return publisher.Instagram }

// Rules are Instagram's composing limits as configured. The mention limit
// has no place in publisher.PlatformRules; Publish enforces it.
func (c *Connector) Rules() publisher.PlatformRules {
	return publisher.PlatformRules{
		Platform:      publisher.Instagram,
		MaxChars:      c.cfg.MaxChars,
		CountUnit:     "characters",
		RequiresMedia: true,
		MaxImages:     c.cfg.MaxImages,
		MaxImageBytes: c.cfg.MaxImageBytes,
		ImageTypes:    slices.Clone(c.cfg.ImageTypes),
		MaxHashtags:   c.cfg.MaxHashtags,
		Enabled:       true,
	}
}

// Measure counts the caption Publish sends (see caption) in Unicode code
// points: Instagram documents its limit in characters without a counting
// rule, and Prasar sends the text unchanged. Devanagari combining signs
// count one each.
func (c *Connector) Measure(msg publisher.Message) publisher.Measure {
	return publisher.Measure{Count: utf8.RuneCountInString(caption(msg)), Limit: c.cfg.MaxChars}
}

// caption is the caption posted for msg: its text, with the link appended
// on its own paragraph unless the text already contains it (Instagram has
// no link field; links in captions are not clickable but can be copied).
func caption(msg publisher.Message) string {
	return connectors.WithLink(msg.Text, msg.Link)
}

var (
	// A hashtag is # followed by letters, marks, digits or underscores
	// (Devanagari included), not all digits, and not inside a word.
	hashtagRE = regexp.MustCompile(`(?:^|[^\p{L}\p{M}\p{N}_&])#[\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_]`)
	// A mention is @ and a username (letters, digits, periods,
	// underscores), not inside a word or an e-mail address.
	mentionRE = regexp.MustCompile(`(?:^|[^\p{L}\p{M}\p{N}_.@])@[A-Za-z0-9_.]*[A-Za-z0-9_]`)
)

// Hashtags counts a caption's hashtags as Instagram recognises them.
func Hashtags(text string) int { return len(hashtagRE.FindAllString(text, -1)) }

// Mentions counts a caption's @-mentions.
func Mentions(text string) int { return len(mentionRE.FindAllString(text, -1)) }

// normalise makes captions comparable: line endings as "\n", no
// surrounding space.
func normalise(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimSpace(s)
}

func rejected(format string, args ...any) *publisher.PlatformError {
	return &publisher.PlatformError{Class: publisher.ClassRejected, Message: fmt.Sprintf(format, args...)}
}

// notAmbiguous returns err as a *publisher.PlatformError that says the
// call created nothing visible (a read, a container).
func notAmbiguous(err error) *publisher.PlatformError {
	pe := *publisher.AsPlatformError(err)
	pe.Ambiguous = false
	return &pe
}

// target checks that the account and credentials can be used at all.
func target(acct *publisher.Account, cred publisher.Credentials) (user, token string, err error) {
	if acct == nil || strings.TrimSpace(acct.ExternalID) == "" || strings.ContainsAny(acct.ExternalID, "/?#&% ") {
		return "", "", &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no valid Instagram account id; reconnect it."}
	}
	if cred.AccessToken == "" {
		return "", "", &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no Instagram access token; reconnect it."}
	}
	return acct.ExternalID, cred.AccessToken, nil
}

// check refuses, before any call, what Instagram would refuse.
func (c *Connector) check(msg publisher.Message, text string) error {
	if n := utf8.RuneCountInString(text); n > c.cfg.MaxChars {
		return rejected("The caption is %d characters long; Instagram allows %d.", n, c.cfg.MaxChars)
	}
	if n := Hashtags(text); n > c.cfg.MaxHashtags {
		return rejected("The caption has %d hashtags; Instagram allows %d.", n, c.cfg.MaxHashtags)
	}
	if n := Mentions(text); n > c.cfg.MaxMentions {
		return rejected("The caption mentions %d accounts; Instagram allows %d.", n, c.cfg.MaxMentions)
	}
	switch n := len(msg.Media); {
	case n == 0:
		return rejected("Instagram posts need an image.")
	case n > c.cfg.MaxImages:
		return rejected("The post has %d images; Instagram allows %d in a carousel.", n, c.cfg.MaxImages)
	}
	for i, m := range msg.Media {
		switch {
		case !slices.Contains(c.cfg.ImageTypes, m.ContentType):
			return rejected("Image %d is %s; Instagram accepts %s.", i+1, m.ContentType, strings.Join(c.cfg.ImageTypes, ", "))
		case m.Size > c.cfg.MaxImageBytes:
			return rejected("Image %d is larger than %d MB; Instagram accepts up to %d MB.", i+1, c.cfg.MaxImageBytes>>20, c.cfg.MaxImageBytes>>20)
		case m.URL == "":
			return rejected("Image %d has no public URL for Instagram to fetch.", i+1)
		case !isASCII(m.URL):
			return rejected("Image %d's URL has non-ASCII characters, which Instagram cannot fetch.", i+1)
		case utf8.RuneCountInString(m.AltText) > c.cfg.MaxAltTextChars:
			return rejected("The image description is %d characters long; Instagram allows %d.", utf8.RuneCountInString(m.AltText), c.cfg.MaxAltTextChars)
		}
		if m.Width > 0 && m.Height > 0 {
			r := float64(m.Width) / float64(m.Height)
			if r < c.cfg.MinAspectRatio-0.005 || r > c.cfg.MaxAspectRatio+0.005 {
				return rejected("Image %d is %d×%d; Instagram accepts width/height between %.2f (4:5) and %.2f.", i+1, m.Width, m.Height, c.cfg.MinAspectRatio, c.cfg.MaxAspectRatio)
			}
		}
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Publish creates the post: a media container for one image, or one per
// image and a CAROUSEL container for several; waits until Instagram has
// processed it; checks the account's publishing quota; publishes it; and
// reads its permalink. Every failure is a *publisher.PlatformError. Only a
// failed media_publish can be ambiguous: containers are not posts.
//
// A container still IN_PROGRESS after PollTimeout gives a retryable error
// that is not ambiguous and names the container. The domain has no place
// to carry the container id to the next attempt (publisher.PlatformError
// has none, and attempts may run in other processes), so the connector
// remembers it in memory for ContainerReuse, keyed by the delivery: an
// attempt in the same process publishes it once it is ready; elsewhere a
// new container is made and the old one expires unused after 24 h.
func (c *Connector) Publish(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message) (*publisher.Published, error) {
	user, token, err := target(acct, cred)
	if err != nil {
		return nil, err
	}
	text := caption(msg)
	if err := c.check(msg, text); err != nil {
		return nil, err
	}
	deadline := c.cfg.Now().Add(c.cfg.PollTimeout)
	key, fingerprint := reuseKey(user, msg, text)
	creation, err := c.prepare(ctx, user, token, msg, text, key, fingerprint, deadline)
	if err != nil {
		return nil, err
	}
	if err := c.checkQuota(ctx, user, token); err != nil {
		return nil, err
	}
	// From here on the container is spent, whatever happens.
	c.containers.Forget(key)
	var out struct {
		ID string `json:"id"`
	}
	err = c.call(ctx, http.MethodPost, "/"+url.PathEscape(user)+"/media_publish", nil, token, url.Values{"creation_id": {creation}}, &out)
	if err != nil {
		return nil, c.publishError(ctx, user, token, err)
	}
	if out.ID == "" {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: true, Message: "Instagram answered media_publish without a media id."}
	}
	return &publisher.Published{ExternalID: out.ID, URL: c.permalink(ctx, acct, token, out.ID)}, nil
}

// publishError refines a failed media_publish: answers that say nothing
// was published are not ambiguous, and the daily limit resets when the
// oldest post leaves the rolling window.
func (c *Connector) publishError(ctx context.Context, user, token string, err error) error {
	pe := publisher.AsPlatformError(err)
	var ge *connectors.GraphError
	if !errors.As(pe, &ge) {
		return pe
	}
	switch {
	case ge.Code == 9 || ge.Subcode == 2207042:
		out := *pe
		out.RetryAt = c.windowReset(ctx, user, token, 24*time.Hour)
		out.Message = "Instagram's limit of posts a day through the API is reached for this account: " + pe.Message
		return &out
	case ge.Code == 9007 || slices.Contains([]int{2207020, 2207027, 2207032, 2207053, 2207008}, ge.Subcode):
		// The container was refused: nothing was published.
		return notAmbiguous(pe)
	}
	return pe
}

// permalink reads a published media's permalink. The post exists whatever
// happens here, so a failure is logged, not returned: the URL falls back to
// the account's profile.
func (c *Connector) permalink(ctx context.Context, acct *publisher.Account, token, id string) string {
	var out struct {
		Permalink string `json:"permalink"`
	}
	err := c.call(ctx, http.MethodGet, "/"+url.PathEscape(id), url.Values{"fields": {"permalink"}}, token, nil, &out)
	if err == nil && out.Permalink != "" {
		return out.Permalink
	}
	c.cfg.Logger.WarnContext(ctx, "instagram: published, but the permalink could not be read", "media_id", id, "err", err)
	return acct.ProfileURL
}

// reuseKey identifies a delivery's container, and fingerprint what it
// holds; no key without a delivery id.
func reuseKey(user string, msg publisher.Message, text string) (key, fingerprint string) {
	if msg.DeliveryID == "" {
		return "", ""
	}
	h := sha256.New()
	h.Write([]byte(text))
	for _, m := range msg.Media {
		fmt.Fprintf(h, "\x00%s\x00%s", m.ID, m.AltText)
	}
	return user + "\x00" + msg.DeliveryID, hex.EncodeToString(h.Sum(nil))
}

// prepare makes (or reuses) the container to publish and waits until it is
// FINISHED.
func (c *Connector) prepare(ctx context.Context, user, token string, msg publisher.Message, text, key, fingerprint string, deadline time.Time) (string, error) {
	if id, ok := c.containers.Get(key, fingerprint, c.cfg.Now(), c.cfg.ContainerReuse); ok {
		err := c.waitReady(ctx, token, id, deadline)
		if err == nil {
			return id, nil
		}
		if errors.Is(err, errStillProcessing) {
			return "", err
		}
		// Expired, failed or unreadable: start afresh.
		c.containers.Forget(key)
		c.cfg.Logger.InfoContext(ctx, "instagram: a remembered container cannot be used", "container_id", id, "err", err)
	}
	var id string
	if len(msg.Media) == 1 {
		m := msg.Media[0]
		form := url.Values{"image_url": {m.URL}}
		if text != "" {
			form.Set("caption", text)
		}
		if m.AltText != "" {
			form.Set("alt_text", m.AltText)
		}
		var err error
		if id, err = c.createContainer(ctx, user, token, form); err != nil {
			return "", err
		}
	} else {
		var children []string
		for _, m := range msg.Media {
			form := url.Values{"image_url": {m.URL}, "is_carousel_item": {"true"}}
			if m.AltText != "" {
				form.Set("alt_text", m.AltText)
			}
			child, err := c.createContainer(ctx, user, token, form)
			if err != nil {
				return "", err
			}
			children = append(children, child)
		}
		for _, child := range children {
			if err := c.waitReady(ctx, token, child, deadline); err != nil {
				return "", err
			}
		}
		form := url.Values{"media_type": {"CAROUSEL"}, "children": {strings.Join(children, ",")}}
		if text != "" {
			form.Set("caption", text)
		}
		var err error
		if id, err = c.createContainer(ctx, user, token, form); err != nil {
			return "", err
		}
	}
	if key != "" && c.cfg.ContainerReuse > 0 {
		c.containers.Put(key, id, fingerprint, c.cfg.Now())
	}
	if err := c.waitReady(ctx, token, id, deadline); err != nil {
		if !errors.Is(err, errStillProcessing) {
			c.containers.Forget(key)
		}
		return "", err
	}
	return id, nil
}

// createContainer sends POST /{user}/media. A container is not a post, so
// no failure here is ambiguous.
func (c *Connector) createContainer(ctx context.Context, user, token string, form url.Values) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, http.MethodPost, "/"+url.PathEscape(user)+"/media", nil, token, form, &out); err != nil {
		return "", notAmbiguous(err)
	}
	if out.ID == "" {
		return "", &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Instagram answered without a container id."}
	}
	return out.ID, nil
}

// errStillProcessing marks the error of a container that was not ready in
// time: it stays remembered for the next attempt.
var errStillProcessing = errors.New("instagram: the media container is still being processed")

// subcodeRE finds an Instagram error subcode in a container's status text.
var subcodeRE = regexp.MustCompile(`\b(2207\d{3})\b`)

// waitReady polls a container's status_code until FINISHED, at most until
// deadline (and at most PollTimeout/PollInterval+1 times, whatever the
// clock says).
func (c *Connector) waitReady(ctx context.Context, token, id string, deadline time.Time) error {
	polls := int(c.cfg.PollTimeout/c.cfg.PollInterval) + 1
	for i := 0; ; i++ {
		var st struct {
			StatusCode string `json:"status_code"`
			Status     string `json:"status"`
		}
		if err := c.call(ctx, http.MethodGet, "/"+url.PathEscape(id), url.Values{"fields": {"status_code,status"}}, token, nil, &st); err != nil {
			return notAmbiguous(err)
		}
		switch st.StatusCode {
		case "FINISHED":
			return nil
		case "ERROR":
			pe := &publisher.PlatformError{Class: publisher.ClassRejected,
				Message: fmt.Sprintf("Instagram could not process the media (container %s): %s", id, firstNonEmpty(st.Status, "no reason given"))}
			if m := subcodeRE.FindStringSubmatch(st.Status); m != nil {
				pe.Code = m[1]
				n, _ := strconv.Atoi(m[1])
				if class, ok := connectors.GraphSubcodeClass(n); ok && class == publisher.ClassRetryable {
					pe.Class = class
				}
			}
			return pe
		case "EXPIRED":
			return &publisher.PlatformError{Class: publisher.ClassRetryable,
				Message: fmt.Sprintf("Instagram's media container %s expired before it was published; the next attempt makes a new one.", id)}
		case "PUBLISHED":
			return rejected("Instagram's media container %s was already published.", id)
		}
		// IN_PROGRESS (or a status Instagram may add): wait.
		now := c.cfg.Now()
		if !now.Before(deadline) || i+1 >= polls {
			return &publisher.PlatformError{Class: publisher.ClassRetryable, Err: errStillProcessing,
				Message: fmt.Sprintf("Instagram is still processing the media (container %s) after %s; nothing was published, and the next attempt tries again.", id, c.cfg.PollTimeout)}
		}
		if err := c.cfg.Sleep(ctx, min(c.cfg.PollInterval, deadline.Sub(now))); err != nil {
			return &publisher.PlatformError{Class: publisher.ClassRetryable, Err: err,
				Message: fmt.Sprintf("Stopped waiting for Instagram to process the media (container %s); nothing was published.", id)}
		}
	}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// checkQuota reads the account's publishing quota and refuses, as a rate
// limit, when it is used up. A check Instagram refuses as a bad request
// does not block publishing: media_publish enforces the quota anyway.
func (c *Connector) checkQuota(ctx context.Context, user, token string) error {
	var q connectors.GraphQuota
	err := c.call(ctx, http.MethodGet, "/"+url.PathEscape(user)+"/content_publishing_limit", url.Values{"fields": {"quota_usage,config"}}, token, nil, &q)
	if err != nil {
		pe := notAmbiguous(err)
		if pe.Class == publisher.ClassRejected {
			c.cfg.Logger.WarnContext(ctx, "instagram: the publishing limit could not be read", "err", pe)
			return nil
		}
		return pe
	}
	total, used, window, full := q.UsedUp()
	if !full {
		return nil
	}
	return &publisher.PlatformError{Class: publisher.ClassRateLimited, Code: "quota",
		RetryAt: c.windowReset(ctx, user, token, window),
		Message: fmt.Sprintf("Instagram allows %d posts through the API per %s; this account has used %d.", total, window, used)}
}

// windowReset is when a rolling-window quota frees a place: when the
// oldest of the account's posts in the window leaves it; now+
// RateLimitBackoff when that cannot be read.
func (c *Connector) windowReset(ctx context.Context, user, token string, window time.Duration) time.Time {
	return connectors.GraphWindowReset(c.mediaPages(ctx, user, token), c.cfg.Now(), window, c.cfg.RateLimitBackoff, c.cfg.LookupMaxPages)
}

// mediaPages reads pages of the account's posts (GET /{user}/media).
func (c *Connector) mediaPages(ctx context.Context, user, token string) connectors.GraphMediaReader {
	return func(q url.Values) (*connectors.GraphMediaPage, error) {
		var page connectors.GraphMediaPage
		if err := c.call(ctx, http.MethodGet, "/"+url.PathEscape(user)+"/media", q, token, nil, &page); err != nil {
			return nil, notAmbiguous(err)
		}
		return &page, nil
	}
}

// Lookup looks for a post made from msg on the account at or after since:
// it reads the account's media newest first (LookupPageSize a page, at most
// LookupMaxPages pages) and matches the caption Publish would send,
// compared after normalising line endings and surrounding space. It returns
// publisher.ErrNotPublished when there is no such post, and
// publisher.ErrLookupUnsupported when it cannot tell (a post without a
// caption, or more posts since than it may read).
func (c *Connector) Lookup(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message, since time.Time) (*publisher.Published, error) {
	user, token, err := target(acct, cred)
	if err != nil {
		return nil, err
	}
	want := normalise(caption(msg))
	if want == "" {
		return nil, fmt.Errorf("instagram: a post without a caption cannot be recognised: %w", publisher.ErrLookupUnsupported)
	}
	pub, err := connectors.GraphFind(c.mediaPages(ctx, user, token), "caption", since, c.cfg.LookupPageSize, c.cfg.LookupMaxPages,
		func(t string) bool { return normalise(t) == want })
	if errors.Is(err, publisher.ErrLookupUnsupported) {
		return nil, fmt.Errorf("instagram: %w", err)
	}
	return pub, err
}

// call makes one versioned Graph API call (form-encoded for POST) and
// decodes a successful answer into out. The token goes in the
// Authorization header.
func (c *Connector) call(ctx context.Context, method, path string, query url.Values, token string, form url.Values, out any) error {
	u := c.cfg.GraphURL + "/" + c.cfg.APIVersion + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := newRequest(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return c.do(ctx, req, path, out)
}

func newRequest(ctx context.Context, method, u string, body *strings.Reader) (*http.Request, error) {
	var req *http.Request
	var err error
	if body != nil {
		req, err = http.NewRequestWithContext(ctx, method, u, body)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, u, nil)
	}
	if err != nil {
		return nil, &publisher.PlatformError{Class: publisher.ClassRejected, Message: "Prasar could not build the Instagram request.", Err: err}
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// do sends req, logs it by path (never the query: it may hold a token),
// classifies a failure and decodes success into out.
func (c *Connector) do(ctx context.Context, req *http.Request, path string, out any) error {
	start := time.Now()
	resp, err := connectors.Do(c.cfg.HTTPClient, req, c.cfg.MaxResponseBytes)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	c.cfg.Logger.DebugContext(ctx, "instagram: call", "method", req.Method, "path", path, "status", status,
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
		return &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: req.Method != http.MethodGet,
			Message: "Instagram's answer could not be read.", Err: err}
	}
	return nil
}
