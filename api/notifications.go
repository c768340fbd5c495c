package api

import (
	"github.com/gin-gonic/gin"
)

// handleListNotifications serves GET /api/v1/notifications?unread=true:
// the signed-in user's notifications, newest first.
func (h *handler) handleListNotifications(c *gin.Context) {
	q := newQuery(c)
	unread := false
	switch q.str("unread") {
	case "", "false", "0":
	case "true", "1":
		unread = true
	default:
		q.bad("unread", "invalid_choice", "Use true or false.")
	}
	limit, offset := q.intIn("limit", 50, 1, 200), q.intIn("offset", 0, 0, 1<<30)
	if err := q.err(); err != nil {
		h.fail(c, err)
		return
	}
	ns, total, err := h.svc.ListNotifications(c.Request.Context(), unread, limit, offset)
	if err != nil {
		h.fail(c, err)
		return
	}
	list(c, ns, total)
}

// handleMarkNotificationsRead serves POST /api/v1/notifications/read
// {"ids": [...]}: marks the signed-in user's notifications read (all
// unread ones when ids is empty).
func (h *handler) handleMarkNotificationsRead(c *gin.Context) {
	var req struct {
		IDs []string `json:"ids"`
	}
	if !h.bind(c, &req) {
		return
	}
	n, err := h.svc.MarkNotificationsRead(c.Request.Context(), req.IDs)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, gin.H{"marked": n})
}
