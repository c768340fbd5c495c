package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // image.DecodeConfig reads JPEG
	_ "image/png"  // and PNG (Threads)
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Instagram with Instagram Login (platform-apis.md §2): graph.instagram.com,
// api.instagram.com (the code exchange) and www.instagram.com (the consent
// page, profiles and posts). Connectors use GraphURL = BaseURL+
// InstagramGraphPath, APIURL = BaseURL+InstagramAPIPath and WebURL =
// BaseURL+InstagramWebPath.
//
// The fake keeps Meta's two-step publishing: a media container is created
// (the image is fetched at once), is IN_PROGRESS for a while on the
// sandbox's clock, then FINISHED, and EXPIRED if not published within 24 h;
// media_publish turns a FINISHED container into a post, within a quota of
// posts per rolling 24 h. Per-account settings (SetMetaAccount, or POST
// /sandbox/instagram/_settings) make containers take longer, stay
// IN_PROGRESS or fail, and change the quota; SetInstagramTokenShape chooses
// the wrapped or flat code-exchange answer.
//
// image_url is fetched only from the server the sandbox runs on (the host
// of the request or of Options.BaseURL): in sandbox mode Prasar's signed
// media URLs are there. Any other host gets Instagram's "media could not be
// fetched" error: the sandbox never calls out to the internet.
const (
	InstagramGraphPath = "/sandbox/instagram/graph"
	InstagramAPIPath   = "/sandbox/instagram/api"
	InstagramWebPath   = "/sandbox/instagram/www"
)

// Limits of the fake Instagram (platform-apis.md §2.4).
const (
	igMaxCaption     = 2200
	igMaxHashtags    = 30 // the API's documented limit; the 2025 app limit of 5 is the hub's to apply
	igMaxMentions    = 20
	igMaxAltText     = 1000
	igMaxImageBytes  = 8 << 20
	igMaxCarousel    = 10
	igQuotaTotal     = 100
	igContainerQuota = 400
	igMinRatio       = 4.0 / 5.0
	igMaxRatio       = 1.91
)

// Shared by the Instagram and Threads fakes.
const (
	metaQuotaWindow       = 24 * time.Hour
	metaContainerTTL      = 24 * time.Hour
	metaContainerDelay    = time.Second // IN_PROGRESS before FINISHED, by default
	metaShortTokenTTL     = time.Hour
	metaLongTokenTTL      = 5183944 * time.Second // ~60 days, as Meta answers
	metaRefreshMinAge     = 24 * time.Hour
	metaInsightsDelay     = 10 * time.Minute // younger posts have no insights yet
	metaFetchTimeout      = 10 * time.Second
	metaMaxListLimit      = 100
	metaDefaultListLimit  = 25
	metaMaxBody           = 1 << 20
	instagramAppIDDigits  = 15
	instagramUserIDDigits = 13
)

// ContainerMode says how a fake Instagram or Threads account processes new
// media containers.
type ContainerMode string

// Container modes.
const (
	ContainersNormal ContainerMode = ""      // IN_PROGRESS for ContainerDelay, then FINISHED
	ContainersStuck  ContainerMode = "stuck" // IN_PROGRESS until they expire
	ContainersError  ContainerMode = "error" // processing fails: ERROR
)

// MetaAccountSettings change how one fake Instagram or Threads account
// behaves. Zero fields keep the platform's defaults.
type MetaAccountSettings struct {
	// ContainerDelay is how long a new container is IN_PROGRESS on the
	// sandbox's clock (default 1s).
	ContainerDelay time.Duration
	// Containers makes new containers stick or fail.
	Containers ContainerMode
	// QuotaTotal is the number of posts allowed per rolling 24 h (default
	// 100 on Instagram, 250 on Threads).
	QuotaTotal int
}

// SetMetaAccount changes how containers and quotas behave for accountID on
// platform "instagram" or "threads" ("" for every account without its own
// settings). It replaces earlier settings for the pair.
func (s *Server) SetMetaAccount(platform, accountID string, st MetaAccountSettings) error {
	m := metaPlatforms[platform]
	if m == nil {
		return fmt.Errorf("sandbox: %q is not a platform with media containers", platform)
	}
	if st.ContainerDelay < 0 || st.QuotaTotal < 0 || !slices.Contains([]ContainerMode{ContainersNormal, ContainersStuck, ContainersError}, st.Containers) {
		return fmt.Errorf("sandbox: containerDelay and quotaTotal must not be negative, containers must be \"\", %q or %q", ContainersStuck, ContainersError)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m.state(s).settings[accountID] = st
	return nil
}

// SetInstagramTokenShape chooses how the fake answers Instagram's code
// exchange: wrapped in a "data" array as documented (flat false, the
// default) or as the flat object several clients report.
func (s *Server) SetInstagramTokenShape(flat bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	metaPlatforms["instagram"].state(s).flatTokens = flat
}

// metaPlatform describes one of the two fakes that share the container
// engine below.
type metaPlatform struct {
	name, title         string
	graphPath, webPath  string
	containerEdge       string // POST: create a container; GET: list posts
	publishEdge         string
	limitEdge           string
	textParam           string // "caption" or "text"
	statusField         string // "status_code" or "status"
	quotaTotal          int
	maxCarousel         int
	maxText             int
	countText           func(string) int
	imageTypes          []string
	checkRatio          bool
	metrics             map[string]metricSpec
	removedMetrics      map[string]string
	exchangeGrant       string
	refreshGrant        string
	canDelete           bool
	idPrefix            string
	idDigits            int
	redirectFragment    string
	tokenResponseIGForm bool // the code exchange is api.instagram.com's
	permalink           func(base string, p *Post) string
	defaultScopes       []string
}

type metricSpec struct {
	title, description string
	factor             float64
}

var metaPlatforms = map[string]*metaPlatform{}

// metaState is a fake's memory beyond posts: containers and settings.
type metaState struct {
	containers map[string]*container
	settings   map[string]MetaAccountSettings
	flatTokens bool
}

func (m *metaPlatform) state(s *Server) *metaState {
	return platformStateLocked(s, m.name, func() *metaState {
		return &metaState{containers: map[string]*container{}, settings: map[string]MetaAccountSettings{}}
	})
}

func (m *metaPlatform) settingsLocked(s *Server, account string) MetaAccountSettings {
	st := m.state(s)
	set, ok := st.settings[account]
	if !ok {
		set = st.settings[""]
	}
	if set.ContainerDelay == 0 {
		set.ContainerDelay = metaContainerDelay
	}
	if set.QuotaTotal == 0 {
		set.QuotaTotal = m.quotaTotal
	}
	return set
}

// container is a media container.
type container struct {
	ID, Account  string
	Created      time.Time
	MediaType    string // IMAGE, TEXT, CAROUSEL
	Text         string
	Image        *Image
	CarouselItem bool
	Children     []string
	Delay        time.Duration
	Mode         ContainerMode
	// Failure is a processing error found after creation (an image of the
	// wrong shape): the container goes to ERROR with it.
	Failure string
	// PostID is set once the container is published.
	PostID string
}

// status is the container's status_code at now, and the error text that
// goes with ERROR.
func (m *metaPlatform) statusLocked(st *metaState, c *container, now time.Time) (string, string) {
	switch {
	case c.PostID != "":
		return "PUBLISHED", ""
	case !now.Before(c.Created.Add(metaContainerTTL)):
		return "EXPIRED", ""
	case c.Failure != "":
		return "ERROR", c.Failure
	case c.Mode == ContainersError:
		return "ERROR", m.processingError()
	case c.Mode == ContainersStuck || now.Before(c.Created.Add(c.Delay)):
		return "IN_PROGRESS", ""
	}
	for _, id := range c.Children {
		if ch := st.containers[id]; ch != nil {
			if code, msg := m.statusLocked(st, ch, now); code != "FINISHED" {
				return code, msg
			}
		}
	}
	return "FINISHED", ""
}

// processingError is the ERROR text of a container that failed in
// processing.
func (m *metaPlatform) processingError() string {
	if m.name == "threads" {
		return "UNKNOWN"
	}
	return "Error: Media upload has failed with error code 2207053: unknown upload error"
}

func init() {
	ig := &metaPlatform{
		name: "instagram", title: "Instagram",
		graphPath: InstagramGraphPath, webPath: InstagramWebPath,
		containerEdge: "media", publishEdge: "media_publish", limitEdge: "content_publishing_limit",
		textParam: "caption", statusField: "status_code",
		quotaTotal: igQuotaTotal, maxCarousel: igMaxCarousel, maxText: igMaxCaption, countText: utf8.RuneCountInString,
		imageTypes: []string{"image/jpeg"}, checkRatio: true,
		metrics: map[string]metricSpec{
			"reach":              {"Accounts reached", "The number of unique accounts that have seen your post at least once.", 1},
			"views":              {"Views", "The number of times your post was played or displayed.", 1.6},
			"likes":              {"Likes", "The number of likes on your post.", 0.07},
			"comments":           {"Comments", "The number of comments on your post.", 0.01},
			"shares":             {"Shares", "The number of shares of your post.", 0.005},
			"saved":              {"Saves", "The number of saves of your post.", 0.012},
			"total_interactions": {"Interactions", "Likes, saves, comments and shares, minus unlikes, unsaves and deleted comments.", 0.097},
			"follows":            {"Follows", "The number of accounts that started following you.", 0.002},
			"profile_visits":     {"Profile visits", "The number of times your profile was visited.", 0.01},
			"profile_activity":   {"Profile activity", "The number of actions people take on your profile after engaging with your post.", 0.004},
		},
		removedMetrics: map[string]string{
			"impressions":                         "views",
			"plays":                               "views",
			"clips_replays_count":                 "views",
			"ig_reels_aggregated_all_plays_count": "views",
			"video_views":                         "views",
		},
		exchangeGrant: "ig_exchange_token", refreshGrant: "ig_refresh_token",
		idPrefix: "1784", idDigits: instagramUserIDDigits, redirectFragment: "_", tokenResponseIGForm: true,
		permalink: func(base string, p *Post) string {
			return base + InstagramWebPath + "/p/" + shortcode(p.ID) + "/"
		},
		defaultScopes: []string{"instagram_business_basic", "instagram_business_content_publish", "instagram_business_manage_insights"},
	}
	metaPlatforms[ig.name] = ig
	register(&platform{
		name: ig.name, title: ig.title, order: 30,
		mount:    ig.mount,
		pagePath: func(id string) string { return InstagramWebPath + "/" + url.PathEscape(id) },
		postPath: func(p *Post) string { return InstagramWebPath + "/p/" + shortcode(p.ID) + "/" },
	})
}

// shortcode is the public code of a post id (base 36 of the numeric id).
func shortcode(id string) string {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return url.PathEscape(id)
	}
	return strconv.FormatInt(n, 36)
}

// postIDFromShortcode reverses shortcode.
func postIDFromShortcode(code string) string {
	n, err := strconv.ParseInt(code, 36, 64)
	if err != nil {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

func (m *metaPlatform) mount(s *Server, mux *http.ServeMux) {
	f := &metaFake{m: m, s: s, fb: &facebook{s: s}}
	mux.Handle(m.graphPath+"/", s.withFaults(m.name, f.classify, f.renderFault, http.HandlerFunc(f.serveGraph)))
	if m.tokenResponseIGForm {
		mux.Handle("POST "+InstagramAPIPath+"/oauth/access_token", s.withFaults(m.name, f.classify, f.renderFault, http.HandlerFunc(f.handleIGCodeExchange)))
	}
	mux.HandleFunc("GET "+m.webPath+"/oauth/authorize", f.handleDialog)
	mux.HandleFunc("POST "+m.webPath+"/oauth/authorize", f.handleDecision)
	mux.HandleFunc("GET "+m.webPath+"/{account}", func(w http.ResponseWriter, r *http.Request) {
		s.renderFeed(w, r, m.name, r.PathValue("account"), "")
	})
	base := strings.TrimSuffix(m.webPath, "/www")
	mux.HandleFunc("GET "+base+"/_settings", f.handleListSettings)
	mux.HandleFunc("POST "+base+"/_settings", f.handleSetSettings)
	if m.name == "instagram" {
		mux.HandleFunc("GET "+m.webPath+"/p/{code}/{$}", func(w http.ResponseWriter, r *http.Request) {
			id := postIDFromShortcode(r.PathValue("code"))
			s.mu.Lock()
			p := s.byID[postKey{m.name, id}]
			account := ""
			if p != nil {
				account = p.AccountID
			}
			s.mu.Unlock()
			s.renderFeed(w, r, m.name, account, id)
		})
	} else {
		mux.HandleFunc("GET "+m.webPath+"/{account}/post/{code}", func(w http.ResponseWriter, r *http.Request) {
			s.renderFeed(w, r, m.name, r.PathValue("account"), postIDFromShortcode(r.PathValue("code")))
		})
	}
}

// metaFake serves one container platform on one Server.
type metaFake struct {
	m  *metaPlatform
	s  *Server
	fb *facebook // for the Graph error envelope
}

func (f *metaFake) writeError(w http.ResponseWriter, e graphErr) { f.fb.writeError(w, e) }

// classify tells the fault machinery whose call this is and what kind.
func (f *metaFake) classify(r *http.Request) (string, Op) {
	c, gerr := peekGraph(r, f.m.graphPath)
	if gerr != nil {
		return "", OpRead
	}
	account := ""
	if claims, err := f.s.parseToken(f.m.name, c.token); err == nil {
		account = claims.Account
	} else if len(c.segs) > 0 {
		account = c.segs[0]
	}
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		return account, OpRead
	case r.Method == http.MethodDelete:
		return account, OpDelete
	case len(c.segs) == 2 && c.segs[1] == f.m.publishEdge:
		return account, OpPublish
	case len(c.segs) == 2 && c.segs[1] == f.m.containerEdge:
		return account, OpUpload
	}
	return account, OpRead // token exchanges
}

// renderFault answers an injected fault the way Meta does on this platform.
func (f *metaFake) renderFault(w http.ResponseWriter, r *http.Request, ft Fault, account string) {
	now := f.s.now()
	switch ft.Kind {
	case FaultRateLimit:
		reset := ft.RetryAfter
		if reset <= 0 {
			reset = 15 * time.Minute
		}
		code := ft.Code
		if code == 0 {
			code = 80002
			if f.m.name == "threads" {
				code = 4
			}
		}
		e := graphErr{code: code, message: fmt.Sprintf("(#%d) Application request limit reached", code), transient: ptr(false)}
		switch code {
		case 80002:
			e.message = "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."
		case 9:
			e = f.errQuota()
		}
		if account != "" {
			buc, _ := json.Marshal(map[string][]map[string]any{account: {{"type": f.m.name, "call_count": 100,
				"total_cputime": 30, "total_time": 48, "estimated_time_to_regain_access": int(math.Ceil(reset.Minutes()))}}})
			w.Header().Set("X-Business-Use-Case-Usage", string(buc))
		}
		f.writeError(w, e)
	case FaultServerError:
		status := ft.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if f.m.name == "instagram" {
			f.writeError(w, graphErr{status: status, code: -1, subcode: 2207001, transient: ptr(true), message: "Instagram server error. Try again.",
				userTitle: "Server error", userMsg: "Instagram server error. Try again."})
			return
		}
		f.writeError(w, graphErr{status: status, code: 2, transient: ptr(true), message: "An unexpected error has occurred. Please retry your request later."})
	case FaultExpiredToken:
		f.writeError(w, errExpiredToken(now.Add(-time.Hour), now))
	case FaultDuplicate:
		if f.m.name == "instagram" {
			// Instagram has no duplicate error; repeated identical posts
			// meet its spam restriction.
			f.writeError(w, graphErr{code: 4, subcode: 2207051, transient: ptr(false),
				message:   "We restrict certain activity to protect our community. Tell us if you think we made a mistake.",
				userTitle: "Action blocked", userMsg: "We restrict certain activity to protect our community."})
			return
		}
		f.writeError(w, errDuplicate())
	default:
		f.writeError(w, graphErr{code: 1, message: "An unknown error has occurred."})
	}
}

func (f *metaFake) errQuota() graphErr {
	return graphErr{code: 9, subcode: 2207042, transient: ptr(false), message: "Application request limit reached",
		userTitle: "Cannot publish post", userMsg: "You reached maximum number of posts that is allowed to be published by Content Publishing API."}
}

// auth checks the token for this platform.
func (f *metaFake) auth(w http.ResponseWriter, c *graphCall) (tokenClaims, bool) {
	if c.token == "" {
		f.writeError(w, errNoToken())
		return tokenClaims{}, false
	}
	claims, err := f.s.parseToken(f.m.name, c.token)
	if err != nil {
		f.writeError(w, errBadToken())
		return claims, false
	}
	if now := f.s.now(); claims.expired(now) {
		f.writeError(w, errExpiredToken(claims.expiresAt(), now))
		return claims, false
	}
	return claims, true
}

// serveGraph routes a Graph call on this platform's host.
func (f *metaFake) serveGraph(w http.ResponseWriter, r *http.Request) {
	c, gerr := parseGraphAt(r, f.m.graphPath)
	if gerr != nil {
		f.writeError(w, *gerr)
		return
	}
	if len(c.segs) == 2 && c.segs[0] == "oauth" && c.segs[1] == "access_token" && !f.m.tokenResponseIGForm && r.Method == http.MethodPost {
		f.handleGraphCodeExchange(w, c)
		return
	}
	if len(c.segs) == 1 && (c.segs[0] == "access_token" || c.segs[0] == "refresh_access_token") && r.Method == http.MethodGet {
		f.handleLongLived(w, c)
		return
	}
	if len(c.segs) == 0 || len(c.segs) > 2 {
		f.writeError(w, graphErr{code: 2500, message: "Unknown path components: " + r.URL.Path})
		return
	}
	claims, ok := f.auth(w, c)
	if !ok {
		return
	}
	id, edge := c.segs[0], ""
	if len(c.segs) == 2 {
		edge = c.segs[1]
	}
	switch {
	case id == "me" && edge == "" && c.method == http.MethodGet:
		f.me(w, c, claims)
	case edge == "" && c.method == http.MethodGet:
		f.getObject(w, r, c, claims, id)
	case edge == "" && c.method == http.MethodDelete:
		f.deletePost(w, c, claims, id)
	case edge == f.m.containerEdge && c.method == http.MethodPost:
		f.createContainer(w, r, c, claims, f.userID(id, claims))
	case edge == f.m.containerEdge && c.method == http.MethodGet:
		f.listPosts(w, r, c, claims, f.userID(id, claims))
	case edge == f.m.publishEdge && c.method == http.MethodPost:
		f.publish(w, c, claims, f.userID(id, claims))
	case edge == f.m.limitEdge && c.method == http.MethodGet:
		f.limit(w, c, claims, f.userID(id, claims))
	case edge == "insights" && c.method == http.MethodGet:
		f.insights(w, c, claims, id)
	default:
		f.writeError(w, errNoObject(c.method, id))
	}
}

func (f *metaFake) userID(id string, claims tokenClaims) string {
	if id == "me" {
		return claims.Account
	}
	return id
}

// appScopedID is the id /me returns as "id" and the code exchange as
// "user_id": app-scoped, unlike the professional account id ("user_id" on
// /me) that publishing needs (platform-apis.md §2.2).
func appScopedID(account string) string { return stableID("9", "app:"+account, instagramAppIDDigits) }

// me serves GET /me.
func (f *metaFake) me(w http.ResponseWriter, c *graphCall, claims tokenClaims) {
	a, _ := f.s.account(f.m.name, claims.Account)
	out := map[string]any{}
	fields := strings.Split(c.params.Get("fields"), ",")
	if c.params.Get("fields") == "" {
		fields = []string{"id"}
	}
	for _, fl := range fields {
		switch strings.TrimSpace(fl) {
		case "id":
			if f.m.name == "instagram" {
				out["id"] = appScopedID(claims.Account)
			} else {
				out["id"] = claims.Account
			}
		case "user_id":
			if f.m.name == "instagram" {
				out["user_id"] = claims.Account
			}
		case "username":
			out["username"] = a.Name
		case "name":
			out["name"] = a.Name
		case "account_type":
			if f.m.name == "instagram" {
				out["account_type"] = "BUSINESS"
			}
		case "profile_picture_url", "threads_profile_picture_url":
			// none in the sandbox
		case "":
		default:
			f.writeError(w, graphErr{code: 100, message: fmt.Sprintf("(#100) Tried accessing nonexisting field (%s) on node type (User)", fl)})
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// metaTime formats a time the way Meta's Graph APIs do.
func metaTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-0700") }

var (
	hashtagRE = regexp.MustCompile(`(?:^|[^\p{L}\p{M}\p{N}_&])#[\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_]`)
	mentionRE = regexp.MustCompile(`(?:^|[^\p{L}\p{M}\p{N}_.@])@[A-Za-z0-9_.]*[A-Za-z0-9_]`)
)

// fetchClient fetches image URLs: never through a proxy (the URL is on this
// server), without keeping connections.
var fetchClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// fetchImage fetches image_url the way Meta cURLs it, from this server
// only, and checks what it got.
func (f *metaFake) fetchImage(r *http.Request, raw string) (Image, []byte, *graphErr) {
	fetchErr := func(why string) *graphErr {
		return &graphErr{code: 9004, subcode: 2207052, transient: ptr(false), message: "The media could not be fetched from this uri: " + why,
			userTitle: "Media download has failed", userMsg: "Media download has failed. The media URI doesn't meet our requirements."}
	}
	for _, b := range []byte(raw) {
		if b >= utf8.RuneSelf {
			return Image{}, nil, fetchErr("URLs with non-ASCII characters cannot be fetched")
		}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Image{}, nil, fetchErr("not an absolute http(s) URL")
	}
	if !f.s.redirectAllowed(r, raw) {
		return Image{}, nil, fetchErr("the sandbox fetches images only from the server it runs on")
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), metaFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return Image{}, nil, fetchErr("not a valid URL")
	}
	req.Header.Set("User-Agent", "facebookexternalhit/1.1 (prasar sandbox)")
	resp, err := fetchClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Image{}, nil, &graphErr{code: -2, subcode: 2207003, transient: ptr(true), message: "It takes too long to download the media.",
				userTitle: "Timeout", userMsg: "It takes too long to download the media."}
		}
		return Image{}, nil, fetchErr("the server could not be reached")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Image{}, nil, fetchErr("the server answered HTTP " + strconv.Itoa(resp.StatusCode))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, igMaxImageBytes+1))
	if err != nil {
		return Image{}, nil, fetchErr("the download broke off")
	}
	if len(data) > igMaxImageBytes {
		return Image{}, nil, &graphErr{code: 36000, subcode: 2207004, transient: ptr(false), message: "The image size is too large.",
			userTitle: "Image size too large", userMsg: "The image is too large to download. It should be less than 8 MiB."}
	}
	ct := http.DetectContentType(data)
	if !slices.Contains(f.m.imageTypes, ct) {
		kinds := "JPEG"
		if len(f.m.imageTypes) > 1 {
			kinds = "JPEG, PNG"
		}
		return Image{}, nil, &graphErr{code: 36001, subcode: 2207005, transient: ptr(false), message: "The image format is not supported.",
			userTitle: "Unsupported format", userMsg: "The image format is not supported. Supported formats are: " + kinds + "."}
	}
	return Image{ContentType: ct, Size: int64(len(data)), SHA256: sha256Hex(data)}, data, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// imageProblem is a processing error for an image of the wrong shape, or "".
func (f *metaFake) imageProblem(data []byte) string {
	if !f.m.checkRatio {
		return ""
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "Error: Media upload has failed with error code 2207053: the image could not be decoded"
	}
	ratio := float64(cfg.Width) / float64(cfg.Height)
	if ratio < igMinRatio-0.005 || ratio > igMaxRatio+0.005 {
		return fmt.Sprintf("Error: Media upload has failed with error code 2207009: The submitted image with aspect ratio ('%d:%d') cannot be published. Please submit an image with a valid aspect ratio.", cfg.Width, cfg.Height)
	}
	return ""
}

// createContainer serves POST /{user}/media (Instagram) and /{user}/threads.
func (f *metaFake) createContainer(w http.ResponseWriter, r *http.Request, c *graphCall, claims tokenClaims, user string) {
	if user != claims.Account {
		f.writeError(w, errNoObject(c.method, user))
		return
	}
	p := c.params
	text := p.Get(f.m.textParam)
	carouselItem := p.Get("is_carousel_item") == "true"
	mediaType := strings.ToUpper(p.Get("media_type"))
	if f.m.name == "instagram" && mediaType == "" {
		mediaType = "IMAGE"
	}
	switch mediaType {
	case "IMAGE", "CAROUSEL":
	case "TEXT":
		if f.m.name == "instagram" {
			f.writeError(w, errParam("The parameter media_type must be one of CAROUSEL, REELS, STORIES, VIDEO, IMAGE"))
			return
		}
	case "VIDEO", "REELS", "STORIES":
		f.writeError(w, errParam("The sandbox does not process video; post images"))
		return
	case "":
		f.writeError(w, errParam("The parameter media_type is required"))
		return
	default:
		f.writeError(w, errParam("The parameter media_type is not valid: "+mediaType))
		return
	}
	if n := f.m.countText(text); n > f.m.maxText {
		f.writeError(w, errParam(fmt.Sprintf("Param %s must be at most %d characters long (got %d)", f.m.textParam, f.m.maxText, n)))
		return
	}
	if mediaType == "TEXT" && strings.TrimSpace(text) == "" {
		f.writeError(w, errParam("Param text is required for TEXT posts"))
		return
	}
	if f.m.name == "instagram" {
		if n := len(hashtagRE.FindAllString(text, -1)); n > igMaxHashtags {
			f.writeError(w, errParam(fmt.Sprintf("The caption has %d hashtags; at most %d are allowed", n, igMaxHashtags)))
			return
		}
		if n := len(mentionRE.FindAllString(text, -1)); n > igMaxMentions {
			f.writeError(w, errParam(fmt.Sprintf("The caption mentions %d accounts; at most %d are allowed", n, igMaxMentions)))
			return
		}
	}
	alt := p.Get("alt_text")
	if utf8.RuneCountInString(alt) > igMaxAltText {
		f.writeError(w, errParam(fmt.Sprintf("Param alt_text must be at most %d characters long", igMaxAltText)))
		return
	}
	var children []string
	if mediaType == "CAROUSEL" {
		for _, id := range strings.Split(p.Get("children"), ",") {
			if id = strings.TrimSpace(id); id != "" {
				children = append(children, id)
			}
		}
		if len(children) < 2 || len(children) > f.m.maxCarousel {
			f.writeError(w, errParam(fmt.Sprintf("A carousel needs 2 to %d children (got %d)", f.m.maxCarousel, len(children))))
			return
		}
	}
	// Fetch the image before taking the lock: it is an HTTP call, possibly
	// to this very server.
	var img *Image
	var data []byte
	problem := ""
	if mediaType == "IMAGE" {
		raw := p.Get("image_url")
		if raw == "" {
			f.writeError(w, errParam("The parameter image_url is required"))
			return
		}
		im, d, gerr := f.fetchImage(r, raw)
		if gerr != nil {
			f.writeError(w, *gerr)
			return
		}
		im.AltText, im.URL = alt, ""
		img, data, problem = &im, d, f.imageProblem(d)
	}
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	st := f.m.state(s)
	now := s.now()
	recent := 0
	for _, ct := range st.containers {
		if ct.Account == user && now.Sub(ct.Created) < metaQuotaWindow {
			recent++
		}
	}
	if f.m.name == "instagram" && recent >= igContainerQuota {
		f.writeError(w, graphErr{code: 4, transient: ptr(false), message: fmt.Sprintf("(#4) Application request limit reached: at most %d containers per 24 hours", igContainerQuota)})
		return
	}
	for i, id := range children {
		ch := st.containers[id]
		switch {
		case ch == nil || ch.Account != user:
			f.writeError(w, errParam(fmt.Sprintf("children[%d] %s is not a container of this account", i, id)))
			return
		case !ch.CarouselItem:
			f.writeError(w, errParam(fmt.Sprintf("children[%d] %s was not created with is_carousel_item=true", i, id)))
			return
		}
		if code, _ := f.m.statusLocked(st, ch, now); code == "EXPIRED" || code == "PUBLISHED" {
			f.writeError(w, graphErr{code: -2, subcode: 2207020, message: "The media you are trying to access has expired. Please try to upload again.",
				userTitle: "Media expired", userMsg: "The media you are trying to access has expired. Please try to upload again."})
			return
		}
	}
	set := f.m.settingsLocked(s, user)
	ct := &container{ID: s.newIDLocked(), Account: user, Created: now.UTC(), MediaType: mediaType, Text: text,
		CarouselItem: carouselItem, Children: children, Delay: set.ContainerDelay, Mode: set.Containers, Failure: problem}
	if mediaType == "TEXT" {
		ct.Delay = 0 // text needs no processing
	}
	if img != nil {
		img.ID = ct.ID
		s.putMediaLocked(img.ID, img.ContentType, data)
		ct.Image = img
	}
	st.containers[ct.ID] = ct
	s.log.Info("sandbox: media container created", "platform", f.m.name, "account_id", user, "container_id", ct.ID, "media_type", mediaType)
	writeJSON(w, http.StatusOK, map[string]string{"id": ct.ID})
}

// publish serves POST /{user}/media_publish and /{user}/threads_publish.
func (f *metaFake) publish(w http.ResponseWriter, c *graphCall, claims tokenClaims, user string) {
	if user != claims.Account {
		f.writeError(w, errNoObject(c.method, user))
		return
	}
	id := c.params.Get("creation_id")
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	st := f.m.state(s)
	now := s.now()
	ct := st.containers[id]
	if id == "" || ct == nil || ct.Account != user {
		f.writeError(w, graphErr{code: 24, subcode: 2207008, message: fmt.Sprintf("The media builder with creation id = %s does not exist or has been expired.", id),
			userTitle: "Media not found", userMsg: "The media builder does not exist or has expired."})
		return
	}
	if ct.CarouselItem {
		f.writeError(w, errParam("A carousel item cannot be published on its own; publish the carousel"))
		return
	}
	switch code, msg := f.m.statusLocked(st, ct, now); code {
	case "FINISHED":
	case "IN_PROGRESS":
		f.writeError(w, graphErr{code: 9007, subcode: 2207027, message: "Media ID is not available",
			userTitle: "Media not ready", userMsg: "The media is not ready for publishing, please wait for a moment."})
		return
	case "EXPIRED":
		f.writeError(w, graphErr{code: -2, subcode: 2207020, message: "The media you are trying to access has expired. Please try to upload again.",
			userTitle: "Media expired", userMsg: "The media you are trying to access has expired. Please try to upload again."})
		return
	case "PUBLISHED":
		f.writeError(w, errParam("The media container has already been published"))
		return
	default:
		f.writeError(w, graphErr{code: -1, subcode: 2207032, message: "Create media fail, please try to re-create media",
			userTitle: "Media upload failed", userMsg: msg})
		return
	}
	set := f.m.settingsLocked(s, user)
	if f.quotaUsageLocked(user, now) >= set.QuotaTotal {
		f.writeError(w, f.errQuota())
		return
	}
	p := &Post{Platform: f.m.name, AccountID: user, ID: s.newIDLocked(), Text: ct.Text, CreatedAt: now.UTC()}
	if ct.Image != nil {
		p.Images = append(p.Images, *ct.Image)
	}
	for _, chID := range ct.Children {
		if ch := st.containers[chID]; ch != nil {
			if ch.Image != nil {
				p.Images = append(p.Images, *ch.Image)
			}
			ch.PostID = p.ID
		}
	}
	ct.PostID = p.ID
	s.addPostLocked(p)
	s.log.Info("sandbox: post published", "platform", f.m.name, "account_id", user, "post_id", p.ID, "images", len(p.Images))
	writeJSON(w, http.StatusOK, map[string]string{"id": p.ID})
}

// quotaUsageLocked counts the account's posts in the rolling window,
// deleted ones included.
func (f *metaFake) quotaUsageLocked(user string, now time.Time) int {
	n := 0
	for _, p := range f.s.accountPostsLocked(f.m.name, user) {
		if now.Sub(p.CreatedAt) < metaQuotaWindow {
			n++
		}
	}
	return n
}

// limit serves GET /{user}/content_publishing_limit and
// /{user}/threads_publishing_limit.
func (f *metaFake) limit(w http.ResponseWriter, c *graphCall, claims tokenClaims, user string) {
	if user != claims.Account {
		f.writeError(w, errNoObject(c.method, user))
		return
	}
	if v := c.params.Get("since"); v != "" {
		t, ok := parseFBTime(v)
		if !ok || f.s.now().Sub(t) > metaQuotaWindow {
			f.writeError(w, errParam("The since parameter must be a time within the last 24 hours"))
			return
		}
	}
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	set := f.m.settingsLocked(s, user)
	entry := map[string]any{"quota_usage": f.quotaUsageLocked(user, s.now())}
	for _, fl := range strings.Split(c.params.Get("fields"), ",") {
		if strings.TrimSpace(fl) == "config" {
			entry["config"] = map[string]int{"quota_total": set.QuotaTotal, "quota_duration": int(metaQuotaWindow.Seconds())}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": []any{entry}})
}

// renderPostLocked renders a post with the given fields.
func (f *metaFake) renderPostLocked(r *http.Request, p *Post, fields []string) (map[string]any, *graphErr) {
	out := map[string]any{}
	for _, fl := range fields {
		switch fl = strings.TrimSpace(fl); fl {
		case "id":
			out["id"] = p.ID
		case f.m.textParam:
			if p.Text != "" {
				out[fl] = p.Text
			}
		case "timestamp":
			out["timestamp"] = metaTime(p.CreatedAt)
		case "permalink":
			out["permalink"] = f.m.permalink(f.s.base(r), p)
		case "shortcode":
			out["shortcode"] = shortcode(p.ID)
		case "media_type":
			switch {
			case len(p.Images) > 1:
				out["media_type"] = "CAROUSEL_ALBUM"
			case len(p.Images) == 1:
				out["media_type"] = "IMAGE"
			default:
				out["media_type"] = "TEXT_POST"
			}
		case "media_product_type":
			if f.m.name == "instagram" {
				out["media_product_type"] = "FEED"
			} else {
				out["media_product_type"] = "THREADS"
			}
		case "media_url":
			if len(p.Images) > 0 {
				out["media_url"] = f.s.imageURL(r, p.Images[0])
			}
		case "username":
			if a := f.s.accounts[accountKey{f.m.name, p.AccountID}]; a != nil {
				out["username"] = a.Name
			}
		case "is_quote_post":
			if f.m.name == "threads" {
				out["is_quote_post"] = false
			}
		case "":
		default:
			return nil, &graphErr{code: 100, message: fmt.Sprintf("(#100) Tried accessing nonexisting field (%s) on node type (%s)", fl, f.nodeType())}
		}
	}
	return out, nil
}

func (f *metaFake) nodeType() string {
	if f.m.name == "threads" {
		return "ThreadsMedia"
	}
	return "ShadowIGMedia"
}

// getObject serves GET /{id}: a container's status, or a post.
func (f *metaFake) getObject(w http.ResponseWriter, r *http.Request, c *graphCall, claims tokenClaims, id string) {
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	st := f.m.state(s)
	fields := strings.Split(c.params.Get("fields"), ",")
	if c.params.Get("fields") == "" {
		fields = []string{"id"}
	}
	if ct := st.containers[id]; ct != nil && ct.Account == claims.Account {
		code, msg := f.m.statusLocked(st, ct, s.now())
		out := map[string]any{}
		for _, fl := range fields {
			switch fl = strings.TrimSpace(fl); fl {
			case "id":
				out["id"] = ct.ID
			case f.m.statusField:
				out[fl] = code
			case "status":
				// Instagram's human-readable status next to status_code.
				out["status"] = code
				if msg != "" {
					out["status"] = msg
				} else if code == "FINISHED" {
					out["status"] = "Finished: Media has been uploaded and it is ready to be published."
				} else if code == "IN_PROGRESS" {
					out["status"] = "In Progress: Media is still being processed."
				}
			case "error_message":
				if msg != "" && f.m.name == "threads" {
					out["error_message"] = msg
				}
			case "":
			default:
				f.writeError(w, graphErr{code: 100, message: fmt.Sprintf("(#100) Tried accessing nonexisting field (%s) on node type (%s)", fl, "ShadowIGMediaBuilder")})
				return
			}
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	p := s.byID[postKey{f.m.name, id}]
	if p == nil || p.DeletedAt != nil || p.AccountID != claims.Account {
		f.writeError(w, errNoObject(c.method, id))
		return
	}
	out, gerr := f.renderPostLocked(r, p, fields)
	if gerr != nil {
		f.writeError(w, *gerr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// listPosts serves GET /{user}/media and /{user}/threads: the account's
// posts newest first, filtered by since/until, limit a page, "after"
// cursor.
func (f *metaFake) listPosts(w http.ResponseWriter, r *http.Request, c *graphCall, claims tokenClaims, user string) {
	if user != claims.Account {
		f.writeError(w, errNoObject(c.method, user))
		return
	}
	fields := strings.Split(c.params.Get("fields"), ",")
	if c.params.Get("fields") == "" {
		fields = []string{"id"}
	}
	limit := metaDefaultListLimit
	if v := c.params.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			f.writeError(w, errParam("Param limit must be a positive integer"))
			return
		}
		limit = min(n, metaMaxListLimit)
	}
	var since, until time.Time
	for name, t := range map[string]*time.Time{"since": &since, "until": &until} {
		if v := c.params.Get(name); v != "" {
			parsed, ok := parseFBTime(v)
			if !ok {
				f.writeError(w, errParam(fmt.Sprintf("Param %s must be a UNIX timestamp or a date", name)))
				return
			}
			*t = parsed
		}
	}
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var posts []*Post
	for _, p := range s.accountPostsLocked(f.m.name, user) {
		if !p.Visible(now) ||
			(!since.IsZero() && p.CreatedAt.Before(since)) || (!until.IsZero() && p.CreatedAt.After(until)) {
			continue
		}
		posts = append(posts, p)
	}
	slices.SortStableFunc(posts, func(a, b *Post) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	start := 0
	if after := c.params.Get("after"); after != "" {
		i := slices.IndexFunc(posts, func(p *Post) bool { return shortcode(p.ID) == after })
		if i < 0 {
			f.writeError(w, errParam("Invalid cursor"))
			return
		}
		start = i + 1
	}
	end := min(start+limit, len(posts))
	data := []map[string]any{}
	for _, p := range posts[start:end] {
		m, gerr := f.renderPostLocked(r, p, fields)
		if gerr != nil {
			f.writeError(w, *gerr)
			return
		}
		data = append(data, m)
	}
	out := map[string]any{"data": data}
	if end > start {
		paging := map[string]any{"cursors": map[string]string{"before": shortcode(posts[start].ID), "after": shortcode(posts[end-1].ID)}}
		if end < len(posts) {
			q := url.Values{}
			for k, vs := range c.params {
				if k != "access_token" && k != "after" {
					q[k] = vs
				}
			}
			q.Set("limit", strconv.Itoa(limit))
			q.Set("after", shortcode(posts[end-1].ID))
			paging["next"] = s.base(r) + r.URL.Path + "?" + q.Encode()
		}
		out["paging"] = paging
	}
	writeJSON(w, http.StatusOK, out)
}

// deletePost serves DELETE /{media}: Threads deletes; the Instagram API
// cannot delete media, and answers as Graph does for an unsupported call.
func (f *metaFake) deletePost(w http.ResponseWriter, c *graphCall, claims tokenClaims, id string) {
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.byID[postKey{f.m.name, id}]
	if !f.m.canDelete || p == nil || p.DeletedAt != nil || p.AccountID != claims.Account {
		f.writeError(w, errNoObject(c.method, id))
		return
	}
	now := s.now().UTC()
	p.DeletedAt = &now
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "deleted_id": id})
}

// insights serves GET /{media}/insights?metric=…: lifetime values that grow
// with the post's age; an empty data set while the post is too young; #100
// for removed or unknown metrics, which fails the whole request as on the
// real API.
func (f *metaFake) insights(w http.ResponseWriter, c *graphCall, claims tokenClaims, id string) {
	var metrics []string
	for _, m := range strings.Split(c.params.Get("metric"), ",") {
		if m = strings.TrimSpace(m); m != "" {
			metrics = append(metrics, m)
		}
	}
	if len(metrics) == 0 {
		f.writeError(w, errParam("The parameter metric is required"))
		return
	}
	for _, m := range metrics {
		if instead, removed := f.m.removedMetrics[m]; removed {
			f.writeError(w, errParam(fmt.Sprintf("Starting from version v22.0 and for all versions starting April 21, 2025, the %s metric is no longer supported for media insights; use %s instead", m, instead)))
			return
		}
		if _, ok := f.m.metrics[m]; !ok {
			names := slices.Sorted(func(yield func(string) bool) {
				for k := range f.m.metrics {
					if !yield(k) {
						return
					}
				}
			})
			f.writeError(w, errParam(fmt.Sprintf("metric[%d] must be one of the following values: %s", slices.Index(metrics, m), strings.Join(names, ", "))))
			return
		}
	}
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.byID[postKey{f.m.name, id}]
	if p == nil || p.DeletedAt != nil || p.AccountID != claims.Account {
		f.writeError(w, errNoObject(c.method, id))
		return
	}
	age := s.now().Sub(p.CreatedAt)
	data := []map[string]any{}
	if age >= metaInsightsDelay {
		for _, m := range metrics {
			spec := f.m.metrics[m]
			v := int64(math.Floor(growth(p.ID, age) * spec.factor))
			data = append(data, map[string]any{"name": m, "period": "lifetime", "values": []map[string]int64{{"value": v}},
				"title": spec.title, "description": spec.description, "id": id + "/insights/" + m + "/lifetime"})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

// Tokens.

// handleIGCodeExchange serves POST api.instagram.com/oauth/access_token.
// Its errors have api.instagram.com's own shape, not Graph's.
func (f *metaFake) handleIGCodeExchange(w http.ResponseWriter, r *http.Request) {
	igErr := func(msg string) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error_type": "OAuthException", "code": 400, "error_message": msg})
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" && mt != "multipart/form-data" {
		igErr("You must provide a client_id")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, metaMaxBody)
	if err := r.ParseMultipartForm(metaMaxBody); err != nil && err != http.ErrNotMultipart {
		igErr("The request could not be read")
		return
	}
	p := r.PostForm
	switch {
	case p.Get("client_id") == "":
		igErr("You must provide a client_id")
		return
	case p.Get("client_secret") == "":
		igErr("You must provide a client_secret")
		return
	case p.Get("grant_type") != "authorization_code":
		igErr("Invalid grant_type")
		return
	case p.Get("redirect_uri") == "":
		igErr("You must provide a redirect_uri")
		return
	}
	code, gerr := f.checkCode(p.Get("code"), p.Get("client_id"), p.Get("redirect_uri"))
	if gerr != "" {
		igErr(gerr)
		return
	}
	a := code.Accounts[0]
	tok := f.s.MintToken(f.m.name, a.ID, a.Name, metaShortTokenTTL)
	perms := strings.Join(code.Scopes, ",")
	f.s.mu.Lock()
	flat := f.m.state(f.s).flatTokens
	f.s.mu.Unlock()
	if flat {
		// The flat form carries user_id as a number.
		writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "user_id": json.Number(appScopedID(a.ID)), "permissions": code.Scopes})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": []map[string]string{{"access_token": tok, "user_id": appScopedID(a.ID), "permissions": perms}}})
}

// checkCode validates an authorization code for this platform; msg is the
// error to give otherwise.
func (f *metaFake) checkCode(raw, clientID, redirectURI string) (code authCode, msg string) {
	raw = strings.TrimSuffix(raw, "#_")
	switch {
	case raw == "" || f.s.openBlob(raw, &code) != nil || code.Platform != f.m.name || len(code.Accounts) == 0:
		return code, "Invalid authorization code"
	case f.s.now().Unix() > code.Expires:
		return code, "This authorization code has expired"
	case code.RedirectURI != redirectURI:
		return code, "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request"
	case code.ClientID != clientID:
		return code, "Invalid client_id: the code was issued to another app"
	case !f.s.useCode(code):
		return code, "Matching code was not found or was already used"
	}
	return code, ""
}

// handleGraphCodeExchange serves POST graph.threads.net/oauth/access_token.
func (f *metaFake) handleGraphCodeExchange(w http.ResponseWriter, c *graphCall) {
	p := c.params
	switch {
	case p.Get("client_id") == "" || p.Get("client_secret") == "":
		f.writeError(w, graphErr{code: 101, message: "Missing client_id or client_secret parameter."})
		return
	case p.Get("grant_type") != "authorization_code":
		f.writeError(w, errParam("Unsupported grant_type"))
		return
	case p.Get("redirect_uri") == "":
		f.writeError(w, graphErr{code: 191, message: "Missing redirect_uri parameter."})
		return
	}
	code, msg := f.checkCode(p.Get("code"), p.Get("client_id"), p.Get("redirect_uri"))
	if msg != "" {
		f.writeError(w, graphErr{code: 100, subcode: 36009, message: msg})
		return
	}
	a := code.Accounts[0]
	tok := f.s.MintToken(f.m.name, a.ID, a.Name, metaShortTokenTTL)
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "user_id": json.Number(a.ID)})
}

// handleLongLived serves GET /access_token (short-lived → long-lived) and
// GET /refresh_access_token (a long-lived token at least 24 h old →
// another 60 days).
func (f *metaFake) handleLongLived(w http.ResponseWriter, c *graphCall) {
	p := c.params
	refresh := c.segs[0] == "refresh_access_token"
	grant := f.m.exchangeGrant
	if refresh {
		grant = f.m.refreshGrant
	}
	if p.Get("grant_type") != grant {
		f.writeError(w, errParam("Invalid grant_type: expected "+grant))
		return
	}
	if !refresh && p.Get("client_secret") == "" {
		f.writeError(w, graphErr{code: 101, message: "Missing client_secret parameter."})
		return
	}
	claims, ok := f.auth(w, c)
	if !ok {
		return
	}
	now := f.s.now()
	if refresh && now.Sub(time.Unix(claims.Issued, 0)) < metaRefreshMinAge {
		// UNVERIFIED: Meta documents the rule, not the error it gives.
		f.writeError(w, errParam("The access token can be refreshed only once it is at least 24 hours old"))
		return
	}
	a, _ := f.s.account(f.m.name, claims.Account)
	tok := f.s.MintToken(f.m.name, claims.Account, a.Name, metaLongTokenTTL)
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": int(metaLongTokenTTL.Seconds())})
}

// Consent.

// handleDialog serves GET /oauth/authorize: the consent page.
func (f *metaFake) handleDialog(w http.ResponseWriter, r *http.Request) {
	req, ok := f.s.readConsentRequest(w, r, f.m.name)
	if !ok {
		return
	}
	if len(req.Scopes) == 0 {
		req.Scopes = f.m.defaultScopes
	}
	page := consentPage{PlatformTitle: f.m.title, ClientID: req.ClientID, Action: r.URL.Path, Request: f.s.signBlob(req),
		Scopes: req.Scopes, Legend: "Log in as", NewLabel: "username"}
	accts := f.s.Accounts(f.m.name)
	for i, a := range accts {
		page.Accounts = append(page.Accounts, consentAccount{ID: a.ID, Name: a.Name, Checked: i == 0})
	}
	if len(accts) == 0 {
		page.NewChecked, page.NewDefault = true, "sandbox_department"
	}
	renderPage(w, http.StatusOK, "consent", "Log in to "+f.m.title, page)
}

// handleDecision serves the consent form's POST.
func (f *metaFake) handleDecision(w http.ResponseWriter, r *http.Request) {
	req, approve, scopes, ok := f.s.readDecision(w, r, f.m.name)
	if !ok {
		return
	}
	if !approve {
		redirectTo(w, r, req.RedirectURI, url.Values{"error": {"access_denied"}, "error_reason": {"user_denied"},
			"error_description": {"The user denied your request."}, "state": {req.State}}, f.m.redirectFragment)
		return
	}
	var acct grantedAccount
	switch choice := r.PostForm.Get("account"); choice {
	case "", "new":
		name := strings.TrimPrefix(strings.TrimSpace(r.PostForm.Get("new_account")), "@")
		if name == "" {
			consentError(w, "Choose an account or type a username.")
			return
		}
		acct = grantedAccount{ID: stableID(f.m.idPrefix, name, f.m.idDigits), Name: name}
	default:
		a, known := f.s.account(f.m.name, choice)
		if !known {
			consentError(w, "There is no such account in the sandbox.")
			return
		}
		acct = grantedAccount{ID: a.ID, Name: a.Name}
	}
	f.s.mu.Lock()
	f.s.ensureAccountLocked(f.m.name, acct.ID, acct.Name)
	f.s.mu.Unlock()
	code := f.s.newCode(f.m.name, req, scopes, []grantedAccount{acct})
	redirectTo(w, r, req.RedirectURI, url.Values{"code": {code}, "state": {req.State}}, f.m.redirectFragment)
}

// Settings over HTTP.

// settingsJSON is MetaAccountSettings on the wire.
type settingsJSON struct {
	Account        string        `json:"account"`
	ContainerDelay string        `json:"containerDelay,omitempty"`
	Containers     ContainerMode `json:"containers,omitempty"`
	QuotaTotal     int           `json:"quotaTotal,omitempty"`
	// TokenResponse is "wrapped" or "flat" (Instagram only).
	TokenResponse string `json:"tokenResponse,omitempty"`
}

// handleListSettings serves GET /sandbox/{platform}/_settings.
func (f *metaFake) handleListSettings(w http.ResponseWriter, r *http.Request) {
	f.s.mu.Lock()
	st := f.m.state(f.s)
	out := []settingsJSON{}
	for acct, set := range st.settings {
		j := settingsJSON{Account: acct, Containers: set.Containers, QuotaTotal: set.QuotaTotal}
		if set.ContainerDelay > 0 {
			j.ContainerDelay = set.ContainerDelay.String()
		}
		out = append(out, j)
	}
	shape := "wrapped"
	if st.flatTokens {
		shape = "flat"
	}
	f.s.mu.Unlock()
	slices.SortFunc(out, func(a, b settingsJSON) int { return strings.Compare(a.Account, b.Account) })
	res := map[string]any{"accounts": out}
	if f.m.tokenResponseIGForm {
		res["tokenResponse"] = shape
	}
	writeJSON(w, http.StatusOK, res)
}

// handleSetSettings serves POST /sandbox/{platform}/_settings with a JSON
// settingsJSON body.
func (f *metaFake) handleSetSettings(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "send the settings as application/json"})
		return
	}
	var j settingsJSON
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the body must be settings as JSON: " + err.Error()})
		return
	}
	set := MetaAccountSettings{Containers: j.Containers, QuotaTotal: j.QuotaTotal}
	var err error
	if j.ContainerDelay != "" {
		if set.ContainerDelay, err = time.ParseDuration(j.ContainerDelay); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "containerDelay: " + err.Error()})
			return
		}
	}
	if err := f.s.SetMetaAccount(f.m.name, j.Account, set); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": strings.TrimPrefix(err.Error(), "sandbox: ")})
		return
	}
	switch j.TokenResponse {
	case "":
	case "flat", "wrapped":
		if !f.m.tokenResponseIGForm {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "tokenResponse is an Instagram setting"})
			return
		}
		f.s.SetInstagramTokenShape(j.TokenResponse == "flat")
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `tokenResponse must be "flat" or "wrapped"`})
		return
	}
	f.handleListSettings(w, r)
}
