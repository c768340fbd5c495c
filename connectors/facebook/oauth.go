package facebook

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

// Connecting Pages through Facebook Login (platform-apis.md §1.2): the
// dialog at WebURL/{version}/dialog/oauth; the code exchanged at
// GraphURL/{version}/oauth/access_token for a short-lived user token (about
// an hour), at once exchanged for a long-lived one (about 60 days,
// fb_exchange_token); the permissions granted (GET /me/permissions); and
// every Page the user manages with its Page token (GET /me/accounts).
//
// Each Page becomes one account whose credential is its Page token. Page
// tokens taken from a long-lived user token do not expire (Meta's
// documented behaviour, widely confirmed), so they are stored without an
// expiry and RefreshDue is false for them: nothing needs renewing. They
// still stop working when the user changes their password, loses the Page
// role or removes the app; the next call then fails with 190 and the
// account is marked for reconnection. The user token itself is not kept.
//
// Refresher covers credentials that do expire — a user token stored as an
// account's credential, or a Page token taken from a short-lived user token
// by some other means: fb_exchange_token renews it for another 60 days,
// some days (OAuthConfig.RefreshBefore) before it expires. Facebook has no
// refresh token, and an expired token cannot be exchanged: the account must
// log in again.
//
// The token endpoint is called by hand (POST, form-encoded; Meta accepts
// GET or POST) rather than through golang.org/x/oauth2: its errors come in
// the Graph envelope, which connectors.GraphClassifier reads, and the
// fb_exchange_token grant is not a standard one.

// OAuthConfig configures connecting Pages through Facebook Login. Zero
// fields take the defaults given on each.
type OAuthConfig struct {
	// Scopes are the permissions asked for (default pages_show_list,
	// pages_manage_posts, pages_read_engagement, pages_manage_metadata,
	// read_insights).
	Scopes []string
	// ConfigID is a Facebook Login for Business configuration; when set,
	// the dialog gets config_id instead of scope (the permissions live in
	// the configuration).
	ConfigID string
	// RequiredScopes must all be granted for a Page to be usable (default
	// pages_show_list, pages_manage_posts, pages_read_engagement).
	RequiredScopes []string
	// RefreshBefore is how long before its expiry an expiring token is
	// renewed (default 10 days).
	RefreshBefore time.Duration
	// MaxAccountPages is how many pages of /me/accounts (100 Pages each)
	// Exchange reads (default 10).
	MaxAccountPages int
}

func (o OAuthConfig) withDefaults() OAuthConfig {
	if len(o.Scopes) == 0 {
		o.Scopes = []string{"pages_show_list", "pages_manage_posts", "pages_read_engagement", "pages_manage_metadata", "read_insights"}
	}
	if len(o.RequiredScopes) == 0 {
		o.RequiredScopes = []string{"pages_show_list", "pages_manage_posts", "pages_read_engagement"}
	}
	if o.RefreshBefore <= 0 {
		o.RefreshBefore = 10 * 24 * time.Hour
	}
	if o.MaxAccountPages <= 0 {
		o.MaxAccountPages = 10
	}
	return o
}

var (
	_ publisher.Authorizer = (*Connector)(nil)
	_ publisher.Refresher  = (*Connector)(nil)
)

// AuthCodeURL returns Facebook Login's dialog for state. Facebook Login's
// web flow takes no PKCE, so verifier is ignored.
func (c *Connector) AuthCodeURL(state, verifier, redirectURL string) string {
	o := c.cfg.OAuth.withDefaults()
	q := url.Values{"client_id": {c.cfg.AppID}, "redirect_uri": {redirectURL}, "state": {state}, "response_type": {"code"}}
	if o.ConfigID != "" {
		q.Set("config_id", o.ConfigID)
	} else {
		q.Set("scope", strings.Join(o.Scopes, ","))
	}
	return c.cfg.WebURL + "/" + c.cfg.APIVersion + "/dialog/oauth?" + q.Encode()
}

// Exchange trades an authorization code for one account per Page the user
// manages, each with its Page token. A Page the user may not post to (no
// CREATE_CONTENT task), or a login that withheld a required permission,
// gives the account a Problem instead of failing. Errors are
// *publisher.PlatformError; a refused, used or expired code is
// ClassRejected.
func (c *Connector) Exchange(ctx context.Context, code, verifier, redirectURL string) ([]publisher.GrantedAccount, error) {
	o := c.cfg.OAuth.withDefaults()
	code = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(code), "#_=_"), "#_")
	if code == "" {
		return nil, rejected("Facebook sent no authorization code.")
	}
	short, err := c.token(ctx, url.Values{"redirect_uri": {redirectURL}, "code": {code}})
	if err != nil {
		return nil, err
	}
	long, err := c.token(ctx, url.Values{"grant_type": {"fb_exchange_token"}, "fb_exchange_token": {short.AccessToken}})
	if err != nil {
		return nil, err
	}
	granted, err := c.permissions(ctx, long.AccessToken)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, s := range o.RequiredScopes {
		if !slices.Contains(granted, s) {
			missing = append(missing, s)
		}
	}
	q := url.Values{"fields": {"id,name,access_token,tasks,category"}, "limit": {"100"}}
	c.proof(q, long.AccessToken)
	var out []publisher.GrantedAccount
	for range o.MaxAccountPages {
		var page struct {
			Data []struct {
				ID          string   `json:"id"`
				Name        string   `json:"name"`
				AccessToken string   `json:"access_token"`
				Tasks       []string `json:"tasks"`
			} `json:"data"`
			Paging struct {
				Cursors struct {
					After string `json:"after"`
				} `json:"cursors"`
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := c.call(ctx, http.MethodGet, "/me/accounts", q, long.AccessToken, "", nil, &page); err != nil {
			return nil, readError(err)
		}
		for _, p := range page.Data {
			g := publisher.GrantedAccount{
				ExternalID:  p.ID,
				Handle:      p.Name,
				DisplayName: p.Name,
				ProfileURL:  c.cfg.WebURL + "/" + url.PathEscape(p.ID),
				Credentials: publisher.Credentials{AccessToken: p.AccessToken}, // no expiry: see above
				Scopes:      slices.Clone(granted),
			}
			switch {
			case len(missing) > 0:
				g.Problem = fmt.Sprintf("Facebook did not grant %s, which Prasar needs to publish; reconnect and allow every permission asked for.", strings.Join(missing, ", "))
			case !slices.Contains(p.Tasks, "CREATE_CONTENT"):
				g.Problem = "Your role on this Page does not let you create content (Facebook's CREATE_CONTENT task); ask a Page admin for full control, then reconnect."
			case p.AccessToken == "":
				g.Problem = "Facebook gave no Page token for this Page; reconnect."
			}
			out = append(out, g)
		}
		if page.Paging.Next == "" || page.Paging.Cursors.After == "" {
			break
		}
		q.Set("after", page.Paging.Cursors.After)
	}
	if len(out) == 0 {
		if slices.Contains(missing, "pages_show_list") {
			return nil, rejected("Facebook did not let Prasar see your Pages (pages_show_list was not granted); connect again and allow it.")
		}
		return nil, rejected("The Facebook login gave Prasar access to no Pages; connect again and choose the Pages to manage in Facebook's dialog.")
	}
	return out, nil
}

// permissions returns the permissions the user granted.
func (c *Connector) permissions(ctx context.Context, token string) ([]string, error) {
	var out struct {
		Data []struct {
			Permission string `json:"permission"`
			Status     string `json:"status"`
		} `json:"data"`
	}
	q := url.Values{}
	c.proof(q, token)
	if err := c.call(ctx, http.MethodGet, "/me/permissions", q, token, "", nil, &out); err != nil {
		return nil, readError(err)
	}
	var granted []string
	for _, p := range out.Data {
		if p.Status == "granted" {
			granted = append(granted, p.Permission)
		}
	}
	return granted, nil
}

// readError marks a failed read as unambiguous: it created nothing.
func readError(err error) error {
	pe := *publisher.AsPlatformError(err)
	pe.Ambiguous = false
	return &pe
}

// tokenAnswer is the token endpoint's answer.
type tokenAnswer struct {
	AccessToken string
	ExpiresIn   int64
}

// token calls the token endpoint with the app's credentials and form.
func (c *Connector) token(ctx context.Context, form url.Values) (*tokenAnswer, error) {
	form.Set("client_id", c.cfg.AppID)
	form.Set("client_secret", c.cfg.AppSecret)
	path := "/" + c.cfg.APIVersion + "/oauth/access_token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.GraphURL+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &publisher.PlatformError{Class: publisher.ClassRejected, Message: "Prasar could not build the Facebook request.", Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := connectors.Do(c.cfg.HTTPClient, req, c.cfg.MaxResponseBytes)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	c.cfg.Logger.DebugContext(ctx, "facebook: token call", "path", path, "grant", form.Get("grant_type"), "status", status,
		"duration_ms", time.Since(start).Milliseconds())
	if err != nil {
		return nil, readError(err)
	}
	if !resp.OK() {
		return nil, readError(c.classify.Classify(resp))
	}
	if _, isErr := connectors.ParseGraphError(resp.Body); isErr {
		return nil, readError(c.classify.Classify(resp))
	}
	var t struct {
		AccessToken string      `json:"access_token"`
		ExpiresIn   json.Number `json:"expires_in"`
	}
	dec := json.NewDecoder(bytes.NewReader(resp.Body))
	dec.UseNumber()
	if err := dec.Decode(&t); err != nil || t.AccessToken == "" {
		// Very old Graph versions answered form-encoded.
		v, perr := url.ParseQuery(string(resp.Body))
		if perr != nil || v.Get("access_token") == "" {
			return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Facebook's token answer could not be read.", Err: err}
		}
		t.AccessToken, t.ExpiresIn = v.Get("access_token"), json.Number(cmp.Or(v.Get("expires_in"), v.Get("expires")))
	}
	out := &tokenAnswer{AccessToken: t.AccessToken}
	if t.ExpiresIn != "" {
		out.ExpiresIn, _ = t.ExpiresIn.Int64()
	}
	return out, nil
}

// RefreshDue reports whether cred should be renewed at now: it expires
// (Page tokens from a long-lived user token do not), is not expired yet,
// and is within OAuthConfig.RefreshBefore of its expiry.
func (c *Connector) RefreshDue(cred publisher.Credentials, now time.Time) bool {
	if cred.AccessToken == "" || cred.ExpiresAt == nil || !now.Before(*cred.ExpiresAt) {
		return false
	}
	return !now.Before(cred.ExpiresAt.Add(-c.cfg.OAuth.withDefaults().RefreshBefore))
}

// Refresh renews an expiring token by fb_exchange_token. A token without
// an expiry is returned unchanged; an expired or revoked one is ClassAuth
// (Facebook cannot renew it: the account must log in again).
func (c *Connector) Refresh(ctx context.Context, acct *publisher.Account, cred publisher.Credentials) (publisher.Credentials, error) {
	now := c.cfg.Now()
	switch {
	case cred.AccessToken == "":
		return cred, &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no Facebook access token; reconnect it."}
	case cred.ExpiresAt == nil:
		return cred, nil
	case !now.Before(*cred.ExpiresAt):
		return cred, &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The Facebook access token expired on " + cred.ExpiresAt.UTC().Format(time.RFC3339) + "; reconnect the account."}
	}
	t, err := c.token(ctx, url.Values{"grant_type": {"fb_exchange_token"}, "fb_exchange_token": {cred.AccessToken}})
	if err != nil {
		pe := publisher.AsPlatformError(err)
		if pe.Class == publisher.ClassRejected {
			out := *pe
			out.Class = publisher.ClassAuth // only a new login helps
			return cred, &out
		}
		return cred, pe
	}
	out := publisher.Credentials{AccessToken: t.AccessToken, RefreshToken: cred.RefreshToken, Extra: cred.Extra}
	if t.ExpiresIn > 0 {
		exp := now.Add(time.Duration(t.ExpiresIn) * time.Second).UTC()
		out.ExpiresAt = &exp
	}
	id := ""
	if acct != nil {
		id = acct.ID
	}
	c.cfg.Logger.InfoContext(ctx, "facebook: token renewed", "account_id", id, "expires_at", out.ExpiresAt)
	return out, nil
}
