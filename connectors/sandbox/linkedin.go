package sandbox

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	"unicode"
	"unicode/utf8"
)

// LinkedIn Pages (Posts API), after platform-apis.md §5.2: the REST API at
// BaseURL+LinkedInAPIPath (/rest/posts, /rest/images, /rest/organizationAcls,
// /rest/organizations/{id}, /rest/organizationalEntityShareStatistics) and
// the web host at BaseURL+LinkedInWebPath: OAuth at /oauth/v2/authorization
// (a consent page with Approve and Deny, where the person picks the Pages
// they administer and whether they may post) and /oauth/v2/accessToken,
// posts at /feed/update/{urn}/, Pages at /company/{id}.
//
// Every /rest call needs Linkedin-Version (YYYYMM; the twelve months up to
// the sandbox's current month are active) and X-Restli-Protocol-Version
// 2.0.0. A token minted with MintToken("linkedin", org, name, ttl) acts as
// an administrator of that organization (org is "urn:li:organization:N" or
// "N"); OAuth grants carry the Pages and roles chosen on the consent page.
// Any client id is an app; its secret is LinkedInClientSecret(clientID).
// Refresh tokens (programmatic refresh) go only to approved partners: in
// the sandbox, client ids that start with "partner-".
//
// Commentary is read as LinkedIn's "little" text: backslash escapes,
// #hashtags, {hashtag|\#|tag} and @[Name](urn) templates, and URLs are
// understood; an unescaped reserved character ( | { } @ [ ] ( ) < > # * _ ~
// \ ) silently truncates the post there, as LinkedIn is reported to do
// (UNVERIFIED list; platform-apis.md §5.2). The post shown on the feed page
// is what a reader would see.
//
// Several details here are UNVERIFIED in the reference (image processing,
// the author finder, statistics): the fake follows the shapes given there.
// Kept in memory only: the commentary as sent, images not yet attached,
// and the daily post counters.
const (
	LinkedInAPIPath = "/sandbox/linkedin/api"
	LinkedInWebPath = "/sandbox/linkedin/www"
)

// Limits of the fake.
const (
	liMaxCommentary  = 3000
	liMaxMultiImages = 20
	liMaxImageBytes  = 10 << 20 // the sandbox's own cap
	liMaxBody        = 16 << 20
	liDailyPosts     = 150 // posts a day per organization (the sandbox's own quota)
	liTokenTTL       = 5184000 * time.Second
	liRefreshTTL     = 365 * 24 * time.Hour
	liUploadURLTTL   = 24 * time.Hour
	liMemberID       = "sbxOfficer01"
	liMemberName     = "Sandbox Officer"
	liMemberToken    = "linkedin#member"
	liRefreshToken   = "linkedin#refresh"
	liActiveVersions = 12
)

// liPostingRoles are the organization roles that may post.
var liPostingRoles = []string{"ADMINISTRATOR", "DIRECT_SPONSORED_CONTENT_POSTER", "CONTENT_ADMIN"}

func init() {
	register(&platform{
		name:  "linkedin",
		title: "LinkedIn",
		order: 80,
		mount: mountLinkedIn,
		pagePath: func(id string) string {
			return LinkedInWebPath + "/" + url.PathEscape(id)
		},
		postPath: func(p *Post) string {
			return LinkedInWebPath + "/feed/update/" + url.PathEscape(p.ID) + "/"
		},
	})
}

type linkedin struct{ s *Server }

// liState is what the fake keeps beyond posts (platformStateLocked).
type liState struct {
	commentary map[string]string     // post urn → commentary as sent
	images     map[string]*liImage   // image urn → upload
	daily      map[string]*mdnWindow // org urn → posts today
	meta       map[string]liPostMeta // post urn → visibility, content kind
	used       map[string]int64      // authorization-code nonces → expiry
}

type liImage struct {
	owner    string
	uploaded bool
	image    Image
	used     string
}

type liPostMeta struct {
	author     string
	visibility string
	content    json.RawMessage
}

func (l *linkedin) stateLocked() *liState {
	return platformStateLocked(l.s, "linkedin", func() *liState {
		return &liState{commentary: map[string]string{}, images: map[string]*liImage{}, daily: map[string]*mdnWindow{},
			meta: map[string]liPostMeta{}, used: map[string]int64{}}
	})
}

func mountLinkedIn(s *Server, mux *http.ServeMux) {
	l := &linkedin{s: s}
	api := http.NewServeMux()
	p := LinkedInAPIPath + "/rest"
	api.HandleFunc("POST "+p+"/posts", l.handleCreatePost)
	api.HandleFunc("GET "+p+"/posts", l.handleFindPosts)
	api.HandleFunc("GET "+p+"/posts/{urn}", l.handleGetPost)
	api.HandleFunc("DELETE "+p+"/posts/{urn}", l.handleDeletePost)
	api.HandleFunc("POST "+p+"/images", l.handleInitializeUpload)
	api.HandleFunc("GET "+p+"/images/{urn}", l.handleGetImage)
	api.HandleFunc("GET "+p+"/organizationAcls", l.handleACLs)
	api.HandleFunc("GET "+p+"/organizations/{id}", l.handleOrganization)
	api.HandleFunc("GET "+p+"/organizationalEntityShareStatistics", l.handleStatistics)
	api.HandleFunc(p+"/", func(w http.ResponseWriter, r *http.Request) {
		liError(w, http.StatusNotFound, 0, "NOT_FOUND", "Not Found")
	})
	api.HandleFunc("PUT "+LinkedInAPIPath+"/upload/image/{id}", l.handleUpload)
	mux.Handle(LinkedInAPIPath+"/", s.withFaults("linkedin", l.classify, l.renderFault, api))
	mux.HandleFunc("GET "+LinkedInWebPath+"/oauth/v2/authorization", l.handleAuthorize)
	mux.HandleFunc("POST "+LinkedInWebPath+"/oauth/v2/authorization", l.handleDecision)
	mux.HandleFunc("POST "+LinkedInWebPath+"/oauth/v2/accessToken", l.handleAccessToken)
	mux.HandleFunc("GET "+LinkedInWebPath+"/{org}", l.handlePage)
	mux.HandleFunc("GET "+LinkedInWebPath+"/company/{org}", l.handlePage)
	mux.HandleFunc("GET "+LinkedInWebPath+"/feed/update/{urn}/", l.handlePost)
	mux.HandleFunc("GET "+LinkedInWebPath+"/feed/update/{urn}", l.handlePost)
}

// LinkedInClientSecret is the client secret the fake expects for clientID.
func (s *Server) LinkedInClientSecret(clientID string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("linkedin-client:" + clientID))[:16]
}

// liError writes LinkedIn's error shape.
func liError(w http.ResponseWriter, status, serviceCode int, code, msg string) {
	body := map[string]any{"status": status, "message": msg}
	if serviceCode != 0 {
		body["serviceErrorCode"] = serviceCode
	}
	if code != "" {
		body["code"] = code
	}
	writeJSON(w, status, body)
}

// liInputError writes the 422 shape with errorDetails.inputErrors.
func liInputError(w http.ResponseWriter, msg, code, description, field string) {
	input := map[string]any{}
	if field != "" {
		input["inputPath"] = map[string]string{"fieldPath": field}
	}
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errorDetailType": "com.linkedin.common.error.BadRequest", "message": msg,
		"errorDetails": map[string]any{"inputErrors": []any{map[string]any{"description": description, "input": input, "code": code}}}, "status": 422})
}

// liOrgURN makes "urn:li:organization:N" of N or of the URN itself.
func liOrgURN(id string) string {
	if strings.HasPrefix(id, "urn:li:organization:") {
		return id
	}
	return "urn:li:organization:" + id
}

// liGrant is what an OAuth member token carries.
type liGrant struct {
	Scopes []string         `json:"sc"`
	Orgs   []grantedAccount `json:"o"` // ID is the organization URN; Tasks[0] the role
	First  int64            `json:"f"` // when the member first granted access (refresh tokens)
}

// liPrincipal is who a request acts as: a member and their roles.
type liPrincipal struct {
	member string
	roles  map[string]string // organization URN → role
	names  map[string]string // organization URN → name
	minted map[string]string // organization URN → the sandbox account id
}

func (l *linkedin) mintMember(kind string, g liGrant, ttl time.Duration, expires time.Time) string {
	grant, _ := json.Marshal(g)
	now := l.s.now()
	nonce := make([]byte, 9)
	rand.Read(nonce)
	if expires.IsZero() {
		expires = now.Add(ttl)
	}
	return l.s.signToken(tokenClaims{Platform: kind, Account: liMemberID, Name: string(grant), Issued: now.Unix(), Expires: expires.Unix(),
		Nonce: base64.RawURLEncoding.EncodeToString(nonce)})
}

// parseMember checks a member or refresh token without recording an
// account (a member is not a Page).
func (l *linkedin) parseMember(kind, tok string) (tokenClaims, liGrant, bool) {
	var c tokenClaims
	var g liGrant
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	p, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return c, g, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, l.s.mac(p)) {
		return c, g, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || json.Unmarshal(payload, &c) != nil || c.Platform != kind || json.Unmarshal([]byte(c.Name), &g) != nil {
		return c, g, false
	}
	return c, g, true
}

// principal reads the token of a request; claims are returned for expiry.
func (l *linkedin) principal(tok string) (liPrincipal, tokenClaims, bool) {
	p := liPrincipal{roles: map[string]string{}, names: map[string]string{}, minted: map[string]string{}}
	if c, g, ok := l.parseMember(liMemberToken, tok); ok {
		p.member = "urn:li:person:" + c.Account
		for _, o := range g.Orgs {
			role := "ADMINISTRATOR"
			if len(o.Tasks) > 0 {
				role = o.Tasks[0]
			}
			p.roles[o.ID], p.names[o.ID], p.minted[o.ID] = role, o.Name, o.ID
		}
		return p, c, true
	}
	c, err := l.s.parseToken("linkedin", tok)
	if err != nil {
		return p, c, false
	}
	urn := liOrgURN(c.Account)
	p.member = "urn:li:person:" + liMemberID
	p.roles[urn], p.names[urn], p.minted[urn] = "ADMINISTRATOR", c.Name, c.Account
	return p, c, true
}

func liBearer(r *http.Request) string {
	v, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return strings.TrimSpace(v)
}

// classify tells the fault machinery whose call this is and what kind.
func (l *linkedin) classify(r *http.Request) (string, Op) {
	body := bufferBody(r, liMaxBody)
	account := ""
	if p, _, ok := l.principal(liBearer(r)); ok {
		for _, id := range p.minted {
			if account == "" || id < account {
				account = id
			}
		}
		var in struct {
			Author string `json:"author"`
		}
		if json.Unmarshal(body, &in) == nil && p.minted[in.Author] != "" {
			account = p.minted[in.Author]
		}
	}
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/rest/posts"):
		return account, OpPublish
	case r.Method == http.MethodPost || r.Method == http.MethodPut:
		return account, OpUpload
	case r.Method == http.MethodDelete:
		return account, OpDelete
	}
	return account, OpRead
}

// renderFault answers an injected fault the way LinkedIn does.
func (l *linkedin) renderFault(w http.ResponseWriter, r *http.Request, f Fault, account string) {
	switch f.Kind {
	case FaultRateLimit:
		// LinkedIn documents no rate-limit headers; the fake sends
		// Retry-After only when the fault names a reset.
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
		}
		liError(w, http.StatusTooManyRequests, 101, "TOO_MANY_REQUESTS", "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.")
	case FaultServerError:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		liError(w, status, 0, "", "Internal Server Error")
	case FaultExpiredToken:
		liError(w, http.StatusUnauthorized, 65602, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired")
	case FaultDuplicate:
		liInputError(w, "Unable to create the post: Content is a duplicate of urn:li:share:1", "DUPLICATE_POST", "Duplicate post is detected", "")
	default:
		liError(w, http.StatusInternalServerError, 0, "", "Internal Server Error")
	}
}

var liVersionRE = regexp.MustCompile(`^(\d{4})(\d{2})(\.\d{2})?$`)

// checkHeaders answers the errors LinkedIn gives for a missing or inactive
// version and for a missing Rest.li protocol version.
func (l *linkedin) checkHeaders(w http.ResponseWriter, r *http.Request) bool {
	v := r.Header.Get("Linkedin-Version")
	if v == "" {
		liError(w, http.StatusBadRequest, 0, "VERSION_MISSING", "A version must be present. Please specify a version by adding the LinkedIn-Version header.")
		return false
	}
	m := liVersionRE.FindStringSubmatch(v)
	now := l.s.now().UTC()
	if m == nil {
		liError(w, http.StatusBadRequest, 0, "INVALID_VERSION", "Invalid version format: "+v)
		return false
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	months := (now.Year()*12 + int(now.Month())) - (y*12 + mo)
	if mo < 1 || mo > 12 || months < 0 || months >= liActiveVersions {
		liError(w, http.StatusUpgradeRequired, 0, "NONEXISTENT_VERSION", "Requested version "+v+" is not active")
		return false
	}
	if r.Header.Get("X-Restli-Protocol-Version") != "2.0.0" {
		liError(w, http.StatusBadRequest, 0, "", "The sandbox takes Rest.li protocol 2.0.0 only: send X-Restli-Protocol-Version: 2.0.0")
		return false
	}
	return true
}

// auth checks headers and the token; it answers the errors itself.
func (l *linkedin) auth(w http.ResponseWriter, r *http.Request) (liPrincipal, bool) {
	if !l.checkHeaders(w, r) {
		return liPrincipal{}, false
	}
	p, c, ok := l.principal(liBearer(r))
	if !ok {
		liError(w, http.StatusUnauthorized, 65600, "INVALID_ACCESS_TOKEN", "Invalid access token")
		return p, false
	}
	if c.expired(l.s.now()) {
		liError(w, http.StatusUnauthorized, 65602, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired")
		return p, false
	}
	return p, true
}

// liReserved are little text's reserved characters.
const liReserved = `\|{}@[]()<>#*_~`

var (
	liHashtagTemplate = regexp.MustCompile(`^\{hashtag\|\\#\|([^{}|]+)\}`)
	liMention         = regexp.MustCompile(`^@\[([^\]]*)\]\((urn:li:[a-zA-Z]+:[^)]+)\)`)
	liURL             = regexp.MustCompile(`^https?://[^\s]+`)
)

// liRender is what a reader sees of commentary in little text, and
// whether LinkedIn cut it short at an unescaped reserved character.
func liRender(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); {
		rest := s[i:]
		r, size := utf8.DecodeRuneInString(rest)
		prevSpace := i == 0 || unicode.IsSpace(rune(s[i-1])) || strings.ContainsRune("([{", rune(s[i-1]))
		switch {
		case r == '\\' && len(rest) > 1:
			r2, size2 := utf8.DecodeRuneInString(rest[1:])
			b.WriteRune(r2)
			i += 1 + size2
			continue
		case prevSpace && liURL.MatchString(rest):
			u := liURL.FindString(rest)
			b.WriteString(u)
			i += len(u)
			continue
		case r == '{' && liHashtagTemplate.MatchString(rest):
			m := liHashtagTemplate.FindStringSubmatch(rest)
			b.WriteString("#" + m[1])
			i += len(m[0])
			continue
		case r == '@' && liMention.MatchString(rest):
			m := liMention.FindStringSubmatch(rest)
			b.WriteString(m[1])
			i += len(m[0])
			continue
		case r == '#' && len(rest) > 1:
			r2, _ := utf8.DecodeRuneInString(rest[1:])
			if unicode.IsLetter(r2) || unicode.IsNumber(r2) || unicode.Is(unicode.M, r2) {
				b.WriteByte('#')
				i++
				continue
			}
		}
		if strings.ContainsRune(liReserved, r) {
			return b.String(), true
		}
		b.WriteRune(r)
		i += size
	}
	return b.String(), false
}

// postJSONLocked renders a post as the Posts API does.
func (l *linkedin) postJSONLocked(p *Post) map[string]any {
	st := l.stateLocked()
	meta := st.meta[p.ID]
	commentary, ok := st.commentary[p.ID]
	if !ok {
		commentary = p.Text
	}
	author := meta.author
	if author == "" {
		author = liOrgURN(p.AccountID)
	}
	vis := meta.visibility
	if vis == "" {
		vis = "PUBLIC"
	}
	ms := p.CreatedAt.UnixMilli()
	out := map[string]any{"id": p.ID, "author": author, "commentary": commentary, "visibility": vis,
		"distribution":   map[string]any{"feedDistribution": "MAIN_FEED", "targetEntities": []any{}, "thirdPartyDistributionChannels": []any{}},
		"lifecycleState": "PUBLISHED", "lifecycleStateInfo": map[string]any{"isEditedByAuthor": false},
		"isReshareDisabledByAuthor": false, "createdAt": ms, "publishedAt": ms, "lastModifiedAt": ms}
	if len(meta.content) > 0 {
		out["content"] = meta.content
	}
	return out
}

type liPostInput struct {
	Author         *string         `json:"author"`
	Commentary     *string         `json:"commentary"`
	Visibility     *string         `json:"visibility"`
	Distribution   json.RawMessage `json:"distribution"`
	LifecycleState *string         `json:"lifecycleState"`
	Content        json.RawMessage `json:"content"`
}

// handleCreatePost serves POST /rest/posts: 201 with x-restli-id.
func (l *linkedin) handleCreatePost(w http.ResponseWriter, r *http.Request) {
	p, ok := l.auth(w, r)
	if !ok {
		return
	}
	var in liPostInput
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" || json.NewDecoder(io.LimitReader(r.Body, liMaxBody)).Decode(&in) != nil {
		liError(w, http.StatusBadRequest, 0, "", "Unable to parse the request body as JSON")
		return
	}
	for _, f := range []struct {
		name string
		ok   bool
	}{{"author", in.Author != nil}, {"visibility", in.Visibility != nil}, {"distribution", len(in.Distribution) > 0}, {"lifecycleState", in.LifecycleState != nil}} {
		if !f.ok {
			liInputError(w, "ERROR :: /"+f.name+" :: field is required but not found and has no default value\n", "FIELD_REQUIRED",
				"field is required but not found and has no default value", "/"+f.name)
			return
		}
	}
	author := *in.Author
	role, known := p.roles[author]
	if !known || !slices.Contains(liPostingRoles, role) {
		liError(w, http.StatusForbidden, 100, "ACCESS_DENIED", "Not enough permissions to access: partnerApiPostsExternal.CREATE.NO_VERSION")
		return
	}
	commentary := ""
	if in.Commentary != nil {
		commentary = *in.Commentary
	}
	if n := utf8.RuneCountInString(commentary); n > liMaxCommentary {
		liInputError(w, fmt.Sprintf("ERROR :: /commentary :: length of %d is greater than the maximum of %d\n", n, liMaxCommentary),
			"MAX_LENGTH_EXCEEDED", fmt.Sprintf("length of %d is greater than the maximum of %d", n, liMaxCommentary), "/commentary")
		return
	}
	if !slices.Contains([]string{"PUBLIC", "CONNECTIONS", "LOGGED_IN"}, *in.Visibility) {
		liInputError(w, "ERROR :: /visibility :: "+*in.Visibility+" is not a member of type com.linkedin.content.common.MemberNetworkVisibility\n",
			"INVALID_VALUE", "not a valid visibility", "/visibility")
		return
	}
	if *in.LifecycleState != "PUBLISHED" {
		liInputError(w, "ERROR :: /lifecycleState :: the sandbox publishes PUBLISHED posts only\n", "INVALID_VALUE", "not PUBLISHED", "/lifecycleState")
		return
	}
	s := l.s
	s.mu.Lock()
	defer s.mu.Unlock()
	st := l.stateLocked()
	var content struct {
		Media *struct {
			ID      string `json:"id"`
			AltText string `json:"altText"`
		} `json:"media"`
		MultiImage *struct {
			Images []struct {
				ID      string `json:"id"`
				AltText string `json:"altText"`
			} `json:"images"`
		} `json:"multiImage"`
		Article *struct {
			Source string `json:"source"`
			Title  string `json:"title"`
		} `json:"article"`
	}
	var images []Image
	var imageURNs []string
	link := ""
	if len(in.Content) > 0 {
		if json.Unmarshal(in.Content, &content) != nil {
			liInputError(w, "ERROR :: /content :: invalid content\n", "INVALID_VALUE", "invalid content", "/content")
			return
		}
		type ref struct{ id, alt string }
		var refs []ref
		switch {
		case content.Media != nil:
			refs = append(refs, ref{content.Media.ID, content.Media.AltText})
		case content.MultiImage != nil:
			if n := len(content.MultiImage.Images); n < 2 || n > liMaxMultiImages {
				liInputError(w, fmt.Sprintf("ERROR :: /content/multiImage/images :: a multi-image post takes 2 to %d images\n", liMaxMultiImages),
					"INVALID_VALUE", "wrong number of images", "/content/multiImage/images")
				return
			}
			for _, im := range content.MultiImage.Images {
				refs = append(refs, ref{im.ID, im.AltText})
			}
		case content.Article != nil:
			if content.Article.Source == "" || content.Article.Title == "" {
				liInputError(w, "ERROR :: /content/article :: source and title are required\n", "FIELD_REQUIRED", "source and title are required", "/content/article")
				return
			}
			link = content.Article.Source
		}
		for _, rf := range refs {
			im := st.images[rf.id]
			if im == nil || !im.uploaded || im.owner != author || im.used != "" {
				liInputError(w, "ERROR :: /content :: "+rf.id+" is not an uploaded image of "+author+"\n", "INVALID_VALUE", "unknown image", "/content")
				return
			}
			img := im.image
			img.AltText = rf.alt
			images, imageURNs = append(images, img), append(imageURNs, rf.id)
		}
	}
	rendered, _ := liRender(commentary)
	now := s.now()
	// Duplicate: the same commentary as the organization's latest post.
	for _, q := range slices.Backward(s.posts) {
		if q.Platform == "linkedin" && liOrgURN(q.AccountID) == author && q.DeletedAt == nil {
			if prev, ok := st.commentary[q.ID]; ok && strings.TrimSpace(prev) == strings.TrimSpace(commentary) && commentary != "" {
				liInputError(w, "Unable to create the post: Content is a duplicate of "+q.ID, "DUPLICATE_POST", "Duplicate post is detected", "")
				return
			}
			break
		}
	}
	day := st.daily[author]
	if start := now.UTC().Truncate(24 * time.Hour); day == nil || !day.start.Equal(start) {
		day = &mdnWindow{start: start}
		st.daily[author] = day
	}
	if day.n >= liDailyPosts {
		liError(w, http.StatusTooManyRequests, 101, "TOO_MANY_REQUESTS", "Resource level throttle DAY limit for calls to this resource is reached.")
		return
	}
	day.n++
	if link == "" {
		if m := regexp.MustCompile(`https?://\S+`).FindString(rendered); m != "" {
			link = strings.TrimRight(m, ".,;:!?)")
		}
	}
	account := p.minted[author]
	s.ensureAccountLocked("linkedin", account, p.names[author])
	post := &Post{Platform: "linkedin", AccountID: account, ID: "urn:li:share:" + s.newIDLocked(), Text: rendered, Link: link, Images: images, CreatedAt: now.UTC()}
	for _, u := range imageURNs {
		st.images[u].used = post.ID
	}
	st.commentary[post.ID] = commentary
	st.meta[post.ID] = liPostMeta{author: author, visibility: *in.Visibility, content: in.Content}
	s.addPostLocked(post)
	s.log.Info("sandbox: linkedin post created", "author", author, "post_urn", post.ID, "images", len(images))
	w.Header().Set("x-restli-id", post.ID)
	w.Header().Set("x-linkedin-id", post.ID)
	w.WriteHeader(http.StatusCreated)
}

// handleFindPosts serves GET /rest/posts?q=author&author=…: the
// organization's posts, newest first, count (default 10, at most 100) from
// start.
func (l *linkedin) handleFindPosts(w http.ResponseWriter, r *http.Request) {
	p, ok := l.auth(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	if q.Get("q") != "author" || q.Get("author") == "" {
		liError(w, http.StatusBadRequest, 0, "", "The sandbox supports the author finder only: q=author&author={urn}")
		return
	}
	author := q.Get("author")
	if _, known := p.roles[author]; !known {
		liError(w, http.StatusForbidden, 100, "ACCESS_DENIED", "Not enough permissions to access: partnerApiPostsExternal.FINDER-author.NO_VERSION")
		return
	}
	count, start := 10, 0
	if v := q.Get("count"); v != "" {
		count, _ = strconv.Atoi(v)
	}
	if v := q.Get("start"); v != "" {
		start, _ = strconv.Atoi(v)
	}
	if count < 1 || count > 100 || start < 0 {
		liError(w, http.StatusBadRequest, 0, "", "count must be 1–100 and start not negative")
		return
	}
	s := l.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*Post
	for _, x := range slices.Backward(s.posts) {
		if x.Platform == "linkedin" && liOrgURN(x.AccountID) == author && x.Visible(s.now()) {
			list = append(list, x)
		}
	}
	elements := []map[string]any{}
	for i := start; i < len(list) && i < start+count; i++ {
		elements = append(elements, l.postJSONLocked(list[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"paging": map[string]any{"start": start, "count": count, "links": []any{}, "total": len(list)}, "elements": elements})
}

// postLocked finds a post the principal may see.
func (l *linkedin) postLocked(p liPrincipal, urn string) *Post {
	x := l.s.byID[postKey{"linkedin", urn}]
	if x == nil || x.DeletedAt != nil {
		return nil
	}
	if _, ok := p.roles[liOrgURN(x.AccountID)]; !ok {
		return nil
	}
	return x
}

// handleGetPost serves GET /rest/posts/{urn}.
func (l *linkedin) handleGetPost(w http.ResponseWriter, r *http.Request) {
	p, ok := l.auth(w, r)
	if !ok {
		return
	}
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	x := l.postLocked(p, r.PathValue("urn"))
	if x == nil {
		liError(w, http.StatusNotFound, 0, "NOT_FOUND", "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, l.postJSONLocked(x))
}

// handleDeletePost serves DELETE /rest/posts/{urn}: 204.
func (l *linkedin) handleDeletePost(w http.ResponseWriter, r *http.Request) {
	p, ok := l.auth(w, r)
	if !ok {
		return
	}
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	x := l.postLocked(p, r.PathValue("urn"))
	if x == nil {
		liError(w, http.StatusNotFound, 0, "NOT_FOUND", "Not Found")
		return
	}
	if !slices.Contains(liPostingRoles, p.roles[liOrgURN(x.AccountID)]) {
		liError(w, http.StatusForbidden, 100, "ACCESS_DENIED", "Not enough permissions to access: partnerApiPostsExternal.DELETE.NO_VERSION")
		return
	}
	now := l.s.now().UTC()
	x.DeletedAt = &now
	w.WriteHeader(http.StatusNoContent)
}

// handleInitializeUpload serves POST /rest/images?action=initializeUpload.
func (l *linkedin) handleInitializeUpload(w http.ResponseWriter, r *http.Request) {
	p, ok := l.auth(w, r)
	if !ok {
		return
	}
	if r.URL.Query().Get("action") != "initializeUpload" {
		liError(w, http.StatusBadRequest, 0, "", "The sandbox supports action=initializeUpload only")
		return
	}
	var in struct {
		Req struct {
			Owner string `json:"owner"`
		} `json:"initializeUploadRequest"`
	}
	if json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in) != nil || in.Req.Owner == "" {
		liInputError(w, "ERROR :: /initializeUploadRequest/owner :: field is required but not found and has no default value\n", "FIELD_REQUIRED",
			"field is required but not found and has no default value", "/initializeUploadRequest/owner")
		return
	}
	if role, ok := p.roles[in.Req.Owner]; !ok || !slices.Contains(liPostingRoles, role) {
		liError(w, http.StatusForbidden, 100, "ACCESS_DENIED", "Not enough permissions to access: images.ACTION-initializeUpload.NO_VERSION")
		return
	}
	s := l.s
	s.mu.Lock()
	id := "D4E10AQ" + s.newIDLocked()
	urn := "urn:li:image:" + id
	l.stateLocked().images[urn] = &liImage{owner: in.Req.Owner, image: Image{ID: id}}
	s.mu.Unlock()
	sig := hex.EncodeToString(s.mac("linkedin-upload:" + id))[:32]
	writeJSON(w, http.StatusOK, map[string]any{"value": map[string]any{
		"uploadUrlExpiresAt": s.now().Add(liUploadURLTTL).UnixMilli(),
		"uploadUrl":          s.base(r) + LinkedInAPIPath + "/upload/image/" + id + "?ca=vector_feedshare&cn=uploads&sig=" + sig,
		"image":              urn}})
}

// handleUpload serves PUT of an image's bytes to its upload URL.
func (l *linkedin) handleUpload(w http.ResponseWriter, r *http.Request) {
	p, c, ok := l.principal(liBearer(r))
	if !ok || c.expired(l.s.now()) {
		liError(w, http.StatusUnauthorized, 65600, "INVALID_ACCESS_TOKEN", "Invalid access token")
		return
	}
	id := r.PathValue("id")
	if want := hex.EncodeToString(l.s.mac("linkedin-upload:" + id))[:32]; r.URL.Query().Get("sig") != want {
		liError(w, http.StatusForbidden, 0, "", "The upload URL is not valid")
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, liMaxImageBytes+1))
	if err != nil || len(data) > liMaxImageBytes || len(data) == 0 {
		liError(w, http.StatusBadRequest, 0, "", fmt.Sprintf("The image must be 1 byte to %d MB", liMaxImageBytes>>20))
		return
	}
	ct := http.DetectContentType(data)
	if !slices.Contains([]string{"image/jpeg", "image/png", "image/gif"}, ct) {
		liError(w, http.StatusBadRequest, 0, "", "The uploaded file is not a JPEG, PNG or GIF image")
		return
	}
	s := l.s
	s.mu.Lock()
	defer s.mu.Unlock()
	im := l.stateLocked().images["urn:li:image:"+id]
	if im == nil {
		liError(w, http.StatusNotFound, 0, "NOT_FOUND", "Not Found")
		return
	}
	if _, ok := p.roles[im.owner]; !ok {
		liError(w, http.StatusForbidden, 0, "", "The token may not upload for "+im.owner)
		return
	}
	sum := sha256.Sum256(data)
	im.uploaded = true
	im.image = Image{ID: id, ContentType: ct, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	s.putMediaLocked(id, ct, data)
	w.WriteHeader(http.StatusCreated)
}

// handleGetImage serves GET /rest/images/{urn}: AVAILABLE once uploaded.
func (l *linkedin) handleGetImage(w http.ResponseWriter, r *http.Request) {
	if _, ok := l.auth(w, r); !ok {
		return
	}
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	urn := r.PathValue("urn")
	im := l.stateLocked().images[urn]
	if im == nil {
		liError(w, http.StatusNotFound, 0, "NOT_FOUND", "Not Found")
		return
	}
	status := "WAITING_UPLOAD"
	if im.uploaded {
		status = "AVAILABLE"
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": urn, "owner": im.owner, "status": status})
}

// handleACLs serves GET /rest/organizationAcls?q=roleAssignee: the
// member's roles on organizations, optionally filtered by role and state.
func (l *linkedin) handleACLs(w http.ResponseWriter, r *http.Request) {
	p, ok := l.auth(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	if q.Get("q") != "roleAssignee" {
		liError(w, http.StatusBadRequest, 0, "", "The sandbox supports the roleAssignee finder only")
		return
	}
	elements := []map[string]any{}
	orgs := make([]string, 0, len(p.roles))
	for o := range p.roles {
		orgs = append(orgs, o)
	}
	slices.Sort(orgs)
	for _, o := range orgs {
		if (q.Get("role") != "" && q.Get("role") != p.roles[o]) || (q.Get("state") != "" && q.Get("state") != "APPROVED") {
			continue
		}
		elements = append(elements, map[string]any{"roleAssignee": p.member, "state": "APPROVED", "role": p.roles[o], "organization": o})
	}
	writeJSON(w, http.StatusOK, map[string]any{"paging": map[string]any{"start": 0, "count": 10, "links": []any{}, "total": len(elements)}, "elements": elements})
}

// liVanity makes a vanity name of an organization's name.
func liVanity(name, id string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '_':
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
		}
	}
	if v := strings.Trim(b.String(), "-"); v != "" {
		return v
	}
	return "org-" + id
}

// handleOrganization serves GET /rest/organizations/{id}.
func (l *linkedin) handleOrganization(w http.ResponseWriter, r *http.Request) {
	p, ok := l.auth(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	urn := liOrgURN(id)
	name, known := p.names[urn]
	if !known {
		if a, ok := l.s.account("linkedin", urn); ok {
			name, known = a.Name, true
		}
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(urn, "urn:li:organization:"), 10, 64)
	if !known || err != nil {
		liError(w, http.StatusNotFound, 0, "NOT_FOUND", "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": n, "localizedName": name, "vanityName": liVanity(name, strconv.FormatInt(n, 10)),
		"name":                    map[string]any{"localized": map[string]string{"en_US": name}, "preferredLocale": map[string]string{"country": "US", "language": "en"}},
		"organizationType":        "GOVERNMENT_AGENCY",
		"primaryOrganizationType": "NONE"})
}

// liList reads a Rest.li 2.0 List(a,b) parameter from the raw query.
func liList(raw, name string) []string {
	for _, part := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(part, "=")
		if k != name {
			continue
		}
		v, ok := strings.CutPrefix(v, "List(")
		v, ok2 := strings.CutSuffix(v, ")")
		if !ok || !ok2 {
			return nil
		}
		var out []string
		for _, item := range strings.Split(v, ",") {
			if u, err := url.QueryUnescape(item); err == nil && u != "" {
				out = append(out, u)
			}
		}
		return out
	}
	return nil
}

// handleStatistics serves GET /rest/organizationalEntityShareStatistics:
// lifetime statistics of the listed shares (or ugcPosts), growing over time.
func (l *linkedin) handleStatistics(w http.ResponseWriter, r *http.Request) {
	p, ok := l.auth(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	org := q.Get("organizationalEntity")
	if q.Get("q") != "organizationalEntity" || org == "" {
		liError(w, http.StatusBadRequest, 0, "", "q=organizationalEntity and organizationalEntity are required")
		return
	}
	if _, ok := p.roles[org]; !ok {
		liError(w, http.StatusForbidden, 100, "ACCESS_DENIED", "Not enough permissions to access: organizationalEntityShareStatistics.FINDER-organizationalEntity.NO_VERSION")
		return
	}
	shares := append(liList(r.URL.RawQuery, "shares"), liList(r.URL.RawQuery, "ugcPosts")...)
	s := l.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	elements := []map[string]any{}
	for _, urn := range shares {
		x := s.byID[postKey{"linkedin", urn}]
		if x == nil || liOrgURN(x.AccountID) != org || !x.Visible(now) {
			continue
		}
		g := growth(x.ID, now.Sub(x.CreatedAt))
		imp, clicks, likes, comments, sharesN := int(g*1.4), int(g*0.05), int(g*0.06), int(g*0.01), int(g*0.008)
		eng := 0.0
		if imp > 0 {
			eng = float64(clicks+likes+comments+sharesN) / float64(imp)
		}
		key := "share"
		if strings.HasPrefix(urn, "urn:li:ugcPost:") {
			key = "ugcPost"
		}
		elements = append(elements, map[string]any{"organizationalEntity": org, key: urn, "totalShareStatistics": map[string]any{
			"impressionCount": imp, "uniqueImpressionsCount": int(g), "clickCount": clicks, "likeCount": likes,
			"commentCount": comments, "shareCount": sharesN, "engagement": eng}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"paging": map[string]any{"start": 0, "count": 10, "links": []any{}}, "elements": elements})
}

// handleAuthorize serves GET /oauth/v2/authorization: the consent page,
// listing the Pages the sandbox knows with a "may create content" switch
// (ADMINISTRATOR when on, ANALYST when off).
func (l *linkedin) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	req, ok := l.s.readConsentRequest(w, r, "linkedin")
	if !ok {
		return
	}
	p := consentPage{PlatformTitle: "LinkedIn", ClientID: req.ClientID, Action: r.URL.Path, Request: l.s.signBlob(req), Scopes: req.Scopes,
		Multiple: true, Tasks: true, Legend: "Pages you administer that the app may use", NewLabel: "Add a Page named"}
	for _, a := range l.s.Accounts("linkedin") {
		p.Accounts = append(p.Accounts, consentAccount{ID: liOrgURN(a.ID), Name: a.Name, Checked: true})
	}
	if len(p.Accounts) == 0 {
		p.NewDefault = "Sandbox Department Page"
	}
	renderPage(w, http.StatusOK, "consent", "Sign in with LinkedIn", p)
}

// handleDecision serves the consent form's POST: back to the app with a
// code, or with LinkedIn's "user cancelled" error.
func (l *linkedin) handleDecision(w http.ResponseWriter, r *http.Request) {
	req, approve, scopes, ok := l.s.readDecision(w, r, "linkedin")
	if !ok {
		return
	}
	if !approve {
		redirectTo(w, r, req.RedirectURI, url.Values{"error": {"user_cancelled_authorize"},
			"error_description": {"The user cancelled the authorization"}, "state": {req.State}}, "")
		return
	}
	publish := r.PostForm["publish"]
	var orgs []grantedAccount
	for _, id := range r.PostForm["account"] {
		name := ""
		for _, a := range l.s.Accounts("linkedin") {
			if liOrgURN(a.ID) == id {
				name = a.Name
			}
		}
		if name == "" {
			continue
		}
		role := "ANALYST"
		if slices.Contains(publish, id) {
			role = "ADMINISTRATOR"
		}
		orgs = append(orgs, grantedAccount{ID: id, Name: name, Tasks: []string{role}})
	}
	if name := strings.TrimSpace(r.PostForm.Get("new_account")); name != "" {
		role := "ANALYST"
		if r.PostForm.Get("new_publish") != "" {
			role = "ADMINISTRATOR"
		}
		id := "urn:li:organization:" + stableID("9", name, 8)
		if !slices.ContainsFunc(orgs, func(a grantedAccount) bool { return a.ID == id }) {
			orgs = append(orgs, grantedAccount{ID: id, Name: name, Tasks: []string{role}})
		}
	}
	code := l.s.newCode("linkedin", req, scopes, orgs)
	redirectTo(w, r, req.RedirectURI, url.Values{"code": {code}, "state": {req.State}}, "")
}

func liOAuthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// handleAccessToken serves POST /oauth/v2/accessToken: the authorization-
// code grant, and (for partner apps) the refresh-token grant.
func (l *linkedin) handleAccessToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		liOAuthError(w, http.StatusBadRequest, "invalid_request", "The request could not be read")
		return
	}
	f := r.PostForm
	clientID, secret := f.Get("client_id"), f.Get("client_secret")
	if clientID == "" || !hmac.Equal([]byte(secret), []byte(l.s.LinkedInClientSecret(clientID))) {
		liOAuthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	partner := strings.HasPrefix(clientID, "partner-")
	now := l.s.now()
	var g liGrant
	switch f.Get("grant_type") {
	case "authorization_code":
		var code authCode
		if l.s.openBlob(f.Get("code"), &code) != nil || code.Platform != "linkedin" || code.ClientID != clientID ||
			code.RedirectURI != f.Get("redirect_uri") || now.Unix() > code.Expires || !l.s.useCode(code) {
			liOAuthError(w, http.StatusBadRequest, "invalid_request",
				"Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired. Or external member binding exists")
			return
		}
		g = liGrant{Scopes: code.Scopes, Orgs: code.Accounts, First: now.Unix()}
		for _, o := range g.Orgs {
			l.s.mu.Lock()
			l.s.ensureAccountLocked("linkedin", o.ID, o.Name)
			l.s.mu.Unlock()
		}
	case "refresh_token":
		c, rg, ok := l.parseMember(liRefreshToken, f.Get("refresh_token"))
		if !partner || !ok || c.expired(now) {
			liOAuthError(w, http.StatusBadRequest, "invalid_request", "The provided authorization grant or refresh token is invalid, expired or revoked")
			return
		}
		g = rg
	default:
		liOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "The grant type is not supported")
		return
	}
	out := map[string]any{"access_token": l.mintMember(liMemberToken, g, liTokenTTL, time.Time{}), "expires_in": int(liTokenTTL.Seconds()) - 1,
		"scope": strings.Join(g.Scopes, ",")}
	if partner {
		refreshExp := time.Unix(g.First, 0).Add(liRefreshTTL)
		out["refresh_token"] = l.mintMember(liRefreshToken, g, 0, refreshExp)
		out["refresh_token_expires_in"] = int(refreshExp.Sub(now).Seconds())
	}
	writeJSON(w, http.StatusOK, out)
}

// accountFor finds the sandbox account of an organization reference: the
// id as minted, its URN, or its number.
func (l *linkedin) accountFor(ref string) string {
	for _, a := range l.s.Accounts("linkedin") {
		if a.ID == ref || liOrgURN(a.ID) == liOrgURN(ref) {
			return a.ID
		}
	}
	return ref
}

// handlePage serves GET /sandbox/linkedin/www/{org} and /company/{org}.
func (l *linkedin) handlePage(w http.ResponseWriter, r *http.Request) {
	l.s.renderFeed(w, r, "linkedin", l.accountFor(r.PathValue("org")), "")
}

// handlePost serves GET /sandbox/linkedin/www/feed/update/{urn}/.
func (l *linkedin) handlePost(w http.ResponseWriter, r *http.Request) {
	urn := r.PathValue("urn")
	l.s.mu.Lock()
	x := l.s.byID[postKey{"linkedin", urn}]
	account := ""
	if x != nil {
		account = x.AccountID
	}
	l.s.mu.Unlock()
	l.s.renderFeed(w, r, "linkedin", account, urn)
}
