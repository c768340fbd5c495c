// Package threads publishes to Threads profiles through the Threads API
// (platform-apis.md §5.1): text posts, one image, or a carousel of 2–20
// images, as media containers that Threads fetches (publisher.MediaRef.URL)
// and processes, then publishes with threads_publish. It looks posts up
// for the exactly-once protocol, connects profiles through OAuth
// (Authorizer), renews tokens (Refresher), deletes posts (Deleter) and reads
// post insights (MetricsFetcher).
//
// The Threads user id is publisher.Account.ExternalID and the token is
// publisher.Credentials.AccessToken. API calls carry the token in the
// Authorization header, never in a URL; the token endpoints Meta documents
// as GET with the token in the query (th_exchange_token, th_refresh_token)
// are the exception, and connectors.Do keeps queries out of every error.
// Nothing logs a token.
package threads

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

// Config configures the connector. Zero fields take the defaults given on
// each; every limit is a setting because Meta changes them.
type Config struct {
	// GraphURL is the Threads API host (default https://graph.threads.net;
	// sandbox: BaseURL+"/sandbox/threads/graph"). graph.threads.com is the
	// same API.
	GraphURL string
	// WebURL is the Threads web host: the consent page is
	// WebURL+"/oauth/authorize" (default https://threads.net, the host the
	// authorization docs use; threads.com is its newer name; sandbox:
	// BaseURL+"/sandbox/threads/www").
	WebURL string
	// APIVersion is the version in every versioned path (default v1.0).
	APIVersion string
	// AppID and AppSecret are the Threads app's id and secret (not the
	// main Meta app's).
	AppID     string
	AppSecret string
	// Scopes are the permissions asked for (default threads_basic,
	// threads_content_publish, threads_manage_insights, threads_delete).
	Scopes []string
	// MaxChars is the longest text, counted by Count (default 500).
	MaxChars int
	// MaxImages is the most images in a carousel (default 20).
	MaxImages int
	// MaxImageBytes is the largest image (default 8 MiB).
	MaxImageBytes int64
	// ImageTypes are the accepted MIME types (default JPEG and PNG).
	ImageTypes []string
	// MaxAltTextChars is the longest alt text (default 1000).
	MaxAltTextChars int
	// PollInterval is how often a container's status is read while Threads
	// processes it (default 2s), and PollTimeout how long Publish waits in
	// all (default 60s, to fit a 90-second task).
	PollInterval time.Duration
	PollTimeout  time.Duration
	// ContainerReuse is how long a delivery's container is remembered for
	// the delivery's next attempt in this process (default 23h; negative:
	// never).
	ContainerReuse time.Duration
	// RateLimitBackoff is how long a rate limit lasts when Meta does not
	// say (default 15 minutes).
	RateLimitBackoff time.Duration
	// LookupPageSize is the page size Lookup asks for (default 50) and
	// LookupMaxPages how many pages it reads (default 4).
	LookupPageSize int
	LookupMaxPages int
	// Metrics are the post insights FetchMetrics reads (default views,
	// likes, replies, reposts, quotes, shares).
	Metrics []string
	// RefreshBefore is how long before expiry a token is renewed (default
	// 10 days), MinRefreshAge how old it must be first (default 24h) and
	// TokenLifetime a long-lived token's life, used when its issue time is
	// unknown (default 60 days).
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
	// ctx is done).
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives one debug line per call (nil: discarded).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
		*s = strings.TrimRight(*s, "/")
	}
	def(&c.GraphURL, "https://graph.threads.net")
	def(&c.WebURL, "https://threads.net")
	def(&c.APIVersion, "v1.0")
	if len(c.Scopes) == 0 {
		c.Scopes = []string{"threads_basic", "threads_content_publish", "threads_manage_insights", "threads_delete"}
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
	defInt(&c.MaxChars, 500)
	defInt(&c.MaxImages, 20)
	defInt(&c.MaxAltTextChars, 1000)
	defInt(&c.LookupPageSize, 50)
	defInt(&c.LookupMaxPages, 4)
	if c.MaxImageBytes <= 0 {
		c.MaxImageBytes = 8 << 20
	}
	if len(c.ImageTypes) == 0 {
		c.ImageTypes = []string{"image/jpeg", "image/png"}
	}
	defDur(&c.PollInterval, 2*time.Second)
	defDur(&c.PollTimeout, 60*time.Second)
	if c.ContainerReuse == 0 {
		c.ContainerReuse = 23 * time.Hour
	}
	defDur(&c.RateLimitBackoff, 15*time.Minute)
	if len(c.Metrics) == 0 {
		c.Metrics = []string{"views", "likes", "replies", "reposts", "quotes", "shares"}
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

// Connector publishes to Threads profiles.
type Connector struct {
	cfg        Config
	classify   connectors.GraphClassifier
	containers connectors.GraphContainers
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
	cfg = cfg.withDefaults()
	return &Connector{cfg: cfg, classify: connectors.GraphClassifier{DefaultBackoff: cfg.RateLimitBackoff, Now: cfg.Now}}
}

// Platform is publisher.Threads.
func (c *Connector) Platform() publisher.Platform { return publisher.Threads }

// Rules are Threads' composing limits as configured. CountUnit is
// "weighted": characters, with emoji weighing their UTF-8 bytes (Count).
func (c *Connector) Rules() publisher.PlatformRules {
	return publisher.PlatformRules{
		Platform:      publisher.Threads,
		MaxChars:      c.cfg.MaxChars,
		CountUnit:     "weighted",
		MaxImages:     c.cfg.MaxImages,
		MaxImageBytes: c.cfg.MaxImageBytes,
		ImageTypes:    slices.Clone(c.cfg.ImageTypes),
		Enabled:       true,
	}
}

// Measure counts the text Publish sends (see text) with Count.
func (c *Connector) Measure(msg publisher.Message) publisher.Measure {
	return publisher.Measure{Count: Count(text(msg)), Limit: c.cfg.MaxChars}
}

// text is the text posted for msg: its text, with the link appended on its
// own paragraph unless the text already contains it (Threads previews the
// first URL in the text).
func text(msg publisher.Message) string {
	return connectors.WithLink(msg.Text, msg.Link)
}

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

func validID(id string) bool {
	return strings.TrimSpace(id) != "" && !strings.ContainsAny(id, "/?#&% ")
}

// target checks that the account and credentials can be used at all.
func target(acct *publisher.Account, cred publisher.Credentials) (user, token string, err error) {
	if acct == nil || !validID(acct.ExternalID) {
		return "", "", &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no valid Threads user id; reconnect it."}
	}
	if cred.AccessToken == "" {
		return "", "", &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no Threads access token; reconnect it."}
	}
	return acct.ExternalID, cred.AccessToken, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// check refuses, before any call, what Threads would refuse.
func (c *Connector) check(msg publisher.Message, t string) error {
	if n := Count(t); n > c.cfg.MaxChars {
		return rejected("The text counts %d as Threads counts it (emoji count as their UTF-8 bytes); Threads allows %d.", n, c.cfg.MaxChars)
	}
	if strings.TrimSpace(t) == "" && len(msg.Media) == 0 {
		return rejected("The post is empty.")
	}
	if len(msg.Media) > c.cfg.MaxImages {
		return rejected("The post has %d images; Threads allows %d in a carousel.", len(msg.Media), c.cfg.MaxImages)
	}
	for i, m := range msg.Media {
		switch {
		case !slices.Contains(c.cfg.ImageTypes, m.ContentType):
			return rejected("Image %d is %s; Threads accepts %s.", i+1, m.ContentType, strings.Join(c.cfg.ImageTypes, ", "))
		case m.Size > c.cfg.MaxImageBytes:
			return rejected("Image %d is larger than %d MB.", i+1, c.cfg.MaxImageBytes>>20)
		case m.URL == "":
			return rejected("Image %d has no public URL for Threads to fetch.", i+1)
		case !isASCII(m.URL):
			return rejected("Image %d's URL has non-ASCII characters, which Threads cannot fetch.", i+1)
		case utf8.RuneCountInString(m.AltText) > c.cfg.MaxAltTextChars:
			return rejected("The image description is %d characters long; Threads allows %d.", utf8.RuneCountInString(m.AltText), c.cfg.MaxAltTextChars)
		}
	}
	return nil
}

// Publish creates the post: a TEXT container, an IMAGE container, or one
// IMAGE container per image and a CAROUSEL container; waits until Threads
// has processed it (its "status"); checks the profile's publishing quota;
// publishes it; and reads its permalink. Every failure is a
// *publisher.PlatformError; only a failed threads_publish can be
// ambiguous. A container still IN_PROGRESS after PollTimeout gives a
// retryable, unambiguous error naming it, and is remembered in this process
// for the delivery's next attempt (see the instagram package: the domain
// has no place to carry it).
func (c *Connector) Publish(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message) (*publisher.Published, error) {
	user, token, err := target(acct, cred)
	if err != nil {
		return nil, err
	}
	t := text(msg)
	if err := c.check(msg, t); err != nil {
		return nil, err
	}
	deadline := c.cfg.Now().Add(c.cfg.PollTimeout)
	key, fingerprint := reuseKey(user, msg, t)
	creation, err := c.prepare(ctx, user, token, msg, t, key, fingerprint, deadline)
	if err != nil {
		return nil, err
	}
	if err := c.checkQuota(ctx, user, token); err != nil {
		return nil, err
	}
	c.containers.Forget(key)
	var out struct {
		ID string `json:"id"`
	}
	err = c.call(ctx, http.MethodPost, "/"+url.PathEscape(user)+"/threads_publish", nil, token, url.Values{"creation_id": {creation}}, &out)
	if err != nil {
		return nil, c.publishError(ctx, user, token, err)
	}
	if out.ID == "" {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: true, Message: "Threads answered threads_publish without a post id."}
	}
	return &publisher.Published{ExternalID: out.ID, URL: c.permalink(ctx, acct, token, out.ID)}, nil
}

// publishError refines a failed threads_publish.
func (c *Connector) publishError(ctx context.Context, user, token string, err error) error {
	pe := publisher.AsPlatformError(err)
	ge := graphError(pe)
	switch {
	case ge == nil:
		return pe
	case pe.Class == publisher.ClassRateLimited && (ge.Code == 9 || ge.Subcode == 2207042):
		out := *pe
		out.RetryAt = c.windowReset(ctx, user, token, 24*time.Hour)
		out.Message = "Threads' limit of posts a day through the API is reached for this profile: " + pe.Message
		return &out
	case ge.Code == 9007 || ge.Code == 24 || slices.Contains([]int{2207020, 2207027, 2207032, 2207053}, ge.Subcode):
		return notAmbiguous(pe) // the container was refused: nothing was published
	}
	return pe
}

func graphError(err error) *connectors.GraphError {
	var ge *connectors.GraphError
	if errors.As(err, &ge) {
		return ge
	}
	return nil
}

// permalink reads a post's permalink; a failure is logged (the post
// exists) and the URL falls back to the profile.
func (c *Connector) permalink(ctx context.Context, acct *publisher.Account, token, id string) string {
	var out struct {
		Permalink string `json:"permalink"`
	}
	err := c.call(ctx, http.MethodGet, "/"+url.PathEscape(id), url.Values{"fields": {"permalink"}}, token, nil, &out)
	if err == nil && out.Permalink != "" {
		return out.Permalink
	}
	c.cfg.Logger.WarnContext(ctx, "threads: published, but the permalink could not be read", "media_id", id, "err", err)
	return acct.ProfileURL
}

func reuseKey(user string, msg publisher.Message, t string) (key, fingerprint string) {
	if msg.DeliveryID == "" {
		return "", ""
	}
	h := sha256.New()
	h.Write([]byte(t))
	for _, m := range msg.Media {
		fmt.Fprintf(h, "\x00%s\x00%s", m.ID, m.AltText)
	}
	return user + "\x00" + msg.DeliveryID, hex.EncodeToString(h.Sum(nil))
}

// prepare makes (or reuses) the container to publish and waits until it is
// FINISHED.
func (c *Connector) prepare(ctx context.Context, user, token string, msg publisher.Message, t, key, fingerprint string, deadline time.Time) (string, error) {
	if id, ok := c.containers.Get(key, fingerprint, c.cfg.Now(), c.cfg.ContainerReuse); ok {
		err := c.waitReady(ctx, token, id, deadline)
		if err == nil || errors.Is(err, errStillProcessing) {
			return id, err
		}
		c.containers.Forget(key)
		c.cfg.Logger.InfoContext(ctx, "threads: a remembered container cannot be used", "container_id", id, "err", err)
	}
	form := url.Values{}
	if t != "" {
		form.Set("text", t)
	}
	switch len(msg.Media) {
	case 0:
		form.Set("media_type", "TEXT")
	case 1:
		m := msg.Media[0]
		form.Set("media_type", "IMAGE")
		form.Set("image_url", m.URL)
		if m.AltText != "" {
			form.Set("alt_text", m.AltText)
		}
	default:
		var children []string
		for _, m := range msg.Media {
			child := url.Values{"media_type": {"IMAGE"}, "image_url": {m.URL}, "is_carousel_item": {"true"}}
			if m.AltText != "" {
				child.Set("alt_text", m.AltText)
			}
			id, err := c.createContainer(ctx, user, token, child)
			if err != nil {
				return "", err
			}
			children = append(children, id)
		}
		for _, id := range children {
			if err := c.waitReady(ctx, token, id, deadline); err != nil {
				return "", err
			}
		}
		form.Set("media_type", "CAROUSEL")
		form.Set("children", strings.Join(children, ","))
	}
	id, err := c.createContainer(ctx, user, token, form)
	if err != nil {
		return "", err
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

// createContainer sends POST /{user}/threads; no failure here is
// ambiguous.
func (c *Connector) createContainer(ctx context.Context, user, token string, form url.Values) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, http.MethodPost, "/"+url.PathEscape(user)+"/threads", nil, token, form, &out); err != nil {
		return "", notAmbiguous(err)
	}
	if out.ID == "" {
		return "", &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Threads answered without a container id."}
	}
	return out.ID, nil
}

var errStillProcessing = errors.New("threads: the media container is still being processed")

// waitReady polls a container's status (Threads' field; Instagram's is
// status_code) until FINISHED, at most until deadline.
func (c *Connector) waitReady(ctx context.Context, token, id string, deadline time.Time) error {
	polls := int(c.cfg.PollTimeout/c.cfg.PollInterval) + 1
	for i := 0; ; i++ {
		var st struct {
			Status       string `json:"status"`
			ErrorMessage string `json:"error_message"`
		}
		if err := c.call(ctx, http.MethodGet, "/"+url.PathEscape(id), url.Values{"fields": {"status,error_message"}}, token, nil, &st); err != nil {
			return notAmbiguous(err)
		}
		switch st.Status {
		case "FINISHED":
			return nil
		case "ERROR":
			// INVALID_* (an image Threads will not take) will fail again;
			// download and processing failures may not.
			class := publisher.ClassRetryable
			if strings.HasPrefix(st.ErrorMessage, "INVALID") {
				class = publisher.ClassRejected
			}
			return &publisher.PlatformError{Class: class, Code: st.ErrorMessage,
				Message: fmt.Sprintf("Threads could not process the media (container %s): %s", id, cmp.Or(st.ErrorMessage, "no reason given"))}
		case "EXPIRED":
			return &publisher.PlatformError{Class: publisher.ClassRetryable,
				Message: fmt.Sprintf("Threads' media container %s expired before it was published; the next attempt makes a new one.", id)}
		case "PUBLISHED":
			return rejected("Threads' media container %s was already published.", id)
		}
		now := c.cfg.Now()
		if !now.Before(deadline) || i+1 >= polls {
			return &publisher.PlatformError{Class: publisher.ClassRetryable, Err: errStillProcessing,
				Message: fmt.Sprintf("Threads is still processing the media (container %s) after %s; nothing was published, and the next attempt tries again.", id, c.cfg.PollTimeout)}
		}
		if err := c.cfg.Sleep(ctx, min(c.cfg.PollInterval, deadline.Sub(now))); err != nil {
			return &publisher.PlatformError{Class: publisher.ClassRetryable, Err: err,
				Message: fmt.Sprintf("Stopped waiting for Threads to process the media (container %s); nothing was published.", id)}
		}
	}
}

// checkQuota reads threads_publishing_limit and refuses, as a rate limit,
// when the profile's quota is used up. A check Threads refuses as a bad
// request does not block publishing.
func (c *Connector) checkQuota(ctx context.Context, user, token string) error {
	var q connectors.GraphQuota
	err := c.call(ctx, http.MethodGet, "/"+url.PathEscape(user)+"/threads_publishing_limit", url.Values{"fields": {"quota_usage,config"}}, token, nil, &q)
	if err != nil {
		pe := notAmbiguous(err)
		if pe.Class == publisher.ClassRejected {
			c.cfg.Logger.WarnContext(ctx, "threads: the publishing limit could not be read", "err", pe)
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
		Message: fmt.Sprintf("Threads allows %d posts through the API per %s; this profile has used %d.", total, window, used)}
}

// windowReset is when the oldest post in the rolling window leaves it;
// now+RateLimitBackoff when that cannot be read.
func (c *Connector) windowReset(ctx context.Context, user, token string, window time.Duration) time.Time {
	return connectors.GraphWindowReset(c.postsPages(ctx, user, token), c.cfg.Now(), window, c.cfg.RateLimitBackoff, c.cfg.LookupMaxPages)
}

// postsPages reads pages of the account's posts (GET /{user}/threads).
func (c *Connector) postsPages(ctx context.Context, user, token string) connectors.GraphMediaReader {
	return func(q url.Values) (*connectors.GraphMediaPage, error) {
		var page connectors.GraphMediaPage
		if err := c.call(ctx, http.MethodGet, "/"+url.PathEscape(user)+"/threads", q, token, nil, &page); err != nil {
			return nil, notAmbiguous(err)
		}
		return &page, nil
	}
}

// Lookup looks for a post made from msg on the profile at or after since:
// it reads the profile's posts newest first (LookupPageSize a page, at most
// LookupMaxPages pages) and matches the text Publish would send, compared
// after normalising line endings and surrounding space. It returns
// publisher.ErrNotPublished when there is none, and
// publisher.ErrLookupUnsupported when it cannot tell (a post without text,
// or more posts since than it may read).
func (c *Connector) Lookup(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message, since time.Time) (*publisher.Published, error) {
	user, token, err := target(acct, cred)
	if err != nil {
		return nil, err
	}
	want := normalise(text(msg))
	if want == "" {
		return nil, fmt.Errorf("threads: a post without text cannot be recognised: %w", publisher.ErrLookupUnsupported)
	}
	pub, err := connectors.GraphFind(c.postsPages(ctx, user, token), "text", since, c.cfg.LookupPageSize, c.cfg.LookupMaxPages,
		func(t string) bool { return normalise(t) == want })
	if errors.Is(err, publisher.ErrLookupUnsupported) {
		return nil, fmt.Errorf("threads: %w", err)
	}
	return pub, err
}

// Delete removes a post: DELETE /{threads-media-id} (documented in Meta's
// "Delete Posts"; it needs the threads_delete permission and allows 100
// deletions a day). A post that is already gone — Graph's "does not exist"
// (100/33) — is not an error.
func (c *Connector) Delete(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, externalID string) error {
	_, token, err := target(acct, cred)
	if err != nil {
		return err
	}
	if !validID(externalID) {
		return rejected("%q is not a Threads post id.", externalID)
	}
	var out struct {
		Success bool `json:"success"`
	}
	err = c.call(ctx, http.MethodDelete, "/"+url.PathEscape(externalID), nil, token, nil, &out)
	if ge := graphError(err); ge != nil && ge.Code == 100 && ge.Subcode == 33 {
		return nil
	}
	if err != nil {
		return err
	}
	if !out.Success {
		return &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: true, Message: "Threads did not confirm the deletion."}
	}
	return nil
}

// call makes one versioned API call (form-encoded for POST) and decodes a
// successful answer into out. The token goes in the Authorization header.
func (c *Connector) call(ctx context.Context, method, path string, query url.Values, token string, form url.Values, out any) error {
	u := c.cfg.GraphURL + "/" + c.cfg.APIVersion + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var req *http.Request
	var err error
	if form != nil {
		req, err = http.NewRequestWithContext(ctx, method, u, strings.NewReader(form.Encode()))
	} else {
		req, err = http.NewRequestWithContext(ctx, method, u, nil)
	}
	if err != nil {
		return &publisher.PlatformError{Class: publisher.ClassRejected, Message: "Prasar could not build the Threads request.", Err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.send(ctx, req, path)
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
			Message: "Threads' answer could not be read.", Err: err}
	}
	return nil
}

// send sends req and logs it by path only (never the query: it may hold a
// token).
func (c *Connector) send(ctx context.Context, req *http.Request, path string) (*connectors.Response, error) {
	start := time.Now()
	resp, err := connectors.Do(c.cfg.HTTPClient, req, c.cfg.MaxResponseBytes)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	c.cfg.Logger.DebugContext(ctx, "threads: call", "method", req.Method, "path", path, "status", status,
		"duration_ms", time.Since(start).Milliseconds())
	return resp, err
}
