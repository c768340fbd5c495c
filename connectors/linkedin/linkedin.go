// Package linkedin publishes to LinkedIn Pages (organizations) through the
// Posts API (platform-apis.md §5.2): POST /rest/posts with the
// Linkedin-Version header (Config.Version, YYYYMM; LinkedIn retires each
// monthly version after about a year) and X-Restli-Protocol-Version 2.0.0.
//
// # Accounts
//
// A nodal officer connects through OAuth 2.0 (publisher.Authorizer, with
// golang.org/x/oauth2; LinkedIn's web flow takes no PKCE, so the verifier
// is ignored). Exchange then lists the organizations the member has a role
// on (GET /rest/organizationAcls?q=roleAssignee&state=APPROVED) and reads
// each one (GET /rest/organizations/{id}); every Page becomes a
// publisher.GrantedAccount with ExternalID "urn:li:organization:{id}" and
// the member's token. A Page where the member's role cannot post (only
// ADMINISTRATOR, DIRECT_SPONSORED_CONTENT_POSTER and CONTENT_ADMIN can;
// Config.PostingRoles) comes with Problem set. The organizationAcls finder
// and its fields are as the reference gives them; the projection to fetch
// names in one call is UNVERIFIED, so names cost one call per Page.
// ExternalID may also be the bare numeric id; the author URN is made from
// it either way.
//
// Access tokens last 60 days. Refresh tokens are issued only to approved
// partners: the connector implements publisher.Refresher, but RefreshDue
// is false without one, and Refresh never replaces a refresh token with an
// empty one. Without a refresh token the account must be reconnected
// before the token expires.
//
// # Publishing
//
// Commentary is LinkedIn's "little" text format: the reserved characters
// \ | { } @ [ ] ( ) < > # * _ ~ must be backslash-escaped, or LinkedIn
// silently truncates the post at the first one (UNVERIFIED list). escape
// does that for everything except URLs, left intact so that they link,
// and #hashtags, left as hashtag elements. The message's link is appended
// to the commentary on its own paragraph unless the text holds it (an
// article card needs a title Prasar does not have). Measure counts the
// code points of the escaped commentary — what LinkedIn receives and
// checks against 3000.
//
// Images go through POST /rest/images?action=initializeUpload, a PUT of
// the bytes to the returned uploadUrl, then content.media (one image) or
// content.multiImage (2–20). The upload details are UNVERIFIED.
//
// Answers: 201 with the post's URN in x-restli-id →
// publisher.Published{ExternalID: URN, URL: https://www.linkedin.com/feed/update/{URN}/}.
// 401 and 403 are auth errors (the token, or the member's role on the
// Page); 422 (DUPLICATE_POST among them) and other 4xx, including an
// inactive Linkedin-Version (426), are rejected; 429 is rate-limited until
// Retry-After, else Config.RateLimitBackoff (LinkedIn documents no
// rate-limit headers); 5xx is retryable and ambiguous.
//
// # Lookup, delete, metrics
//
// Lookup reads the Page's posts with GET /rest/posts?q=author&author=…
// (sortBy=LAST_MODIFIED, count LookupPageSize, at most LookupMaxPages
// pages; UNVERIFIED) and compares their commentary with what Publish
// sends. Delete is DELETE /rest/posts/{URN}. FetchMetrics reads
// totalShareStatistics from Config.MetricsPath
// (/rest/organizationalEntityShareStatistics, UNVERIFIED): impressionCount,
// uniqueImpressionsCount, clickCount, likeCount, commentCount, shareCount;
// the engagement ratio is left out (it is not a count, and follows from the
// others). URNs go into paths and queries percent-encoded, as Rest.li 2.0
// requires.
package linkedin

import (
	"bytes"
	"context"
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
	"unicode"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

// Config configures the connector. Zero fields take the defaults given on
// each.
type Config struct {
	// APIURL is the REST host (default https://api.linkedin.com; sandbox:
	// BaseURL+sandbox.LinkedInAPIPath).
	APIURL string
	// AuthURL and TokenURL are the OAuth endpoints (default
	// https://www.linkedin.com/oauth/v2/authorization and …/accessToken;
	// sandbox: BaseURL+sandbox.LinkedInWebPath+"/oauth/v2/authorization"
	// and "/oauth/v2/accessToken").
	AuthURL  string
	TokenURL string
	// WebURL is where posts and Pages are seen (default
	// https://www.linkedin.com; sandbox: BaseURL+sandbox.LinkedInWebPath).
	WebURL string
	// Version is the Linkedin-Version header, YYYYMM (default 202605).
	Version string
	// ClientID and ClientSecret are the LinkedIn app's credentials.
	ClientID     string
	ClientSecret string
	// Scopes are asked for at authorization (default
	// w_organization_social r_organization_social rw_organization_admin).
	Scopes []string
	// PostingRoles are the organization roles that may post (default
	// ADMINISTRATOR, DIRECT_SPONSORED_CONTENT_POSTER, CONTENT_ADMIN).
	PostingRoles []string
	// MaxChars is the longest commentary, as sent (default 3000).
	MaxChars int
	// MaxImages is the most images in one post (default 20).
	MaxImages int
	// MaxImageBytes is the largest image (default 10 MB; UNVERIFIED).
	MaxImageBytes int64
	// ImageTypes are the accepted MIME types (default JPEG, PNG, GIF).
	ImageTypes []string
	// RefreshMargin is how long before expiry RefreshDue says to refresh
	// (default 7 days).
	RefreshMargin time.Duration
	// LookupPageSize is the page size Lookup asks for (default 50) and
	// LookupMaxPages how many pages it reads (default 4).
	LookupPageSize int
	LookupMaxPages int
	// MetricsPath is the share statistics finder (default
	// /rest/organizationalEntityShareStatistics).
	MetricsPath string
	// RateLimitBackoff is how long a 429 lasts without Retry-After
	// (default 1 hour).
	RateLimitBackoff time.Duration
	// MaxResponseBytes caps an answer's size (default 4 MB).
	MaxResponseBytes int64
	// HTTPClient makes the calls (nil: connectors.NewHTTPClient(HTTP)).
	HTTPClient *http.Client
	// HTTP sets the timeouts of the default client.
	HTTP connectors.HTTPConfig
	// Now is the clock for expiry and reset times (nil: time.Now).
	Now func() time.Time
	// Logger receives one debug line per call, never a token (nil:
	// discarded).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.APIURL, "https://api.linkedin.com")
	def(&c.AuthURL, "https://www.linkedin.com/oauth/v2/authorization")
	def(&c.TokenURL, "https://www.linkedin.com/oauth/v2/accessToken")
	def(&c.WebURL, "https://www.linkedin.com")
	def(&c.Version, "202605")
	def(&c.MetricsPath, "/rest/organizationalEntityShareStatistics")
	c.APIURL, c.WebURL = strings.TrimRight(c.APIURL, "/"), strings.TrimRight(c.WebURL, "/")
	if len(c.Scopes) == 0 {
		c.Scopes = []string{"w_organization_social", "r_organization_social", "rw_organization_admin"}
	}
	if len(c.PostingRoles) == 0 {
		c.PostingRoles = []string{"ADMINISTRATOR", "DIRECT_SPONSORED_CONTENT_POSTER", "CONTENT_ADMIN"}
	}
	if c.MaxChars <= 0 {
		c.MaxChars = 3000
	}
	if c.MaxImages <= 0 {
		c.MaxImages = 20
	}
	if c.MaxImageBytes <= 0 {
		c.MaxImageBytes = 10 << 20
	}
	if len(c.ImageTypes) == 0 {
		c.ImageTypes = []string{"image/jpeg", "image/png", "image/gif"}
	}
	if c.RefreshMargin <= 0 {
		c.RefreshMargin = 7 * 24 * time.Hour
	}
	if c.LookupPageSize <= 0 {
		c.LookupPageSize = 50
	}
	if c.LookupMaxPages <= 0 {
		c.LookupMaxPages = 4
	}
	if c.RateLimitBackoff <= 0 {
		c.RateLimitBackoff = time.Hour
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

// Connector publishes to LinkedIn Pages.
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
func New(cfg Config) *Connector { return &Connector{cfg: cfg.withDefaults()} }

// Platform is publisher.LinkedIn.
func (c *Connector) Platform() publisher.Platform { return publisher.LinkedIn }

// Rules are LinkedIn's composing limits as configured.
func (c *Connector) Rules() publisher.PlatformRules {
	return publisher.PlatformRules{
		Platform:      publisher.LinkedIn,
		MaxChars:      c.cfg.MaxChars,
		CountUnit:     "characters",
		MaxImages:     c.cfg.MaxImages,
		MaxImageBytes: c.cfg.MaxImageBytes,
		ImageTypes:    slices.Clone(c.cfg.ImageTypes),
		Enabled:       true,
	}
}

// Measure counts the code points of the commentary Publish sends, escapes
// included.
func (c *Connector) Measure(msg publisher.Message) publisher.Measure {
	return publisher.Measure{Count: utf8.RuneCountInString(commentary(msg)), Limit: c.cfg.MaxChars}
}

// text is what a reader should see: the message's text with its link on
// its own paragraph unless the text already contains it.
func text(msg publisher.Message) string {
	return connectors.WithLink(msg.Text, msg.Link)
}

// commentary is text(msg) in little text.
func commentary(msg publisher.Message) string { return Escape(text(msg)) }

const reserved = `\|{}@[]()<>#*_~`

var urlRE = regexp.MustCompile(`^https?://[^\s]+`)

// Escape writes s in LinkedIn's little text format: reserved characters
// backslash-escaped, except within URLs (which then still link) and the
// "#" of a hashtag (which stays a hashtag).
func Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		rest := s[i:]
		r, size := utf8.DecodeRuneInString(rest)
		atWordStart := i == 0 || unicode.IsSpace(rune(s[i-1])) || strings.ContainsRune("([{", rune(s[i-1]))
		if atWordStart && urlRE.MatchString(rest) {
			u := urlRE.FindString(rest)
			b.WriteString(u)
			i += len(u)
			continue
		}
		if r == '#' && atWordStart && len(rest) > 1 {
			if r2, _ := utf8.DecodeRuneInString(rest[1:]); unicode.IsLetter(r2) || unicode.IsNumber(r2) || unicode.Is(unicode.M, r2) {
				b.WriteByte('#')
				i++
				continue
			}
		}
		if strings.ContainsRune(reserved, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		i += size
	}
	return b.String()
}

func rejected(format string, args ...any) *publisher.PlatformError {
	return &publisher.PlatformError{Class: publisher.ClassRejected, Message: fmt.Sprintf(format, args...)}
}

var orgRE = regexp.MustCompile(`^(urn:li:organization:)?([0-9]+)$`)

// target checks that the account and credentials can be used at all and
// returns the organization's URN.
func target(acct *publisher.Account, cred publisher.Credentials) (author, token string, err error) {
	if acct == nil || !orgRE.MatchString(acct.ExternalID) {
		return "", "", &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no valid LinkedIn organization id; reconnect it."}
	}
	if cred.AccessToken == "" {
		return "", "", &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no LinkedIn access token; reconnect it."}
	}
	return "urn:li:organization:" + orgRE.FindStringSubmatch(acct.ExternalID)[2], cred.AccessToken, nil
}

// postURL is where a post is seen.
func (c *Connector) postURL(urn string) string {
	return c.cfg.WebURL + "/feed/update/" + urn + "/"
}

// Publish creates the post (see the package doc). Every failure is a
// *publisher.PlatformError.
func (c *Connector) Publish(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message) (*publisher.Published, error) {
	author, token, err := target(acct, cred)
	if err != nil {
		return nil, err
	}
	body := commentary(msg)
	if strings.TrimSpace(body) == "" && len(msg.Media) == 0 {
		return nil, rejected("The post is empty.")
	}
	if n := utf8.RuneCountInString(body); n > c.cfg.MaxChars {
		return nil, rejected("The text is %d characters long as LinkedIn receives it (reserved characters escaped); LinkedIn allows %d.", n, c.cfg.MaxChars)
	}
	if len(msg.Media) > c.cfg.MaxImages {
		return nil, rejected("The post has %d images; LinkedIn allows %d.", len(msg.Media), c.cfg.MaxImages)
	}
	for i, m := range msg.Media {
		if !slices.Contains(c.cfg.ImageTypes, m.ContentType) {
			return nil, rejected("Image %d is %s; LinkedIn accepts %s.", i+1, m.ContentType, strings.Join(c.cfg.ImageTypes, ", "))
		}
		if m.Size > c.cfg.MaxImageBytes {
			return nil, rejected("Image %d is larger than %d MB.", i+1, c.cfg.MaxImageBytes>>20)
		}
	}
	type image struct {
		ID      string `json:"id"`
		AltText string `json:"altText,omitempty"`
	}
	var images []image
	for _, m := range msg.Media {
		urn, err := c.uploadImage(ctx, author, token, m)
		if err != nil {
			// An uploaded image is not a post.
			pe := *publisher.AsPlatformError(err)
			pe.Ambiguous = false
			return nil, &pe
		}
		images = append(images, image{ID: urn, AltText: m.AltText})
	}
	post := map[string]any{"author": author, "commentary": body, "visibility": "PUBLIC",
		"distribution":   map[string]any{"feedDistribution": "MAIN_FEED", "targetEntities": []any{}, "thirdPartyDistributionChannels": []any{}},
		"lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": false}
	switch len(images) {
	case 0:
	case 1:
		post["content"] = map[string]any{"media": images[0]}
	default:
		post["content"] = map[string]any{"multiImage": map[string]any{"images": images}}
	}
	b, _ := json.Marshal(post)
	resp, err := c.call(ctx, http.MethodPost, "/rest/posts", "", token, "application/json", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	urn := resp.Header.Get("X-Restli-Id")
	if urn == "" {
		urn = resp.Header.Get("X-Linkedin-Id")
	}
	if !strings.HasPrefix(urn, "urn:li:") {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: true, Message: "LinkedIn answered without the post's id (x-restli-id)."}
	}
	return &publisher.Published{ExternalID: urn, URL: c.postURL(urn)}, nil
}

// uploadImage registers an image (initializeUpload) and PUTs its bytes.
func (c *Connector) uploadImage(ctx context.Context, owner, token string, m publisher.MediaRef) (string, error) {
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
	b, _ := json.Marshal(map[string]any{"initializeUploadRequest": map[string]string{"owner": owner}})
	resp, err := c.call(ctx, http.MethodPost, "/rest/images", "action=initializeUpload", token, "application/json", bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	var out struct {
		Value struct {
			UploadURL string `json:"uploadUrl"`
			Image     string `json:"image"`
		} `json:"value"`
	}
	if json.Unmarshal(resp.Body, &out) != nil || out.Value.UploadURL == "" || out.Value.Image == "" {
		return "", &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "LinkedIn's image upload answer could not be read."}
	}
	u, err := url.Parse(out.Value.UploadURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "LinkedIn gave an upload address Prasar cannot use."}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.String(), bytes.NewReader(data))
	if err != nil {
		return "", &publisher.PlatformError{Class: publisher.ClassRejected, Message: "Prasar could not build the LinkedIn upload.", Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", m.ContentType)
	put, err := connectors.Do(c.cfg.HTTPClient, req, c.cfg.MaxResponseBytes)
	status := 0
	if put != nil {
		status = put.StatusCode
	}
	c.cfg.Logger.DebugContext(ctx, "linkedin: image upload", "host", u.Host, "status", status)
	if err != nil {
		return "", err
	}
	if !put.OK() {
		return "", c.classify(put)
	}
	return out.Value.Image, nil
}

// apiError is LinkedIn's error body, in either of its shapes.
type apiError struct {
	Status           int    `json:"status"`
	ServiceErrorCode int    `json:"serviceErrorCode"`
	Code             string `json:"code"`
	Message          string `json:"message"`
	ErrorDetails     struct {
		InputErrors []struct {
			Description string `json:"description"`
			Code        string `json:"code"`
		} `json:"inputErrors"`
	} `json:"errorDetails"`
}

func (e *apiError) Error() string {
	return fmt.Sprintf("linkedin error %d %s: %s", e.Status, e.Code, e.Message)
}

// classify turns a non-2xx answer into a *publisher.PlatformError.
func (c *Connector) classify(resp *connectors.Response) *publisher.PlatformError {
	pe := connectors.StatusError(resp, c.cfg.Now(), c.cfg.RateLimitBackoff)
	var e apiError
	if json.Unmarshal(resp.Body, &e) == nil && (e.Message != "" || e.Code != "") {
		pe.Err = &e
		pe.Message = strings.TrimSpace(e.Message)
		if len(e.ErrorDetails.InputErrors) > 0 {
			ie := e.ErrorDetails.InputErrors[0]
			pe.Code = ie.Code
			if ie.Description != "" && !strings.Contains(pe.Message, ie.Description) {
				pe.Message += " (" + ie.Description + ")"
			}
		} else if e.Code != "" {
			pe.Code = e.Code
		}
	}
	pe.Duplicate = pe.Code == "DUPLICATE_POST"
	switch resp.StatusCode {
	case http.StatusForbidden:
		// The member lost the role that lets them post for the Page, or the
		// token lacks a scope: reconnecting (with the right role) fixes it.
		pe.Class = publisher.ClassAuth
	case http.StatusUpgradeRequired:
		pe.Message += fmt.Sprintf(" — Prasar's LinkedIn API version (%s) must be updated in the configuration.", c.cfg.Version)
	}
	return pe
}

// call makes one REST call with the version headers and the token in the
// Authorization header. rawQuery is sent as given (Rest.li encodings).
func (c *Connector) call(ctx context.Context, method, path, rawQuery, token, contentType string, body io.Reader) (*connectors.Response, error) {
	u := c.cfg.APIURL + path
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, &publisher.PlatformError{Class: publisher.ClassRejected, Message: "Prasar could not build the LinkedIn request.", Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Linkedin-Version", c.cfg.Version)
	req.Header.Set("X-Restli-Protocol-Version", "2.0.0")
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
	c.cfg.Logger.DebugContext(ctx, "linkedin: api call", "method", method, "path", path, "status", status, "duration_ms", time.Since(start).Milliseconds())
	if err != nil {
		return nil, err
	}
	if !resp.OK() {
		return resp, c.classify(resp)
	}
	return resp, nil
}

// getJSON makes a GET and decodes the answer; failures are not ambiguous.
func (c *Connector) getJSON(ctx context.Context, path, rawQuery, token string, out any) error {
	resp, err := c.call(ctx, http.MethodGet, path, rawQuery, token, "", nil)
	if err != nil {
		pe := *publisher.AsPlatformError(err)
		pe.Ambiguous = false
		return &pe
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "LinkedIn's answer could not be read.", Err: err}
	}
	return nil
}

func normalise(s string) string { return strings.Join(strings.Fields(s), " ") }

// unescape undoes Escape: LinkedIn may answer with commentary as sent or
// as shown.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(reserved, s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Lookup looks for a post made from msg on the Page at or after since,
// comparing commentary (see the package doc). It returns
// publisher.ErrNotPublished when the Page has no such post since then, and
// publisher.ErrLookupUnsupported when it cannot tell.
func (c *Connector) Lookup(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message, since time.Time) (*publisher.Published, error) {
	author, token, err := target(acct, cred)
	if err != nil {
		return nil, err
	}
	want, plain := normalise(commentary(msg)), normalise(text(msg))
	if want == "" {
		return nil, fmt.Errorf("linkedin: a post without text cannot be recognised: %w", publisher.ErrLookupUnsupported)
	}
	for page := range c.cfg.LookupMaxPages {
		q := "q=author&author=" + url.QueryEscape(author) + "&count=" + strconv.Itoa(c.cfg.LookupPageSize) +
			"&start=" + strconv.Itoa(page*c.cfg.LookupPageSize) + "&sortBy=LAST_MODIFIED"
		var out struct {
			Elements []struct {
				ID         string `json:"id"`
				Commentary string `json:"commentary"`
				CreatedAt  int64  `json:"createdAt"`
			} `json:"elements"`
		}
		if err := c.getJSON(ctx, "/rest/posts", q, token, &out); err != nil {
			return nil, err
		}
		older := 0
		for _, p := range out.Elements {
			if !since.IsZero() && p.CreatedAt > 0 && time.UnixMilli(p.CreatedAt).Before(since.Truncate(time.Millisecond)) {
				older++
				continue
			}
			if normalise(p.Commentary) == want || normalise(unescape(p.Commentary)) == plain {
				return &publisher.Published{ExternalID: p.ID, URL: c.postURL(p.ID)}, nil
			}
		}
		if len(out.Elements) < c.cfg.LookupPageSize || older == len(out.Elements) {
			return nil, publisher.ErrNotPublished
		}
	}
	return nil, fmt.Errorf("linkedin: more than %d posts since %s; cannot tell whether the post is among them: %w",
		c.cfg.LookupPageSize*c.cfg.LookupMaxPages, since.UTC().Format(time.RFC3339), publisher.ErrLookupUnsupported)
}

// Delete removes a post by its URN. One that is already gone is not an
// error.
func (c *Connector) Delete(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, externalID string) error {
	_, token, err := target(acct, cred)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(externalID, "urn:li:") {
		return rejected("%q is not a LinkedIn post URN.", externalID)
	}
	resp, err := c.call(ctx, http.MethodDelete, "/rest/posts/"+url.QueryEscape(externalID), "", token, "", nil)
	if resp != nil && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone) {
		return nil
	}
	if err != nil {
		pe := *publisher.AsPlatformError(err)
		pe.Ambiguous = false
		return &pe
	}
	return nil
}

// FetchMetrics reads a post's lifetime share statistics (see the package
// doc).
func (c *Connector) FetchMetrics(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, externalID string) (*publisher.MetricsResult, error) {
	author, token, err := target(acct, cred)
	if err != nil {
		return nil, err
	}
	param := "shares"
	if strings.HasPrefix(externalID, "urn:li:ugcPost:") {
		param = "ugcPosts"
	}
	q := "q=organizationalEntity&organizationalEntity=" + url.QueryEscape(author) + "&" + param + "=List(" + url.QueryEscape(externalID) + ")"
	var out struct {
		Elements []struct {
			Share   string         `json:"share"`
			UGCPost string         `json:"ugcPost"`
			Total   map[string]any `json:"totalShareStatistics"`
		} `json:"elements"`
	}
	if err := c.getJSON(ctx, c.cfg.MetricsPath, q, token, &out); err != nil {
		return nil, err
	}
	for _, e := range out.Elements {
		if e.Share != externalID && e.UGCPost != externalID {
			continue
		}
		res := &publisher.MetricsResult{Values: map[string]int64{}}
		for _, name := range []string{"impressionCount", "uniqueImpressionsCount", "clickCount", "likeCount", "commentCount", "shareCount"} {
			if v, ok := e.Total[name].(float64); ok {
				res.Values[name] = int64(v)
			} else {
				if res.Unavailable == nil {
					res.Unavailable = map[string]string{}
				}
				res.Unavailable[name] = "not in LinkedIn's answer"
			}
		}
		return res, nil
	}
	return nil, rejected("LinkedIn has no statistics for %s (deleted, or not a post of this Page).", externalID)
}

// oauthConfig is the app's OAuth client.
func (c *Connector) oauthConfig(redirectURL string) *oauth2.Config {
	return &oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, RedirectURL: redirectURL, Scopes: c.cfg.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: c.cfg.AuthURL, TokenURL: c.cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
}

// AuthCodeURL returns LinkedIn's consent page for state. LinkedIn's web
// flow takes no PKCE; verifier is ignored.
func (c *Connector) AuthCodeURL(state, verifier, redirectURL string) string {
	return c.oauthConfig(redirectURL).AuthCodeURL(state)
}

// credentials turns a token answer into credentials, keeping old's refresh
// token when the answer brings none.
func (c *Connector) credentials(tok *oauth2.Token, old publisher.Credentials) publisher.Credentials {
	cred := publisher.Credentials{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Extra: map[string]string{}}
	for k, v := range old.Extra {
		cred.Extra[k] = v
	}
	if cred.RefreshToken == "" {
		cred.RefreshToken = old.RefreshToken
	}
	if d, ok := extraSeconds(tok, "expires_in"); ok {
		t := c.cfg.Now().Add(d).UTC()
		cred.ExpiresAt = &t
	} else if !tok.Expiry.IsZero() {
		t := tok.Expiry.UTC()
		cred.ExpiresAt = &t
	}
	if s, ok := extraSeconds(tok, "refresh_token_expires_in"); ok && tok.RefreshToken != "" {
		cred.Extra["refresh_expires_at"] = c.cfg.Now().Add(s).UTC().Format(time.RFC3339)
	}
	return cred
}

func extraSeconds(tok *oauth2.Token, name string) (time.Duration, bool) {
	switch v := tok.Extra(name).(type) {
	case float64:
		return time.Duration(v) * time.Second, v > 0
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		return time.Duration(n) * time.Second, err == nil && n > 0
	}
	return 0, false
}

// Exchange trades an authorization code for a token and returns the
// member's Pages (see the package doc). A refused or expired code is
// ClassRejected.
func (c *Connector) Exchange(ctx context.Context, code, verifier, redirectURL string) ([]publisher.GrantedAccount, error) {
	tok, err := c.oauthConfig(redirectURL).Exchange(context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient), code)
	c.cfg.Logger.DebugContext(ctx, "linkedin: token exchange", "ok", err == nil)
	if err != nil {
		return nil, oauthError(err, publisher.ClassRejected, "LinkedIn refused the sign-in")
	}
	cred := c.credentials(tok, publisher.Credentials{})
	var scopes []string
	if s, ok := tok.Extra("scope").(string); ok {
		scopes = strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	}
	var acls struct {
		Elements []struct {
			Organization string `json:"organization"`
			Role         string `json:"role"`
			State        string `json:"state"`
		} `json:"elements"`
	}
	if err := c.getJSON(ctx, "/rest/organizationAcls", "q=roleAssignee&state=APPROVED&count=100", tok.AccessToken, &acls); err != nil {
		return nil, err
	}
	roles := map[string][]string{}
	var order []string
	for _, e := range acls.Elements {
		if !orgRE.MatchString(e.Organization) || (e.State != "" && e.State != "APPROVED") {
			continue
		}
		if _, seen := roles[e.Organization]; !seen {
			order = append(order, e.Organization)
		}
		roles[e.Organization] = append(roles[e.Organization], e.Role)
	}
	var out []publisher.GrantedAccount
	for _, urn := range order {
		id := orgRE.FindStringSubmatch(urn)[2]
		var org struct {
			LocalizedName string `json:"localizedName"`
			VanityName    string `json:"vanityName"`
		}
		if err := c.getJSON(ctx, "/rest/organizations/"+id, "", tok.AccessToken, &org); err != nil {
			return nil, err
		}
		g := publisher.GrantedAccount{ExternalID: "urn:li:organization:" + id, Handle: org.VanityName, DisplayName: org.LocalizedName,
			ProfileURL: c.cfg.WebURL + "/company/" + url.PathEscape(cmpOr(org.VanityName, id)), Credentials: cred, Scopes: scopes}
		if !slices.ContainsFunc(roles[urn], func(r string) bool { return slices.Contains(c.cfg.PostingRoles, r) }) {
			g.Problem = fmt.Sprintf("Your role on this Page (%s) cannot post; a Super admin or Content admin role is needed (%s).",
				strings.Join(roles[urn], ", "), strings.Join(c.cfg.PostingRoles, ", "))
		}
		out = append(out, g)
	}
	if len(out) == 0 {
		return nil, rejected("The LinkedIn member administers no Page. Ask a Page's Super admin for the Content admin role, then connect again.")
	}
	return out, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// RefreshDue reports whether the access token expires within
// RefreshMargin and a refresh token (approved partners only) can renew it.
func (c *Connector) RefreshDue(cred publisher.Credentials, now time.Time) bool {
	if cred.RefreshToken == "" || cred.ExpiresAt == nil || now.Before(cred.ExpiresAt.Add(-c.cfg.RefreshMargin)) {
		return false
	}
	if t, err := time.Parse(time.RFC3339, cred.Extra["refresh_expires_at"]); err == nil && !now.Before(t) {
		return false
	}
	return true
}

// Refresh renews the access token with the refresh token; LinkedIn keeps
// the refresh token's first-grant expiry, and an answer without a refresh
// token keeps the old one. A refused refresh is ClassAuth.
func (c *Connector) Refresh(ctx context.Context, acct *publisher.Account, cred publisher.Credentials) (publisher.Credentials, error) {
	if cred.RefreshToken == "" {
		return cred, &publisher.PlatformError{Class: publisher.ClassAuth,
			Message: "LinkedIn gives refresh tokens to approved partners only; reconnect the account before its token expires."}
	}
	ts := c.oauthConfig("").TokenSource(context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient), &oauth2.Token{RefreshToken: cred.RefreshToken})
	tok, err := ts.Token()
	c.cfg.Logger.DebugContext(ctx, "linkedin: token refresh", "ok", err == nil)
	if err != nil {
		return cred, oauthError(err, publisher.ClassAuth, "LinkedIn refused to renew the token; reconnect the account")
	}
	return c.credentials(tok, cred), nil
}

// oauthError classifies a failed token request: LinkedIn's refusal (4xx)
// is class; 5xx and transport failures are retryable.
func oauthError(err error, class publisher.ErrorClass, what string) *publisher.PlatformError {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		msg := re.ErrorCode
		if re.ErrorDescription != "" {
			msg += ": " + re.ErrorDescription
		}
		code := ""
		if re.Response != nil {
			code = strconv.Itoa(re.Response.StatusCode)
			if re.Response.StatusCode >= 500 {
				return &publisher.PlatformError{Class: publisher.ClassRetryable, Code: code, Message: "LinkedIn could not answer (" + msg + "); try again."}
			}
		}
		return &publisher.PlatformError{Class: class, Code: code, Message: what + " (" + msg + ")."}
	}
	return &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "LinkedIn could not be reached; try again.", Err: err}
}
