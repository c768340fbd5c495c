package publisher_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// TestEndOfficerTermLeavesThePostVacant: the nodal officer is transferred
// and nobody is appointed yet. The administrator ends the term: the post is
// vacant, the officer's user loses access, the accounts are listed for
// rotation, the administrators and the outgoing officer are told; a later
// appointment is a first appointment again.
func TestEndOfficerTermLeavesThePostVacant(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := e.appoint(e.org, "Sunita Malik", "sunita@example.gov.in", e.editor.ID)
	e.clock.Add(30 * 24 * time.Hour)
	_, _, token, err := e.svc.Login(ctx, e.editor.Email, testPassword)
	if err != nil {
		t.Fatal(err)
	}

	// Refused: another role, a date in the future or before the term.
	_, err = e.svc.EndOfficerTerm(as(e.approver), first.ToOfficerID, publisher.VacateInput{})
	wantCode(t, err, publisher.EFORBIDDEN)
	future := e.clock.Now().Add(48 * time.Hour)
	_, err = e.svc.EndOfficerTerm(as(e.admin), first.ToOfficerID, publisher.VacateInput{EndDate: &future})
	wantField(t, err, "endDate", "in_future")
	early := first.EffectiveAt.Add(-24 * time.Hour)
	_, err = e.svc.EndOfficerTerm(as(e.admin), first.ToOfficerID, publisher.VacateInput{EndDate: &early})
	wantField(t, err, "endDate", "before_start")
	_, err = e.svc.EndOfficerTerm(as(e.admin), "nosuchofficer", publisher.VacateInput{})
	wantCode(t, err, publisher.ENOTFOUND)
	if len(e.current(e.org)) != 1 {
		t.Fatal("a refused request changed the registry")
	}

	left := e.clock.Now().Add(-2 * 24 * time.Hour) // relieved two days ago
	h, err := e.svc.EndOfficerTerm(as(e.admin), first.ToOfficerID, publisher.VacateInput{EndDate: &left, Note: "Transferred to Sirsa"})
	if err != nil {
		t.Fatal(err)
	}
	if h.ToOfficerID != "" || h.Appointed != nil || h.FromOfficerID != first.ToOfficerID || !h.EffectiveAt.Equal(left) {
		t.Fatalf("handover = %+v, want from the officer to nobody at %v", h, left)
	}
	// Vacant: no current nodal officer, the term ended on the day given.
	if cur := e.current(e.org); len(cur) != 0 {
		t.Fatalf("current officers = %+v, want none", cur)
	}
	o, err := e.store.GetOfficer(ctx, first.ToOfficerID)
	if err != nil {
		t.Fatal(err)
	}
	if o.EndDate == nil || !o.EndDate.Equal(left) {
		t.Fatalf("end date = %v, want %v", o.EndDate, left)
	}
	// Access gone, accounts listed for rotation.
	if !h.AccessRevoked || h.Status != publisher.HandoverRotation || len(h.Accounts) != 3 {
		t.Fatalf("access revoked %v, status %s, %d accounts to rotate; want revoked, rotation_pending, 3", h.AccessRevoked, h.Status, len(h.Accounts))
	}
	if _, _, err := e.svc.Authenticate(ctx, token); !publisher.IsCode(err, publisher.EUNAUTHORIZED) {
		t.Fatalf("the outgoing officer's session still works: %v", err)
	}
	// Told: the administrators and the outgoing officer.
	for _, u := range []*publisher.User{e.admin, e.editor} {
		ns, _, err := e.store.ListNotifications(ctx, publisher.NotificationFilter{UserID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) == 0 || ns[0].Kind != "officer.handover" || !strings.Contains(ns[0].Subject, "vacant") {
			t.Errorf("%s's notifications = %+v, want the vacancy", u.Email, ns)
		}
	}
	events, _ := e.store.ListAudit(ctx, publisher.AuditFilter{ObjectID: first.ToOfficerID})
	if !hasAudit(events, "officer.vacate", e.admin.ID) {
		t.Error("no officer.vacate audit event")
	}
	revs, _ := e.store.ListOfficerRevisions(ctx, publisher.OfficerRevisionFilter{OfficerID: first.ToOfficerID})
	if n := len(revs); n == 0 || revs[n-1].Reason != "term_ended" {
		t.Errorf("the officer's last version is not term_ended: %+v", revs)
	}
	// Ending it again is refused.
	_, err = e.svc.EndOfficerTerm(as(e.admin), first.ToOfficerID, publisher.VacateInput{})
	wantField(t, err, "officerId", "not_current")

	// The next appointment fills the vacancy: nobody to hand over from.
	next := e.appoint(e.org, "Rakesh Kumar", "rakesh@example.gov.in", "")
	if next.FromOfficerID != "" || len(next.Accounts) != 0 || next.Status != publisher.HandoverComplete {
		t.Fatalf("appointment after the vacancy = %+v, want a first appointment", next)
	}
	if cur := e.current(e.org); len(cur) != 1 || cur[0].Name != "Rakesh Kumar" {
		t.Fatalf("current officers = %+v", cur)
	}
}
