package instagram

import (
	"bytes"
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

// Connecting accounts (platform-apis.md §2.2).
//
// Instagram Login: the consent page at WebURL/oauth/authorize; the code
// (with Meta's trailing "#_" removed) is exchanged at APIURL by hand —
// golang.org/x/oauth2 cannot read the answer, which Meta documents wrapped
// in a "data" array and several clients see flat; both are read. The
// short-lived token (1 h) is exchanged at once for a long-lived one (60
// days, ig_exchange_token), and GET /me?fields=user_id,username gives the
// professional account id that publishing needs (the code exchange's
// user_id is app-scoped and may differ).
//
// Facebook Login: Facebook's dialog and token endpoint (§1.2), the
// long-lived user token, then GET /me/accounts with each Page's linked
// instagram_business_account: one account per linked Instagram account,
// with its Page's token, which does not expire.
//
// x/oauth2 is not used at all: every Meta token endpoint answers errors in
// its own envelopes, which connectors.GraphClassifier (or this file, for
// api.instagram.com) reads, and none has a standard refresh grant.

// Credentials.Extra keys.
const (
	// ExtraIssuedAt is when the long-lived token was issued (RFC 3339): a
	// token can be refreshed only 24 h after.
	ExtraIssuedAt = "issued_at"
	// ExtraLogin is the flavour the token belongs to ("instagram" or
	// "facebook").
	ExtraLogin = "login"
	// ExtraPageID is the linked Facebook Page (Facebook Login).
	ExtraPageID = "page_id"
)

// publishScope is the permission without which an account cannot publish.
func (c *Connector) publishScope() string {
	if c.cfg.Login == FacebookLogin {
		return "instagram_content_publish"
	}
	return "instagram_business_content_publish"
}

// AuthCodeURL returns the consent page for state. Meta does not take PKCE
// here, so verifier is ignored.
func (c *Connector) AuthCodeURL(state, verifier, redirectURL string) string {
	q := url.Values{"client_id": {c.cfg.AppID}, "redirect_uri": {redirectURL}, "response_type": {"code"},
		"scope": {strings.Join(c.cfg.Scopes, ",")}, "state": {state}}
	if c.cfg.Login == FacebookLogin {
		return c.cfg.FacebookWebURL + "/" + c.cfg.APIVersion + "/dialog/oauth?" + q.Encode()
	}
	return c.cfg.WebURL + "/oauth/authorize?" + q.Encode()
}

// Exchange trades an authorization code for the accounts it grants: the
// one Instagram account that logged in (Instagram Login), or every
// Instagram account linked to a Page the user manages (Facebook Login).
// Errors are *publisher.PlatformError; a refused, used or expired code is
// ClassRejected.
func (c *Connector) Exchange(ctx context.Context, code, verifier, redirectURL string) ([]publisher.GrantedAccount, error) {
	code = strings.TrimSuffix(strings.TrimSpace(code), "#_")
	if code == "" {
		return nil, rejected("Instagram sent no authorization code.")
	}
	if c.cfg.Login == FacebookLogin {
		return c.exchangeFacebook(ctx, code, redirectURL)
	}
	short, err := c.exchangeCode(ctx, code, redirectURL)
	if err != nil {
		return nil, err
	}
	now := c.cfg.Now()
	long, err := c.longLived(ctx, "/access_token", url.Values{"grant_type": {"ig_exchange_token"}, "client_secret": {c.cfg.AppSecret}, "access_token": {short.AccessToken}})
	if err != nil {
		return nil, err
	}
	var me struct {
		UserID   json.Number `json:"user_id"`
		Username string      `json:"username"`
	}
	if err := c.call(ctx, http.MethodGet, "/me", url.Values{"fields": {"user_id,username"}}, long.AccessToken, nil, &me); err != nil {
		return nil, notAmbiguous(err)
	}
	if me.UserID == "" {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Instagram did not say which account logged in."}
	}
	g := publisher.GrantedAccount{
		ExternalID:  me.UserID.String(),
		Handle:      me.Username,
		DisplayName: me.Username,
		ProfileURL:  c.cfg.WebURL + "/" + url.PathEscape(me.Username),
		Credentials: c.credentials(long, now, nil),
		Scopes:      short.Permissions,
	}
	if len(short.Permissions) > 0 && !slices.Contains(short.Permissions, c.publishScope()) {
		g.Problem = fmt.Sprintf("Instagram did not grant %s, so Prasar cannot publish for this account; reconnect it and allow publishing.", c.publishScope())
	}
	return []publisher.GrantedAccount{g}, nil
}

// credentials keeps a long-lived token with its expiry and issue time.
func (c *Connector) credentials(t *tokenAnswer, now time.Time, extra map[string]string) publisher.Credentials {
	cred := publisher.Credentials{AccessToken: t.AccessToken, Extra: map[string]string{ExtraIssuedAt: now.UTC().Format(time.RFC3339), ExtraLogin: string(c.cfg.Login)}}
	for k, v := range extra {
		cred.Extra[k] = v
	}
	if t.ExpiresIn > 0 {
		exp := now.Add(time.Duration(t.ExpiresIn) * time.Second).UTC()
		cred.ExpiresAt = &exp
	}
	return cred
}

// tokenAnswer is what a token endpoint answers, in any of Meta's shapes.
type tokenAnswer struct {
	AccessToken string
	ExpiresIn   int64
	UserID      string
	Permissions []string
}

// readTokenAnswer reads {"access_token","expires_in","user_id",
// "permissions"}, flat or wrapped in {"data":[…]}; permissions may be a
// comma-separated string or a list, user_id a string or a number.
func readTokenAnswer(body []byte) (*tokenAnswer, error) {
	type flat struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.Number     `json:"expires_in"`
		UserID      json.RawMessage `json:"user_id"`
		Permissions json.RawMessage `json:"permissions"`
		Data        []flat          `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var f flat
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if f.AccessToken == "" && len(f.Data) > 0 {
		f = f.Data[0]
	}
	if f.AccessToken == "" {
		return nil, fmt.Errorf("instagram: the answer has no access_token")
	}
	t := &tokenAnswer{AccessToken: f.AccessToken}
	if f.ExpiresIn != "" {
		t.ExpiresIn, _ = f.ExpiresIn.Int64()
	}
	if len(f.UserID) > 0 {
		var s string
		if json.Unmarshal(f.UserID, &s) == nil {
			t.UserID = s
		} else {
			t.UserID = strings.TrimSpace(string(f.UserID))
		}
	}
	if len(f.Permissions) > 0 {
		var s string
		var list []string
		switch {
		case json.Unmarshal(f.Permissions, &s) == nil:
			for _, p := range strings.Split(s, ",") {
				if p = strings.TrimSpace(p); p != "" {
					list = append(list, p)
				}
			}
		case json.Unmarshal(f.Permissions, &list) == nil:
		}
		t.Permissions = list
	}
	return t, nil
}

// exchangeCode is Instagram Login's code exchange, by hand.
func (c *Connector) exchangeCode(ctx context.Context, code, redirectURL string) (*tokenAnswer, error) {
	form := url.Values{"client_id": {c.cfg.AppID}, "client_secret": {c.cfg.AppSecret}, "grant_type": {"authorization_code"},
		"redirect_uri": {redirectURL}, "code": {code}}
	req, err := newRequest(ctx, http.MethodPost, c.cfg.APIURL+"/oauth/access_token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.send(ctx, req, "/oauth/access_token")
	if err != nil {
		return nil, notAmbiguous(err)
	}
	if !resp.OK() {
		return nil, c.apiError(resp)
	}
	t, err := readTokenAnswer(resp.Body)
	if err != nil {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Instagram's token answer could not be read.", Err: err}
	}
	return t, nil
}

// apiError classifies an api.instagram.com error:
// {"error_type":"OAuthException","code":400,"error_message":"…"}, or a
// Graph envelope.
func (c *Connector) apiError(resp *connectors.Response) *publisher.PlatformError {
	if _, ok := connectors.ParseGraphError(resp.Body); ok {
		return notAmbiguous(c.classify.Classify(resp))
	}
	var e struct {
		Type    string `json:"error_type"`
		Code    int    `json:"code"`
		Message string `json:"error_message"`
	}
	if json.Unmarshal(resp.Body, &e) != nil || e.Message == "" {
		return notAmbiguous(connectors.StatusError(resp, c.cfg.Now(), c.cfg.RateLimitBackoff))
	}
	pe := notAmbiguous(connectors.StatusError(resp, c.cfg.Now(), c.cfg.RateLimitBackoff))
	pe.Message = e.Message
	if e.Type != "" {
		pe.Code = e.Type
	}
	if resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized {
		// A refused, used or expired code.
		pe.Class = publisher.ClassRejected
	}
	return pe
}

// longLived calls an unversioned token endpoint of the Graph host (GET, as
// Meta documents: the token is in the query) and returns the new token.
func (c *Connector) longLived(ctx context.Context, path string, q url.Values) (*tokenAnswer, error) {
	req, err := newRequest(ctx, http.MethodGet, c.cfg.GraphURL+path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	return c.tokenRequest(ctx, req, path)
}

// tokenRequest sends a token request and reads the answer.
func (c *Connector) tokenRequest(ctx context.Context, req *http.Request, path string) (*tokenAnswer, error) {
	resp, err := c.send(ctx, req, path)
	if err != nil {
		return nil, notAmbiguous(err)
	}
	if !resp.OK() {
		return nil, notAmbiguous(c.classify.Classify(resp))
	}
	if _, isErr := connectors.ParseGraphError(resp.Body); isErr {
		return nil, notAmbiguous(c.classify.Classify(resp))
	}
	t, err := readTokenAnswer(resp.Body)
	if err != nil {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Meta's token answer could not be read.", Err: err}
	}
	return t, nil
}

// send sends req and logs it by path only.
func (c *Connector) send(ctx context.Context, req *http.Request, path string) (*connectors.Response, error) {
	start := time.Now()
	resp, err := connectors.Do(c.cfg.HTTPClient, req, c.cfg.MaxResponseBytes)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	c.cfg.Logger.DebugContext(ctx, "instagram: token call", "method", req.Method, "path", path, "status", status,
		"duration_ms", time.Since(start).Milliseconds())
	return resp, err
}

// facebookToken calls Facebook's token endpoint (POST, form-encoded).
func (c *Connector) facebookToken(ctx context.Context, form url.Values) (*tokenAnswer, error) {
	form.Set("client_id", c.cfg.AppID)
	form.Set("client_secret", c.cfg.AppSecret)
	path := "/" + c.cfg.APIVersion + "/oauth/access_token"
	req, err := newRequest(ctx, http.MethodPost, c.cfg.GraphURL+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.tokenRequest(ctx, req, path)
}

// exchangeFacebook is Exchange with Facebook Login.
func (c *Connector) exchangeFacebook(ctx context.Context, code, redirectURL string) ([]publisher.GrantedAccount, error) {
	short, err := c.facebookToken(ctx, url.Values{"redirect_uri": {redirectURL}, "code": {code}})
	if err != nil {
		return nil, err
	}
	long, err := c.facebookToken(ctx, url.Values{"grant_type": {"fb_exchange_token"}, "fb_exchange_token": {short.AccessToken}})
	if err != nil {
		return nil, err
	}
	now := c.cfg.Now()
	q := url.Values{"fields": {"id,name,access_token,tasks,instagram_business_account{id,username}"}, "limit": {"100"}}
	var out []publisher.GrantedAccount
	for range c.cfg.LookupMaxPages {
		var page struct {
			Data []struct {
				ID          string   `json:"id"`
				Name        string   `json:"name"`
				AccessToken string   `json:"access_token"`
				Tasks       []string `json:"tasks"`
				IG          *struct {
					ID       string `json:"id"`
					Username string `json:"username"`
				} `json:"instagram_business_account"`
			} `json:"data"`
			Paging struct {
				Cursors struct {
					After string `json:"after"`
				} `json:"cursors"`
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := c.call(ctx, http.MethodGet, "/me/accounts", q, long.AccessToken, nil, &page); err != nil {
			return nil, notAmbiguous(err)
		}
		for _, p := range page.Data {
			if p.IG == nil || p.IG.ID == "" {
				continue
			}
			g := publisher.GrantedAccount{
				ExternalID:  p.IG.ID,
				Handle:      p.IG.Username,
				DisplayName: fmt.Sprintf("%s (Page %s)", p.IG.Username, p.Name),
				ProfileURL:  c.cfg.WebURL + "/" + url.PathEscape(p.IG.Username),
				// A Page token taken from a long-lived user token does not
				// expire.
				Credentials: c.credentials(&tokenAnswer{AccessToken: p.AccessToken}, now, map[string]string{ExtraPageID: p.ID}),
				Scopes:      slices.Clone(c.cfg.Scopes),
			}
			if p.AccessToken == "" || !slices.Contains(p.Tasks, "CREATE_CONTENT") {
				g.Problem = fmt.Sprintf("Your role on the Facebook Page %s does not let you create content, so Prasar cannot publish to its Instagram account; ask a Page admin for full control, then reconnect.", p.Name)
			}
			out = append(out, g)
		}
		if page.Paging.Next == "" || page.Paging.Cursors.After == "" {
			break
		}
		q.Set("after", page.Paging.Cursors.After)
	}
	if len(out) == 0 {
		return nil, rejected("None of the Facebook Pages you chose has an Instagram professional account linked to it.")
	}
	return out, nil
}

// issuedAt is when cred's token was issued: Extra[ExtraIssuedAt], or its
// expiry less TokenLifetime.
func (c *Connector) issuedAt(cred publisher.Credentials) time.Time {
	if t, err := time.Parse(time.RFC3339, cred.Extra[ExtraIssuedAt]); err == nil {
		return t
	}
	if cred.ExpiresAt != nil {
		return cred.ExpiresAt.Add(-c.cfg.TokenLifetime)
	}
	return time.Time{}
}

// RefreshDue reports whether cred should be refreshed at now: an expiring
// token within RefreshBefore of its expiry, not yet expired, and (Instagram
// Login) at least MinRefreshAge old. Tokens without an expiry (a Page token
// under Facebook Login) are never due.
func (c *Connector) RefreshDue(cred publisher.Credentials, now time.Time) bool {
	if cred.AccessToken == "" || cred.ExpiresAt == nil || !now.Before(*cred.ExpiresAt) {
		return false
	}
	if now.Before(cred.ExpiresAt.Add(-c.cfg.RefreshBefore)) {
		return false
	}
	if c.cfg.Login == FacebookLogin {
		return true
	}
	return !now.Before(c.issuedAt(cred).Add(c.cfg.MinRefreshAge))
}

// Refresh renews a long-lived token for another 60 days: ig_refresh_token
// (Instagram Login) or fb_exchange_token (Facebook Login). An expired or
// revoked token is ClassAuth; a token too young to refresh is
// ClassRateLimited until it may be.
func (c *Connector) Refresh(ctx context.Context, acct *publisher.Account, cred publisher.Credentials) (publisher.Credentials, error) {
	now := c.cfg.Now()
	switch {
	case cred.AccessToken == "":
		return cred, &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no Instagram access token; reconnect it."}
	case cred.ExpiresAt == nil:
		return cred, nil // nothing to renew
	case !now.Before(*cred.ExpiresAt):
		return cred, &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The Instagram access token expired on " + cred.ExpiresAt.UTC().Format(time.RFC3339) + "; reconnect the account."}
	}
	var t *tokenAnswer
	var err error
	if c.cfg.Login == FacebookLogin {
		t, err = c.facebookToken(ctx, url.Values{"grant_type": {"fb_exchange_token"}, "fb_exchange_token": {cred.AccessToken}})
	} else {
		if ready := c.issuedAt(cred).Add(c.cfg.MinRefreshAge); now.Before(ready) {
			return cred, &publisher.PlatformError{Class: publisher.ClassRateLimited, RetryAt: ready,
				Message: "An Instagram token can be refreshed only once it is 24 hours old."}
		}
		t, err = c.longLived(ctx, "/refresh_access_token", url.Values{"grant_type": {"ig_refresh_token"}, "access_token": {cred.AccessToken}})
	}
	if err != nil {
		pe := publisher.AsPlatformError(err)
		if pe.Class == publisher.ClassRejected {
			// Meta refused to renew this grant: only a new login helps.
			out := *pe
			out.Class = publisher.ClassAuth
			return cred, &out
		}
		return cred, pe
	}
	out := c.credentials(t, now, nil)
	out.RefreshToken = cred.RefreshToken
	for k, v := range cred.Extra {
		if _, set := out.Extra[k]; !set {
			out.Extra[k] = v
		}
	}
	c.cfg.Logger.InfoContext(ctx, "instagram: token refreshed", "account_id", accountID(acct), "expires_at", out.ExpiresAt)
	return out, nil
}

func accountID(a *publisher.Account) string {
	if a == nil {
		return ""
	}
	return a.ID
}
