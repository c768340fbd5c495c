package sandbox

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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
)

// Facebook Pages (Graph API), after platform-apis.md §1. Connectors use
// GraphURL = BaseURL+FacebookGraphPath and WebURL = BaseURL+FacebookWebPath.
const (
	FacebookGraphPath = "/sandbox/facebook/graph"
	FacebookWebPath   = "/sandbox/facebook/www"
)

// Limits of the fake Graph API.
const (
	fbMaxMessage    = 63206
	fbMaxPhotoBytes = 10 << 20
	fbMaxBody       = 32 << 20
	fbMaxFeedLimit  = 100
	fbDefaultLimit  = 25
)

func init() {
	register(&platform{
		name:  "facebook",
		title: "Facebook",
		order: 10,
		mount: mountFacebook,
		pagePath: func(id string) string {
			return FacebookWebPath + "/" + url.PathEscape(id)
		},
		postPath: fbPostPath,
	})
}

type facebook struct{ s *Server }

func mountFacebook(s *Server, mux *http.ServeMux) {
	fb := &facebook{s: s}
	mux.Handle(FacebookGraphPath+"/", s.withFaults("facebook", fb.classify, fb.renderFault, http.HandlerFunc(fb.serveGraph)))
	mux.HandleFunc("GET "+FacebookWebPath+"/{page}", fb.handlePage)
	mux.HandleFunc("GET "+FacebookWebPath+"/{page}/posts/{post}", fb.handlePost)
}

// graphErr is a Graph API error answer.
type graphErr struct {
	status    int
	message   string
	typ       string
	code      int
	subcode   int
	userTitle string
	userMsg   string
	transient *bool
}

func (fb *facebook) writeError(w http.ResponseWriter, e graphErr) {
	type body struct {
		Message     string `json:"message"`
		Type        string `json:"type"`
		Code        int    `json:"code"`
		Subcode     int    `json:"error_subcode,omitempty"`
		IsTransient *bool  `json:"is_transient,omitempty"`
		UserTitle   string `json:"error_user_title,omitempty"`
		UserMsg     string `json:"error_user_msg,omitempty"`
		TraceID     string `json:"fbtrace_id"`
	}
	if e.typ == "" {
		e.typ = "OAuthException"
	}
	if e.status == 0 {
		e.status = http.StatusBadRequest
	}
	trace := make([]byte, 8)
	rand.Read(trace)
	if e.code == 190 || e.code == 102 || e.code == 104 {
		w.Header().Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "`+strings.ReplaceAll(e.message, `"`, `'`)+`"`)
	}
	writeJSON(w, e.status, map[string]body{"error": {Message: e.message, Type: e.typ, Code: e.code, Subcode: e.subcode,
		IsTransient: e.transient, UserTitle: e.userTitle, UserMsg: e.userMsg, TraceID: base64.RawURLEncoding.EncodeToString(trace)}})
}

func ptr[T any](v T) *T { return &v }

// Errors the fake Graph API gives, worded as the real one words them.
func errNoToken() graphErr {
	return graphErr{message: "An access token is required to request this resource.", code: 104}
}

func errBadToken() graphErr {
	return graphErr{message: "Invalid OAuth access token - Cannot parse access token", code: 190}
}

func errExpiredToken(expired, now time.Time) graphErr {
	const layout = "Monday, 02-Jan-06 15:04:05 MST"
	return graphErr{message: fmt.Sprintf("Error validating access token: Session has expired on %s. The current time is %s.",
		expired.UTC().Format(layout), now.UTC().Format(layout)), code: 190, subcode: 463}
}

func errNoObject(method, id string) graphErr {
	return graphErr{typ: "GraphMethodException", code: 100, subcode: 33, message: fmt.Sprintf(
		"Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
		strings.ToLower(method), id)}
}

func errParam(msg string) graphErr { return graphErr{code: 100, message: "(#100) " + msg} }

func errInsightsMetric() graphErr { return errParam("The value must be a valid insights metric") }

func errDuplicate() graphErr {
	return graphErr{code: 506, subcode: 1455006, message: "(#506) Duplicate status message", transient: ptr(false),
		userTitle: "Duplicate Status Update",
		userMsg:   "This status update is identical to the last one you posted. Try posting something different, or delete your previous update."}
}

func errCannotPost() graphErr {
	return graphErr{code: 200, message: "(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts as an admin with sufficient administrative permission"}
}

func errCannotRead() graphErr {
	return graphErr{code: 10, message: "(#10) This endpoint requires the 'pages_read_engagement' permission or the 'Page Public Content Access' feature."}
}

// graphCall is a parsed Graph API request.
type graphCall struct {
	method string
	segs   []string // path after the version
	params url.Values
	files  map[string]graphFile
	token  string
}

type graphFile struct {
	name        string
	contentType string
	data        []byte
}

var versionRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

// parseGraph reads a Graph call: parameters from the query string and from a
// form, multipart or JSON body; the token from the Authorization header
// ("Bearer" or "OAuth") or the access_token parameter.
func parseGraph(r *http.Request) (*graphCall, *graphErr) {
	c := &graphCall{method: r.Method, params: r.URL.Query(), files: map[string]graphFile{}}
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, FacebookGraphPath), "/")
	if rest != "" {
		c.segs = strings.Split(rest, "/")
	}
	if len(c.segs) > 0 && versionRE.MatchString(c.segs[0]) {
		c.segs = c.segs[1:]
	} else if len(c.segs) > 0 && strings.HasPrefix(c.segs[0], "v") && strings.Contains(c.segs[0], ".") {
		return nil, &graphErr{code: 2500, message: "Unknown path components: /" + rest}
	}
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(io.LimitReader(r.Body, fbMaxBody+1))
		if err != nil {
			return nil, &graphErr{code: 1, message: "An unknown error has occurred."}
		}
		if len(body) > fbMaxBody {
			return nil, &graphErr{status: http.StatusRequestEntityTooLarge, code: 100, message: "(#100) The request is too large"}
		}
		if e := c.readBody(r.Header.Get("Content-Type"), body); e != nil {
			return nil, e
		}
	}
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		c.token = strings.TrimSpace(v)
	} else if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "OAuth "); ok {
		c.token = strings.TrimSpace(v)
	}
	if c.token == "" {
		c.token = c.params.Get("access_token")
	}
	return c, nil
}

func (c *graphCall) readBody(contentType string, body []byte) *graphErr {
	mt, mp, _ := mime.ParseMediaType(contentType)
	bad := &graphErr{code: 100, message: "(#100) The request body could not be read"}
	switch mt {
	case "application/x-www-form-urlencoded", "":
		if len(bytes.TrimSpace(body)) == 0 {
			return nil
		}
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return bad
		}
		for k, vs := range v {
			c.params[k] = append(c.params[k], vs...)
		}
	case "multipart/form-data":
		mr := multipart.NewReader(bytes.NewReader(body), mp["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return bad
			}
			data, err := io.ReadAll(part)
			if err != nil {
				return bad
			}
			if part.FileName() != "" {
				c.files[part.FormName()] = graphFile{name: part.FileName(), contentType: part.Header.Get("Content-Type"), data: data}
			} else {
				c.params.Add(part.FormName(), string(data))
			}
		}
	case "application/json":
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil {
			return bad
		}
		for k, raw := range m {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				c.params.Add(k, s)
			} else {
				c.params.Add(k, string(raw))
			}
		}
	default:
		return bad
	}
	return nil
}

// classify tells the fault machinery whose call this is (the token's
// account, else the page in the path) and what kind.
func (fb *facebook) classify(r *http.Request) (string, Op) {
	body := bufferBody(r, fbMaxBody)
	clone := r.Clone(r.Context())
	clone.Body = io.NopCloser(bytes.NewReader(body))
	c, gerr := parseGraph(clone)
	if gerr != nil {
		return "", OpRead
	}
	account := ""
	if claims, err := fb.s.parseToken("facebook", c.token); err == nil {
		account = claims.Account
	} else if len(c.segs) > 0 {
		account, _, _ = strings.Cut(c.segs[0], "_")
	}
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		return account, OpRead
	case r.Method == http.MethodDelete:
		return account, OpDelete
	case len(c.segs) == 2 && c.segs[1] == "photos" && c.params.Get("published") == "false" && c.params.Get("scheduled_publish_time") == "":
		return account, OpUpload
	}
	return account, OpPublish
}

// renderFault answers an injected fault the way Facebook does.
func (fb *facebook) renderFault(w http.ResponseWriter, r *http.Request, f Fault, account string) {
	now := fb.s.now()
	switch f.Kind {
	case FaultRateLimit:
		reset := f.RetryAfter
		if reset <= 0 {
			reset = 15 * time.Minute
		}
		minutes := int(math.Ceil(reset.Minutes()))
		code := f.Code
		if code == 0 {
			code = 32
		}
		e := graphErr{code: code}
		switch code {
		case 4:
			e.message, e.transient = "(#4) Application request limit reached", ptr(true)
		case 17:
			e.message, e.transient = "(#17) User request limit reached", ptr(true)
		case 32:
			e.message = "(#32) Page request limit reached"
		case 613:
			e.message = "(#613) Calls to this api have exceeded the rate limit."
		case 80001:
			e.message = "(#80001) There have been too many calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."
		default:
			e.message = fmt.Sprintf("(#%d) Rate limit reached", code)
		}
		if code == 4 || code == 17 {
			w.Header().Set("X-App-Usage", `{"call_count":100,"total_cputime":41,"total_time":57}`)
		}
		if account != "" {
			buc, _ := json.Marshal(map[string][]map[string]any{account: {{"type": "pages", "call_count": 100,
				"total_cputime": 38, "total_time": 61, "estimated_time_to_regain_access": minutes}}})
			w.Header().Set("X-Business-Use-Case-Usage", string(buc))
		}
		fb.writeError(w, e)
	case FaultServerError:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		fb.writeError(w, graphErr{status: status, code: 2, transient: ptr(true),
			message: "An unexpected error has occurred. Please retry your request later."})
	case FaultExpiredToken:
		fb.writeError(w, errExpiredToken(now.Add(-time.Hour), now))
	case FaultDuplicate:
		fb.writeError(w, errDuplicate())
	default:
		fb.writeError(w, graphErr{code: 1, message: "An unknown error has occurred."})
	}
}

// serveGraph routes a Graph API call.
func (fb *facebook) serveGraph(w http.ResponseWriter, r *http.Request) {
	c, gerr := parseGraph(r)
	if gerr != nil {
		fb.writeError(w, *gerr)
		return
	}
	if len(c.segs) == 1 && c.segs[0] == "debug_token" && c.method == http.MethodGet {
		fb.debugToken(w, c)
		return
	}
	if len(c.segs) == 0 || len(c.segs) > 3 {
		fb.writeError(w, graphErr{code: 2500, message: "Unknown path components: " + r.URL.Path})
		return
	}
	claims, ok := fb.auth(w, c)
	if !ok {
		return
	}
	id := c.segs[0]
	if id == "me" {
		id = claims.Account
	}
	edge := ""
	if len(c.segs) > 1 {
		edge = strings.Join(c.segs[1:], "/")
	}
	switch {
	case edge == "" && c.method == http.MethodGet:
		fb.getObject(w, r, c, claims, id)
	case edge == "" && c.method == http.MethodDelete:
		fb.deletePost(w, c, claims, id)
	case edge == "accounts" && c.method == http.MethodGet && id == claims.Account:
		fb.accounts(w, c, claims)
	case edge == "feed" && c.method == http.MethodPost:
		fb.createPost(w, r, c, claims, id)
	case edge == "photos" && c.method == http.MethodPost:
		fb.createPhoto(w, r, c, claims, id)
	case (edge == "feed" || edge == "posts" || edge == "published_posts") && c.method == http.MethodGet:
		fb.feed(w, r, c, claims, id)
	case edge == "insights" && c.method == http.MethodGet:
		fb.insights(w, c, claims, id)
	default:
		fb.writeError(w, errNoObject(c.method, id))
	}
}

// auth checks the call's token and answers the real errors when it is
// missing, unreadable or expired.
func (fb *facebook) auth(w http.ResponseWriter, c *graphCall) (tokenClaims, bool) {
	if c.token == "" {
		fb.writeError(w, errNoToken())
		return tokenClaims{}, false
	}
	claims, err := fb.s.parseToken("facebook", c.token)
	if err != nil {
		fb.writeError(w, errBadToken())
		return claims, false
	}
	if now := fb.s.now(); claims.expired(now) {
		fb.writeError(w, errExpiredToken(claims.expiresAt(), now))
		return claims, false
	}
	return claims, true
}

// fbTime formats a time the way the Graph API does.
func fbTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-0700") }

// parseFBTime reads a time parameter: UNIX seconds, RFC 3339 or the Graph
// API's own format.
func parseFBTime(v string) (time.Time, bool) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05-0700", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// splitPostID splits "{page}_{post}".
func splitPostID(id string) (page, post string, ok bool) {
	page, post, ok = strings.Cut(id, "_")
	return page, post, ok && page != "" && post != ""
}

// publishedAt is when a post shows on the feed.
func publishedAt(p *Post) time.Time {
	if p.ScheduledAt != nil {
		return *p.ScheduledAt
	}
	return p.CreatedAt
}

func (fb *facebook) permalink(r *http.Request, p *Post) string {
	page, post, _ := splitPostID(p.ID)
	return fb.s.base(r) + FacebookWebPath + "/" + url.PathEscape(page) + "/posts/" + url.PathEscape(post)
}

// postFields are the Post fields the fake serves.
var postFields = []string{"id", "message", "created_time", "updated_time", "permalink_url", "is_published",
	"scheduled_publish_time", "full_picture", "from", "status_type"}

func requestedFields(c *graphCall, def []string) ([]string, *graphErr) {
	v := c.params.Get("fields")
	if v == "" {
		return def, nil
	}
	var out []string
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !slices.Contains(postFields, f) {
			return nil, &graphErr{code: 100, message: fmt.Sprintf("(#100) Tried accessing nonexisting field (%s) on node type (Post)", f)}
		}
		out = append(out, f)
	}
	return out, nil
}

// renderPostLocked renders a post with the given fields.
func (fb *facebook) renderPostLocked(r *http.Request, p *Post, fields []string) map[string]any {
	m := map[string]any{}
	for _, f := range fields {
		switch f {
		case "id":
			m["id"] = p.ID
		case "message":
			if p.Text != "" {
				m["message"] = p.Text
			}
		case "created_time":
			m["created_time"] = fbTime(publishedAt(p))
		case "updated_time":
			m["updated_time"] = fbTime(publishedAt(p))
		case "permalink_url":
			m["permalink_url"] = fb.permalink(r, p)
		case "is_published":
			m["is_published"] = !p.Hidden && (p.ScheduledAt == nil || !p.ScheduledAt.After(fb.s.now()))
		case "scheduled_publish_time":
			if p.ScheduledAt != nil {
				m["scheduled_publish_time"] = p.ScheduledAt.Unix()
			}
		case "full_picture":
			if len(p.Images) > 0 {
				m["full_picture"] = fb.s.imageURL(r, p.Images[0])
			}
		case "from":
			name := ""
			if a := fb.s.accounts[accountKey{"facebook", p.AccountID}]; a != nil {
				name = a.Name
			}
			m["from"] = map[string]string{"id": p.AccountID, "name": name}
		case "status_type":
			if len(p.Images) > 0 {
				m["status_type"] = "added_photos"
			} else if p.Link != "" {
				m["status_type"] = "shared_story"
			} else {
				m["status_type"] = "mobile_status_update"
			}
		}
	}
	return m
}

// getObject serves GET /{id}: a Page, a post or a photo.
func (fb *facebook) getObject(w http.ResponseWriter, r *http.Request, c *graphCall, claims tokenClaims, id string) {
	s := fb.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[accountKey{"facebook", id}]; a != nil && !strings.Contains(id, "_") {
		writeJSON(w, http.StatusOK, map[string]string{"id": a.ID, "name": a.Name})
		return
	}
	if p := s.byID[postKey{"facebook", id}]; p != nil && p.DeletedAt == nil && p.AccountID == claims.Account {
		fields, gerr := requestedFields(c, []string{"id", "message", "created_time"})
		if gerr != nil {
			fb.writeError(w, *gerr)
			return
		}
		writeJSON(w, http.StatusOK, fb.renderPostLocked(r, p, fields))
		return
	}
	if u := s.uploads[postKey{"facebook", id}]; u != nil && u.AccountID == claims.Account {
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "created_time": fbTime(u.CreatedAt), "alt_text_custom": u.Image.AltText})
		return
	}
	for _, p := range s.accountPostsLocked("facebook", claims.Account) {
		if p.DeletedAt == nil {
			for _, im := range p.Images {
				if im.ID == id {
					writeJSON(w, http.StatusOK, map[string]any{"id": id, "created_time": fbTime(p.CreatedAt), "alt_text_custom": im.AltText, "page_story_id": p.ID})
					return
				}
			}
		}
	}
	fb.writeError(w, errNoObject(c.method, id))
}

// deletePost serves DELETE /{post-id}.
func (fb *facebook) deletePost(w http.ResponseWriter, c *graphCall, claims tokenClaims, id string) {
	s := fb.s
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.byID[postKey{"facebook", id}]
	if p == nil || p.DeletedAt != nil || p.AccountID != claims.Account {
		fb.writeError(w, errNoObject(c.method, id))
		return
	}
	now := s.now().UTC()
	p.DeletedAt = &now
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// accounts serves GET /me/accounts: the Pages the token may act for. A
// sandbox token is a Page token, so that is the Page itself, with the same
// token.
func (fb *facebook) accounts(w http.ResponseWriter, c *graphCall, claims tokenClaims) {
	name := claims.Name
	if a, ok := fb.s.account("facebook", claims.Account); ok {
		name = a.Name
	}
	cursor := base64.RawURLEncoding.EncodeToString([]byte(claims.Account))
	writeJSON(w, http.StatusOK, map[string]any{
		"data": []map[string]any{{
			"access_token":  c.token,
			"category":      "Government organization",
			"category_list": []map[string]string{{"id": "2256", "name": "Government organization"}},
			"name":          name,
			"id":            claims.Account,
			"tasks":         []string{"ANALYZE", "ADVERTISE", "MESSAGING", "MODERATE", "CREATE_CONTENT", "MANAGE"},
		}},
		"paging": map[string]any{"cursors": map[string]string{"before": cursor, "after": cursor}},
	})
}

// debugToken serves GET /debug_token?input_token=…&access_token=….
func (fb *facebook) debugToken(w http.ResponseWriter, c *graphCall) {
	if c.token == "" {
		fb.writeError(w, errNoToken())
		return
	}
	input := c.params.Get("input_token")
	if input == "" {
		fb.writeError(w, errParam("The parameter input_token is required"))
		return
	}
	now := fb.s.now()
	data := map[string]any{"app_id": "sandbox", "type": "PAGE", "application": "Prasar sandbox"}
	claims, err := fb.s.parseToken("facebook", input)
	switch {
	case err != nil:
		data["is_valid"] = false
		data["error"] = map[string]any{"code": 190, "message": "Invalid OAuth access token - Cannot parse access token"}
		data["scopes"] = []string{}
	default:
		data["is_valid"] = !claims.expired(now)
		data["expires_at"] = claims.Expires
		data["data_access_expires_at"] = 0
		data["issued_at"] = claims.Issued
		data["profile_id"] = claims.Account
		data["user_id"] = claims.Account
		data["scopes"] = []string{"pages_show_list", "pages_manage_posts", "pages_read_engagement", "pages_manage_metadata", "read_insights"}
		if claims.expired(now) {
			e := errExpiredToken(claims.expiresAt(), now)
			data["error"] = map[string]any{"code": e.code, "subcode": e.subcode, "message": e.message}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

// schedule reads published and scheduled_publish_time: hidden is set for
// unpublished posts without a time, at for scheduled ones.
func (fb *facebook) schedule(c *graphCall) (hidden bool, at *time.Time, gerr *graphErr) {
	published := c.params.Get("published") != "false"
	spt := c.params.Get("scheduled_publish_time")
	switch {
	case spt == "" && published:
		return false, nil, nil
	case spt == "":
		return true, nil, nil
	case published:
		e := errParam("Cannot specify a scheduled publish time on a published post")
		return false, nil, &e
	}
	t, ok := parseFBTime(spt)
	now := fb.s.now()
	if !ok || t.Before(now.Add(10*time.Minute)) || t.After(now.Add(30*24*time.Hour)) {
		e := errParam("The specified scheduled publish time is invalid.")
		return false, nil, &e
	}
	return false, &t, nil
}

// attachedMedia reads attached_media[i]={"media_fbid":…} (form) or
// attached_media=[{"media_fbid":…},…] (JSON).
func attachedMedia(c *graphCall) ([]string, *graphErr) {
	type ref struct {
		MediaFBID string `json:"media_fbid"`
	}
	var raw []string
	if v := c.params.Get("attached_media"); v != "" {
		var refs []ref
		if json.Unmarshal([]byte(v), &refs) != nil {
			e := errParam("param attached_media must be an array")
			return nil, &e
		}
		for _, r := range refs {
			raw = append(raw, r.MediaFBID)
		}
		return raw, nil
	}
	for i := 0; ; i++ {
		v := c.params.Get(fmt.Sprintf("attached_media[%d]", i))
		if v == "" {
			break
		}
		var r ref
		if json.Unmarshal([]byte(v), &r) != nil || r.MediaFBID == "" {
			e := errParam(fmt.Sprintf("param attached_media[%d] must be an object with media_fbid", i))
			return nil, &e
		}
		raw = append(raw, r.MediaFBID)
	}
	return raw, nil
}

// createPost serves POST /{page-id}/feed.
func (fb *facebook) createPost(w http.ResponseWriter, r *http.Request, c *graphCall, claims tokenClaims, page string) {
	if page != claims.Account {
		fb.writeError(w, errCannotPost())
		return
	}
	msg, link := c.params.Get("message"), c.params.Get("link")
	media, gerr := attachedMedia(c)
	if gerr != nil {
		fb.writeError(w, *gerr)
		return
	}
	if strings.TrimSpace(msg) == "" && link == "" && len(media) == 0 {
		fb.writeError(w, errParam("Missing message or attachment"))
		return
	}
	if len([]rune(msg)) > fbMaxMessage {
		fb.writeError(w, errParam(fmt.Sprintf("The message is longer than %d characters", fbMaxMessage)))
		return
	}
	if link != "" {
		u, err := url.Parse(link)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fb.writeError(w, errParam("link URL is not properly formatted"))
			return
		}
		// Hosts under the reserved .invalid domain cannot be scraped.
		if strings.HasSuffix(u.Hostname(), ".invalid") {
			fb.writeError(w, graphErr{code: 1609005, message: "Error posting link: the link could not be fetched"})
			return
		}
	}
	hidden, at, gerr := fb.schedule(c)
	if gerr != nil {
		fb.writeError(w, *gerr)
		return
	}
	s := fb.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var images []Image
	for i, id := range media {
		u := s.uploads[postKey{"facebook", id}]
		if u == nil || u.AccountID != page || u.UsedBy != "" {
			fb.writeError(w, errParam(fmt.Sprintf("param attached_media[%d] must be an unpublished photo of this Page", i)))
			return
		}
		images = append(images, u.Image)
	}
	if !hidden && strings.TrimSpace(msg) != "" {
		// Duplicate: the same message as the Page's latest post.
		var last *Post
		for _, p := range slices.Backward(s.accountPostsLocked("facebook", page)) {
			if p.DeletedAt == nil && !p.Hidden {
				last = p
				break
			}
		}
		if last != nil && strings.TrimSpace(last.Text) == strings.TrimSpace(msg) {
			fb.writeError(w, errDuplicate())
			return
		}
	}
	p := &Post{Platform: "facebook", AccountID: page, ID: page + "_" + s.newIDLocked(), Text: msg, Link: link,
		Images: images, CreatedAt: s.now().UTC(), Hidden: hidden, ScheduledAt: at}
	for _, id := range media {
		s.uploads[postKey{"facebook", id}].UsedBy = p.ID
	}
	s.addPostLocked(p)
	s.log.Info("sandbox: facebook post created", "page_id", page, "post_id", p.ID, "images", len(images))
	writeJSON(w, http.StatusOK, map[string]string{"id": p.ID})
}

// imageTypes are the image types the fake accepts.
var imageTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"}

// createPhoto serves POST /{page-id}/photos: multipart "source" or "url";
// published=false uploads the photo for a later multi-photo post.
func (fb *facebook) createPhoto(w http.ResponseWriter, r *http.Request, c *graphCall, claims tokenClaims, page string) {
	if page != claims.Account {
		fb.writeError(w, errCannotPost())
		return
	}
	msg := c.params.Get("message")
	if msg == "" {
		msg = c.params.Get("caption")
	}
	if len([]rune(msg)) > fbMaxMessage {
		fb.writeError(w, errParam(fmt.Sprintf("The message is longer than %d characters", fbMaxMessage)))
		return
	}
	img := Image{AltText: c.params.Get("alt_text_custom")}
	src, hasSource := c.files["source"]
	switch {
	case hasSource:
		if len(src.data) > fbMaxPhotoBytes {
			fb.writeError(w, errParam("The photo is larger than 10 MB"))
			return
		}
		ct := http.DetectContentType(src.data)
		if !slices.Contains(imageTypes, ct) {
			fb.writeError(w, graphErr{code: 324, message: "(#324) Missing or invalid image file"})
			return
		}
		sum := sha256.Sum256(src.data)
		img.ContentType, img.Size, img.SHA256 = ct, int64(len(src.data)), hex.EncodeToString(sum[:])
	case c.params.Get("url") != "":
		u, err := url.Parse(c.params.Get("url"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fb.writeError(w, errParam("url should represent a valid URL"))
			return
		}
		img.URL = u.String()
	default:
		fb.writeError(w, graphErr{code: 324, message: "(#324) Requires upload file"})
		return
	}
	hidden, at, gerr := fb.schedule(c)
	if gerr != nil {
		fb.writeError(w, *gerr)
		return
	}
	s := fb.s
	s.mu.Lock()
	defer s.mu.Unlock()
	img.ID = s.newIDLocked()
	if hasSource {
		s.putMediaLocked(img.ID, img.ContentType, src.data)
	}
	now := s.now().UTC()
	if hidden {
		s.addUploadLocked(&Upload{Platform: "facebook", AccountID: page, Image: img, CreatedAt: now})
		writeJSON(w, http.StatusOK, map[string]string{"id": img.ID})
		return
	}
	p := &Post{Platform: "facebook", AccountID: page, ID: page + "_" + s.newIDLocked(), Text: msg,
		Images: []Image{img}, CreatedAt: now, ScheduledAt: at}
	s.addPostLocked(p)
	s.log.Info("sandbox: facebook photo post created", "page_id", page, "post_id", p.ID)
	writeJSON(w, http.StatusOK, map[string]string{"id": img.ID, "post_id": p.ID})
}

// feed serves GET /{page-id}/feed (and /posts, /published_posts): the
// Page's visible posts, newest first, filtered by since/until, limit (at
// most 100) posts a page, paged with an "after" cursor.
func (fb *facebook) feed(w http.ResponseWriter, r *http.Request, c *graphCall, claims tokenClaims, page string) {
	if page != claims.Account {
		fb.writeError(w, errCannotRead())
		return
	}
	fields, gerr := requestedFields(c, []string{"id", "message", "created_time"})
	if gerr != nil {
		fb.writeError(w, *gerr)
		return
	}
	limit := fbDefaultLimit
	if v := c.params.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			fb.writeError(w, errParam("Param limit must be a positive integer"))
			return
		}
		limit = min(n, fbMaxFeedLimit)
	}
	var since, until time.Time
	for name, t := range map[string]*time.Time{"since": &since, "until": &until} {
		if v := c.params.Get(name); v != "" {
			parsed, ok := parseFBTime(v)
			if !ok {
				fb.writeError(w, errParam(fmt.Sprintf("Param %s must be a UNIX timestamp or a date", name)))
				return
			}
			*t = parsed
		}
	}
	s := fb.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var posts []*Post
	for _, p := range s.accountPostsLocked("facebook", page) {
		at := publishedAt(p)
		if !p.Visible(now) ||
			(!since.IsZero() && at.Before(since)) || (!until.IsZero() && at.After(until)) {
			continue
		}
		posts = append(posts, p)
	}
	slices.SortStableFunc(posts, func(a, b *Post) int {
		if c := publishedAt(b).Compare(publishedAt(a)); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	start := 0
	if after := c.params.Get("after"); after != "" {
		id, err := base64.RawURLEncoding.DecodeString(after)
		i := slices.IndexFunc(posts, func(p *Post) bool { return p.ID == string(id) })
		if err != nil || i < 0 {
			fb.writeError(w, errParam("Invalid cursor"))
			return
		}
		start = i + 1
	}
	end := min(start+limit, len(posts))
	data := []map[string]any{}
	for _, p := range posts[start:end] {
		data = append(data, fb.renderPostLocked(r, p, fields))
	}
	out := map[string]any{"data": data}
	if end > start {
		cur := func(p *Post) string { return base64.RawURLEncoding.EncodeToString([]byte(p.ID)) }
		paging := map[string]any{"cursors": map[string]string{"before": cur(posts[start]), "after": cur(posts[end-1])}}
		if end < len(posts) {
			q := url.Values{}
			for k, vs := range c.params {
				if k != "access_token" && k != "after" {
					q[k] = vs
				}
			}
			q.Set("limit", strconv.Itoa(limit))
			q.Set("after", cur(posts[end-1]))
			paging["next"] = s.base(r) + r.URL.Path + "?" + q.Encode()
		}
		out["paging"] = paging
	}
	writeJSON(w, http.StatusOK, out)
}

// Insights metrics: the ones the fake serves, and the ones Meta removed in
// 2025–26 (platform-apis.md §1.7), which fail the whole request with #100.
var (
	fbPostMetrics = map[string]string{
		"post_total_media_view_unique": "Lifetime: The number of people who saw the post at least once.",
		"post_media_view":              "Lifetime: The number of times the post was on screen.",
		"post_clicks":                  "Lifetime: The number of clicks anywhere in the post.",
		"post_reactions_like_total":    "Lifetime: Total \"like\" reactions of the post.",
		"post_reactions_love_total":    "Lifetime: Total \"love\" reactions of the post.",
		"post_reactions_wow_total":     "Lifetime: Total \"wow\" reactions of the post.",
		"post_reactions_haha_total":    "Lifetime: Total \"haha\" reactions of the post.",
		"post_reactions_sorry_total":   "Lifetime: Total \"sad\" reactions of the post.",
		"post_reactions_anger_total":   "Lifetime: Total \"anger\" reactions of the post.",
		"post_reactions_by_type_total": "Lifetime: Total post reactions by type.",
		"post_activity_by_action_type": "Lifetime: The number of stories created about the post, by action type.",
	}
	fbPageMetrics = map[string]string{
		"page_total_media_view_unique": "Daily: The number of people who saw any content from the Page.",
		"page_media_view":              "Daily: The number of times the Page's content was on screen.",
		"page_post_engagements":        "Daily: The number of times people engaged with the Page's posts.",
		"page_follows":                 "Lifetime: The number of followers of the Page.",
		"page_daily_follows_unique":    "Daily: The number of people who followed the Page.",
		"page_views_total":             "Daily: The number of times the Page's profile was viewed.",
	}
)

// growth is a post's eventual audience scaled by how long it has been up:
// it only grows, fast in the first hours, and levels off after a few days.
func growth(postID string, age time.Duration) float64 {
	h := fnv.New32a()
	h.Write([]byte(postID))
	eventual := 200 + float64(h.Sum32()%4800)
	hours := math.Max(age.Hours(), 0)
	return eventual * (1 - math.Exp(-hours/12))
}

func postMetric(name, postID string, age time.Duration) any {
	g := growth(postID, age)
	n := func(f float64) int { return int(math.Floor(g * f)) }
	switch name {
	case "post_total_media_view_unique":
		return n(1)
	case "post_media_view":
		return n(1.6)
	case "post_clicks":
		return n(0.04)
	case "post_reactions_like_total":
		return n(0.07)
	case "post_reactions_love_total":
		return n(0.012)
	case "post_reactions_wow_total":
		return n(0.004)
	case "post_reactions_haha_total":
		return n(0.002)
	case "post_reactions_sorry_total", "post_reactions_anger_total":
		return n(0.001)
	case "post_reactions_by_type_total":
		return map[string]int{"like": n(0.07), "love": n(0.012), "wow": n(0.004), "haha": n(0.002), "sorry": n(0.001), "anger": n(0.001)}
	case "post_activity_by_action_type":
		return map[string]int{"share": n(0.01), "like": n(0.07), "comment": n(0.02)}
	}
	return 0
}

// insights serves GET /{post-id}/insights and /{page-id}/insights.
func (fb *facebook) insights(w http.ResponseWriter, c *graphCall, claims tokenClaims, id string) {
	var metrics []string
	for _, m := range strings.Split(c.params.Get("metric"), ",") {
		if m = strings.TrimSpace(m); m != "" {
			metrics = append(metrics, m)
		}
	}
	s := fb.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	type value struct {
		Value   any    `json:"value"`
		EndTime string `json:"end_time,omitempty"`
	}
	type metric struct {
		Name        string  `json:"name"`
		Period      string  `json:"period"`
		Values      []value `json:"values"`
		Title       string  `json:"title"`
		Description string  `json:"description"`
		ID          string  `json:"id"`
	}
	var data []metric
	if _, _, isPost := splitPostID(id); isPost {
		p := s.byID[postKey{"facebook", id}]
		if p == nil || p.DeletedAt != nil || p.AccountID != claims.Account {
			fb.writeError(w, errNoObject(c.method, id))
			return
		}
		if len(metrics) == 0 {
			metrics = []string{"post_total_media_view_unique", "post_media_view", "post_clicks"}
		}
		if period := c.params.Get("period"); period != "" && period != "lifetime" {
			fb.writeError(w, errParam("The period must be lifetime for post metrics"))
			return
		}
		for _, m := range metrics {
			desc, ok := fbPostMetrics[m]
			if !ok {
				fb.writeError(w, errInsightsMetric())
				return
			}
			age := time.Duration(0)
			if p.Visible(now) {
				age = now.Sub(publishedAt(p))
			}
			data = append(data, metric{Name: m, Period: "lifetime", Values: []value{{Value: postMetric(m, p.ID, age)}},
				Title: "Lifetime " + m, Description: desc, ID: id + "/insights/" + m + "/lifetime"})
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data})
		return
	}
	if id != claims.Account {
		fb.writeError(w, errNoObject(c.method, id))
		return
	}
	if len(metrics) == 0 {
		fb.writeError(w, errInsightsMetric())
		return
	}
	period := c.params.Get("period")
	if period == "" {
		period = "day"
	}
	end := now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	for _, m := range metrics {
		desc, ok := fbPageMetrics[m]
		if !ok {
			fb.writeError(w, errInsightsMetric())
			return
		}
		total := 0
		for _, p := range s.accountPostsLocked("facebook", id) {
			if !p.Visible(now) {
				continue
			}
			g := growth(p.ID, now.Sub(publishedAt(p)))
			switch m {
			case "page_total_media_view_unique":
				total += int(g)
			case "page_media_view":
				total += int(g * 1.6)
			case "page_post_engagements":
				total += int(g * 0.11)
			case "page_follows", "page_daily_follows_unique":
				total += int(g * 0.01)
			case "page_views_total":
				total += int(g * 0.05)
			}
		}
		data = append(data, metric{Name: m, Period: period, Values: []value{{Value: total, EndTime: fbTime(end)}},
			Title: m, Description: desc, ID: id + "/insights/" + m + "/" + period})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

// handlePage serves GET /sandbox/facebook/www/{page}: the Page's feed.
func (fb *facebook) handlePage(w http.ResponseWriter, r *http.Request) {
	fb.s.renderFeed(w, r, "facebook", r.PathValue("page"), "")
}

// handlePost serves GET /sandbox/facebook/www/{page}/posts/{post}: one post.
func (fb *facebook) handlePost(w http.ResponseWriter, r *http.Request) {
	page, post := r.PathValue("page"), r.PathValue("post")
	id := post
	if !strings.Contains(post, "_") {
		id = page + "_" + post
	}
	fb.s.renderFeed(w, r, "facebook", page, id)
}

// fbPostPath is the path of a post's human page.
func fbPostPath(p *Post) string {
	page, post, _ := splitPostID(p.ID)
	return FacebookWebPath + "/" + url.PathEscape(page) + "/posts/" + url.PathEscape(post)
}
