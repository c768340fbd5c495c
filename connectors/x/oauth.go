package x

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

// OAuth 2.0 authorization code with PKCE (platform-apis.md §3.1), through
// golang.org/x/oauth2 with this connector's own endpoint: a confidential
// client (ClientSecret set) authenticates token calls with HTTP Basic
// authorization (oauth2.AuthStyleInHeader), a public one sends client_id in
// the form (oauth2.AuthStyleInParams). Access tokens last two hours;
// refresh tokens (offline.access) are single-use and rotate.

// oauthConfig is the x/oauth2 configuration for redirectURL.
func (c *Connector) oauthConfig(redirectURL string) *oauth2.Config {
	style := oauth2.AuthStyleInParams
	if c.cfg.ClientSecret != "" {
		style = oauth2.AuthStyleInHeader
	}
	return &oauth2.Config{
		ClientID:     c.cfg.ClientID,
		ClientSecret: c.cfg.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: c.cfg.AuthURL, TokenURL: c.cfg.TokenURL, AuthStyle: style},
		RedirectURL:  redirectURL,
		Scopes:       slices.Clone(c.cfg.Scopes),
	}
}

// AuthCodeURL returns X's consent page for state, with the S256 challenge
// of verifier (X requires PKCE; an empty verifier sends none, and X will
// refuse the request).
func (c *Connector) AuthCodeURL(state, verifier, redirectURL string) string {
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	return c.oauthConfig(redirectURL).AuthCodeURL(state, opts...)
}

// Exchange trades an authorization code (within X's 30 seconds) for tokens
// and returns the one account they act for, read from GET /2/users/me. A
// refused, expired or reused code, or a wrong verifier, is ClassRejected.
// When X reports the granted scopes and some requested ones are missing,
// the account carries a Problem saying which.
func (c *Connector) Exchange(ctx context.Context, code, verifier, redirectURL string) ([]publisher.GrantedAccount, error) {
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	start := c.cfg.Now()
	var tok *oauth2.Token
	err := c.tokenCall(ctx, "authorization_code", func(ctx context.Context) (err error) {
		tok, err = c.oauthConfig(redirectURL).Exchange(ctx, code, opts...)
		return err
	})
	if err != nil {
		pe := publisher.AsPlatformError(err)
		if pe.Class == publisher.ClassAuth {
			pe.Class = publisher.ClassRejected // a refused code, not a dead account
		}
		return nil, pe
	}
	cred := credentials(tok, start, "")
	var me struct {
		Data struct {
			ID       string `json:"id"`
			Name     string `json:"name"`
			Username string `json:"username"`
		} `json:"data"`
	}
	if err := c.call(ctx, http.MethodGet, "/2/users/me", nil, cred.AccessToken, "", nil, &me); err != nil {
		pe := *publisher.AsPlatformError(err)
		pe.Ambiguous = false
		return nil, &pe
	}
	if !isID(me.Data.ID) {
		return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "X did not say which account the login is for."}
	}
	g := publisher.GrantedAccount{
		ExternalID:  me.Data.ID,
		Handle:      me.Data.Username,
		DisplayName: me.Data.Name,
		Credentials: cred,
	}
	if me.Data.Username != "" {
		g.ProfileURL = c.cfg.WebURL + "/" + me.Data.Username
	}
	if s, ok := tok.Extra("scope").(string); ok {
		g.Scopes = strings.Fields(s)
		var missing []string
		for _, want := range c.cfg.Scopes {
			if !slices.Contains(g.Scopes, want) {
				missing = append(missing, want)
			}
		}
		if len(missing) > 0 {
			g.Problem = "X did not grant " + strings.Join(missing, ", ") + "; connect the account again and allow every permission Prasar asks for."
		}
	}
	return []publisher.GrantedAccount{g}, nil
}

// RefreshDue reports whether cred should be refreshed at now: it has a
// refresh token and its access token expires within RefreshMargin (or has
// expired). Credentials without a known expiry are never due.
func (c *Connector) RefreshDue(cred publisher.Credentials, now time.Time) bool {
	if cred.RefreshToken == "" || cred.ExpiresAt == nil {
		return false
	}
	return !now.Before(cred.ExpiresAt.Add(-c.cfg.RefreshMargin))
}

// Refresh posts grant_type=refresh_token and returns the new credentials:
// a new access token and the NEW refresh token, because X's refresh tokens
// are single-use and rotate; the caller must store them before using
// them. If X returns no refresh token the old one is kept (x/oauth2 does
// the same), so the result never has an empty one. A refused refresh token
// (revoked, expired, already used — X then kills the whole token family)
// is ClassAuth; 5xx and network failures are ClassRetryable (ambiguous when
// the request may have reached X: X may have rotated the token, and the
// next refresh with the old one will then fail as a replay).
func (c *Connector) Refresh(ctx context.Context, acct *publisher.Account, cred publisher.Credentials) (publisher.Credentials, error) {
	if cred.RefreshToken == "" {
		return cred, authError("The account has no X refresh token (the offline.access permission); reconnect it.")
	}
	start := c.cfg.Now()
	var tok *oauth2.Token
	err := c.tokenCall(ctx, "refresh_token", func(ctx context.Context) (err error) {
		expired := &oauth2.Token{RefreshToken: cred.RefreshToken, Expiry: time.Unix(1, 0)}
		tok, err = c.oauthConfig("").TokenSource(ctx, expired).Token()
		return err
	})
	if err != nil {
		return cred, err
	}
	next := credentials(tok, start, cred.RefreshToken)
	if len(cred.Extra) > 0 {
		next.Extra = maps.Clone(cred.Extra)
	}
	return next, nil
}

// credentials converts a token; the expiry is computed from expires_in
// with the connector's clock, and oldRefresh is kept if none came back.
func credentials(tok *oauth2.Token, start time.Time, oldRefresh string) publisher.Credentials {
	cred := publisher.Credentials{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}
	if cred.RefreshToken == "" {
		cred.RefreshToken = oldRefresh
	}
	if tok.ExpiresIn > 0 {
		at := start.Add(time.Duration(tok.ExpiresIn) * time.Second).UTC()
		cred.ExpiresAt = &at
	} else if !tok.Expiry.IsZero() {
		at := tok.Expiry.UTC()
		cred.ExpiresAt = &at
	}
	return cred
}

// tokenCall runs one call to the token endpoint through x/oauth2 with the
// connector's HTTP client, logs it (never the tokens) and classifies its
// failure:
//   - an OAuth error answer: 429 rate-limited, 5xx retryable and
//     ambiguous, any other status ClassAuth (callers turn it into what it
//     means for them);
//   - no answer: retryable, ambiguous once a connection was made;
//   - an unreadable 2xx: retryable and ambiguous.
//
// Messages are built from X's error code and description only: x/oauth2's
// own messages may quote the answer's body.
func (c *Connector) tokenCall(ctx context.Context, grant string, fn func(context.Context) error) error {
	var gotConn atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { gotConn.Store(true) }})
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient)
	begin := time.Now()
	err := fn(ctx)
	status := http.StatusOK
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		status = re.Response.StatusCode
	} else if err != nil {
		status = 0
	}
	c.cfg.Logger.DebugContext(ctx, "x: token call", "grant_type", grant, "status", status, "duration_ms", time.Since(begin).Milliseconds())
	switch {
	case err == nil:
		return nil
	case re != nil:
		msg := "X refused the token request"
		if re.ErrorCode != "" {
			msg += " (" + re.ErrorCode + ")"
		}
		if re.ErrorDescription != "" {
			msg += ": " + re.ErrorDescription
		} else {
			msg += "."
		}
		pe := &publisher.PlatformError{Class: publisher.ClassAuth, Message: msg, Code: strconv.Itoa(status)}
		if re.ErrorCode != "" {
			pe.Code += "/" + re.ErrorCode
		}
		switch {
		case status == http.StatusTooManyRequests:
			pe.Class = publisher.ClassRateLimited
			pe.RetryAt = c.retryAt(re.Response.Header, problem{}, c.cfg.Now())
		case status >= 500:
			pe.Class, pe.Ambiguous = publisher.ClassRetryable, true
		}
		return pe
	case ctx.Err() != nil || isTransport(err):
		return connectors.TransportError(err, gotConn.Load())
	default:
		return &publisher.PlatformError{Class: publisher.ClassRetryable, Ambiguous: true,
			Message: "X's answer to the token request could not be read.", Err: errors.New(sanitize(err.Error()))}
	}
}

// isTransport reports whether err is a failure to get an answer, as
// x/oauth2 returns it (the client's *url.Error, or a failed body read).
func isTransport(err error) bool {
	var ue interface{ Timeout() bool }
	return errors.As(err, &ue) || strings.Contains(err.Error(), "cannot fetch token")
}

// sanitize keeps a library message short and free of answer bodies.
func sanitize(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return fmt.Sprintf("%q", s)
}
