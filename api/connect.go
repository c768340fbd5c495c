package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
)

// Connecting accounts (publisher/connect.go) and keeping their tokens
// (publisher/tokens.go). Credentials travel only inbound (a credential
// form's values) and never come back: every answer is an Account, a
// Selection or a result, none of which carries a token.

// SPA paths the OAuth callback sends the browser to.
const (
	connectResultPath    = "/accounts/connected"
	connectSelectionPath = "/accounts/select/"
)

// platformParam returns the :platform path parameter, or answers 404.
func (h *handler) platformParam(c *gin.Context) (publisher.Platform, bool) {
	p := publisher.Platform(c.Param("platform"))
	if !p.Valid() {
		h.failCode(c, publisher.ENOTFOUND, "No such platform.")
		return "", false
	}
	return p, true
}

// handleListConnectMethods serves GET /api/v1/connect: how each platform's
// accounts are connected here (OAuth, a form and its fields, or not).
func (h *handler) handleListConnectMethods(c *gin.Context) {
	ms, err := h.svc.ConnectMethods(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, nonNil(ms))
}

// handleStartOAuth serves POST /api/v1/oauth/:platform/start
// {"orgId","accountId"}: it starts the redirect flow for this session and
// answers the platform's consent page, {"data":{"authUrl":"…"}}.
func (h *handler) handleStartOAuth(c *gin.Context) {
	p, valid := h.platformParam(c)
	if !valid {
		return
	}
	var in publisher.ConnectTarget
	if c.Request.ContentLength != 0 && !h.bind(c, &in) {
		return
	}
	u, err := h.svc.StartConnect(c.Request.Context(), sessionOf(c).ID, p, in)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, map[string]string{"authUrl": u})
}

// handleOAuthCallback serves GET /api/v1/oauth/:platform/callback, where
// the platform sends the browser back with state and code (or error). It
// is a top-level navigation from the platform, so it carries the session
// cookie (SameSite=Lax) but no CSRF header; the state, which only this
// session can complete, protects it. It always answers 303: to the
// selection page when the login granted several accounts, otherwise to
// the result page with the accounts connected or the reason it failed.
// The query (which holds the code) is never logged.
func (h *handler) handleOAuthCallback(c *gin.Context) {
	p := publisher.Platform(c.Param("platform"))
	q := c.Request.URL.Query()
	result := url.Values{"platform": {string(p)}}
	done := func() { c.Redirect(http.StatusSeeOther, connectResultPath+"?"+result.Encode()) }
	sess := sessionOf(c)
	if !p.Valid() {
		result.Set("platform", "")
		result.Set("error", publisher.ConnectReasonState)
		done()
		return
	}
	if user(c) == nil || sess == nil {
		result.Set("error", "session")
		done()
		return
	}
	res, err := h.svc.CompleteConnect(c.Request.Context(), sess.ID, p, publisher.OAuthCallback{State: q.Get("state"), Code: q.Get("code"),
		Error: q.Get("error"), ErrorDescription: q.Get("error_description")})
	if err != nil {
		reason, detail := publisher.ConnectReason(err)
		if reason == "" {
			reason = publisher.ErrorCode(err)
			if reason == publisher.EINTERNAL {
				h.log.ErrorContext(c.Request.Context(), "internal error completing a connection", "request_id", requestIDOf(c), "platform", string(p), "err", err)
			} else {
				detail = publisher.ErrorMessage(err)
			}
		}
		result.Set("error", reason)
		if detail != "" {
			result.Set("detail", detail)
		}
		done()
		return
	}
	if res.Selection != nil {
		c.Redirect(http.StatusSeeOther, connectSelectionPath+url.PathEscape(res.Selection.ID))
		return
	}
	ids := make([]string, 0, len(res.Accounts))
	for _, a := range res.Accounts {
		ids = append(ids, a.ID)
	}
	result.Set("accounts", strings.Join(ids, ","))
	done()
}

// handleGetSelection serves GET /api/v1/oauth/selections/:id: the accounts
// a login granted, to choose from (this session's only; never their
// credentials).
func (h *handler) handleGetSelection(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	sel, err := h.svc.GetSelection(c.Request.Context(), sessionOf(c).ID, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, sel)
}

// handleCompleteSelection serves POST /api/v1/oauth/selections/:id
// {"externalIds":[…]}: connects the chosen accounts; a selection is used
// once.
func (h *handler) handleCompleteSelection(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	var in struct {
		ExternalIDs []string `json:"externalIds"`
	}
	if !h.bind(c, &in) {
		return
	}
	res, err := h.svc.CompleteSelection(c.Request.Context(), sessionOf(c).ID, id, in.ExternalIDs)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, res)
}

// handleConnectWithCredentials serves POST /api/v1/connect/:platform
// {"orgId","accountId","values":{…}}: a credential form (Telegram, Bluesky).
func (h *handler) handleConnectWithCredentials(c *gin.Context) {
	p, valid := h.platformParam(c)
	if !valid {
		return
	}
	var in publisher.CredentialsInput
	if !h.bind(c, &in) {
		return
	}
	a, err := h.svc.ConnectWithCredentials(c.Request.Context(), p, in)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, a)
}

// handleDisconnectAccount serves POST /api/v1/accounts/:id/disconnect.
func (h *handler) handleDisconnectAccount(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	res, err := h.svc.DisconnectAccount(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, res)
}

// handleRefreshAccount serves POST /api/v1/accounts/:id/refresh: renew the
// account's token now.
func (h *handler) handleRefreshAccount(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	a, err := h.svc.RefreshAccountNow(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, a)
}
