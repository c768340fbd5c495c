package publisher_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// Tests of the registry: appointments and handovers, merges and lineage,
// officers' contact details, edits with confirmation, and the compliance
// review. Imports are in registry_import_test.go.

func (e *env) appoint(org *publisher.Organisation, name, email, userID string) *publisher.Handover {
	e.t.Helper()
	h, err := e.svc.AppointOfficer(as(e.admin), org.ID, publisher.AppointInput{Kind: publisher.OfficerNodal, UserID: userID,
		OfficerEdit: publisher.OfficerEdit{Name: name, Designation: "Deputy Director (Publicity)", Posting: "Panchkula", Email: email, Phone: "+91 98765 10001"}})
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

func (e *env) current(org *publisher.Organisation) []*publisher.Officer {
	e.t.Helper()
	os, err := e.store.ListOfficers(context.Background(), publisher.OfficerFilter{OrgID: org.ID, CurrentAt: e.clock.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	return os
}

func TestHandoverEndsTermRevokesAccessListsAccountsAndNotifies(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := e.appoint(e.org, "Sunita Malik", "sunita@example.gov.in", e.editor.ID)
	if first.Status != publisher.HandoverComplete || first.FromOfficerID != "" || len(first.Accounts) != 0 {
		t.Fatalf("first appointment = %+v, want a complete handover with nothing to rotate", first)
	}
	e.clock.Add(24 * time.Hour)
	successor := e.mustUser(publisher.SystemContext(ctx), "nodal2.agri@example.gov.in", publisher.RoleEditor, e.org.ID)
	// The outgoing officer is signed in.
	_, _, token, err := e.svc.Login(ctx, e.editor.Email, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	h := e.appoint(e.org, "Rakesh Kumar", "rakesh@example.gov.in", successor.ID)

	// The old term ended where the new one starts; one current nodal officer.
	cur := e.current(e.org)
	if len(cur) != 1 || cur[0].Name != "Rakesh Kumar" || cur[0].ID != h.ToOfficerID {
		t.Fatalf("current officers = %+v, want only Rakesh Kumar", cur)
	}
	old, err := e.store.GetOfficer(ctx, first.ToOfficerID)
	if err != nil {
		t.Fatal(err)
	}
	if old.EndDate == nil || !old.EndDate.Equal(h.EffectiveAt) {
		t.Fatalf("old officer's end = %v, want %v", old.EndDate, h.EffectiveAt)
	}
	// The old officer's user lost access: disabled, and the session gone.
	if h.FromUserID != e.editor.ID || !h.AccessRevoked {
		t.Fatalf("handover access = from %q revoked %v, want the old editor revoked", h.FromUserID, h.AccessRevoked)
	}
	if _, _, err := e.svc.Authenticate(ctx, token); !publisher.IsCode(err, publisher.EUNAUTHORIZED) {
		t.Fatalf("the outgoing officer's session still works: %v", err)
	}
	if u, _ := e.store.GetUser(ctx, e.editor.ID); !u.Disabled {
		t.Fatal("the outgoing officer's user is not disabled")
	}
	// Every usable account is listed for rotation; Koo (defunct) is not.
	var listed []string
	for _, a := range h.Accounts {
		listed = append(listed, a.AccountID)
	}
	want := []string{e.fbAcct.ID, e.xAcct.ID, e.igAcct.ID}
	for _, id := range want {
		if !strings.Contains(strings.Join(listed, ","), id) {
			t.Errorf("account %s is not listed for rotation (%v)", id, listed)
		}
	}
	if len(listed) != 3 || h.Status != publisher.HandoverRotation {
		t.Fatalf("rotation list %v, status %s; want the three usable accounts, rotation_pending", listed, h.Status)
	}
	// Notified: the new officer (a current officer now) and the admins.
	for _, u := range []*publisher.User{successor, e.admin} {
		ns, _, err := e.store.ListNotifications(ctx, publisher.NotificationFilter{UserID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) == 0 || ns[0].Kind != "officer.handover" || !strings.Contains(ns[0].Body, "Rakesh Kumar") || !strings.Contains(ns[0].Body, "@x2001") {
			t.Errorf("%s's notifications = %+v, want the handover naming the new officer and the accounts", u.Email, ns)
		}
	}
	// Rotation is confirmed account by account, by the organisation's editor.
	sctx := as(successor)
	for i, id := range want {
		got, err := e.svc.ConfirmRotation(sctx, h.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		done := i == len(want)-1
		if (got.Status == publisher.HandoverComplete) != done {
			t.Fatalf("after %d confirmations status = %s", i+1, got.Status)
		}
	}
	_, err = e.svc.ConfirmRotation(as(e.otherEditor), h.ID, e.fbAcct.ID)
	wantCode(t, err, publisher.ENOTFOUND)
	// The history keeps both officers' versions.
	revs, err := e.store.ListOfficerRevisions(ctx, publisher.OfficerRevisionFilter{OrgID: e.org.ID})
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, r := range revs {
		reasons = append(reasons, r.Officer.Name+":"+r.Reason)
	}
	slices.Sort(reasons) // the handover's two versions share a time
	if got := strings.Join(reasons, ","); got != "Rakesh Kumar:appointed,Sunita Malik:appointed,Sunita Malik:term_ended" {
		t.Fatalf("revisions = %s", got)
	}
}

func TestConcurrentAppointmentsLeaveOneCurrentOfficer(t *testing.T) {
	e := newEnv(t)
	const n = 6
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := e.svc.AppointOfficer(as(e.admin), e.org.ID, publisher.AppointInput{OfficerEdit: publisher.OfficerEdit{
				Name: fmt.Sprintf("Officer %d", i), Designation: "PRO", Posting: "Chandigarh", Email: fmt.Sprintf("o%d@example.gov.in", i), Phone: "0172-2740000"}})
			errs <- err
		}()
	}
	ok := 0
	for range n {
		err := <-errs
		if err == nil {
			ok++
		} else if !publisher.IsCode(err, publisher.ECONFLICT) {
			t.Fatalf("an appointment failed with %v, want success or ECONFLICT", err)
		}
	}
	if ok == 0 {
		t.Fatal("no appointment succeeded")
	}
	if cur := e.current(e.org); len(cur) != 1 {
		t.Fatalf("%d current nodal officers after %d successful appointments, want 1", len(cur), ok)
	}
}

func TestResumeHandoverFinishesAnInterruptedOne(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.appoint(e.org, "Sunita Malik", "sunita@example.gov.in", e.editor.ID)
	e.clock.Add(time.Hour)
	// A handover recorded but never run (the process died after planning).
	now := e.clock.Now()
	planned := &publisher.Officer{ID: publisher.NewID(), OrgID: e.org.ID, Kind: publisher.OfficerNodal, Name: "Rakesh Kumar", Designation: "PRO",
		Posting: "Panchkula", Email: "rakesh@example.gov.in", Phone: "+91 98765 10009", StartDate: now, CreatedAt: now, UpdatedAt: now}
	cur := e.current(e.org)
	h := &publisher.Handover{ID: publisher.NewID(), OrgID: e.org.ID, Kind: publisher.OfficerNodal, FromOfficerID: cur[0].ID, FromUserID: e.editor.ID,
		ToOfficerID: planned.ID, Appointed: planned, EffectiveAt: now, Status: publisher.HandoverRunning, CreatedAt: now, UpdatedAt: now}
	if err := e.store.CreateHandover(ctx, h); err != nil {
		t.Fatal(err)
	}
	// Another appointment must wait for it.
	_, err := e.svc.AppointOfficer(as(e.admin), e.org.ID, publisher.AppointInput{OfficerEdit: publisher.OfficerEdit{Name: "X", Designation: "PRO",
		Posting: "P", Email: "x@example.gov.in", Phone: "0172-2740000"}})
	wantCode(t, err, publisher.ECONFLICT)
	for range 2 { // resuming twice does nothing twice
		got, err := e.svc.ResumeHandover(as(e.admin), h.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != publisher.HandoverComplete || !got.AccessRevoked {
			t.Fatalf("resumed handover = %+v", got)
		}
	}
	cur = e.current(e.org)
	if len(cur) != 1 || cur[0].ID != planned.ID {
		t.Fatalf("current officers after resuming = %+v", cur)
	}
	revs, _ := e.store.ListOfficerRevisions(ctx, publisher.OfficerRevisionFilter{OfficerID: planned.ID})
	if len(revs) != 1 {
		t.Fatalf("the appointed officer has %d revisions, want 1", len(revs))
	}
}

func TestOfficerContactsAreScopedAndEveryViewAudited(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.appoint(e.otherOrg, "Dr. Rajesh Yadav", "rajesh@example.gov.in", "")
	viewer := e.mustUser(publisher.SystemContext(ctx), "cmo@example.gov.in", publisher.RoleViewer, "")
	cases := []struct {
		who  *publisher.User
		sees bool
	}{
		{e.admin, true}, {e.approver, true}, {e.otherEditor, true}, {viewer, false},
	}
	for _, c := range cases {
		page, err := e.svc.RegistryOrg(as(c.who), e.otherOrg.ID)
		if err != nil {
			t.Fatalf("%s: %v", c.who.Email, err)
		}
		o := page.Officers[0]
		if got := o.Email != "" && o.Phone != ""; got != c.sees {
			t.Errorf("%s sees contacts = %v (e-mail %q), want %v", c.who.Email, got, o.Email, c.sees)
		}
		events, _ := e.store.ListAudit(ctx, publisher.AuditFilter{ActorID: c.who.ID})
		logged := false
		for _, ev := range events {
			logged = logged || (ev.Action == "officer.view_contacts" && ev.OrgID == e.otherOrg.ID)
		}
		if logged != c.sees {
			t.Errorf("%s: contact view logged = %v, want %v", c.who.Email, logged, c.sees)
		}
	}
	// An editor of another organisation can read none of it: not the page,
	// not the history, not the officers, not the handovers.
	_, err := e.svc.RegistryOrg(as(e.editor), e.otherOrg.ID)
	wantCode(t, err, publisher.ENOTFOUND)
	_, err = e.svc.RegistryOrgHistory(as(e.editor), e.otherOrg.ID)
	wantCode(t, err, publisher.ENOTFOUND)
	_, err = e.svc.ListOfficers(as(e.editor), e.otherOrg.ID)
	wantCode(t, err, publisher.ENOTFOUND)
	_, err = e.svc.ListHandovers(as(e.editor), e.otherOrg.ID, nil)
	wantCode(t, err, publisher.ENOTFOUND)
	// The export carries the contacts only for those who may see them.
	for _, c := range []struct {
		who   *publisher.User
		email string
	}{{e.admin, "rajesh@example.gov.in"}, {viewer, ""}} {
		ex, err := e.svc.ExportRegistry(as(c.who))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range ex.Table("officers").Rows {
			if r[2] == "Dr. Rajesh Yadav" && r[5] != c.email {
				t.Errorf("%s's export shows e-mail %q, want %q", c.who.Email, r[5], c.email)
			}
		}
	}
	// An editor's export is their own organisation's.
	ex, err := e.svc.ExportRegistry(as(e.editor))
	if err != nil {
		t.Fatal(err)
	}
	if rows := ex.Table("organisations").Rows; len(rows) != 1 || rows[0][0] != "AGRI" {
		t.Fatalf("an editor's export has organisations %v", rows)
	}
}

func TestEditorChangesNeedConfirmationNodalOfficerEditsDirectly(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	h := e.appoint(e.org, "Sunita Malik", "sunita@example.gov.in", e.editor.ID)
	staff := e.mustUser(publisher.SystemContext(ctx), "staff.agri@example.gov.in", publisher.RoleEditor, e.org.ID)
	edit := publisher.OfficerEdit{Name: "Sunita Malik", Designation: "Joint Director (Publicity)", Posting: "Panchkula", Email: "sunita@example.gov.in",
		Phone: "+91 98765 10001"}

	// A staff editor proposes; nothing changes until an admin confirms.
	res, err := e.svc.EditOfficer(as(staff), h.ToOfficerID, edit, "promoted in October")
	if err != nil {
		t.Fatal(err)
	}
	if res.Change == nil || res.Change.Status != publisher.ChangePending {
		t.Fatalf("staff edit = %+v, want a pending change", res)
	}
	o, _ := e.store.GetOfficer(ctx, h.ToOfficerID)
	if o.Designation != "Deputy Director (Publicity)" {
		t.Fatalf("the officer changed before confirmation: %q", o.Designation)
	}
	_, err = e.svc.DecideOfficerChange(as(e.approver), res.Change.ID, true, "")
	wantCode(t, err, publisher.EFORBIDDEN)
	decided, err := e.svc.DecideOfficerChange(as(e.admin), res.Change.ID, true, "checked with the order")
	if err != nil {
		t.Fatal(err)
	}
	if decided.Status != publisher.ChangeApproved || decided.Before.Designation != "Deputy Director (Publicity)" ||
		decided.Proposed.Designation != "Joint Director (Publicity)" {
		t.Fatalf("decided change = %+v: both versions must stay", decided)
	}
	_, err = e.svc.DecideOfficerChange(as(e.admin), res.Change.ID, false, "")
	wantCode(t, err, publisher.ECONFLICT)
	o, _ = e.store.GetOfficer(ctx, h.ToOfficerID)
	if o.Designation != "Joint Director (Publicity)" {
		t.Fatalf("confirmed change not applied: %q", o.Designation)
	}

	// The nodal officer edits their own organisation's officer directly.
	edit.Phone = "+91 98765 20002"
	res, err = e.svc.EditOfficer(as(e.editor), h.ToOfficerID, edit, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Change != nil || res.Officer.Phone != "+91 98765 20002" {
		t.Fatalf("nodal officer's edit = %+v, want applied at once", res)
	}
	// Bad details are refused field by field.
	bad := edit
	bad.Email, bad.Phone = "sunita@", "12345"
	_, err = e.svc.EditOfficer(as(e.editor), h.ToOfficerID, bad, "")
	wantField(t, err, "email", "invalid_email")
	wantField(t, err, "phone", "invalid_phone")
	// Editors of other organisations and viewers cannot.
	_, err = e.svc.EditOfficer(as(e.otherEditor), h.ToOfficerID, edit, "")
	wantCode(t, err, publisher.ENOTFOUND)
	revs, _ := e.store.ListOfficerRevisions(ctx, publisher.OfficerRevisionFilter{OfficerID: h.ToOfficerID})
	var reasons []string
	for _, r := range revs {
		reasons = append(reasons, r.Reason+":"+r.Officer.Designation+":"+r.Officer.Phone)
	}
	want := "appointed:Deputy Director (Publicity):+91 98765 10001,change_approved:Joint Director (Publicity):+91 98765 10001,edited:Joint Director (Publicity):+91 98765 20002"
	if got := strings.Join(reasons, ","); got != want {
		t.Fatalf("versions:\n got %s\nwant %s", got, want)
	}
}

func TestMergeMovesAccountsUsersAndKeepsHistoryTraceable(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sys := publisher.SystemContext(ctx)
	// Art & Culture, with a unit, an officer and an editor, merges into AGRI
	// (standing in for DIPRL), which has its own.
	artc := e.mustOrg(sys, "ARTC", "Art and Culture Department", "कला एवं संस्कृति विभाग")
	unit, err := e.svc.CreateOrg(sys, publisher.OrgInput{Code: "HSAC", Type: publisher.OrgBoard, ParentID: artc.ID, NameEN: "Haryana Sangeet Akademi", NameHI: "हरियाणा संगीत अकादमी"})
	if err != nil {
		t.Fatal(err)
	}
	artEditor := e.mustUser(sys, "editor.artc@example.gov.in", publisher.RoleEditor, artc.ID)
	artX := e.mustAccount(sys, artc.ID, publisher.X, "9001", "tok-artc")
	e.appoint(artc, "Asha Rani", "asha@example.gov.in", artEditor.ID)
	// A post of Art & Culture is published before the merge.
	p, err := e.svc.CreatePost(as(artEditor), publisher.PostInput{Content: publisher.Content{BodyHI: "लोक संगीत उत्सव"}, Targets: []string{artX.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = e.svc.SubmitPost(as(artEditor), p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	if _, err = e.svc.ApprovePost(as(e.approver), p.ID, p.Revision, ""); err != nil {
		t.Fatal(err)
	}
	for _, d := range e.fanout(p) {
		if err := e.svc.Deliver(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
	}
	// And two of its posts are unfinished: a draft and one in review.
	draft, err := e.svc.CreatePost(as(artEditor), publisher.PostInput{Title: "Draft", Content: publisher.Content{BodyHI: "रागिनी प्रतियोगिता"}, Targets: []string{artX.ID}})
	if err != nil {
		t.Fatal(err)
	}
	review, err := e.svc.CreatePost(as(artEditor), publisher.PostInput{Title: "In review", Content: publisher.Content{BodyHI: "सांग उत्सव"}, Targets: []string{artX.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if review, err = e.svc.SubmitPost(as(artEditor), review.ID, review.Revision); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour)
	ev, err := e.svc.MergeOrgs(as(e.admin), e.org.ID, publisher.MergeInput{SourceIDs: []string{artc.ID}, OrderRef: "Cabinet 14/12/2022"})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Status != publisher.OrgEventDone || len(ev.Moved.Accounts) != 1 || len(ev.Moved.Users) != 1 || len(ev.Moved.Children) != 1 || len(ev.Moved.OfficersEnded) != 1 ||
		len(ev.Moved.Posts) != 2 {
		t.Fatalf("merge event = %+v", ev)
	}
	// The unfinished posts go on under AGRI, with their author; the
	// published one stays Art & Culture's.
	for _, id := range []string{draft.ID, review.ID} {
		if got, _ := e.store.GetPost(ctx, id); got.OrgID != e.org.ID {
			t.Errorf("post %s is in %s, want moved to AGRI", id, got.OrgID)
		}
	}
	if got, _ := e.store.GetPost(ctx, p.ID); got.OrgID != artc.ID {
		t.Errorf("the published post moved to %s", got.OrgID)
	}
	moved, _ := e.store.GetUser(ctx, artEditor.ID) // signed in again: now AGRI's editor
	if _, err := e.svc.SubmitPost(as(moved), draft.ID, draft.Revision); err != nil {
		t.Fatalf("the author cannot carry on with the moved draft: %v", err)
	}
	if events, _ := e.store.ListAudit(ctx, publisher.AuditFilter{ObjectID: review.ID}); !hasAudit(events, "post.move", e.admin.ID) {
		t.Error("no post.move audit event")
	}
	// Accounts, users and units moved, each traceable to where it came from.
	if a, _ := e.store.GetAccount(ctx, artX.ID); a.OrgID != e.org.ID {
		t.Fatal("the account did not move")
	}
	if ev.Moved.Accounts[0].FromOrgID != artc.ID || ev.Moved.Accounts[0].ID != artX.ID {
		t.Fatalf("moved account record = %+v", ev.Moved.Accounts[0])
	}
	if u, _ := e.store.GetUser(ctx, artEditor.ID); u.OrgID != e.org.ID || u.Disabled {
		t.Fatalf("the editor = %+v, want moved and enabled", u)
	}
	if o, _ := e.store.GetOrg(ctx, unit.ID); o.ParentID != e.org.ID {
		t.Fatal("the unit was not re-parented")
	}
	if o, _ := e.store.GetOrg(ctx, artc.ID); o.ActiveTo == nil || !o.ActiveTo.Equal(ev.EffectiveAt) {
		t.Fatalf("the merged organisation is still open: %+v", o.ActiveTo)
	}
	if len(e.current(artc)) != 0 {
		t.Fatal("the merged organisation still has a current officer")
	}
	// The publish history stays Art & Culture's, and AGRI's history finds it.
	h, err := e.svc.RegistryOrgHistory(as(e.editor), e.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Lineage.Predecessors) != 1 || h.Lineage.Predecessors[0].ID != artc.ID {
		t.Fatalf("lineage = %+v", h.Lineage)
	}
	found := false
	for _, d := range h.Deliveries {
		found = found || (d.PostID == p.ID && d.OrgID == artc.ID && d.Status == publisher.DeliveryPublished)
	}
	if !found || h.DeliveriesByOrg[artc.ID] != 1 {
		t.Fatalf("AGRI's history does not trace Art & Culture's published post: %+v", h.DeliveriesByOrg)
	}
	if len(h.Officers) != 1 || h.Officers[0].Name != "Asha Rani" || h.Officers[0].Email != "" {
		t.Fatalf("predecessors' officers = %+v, want Asha Rani without contacts for AGRI's editor", h.Officers)
	}
	// Art & Culture's lineage names its successor.
	l, err := e.svc.OrgLineage(as(e.admin), artc.ID)
	if err != nil || l.Successor == nil || l.Successor.ID != e.org.ID {
		t.Fatalf("successor = %+v (%v)", l, err)
	}
	// The compliance review counts the predecessor's recent post for AGRI
	// and no longer lists the closed organisation.
	r, err := e.svc.ComplianceReview(as(e.admin), publisher.ComplianceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Orgs {
		if c.OrgID == artc.ID {
			t.Fatal("the merged organisation is still reviewed")
		}
		if c.OrgID == e.org.ID && (c.RecentPosts != 1 || !c.Active) {
			t.Fatalf("AGRI's activity = %d posts, want the predecessor's 1", c.RecentPosts)
		}
	}
	// A closed organisation cannot be merged again, nor into itself.
	_, err = e.svc.MergeOrgs(as(e.admin), e.otherOrg.ID, publisher.MergeInput{SourceIDs: []string{artc.ID, e.otherOrg.ID}})
	wantField(t, err, "sourceIds", "closed")
	wantField(t, err, "sourceIds", "self_merge")
	_, err = e.svc.MergeOrgs(as(e.editor), e.otherOrg.ID, publisher.MergeInput{SourceIDs: []string{e.org.ID}})
	wantCode(t, err, publisher.EFORBIDDEN)
}

func TestRenameIsRecordedWithBothNames(t *testing.T) {
	e := newEnv(t)
	o, err := e.svc.UpdateOrg(as(e.admin), e.org.ID, publisher.OrgUpdate{Code: "AGRI", Type: publisher.OrgDepartment,
		NameEN: "Agriculture Department", NameHI: "कृषि विभाग", OrderRef: "Notification 2025/3"})
	if err != nil {
		t.Fatal(err)
	}
	if o.NameEN != "Agriculture Department" {
		t.Fatalf("name = %q", o.NameEN)
	}
	l, err := e.svc.OrgLineage(as(e.admin), e.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Events) != 1 || l.Events[0].Kind != publisher.OrgEventRename || l.Events[0].Before.NameEN != "Agriculture and Farmers Welfare Department" ||
		l.Events[0].After.NameEN != "Agriculture Department" || l.Events[0].OrderRef != "Notification 2025/3" {
		t.Fatalf("events = %+v", l.Events)
	}
	_, err = e.svc.UpdateOrg(as(e.admin), e.org.ID, publisher.OrgUpdate{Code: "AGRI", Type: publisher.OrgDepartment, NameEN: "X", NameHI: "कृषि", ParentID: e.org.ID})
	wantField(t, err, "parentId", "parent_cycle")
	_, err = e.svc.UpdateOrg(as(e.admin), e.org.ID, publisher.OrgUpdate{Code: "HEALTH", Type: publisher.OrgDepartment, NameEN: "X", NameHI: "कृषि"})
	wantField(t, err, "code", "taken")
}

func TestComplianceReviewScoresRanksAndFilters(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sys := publisher.SystemContext(ctx)
	karnal, err := e.svc.CreateOrg(sys, publisher.OrgInput{Code: "D-KARNAL", Type: publisher.OrgDistrict, NameEN: "District Administration Karnal", NameHI: "जिला प्रशासन करनाल", District: "Karnal"})
	if err != nil {
		t.Fatal(err)
	}
	// AGRI: nodal officer, FB/X/IG connected, a post published today → 100.
	e.appoint(e.org, "Sunita Malik", "sunita@example.gov.in", "")
	p := e.approvedPost("किसान भाइयों के लिए सूचना", e.fbAcct, e.xAcct)
	for _, d := range e.fanout(p) {
		if err := e.svc.Deliver(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
	}
	// HEALTH: only a Facebook account, connected; no officer; nothing published.
	// Karnal: an X account registered but not connected.
	if _, err := e.svc.RegisterAccount(as(e.admin), publisher.RegisterAccountInput{OrgID: karnal.ID, Platform: publisher.X, Handle: "@DC_Karnal"}); err != nil {
		t.Fatal(err)
	}
	r, err := e.svc.ComplianceReview(as(e.admin), publisher.ComplianceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*publisher.OrgCompliance{}
	var order []string
	for _, c := range r.Orgs {
		got[c.Code] = c
		order = append(order, fmt.Sprintf("%s:%d:%d", c.Code, c.Score, c.Rank))
	}
	// HEALTH: 25·1/3 for accounts + 25·1/3 working = 8 + 8 = 16.
	// Karnal: 25·1/3 for accounts (a registered X account), none working = 8.
	if want := "AGRI:100:1,HEALTH:16:2,D-KARNAL:8:3"; strings.Join(order, ",") != want {
		t.Fatalf("ranking = %s, want %s", strings.Join(order, ","), want)
	}
	gaps := func(c *publisher.OrgCompliance) string {
		var s []string
		for _, g := range c.Gaps {
			s = append(s, string(g.Code)+"/"+string(g.Platform))
		}
		return strings.Join(s, ",")
	}
	if g := gaps(got["D-KARNAL"]); g != "no_nodal_officer/,no_account/facebook,not_connected/x,no_account/instagram,no_recent_posts/" {
		t.Fatalf("Karnal's gaps = %s", g)
	}
	if c := got["AGRI"]; !c.NodalOfficer || !c.AccountsOK || !c.WorkingOK || c.RecentPosts != 1 || len(c.Gaps) != 0 {
		t.Fatalf("AGRI = %+v", c)
	}
	s := r.Summary
	if s.Organisations != 3 || s.WithNodal != 1 || s.WithAccounts != 1 || s.AllWorking != 1 || s.Active != 1 || s.FullyCompliant != 1 ||
		s.AverageScore != 41 || s.Platforms[0].WithAccount != 2 || s.Platforms[1].WithAccount != 2 || s.Platforms[1].Working != 1 {
		t.Fatalf("summary = %+v", s)
	}
	// Filters.
	r, err = e.svc.ComplianceReview(as(e.admin), publisher.ComplianceFilter{Type: publisher.OrgDistrict})
	if err != nil || len(r.Orgs) != 1 || r.Orgs[0].Code != "D-KARNAL" {
		t.Fatalf("type filter = %+v (%v)", r, err)
	}
	r, err = e.svc.ComplianceReview(as(e.admin), publisher.ComplianceFilter{District: "karnal"})
	if err != nil || len(r.Orgs) != 1 || r.Districts[0] != "Karnal" {
		t.Fatalf("district filter = %+v (%v)", r, err)
	}
	// Fifteen days on, AGRI's post is out of the window.
	e.clock.Add(15*24*time.Hour + time.Minute)
	r, _ = e.svc.ComplianceReview(as(e.admin), publisher.ComplianceFilter{Type: publisher.OrgDepartment})
	for _, c := range r.Orgs {
		if c.Code == "AGRI" && (c.Active || c.Score != 75) {
			t.Fatalf("AGRI after the window = %+v", c)
		}
	}
	// Editors see their own row only; viewers see all.
	r, err = e.svc.ComplianceReview(as(e.editor), publisher.ComplianceFilter{})
	if err != nil || len(r.Orgs) != 1 || r.Orgs[0].Code != "AGRI" {
		t.Fatalf("editor's review = %+v (%v)", r, err)
	}
}

func TestNormalizeHindi(t *testing.T) {
	cases := []struct{ in, want string }{
		{"\u095Bिला", "\u091C\u093Cिला"},       // precomposed ज़ → ज + nukta, as NFC does
		{"\u091C\u093Cिला", "\u091C\u093Cिला"}, // already decomposed
		{"\u0928\u093C", "\u0929"},             // ऩ is composed by NFC
		{"फ़रीदाबाद", "\u092B\u093Cरीदाबाद"},   // typed with the precomposed or decomposed फ़
		{"Faridabad", "Faridabad"},
	}
	for _, c := range cases {
		if got := publisher.NormalizeHindi(c.in); got != c.want {
			t.Errorf("NormalizeHindi(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
