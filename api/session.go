package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
)

// sessionView is the answer of sign-in and of GET /session. The session
// token itself travels only in the HttpOnly cookie.
type sessionView struct {
	User      *publisher.User `json:"user"`
	CSRFToken string          `json:"csrfToken"`
}

// setSessionCookie sends the session token as an HttpOnly, SameSite=Lax
// cookie, Secure when the deployment is served over https.
func (h *handler) setSessionCookie(c *gin.Context, token string, expires time.Time) {
	ck := &http.Cookie{Name: h.cfg.CookieName, Value: token, Path: "/", Expires: expires.UTC(), HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode}
	if s := int(time.Until(expires).Seconds()); s > 0 {
		ck.MaxAge = s
	}
	http.SetCookie(c.Writer, ck)
}

// clearSessionCookie tells the browser to drop the session cookie.
func (h *handler) clearSessionCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{Name: h.cfg.CookieName, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0).UTC(),
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

// handleCreateSession serves POST /api/v1/session: sign in.
func (h *handler) handleCreateSession(c *gin.Context) {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if !h.bind(c, &req) {
		return
	}
	ctx := publisher.NewContextWithClientIP(c.Request.Context(), c.ClientIP())
	u, sess, token, err := h.svc.Login(ctx, req.Email, req.Password)
	if err != nil {
		h.fail(c, err)
		return
	}
	if old := c.GetString(keyToken); old != "" {
		// The browser had a live session: end it rather than leave it open.
		_ = h.svc.Logout(ctx, old)
	}
	c.Set(keyUserID, u.ID)
	h.setSessionCookie(c, token, sess.ExpiresAt)
	ok(c, sessionView{User: u, CSRFToken: sess.CSRFToken})
}

// handleGetSession serves GET /api/v1/session: the signed-in user and the
// CSRF token.
func (h *handler) handleGetSession(c *gin.Context) {
	ok(c, sessionView{User: user(c), CSRFToken: sessionOf(c).CSRFToken})
}

// handleDeleteSession serves DELETE /api/v1/session: sign out.
func (h *handler) handleDeleteSession(c *gin.Context) {
	if err := h.svc.Logout(c.Request.Context(), c.GetString(keyToken)); err != nil {
		h.fail(c, err)
		return
	}
	h.clearSessionCookie(c)
	c.Status(http.StatusNoContent)
}

// handleUpdateMe serves PATCH /api/v1/me: the user's interface language.
func (h *handler) handleUpdateMe(c *gin.Context) {
	var req struct {
		Lang string `json:"lang"`
	}
	if !h.bind(c, &req) {
		return
	}
	u, err := h.svc.SetLanguage(c.Request.Context(), req.Lang)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, u)
}

// handleChangePassword serves POST /api/v1/me/password. Every session of
// the user ends, this one included.
func (h *handler) handleChangePassword(c *gin.Context) {
	var req struct {
		Current  string `json:"current"`
		Password string `json:"password"`
	}
	if !h.bind(c, &req) {
		return
	}
	if err := h.svc.ChangePassword(c.Request.Context(), req.Current, req.Password); err != nil {
		h.fail(c, err)
		return
	}
	h.clearSessionCookie(c)
	c.Status(http.StatusNoContent)
}
