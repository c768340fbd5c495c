package sandbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rivo/uniseg"
)

// Mastodon, after platform-apis.md §5.4: one fake instance whose base URL
// is BaseURL+MastodonPath (the connector's instance URL), with app
// registration, OAuth 2.0 with PKCE (a consent page with Approve and Deny),
// statuses with Idempotency-Key, media uploads that may process
// asynchronously (202, then polling), an account's statuses for look-ups,
// status counts that grow over time, and Mastodon's rate-limit headers.
// Account and status pages are under MastodonWebPath; a status's "url"
// points there.
//
// Apps: POST /api/v1/apps registers one, but any client_id is accepted; its
// client secret is MastodonClientSecret(clientID), so a deployment can be
// configured without registering (stateless, like the tokens).
//
// Kept in memory only (lost on restart): idempotency keys, media not yet
// attached, authorization codes, rate-limit counters, and a status's
// visibility and language (statuses themselves are Posts and survive).
const (
	MastodonPath    = "/sandbox/mastodon"
	MastodonWebPath = "/sandbox/mastodon/www"
)

// Limits of the fake instance (Mastodon's defaults).
const (
	mdnMaxChars        = 500
	mdnURLChars        = 23
	mdnMaxMedia        = 4
	mdnImageLimit      = 16 << 20
	mdnMaxBody         = 40 << 20
	mdnMaxDescription  = 1500
	mdnAsyncAbove      = 256 << 10 // larger uploads are processed asynchronously (202)
	mdnPollsToProcess  = 2         // an asynchronous upload is ready at the second GET
	mdnIdempotencyTTL  = time.Hour
	mdnRequestLimit    = 300 // per account per 5 minutes
	mdnRequestPeriod   = 5 * time.Minute
	mdnMediaLimit      = 30 // uploads per account per 30 minutes
	mdnMediaPeriod     = 30 * time.Minute
	mdnDeleteLimit     = 30 // deletions per account per 30 minutes
	mdnDeletePeriod    = 30 * time.Minute
	mdnDefaultRetry    = 5 * time.Minute
	mdnStatusPageLimit = 40
)

func init() {
	register(&platform{
		name:  "mastodon",
		title: "Mastodon",
		order: 60,
		mount: mountMastodon,
		pagePath: func(id string) string {
			return MastodonWebPath + "/" + url.PathEscape(id)
		},
		postPath: func(p *Post) string {
			return MastodonWebPath + "/" + url.PathEscape(p.AccountID) + "/" + url.PathEscape(p.ID)
		},
	})
}

type mastodon struct{ s *Server }

// mdnState is what the fake keeps beyond posts (platformStateLocked).
type mdnState struct {
	idem    map[string]mdnIdem      // account + "\x00" + key → status
	media   map[string]*mdnMedia    // media id → upload
	meta    map[string]mdnMeta      // status id → visibility, language
	windows map[string]*mdnWindow   // account + "\x00" + bucket → counter
	pkce    map[string]mdnChallenge // signed consent request → its PKCE challenge
	used    map[string]int64        // code nonce → expiry
}

type mdnIdem struct {
	statusID string
	at       time.Time
}

type mdnMedia struct {
	account     string
	image       Image
	description string
	async       bool
	polls       int
	attachedTo  string
}

type mdnMeta struct {
	visibility, language string
	sensitive            bool
	spoiler              string
}

type mdnWindow struct {
	start time.Time
	n     int
}

type mdnChallenge struct {
	challenge, method string
}

func (m *mastodon) stateLocked() *mdnState {
	return platformStateLocked(m.s, "mastodon", func() *mdnState {
		return &mdnState{idem: map[string]mdnIdem{}, media: map[string]*mdnMedia{}, meta: map[string]mdnMeta{},
			windows: map[string]*mdnWindow{}, pkce: map[string]mdnChallenge{}, used: map[string]int64{}}
	})
}

func mountMastodon(s *Server, mux *http.ServeMux) {
	m := &mastodon{s: s}
	api := http.NewServeMux()
	p := MastodonPath + "/api"
	api.HandleFunc("POST "+p+"/v1/apps", m.handleApps)
	api.HandleFunc("GET "+p+"/v2/instance", m.handleInstance)
	api.HandleFunc("GET "+p+"/v1/accounts/verify_credentials", m.handleVerifyCredentials)
	api.HandleFunc("GET "+p+"/v1/accounts/{id}", m.handleAccount)
	api.HandleFunc("GET "+p+"/v1/accounts/{id}/statuses", m.handleAccountStatuses)
	api.HandleFunc("POST "+p+"/v1/statuses", m.handleCreateStatus)
	api.HandleFunc("GET "+p+"/v1/statuses/{id}", m.handleGetStatus)
	api.HandleFunc("DELETE "+p+"/v1/statuses/{id}", m.handleDeleteStatus)
	api.HandleFunc("POST "+p+"/v2/media", m.handleUpload)
	api.HandleFunc("POST "+p+"/v1/media", m.handleUpload)
	api.HandleFunc("GET "+p+"/v1/media/{id}", m.handleGetMedia)
	api.HandleFunc(p+"/", func(w http.ResponseWriter, r *http.Request) { mdnError(w, http.StatusNotFound, "Record not found") })
	mux.Handle(p+"/", s.withFaults("mastodon", m.classify, m.renderFault, api))
	mux.HandleFunc("GET "+MastodonPath+"/oauth/authorize", m.handleAuthorize)
	mux.HandleFunc("POST "+MastodonPath+"/oauth/authorize", m.handleDecision)
	mux.HandleFunc("POST "+MastodonPath+"/oauth/token", m.handleToken)
	mux.HandleFunc("GET "+MastodonWebPath+"/{account}", m.handlePage)
	mux.HandleFunc("GET "+MastodonWebPath+"/{account}/{status}", m.handlePost)
}

// MastodonClientSecret is the client secret the fake instance expects for
// clientID: any client id is an app, and its secret is derived from the
// sandbox's secret.
func (s *Server) MastodonClientSecret(clientID string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("mastodon-client:" + clientID))
}

func mdnError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func mdnOAuthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// mdnTime formats a time the way Mastodon does.
func mdnTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// bearer reads an OAuth bearer token from the header or access_token.
func bearer(r *http.Request) string {
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	return r.URL.Query().Get("access_token")
}

// classify tells the fault machinery whose call this is and what kind.
func (m *mastodon) classify(r *http.Request) (string, Op) {
	bufferBody(r, mdnMaxBody)
	account := ""
	if c, err := m.s.parseToken("mastodon", bearer(r)); err == nil {
		account = c.Account
	}
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/statuses"):
		return account, OpPublish
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/media"):
		return account, OpUpload
	case r.Method == http.MethodDelete:
		return account, OpDelete
	case r.Method == http.MethodPost:
		return account, OpPublish
	}
	return account, OpRead
}

// setRateHeaders writes Mastodon's rate-limit headers for a window.
func setRateHeaders(w http.ResponseWriter, limit, remaining int, reset time.Time) {
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(limit))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(remaining, 0)))
	w.Header().Set("X-RateLimit-Reset", reset.UTC().Format("2006-01-02T15:04:05.000000Z"))
}

// renderFault answers an injected fault the way Mastodon does. Mastodon
// has no duplicate-content error; FaultDuplicate is a 422 that says so.
func (m *mastodon) renderFault(w http.ResponseWriter, r *http.Request, f Fault, account string) {
	switch f.Kind {
	case FaultRateLimit:
		d := f.RetryAfter
		if d <= 0 {
			d = mdnDefaultRetry
		}
		setRateHeaders(w, mdnRequestLimit, 0, m.s.now().Add(d))
		mdnError(w, http.StatusTooManyRequests, "Too many requests")
	case FaultServerError:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		mdnError(w, status, "We're sorry, but something went wrong on our end.")
	case FaultExpiredToken:
		w.Header().Set("WWW-Authenticate", `Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token expired"`)
		mdnError(w, http.StatusUnauthorized, "The access token expired")
	case FaultDuplicate:
		mdnError(w, http.StatusUnprocessableEntity, "Validation failed: Text is a duplicate (a sandbox fault: Mastodon itself accepts repeated text)")
	default:
		mdnError(w, http.StatusInternalServerError, "We're sorry, but something went wrong on our end.")
	}
}

// auth checks the call's token; it answers Mastodon's 401s itself.
func (m *mastodon) auth(w http.ResponseWriter, r *http.Request) (tokenClaims, bool) {
	tok := bearer(r)
	claims, err := m.s.parseToken("mastodon", tok)
	if tok == "" || err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token is invalid"`)
		mdnError(w, http.StatusUnauthorized, "The access token is invalid")
		return claims, false
	}
	if claims.expired(m.s.now()) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token expired"`)
		mdnError(w, http.StatusUnauthorized, "The access token expired")
		return claims, false
	}
	return claims, true
}

// countLocked counts a call in one of the account's rate-limit windows
// (fixed windows aligned to the period, as Mastodon's are) and writes the
// headers; false when the limit is exceeded (and answered).
func (m *mastodon) countLocked(w http.ResponseWriter, account, bucket string, limit int, period time.Duration) bool {
	now := m.s.now()
	start := now.Truncate(period)
	st := m.stateLocked()
	k := account + "\x00" + bucket
	win := st.windows[k]
	if win == nil || !win.start.Equal(start) {
		win = &mdnWindow{start: start}
		st.windows[k] = win
	}
	win.n++
	setRateHeaders(w, limit, limit-win.n, start.Add(period))
	if win.n > limit {
		mdnError(w, http.StatusTooManyRequests, "Too many requests")
		return false
	}
	return true
}

// authAndCount authenticates and counts the call against the 300-a-5-
// minutes limit.
func (m *mastodon) authAndCount(w http.ResponseWriter, r *http.Request) (tokenClaims, bool) {
	claims, ok := m.auth(w, r)
	if !ok {
		return claims, false
	}
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	return claims, m.countLocked(w, claims.Account, "requests", mdnRequestLimit, mdnRequestPeriod)
}

// mdnParams reads parameters from the query and a form, multipart or JSON
// body. JSON arrays become repeated values under "name[]" as well as
// "name".
func mdnParams(r *http.Request) (url.Values, map[string]graphFile, error) {
	params := r.URL.Query()
	files := map[string]graphFile{}
	if r.Body == nil || r.Body == http.NoBody {
		return params, files, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, mdnMaxBody+1))
	if err != nil || len(body) > mdnMaxBody {
		return nil, nil, fmt.Errorf("the request body is too large or unreadable")
	}
	mt, mp, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		var m map[string]json.RawMessage
		if len(bytes.TrimSpace(body)) > 0 && json.Unmarshal(body, &m) != nil {
			return nil, nil, fmt.Errorf("the JSON body cannot be read")
		}
		for k, raw := range m {
			var s string
			var arr []json.RawMessage
			switch {
			case json.Unmarshal(raw, &s) == nil:
				params.Set(k, s)
			case json.Unmarshal(raw, &arr) == nil:
				for _, a := range arr {
					var v string
					if json.Unmarshal(a, &v) != nil {
						v = string(a)
					}
					params.Add(k+"[]", v)
				}
			default:
				params.Set(k, string(raw))
			}
		}
	case "multipart/form-data":
		mr := multipart.NewReader(bytes.NewReader(body), mp["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, nil, fmt.Errorf("the multipart body cannot be read")
			}
			data, _ := io.ReadAll(part)
			if part.FileName() != "" {
				files[part.FormName()] = graphFile{name: part.FileName(), contentType: part.Header.Get("Content-Type"), data: data}
			} else {
				params.Add(part.FormName(), string(data))
			}
		}
	default:
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, fmt.Errorf("the form cannot be read")
		}
		for k, vs := range v {
			params[k] = append(params[k], vs...)
		}
	}
	return params, files, nil
}

// mdnUsername is an account's username: its name made into a Mastodon
// username, or "user" and the end of its id.
func mdnUsername(a Account) string {
	var b strings.Builder
	for _, r := range strings.ToLower(a.Name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '_' || r == '-' || r == '.':
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
		}
	}
	u := strings.Trim(b.String(), "_")
	if len(u) > 30 {
		u = strings.TrimRight(u[:30], "_")
	}
	if u == "" {
		id := a.ID
		if len(id) > 6 {
			id = id[len(id)-6:]
		}
		u = "user" + id
	}
	return u
}

// accountJSONLocked renders an account as Mastodon does.
func (m *mastodon) accountJSONLocked(r *http.Request, id string) map[string]any {
	a := Account{Platform: "mastodon", ID: id}
	if acc := m.s.accounts[accountKey{"mastodon", id}]; acc != nil {
		a = *acc
	}
	name := a.Name
	user := mdnUsername(a)
	statuses := 0
	for _, p := range m.s.accountPostsLocked("mastodon", id) {
		if p.DeletedAt == nil {
			statuses++
		}
	}
	base := m.s.base(r)
	return map[string]any{"id": id, "username": user, "acct": user, "display_name": name, "locked": false, "bot": false,
		"discoverable": true, "group": false, "created_at": mdnTime(a.CreatedAt.Truncate(24 * time.Hour)), "note": "",
		"url": base + MastodonWebPath + "/" + url.PathEscape(id), "uri": base + MastodonPath + "/users/" + user,
		"avatar": base + MastodonPath + "/avatars/original/missing.png", "avatar_static": base + MastodonPath + "/avatars/original/missing.png",
		"header": base + MastodonPath + "/headers/original/missing.png", "header_static": base + MastodonPath + "/headers/original/missing.png",
		"followers_count": 0, "following_count": 0, "statuses_count": statuses, "emojis": []any{}, "fields": []any{}}
}

// mdnURLRE finds the links Mastodon would make clickable.
var mdnURLRE = regexp.MustCompile(`https?://[^\s<>"]+`)

// mdnLinks returns the byte ranges of the links in text, trailing
// punctuation excluded.
func mdnLinks(text string) [][2]int {
	var out [][2]int
	for _, loc := range mdnURLRE.FindAllStringIndex(text, -1) {
		end := loc[1]
		for end > loc[0] && strings.ContainsRune(".,;:!?'\")]", rune(text[end-1])) {
			end--
		}
		out = append(out, [2]int{loc[0], end})
	}
	return out
}

var mdnRemoteMention = regexp.MustCompile(`(^|[^\w/])@(\w+)@[\w.-]+\w`)

// mdnLength counts a status as Mastodon does: grapheme clusters, every
// link as 23 characters, a remote mention by its local part.
func mdnLength(text string) int {
	text = mdnRemoteMention.ReplaceAllString(text, "$1@$2")
	n, last := 0, 0
	for _, l := range mdnLinks(text) {
		n += uniseg.GraphemeClusterCount(text[last:l[0]]) + mdnURLChars
		last = l[1]
	}
	return n + uniseg.GraphemeClusterCount(text[last:])
}

var mdnHashtagRE = regexp.MustCompile(`(^|[^\p{L}\p{M}\p{N}_/#])#([\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)`)

// mdnHTML renders a status's text as Mastodon's plain-text formatter does:
// paragraphs in <p>, line breaks as <br />, links with their invisible
// scheme and an ellipsis past 30 characters, hashtags as tag links.
func mdnHTML(base, text string) (string, []string) {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	var tags []string
	render := func(s string) string {
		var b strings.Builder
		last := 0
		for _, l := range mdnLinks(s) {
			b.WriteString(mdnPlain(base, s[last:l[0]], &tags))
			u := s[l[0]:l[1]]
			scheme, rest, _ := strings.Cut(u, "://")
			scheme += "://"
			vis, hidden, cls := rest, "", ""
			if len([]rune(rest)) > 30 {
				vis, hidden, cls = string([]rune(rest)[:30]), string([]rune(rest)[30:]), "ellipsis"
			}
			fmt.Fprintf(&b, `<a href="%s" target="_blank" rel="nofollow noopener" translate="no"><span class="invisible">%s</span><span class="%s">%s</span><span class="invisible">%s</span></a>`,
				html.EscapeString(u), html.EscapeString(scheme), cls, html.EscapeString(vis), html.EscapeString(hidden))
			last = l[1]
		}
		b.WriteString(mdnPlain(base, s[last:], &tags))
		return b.String()
	}
	var paras []string
	for _, p := range regexp.MustCompile(`\n{2,}`).Split(strings.Trim(text, "\n"), -1) {
		lines := strings.Split(p, "\n")
		for i, l := range lines {
			lines[i] = render(l)
		}
		paras = append(paras, "<p>"+strings.Join(lines, "<br />")+"</p>")
	}
	return strings.Join(paras, ""), tags
}

// mdnPlain escapes text and links its hashtags.
func mdnPlain(base, s string, tags *[]string) string {
	var b strings.Builder
	last := 0
	for _, loc := range mdnHashtagRE.FindAllStringSubmatchIndex(s, -1) {
		tagStart, tagEnd := loc[4], loc[5]
		b.WriteString(html.EscapeString(s[last : tagStart-1]))
		tag := s[tagStart:tagEnd]
		*tags = append(*tags, tag)
		fmt.Fprintf(&b, `<a href="%s/tags/%s" class="mention hashtag" rel="tag">#<span>%s</span></a>`,
			base+MastodonPath, url.PathEscape(strings.ToLower(tag)), html.EscapeString(tag))
		last = tagEnd
	}
	b.WriteString(html.EscapeString(s[last:]))
	return b.String()
}

// statusJSONLocked renders a status as Mastodon does, its counts grown to
// now.
func (m *mastodon) statusJSONLocked(r *http.Request, p *Post) map[string]any {
	base := m.s.base(r)
	meta := m.stateLocked().meta[p.ID]
	if meta.visibility == "" {
		meta.visibility = "public"
	}
	content, tags := mdnHTML(base, p.Text)
	tagJSON := []map[string]string{}
	for _, t := range tags {
		tagJSON = append(tagJSON, map[string]string{"name": strings.ToLower(t), "url": base + MastodonPath + "/tags/" + url.PathEscape(strings.ToLower(t))})
	}
	media := []map[string]any{}
	for _, im := range p.Images {
		media = append(media, m.mediaJSONLocked(r, im, true))
	}
	var lang any
	if meta.language != "" {
		lang = meta.language
	}
	g := 0.0
	if p.Visible(m.s.now()) {
		g = growth(p.ID, m.s.now().Sub(p.CreatedAt))
	}
	acct := m.accountJSONLocked(r, p.AccountID)
	return map[string]any{"id": p.ID, "created_at": mdnTime(p.CreatedAt), "edited_at": nil, "in_reply_to_id": nil, "in_reply_to_account_id": nil,
		"sensitive": meta.sensitive, "spoiler_text": meta.spoiler, "visibility": meta.visibility, "language": lang,
		"uri":           base + MastodonPath + "/users/" + acct["username"].(string) + "/statuses/" + p.ID,
		"url":           base + MastodonWebPath + "/" + url.PathEscape(p.AccountID) + "/" + p.ID,
		"replies_count": int(g * 0.01), "reblogs_count": int(g * 0.03), "favourites_count": int(g * 0.08), "quotes_count": int(g * 0.002),
		"favourited": false, "reblogged": false, "muted": false, "bookmarked": false, "pinned": false,
		"content": content, "reblog": nil, "application": map[string]any{"name": "Prasar", "website": nil}, "account": acct,
		"media_attachments": media, "mentions": []any{}, "tags": tagJSON, "emojis": []any{}, "card": nil, "poll": nil}
}

// mediaJSONLocked renders a media attachment; url is null while it is
// processing.
func (m *mastodon) mediaJSONLocked(r *http.Request, im Image, ready bool) map[string]any {
	var u, preview any
	if ready {
		u = m.s.imageURL(r, im)
		preview = u
	}
	width, height := 1, 1
	if b := m.s.media[im.ID]; b != nil {
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(b.Data)); err == nil {
			width, height = cfg.Width, cfg.Height
		}
	}
	var desc any
	if im.AltText != "" {
		desc = im.AltText
	}
	dims := map[string]any{"width": width, "height": height, "size": fmt.Sprintf("%dx%d", width, height), "aspect": float64(width) / float64(height)}
	return map[string]any{"id": im.ID, "type": "image", "url": u, "preview_url": preview, "remote_url": nil, "preview_remote_url": nil,
		"text_url": nil, "meta": map[string]any{"original": dims, "small": dims}, "description": desc, "blurhash": "UeKUpFxuo~R%0nW;WCnhF6RjaJt757oJodS$"}
}

// handleApps serves POST /api/v1/apps.
func (m *mastodon) handleApps(w http.ResponseWriter, r *http.Request) {
	p, _, err := mdnParams(r)
	if err != nil {
		mdnError(w, http.StatusBadRequest, err.Error())
		return
	}
	name := strings.TrimSpace(p.Get("client_name"))
	uris := strings.Fields(p.Get("redirect_uris"))
	uris = append(uris, p["redirect_uris[]"]...)
	switch {
	case name == "":
		mdnError(w, http.StatusUnprocessableEntity, "Validation failed: Application name can't be blank")
		return
	case len(uris) == 0:
		mdnError(w, http.StatusUnprocessableEntity, "Validation failed: Redirect URI can't be blank")
		return
	}
	scopes := strings.Fields(p.Get("scopes"))
	if len(scopes) == 0 {
		scopes = []string{"read"}
	}
	m.s.mu.Lock()
	id := m.s.newIDLocked()
	m.s.mu.Unlock()
	clientID := base64.RawURLEncoding.EncodeToString(m.s.mac("mastodon-app:" + id))[:43]
	var website any
	if v := p.Get("website"); v != "" {
		website = v
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "name": name, "website": website, "scopes": scopes,
		"redirect_uri": strings.Join(uris, "\n"), "redirect_uris": uris, "client_id": clientID,
		"client_secret": m.s.MastodonClientSecret(clientID), "client_secret_expires_at": 0,
		"vapid_key": "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mMlI4UkkDTpaZwozy0TzdZ2M="})
}

// handleInstance serves GET /api/v2/instance: the instance's limits.
func (m *mastodon) handleInstance(w http.ResponseWriter, r *http.Request) {
	u, _ := url.Parse(m.s.base(r))
	writeJSON(w, http.StatusOK, map[string]any{
		"domain": u.Host, "title": "Prasar sandbox Mastodon", "version": "4.5.0", "source_url": "https://github.com/mastodon/mastodon",
		"description": "SANDBOX — not a real Mastodon instance.", "languages": []string{"hi", "en"},
		"configuration": map[string]any{
			"statuses": map[string]any{"max_characters": mdnMaxChars, "max_media_attachments": mdnMaxMedia, "characters_reserved_per_url": mdnURLChars},
			"media_attachments": map[string]any{"supported_mime_types": []string{"image/jpeg", "image/png", "image/gif", "image/webp"},
				"image_size_limit": mdnImageLimit, "image_matrix_limit": 33177600, "description_limit": mdnMaxDescription},
		},
		"registrations": map[string]any{"enabled": false, "approval_required": false},
		"rules":         []any{},
	})
}

// handleVerifyCredentials serves GET /api/v1/accounts/verify_credentials.
func (m *mastodon) handleVerifyCredentials(w http.ResponseWriter, r *http.Request) {
	claims, ok := m.authAndCount(w, r)
	if !ok {
		return
	}
	m.s.mu.Lock()
	a := m.accountJSONLocked(r, claims.Account)
	m.s.mu.Unlock()
	a["source"] = map[string]any{"privacy": "public", "sensitive": false, "language": "", "note": "", "fields": []any{}}
	writeJSON(w, http.StatusOK, a)
}

// handleAccount serves GET /api/v1/accounts/{id} (public).
func (m *mastodon) handleAccount(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := m.s.account("mastodon", id); !ok {
		mdnError(w, http.StatusNotFound, "Record not found")
		return
	}
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	writeJSON(w, http.StatusOK, m.accountJSONLocked(r, id))
}

// mdnIDLess compares numeric ids.
func mdnIDLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// handleAccountStatuses serves GET /api/v1/accounts/{id}/statuses: the
// account's statuses newest first, limit (at most 40, default 20) a page,
// paged with max_id (older) and min_id/since_id (newer) and a Link header.
func (m *mastodon) handleAccountStatuses(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if bearer(r) != "" {
		if _, ok := m.authAndCount(w, r); !ok {
			return
		}
	}
	if _, ok := m.s.account("mastodon", id); !ok {
		mdnError(w, http.StatusNotFound, "Record not found")
		return
	}
	q := r.URL.Query()
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			mdnError(w, http.StatusBadRequest, "limit must be a positive number")
			return
		}
		limit = min(n, mdnStatusPageLimit)
	}
	maxID, minID := q.Get("max_id"), q.Get("min_id")
	if minID == "" {
		minID = q.Get("since_id")
	}
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	now := m.s.now()
	var list []*Post
	for _, p := range m.s.accountPostsLocked("mastodon", id) {
		if !p.Visible(now) ||
			(maxID != "" && !mdnIDLess(p.ID, maxID)) || (minID != "" && !mdnIDLess(minID, p.ID)) {
			continue
		}
		list = append(list, p)
	}
	slices.SortFunc(list, func(a, b *Post) int {
		if mdnIDLess(a.ID, b.ID) {
			return 1
		}
		return -1
	})
	if len(list) > limit {
		list = list[:limit]
	}
	out := []map[string]any{}
	for _, p := range list {
		out = append(out, m.statusJSONLocked(r, p))
	}
	if len(list) > 0 {
		link := m.s.base(r) + MastodonPath + "/api/v1/accounts/" + url.PathEscape(id) + "/statuses?limit=" + strconv.Itoa(limit)
		w.Header().Set("Link", fmt.Sprintf(`<%s&max_id=%s>; rel="next", <%s&min_id=%s>; rel="prev"`, link, list[len(list)-1].ID, link, list[0].ID))
	}
	writeJSON(w, http.StatusOK, out)
}

// mdnLangRE is what the fake accepts as a language (ISO 639-1 or -3).
var mdnLangRE = regexp.MustCompile(`^[a-z]{2,3}$`)

// handleCreateStatus serves POST /api/v1/statuses.
func (m *mastodon) handleCreateStatus(w http.ResponseWriter, r *http.Request) {
	claims, ok := m.authAndCount(w, r)
	if !ok {
		return
	}
	p, _, err := mdnParams(r)
	if err != nil {
		mdnError(w, http.StatusBadRequest, err.Error())
		return
	}
	account := claims.Account
	key := r.Header.Get("Idempotency-Key")
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	st := m.stateLocked()
	now := s.now()
	if key != "" {
		if prev, ok := st.idem[account+"\x00"+key]; ok && now.Sub(prev.at) < mdnIdempotencyTTL {
			if post := s.byID[postKey{"mastodon", prev.statusID}]; post != nil && post.DeletedAt == nil {
				s.log.Info("sandbox: mastodon idempotent repeat", "account_id", account, "status_id", post.ID)
				writeJSON(w, http.StatusOK, m.statusJSONLocked(r, post))
				return
			}
		}
	}
	text := p.Get("status")
	ids := append(p["media_ids[]"], p["media_ids"]...)
	visibility := p.Get("visibility")
	if visibility == "" {
		visibility = "public"
	}
	switch {
	case strings.TrimSpace(text) == "" && len(ids) == 0:
		mdnError(w, http.StatusUnprocessableEntity, "Validation failed: Text can't be blank")
		return
	case mdnLength(text) > mdnMaxChars:
		mdnError(w, http.StatusUnprocessableEntity, fmt.Sprintf("Validation failed: Text character limit of %d exceeded", mdnMaxChars))
		return
	case len(ids) > mdnMaxMedia:
		mdnError(w, http.StatusUnprocessableEntity, fmt.Sprintf("Validation failed: Media attachments cannot be more than %d", mdnMaxMedia))
		return
	case !slices.Contains([]string{"public", "unlisted", "private", "direct"}, visibility):
		mdnError(w, http.StatusUnprocessableEntity, "Validation failed: Visibility is not included in the list")
		return
	}
	var images []Image
	for _, id := range ids {
		md := st.media[id]
		if md == nil || md.account != account || md.attachedTo != "" {
			mdnError(w, http.StatusUnprocessableEntity, "Validation failed: Media attachments are invalid")
			return
		}
		if md.async && md.polls < mdnPollsToProcess {
			mdnError(w, http.StatusUnprocessableEntity, "Cannot attach files that have not finished processing. Try again in a moment!")
			return
		}
		images = append(images, md.image)
	}
	lang := strings.ToLower(p.Get("language"))
	if !mdnLangRE.MatchString(lang) {
		lang = ""
	}
	link := ""
	if ls := mdnLinks(text); len(ls) > 0 {
		link = text[ls[0][0]:ls[0][1]]
	}
	post := &Post{Platform: "mastodon", AccountID: account, ID: s.newIDLocked(), Text: text, Link: link, Images: images, CreatedAt: now.UTC()}
	for _, id := range ids {
		st.media[id].attachedTo = post.ID
	}
	st.meta[post.ID] = mdnMeta{visibility: visibility, language: lang, sensitive: p.Get("sensitive") == "true", spoiler: p.Get("spoiler_text")}
	if key != "" {
		st.idem[account+"\x00"+key] = mdnIdem{statusID: post.ID, at: now}
	}
	s.addPostLocked(post)
	s.log.Info("sandbox: mastodon status created", "account_id", account, "status_id", post.ID, "media", len(images))
	writeJSON(w, http.StatusOK, m.statusJSONLocked(r, post))
}

// handleGetStatus serves GET /api/v1/statuses/{id}.
func (m *mastodon) handleGetStatus(w http.ResponseWriter, r *http.Request) {
	if bearer(r) != "" {
		if _, ok := m.authAndCount(w, r); !ok {
			return
		}
	}
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	p := m.s.byID[postKey{"mastodon", r.PathValue("id")}]
	if p == nil || !p.Visible(m.s.now()) {
		mdnError(w, http.StatusNotFound, "Record not found")
		return
	}
	writeJSON(w, http.StatusOK, m.statusJSONLocked(r, p))
}

// handleDeleteStatus serves DELETE /api/v1/statuses/{id}: the deleted
// status with its source text, for redrafting.
func (m *mastodon) handleDeleteStatus(w http.ResponseWriter, r *http.Request) {
	claims, ok := m.authAndCount(w, r)
	if !ok {
		return
	}
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	if !m.countLocked(w, claims.Account, "deletes", mdnDeleteLimit, mdnDeletePeriod) {
		return
	}
	p := m.s.byID[postKey{"mastodon", r.PathValue("id")}]
	if p == nil || p.DeletedAt != nil || p.AccountID != claims.Account {
		mdnError(w, http.StatusNotFound, "Record not found")
		return
	}
	now := m.s.now().UTC()
	p.DeletedAt = &now
	out := m.statusJSONLocked(r, p)
	out["text"] = p.Text
	writeJSON(w, http.StatusOK, out)
}

// handleUpload serves POST /api/v2/media (and the older /api/v1/media):
// 200 with the attachment when processed at once, 202 with url null when
// processing goes on (uploads over mdnAsyncAbove).
func (m *mastodon) handleUpload(w http.ResponseWriter, r *http.Request) {
	claims, ok := m.authAndCount(w, r)
	if !ok {
		return
	}
	p, files, err := mdnParams(r)
	if err != nil {
		mdnError(w, http.StatusBadRequest, err.Error())
		return
	}
	f, ok := files["file"]
	switch {
	case !ok:
		mdnError(w, http.StatusUnprocessableEntity, "Validation failed: File can't be blank")
		return
	case len(f.data) > mdnImageLimit:
		mdnError(w, http.StatusUnprocessableEntity, "Validation failed: File file size must be less than 16 MB")
		return
	case len([]rune(p.Get("description"))) > mdnMaxDescription:
		mdnError(w, http.StatusUnprocessableEntity, "Validation failed: Description is too long (maximum is 1500 characters)")
		return
	}
	ct := http.DetectContentType(f.data)
	if !slices.Contains([]string{"image/jpeg", "image/png", "image/gif", "image/webp"}, ct) {
		mdnError(w, http.StatusUnprocessableEntity, "Validation failed: File content type is invalid, File is invalid")
		return
	}
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !m.countLocked(w, claims.Account, "media", mdnMediaLimit, mdnMediaPeriod) {
		return
	}
	sum := sha256.Sum256(f.data)
	img := Image{ID: s.newIDLocked(), ContentType: ct, Size: int64(len(f.data)), SHA256: fmt.Sprintf("%x", sum), AltText: p.Get("description")}
	s.putMediaLocked(img.ID, ct, f.data)
	md := &mdnMedia{account: claims.Account, image: img, description: img.AltText, async: len(f.data) > mdnAsyncAbove}
	m.stateLocked().media[img.ID] = md
	s.addUploadLocked(&Upload{Platform: "mastodon", AccountID: claims.Account, Image: img, CreatedAt: s.now().UTC()})
	if md.async {
		writeJSON(w, http.StatusAccepted, m.mediaJSONLocked(r, img, false))
		return
	}
	writeJSON(w, http.StatusOK, m.mediaJSONLocked(r, img, true))
}

// handleGetMedia serves GET /api/v1/media/{id}: 206 with url null while
// processing, 200 once done.
func (m *mastodon) handleGetMedia(w http.ResponseWriter, r *http.Request) {
	claims, ok := m.authAndCount(w, r)
	if !ok {
		return
	}
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	md := m.stateLocked().media[r.PathValue("id")]
	if md == nil || md.account != claims.Account {
		mdnError(w, http.StatusNotFound, "Record not found")
		return
	}
	if md.async && md.polls < mdnPollsToProcess {
		md.polls++
		if md.polls < mdnPollsToProcess {
			writeJSON(w, http.StatusPartialContent, m.mediaJSONLocked(r, md.image, false))
			return
		}
	}
	writeJSON(w, http.StatusOK, m.mediaJSONLocked(r, md.image, true))
}

// handleAuthorize serves GET /oauth/authorize: the consent page, which
// remembers the PKCE challenge (S256 only) for the decision.
func (m *mastodon) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	req, ok := m.s.readConsentRequest(w, r, "mastodon")
	if !ok {
		return
	}
	q := r.URL.Query()
	ch := mdnChallenge{challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method")}
	if ch.challenge != "" && ch.method != "S256" {
		consentError(w, "The sandbox supports PKCE with code_challenge_method=S256 only.")
		return
	}
	if len(req.Scopes) == 0 {
		req.Scopes = []string{"read"}
	}
	signed := m.s.signBlob(req)
	if ch.challenge != "" {
		m.s.mu.Lock()
		m.stateLocked().pkce[signed] = ch
		m.s.mu.Unlock()
	}
	p := consentPage{PlatformTitle: "Mastodon (" + r.Host + ")", ClientID: req.ClientID, Action: r.URL.Path, Request: signed,
		Scopes: req.Scopes, Legend: "Sign in as", NewLabel: "a new account, display name", NewDefault: "Sandbox Officer"}
	for _, a := range m.s.Accounts("mastodon") {
		p.Accounts = append(p.Accounts, consentAccount{ID: a.ID, Name: a.Name + " (@" + mdnUsername(a) + ")"})
	}
	if len(p.Accounts) > 0 {
		p.Accounts[0].Checked = true
	} else {
		p.NewChecked = true
	}
	renderPage(w, http.StatusOK, "consent", "Authorize — Mastodon", p)
}

// mdnCode is an authorization code's signed content.
type mdnCode struct {
	ClientID    string   `json:"c"`
	RedirectURI string   `json:"r"`
	Scopes      []string `json:"sc"`
	Account     string   `json:"a"`
	Name        string   `json:"n"`
	Challenge   string   `json:"ch,omitempty"`
	Expires     int64    `json:"e"`
	Nonce       string   `json:"no"`
}

// handleDecision serves the consent form's POST: back to the app with a
// code, or with access_denied.
func (m *mastodon) handleDecision(w http.ResponseWriter, r *http.Request) {
	req, approve, scopes, ok := m.s.readDecision(w, r, "mastodon")
	if !ok {
		return
	}
	signed := r.PostForm.Get("request")
	m.s.mu.Lock()
	ch := m.stateLocked().pkce[signed]
	delete(m.stateLocked().pkce, signed)
	m.s.mu.Unlock()
	if !approve {
		redirectTo(w, r, req.RedirectURI, url.Values{"error": {"access_denied"},
			"error_description": {"The resource owner or authorization server denied the request."}, "state": {req.State}}, "")
		return
	}
	var acct Account
	switch choice := r.PostForm.Get("account"); {
	case choice != "" && choice != "new":
		a, known := m.s.account("mastodon", choice)
		if !known {
			consentError(w, "There is no such account on this sandbox instance.")
			return
		}
		acct = a
	default:
		name := strings.TrimSpace(r.PostForm.Get("new_account"))
		if name == "" {
			consentError(w, "Give the new account a display name.")
			return
		}
		acct = Account{ID: stableID("1109", name, 12), Name: name}
	}
	nonce := make([]byte, 12)
	rand.Read(nonce)
	code := m.s.signBlob(mdnCode{ClientID: req.ClientID, RedirectURI: req.RedirectURI, Scopes: scopes, Account: acct.ID, Name: acct.Name,
		Challenge: ch.challenge, Expires: m.s.now().Add(oauthCodeTTL).Unix(), Nonce: base64.RawURLEncoding.EncodeToString(nonce)})
	redirectTo(w, r, req.RedirectURI, url.Values{"code": {code}, "state": {req.State}}, "")
}

// handleToken serves POST /oauth/token: the authorization-code grant, with
// the client's secret and, if the authorization asked for PKCE, the
// verifier.
func (m *mastodon) handleToken(w http.ResponseWriter, r *http.Request) {
	p, _, err := mdnParams(r)
	if err != nil {
		mdnOAuthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	clientID, secret := p.Get("client_id"), p.Get("client_secret")
	if u, pw, ok := r.BasicAuth(); ok {
		clientID, secret = u, pw
	}
	if clientID == "" || !hmac.Equal([]byte(secret), []byte(m.s.MastodonClientSecret(clientID))) {
		mdnOAuthError(w, http.StatusUnauthorized, "invalid_client",
			"Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")
		return
	}
	if gt := p.Get("grant_type"); gt != "authorization_code" {
		mdnOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
		return
	}
	invalid := func() {
		mdnOAuthError(w, http.StatusBadRequest, "invalid_grant",
			"The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.")
	}
	var c mdnCode
	if m.s.openBlob(p.Get("code"), &c) != nil || c.ClientID != clientID || c.RedirectURI != p.Get("redirect_uri") {
		invalid()
		return
	}
	now := m.s.now()
	m.s.mu.Lock()
	st := m.stateLocked()
	for n, exp := range st.used {
		if now.Unix() > exp {
			delete(st.used, n)
		}
	}
	_, used := st.used[c.Nonce]
	st.used[c.Nonce] = c.Expires
	m.s.mu.Unlock()
	if used || now.Unix() > c.Expires {
		invalid()
		return
	}
	if c.Challenge != "" {
		sum := sha256.Sum256([]byte(p.Get("code_verifier")))
		if p.Get("code_verifier") == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != c.Challenge {
			invalid()
			return
		}
	}
	tok := m.s.MintToken("mastodon", c.Account, c.Name, 0)
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "scope": strings.Join(c.Scopes, " "), "created_at": now.Unix()})
}

// handlePage serves GET /sandbox/mastodon/www/{account}.
func (m *mastodon) handlePage(w http.ResponseWriter, r *http.Request) {
	m.s.renderFeed(w, r, "mastodon", r.PathValue("account"), "")
}

// handlePost serves GET /sandbox/mastodon/www/{account}/{status}.
func (m *mastodon) handlePost(w http.ResponseWriter, r *http.Request) {
	m.s.renderFeed(w, r, "mastodon", r.PathValue("account"), r.PathValue("status"))
}
