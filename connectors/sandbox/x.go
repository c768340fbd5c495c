package sandbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// X (Twitter) API v2, after platform-apis.md §3. Connectors use
// APIURL = BaseURL+XAPIPath, AuthURL = BaseURL+XAuthorizePath,
// TokenURL = BaseURL+XTokenPath and WebURL = BaseURL+XWebPath.
//
// The fake serves OAuth 2.0 with PKCE (a consent page with Approve and
// Deny, 30-second codes, two-hour access tokens, rotating single-use
// refresh tokens whose replay kills the token family), POST /2/tweets with
// X's validation (weighted length, unknown fields, duplicates, the reply
// rule), the v2 media endpoints with their processing state machine, the
// user timeline, post lookup with metrics, deletion, x-rate-limit-*
// headers on every API call and 429 when a window is used up.
//
// Access tokens are the sandbox's signed tokens (MintToken("x", …) works);
// those issued by the OAuth flow also name their token family. Refresh
// tokens are signed too, so they survive a restart with the same secret;
// which generation of a family is current is kept in memory only, so
// replay detection and revocations start afresh after a restart.
//
// Usernames are derived from the account: up to ten ASCII letters and
// digits of its name, "_", and the last four digits of its id (for
// example "Agricultur_1001"). Account pages are at XWebPath/{id or
// username}, posts at XWebPath/{anything}/status/{id} and
// XWebPath/i/web/status/{id}, as on x.com.
const (
	XAPIPath       = "/sandbox/x/api"
	XWebPath       = "/sandbox/x/www"
	XAuthorizePath = XWebPath + "/i/oauth2/authorize"
	XTokenPath     = XAPIPath + "/2/oauth2/token"
	XRevokePath    = XAPIPath + "/2/oauth2/revoke"
)

// Fault.Code values for a FaultRateLimit on X: which limit is used up. The
// reset is Fault.RetryAfter from now.
const (
	// XLimitWindow: the endpoint's 15-minute window (x-rate-limit-*).
	XLimitWindow = 0
	// XLimitUserDaily: the user's 24-hour cap (x-user-limit-24hour-*),
	// while the 15-minute window still has room and resets earlier.
	XLimitUserDaily = 1
	// XLimitAppDaily: the app's 24-hour cap (x-app-limit-24hour-*).
	XLimitAppDaily = 2
	// XLimitUsageCapped: the usage-capped problem (credits or the plan's
	// monthly cap used up), without rate-limit headers.
	XLimitUsageCapped = 3
)

// Limits of the fake X API.
const (
	xMaxWeighted       = 280
	xURLWeight         = 23
	xCodeLifetime      = 30 * time.Second
	xAccessLifetime    = 2 * time.Hour
	xRefreshLifetime   = 180 * 24 * time.Hour
	xWindow            = 15 * time.Minute
	xDay               = 24 * time.Hour
	xUserDailyPosts    = 2400
	xAppDailyPosts     = 10000
	xMaxImageBytes     = 5 << 20
	xMaxGIFBytes       = 15 << 20
	xMaxVideoBytes     = 512 << 20
	xMediaExpiry       = 24 * time.Hour
	xMaxMediaPerPost   = 4
	xMaxSegment        = 999
	xMaxAltText        = 1000
	xMaxBody           = 32 << 20
	xMinResults        = 5
	xMaxResults        = 100
	xDefaultResults    = 10
	xPrivateMetricsAge = 30 * 24 * time.Hour
	xMaxState          = 500
)

// xLimits are the per-user 15-minute limits of the endpoints the fake
// serves (platform-apis.md §3.3, §3.5).
var xLimits = map[string]int{
	"POST /2/tweets":                100,
	"DELETE /2/tweets/:id":          50,
	"GET /2/tweets/:id":             900,
	"GET /2/users/:id/tweets":       900,
	"GET /2/users/me":               75,
	"POST /2/media/upload":          500,
	"GET /2/media/upload":           1875,
	"POST /2/media/upload/init":     1875,
	"POST /2/media/upload/append":   1875,
	"POST /2/media/upload/finalize": 1875,
	"POST /2/media/metadata":        500,
}

// xScopes are the OAuth scopes X knows.
var xScopes = []string{"tweet.read", "tweet.write", "tweet.moderate.write", "users.email", "users.read", "follows.read",
	"follows.write", "offline.access", "space.read", "mute.read", "mute.write", "like.read", "like.write", "list.read",
	"list.write", "block.read", "block.write", "bookmark.read", "bookmark.write", "media.write", "dm.read", "dm.write"}

// xTweetFields are the tweet.fields values X accepts.
var xTweetFields = []string{"article", "attachments", "author_id", "card_uri", "community_id", "context_annotations",
	"conversation_id", "created_at", "display_text_range", "edit_controls", "edit_history_tweet_ids", "entities", "geo",
	"id", "in_reply_to_user_id", "lang", "media_metadata", "non_public_metrics", "note_tweet", "organic_metrics",
	"possibly_sensitive", "promoted_metrics", "public_metrics", "referenced_tweets", "reply_settings", "scopes",
	"source", "text", "withheld"}

func init() {
	register(&platform{
		name:  "x",
		title: "X",
		order: 20,
		mount: mountX,
		pagePath: func(id string) string {
			return XWebPath + "/" + url.PathEscape(id)
		},
		postPath: func(p *Post) string { return XWebPath + "/i/web/status/" + url.PathEscape(p.ID) },
	})
}

// xPlatform is the fake X of one Server. Its maps are guarded by s.mu.
type xPlatform struct {
	s        *Server
	codes    map[string]*xCode
	families map[string]*xFamily
	uploads  map[string]*xUpload // media not yet usable: being uploaded, processed, or failed
	windows  map[xWindowKey]*xCounter
	approver map[string]string // client id → the account that approved last (a browser's session)
}

// xCode is an authorization code waiting to be exchanged.
type xCode struct {
	client, redirect, challenge, method, scope, account, name string
	issued                                                    time.Time
}

// xFamily is a token family: the tokens descending from one consent.
type xFamily struct {
	gen     int // the current refresh token's generation
	revoked bool
}

// xUpload is media in the upload state machine.
type xUpload struct {
	id, account, mediaType, category string
	total                            int64
	segments                         map[int][]byte
	state                            string // initialized, pending, in_progress, failed
	polls                            int
	alt                              string
	created                          time.Time
}

type xWindowKey struct{ key, account string }

type xCounter struct {
	start time.Time
	n     int
}

func mountX(s *Server, mux *http.ServeMux) {
	x := &xPlatform{s: s, codes: map[string]*xCode{}, families: map[string]*xFamily{}, uploads: map[string]*xUpload{},
		windows: map[xWindowKey]*xCounter{}, approver: map[string]string{}}
	mux.Handle(XAPIPath+"/", s.withFaults("x", x.classify, x.renderFault, http.HandlerFunc(x.serveAPI)))
	mux.HandleFunc("GET "+XAuthorizePath, x.handleAuthorize)
	mux.HandleFunc("POST "+XAuthorizePath, x.handleConsent)
	mux.HandleFunc("GET "+XWebPath+"/{handle}", x.handleProfile)
	mux.HandleFunc("GET "+XWebPath+"/{handle}/status/{id}", x.handleStatus)
	mux.HandleFunc("GET "+XWebPath+"/i/web/status/{id}", x.handleStatus)
}

// xUsername is the username of a sandbox X account (see the file comment).
func xUsername(a Account) string {
	var b strings.Builder
	for _, r := range a.Name {
		if b.Len() >= 10 {
			break
		}
		if r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	id := a.ID
	if len(id) > 4 {
		id = id[len(id)-4:]
	}
	slug := b.String()
	if slug == "" {
		slug = "user"
	}
	return slug + "_" + id
}

// Answers. X's errors are RFC 7807 problems (types rooted at
// https://api.twitter.com/2/problems/), except the token endpoint's, which
// are OAuth's {"error","error_description"}.

const xProblemRoot = "https://api.twitter.com/2/problems/"

func xWrite(w http.ResponseWriter, status int, contentType string, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

func xData(w http.ResponseWriter, status int, v any) {
	xWrite(w, status, "application/json; charset=utf-8", v)
}

// xProblem writes a problem; kind "" is about:blank.
func xProblem(w http.ResponseWriter, status int, kind, title, detail string, extra map[string]any) {
	p := map[string]any{"title": title, "detail": detail, "status": status, "type": "about:blank"}
	if kind != "" {
		p["type"] = xProblemRoot + kind
	}
	for k, v := range extra {
		p[k] = v
	}
	xWrite(w, status, "application/problem+json", p)
}

// xInvalid writes a 400 invalid-request problem with one error.
func xInvalid(w http.ResponseWriter, message string, params map[string][]string) {
	e := map[string]any{"message": message}
	if params != nil {
		e["parameters"] = params
	}
	xProblem(w, http.StatusBadRequest, "invalid-request", "Invalid Request", "One or more parameters to your request was invalid.",
		map[string]any{"errors": []any{e}})
}

func xUnauthorized(w http.ResponseWriter) {
	xProblem(w, http.StatusUnauthorized, "", "Unauthorized", "Unauthorized", nil)
}

func xForbidden(w http.ResponseWriter, detail string) {
	xProblem(w, http.StatusForbidden, "", "Forbidden", detail, nil)
}

const xDuplicateDetail = "You are not allowed to create a Tweet with duplicate content."

// xNotFound is a resource-not-found entry of errors[].
func xNotFound(resource, param, id string) map[string]any {
	return map[string]any{"value": id, "detail": fmt.Sprintf("Could not find %s with %s: [%s].", resource, param, id),
		"title": "Not Found Error", "resource_type": resource, "parameter": param, "resource_id": id,
		"type": xProblemRoot + "resource-not-found"}
}

func xOAuthError(w http.ResponseWriter, status int, code, description string) {
	xWrite(w, status, "application/json; charset=utf-8", map[string]string{"error": code, "error_description": description})
}

// Routing.

// xRoute names an API call: its rate-limit key and the path's id, if any.
type xRoute struct {
	key, id string
}

func xRouteOf(method, path string) (xRoute, bool) {
	rest, ok := strings.CutPrefix(path, XAPIPath+"/2/")
	if !ok {
		return xRoute{}, false
	}
	segs := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	switch {
	case method == http.MethodPost && rest == "oauth2/token":
		return xRoute{key: "token"}, true
	case method == http.MethodPost && rest == "oauth2/revoke":
		return xRoute{key: "revoke"}, true
	case method == http.MethodGet && rest == "users/me":
		return xRoute{key: "GET /2/users/me"}, true
	case method == http.MethodGet && len(segs) == 3 && segs[0] == "users" && segs[2] == "tweets":
		return xRoute{key: "GET /2/users/:id/tweets", id: segs[1]}, true
	case method == http.MethodPost && rest == "tweets":
		return xRoute{key: "POST /2/tweets"}, true
	case method == http.MethodGet && len(segs) == 2 && segs[0] == "tweets":
		return xRoute{key: "GET /2/tweets/:id", id: segs[1]}, true
	case method == http.MethodDelete && len(segs) == 2 && segs[0] == "tweets":
		return xRoute{key: "DELETE /2/tweets/:id", id: segs[1]}, true
	case rest == "media/upload" && (method == http.MethodPost || method == http.MethodGet):
		return xRoute{key: method + " /2/media/upload"}, true
	case method == http.MethodPost && rest == "media/upload/initialize":
		return xRoute{key: "POST /2/media/upload/init"}, true
	case method == http.MethodPost && len(segs) == 4 && segs[0] == "media" && segs[1] == "upload" && (segs[3] == "append" || segs[3] == "finalize"):
		return xRoute{key: "POST /2/media/upload/" + segs[3], id: segs[2]}, true
	case method == http.MethodPost && rest == "media/metadata":
		return xRoute{key: "POST /2/media/metadata"}, true
	}
	return xRoute{}, false
}

// classify tells the fault machinery whose call this is (from the access
// token, or for the token endpoint from the refresh token or code) and
// what kind: POST /2/tweets publishes, media calls upload, DELETE deletes,
// everything else (the token endpoint included) reads.
func (x *xPlatform) classify(r *http.Request) (string, Op) {
	rt, ok := xRouteOf(r.Method, r.URL.Path)
	if !ok {
		return "", OpRead
	}
	if rt.key == "token" || rt.key == "revoke" {
		body := bufferBody(r, 64<<10)
		form, _ := url.ParseQuery(string(body))
		if c, err := x.parseRefresh(form.Get("refresh_token")); err == nil {
			return c.Account, OpRead
		}
		x.s.mu.Lock()
		defer x.s.mu.Unlock()
		if c := x.codes[form.Get("code")]; c != nil {
			return c.account, OpRead
		}
		return "", OpRead
	}
	// Keep the body readable for a handler that runs after the client has
	// gone (FaultSlow).
	bufferBody(r, xMaxBody)
	account := ""
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		if c, err := x.s.parseToken("x", strings.TrimSpace(tok)); err == nil {
			account = c.Account
		}
	}
	switch {
	case rt.key == "POST /2/tweets":
		return account, OpPublish
	case strings.Contains(rt.key, "/2/media/"):
		return account, OpUpload
	case r.Method == http.MethodDelete:
		return account, OpDelete
	}
	return account, OpRead
}

// renderFault answers an injected fault the way X does.
func (x *xPlatform) renderFault(w http.ResponseWriter, r *http.Request, f Fault, account string) {
	now := x.s.now()
	reset := f.RetryAfter
	if reset <= 0 {
		reset = xWindow
	}
	rt, _ := xRouteOf(r.Method, r.URL.Path)
	if rt.key == "token" || rt.key == "revoke" {
		switch f.Kind {
		case FaultRateLimit:
			w.Header().Set("x-rate-limit-limit", "100")
			w.Header().Set("x-rate-limit-remaining", "0")
			w.Header().Set("x-rate-limit-reset", strconv.FormatInt(now.Add(reset).Unix(), 10))
			xOAuthError(w, http.StatusTooManyRequests, "rate_limit_exceeded", "Too Many Requests")
		case FaultServerError:
			status := xOr(f.Status, http.StatusInternalServerError)
			xOAuthError(w, status, "server_error", http.StatusText(status))
		default:
			xOAuthError(w, http.StatusBadRequest, "invalid_request", "Value passed for the token was invalid.")
		}
		return
	}
	switch f.Kind {
	case FaultRateLimit:
		limit := xLimits[rt.key]
		if limit == 0 {
			limit = 100
		}
		h := w.Header()
		setLimit := func(prefix string, limit, remaining int, at time.Time) {
			h.Set(prefix+"-limit", strconv.Itoa(limit))
			h.Set(prefix+"-remaining", strconv.Itoa(remaining))
			h.Set(prefix+"-reset", strconv.FormatInt(at.Unix(), 10))
		}
		switch f.Code {
		case XLimitUsageCapped:
			xProblem(w, http.StatusTooManyRequests, "usage-capped", "Usage cap exceeded",
				"Usage cap exceeded: Monthly product cap", map[string]any{"period": "Monthly", "scope": "Product"})
			return
		case XLimitUserDaily:
			setLimit("x-rate-limit", limit, limit/2, now.Add(min(reset, 5*time.Minute)))
			setLimit("x-user-limit-24hour", 17, 0, now.Add(reset))
			setLimit("x-app-limit-24hour", xAppDailyPosts, xAppDailyPosts-40, now.Add(xDay))
		case XLimitAppDaily:
			setLimit("x-rate-limit", limit, limit/2, now.Add(min(reset, 5*time.Minute)))
			setLimit("x-app-limit-24hour", xAppDailyPosts, 0, now.Add(reset))
		default:
			setLimit("x-rate-limit", limit, 0, now.Add(reset))
		}
		xProblem(w, http.StatusTooManyRequests, "", "Too Many Requests", "Too Many Requests", nil)
	case FaultServerError:
		status := xOr(f.Status, http.StatusInternalServerError)
		xProblem(w, status, "", http.StatusText(status), http.StatusText(status), nil)
	case FaultExpiredToken:
		xUnauthorized(w)
	case FaultDuplicate:
		xForbidden(w, xDuplicateDetail)
	default:
		xProblem(w, http.StatusInternalServerError, "", "Internal Server Error", "Internal Server Error", nil)
	}
}

// xOr returns v, or def when v is zero.
func xOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// serveAPI routes an API call: the token endpoints need no access token;
// every other call is authenticated, counted against its rate limit
// (x-rate-limit-* headers on every answer) and then served.
func (x *xPlatform) serveAPI(w http.ResponseWriter, r *http.Request) {
	rt, ok := xRouteOf(r.Method, r.URL.Path)
	if !ok {
		xData(w, http.StatusNotFound, map[string]any{"errors": []map[string]any{{"message": "Sorry, that page does not exist", "code": 34}}})
		return
	}
	switch rt.key {
	case "token":
		x.token(w, r)
		return
	case "revoke":
		x.revoke(w, r)
		return
	}
	claims, ok := x.auth(w, r)
	if !ok || !x.limit(w, rt.key, claims.Account) {
		return
	}
	switch rt.key {
	case "GET /2/users/me":
		x.me(w, claims)
	case "GET /2/users/:id/tweets":
		x.timeline(w, r, rt.id)
	case "POST /2/tweets":
		x.createPost(w, r, claims)
	case "GET /2/tweets/:id":
		x.getPost(w, r, claims, rt.id)
	case "DELETE /2/tweets/:id":
		x.deletePost(w, claims, rt.id)
	case "POST /2/media/upload":
		x.uploadOneShot(w, r, claims)
	case "GET /2/media/upload":
		x.uploadStatus(w, r, claims)
	case "POST /2/media/upload/init":
		x.uploadInit(w, r, claims)
	case "POST /2/media/upload/append":
		x.uploadAppend(w, r, claims, rt.id)
	case "POST /2/media/upload/finalize":
		x.uploadFinalize(w, claims, rt.id)
	case "POST /2/media/metadata":
		x.metadata(w, r, claims)
	}
}

// auth checks the bearer token: a sandbox token for X, unexpired, not of a
// revoked family.
func (x *xPlatform) auth(w http.ResponseWriter, r *http.Request) (tokenClaims, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		xUnauthorized(w)
		return tokenClaims{}, false
	}
	claims, err := x.s.parseToken("x", strings.TrimSpace(tok))
	if err != nil || claims.expired(x.s.now()) {
		xUnauthorized(w)
		return claims, false
	}
	if fam, ok := xFamilyOf(claims); ok {
		x.s.mu.Lock()
		f := x.families[fam]
		revoked := f != nil && f.revoked
		x.s.mu.Unlock()
		if revoked {
			xUnauthorized(w)
			return claims, false
		}
	}
	return claims, true
}

// limit counts a call against its 15-minute window (and, for posts, the
// user's and the app's 24-hour caps), sets the x-rate-limit-* headers, and
// answers 429 when a limit is used up.
func (x *xPlatform) limit(w http.ResponseWriter, key, account string) bool {
	s := x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	type check struct {
		prefix  string
		counter *xCounter
		limit   int
		period  time.Duration
	}
	counter := func(key, account string, period time.Duration) *xCounter {
		k := xWindowKey{key, account}
		c := x.windows[k]
		if c == nil || !now.Before(c.start.Add(period)) {
			c = &xCounter{start: now}
			x.windows[k] = c
		}
		return c
	}
	checks := []check{{"x-rate-limit", counter(key, account, xWindow), xLimits[key], xWindow}}
	if key == "POST /2/tweets" {
		checks = append(checks,
			check{"x-user-limit-24hour", counter("day", account, xDay), xUserDailyPosts, xDay},
			check{"x-app-limit-24hour", counter("day", "", xDay), xAppDailyPosts, xDay})
	}
	out := false
	for _, c := range checks {
		if c.counter.n >= c.limit {
			out = true
		}
	}
	h := w.Header()
	for _, c := range checks {
		if !out {
			c.counter.n++
		}
		h.Set(c.prefix+"-limit", strconv.Itoa(c.limit))
		h.Set(c.prefix+"-remaining", strconv.Itoa(max(c.limit-c.counter.n, 0)))
		h.Set(c.prefix+"-reset", strconv.FormatInt(c.counter.start.Add(c.period).Unix(), 10))
	}
	if out {
		xProblem(w, http.StatusTooManyRequests, "", "Too Many Requests", "Too Many Requests", nil)
		return false
	}
	return true
}

// OAuth.

// xFamilyOf returns the token family an access token issued by the OAuth
// flow belongs to (its nonce is "xf.<family>.<random>").
func xFamilyOf(c tokenClaims) (string, bool) {
	rest, ok := strings.CutPrefix(c.Nonce, "xf.")
	if !ok {
		return "", false
	}
	fam, _, ok := strings.Cut(rest, ".")
	return fam, ok && fam != ""
}

// xRefresh is a refresh token's payload: "sbxr1.<payload>.<signature>".
type xRefresh struct {
	Account string `json:"a"`
	Name    string `json:"n,omitempty"`
	Family  string `json:"f"`
	Gen     int    `json:"g"`
	Client  string `json:"c"`
	Scope   string `json:"s"`
	Issued  int64  `json:"i"`
	Expires int64  `json:"e"`
}

const xRefreshPrefix = "sbxr1."

func (x *xPlatform) refreshMAC(payload string) []byte {
	m := hmac.New(sha256.New, x.s.secret)
	m.Write([]byte("prasar-sandbox-x-refresh\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

func (x *xPlatform) signRefresh(c xRefresh) string {
	b, _ := json.Marshal(c)
	p := base64.RawURLEncoding.EncodeToString(b)
	return xRefreshPrefix + p + "." + base64.RawURLEncoding.EncodeToString(x.refreshMAC(p))
}

func (x *xPlatform) parseRefresh(tok string) (xRefresh, error) {
	var c xRefresh
	rest, ok := strings.CutPrefix(tok, xRefreshPrefix)
	if !ok {
		return c, errTokenMalformed
	}
	p, sig, ok := strings.Cut(rest, ".")
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err != nil || !hmac.Equal(got, x.refreshMAC(p)) {
		return c, errTokenMalformed
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || json.Unmarshal(b, &c) != nil || c.Account == "" || c.Family == "" {
		return c, errTokenMalformed
	}
	return c, nil
}

func xRandom(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// xAuthRequest is a validated authorization request.
type xAuthRequest struct {
	ClientID, RedirectURI, Scope, State, Challenge, Method string
	Scopes                                                 []string
}

// xParseAuthRequest checks the consent page's parameters.
func xParseAuthRequest(v url.Values) (xAuthRequest, error) {
	a := xAuthRequest{ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"), Scope: v.Get("scope"),
		State: v.Get("state"), Challenge: v.Get("code_challenge"), Method: v.Get("code_challenge_method")}
	u, err := url.Parse(a.RedirectURI)
	switch {
	case v.Get("response_type") != "code":
		return a, errors.New("response_type must be code")
	case a.ClientID == "":
		return a, errors.New("client_id is missing")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "":
		return a, errors.New("redirect_uri must be an absolute http or https URL")
	case a.State == "" || len(a.State) > 500:
		return a, errors.New("state must be given, at most 500 characters")
	case a.Challenge == "":
		return a, errors.New("code_challenge is missing: X requires PKCE")
	case a.Method != "S256" && a.Method != "plain":
		return a, errors.New("code_challenge_method must be S256 or plain")
	}
	a.Scopes = strings.Fields(a.Scope)
	if len(a.Scopes) == 0 {
		return a, errors.New("scope is missing")
	}
	for _, sc := range a.Scopes {
		if !slices.Contains(xScopes, sc) {
			return a, fmt.Errorf("unknown scope %q", sc)
		}
	}
	return a, nil
}

var xScopeHelp = map[string]string{
	"tweet.read":     "Read posts you can see",
	"tweet.write":    "Post and delete posts for you",
	"users.read":     "Read your profile",
	"offline.access": "Stay connected until you revoke access",
	"media.write":    "Upload images and videos for you",
}

var xConsentTemplate = `{{define "xconsent"}}
<h1>Authorize an app to use your X account</h1>
{{if .Error}}<p role="alert"><strong>This authorization request cannot be used:</strong> {{.Error}}</p>
{{else}}
<p>The app <span class="id">{{.Req.ClientID}}</span> asks to:</p>
<ul>{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<form method="post" action="{{.Action}}">
{{range $k, $v := .Hidden}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}
<fieldset>
<legend>Account to authorize</legend>
{{range .Accounts}}<p><label><input type="radio" name="account" value="{{.ID}}"{{if .Checked}} checked{{end}}> {{.Name}} <span class="id">@{{.Username}}</span></label></p>
{{end}}
<p><label><input type="radio" name="account" value="new"{{if .NewChecked}} checked{{end}}> A new sandbox account named</label>
<label for="x-name" class="note">(display name)</label> <input id="x-name" type="text" name="name" value="Sandbox X account" maxlength="50"></p>
</fieldset>
<p><button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button></p>
</form>
<p class="note">Approving sends your browser back to {{.Req.RedirectURI}} with a code that is valid for 30 seconds.</p>
{{end}}
{{end}}`

// xRenderPage renders the consent page in the sandbox layout.
func xRenderPage(w http.ResponseWriter, status int, data any) {
	t, err := pageTemplates.Clone()
	if err == nil {
		_, err = t.New("xconsent-def").Parse(xConsentTemplate)
	}
	if err == nil {
		_, err = t.New("content").Parse(`{{template "xconsent" .Data}}`)
	}
	var buf bytes.Buffer
	if err == nil {
		err = t.ExecuteTemplate(&buf, "layout", map[string]any{"Title": "Authorize app — X", "Data": data})
	}
	if err != nil {
		http.Error(w, "sandbox: rendering the page failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// handleAuthorize serves the consent page: GET XAuthorizePath with the
// OAuth parameters. It offers the sandbox's X accounts (the one that last
// approved this client first, as a browser that stays signed in would)
// and a new account.
func (x *xPlatform) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	req, err := xParseAuthRequest(r.URL.Query())
	if err != nil {
		xRenderPage(w, http.StatusBadRequest, map[string]any{"Error": err.Error()})
		return
	}
	type acct struct {
		ID, Name, Username string
		Checked            bool
	}
	x.s.mu.Lock()
	last := x.approver[req.ClientID]
	x.s.mu.Unlock()
	var accts []acct
	for _, a := range x.s.Accounts("x") {
		accts = append(accts, acct{ID: a.ID, Name: a.Name, Username: xUsername(a), Checked: a.ID == last})
	}
	var scopes []string
	for _, sc := range req.Scopes {
		if h := xScopeHelp[sc]; h != "" {
			scopes = append(scopes, h+" ("+sc+")")
		} else {
			scopes = append(scopes, sc)
		}
	}
	hidden := map[string]string{}
	for _, k := range []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"} {
		hidden[k] = r.URL.Query().Get(k)
	}
	known := slices.ContainsFunc(accts, func(a acct) bool { return a.Checked })
	xRenderPage(w, http.StatusOK, map[string]any{"Req": req, "Scopes": scopes, "Accounts": accts, "NewChecked": !known,
		"Hidden": hidden, "Action": XAuthorizePath})
}

// handleConsent serves the consent form: Deny redirects with
// error=access_denied, Approve with a code valid for 30 seconds.
func (x *xPlatform) handleConsent(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		xRenderPage(w, http.StatusBadRequest, map[string]any{"Error": "the form could not be read"})
		return
	}
	req, err := xParseAuthRequest(r.PostForm)
	if err != nil {
		xRenderPage(w, http.StatusBadRequest, map[string]any{"Error": err.Error()})
		return
	}
	back, _ := url.Parse(req.RedirectURI)
	q := back.Query()
	q.Set("state", req.State)
	if r.PostForm.Get("decision") != "approve" {
		q.Set("error", "access_denied")
		back.RawQuery = q.Encode()
		http.Redirect(w, r, back.String(), http.StatusSeeOther)
		return
	}
	s := x.s
	s.mu.Lock()
	account, name := r.PostForm.Get("account"), strings.TrimSpace(r.PostForm.Get("name"))
	if a := s.accounts[accountKey{"x", account}]; a != nil {
		name = a.Name
	} else {
		if name == "" {
			name = "Sandbox X account"
		}
		account = s.newIDLocked()
		s.ensureAccountLocked("x", account, name)
	}
	code := xRandom(24)
	x.prune()
	x.codes[code] = &xCode{client: req.ClientID, redirect: req.RedirectURI, challenge: req.Challenge, method: req.Method,
		scope: strings.Join(req.Scopes, " "), account: account, name: name, issued: s.now()}
	x.approver[req.ClientID] = account
	s.mu.Unlock()
	s.log.Info("sandbox: x authorization approved", "account_id", account, "client_id", req.ClientID)
	q.Set("code", code)
	back.RawQuery = q.Encode()
	http.Redirect(w, r, back.String(), http.StatusSeeOther)
}

// prune forgets expired codes and finished uploads so that the maps stay
// small; s.mu must be held.
func (x *xPlatform) prune() {
	now := x.s.now()
	for k, c := range x.codes {
		if now.Sub(c.issued) > xCodeLifetime {
			delete(x.codes, k)
		}
	}
	if len(x.uploads) > xMaxState {
		for k, u := range x.uploads {
			if now.Sub(u.created) > xMediaExpiry {
				delete(x.uploads, k)
			}
		}
	}
}

// client reads the client's identity: HTTP Basic authorization
// (confidential clients; RFC 6749 §2.3.1 form-encodes both parts) or
// client_id in the form (public clients).
func xClientOf(r *http.Request, form url.Values) string {
	if id, _, ok := r.BasicAuth(); ok {
		if v, err := url.QueryUnescape(id); err == nil {
			return v
		}
		return id
	}
	return form.Get("client_id")
}

// token serves POST /2/oauth2/token for the authorization_code and
// refresh_token grants.
func (x *xPlatform) token(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		xOAuthError(w, http.StatusBadRequest, "invalid_request", "Content-Type must be application/x-www-form-urlencoded.")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	form, err := url.ParseQuery(string(body))
	if err != nil {
		xOAuthError(w, http.StatusBadRequest, "invalid_request", "The request body could not be read.")
		return
	}
	client := xClientOf(r, form)
	if client == "" {
		xOAuthError(w, http.StatusUnauthorized, "unauthorized_client", "Missing valid authorization header")
		return
	}
	s := x.s
	now := s.now()
	var account, name, scope, family string
	gen := 1
	switch form.Get("grant_type") {
	case "authorization_code":
		s.mu.Lock()
		c := x.codes[form.Get("code")]
		delete(x.codes, form.Get("code")) // single use, whatever happens next
		s.mu.Unlock()
		if c == nil || now.Sub(c.issued) > xCodeLifetime || c.client != client || c.redirect != form.Get("redirect_uri") {
			xOAuthError(w, http.StatusBadRequest, "invalid_request", "Value passed for the authorization code was invalid.")
			return
		}
		verifier := form.Get("code_verifier")
		want := verifier
		if c.method == "S256" {
			sum := sha256.Sum256([]byte(verifier))
			want = base64.RawURLEncoding.EncodeToString(sum[:])
		}
		if verifier == "" || want != c.challenge {
			xOAuthError(w, http.StatusBadRequest, "invalid_request", "Value passed for the code verifier was invalid.")
			return
		}
		account, name, scope, family = c.account, c.name, c.scope, xRandom(9)
		s.mu.Lock()
		x.families[family] = &xFamily{gen: 1}
		s.mu.Unlock()
	case "refresh_token":
		rt, err := x.parseRefresh(form.Get("refresh_token"))
		if err != nil || now.Unix() >= rt.Expires || rt.Client != client {
			xOAuthError(w, http.StatusBadRequest, "invalid_request", "Value passed for the token was invalid.")
			return
		}
		s.mu.Lock()
		f := x.families[rt.Family]
		if f == nil {
			// Unknown after a restart: the token is signed, so adopt it.
			f = &xFamily{gen: rt.Gen}
			x.families[rt.Family] = f
		}
		if rt.Gen < f.gen {
			f.revoked = true // a replayed refresh token kills the family
			s.log.Info("sandbox: x refresh token replayed; token family revoked", "account_id", rt.Account)
		}
		if f.revoked || rt.Gen != f.gen {
			s.mu.Unlock()
			xOAuthError(w, http.StatusBadRequest, "invalid_request", "Value passed for the token was invalid.")
			return
		}
		f.gen++
		gen = f.gen
		s.mu.Unlock()
		account, name, scope, family = rt.Account, rt.Name, rt.Scope, rt.Family
	default:
		xOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "The grant type is not supported.")
		return
	}
	if a, ok := s.account("x", account); ok {
		name = a.Name
	}
	access := s.signToken(tokenClaims{Platform: "x", Account: account, Name: name, Issued: now.Unix(),
		Expires: now.Add(xAccessLifetime).Unix(), Nonce: "xf." + family + "." + xRandom(9)})
	out := map[string]any{"token_type": "bearer", "expires_in": int(xAccessLifetime.Seconds()), "access_token": access, "scope": scope}
	if slices.Contains(strings.Fields(scope), "offline.access") {
		out["refresh_token"] = x.signRefresh(xRefresh{Account: account, Name: name, Family: family, Gen: gen, Client: client,
			Scope: scope, Issued: now.Unix(), Expires: now.Add(xRefreshLifetime).Unix()})
	}
	xData(w, http.StatusOK, out)
}

// revoke serves POST /2/oauth2/revoke: a token of the OAuth flow revokes
// its whole family; tokens minted by MintToken cannot be revoked (they are
// stateless) and are answered the same way.
func (x *xPlatform) revoke(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	form, _ := url.ParseQuery(string(body))
	if xClientOf(r, form) == "" {
		xOAuthError(w, http.StatusUnauthorized, "unauthorized_client", "Missing valid authorization header")
		return
	}
	tok := form.Get("token")
	family := ""
	if rt, err := x.parseRefresh(tok); err == nil {
		family = rt.Family
	} else if c, err := x.s.parseToken("x", tok); err == nil {
		family, _ = xFamilyOf(c)
	}
	if family != "" {
		x.s.mu.Lock()
		f := x.families[family]
		if f == nil {
			f = &xFamily{}
			x.families[family] = f
		}
		f.revoked = true
		x.s.mu.Unlock()
	}
	xData(w, http.StatusOK, map[string]bool{"revoked": true})
}

// me serves GET /2/users/me.
func (x *xPlatform) me(w http.ResponseWriter, claims tokenClaims) {
	a, _ := x.s.account("x", claims.Account)
	xData(w, http.StatusOK, map[string]any{"data": map[string]string{"id": a.ID, "name": a.Name, "username": xUsername(a)}})
}

// Posts.

// xCreate is the schema of POST /2/tweets (additionalProperties: false at
// every level the fake checks).
type xCreate struct {
	Text  *string `json:"text"`
	Media *struct {
		MediaIDs      []string `json:"media_ids"`
		TaggedUserIDs []string `json:"tagged_user_ids"`
	} `json:"media"`
	Reply *struct {
		InReplyToTweetID    string   `json:"in_reply_to_tweet_id"`
		ExcludeReplyUserIDs []string `json:"exclude_reply_user_ids"`
	} `json:"reply"`
	QuoteTweetID          string          `json:"quote_tweet_id"`
	Poll                  json.RawMessage `json:"poll"`
	ReplySettings         string          `json:"reply_settings"`
	ForSuperFollowersOnly bool            `json:"for_super_followers_only"`
	Nullcast              bool            `json:"nullcast"`
	Geo                   json.RawMessage `json:"geo"`
	CardURI               string          `json:"card_uri"`
	CommunityID           string          `json:"community_id"`
	ShareWithFollowers    bool            `json:"share_with_followers"`
	DirectMessageDeepLink string          `json:"direct_message_deep_link"`
	EditOptions           json.RawMessage `json:"edit_options"`
	PaidPartnership       bool            `json:"paid_partnership"`
	MadeWithAI            bool            `json:"made_with_ai"`
}

var xIDPattern = regexp.MustCompile(`^[0-9]{1,19}$`)

// xReadJSON decodes a JSON body against a schema without additional
// properties, answering X's invalid-request problem when it does not fit.
func xReadJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		xInvalid(w, "The Content-Type of the request must be application/json.", nil)
		return false
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			msg = "$." + strings.Trim(f, `"`) + ": is not defined in the schema and the schema does not allow additional properties"
		} else {
			msg = "The request body is not valid JSON for this endpoint: " + strings.TrimPrefix(msg, "json: ")
		}
		xInvalid(w, msg, nil)
		return false
	}
	return true
}

// createPost serves POST /2/tweets.
func (x *xPlatform) createPost(w http.ResponseWriter, r *http.Request, claims tokenClaims) {
	var req xCreate
	if !xReadJSON(w, r, &req) {
		return
	}
	text := ""
	if req.Text != nil {
		text = *req.Text
	}
	exclusive := 0
	for _, set := range []bool{req.Media != nil, len(req.Poll) > 0, req.QuoteTweetID != "", req.CardURI != ""} {
		if set {
			exclusive++
		}
	}
	if exclusive > 1 {
		xInvalid(w, "$.media, $.poll, $.quote_tweet_id and $.card_uri are mutually exclusive", nil)
		return
	}
	var mediaIDs []string
	if req.Media != nil {
		mediaIDs = req.Media.MediaIDs
		if len(mediaIDs) < 1 || len(mediaIDs) > xMaxMediaPerPost {
			xInvalid(w, fmt.Sprintf("$.media.media_ids: must have between 1 and %d items", xMaxMediaPerPost), nil)
			return
		}
		for _, id := range mediaIDs {
			if !xIDPattern.MatchString(id) {
				xInvalid(w, fmt.Sprintf("$.media.media_ids: %q does not match ^[0-9]{1,19}$", id), nil)
				return
			}
		}
	}
	if strings.TrimSpace(text) == "" && len(mediaIDs) == 0 {
		xInvalid(w, "Post text is empty; a post needs text or media.", nil)
		return
	}
	if n := xWeighted(text); n > xMaxWeighted {
		xInvalid(w, "Your Tweet text is too long. For more information on how X determines text length see https://github.com/twitter/twitter-text.", nil)
		return
	}
	if strings.ContainsAny(text, "\uFFFE\uFEFF\uFFFF") {
		xInvalid(w, "Your Tweet text contains an invalid character.", nil)
		return
	}
	me, _ := x.s.account("x", claims.Account)
	s := x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var images []Image
	for _, id := range mediaIDs {
		u := s.uploads[postKey{"x", id}]
		if u == nil || u.AccountID != claims.Account || now.Sub(u.CreatedAt) > xMediaExpiry {
			xInvalid(w, "Your media IDs are invalid.", map[string][]string{"media.media_ids": {id}})
			return
		}
		images = append(images, u.Image)
	}
	if req.Reply != nil {
		target := s.byID[postKey{"x", req.Reply.InReplyToTweetID}]
		if target == nil || !target.Visible(now) {
			xInvalid(w, "The post you are replying to does not exist or is not visible to you.",
				map[string][]string{"reply.in_reply_to_tweet_id": {req.Reply.InReplyToTweetID}})
			return
		}
		if target.AccountID != claims.Account && !strings.Contains(strings.ToLower(target.Text), "@"+strings.ToLower(xUsername(me))) {
			xForbidden(w, "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to.")
			return
		}
	}
	if t := strings.TrimSpace(text); t != "" {
		for _, p := range s.accountPostsLocked("x", claims.Account) {
			if p.DeletedAt == nil && strings.TrimSpace(p.Text) == t {
				xForbidden(w, xDuplicateDetail)
				return
			}
		}
	}
	p := &Post{Platform: "x", AccountID: claims.Account, ID: s.newIDLocked(), Text: text, Images: images, CreatedAt: now.UTC()}
	for _, id := range mediaIDs {
		if u := s.uploads[postKey{"x", id}]; u.UsedBy == "" {
			u.UsedBy = p.ID
		}
	}
	s.addPostLocked(p)
	s.log.Info("sandbox: x post created", "account_id", p.AccountID, "post_id", p.ID, "images", len(images))
	xData(w, http.StatusCreated, map[string]any{"data": map[string]any{"id": p.ID, "text": xAPIText(p), "edit_history_tweet_ids": []string{p.ID}}})
}

// xAPIText is a post's text as the API returns it: every URL replaced by a
// t.co link, a t.co link to the pictures appended to posts with media, and
// &, <, > escaped as HTML entities.
func xAPIText(p *Post) string {
	t := xReplaceURLs(p.Text, func(u string) string { return xTco(u) })
	if len(p.Images) > 0 {
		if t != "" {
			t += " "
		}
		t += xTco("pic:" + p.ID)
	}
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(t)
}

// xTco is a deterministic t.co link for u.
func xTco(u string) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	h := fnv.New64a()
	h.Write([]byte(u))
	n := h.Sum64()
	var b [10]byte
	for i := range b {
		b[i] = alphabet[n%62]
		n /= 62
	}
	return "https://t.co/" + string(b[:])
}

// Weighted length. The sandbox approximates twitter-text v3 without
// importing Prasar's port (the sandbox stands for the outside world): NFC
// normalisation, the v3 weights by range, emoji sequences (modifiers,
// variation selectors, ZWJ sequences, flags, keycaps) weighing 2, and URLs
// weighing 23. URLs are found by a simpler rule than twitter-text's: any
// http(s) URL, and bare domains under a short list of common top-level
// domains. Texts with bare domains under other top-level domains therefore
// weigh less here than on X; the connectors' own counters are tested
// against twitter-text's conformance data, not against this.

var xURLPattern = regexp.MustCompile(`(?i)https?://[^\s<>"]+|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:com|org|net|gov|edu|info|io|co|in|uk|us|me|ly|xyz|app|dev|ai|nic|int)\b(?:/[^\s<>"]*)?`)

// xURLSpans returns the byte ranges of the URLs in s.
func xURLSpans(s string) [][2]int {
	var out [][2]int
	for _, m := range xURLPattern.FindAllStringIndex(s, -1) {
		start, end := m[0], m[1]
		if start > 0 {
			prev, _ := utf8.DecodeLastRuneInString(s[:start])
			if prev == '@' || prev == '.' || prev == '-' || prev == '_' || prev == '/' || prev < utf8.RuneSelf && (prev >= 'a' && prev <= 'z' || prev >= 'A' && prev <= 'Z' || prev >= '0' && prev <= '9') {
				continue
			}
		}
		for end > start {
			c := s[end-1]
			if strings.IndexByte(".,;:!?'\"", c) >= 0 || c == ')' && !strings.Contains(s[start:end], "(") {
				end--
				continue
			}
			break
		}
		out = append(out, [2]int{start, end})
	}
	return out
}

// xReplaceURLs replaces every URL of s by f(url).
func xReplaceURLs(s string, f func(string) string) string {
	var b strings.Builder
	prev := 0
	for _, sp := range xURLSpans(s) {
		b.WriteString(s[prev:sp[0]])
		b.WriteString(f(s[sp[0]:sp[1]]))
		prev = sp[1]
	}
	b.WriteString(s[prev:])
	return b.String()
}

// xWeighted is the approximate weighted length of text.
func xWeighted(text string) int {
	t := norm.NFC.String(text)
	units := 0
	spans := xURLSpans(t)
	for i := 0; i < len(t); {
		if len(spans) > 0 && spans[0][0] == i {
			units += xURLWeight * 100
			i = spans[0][1]
			spans = spans[1:]
			continue
		}
		if n := xEmojiLen(t[i:]); n > 0 {
			units += 200
			i += n
			continue
		}
		r, size := utf8.DecodeRuneInString(t[i:])
		switch {
		case r <= 4351, r >= 8192 && r <= 8205, r >= 8208 && r <= 8223, r >= 8242 && r <= 8247:
			units += 100
		default:
			units += 200
		}
		i += size
	}
	return units / 100
}

func xIsEmojiBase(r rune) bool {
	return r >= 0x1F000 && r <= 0x1FAFF || r >= 0x2600 && r <= 0x27BF || r >= 0x2300 && r <= 0x23FF ||
		r >= 0x2B00 && r <= 0x2BFF || r >= 0x2190 && r <= 0x21FF || r == 0x203C || r == 0x2049 || r == 0x2122 ||
		r == 0x2139 || r == 0x3030 || r == 0x303D || r == 0x3297 || r == 0x3299
}

// xEmojiLen returns the byte length of the emoji sequence at the start of
// s, or 0.
func xEmojiLen(s string) int {
	r, n := utf8.DecodeRuneInString(s)
	next := func(i int) (rune, int) { return utf8.DecodeRuneInString(s[i:]) }
	if r == '#' || r == '*' || r >= '0' && r <= '9' {
		i := n
		if c, w := next(i); c == 0xFE0F {
			i += w
		}
		if c, w := next(i); c == 0x20E3 {
			return i + w
		}
		return 0
	}
	if !xIsEmojiBase(r) {
		return 0
	}
	i := n
	if r >= 0x1F1E6 && r <= 0x1F1FF {
		if c, w := next(i); c >= 0x1F1E6 && c <= 0x1F1FF {
			return i + w
		}
		return i
	}
	for i < len(s) {
		c, w := next(i)
		switch {
		case c == 0xFE0F || c >= 0x1F3FB && c <= 0x1F3FF || c == 0x20E3 || c >= 0xE0020 && c <= 0xE007F:
			i += w
		case c == 0x200D:
			if d, w2 := next(i + w); xIsEmojiBase(d) {
				i += w + w2
				continue
			}
			return i
		default:
			return i
		}
	}
	return i
}

// xPageToken encodes a timeline position.
func xPageToken(id string) string { return base64.RawURLEncoding.EncodeToString([]byte("after:" + id)) }

// xParseFields reads and checks tweet.fields.
func xParseFields(w http.ResponseWriter, v string) ([]string, bool) {
	var fields, bad []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !slices.Contains(xTweetFields, f) {
			bad = append(bad, f)
		}
		fields = append(fields, f)
	}
	if len(bad) > 0 {
		xInvalid(w, fmt.Sprintf("The `tweet.fields` query parameter value [%s] is not one of [%s]", strings.Join(bad, ","), strings.Join(xTweetFields, ",")),
			map[string][]string{"tweet.fields": bad})
		return nil, false
	}
	return fields, true
}

// timeline serves GET /2/users/{id}/tweets: the account's visible posts,
// newest first, filtered by start_time and end_time, max_results (5–100) a
// page, paged with pagination_token.
func (x *xPlatform) timeline(w http.ResponseWriter, r *http.Request, id string) {
	q := r.URL.Query()
	fields, ok := xParseFields(w, q.Get("tweet.fields"))
	if !ok {
		return
	}
	limit := xDefaultResults
	if v := q.Get("max_results"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < xMinResults || n > xMaxResults {
			xInvalid(w, fmt.Sprintf("The `max_results` query parameter value [%s] is not between %d and %d", v, xMinResults, xMaxResults),
				map[string][]string{"max_results": {v}})
			return
		}
		limit = n
	}
	var start, end time.Time
	for name, t := range map[string]*time.Time{"start_time": &start, "end_time": &end} {
		if v := q.Get(name); v != "" {
			parsed, err := time.Parse(time.RFC3339, v)
			if err != nil {
				xInvalid(w, fmt.Sprintf("Invalid '%s':'%s'. '%s' must be a valid RFC 3339 date-time (YYYY-MM-DDTHH:mm:ssZ).", name, v, name),
					map[string][]string{name: {v}})
				return
			}
			*t = parsed
		}
	}
	if !xIDPattern.MatchString(id) {
		xInvalid(w, fmt.Sprintf("The `id` query parameter value [%s] does not match ^[0-9]{1,19}$", id), map[string][]string{"id": {id}})
		return
	}
	if _, known := x.s.account("x", id); !known {
		xData(w, http.StatusOK, map[string]any{"errors": []any{xNotFound("user", "id", id)}})
		return
	}
	s := x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var posts []*Post
	for _, p := range s.accountPostsLocked("x", id) {
		if p.Visible(now) &&
			(start.IsZero() || !p.CreatedAt.Before(start)) && (end.IsZero() || p.CreatedAt.Before(end)) {
			posts = append(posts, p)
		}
	}
	slices.SortStableFunc(posts, func(a, b *Post) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		if len(a.ID) != len(b.ID) {
			return len(b.ID) - len(a.ID)
		}
		return strings.Compare(b.ID, a.ID)
	})
	from := 0
	if tok := q.Get("pagination_token"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		after, ok := strings.CutPrefix(string(raw), "after:")
		i := slices.IndexFunc(posts, func(p *Post) bool { return p.ID == after })
		if err != nil || !ok || i < 0 {
			xInvalid(w, "The `pagination_token` query parameter value ["+tok+"] is not valid", map[string][]string{"pagination_token": {tok}})
			return
		}
		from = i + 1
	}
	to := min(from+limit, len(posts))
	page := posts[from:to]
	meta := map[string]any{"result_count": len(page)}
	out := map[string]any{"meta": meta}
	if len(page) > 0 {
		var data []map[string]any
		for _, p := range page {
			data = append(data, x.renderPostLocked(p, fields))
		}
		out["data"] = data
		meta["newest_id"], meta["oldest_id"] = page[0].ID, page[len(page)-1].ID
		if to < len(posts) {
			meta["next_token"] = xPageToken(page[len(page)-1].ID)
		}
	}
	xData(w, http.StatusOK, out)
}

// renderPostLocked renders a post with the fields the fake knows (id, text
// and edit_history_tweet_ids always; created_at, author_id on request).
func (x *xPlatform) renderPostLocked(p *Post, fields []string) map[string]any {
	m := map[string]any{"id": p.ID, "text": xAPIText(p), "edit_history_tweet_ids": []string{p.ID}}
	if slices.Contains(fields, "created_at") {
		m["created_at"] = p.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	if slices.Contains(fields, "author_id") {
		m["author_id"] = p.AccountID
	}
	return m
}

// getPost serves GET /2/tweets/{id}, with public_metrics for anyone and
// non_public_metrics and organic_metrics for the author within 30 days of
// posting; otherwise those come back in errors[] beside the data.
func (x *xPlatform) getPost(w http.ResponseWriter, r *http.Request, claims tokenClaims, id string) {
	fields, ok := xParseFields(w, r.URL.Query().Get("tweet.fields"))
	if !ok {
		return
	}
	s := x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	p := s.byID[postKey{"x", id}]
	if p == nil || !p.Visible(now) {
		xData(w, http.StatusOK, map[string]any{"errors": []any{xNotFound("tweet", "id", id)}})
		return
	}
	data := x.renderPostLocked(p, fields)
	var errs []any
	age := now.Sub(p.CreatedAt)
	m := xMetrics(p, age)
	hasLink := len(xURLSpans(p.Text)) > 0
	for _, f := range fields {
		switch f {
		case "public_metrics":
			data[f] = map[string]int{"retweet_count": m.retweets, "reply_count": m.replies, "like_count": m.likes,
				"quote_count": m.quotes, "bookmark_count": m.bookmarks, "impression_count": m.impressions}
		case "non_public_metrics", "organic_metrics":
			switch {
			case p.AccountID != claims.Account:
				errs = append(errs, xFieldError(p.ID, f, fmt.Sprintf("Sorry, you are not authorized to access '%s' on the Tweet with ids [%s].", f, p.ID)))
				continue
			case age > xPrivateMetricsAge:
				errs = append(errs, xFieldError(p.ID, f, fmt.Sprintf("Sorry, '%s' is only available for Tweets created in the last 30 days.", f)))
				continue
			}
			v := map[string]int{"impression_count": m.impressions, "user_profile_clicks": m.profileClicks}
			if f == "non_public_metrics" {
				v["engagements"] = m.engagements
			} else {
				v["like_count"], v["reply_count"], v["retweet_count"] = m.likes, m.replies, m.retweets
			}
			if hasLink {
				v["url_link_clicks"] = m.linkClicks
			}
			data[f] = v
		}
	}
	out := map[string]any{"data": data}
	if len(errs) > 0 {
		out["errors"] = errs
	}
	xData(w, http.StatusOK, out)
}

func xFieldError(id, field, detail string) map[string]any {
	return map[string]any{"value": id, "detail": detail, "title": "Field Authorization Error", "resource_type": "tweet",
		"parameter": field, "field": field, "resource_id": id, "section": "data", "type": xProblemRoot + "not-authorized-for-field"}
}

type xCounts struct {
	impressions, likes, retweets, replies, quotes, bookmarks, profileClicks, linkClicks, engagements int
}

// xMetrics grows with the post's age: fast in the first hours, levelling
// off after a few days, never decreasing.
func xMetrics(p *Post, age time.Duration) xCounts {
	h := fnv.New32a()
	h.Write([]byte("x:" + p.ID))
	eventual := 300 + float64(h.Sum32()%9700)
	g := eventual * (1 - math.Exp(-math.Max(age.Hours(), 0)/10))
	n := func(f float64) int { return int(math.Floor(g * f)) }
	c := xCounts{impressions: n(1), likes: n(0.03), retweets: n(0.006), replies: n(0.004), quotes: n(0.001),
		bookmarks: n(0.002), profileClicks: n(0.008), linkClicks: n(0.012)}
	c.engagements = c.likes + c.retweets + c.replies + c.quotes + c.bookmarks + c.profileClicks + c.linkClicks
	return c
}

// deletePost serves DELETE /2/tweets/{id}.
func (x *xPlatform) deletePost(w http.ResponseWriter, claims tokenClaims, id string) {
	s := x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.byID[postKey{"x", id}]
	if p == nil || p.DeletedAt != nil {
		e := xNotFound("tweet", "id", id)
		xProblem(w, http.StatusNotFound, "resource-not-found", "Not Found Error", e["detail"].(string),
			map[string]any{"resource_type": "tweet", "resource_id": id, "parameter": "id", "value": id})
		return
	}
	if p.AccountID != claims.Account {
		xForbidden(w, "You are not allowed to delete a Post that is not yours.")
		return
	}
	now := s.now().UTC()
	p.DeletedAt = &now
	xData(w, http.StatusOK, map[string]any{"data": map[string]bool{"deleted": true}})
}

// Media.

var (
	xOneShotTypes  = []string{"image/jpeg", "image/png", "image/webp", "image/bmp", "image/pjpeg", "image/tiff", "text/srt", "text/vtt"}
	xOneShotCats   = []string{"tweet_image", "dm_image", "subtitles"}
	xChunkedCats   = []string{"amplify_video", "tweet_gif", "tweet_image", "tweet_video", "dm_gif", "dm_image", "dm_video", "subtitles"}
	xDetectedTypes = map[string]string{"image/pjpeg": "image/jpeg"}
)

func xCategoryLimit(cat string) int64 {
	switch {
	case strings.HasSuffix(cat, "_gif"):
		return xMaxGIFBytes
	case strings.HasSuffix(cat, "_video"):
		return xMaxVideoBytes
	}
	return xMaxImageBytes
}

// xCheckBytes reports whether data is of the declared type (images only;
// other types are taken on trust).
func xCheckBytes(declared string, data []byte) bool {
	if !strings.HasPrefix(declared, "image/") || declared == "image/tiff" {
		return true
	}
	want := declared
	if d, ok := xDetectedTypes[declared]; ok {
		want = d
	}
	return http.DetectContentType(data) == want
}

// xMediaResponse is a MediaUploadResponse's data.
func xMediaResponse(id, category string, size int64, info map[string]any) map[string]any {
	prefix := "3_"
	if strings.HasSuffix(category, "_gif") {
		prefix = "16_"
	} else if strings.HasSuffix(category, "_video") {
		prefix = "7_"
	}
	d := map[string]any{"id": id, "media_key": prefix + id, "expires_after_secs": int(xMediaExpiry.Seconds())}
	if size > 0 {
		d["size"] = size
	}
	if info != nil {
		d["processing_info"] = info
	}
	return map[string]any{"data": d}
}

// storeMediaLocked makes uploaded media usable in posts.
func (x *xPlatform) storeMediaLocked(id, account, contentType, alt string, data []byte, created time.Time) {
	sum := sha256.Sum256(data)
	x.s.putMediaLocked(id, contentType, data)
	x.s.addUploadLocked(&Upload{Platform: "x", AccountID: account, CreatedAt: created,
		Image: Image{ID: id, ContentType: contentType, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), AltText: alt}})
}

// xReadMultipart reads a multipart body: fields and the "media" part
// (a file or a plain field).
func xReadMultipart(r *http.Request) (url.Values, []byte, error) {
	mt, mp, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return nil, nil, errors.New("the request must be multipart/form-data")
	}
	mr := multipart.NewReader(io.LimitReader(r.Body, xMaxBody), mp["boundary"])
	fields := url.Values{}
	var media []byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return fields, media, nil
		}
		if err != nil {
			return nil, nil, errors.New("the multipart body could not be read")
		}
		b, err := io.ReadAll(part)
		if err != nil {
			return nil, nil, errors.New("the multipart body could not be read")
		}
		if part.FormName() == "media" {
			media = b
		} else {
			fields.Add(part.FormName(), string(b))
		}
	}
}

// uploadOneShot serves POST /2/media/upload: one image (multipart, or JSON
// with base64 media). The older command=INIT/APPEND/FINALIZE form is not
// served; use the dedicated endpoints.
func (x *xPlatform) uploadOneShot(w http.ResponseWriter, r *http.Request, claims tokenClaims) {
	var category, mediaType string
	var data []byte
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" {
		var req struct {
			Media            string   `json:"media"`
			MediaCategory    string   `json:"media_category"`
			MediaType        string   `json:"media_type"`
			Shared           bool     `json:"shared"`
			AdditionalOwners []string `json:"additional_owners"`
		}
		if !xReadJSON(w, r, &req) {
			return
		}
		b, err := base64.StdEncoding.DecodeString(req.Media)
		if err != nil {
			xInvalid(w, "$.media: must be base64-encoded", nil)
			return
		}
		category, mediaType, data = req.MediaCategory, req.MediaType, b
	} else {
		fields, media, err := xReadMultipart(r)
		if err != nil {
			xInvalid(w, err.Error(), nil)
			return
		}
		if fields.Get("command") != "" {
			xInvalid(w, "The sandbox serves the dedicated media endpoints (/2/media/upload/initialize, /{id}/append, /{id}/finalize), not command=INIT|APPEND|FINALIZE.", nil)
			return
		}
		category, mediaType, data = fields.Get("media_category"), fields.Get("media_type"), media
	}
	if category == "" {
		category = "tweet_image"
	}
	switch {
	case len(data) == 0:
		xInvalid(w, "media: is required", nil)
	case !slices.Contains(xOneShotCats, category):
		xInvalid(w, fmt.Sprintf("media_category: %q is not one of [%s]", category, strings.Join(xOneShotCats, ",")), nil)
	case !slices.Contains(xOneShotTypes, mediaType):
		xInvalid(w, fmt.Sprintf("media_type: %q is not one of [%s]", mediaType, strings.Join(xOneShotTypes, ",")), nil)
	case int64(len(data)) > xCategoryLimit(category):
		xInvalid(w, fmt.Sprintf("File size exceeds %d bytes.", xCategoryLimit(category)), nil)
	case !xCheckBytes(mediaType, data):
		xInvalid(w, "Invalid or Unsupported media, Reason: UnsupportedMedia.", nil)
	default:
		s := x.s
		s.mu.Lock()
		id := s.newIDLocked()
		x.storeMediaLocked(id, claims.Account, mediaType, "", data, s.now().UTC())
		s.mu.Unlock()
		xData(w, http.StatusOK, xMediaResponse(id, category, int64(len(data)), nil))
	}
}

// uploadInit serves POST /2/media/upload/initialize.
func (x *xPlatform) uploadInit(w http.ResponseWriter, r *http.Request, claims tokenClaims) {
	var req struct {
		MediaType        string   `json:"media_type"`
		TotalBytes       int64    `json:"total_bytes"`
		MediaCategory    string   `json:"media_category"`
		Shared           bool     `json:"shared"`
		AdditionalOwners []string `json:"additional_owners"`
	}
	if !xReadJSON(w, r, &req) {
		return
	}
	switch {
	case !slices.Contains(xChunkedCats, req.MediaCategory):
		xInvalid(w, fmt.Sprintf("$.media_category: %q is not one of [%s]", req.MediaCategory, strings.Join(xChunkedCats, ",")), nil)
	case !strings.HasPrefix(req.MediaType, "image/") && !strings.HasPrefix(req.MediaType, "video/") && !strings.HasPrefix(req.MediaType, "text/"):
		xInvalid(w, fmt.Sprintf("$.media_type: %q is not a supported media type", req.MediaType), nil)
	case req.TotalBytes < 1 || req.TotalBytes > xCategoryLimit(req.MediaCategory):
		xInvalid(w, fmt.Sprintf("$.total_bytes: must be between 1 and %d for %s", xCategoryLimit(req.MediaCategory), req.MediaCategory), nil)
	default:
		s := x.s
		s.mu.Lock()
		x.prune()
		id := s.newIDLocked()
		x.uploads[id] = &xUpload{id: id, account: claims.Account, mediaType: req.MediaType, category: req.MediaCategory,
			total: req.TotalBytes, segments: map[int][]byte{}, state: "initialized", created: s.now()}
		s.mu.Unlock()
		xData(w, http.StatusOK, xMediaResponse(id, req.MediaCategory, 0, nil))
	}
}

// uploadLocked finds an upload of the account in the state machine.
func (x *xPlatform) uploadLocked(w http.ResponseWriter, claims tokenClaims, id string) *xUpload {
	u := x.uploads[id]
	if u == nil || u.account != claims.Account || x.s.now().Sub(u.created) > xMediaExpiry {
		xInvalid(w, "The media id is not valid or has expired.", map[string][]string{"id": {id}})
		return nil
	}
	return u
}

// uploadAppend serves POST /2/media/upload/{id}/append: multipart media
// and segment_index (0–999).
func (x *xPlatform) uploadAppend(w http.ResponseWriter, r *http.Request, claims tokenClaims, id string) {
	fields, media, err := xReadMultipart(r)
	if err != nil {
		xInvalid(w, err.Error(), nil)
		return
	}
	idx, err := strconv.Atoi(fields.Get("segment_index"))
	if err != nil || idx < 0 || idx > xMaxSegment {
		xInvalid(w, fmt.Sprintf("segment_index: must be an integer between 0 and %d", xMaxSegment), nil)
		return
	}
	if len(media) == 0 {
		xInvalid(w, "media: is required", nil)
		return
	}
	s := x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	u := x.uploadLocked(w, claims, id)
	if u == nil {
		return
	}
	if u.state != "initialized" {
		xInvalid(w, "Segments cannot be appended after the upload was finalized.", nil)
		return
	}
	u.segments[idx] = media
	xData(w, http.StatusOK, map[string]any{"data": map[string]int64{"expires_at": u.created.Add(xMediaExpiry).Unix()}})
}

// uploadFinalize serves POST /2/media/upload/{id}/finalize. Images are
// ready at once; GIFs and videos go through processing (pending,
// in_progress, succeeded or failed), one step per status check.
func (x *xPlatform) uploadFinalize(w http.ResponseWriter, claims tokenClaims, id string) {
	s := x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	u := x.uploadLocked(w, claims, id)
	if u == nil {
		return
	}
	if u.state != "initialized" {
		xInvalid(w, "The upload was already finalized.", nil)
		return
	}
	var data []byte
	for i := range len(u.segments) {
		seg, ok := u.segments[i]
		if !ok {
			xInvalid(w, fmt.Sprintf("Segment %d is missing.", i), nil)
			return
		}
		data = append(data, seg...)
	}
	if int64(len(data)) != u.total {
		xInvalid(w, "Segments do not add up to provided total file size.", nil)
		return
	}
	if u.category == "tweet_image" || u.category == "dm_image" || u.category == "subtitles" {
		if !xCheckBytes(u.mediaType, data) {
			xInvalid(w, "Invalid or Unsupported media, Reason: UnsupportedMedia.", nil)
			return
		}
		x.storeMediaLocked(id, u.account, u.mediaType, u.alt, data, u.created)
		delete(x.uploads, id)
		xData(w, http.StatusOK, xMediaResponse(id, u.category, u.total, nil))
		return
	}
	u.state = "pending"
	u.segments = map[int][]byte{0: data}
	xData(w, http.StatusOK, xMediaResponse(id, u.category, u.total, map[string]any{"state": "pending", "check_after_secs": 1}))
}

// uploadStatus serves GET /2/media/upload?media_id=…[&command=STATUS],
// moving processing one step on.
func (x *xPlatform) uploadStatus(w http.ResponseWriter, r *http.Request, claims tokenClaims) {
	q := r.URL.Query()
	id := q.Get("media_id")
	if cmd := q.Get("command"); cmd != "" && cmd != "STATUS" {
		xInvalid(w, "command: must be STATUS", nil)
		return
	}
	s := x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if up := s.uploads[postKey{"x", id}]; up != nil && up.AccountID == claims.Account {
		xData(w, http.StatusOK, xMediaResponse(id, "", 0, map[string]any{"state": "succeeded", "progress_percent": 100}))
		return
	}
	u := x.uploadLocked(w, claims, id)
	if u == nil {
		return
	}
	var info map[string]any
	switch u.state {
	case "initialized":
		xInvalid(w, "The upload has not been finalized.", nil)
		return
	case "pending":
		u.state = "in_progress"
		info = map[string]any{"state": "in_progress", "check_after_secs": 1, "progress_percent": 50}
	case "in_progress":
		data := u.segments[0]
		ok := xCheckBytes(u.mediaType, data) && (!strings.HasSuffix(u.category, "_gif") || http.DetectContentType(data) == "image/gif")
		if !ok {
			u.state = "failed"
			info = map[string]any{"state": "failed", "progress_percent": 100,
				"error": map[string]any{"code": 1, "name": "InvalidMedia", "message": "Invalid or Unsupported media, Reason: UnsupportedMedia."}}
			break
		}
		x.storeMediaLocked(id, u.account, u.mediaType, u.alt, data, u.created)
		delete(x.uploads, id)
		info = map[string]any{"state": "succeeded", "progress_percent": 100}
	case "failed":
		info = map[string]any{"state": "failed", "progress_percent": 100,
			"error": map[string]any{"code": 1, "name": "InvalidMedia", "message": "Invalid or Unsupported media, Reason: UnsupportedMedia."}}
	}
	xData(w, http.StatusOK, xMediaResponse(id, u.category, 0, info))
}

// metadata serves POST /2/media/metadata {"id","metadata":{"alt_text":
// {"text"}, …}}.
func (x *xPlatform) metadata(w http.ResponseWriter, r *http.Request, claims tokenClaims) {
	var req struct {
		ID       string `json:"id"`
		Metadata struct {
			AltText *struct {
				Text string `json:"text"`
			} `json:"alt_text"`
			AllowDownloadStatus   json.RawMessage `json:"allow_download_status"`
			AudiencePolicy        json.RawMessage `json:"audience_policy"`
			ContentExpiration     json.RawMessage `json:"content_expiration"`
			DomainRestrictions    json.RawMessage `json:"domain_restrictions"`
			FoundMediaOrigin      json.RawMessage `json:"found_media_origin"`
			GeoRestrictions       json.RawMessage `json:"geo_restrictions"`
			ManagementInfo        json.RawMessage `json:"management_info"`
			PreviewImage          json.RawMessage `json:"preview_image"`
			SensitiveMediaWarning json.RawMessage `json:"sensitive_media_warning"`
			SharedInfo            json.RawMessage `json:"shared_info"`
			StickerInfo           json.RawMessage `json:"sticker_info"`
			UploadSource          json.RawMessage `json:"upload_source"`
		} `json:"metadata"`
	}
	if !xReadJSON(w, r, &req) {
		return
	}
	if req.Metadata.AltText != nil && utf8.RuneCountInString(req.Metadata.AltText.Text) > xMaxAltText {
		xInvalid(w, fmt.Sprintf("$.metadata.alt_text.text: must be at most %d characters", xMaxAltText), nil)
		return
	}
	s := x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]any{"id": req.ID}
	up := s.uploads[postKey{"x", req.ID}]
	if up != nil && up.AccountID == claims.Account {
		if req.Metadata.AltText != nil {
			up.Image.AltText = req.Metadata.AltText.Text
		}
	} else if u := x.uploadLocked(w, claims, req.ID); u == nil {
		return
	} else if req.Metadata.AltText != nil {
		u.alt = req.Metadata.AltText.Text
	}
	if req.Metadata.AltText != nil {
		out["associated_metadata"] = map[string]any{"alt_text": map[string]string{"text": req.Metadata.AltText.Text}}
	}
	xData(w, http.StatusOK, map[string]any{"data": out})
}

// Human pages.

// resolveAccount finds an X account by id or username.
func (x *xPlatform) resolveAccount(handle string) (string, bool) {
	for _, a := range x.s.Accounts("x") {
		if a.ID == handle || strings.EqualFold(xUsername(a), strings.TrimPrefix(handle, "@")) {
			return a.ID, true
		}
	}
	return "", false
}

// handleProfile serves GET XWebPath/{id or username}: the account's feed.
func (x *xPlatform) handleProfile(w http.ResponseWriter, r *http.Request) {
	id, ok := x.resolveAccount(r.PathValue("handle"))
	if !ok {
		id = r.PathValue("handle") // renderFeed answers "no such account"
	}
	x.s.renderFeed(w, r, "x", id, "")
}

// handleStatus serves GET XWebPath/{handle}/status/{id} and
// XWebPath/i/web/status/{id}: one post, whatever the handle says (as on
// x.com).
func (x *xPlatform) handleStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	x.s.mu.Lock()
	p := x.s.byID[postKey{"x", id}]
	account := ""
	if p != nil {
		account = p.AccountID
	}
	x.s.mu.Unlock()
	if p == nil {
		renderPage(w, http.StatusNotFound, "notfound", "Not found", map[string]string{"Message": "There is no such post on X."})
		return
	}
	x.s.renderFeed(w, r, "x", account, id)
}
