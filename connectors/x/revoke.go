package x

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

var _ publisher.Revoker = (*Connector)(nil)

// Revoke ends the account's grant: POST /2/oauth2/revoke with the refresh
// token (which kills its whole token family) and, when there is none, the
// access token. A token X no longer knows is not an error (X answers 200
// for those). Confidential clients authenticate with HTTP Basic, public
// ones send client_id.
func (c *Connector) Revoke(ctx context.Context, acct *publisher.Account, cred publisher.Credentials) error {
	tok, hint := cred.RefreshToken, "refresh_token"
	if tok == "" {
		tok, hint = cred.AccessToken, "access_token"
	}
	if tok == "" {
		return nil // nothing to revoke
	}
	form := url.Values{"token": {tok}, "token_type_hint": {hint}}
	if c.cfg.ClientSecret == "" {
		form.Set("client_id", c.cfg.ClientID)
	}
	revokeURL := strings.TrimSuffix(c.cfg.TokenURL, "/token") + "/revoke"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, revokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return &publisher.PlatformError{Class: publisher.ClassRejected, Message: "Prasar could not build the X revoke request.", Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.cfg.ClientSecret != "" {
		req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.ClientSecret))
	}
	start := time.Now()
	resp, err := connectors.Do(c.cfg.HTTPClient, req, c.cfg.MaxResponseBytes)
	if err != nil {
		return err
	}
	c.cfg.Logger.DebugContext(ctx, "x: revoke", "status", resp.StatusCode, "duration_ms", time.Since(start).Milliseconds())
	if !resp.OK() {
		return c.classify(resp)
	}
	return nil
}
