package publisher_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

type fakeMailer struct {
	mu   sync.Mutex
	sent [][]string
	done chan struct{}
}

func (m *fakeMailer) Send(_ context.Context, to []string, subject, body string) error {
	m.mu.Lock()
	m.sent = append(m.sent, to)
	m.mu.Unlock()
	m.done <- struct{}{}
	return nil
}

func TestNotify(t *testing.T) {
	e := newEnv(t)
	ctx := publisher.SystemContext(context.Background())
	// The organisation's nodal officer has a user account; notifications
	// for the organisation go to them, not to every editor.
	nodal := e.mustUser(ctx, "nodal.agri@example.gov.in", publisher.RoleEditor, e.org.ID)
	now := time.Now().UTC()
	if err := e.store.CreateOfficer(ctx, &publisher.Officer{ID: publisher.NewID(), OrgID: e.org.ID, Kind: publisher.OfficerNodal, Name: "Sunita Malik",
		UserID: nodal.ID, StartDate: now.Add(-24 * time.Hour), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	n, err := e.svc.Notify(ctx, publisher.Recipients{OrgOfficers: e.org.ID, Roles: []publisher.Role{publisher.RoleAdmin}, UserIDs: []string{nodal.ID}},
		e.org.ID, "account.expiring", "X account expires in 3 days", "Reconnect @AgricultureHry.", "/accounts")
	if err != nil || n != 2 {
		t.Fatalf("Notify = %d, %v; want the nodal officer and the admin, once each", n, err)
	}
	ns, total, err := e.svc.ListNotifications(as(nodal), true, 0, 0)
	if err != nil || total != 1 || ns[0].Kind != "account.expiring" || ns[0].Link != "/accounts" {
		t.Fatalf("nodal officer's notifications = %+v (%d), %v", ns, total, err)
	}
	if got, _, _ := e.svc.ListNotifications(as(e.editor), true, 0, 0); len(got) != 0 {
		t.Fatal("an editor who is not the nodal officer was notified")
	}
	if k, err := e.svc.MarkNotificationsRead(as(e.admin), []string{ns[0].ID}); err != nil || k != 0 {
		t.Fatalf("the admin marked the nodal officer's notification read: %d, %v", k, err)
	}
	if k, err := e.svc.MarkNotificationsRead(as(nodal), nil); err != nil || k != 1 {
		t.Fatalf("mark all read = %d, %v", k, err)
	}
	// Without officers with accounts, the organisation's editors hear it.
	n, _ = e.svc.Notify(ctx, publisher.Recipients{OrgOfficers: e.otherOrg.ID}, e.otherOrg.ID, "case.assigned", "A case", "Body", "")
	if n != 1 {
		t.Fatalf("notified %d editors of the other organisation, want 1", n)
	}
}

func TestNotifyEmails(t *testing.T) {
	e := newEnv(t)
	m := &fakeMailer{done: make(chan struct{}, 1)}
	svc, err := publisher.New(publisher.Config{}, publisher.Deps{Store: e.store, Enqueuer: e.queue, Keyring: e.keyring, Hasher: passhashCheap(), Mailer: m})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Notify(publisher.SystemContext(context.Background()), publisher.Recipients{UserIDs: []string{e.editor.ID}}, e.org.ID, "k", "S", "B", "/x"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
		t.Fatal("no e-mail sent")
	}
	if len(m.sent) != 1 || m.sent[0][0] != e.editor.Email {
		t.Fatalf("sent to %v", m.sent)
	}
}
