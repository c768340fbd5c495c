// Package koo is the connector for Koo, the Indian microblogging service
// named in the 2022 Haryana directive. Koo shut down on 3 July 2024 and its
// API no longer answers (platform-apis.md §4), so the connector is disabled
// by default: Rules reports Enabled false and Defunct saying why, the
// domain refuses to publish, and Publish itself returns
// publisher.ErrPlatformDisabled wrapped in a ClassRejected
// *publisher.PlatformError.
//
// With Config.Enabled it posts to the last known partner API, as the
// koo_publisher WordPress plugins did: POST https://api.kooapp.com/api/post/koo
// with the partner key in X-KOO-API-TOKEN and {"koo","language","link"} as
// JSON. That request shape is REVERSE-ENGINEERED from the plugins; the
// answer's shape, the errors and the limits were never documented
// (UNVERIFIED), so the connector accepts any 2xx whose "status" is not an
// error and reads the post id from "kooId", "id" or "data.id" if present.
// It is tested against connectors/sandbox, whose Koo fake mirrors the same
// guesses. The partner key is Credentials.AccessToken; the Koo handle is
// Account.Handle (or ExternalID).
//
// Koo had no documented way to read an account's posts, so Lookup returns
// publisher.ErrLookupUnsupported; there is no delete or metrics API.
package koo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

// Defunct is what Rules says when the connector is disabled.
const Defunct = "Koo shut down on 3 July 2024; its API no longer answers"

// Config configures the connector. Zero fields take the defaults given on
// each.
type Config struct {
	// Enabled turns the connector on (default false: Koo is defunct).
	Enabled bool
	// URL is the partner API's post endpoint (default
	// https://api.kooapp.com/api/post/koo; sandbox:
	// BaseURL+sandbox.KooPostPath).
	URL string
	// WebURL is where posts were seen (default https://www.kooapp.com;
	// sandbox: BaseURL+sandbox.KooWebPath).
	WebURL string
	// MaxChars is the longest koo (default 400, what the plugins allowed).
	MaxChars int
	// DefaultLanguage is sent when a message names no language (default
	// "hi").
	DefaultLanguage string
	// RateLimitBackoff is how long a 429 lasts without Retry-After
	// (default 15 minutes).
	RateLimitBackoff time.Duration
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
}

func (c Config) withDefaults() Config {
	if c.URL == "" {
		c.URL = "https://api.kooapp.com/api/post/koo"
	}
	if c.WebURL == "" {
		c.WebURL = "https://www.kooapp.com"
	}
	c.WebURL = strings.TrimRight(c.WebURL, "/")
	if c.MaxChars <= 0 {
		c.MaxChars = 400
	}
	if c.DefaultLanguage == "" {
		c.DefaultLanguage = "hi"
	}
	if c.RateLimitBackoff <= 0 {
		c.RateLimitBackoff = 15 * time.Minute
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

// Connector posts to Koo's partner API when enabled.
type Connector struct {
	cfg Config
}

var _ publisher.Connector = (*Connector)(nil)

// New returns a connector configured by cfg.
func New(cfg Config) *Connector { return &Connector{cfg: cfg.withDefaults()} }

// Platform is publisher.Koo.
func (c *Connector) Platform() publisher.Platform { return publisher.Koo }

// Rules are Koo's limits. Disabled (the default), Enabled is false and
// Defunct says why nothing can be published; enabled, Defunct is empty so
// that the domain lets posts through.
func (c *Connector) Rules() publisher.PlatformRules {
	r := publisher.PlatformRules{Platform: publisher.Koo, MaxChars: c.cfg.MaxChars, CountUnit: "characters", Enabled: c.cfg.Enabled}
	if !c.cfg.Enabled {
		r.Defunct = Defunct
	}
	return r
}

// Measure counts code points of the text Publish sends (the link travels
// in its own field).
func (c *Connector) Measure(msg publisher.Message) publisher.Measure {
	return publisher.Measure{Count: utf8.RuneCountInString(msg.Text), Limit: c.cfg.MaxChars}
}

func rejected(format string, args ...any) *publisher.PlatformError {
	return &publisher.PlatformError{Class: publisher.ClassRejected, Message: fmt.Sprintf(format, args...)}
}

// Publish posts a koo; disabled, it returns publisher.ErrPlatformDisabled
// wrapped in a ClassRejected *publisher.PlatformError without calling.
func (c *Connector) Publish(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message) (*publisher.Published, error) {
	if !c.cfg.Enabled {
		return nil, &publisher.PlatformError{Class: publisher.ClassRejected, Message: Defunct + ".", Err: publisher.ErrPlatformDisabled}
	}
	if cred.AccessToken == "" {
		return nil, &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no Koo API key; reconnect it."}
	}
	handle := ""
	if acct != nil {
		handle = strings.TrimPrefix(acct.Handle, "@")
		if handle == "" {
			handle = acct.ExternalID
		}
	}
	if strings.TrimSpace(msg.Text) == "" {
		return nil, rejected("A koo needs text.")
	}
	if n := utf8.RuneCountInString(msg.Text); n > c.cfg.MaxChars {
		return nil, rejected("The text is %d characters long; Koo allowed %d.", n, c.cfg.MaxChars)
	}
	if len(msg.Media) > 0 {
		return nil, rejected("Koo's partner API took no images.")
	}
	lang := c.cfg.DefaultLanguage
	if len(msg.Languages) > 0 && msg.Languages[0] != "" {
		lang = msg.Languages[0]
	}
	body, _ := json.Marshal(map[string]string{"koo": msg.Text, "language": lang, "link": msg.Link})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return nil, &publisher.PlatformError{Class: publisher.ClassRejected, Message: "Prasar could not build the Koo request.", Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-KOO-API-TOKEN", cred.AccessToken)
	start := time.Now()
	resp, err := connectors.Do(c.cfg.HTTPClient, req, c.cfg.MaxResponseBytes)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	c.cfg.Logger.DebugContext(ctx, "koo: post", "status", status, "duration_ms", time.Since(start).Milliseconds())
	if err != nil {
		return nil, err
	}
	var out struct {
		Status  string `json:"status"`
		Message string `json:"message"`
		KooID   any    `json:"kooId"`
		ID      any    `json:"id"`
		Data    struct {
			ID any `json:"id"`
		} `json:"data"`
	}
	jsonErr := json.Unmarshal(resp.Body, &out)
	if !resp.OK() || strings.EqualFold(out.Status, "error") || strings.EqualFold(out.Status, "failure") {
		pe := connectors.StatusError(resp, c.cfg.Now(), c.cfg.RateLimitBackoff)
		if out.Message != "" {
			pe.Message = out.Message
		}
		if resp.OK() {
			pe.Class = publisher.ClassRejected
		}
		return nil, pe
	}
	if jsonErr != nil {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: true, Message: "Koo's answer could not be read.", Err: jsonErr}
	}
	id := idString(out.KooID, out.ID, out.Data.ID)
	pub := &publisher.Published{ExternalID: id}
	if id != "" && handle != "" {
		pub.URL = c.cfg.WebURL + "/koo/" + url.PathEscape(handle) + "/" + url.PathEscape(id)
	}
	return pub, nil
}

// idString is the first id given, as a string.
func idString(vs ...any) string {
	for _, v := range vs {
		switch v := v.(type) {
		case string:
			if v != "" {
				return v
			}
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return ""
}

// Lookup cannot tell: Koo had no documented way to read an account's
// posts.
func (c *Connector) Lookup(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message, since time.Time) (*publisher.Published, error) {
	return nil, fmt.Errorf("koo: posts cannot be looked up: %w", publisher.ErrLookupUnsupported)
}
