package sandbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash/fnv"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Facebook Login (platform-apis.md §1.2): the consent dialog on the web host,
// the token endpoint (authorization code → short-lived user token;
// fb_exchange_token → long-lived user token) and the user's Pages with their
// Page tokens. Connectors use the same GraphURL and WebURL as for
// publishing: the dialog is WebURL+"/{version}/dialog/oauth", the token
// endpoint GraphURL+"/{version}/oauth/access_token".
//
// This file also holds what the sandbox's consent dialogs share (Instagram
// and Threads use them too): signed requests and codes, the consent page,
// and the rule that a dialog only sends the browser back to the server the
// sandbox runs on — the sandbox does not know the app's registered redirect
// URIs, and must not become an open redirector.

// Limits of the fake Facebook Login.
const (
	oauthCodeTTL        = 10 * time.Minute // an authorization code's life
	oauthRequestTTL     = time.Hour        // how long a consent page may stay open
	fbShortTokenTTL     = time.Hour
	fbLongTokenTTL      = 5183944 * time.Second // ~60 days, as Meta answers
	fbSandboxUserID     = "100090000000001"
	fbSandboxUserName   = "Sandbox Officer"
	fbDefaultPageName   = "Sandbox Department Page"
	fbUserTokenPlatform = "facebook#user" // user tokens are not Page tokens
)

// fbPageTasks are the tasks of a Page role with full control, and of one
// that may only analyse.
var (
	fbPublishTasks = []string{"ANALYZE", "ADVERTISE", "MESSAGING", "MODERATE", "CREATE_CONTENT", "MANAGE"}
	fbAnalyzeTasks = []string{"ANALYZE"}
)

func init() {
	template.Must(pageTemplates.New("consent").Parse(consentTemplate))
}

// mountFacebookOAuth registers Facebook Login's endpoints, after the rest
// of the "facebook" platform (see the init below). Its routes are more
// specific than facebook.go's catch-all Graph handler, which keeps serving
// every call made with a Page token.
func mountFacebookOAuth(s *Server, mux *http.ServeMux) {
	fb := &facebook{s: s}
	o := &fbOAuth{s: s, fb: fb}
	classify := func(r *http.Request) (string, Op) { return "", OpRead }
	wrap := func(h http.HandlerFunc) http.Handler { return s.withFaults("facebook", classify, fb.renderFault, h) }
	for _, prefix := range []string{FacebookGraphPath, FacebookGraphPath + "/{v}"} {
		mux.Handle(prefix+"/oauth/access_token", wrap(o.handleToken))
		// GET /me, /me/accounts and /me/permissions answer user tokens
		// here and hand Page tokens on to facebook.go.
		mux.Handle("GET "+prefix+"/me", s.withFaults("facebook", fb.classify, fb.renderFault, http.HandlerFunc(o.handleMe)))
		mux.Handle("GET "+prefix+"/me/accounts", s.withFaults("facebook", fb.classify, fb.renderFault, http.HandlerFunc(o.handleMe)))
		mux.Handle("GET "+prefix+"/me/permissions", s.withFaults("facebook", fb.classify, fb.renderFault, http.HandlerFunc(o.handleMe)))
	}
	mux.HandleFunc("GET "+FacebookWebPath+"/{v}/dialog/oauth", o.handleDialog)
	mux.HandleFunc("POST "+FacebookWebPath+"/{v}/dialog/oauth", o.handleDecision)
}

func init() {
	// Facebook Login belongs to the "facebook" platform, registered by
	// facebook.go (initialised first: files initialise in name order).
	p := lookupPlatform("facebook")
	if p == nil {
		panic("sandbox: facebook_oauth.go initialised before facebook.go")
	}
	mount := p.mount
	p.mount = func(s *Server, mux *http.ServeMux) {
		mount(s, mux)
		mountFacebookOAuth(s, mux)
	}
}

type fbOAuth struct {
	s  *Server
	fb *facebook
}

// Signed blobs: consent requests and authorization codes travel through the
// browser; they are signed so that nobody can change the redirect target,
// the client or the accounts granted. "sbxc1.<base64url JSON>.<mac>".

const blobPrefix = "sbxc1."

func (s *Server) signBlob(v any) string {
	payload, _ := json.Marshal(v)
	p := base64.RawURLEncoding.EncodeToString(payload)
	return blobPrefix + p + "." + base64.RawURLEncoding.EncodeToString(s.mac("blob:"+p))
}

var errBadBlob = errors.New("sandbox: malformed or forged value")

func (s *Server) openBlob(str string, v any) error {
	rest, ok := strings.CutPrefix(str, blobPrefix)
	p, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return errBadBlob
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac("blob:"+p)) {
		return errBadBlob
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || json.Unmarshal(payload, v) != nil {
		return errBadBlob
	}
	return nil
}

// consentRequest is what a consent page was asked for.
type consentRequest struct {
	Platform    string   `json:"p"`
	ClientID    string   `json:"c"`
	RedirectURI string   `json:"r"`
	State       string   `json:"s"`
	Scopes      []string `json:"sc"`
	Expires     int64    `json:"e"`
}

// grantedAccount is an account a consent grants, with its tasks (Facebook
// Page roles).
type grantedAccount struct {
	ID    string   `json:"id"`
	Name  string   `json:"n"`
	Tasks []string `json:"t,omitempty"`
}

// authCode is an authorization code's signed content.
type authCode struct {
	Platform    string           `json:"p"`
	ClientID    string           `json:"c"`
	RedirectURI string           `json:"r"`
	Scopes      []string         `json:"sc"`
	Accounts    []grantedAccount `json:"a"`
	Expires     int64            `json:"e"`
	Nonce       string           `json:"n"`
}

// oauthState is the consent dialogs' shared memory: codes already used.
type oauthState struct {
	used map[string]int64 // nonce → the code's expiry (unix seconds)
}

// useCode marks a code as used; false if it was used before.
func (s *Server) useCode(c authCode) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := platformStateLocked(s, "meta#oauth-codes", func() *oauthState { return &oauthState{used: map[string]int64{}} })
	now := s.now()
	for n, exp := range st.used {
		if now.Unix() > exp {
			delete(st.used, n)
		}
	}
	if _, seen := st.used[c.Nonce]; seen {
		return false
	}
	st.used[c.Nonce] = c.Expires
	return true
}

func (s *Server) newCode(platform string, req consentRequest, scopes []string, accounts []grantedAccount) string {
	nonce := make([]byte, 12)
	rand.Read(nonce)
	return s.signBlob(authCode{Platform: platform, ClientID: req.ClientID, RedirectURI: req.RedirectURI, Scopes: scopes,
		Accounts: accounts, Expires: s.now().Add(oauthCodeTTL).Unix(), Nonce: base64.RawURLEncoding.EncodeToString(nonce)})
}

// redirectAllowed reports whether a dialog may send the browser to uri: an
// absolute http(s) URL on the host the request came to, or on BaseURL's.
func (s *Server) redirectAllowed(r *http.Request, uri string) bool {
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	if s.baseURL != "" {
		if b, err := url.Parse(s.baseURL); err == nil && strings.EqualFold(b.Host, u.Host) {
			return true
		}
	}
	return false
}

// redirectTo sends the browser to uri with params added to its query and
// an optional fragment (Instagram appends "#_").
func redirectTo(w http.ResponseWriter, r *http.Request, uri string, params url.Values, fragment string) {
	u, _ := url.Parse(uri)
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	u.Fragment = fragment
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// consentAccount is one account offered on a consent page.
type consentAccount struct {
	ID, Name string
	Checked  bool
}

// consentPage is a consent page's content.
type consentPage struct {
	PlatformTitle string
	ClientID      string
	Action        string
	Request       string
	Scopes        []string
	// Multiple: checkboxes (Facebook Pages) rather than one choice.
	Multiple bool
	// Tasks offers a "may create content" switch per account.
	Tasks      bool
	Legend     string
	Accounts   []consentAccount
	NewLabel   string
	NewDefault string
	NewChecked bool
}

const consentTemplate = `{{define "consent"}}
<h1>{{.PlatformTitle}} — allow access?</h1>
<p class="note">An app (client id <span class="id">{{.ClientID}}</span>) asks to act on {{.PlatformTitle}} for you. This page stands in for {{.PlatformTitle}}'s own consent dialog; nothing here touches a real account.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="request" value="{{.Request}}">
<fieldset>
<legend>Permissions asked for (untick one to refuse it)</legend>
{{range .Scopes}}<label><input type="checkbox" name="scope" value="{{.}}" checked> {{.}}</label><br>
{{end}}</fieldset>
<fieldset>
<legend>{{.Legend}}</legend>
{{range .Accounts}}<label><input type="{{if $.Multiple}}checkbox{{else}}radio{{end}}" name="account" value="{{.ID}}"{{if .Checked}} checked{{end}}> {{.Name}} <span class="id">{{.ID}}</span></label>{{if $.Tasks}} <label><input type="checkbox" name="publish" value="{{.ID}}" checked> may create content</label>{{end}}<br>
{{end}}{{if not .Multiple}}<label><input type="radio" name="account" value="new"{{if .NewChecked}} checked{{end}}> another:</label> {{end}}<label>{{.NewLabel}} <input type="text" name="new_account" value="{{.NewDefault}}"></label>{{if .Tasks}} <label><input type="checkbox" name="new_publish" value="1" checked> may create content</label>{{end}}
</fieldset>
<p><button type="submit" name="decision" value="approve">Approve</button> <button type="submit" name="decision" value="deny">Deny</button></p>
</form>
{{end}}`

// consentError shows a dialog error (a bad client or redirect URI) without
// redirecting anywhere.
func consentError(w http.ResponseWriter, msg string) {
	renderPage(w, http.StatusBadRequest, "notfound", "Cannot continue", map[string]string{"Message": msg})
}

// readConsentRequest checks a dialog's query and returns the request to sign
// into the page.
func (s *Server) readConsentRequest(w http.ResponseWriter, r *http.Request, platform string) (consentRequest, bool) {
	q := r.URL.Query()
	req := consentRequest{Platform: platform, ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"), State: q.Get("state"),
		Expires: s.now().Add(oauthRequestTTL).Unix()}
	switch {
	case req.ClientID == "":
		consentError(w, "The app did not say who it is (client_id is missing).")
		return req, false
	case req.RedirectURI == "":
		consentError(w, "redirect_uri is missing.")
		return req, false
	case !s.redirectAllowed(r, req.RedirectURI):
		consentError(w, "URL blocked: the sandbox only sends you back to the server it runs on, and this redirect_uri points elsewhere.")
		return req, false
	case q.Get("response_type") != "" && q.Get("response_type") != "code":
		consentError(w, "The sandbox supports response_type=code only.")
		return req, false
	}
	for _, sc := range strings.FieldsFunc(q.Get("scope"), func(r rune) bool { return r == ',' || r == ' ' || r == '+' }) {
		if !slices.Contains(req.Scopes, sc) {
			req.Scopes = append(req.Scopes, sc)
		}
	}
	if cfg := q.Get("config_id"); cfg != "" && len(req.Scopes) == 0 {
		// Facebook Login for Business: the permissions live in the
		// configuration; the sandbox grants the usual publishing set.
		req.Scopes = []string{"pages_show_list", "pages_manage_posts", "pages_read_engagement", "pages_manage_metadata", "read_insights"}
	}
	return req, true
}

// readDecision reads a consent page's answer. ok is false when the page
// itself was refused (and answered).
func (s *Server) readDecision(w http.ResponseWriter, r *http.Request, platform string) (req consentRequest, approve bool, scopes []string, ok bool) {
	if err := r.ParseForm(); err != nil {
		consentError(w, "The form could not be read.")
		return req, false, nil, false
	}
	if s.openBlob(r.PostForm.Get("request"), &req) != nil || req.Platform != platform {
		consentError(w, "The consent form was changed or is not from this dialog.")
		return req, false, nil, false
	}
	if s.now().Unix() > req.Expires {
		consentError(w, "The consent page was open too long; start again from the app.")
		return req, false, nil, false
	}
	if !s.redirectAllowed(r, req.RedirectURI) {
		consentError(w, "URL blocked: the redirect_uri points away from this server.")
		return req, false, nil, false
	}
	for _, sc := range r.PostForm["scope"] {
		if slices.Contains(req.Scopes, sc) && !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	return req, r.PostForm.Get("decision") == "approve", scopes, true
}

// stableID makes a numeric id from a name, so that connecting the same
// name again gives the same account.
func stableID(prefix, name string, digits int) string {
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(strings.TrimSpace(name))))
	n := strconv.FormatUint(h.Sum64(), 10)
	for len(n) < digits {
		n = "0" + n
	}
	return prefix + n[len(n)-digits:]
}

// handleDialog serves GET /sandbox/facebook/www/{v}/dialog/oauth.
func (o *fbOAuth) handleDialog(w http.ResponseWriter, r *http.Request) {
	if !versionRE.MatchString(r.PathValue("v")) {
		consentError(w, "Unknown API version "+r.PathValue("v")+".")
		return
	}
	req, ok := o.s.readConsentRequest(w, r, "facebook")
	if !ok {
		return
	}
	p := consentPage{PlatformTitle: "Facebook", ClientID: req.ClientID, Action: r.URL.Path, Request: o.s.signBlob(req),
		Scopes: req.Scopes, Multiple: true, Tasks: true, Legend: "Pages to give the app access to", NewLabel: "Add a Page named"}
	for _, a := range o.s.Accounts("facebook") {
		p.Accounts = append(p.Accounts, consentAccount{ID: a.ID, Name: a.Name, Checked: true})
	}
	if len(p.Accounts) == 0 {
		p.NewDefault = fbDefaultPageName
	}
	renderPage(w, http.StatusOK, "consent", "Log in with Facebook", p)
}

// handleDecision serves the consent form's POST: back to the app with a
// code, or with Facebook's "user denied" error.
func (o *fbOAuth) handleDecision(w http.ResponseWriter, r *http.Request) {
	req, approve, scopes, ok := o.s.readDecision(w, r, "facebook")
	if !ok {
		return
	}
	if !approve {
		redirectTo(w, r, req.RedirectURI, url.Values{"error": {"access_denied"}, "error_code": {"200"},
			"error_description": {"Permissions error"}, "error_reason": {"user_denied"}, "state": {req.State}}, "_=_")
		return
	}
	publish := r.PostForm["publish"]
	var accounts []grantedAccount
	for _, id := range r.PostForm["account"] {
		a, known := o.s.account("facebook", id)
		if !known {
			continue
		}
		tasks := fbAnalyzeTasks
		if slices.Contains(publish, id) {
			tasks = fbPublishTasks
		}
		accounts = append(accounts, grantedAccount{ID: a.ID, Name: a.Name, Tasks: tasks})
	}
	if name := strings.TrimSpace(r.PostForm.Get("new_account")); name != "" {
		tasks := fbAnalyzeTasks
		if r.PostForm.Get("new_publish") != "" {
			tasks = fbPublishTasks
		}
		id := stableID("1", name, 14)
		if !slices.ContainsFunc(accounts, func(a grantedAccount) bool { return a.ID == id }) {
			accounts = append(accounts, grantedAccount{ID: id, Name: name, Tasks: tasks})
		}
	}
	code := o.s.newCode("facebook", req, scopes, accounts)
	redirectTo(w, r, req.RedirectURI, url.Values{"code": {code}, "state": {req.State}}, "_=_")
}

// fbUser is what a user token carries: the Pages and permissions granted.
type fbUser struct {
	Scopes []string         `json:"sc"`
	Pages  []grantedAccount `json:"pg"`
}

// mintUserToken makes a user token; its grant rides in the (otherwise
// unused) name claim, so that user tokens stay stateless like the rest.
func (o *fbOAuth) mintUserToken(u fbUser, ttl time.Duration) (string, time.Time) {
	grant, _ := json.Marshal(u)
	now := o.s.now()
	nonce := make([]byte, 9)
	rand.Read(nonce)
	c := tokenClaims{Platform: fbUserTokenPlatform, Account: fbSandboxUserID, Name: string(grant), Issued: now.Unix(),
		Expires: now.Add(ttl).Unix(), Nonce: base64.RawURLEncoding.EncodeToString(nonce)}
	return o.s.signToken(c), c.expiresAt()
}

// parseUserToken checks a user token. Unlike parseToken it records no
// account: a user is not a Page.
func (o *fbOAuth) parseUserToken(tok string) (tokenClaims, fbUser, bool) {
	var c tokenClaims
	var u fbUser
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	p, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return c, u, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, o.s.mac(p)) {
		return c, u, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || json.Unmarshal(payload, &c) != nil || c.Platform != fbUserTokenPlatform || json.Unmarshal([]byte(c.Name), &u) != nil {
		return c, u, false
	}
	return c, u, true
}

// handleToken serves /{v}/oauth/access_token (GET or POST): the
// authorization-code grant and the fb_exchange_token grant.
func (o *fbOAuth) handleToken(w http.ResponseWriter, r *http.Request) {
	fb := o.fb
	c, gerr := parseGraphAt(r, FacebookGraphPath)
	if gerr != nil {
		fb.writeError(w, *gerr)
		return
	}
	if v := r.PathValue("v"); v != "" && !versionRE.MatchString(v) {
		fb.writeError(w, graphErr{code: 2500, message: "Unknown path components: " + r.URL.Path})
		return
	}
	p := c.params
	if p.Get("client_id") == "" {
		fb.writeError(w, graphErr{code: 101, message: "Missing client_id parameter."})
		return
	}
	if p.Get("client_secret") == "" {
		fb.writeError(w, graphErr{code: 101, message: "Missing client_secret parameter."})
		return
	}
	now := o.s.now()
	switch p.Get("grant_type") {
	case "", "authorization_code":
		if p.Get("redirect_uri") == "" {
			fb.writeError(w, graphErr{code: 191, message: "Missing redirect_uri parameter."})
			return
		}
		var code authCode
		switch {
		case p.Get("code") == "" || o.s.openBlob(p.Get("code"), &code) != nil || code.Platform != "facebook":
			fb.writeError(w, graphErr{code: 100, message: "Invalid verification code format."})
			return
		case now.Unix() > code.Expires:
			fb.writeError(w, graphErr{code: 100, subcode: 36007, message: "This authorization code has expired."})
			return
		case code.RedirectURI != p.Get("redirect_uri"):
			fb.writeError(w, graphErr{code: 100, subcode: 36008, message: "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request"})
			return
		case code.ClientID != p.Get("client_id"):
			fb.writeError(w, graphErr{code: 100, message: "Error validating verification code: the code was issued to another app."})
			return
		case !o.s.useCode(code):
			fb.writeError(w, graphErr{code: 100, subcode: 36009, message: "This authorization code has been used."})
			return
		}
		tok, _ := o.mintUserToken(fbUser{Scopes: code.Scopes, Pages: code.Accounts}, fbShortTokenTTL)
		writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": int(fbShortTokenTTL.Seconds())})
	case "fb_exchange_token":
		claims, u, ok := o.parseUserToken(p.Get("fb_exchange_token"))
		switch {
		case !ok:
			fb.writeError(w, errBadToken())
			return
		case claims.expired(now):
			fb.writeError(w, errExpiredToken(claims.expiresAt(), now))
			return
		}
		tok, _ := o.mintUserToken(u, fbLongTokenTTL)
		writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": int(fbLongTokenTTL.Seconds())})
	default:
		fb.writeError(w, errParam("Unsupported grant_type "+p.Get("grant_type")))
	}
}

// handleMe serves GET /me, /me/accounts and /me/permissions for user
// tokens, and hands every other token to facebook.go's Graph handler.
func (o *fbOAuth) handleMe(w http.ResponseWriter, r *http.Request) {
	fb := o.fb
	c, gerr := peekGraph(r, FacebookGraphPath) // the body stays readable for serveGraph
	if gerr != nil {
		fb.writeError(w, *gerr)
		return
	}
	claims, u, isUser := o.parseUserToken(c.token)
	if !isUser {
		fb.serveGraph(w, r)
		return
	}
	if v := r.PathValue("v"); v != "" && !versionRE.MatchString(v) {
		fb.writeError(w, graphErr{code: 2500, message: "Unknown path components: " + r.URL.Path})
		return
	}
	now := o.s.now()
	if claims.expired(now) {
		fb.writeError(w, errExpiredToken(claims.expiresAt(), now))
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/me"):
		writeJSON(w, http.StatusOK, map[string]string{"id": claims.Account, "name": fbSandboxUserName})
	case strings.HasSuffix(r.URL.Path, "/me/permissions"):
		data := []map[string]string{}
		for _, sc := range u.Scopes {
			data = append(data, map[string]string{"permission": sc, "status": "granted"})
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data})
	default:
		if !slices.Contains(u.Scopes, "pages_show_list") {
			writeJSON(w, http.StatusOK, map[string]any{"data": []any{}})
			return
		}
		data := []map[string]any{}
		for _, pg := range u.Pages {
			data = append(data, map[string]any{
				"access_token":  o.s.MintToken("facebook", pg.ID, pg.Name, 0), // from a long-lived user token: no expiry
				"category":      "Government organization",
				"category_list": []map[string]string{{"id": "2256", "name": "Government organization"}},
				"name":          pg.Name,
				"id":            pg.ID,
				"tasks":         pg.Tasks,
			})
		}
		out := map[string]any{"data": data}
		if len(u.Pages) > 0 {
			cur := func(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }
			out["paging"] = map[string]any{"cursors": map[string]string{"before": cur(u.Pages[0].ID), "after": cur(u.Pages[len(u.Pages)-1].ID)}}
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// peekGraph parses r like parseGraphAt but leaves its body readable.
func peekGraph(r *http.Request, prefix string) (*graphCall, *graphErr) {
	body := bufferBody(r, fbMaxBody)
	clone := r.Clone(r.Context())
	clone.Body = io.NopCloser(bytes.NewReader(body))
	return parseGraphAt(clone, prefix)
}

// parseGraphAt parses a Graph-style call to a fake mounted at prefix (the
// Facebook, Instagram or Threads Graph path), with parseGraph's rules.
func parseGraphAt(r *http.Request, prefix string) (*graphCall, *graphErr) {
	if prefix == FacebookGraphPath {
		return parseGraph(r)
	}
	clone := *r
	u := *r.URL
	u.Path = FacebookGraphPath + strings.TrimPrefix(r.URL.Path, prefix)
	u.RawPath = ""
	clone.URL = &u
	return parseGraph(&clone)
}
