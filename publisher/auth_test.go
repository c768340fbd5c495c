package publisher_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

func TestLoginAndSessions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, _, _, err := e.svc.Login(ctx, "editor.agri@example.gov.in", "wrong password!")
	wantCode(t, err, publisher.EUNAUTHORIZED)
	_, _, _, err = e.svc.Login(ctx, "nobody@example.gov.in", testPassword)
	wantCode(t, err, publisher.EUNAUTHORIZED)

	u, sess, token, err := e.svc.Login(ctx, "  Editor.Agri@Example.gov.in ", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != e.editor.ID || token == "" || sess.ID == token || sess.CSRFToken == "" {
		t.Fatalf("login = %+v %+v", u, sess)
	}
	got, _, err := e.svc.Authenticate(ctx, token)
	if err != nil || got.ID != u.ID {
		t.Fatalf("authenticate = %v, %v", got, err)
	}
	// The store keeps only the token's hash.
	if _, err := e.store.GetSession(ctx, token); !publisher.IsCode(err, publisher.ENOTFOUND) {
		t.Fatal("the session is findable by the raw token")
	}
	e.clock.Add(13 * time.Hour)
	_, _, err = e.svc.Authenticate(ctx, token)
	wantCode(t, err, publisher.EUNAUTHORIZED)

	t.Run("too many failures lock the e-mail for a while", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			_, _, _, _ = e.svc.Login(ctx, "approver@example.gov.in", "guess"+strings.Repeat("x", i))
		}
		_, _, _, err := e.svc.Login(ctx, "approver@example.gov.in", testPassword)
		wantCode(t, err, publisher.EUNAVAILABLE)
	})
	t.Run("password change ends sessions", func(t *testing.T) {
		_, _, tok, err := e.svc.Login(ctx, "editor.health@example.gov.in", testPassword)
		if err != nil {
			t.Fatal(err)
		}
		err = e.svc.ChangePassword(as(e.otherEditor), "wrong", "a new password 1")
		wantField(t, err, "current", "wrong_password")
		if err := e.svc.ChangePassword(as(e.otherEditor), testPassword, "a new password 1"); err != nil {
			t.Fatal(err)
		}
		_, _, err = e.svc.Authenticate(ctx, tok)
		wantCode(t, err, publisher.EUNAUTHORIZED)
	})
}

func TestAuditTrail(t *testing.T) {
	e := newEnv(t)
	p := e.approvedPost("आपकी सरकार आपके द्वार", e.fbAcct)
	evs, err := e.svc.ListAudit(as(e.admin), publisher.AuditFilter{ObjectID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range evs {
		actions = append(actions, ev.Action)
	}
	want := "post.approve post.submit post.create"
	if strings.Join(actions, " ") != want {
		t.Fatalf("audit actions = %v, want %s", actions, want)
	}
	if evs[0].ActorID != e.approver.ID {
		t.Fatalf("approve event actor = %s", evs[0].ActorID)
	}
	_, err = e.svc.ListAudit(as(e.editor), publisher.AuditFilter{})
	wantCode(t, err, publisher.EFORBIDDEN)
}
