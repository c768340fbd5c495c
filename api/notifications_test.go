package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/prasar/prasar/publisher"
)

func TestNotifications(t *testing.T) {
	e := newEnv(t)
	sys := publisher.SystemContext(context.Background())
	if _, err := e.svc.Notify(sys, publisher.Recipients{UserIDs: []string{e.editorA.ID, e.editorB.ID}}, e.orgA.ID, "account.expiring",
		"X account expires soon", "Reconnect @agri_x.", "/accounts"); err != nil {
		t.Fatal(err)
	}
	a := e.signIn(e.editorA)
	var ns []publisher.Notification
	a.do("GET", "/api/v1/notifications?unread=true", nil).want(t, http.StatusOK).data(t, &ns)
	if len(ns) != 1 || ns[0].Kind != "account.expiring" || ns[0].UserID != e.editorA.ID {
		t.Fatalf("notifications = %+v", ns)
	}
	a.do("GET", "/api/v1/notifications?unread=maybe", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	// Another user's notification id is not theirs to mark.
	b := e.signIn(e.editorB)
	var bs []publisher.Notification
	b.do("GET", "/api/v1/notifications", nil).want(t, http.StatusOK).data(t, &bs)
	var marked struct{ Marked int }
	a.do("POST", "/api/v1/notifications/read", map[string]any{"ids": []string{bs[0].ID}}).want(t, http.StatusOK).data(t, &marked)
	if marked.Marked != 0 {
		t.Fatal("one user marked another's notification read")
	}
	a.do("POST", "/api/v1/notifications/read", map[string]any{"ids": []string{}}).want(t, http.StatusOK).data(t, &marked)
	if marked.Marked != 1 {
		t.Fatalf("marked %d, want 1", marked.Marked)
	}
	a.do("GET", "/api/v1/notifications?unread=true", nil).want(t, http.StatusOK).data(t, &ns)
	if len(ns) != 0 {
		t.Fatalf("still unread: %+v", ns)
	}
	e.anon().do("GET", "/api/v1/notifications", nil).wantError(t, http.StatusUnauthorized, publisher.EUNAUTHORIZED)
}
