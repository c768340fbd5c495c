package threads

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

// Connecting profiles (platform-apis.md §5.1): the consent page at
// WebURL/oauth/authorize; the code (Meta's trailing "#_" removed) exchanged
// at GraphURL/oauth/access_token for a short-lived token (1 h), at once
// exchanged for a long-lived one (60 days, th_exchange_token); the profile
// from GET /me?fields=id,username. Long-lived tokens are refreshed with
// th_refresh_token once at least 24 h old. These are plain form and GET
// calls made by hand, like Instagram's: Meta's token endpoints answer in
// the Graph error envelope, and there is no standard refresh grant.

// Credentials.Extra keys.
const (
	// ExtraIssuedAt is when the long-lived token was issued (RFC 3339).
	ExtraIssuedAt = "issued_at"
)

// AuthCodeURL returns the consent page for state. Threads does not take
// PKCE, so verifier is ignored.
func (c *Connector) AuthCodeURL(state, verifier, redirectURL string) string {
	q := url.Values{"client_id": {c.cfg.AppID}, "redirect_uri": {redirectURL}, "scope": {strings.Join(c.cfg.Scopes, ",")},
		"response_type": {"code"}, "state": {state}}
	return c.cfg.WebURL + "/oauth/authorize?" + q.Encode()
}

// Exchange trades an authorization code for the profile that logged in.
// Errors are *publisher.PlatformError; a refused, used or expired code is
// ClassRejected. Threads does not say which permissions were granted, so
// Scopes are the ones asked for.
func (c *Connector) Exchange(ctx context.Context, code, verifier, redirectURL string) ([]publisher.GrantedAccount, error) {
	code = strings.TrimSuffix(strings.TrimSpace(code), "#_")
	if code == "" {
		return nil, rejected("Threads sent no authorization code.")
	}
	form := url.Values{"client_id": {c.cfg.AppID}, "client_secret": {c.cfg.AppSecret}, "code": {code},
		"grant_type": {"authorization_code"}, "redirect_uri": {redirectURL}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.GraphURL+"/oauth/access_token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &publisher.PlatformError{Class: publisher.ClassRejected, Message: "Prasar could not build the Threads request.", Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	short, err := c.tokenRequest(ctx, req, "/oauth/access_token")
	if err != nil {
		return nil, err
	}
	now := c.cfg.Now()
	long, err := c.tokenGet(ctx, "/access_token", url.Values{"grant_type": {"th_exchange_token"}, "client_secret": {c.cfg.AppSecret}, "access_token": {short.AccessToken}})
	if err != nil {
		return nil, err
	}
	var me struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	}
	if err := c.call(ctx, http.MethodGet, "/me", url.Values{"fields": {"id,username"}}, long.AccessToken, nil, &me); err != nil {
		return nil, notAmbiguous(err)
	}
	if !validID(me.ID) {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Threads did not say which profile logged in."}
	}
	return []publisher.GrantedAccount{{
		ExternalID:  me.ID,
		Handle:      me.Username,
		DisplayName: me.Username,
		ProfileURL:  c.cfg.WebURL + "/@" + url.PathEscape(me.Username),
		Credentials: credentials(long, now, nil),
		Scopes:      slices.Clone(c.cfg.Scopes),
	}}, nil
}

// credentials keeps a long-lived token with its expiry and issue time.
func credentials(t *tokenAnswer, now time.Time, extra map[string]string) publisher.Credentials {
	cred := publisher.Credentials{AccessToken: t.AccessToken, Extra: map[string]string{ExtraIssuedAt: now.UTC().Format(time.RFC3339)}}
	for k, v := range extra {
		if _, set := cred.Extra[k]; !set {
			cred.Extra[k] = v
		}
	}
	if t.ExpiresIn > 0 {
		exp := now.Add(time.Duration(t.ExpiresIn) * time.Second).UTC()
		cred.ExpiresAt = &exp
	}
	return cred
}

type tokenAnswer struct {
	AccessToken string
	ExpiresIn   int64
}

func readTokenAnswer(body []byte) (*tokenAnswer, error) {
	var f struct {
		AccessToken string      `json:"access_token"`
		ExpiresIn   json.Number `json:"expires_in"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if f.AccessToken == "" {
		return nil, fmt.Errorf("threads: the answer has no access_token")
	}
	t := &tokenAnswer{AccessToken: f.AccessToken}
	if f.ExpiresIn != "" {
		t.ExpiresIn, _ = f.ExpiresIn.Int64()
	}
	return t, nil
}

// tokenGet calls an unversioned token endpoint (GET with the token in the
// query, as Meta documents).
func (c *Connector) tokenGet(ctx context.Context, path string, q url.Values) (*tokenAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.GraphURL+path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, &publisher.PlatformError{Class: publisher.ClassRejected, Message: "Prasar could not build the Threads request.", Err: err}
	}
	return c.tokenRequest(ctx, req, path)
}

func (c *Connector) tokenRequest(ctx context.Context, req *http.Request, path string) (*tokenAnswer, error) {
	req.Header.Set("Accept", "application/json")
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
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Threads' token answer could not be read.", Err: err}
	}
	return t, nil
}

func (c *Connector) issuedAt(cred publisher.Credentials) time.Time {
	if t, err := time.Parse(time.RFC3339, cred.Extra[ExtraIssuedAt]); err == nil {
		return t
	}
	if cred.ExpiresAt != nil {
		return cred.ExpiresAt.Add(-c.cfg.TokenLifetime)
	}
	return time.Time{}
}

// RefreshDue reports whether cred should be refreshed at now: within
// RefreshBefore of its expiry, not expired, and at least MinRefreshAge old.
func (c *Connector) RefreshDue(cred publisher.Credentials, now time.Time) bool {
	if cred.AccessToken == "" || cred.ExpiresAt == nil || !now.Before(*cred.ExpiresAt) {
		return false
	}
	return !now.Before(cred.ExpiresAt.Add(-c.cfg.RefreshBefore)) && !now.Before(c.issuedAt(cred).Add(c.cfg.MinRefreshAge))
}

// Refresh renews a long-lived token for another 60 days
// (th_refresh_token). An expired or revoked token is ClassAuth; a token
// too young to refresh is ClassRateLimited until it may be.
func (c *Connector) Refresh(ctx context.Context, acct *publisher.Account, cred publisher.Credentials) (publisher.Credentials, error) {
	now := c.cfg.Now()
	switch {
	case cred.AccessToken == "":
		return cred, &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The account has no Threads access token; reconnect it."}
	case cred.ExpiresAt == nil:
		return cred, nil
	case !now.Before(*cred.ExpiresAt):
		return cred, &publisher.PlatformError{Class: publisher.ClassAuth, Message: "The Threads access token expired on " + cred.ExpiresAt.UTC().Format(time.RFC3339) + "; reconnect the account."}
	}
	if ready := c.issuedAt(cred).Add(c.cfg.MinRefreshAge); now.Before(ready) {
		return cred, &publisher.PlatformError{Class: publisher.ClassRateLimited, RetryAt: ready,
			Message: "A Threads token can be refreshed only once it is 24 hours old."}
	}
	t, err := c.tokenGet(ctx, "/refresh_access_token", url.Values{"grant_type": {"th_refresh_token"}, "access_token": {cred.AccessToken}})
	if err != nil {
		pe := publisher.AsPlatformError(err)
		if pe.Class == publisher.ClassRejected {
			out := *pe
			out.Class = publisher.ClassAuth // only a new login helps
			return cred, &out
		}
		return cred, pe
	}
	out := credentials(t, now, cred.Extra)
	out.RefreshToken = cred.RefreshToken
	id := ""
	if acct != nil {
		id = acct.ID
	}
	c.cfg.Logger.InfoContext(ctx, "threads: token refreshed", "account_id", id, "expires_at", out.ExpiresAt)
	return out, nil
}
