package publisher_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

func TestReviewWorkflow(t *testing.T) {
	e := newEnv(t)
	ed, ap := as(e.editor), as(e.approver)
	p, err := e.svc.CreatePost(ed, publisher.PostInput{Content: publisher.Content{BodyHI: "किसान भाइयों के लिए नई योजना", BodyEN: "A new scheme for farmers"}, Targets: []string{e.fbAcct.ID, e.xAcct.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != publisher.PostDraft || p.Revision != 1 || p.OrgID != e.org.ID || p.Title == "" {
		t.Fatalf("new post = %+v", p)
	}

	t.Run("approving a draft is refused", func(t *testing.T) {
		_, err := e.svc.ApprovePost(ap, p.ID, p.Revision, "")
		wantCode(t, err, publisher.ECONFLICT)
	})
	p, err = e.svc.SubmitPost(ed, p.ID, p.Revision)
	if err != nil || p.Status != publisher.PostInReview {
		t.Fatalf("submit = %v, %v", p, err)
	}
	t.Run("editors cannot approve", func(t *testing.T) {
		_, err := e.svc.ApprovePost(ed, p.ID, p.Revision, "")
		wantCode(t, err, publisher.EFORBIDDEN)
	})
	t.Run("reject and request changes need a comment", func(t *testing.T) {
		_, err := e.svc.RejectPost(ap, p.ID, p.Revision, "  ")
		wantField(t, err, "comment", "required")
		_, err = e.svc.RequestChanges(ap, p.ID, p.Revision, "")
		wantField(t, err, "comment", "required")
	})
	t.Run("approving a stale revision is refused", func(t *testing.T) {
		_, err := e.svc.ApprovePost(ap, p.ID, p.Revision-1, "")
		wantCode(t, err, publisher.ECONFLICT)
	})
	p, err = e.svc.RequestChanges(ap, p.ID, p.Revision, "Add the portal link.")
	if err != nil || p.Status != publisher.PostChangesRequested {
		t.Fatalf("request changes = %v, %v", p, err)
	}
	p, err = e.svc.UpdatePost(ed, p.ID, p.Revision, publisher.PostInput{Content: publisher.Content{BodyHI: p.Content.BodyHI, BodyEN: p.Content.BodyEN, Link: "https://agriharyana.gov.in"}, Targets: p.Targets})
	if err != nil || p.Revision != 2 {
		t.Fatalf("edit = %v, %v", p, err)
	}
	p, err = e.svc.SubmitPost(ed, p.ID, p.Revision)
	if err != nil {
		t.Fatal(err)
	}
	p, err = e.svc.ApprovePost(ap, p.ID, p.Revision, "Good to go")
	if err != nil || p.Status != publisher.PostApproved || p.ApprovedRevision != 2 || p.ApprovedBy != e.approver.ID {
		t.Fatalf("approve = %+v, %v", p, err)
	}
	if n, _ := e.queue.counts(); n != 1 || e.queue.fanouts[0] != p.ID+":2" {
		t.Fatalf("fan-outs queued = %v, want [%s:2]", e.queue.fanouts, p.ID)
	}

	t.Run("editing after approval reopens review", func(t *testing.T) {
		p2, err := e.svc.UpdatePost(ed, p.ID, p.Revision, publisher.PostInput{Content: publisher.Content{BodyHI: "संशोधित पाठ", Link: p.Content.Link}, Targets: p.Targets})
		if err != nil {
			t.Fatal(err)
		}
		if p2.Status != publisher.PostInReview || p2.ApprovedRevision != 0 || p2.Revision != 3 {
			t.Fatalf("after edit: status %s approvedRevision %d revision %d", p2.Status, p2.ApprovedRevision, p2.Revision)
		}
		// The fan-out queued for revision 2 is now stale and does nothing.
		if err := e.svc.Fanout(ed, p.ID, 2); err != nil {
			t.Fatal(err)
		}
		ds, _, _ := e.store.ListDeliveries(ed, publisher.DeliveryFilter{PostID: p.ID})
		if len(ds) != 0 {
			t.Fatalf("stale fan-out created %d deliveries", len(ds))
		}
		last := p2.Review[len(p2.Review)-1]
		if last.Action != "reopen" {
			t.Fatalf("last review entry = %+v, want reopen", last)
		}
	})
}

func TestNobodyApprovesTheirOwnPost(t *testing.T) {
	e := newEnv(t)
	// An administrator writes a post: they cannot approve it, an approver can.
	p, err := e.svc.CreatePost(as(e.admin), publisher.PostInput{OrgID: e.org.ID, Content: publisher.Content{BodyEN: "Mandi prices today"}, Targets: []string{e.fbAcct.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = e.svc.SubmitPost(as(e.admin), p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ApprovePost(as(e.admin), p.ID, p.Revision, "")
	wantCode(t, err, publisher.EFORBIDDEN)
	if !strings.Contains(publisher.ErrorMessage(err), "own post") {
		t.Fatalf("message = %q", publisher.ErrorMessage(err))
	}

	// An editor's post edited by the admin: the admin contributed, so the
	// admin cannot approve either.
	q, err := e.svc.CreatePost(as(e.editor), publisher.PostInput{Content: publisher.Content{BodyEN: "Soil health cards"}, Targets: []string{e.fbAcct.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if q, err = e.svc.UpdatePost(as(e.admin), q.ID, q.Revision, publisher.PostInput{Content: publisher.Content{BodyEN: "Soil health cards for every farmer"}, Targets: q.Targets}); err != nil {
		t.Fatal(err)
	}
	if q, err = e.svc.SubmitPost(as(e.editor), q.ID, q.Revision); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ApprovePost(as(e.admin), q.ID, q.Revision, "")
	wantCode(t, err, publisher.EFORBIDDEN)
	if _, err := e.svc.ApprovePost(as(e.approver), q.ID, q.Revision, ""); err != nil {
		t.Fatalf("another approver: %v", err)
	}
}

func TestOrganisationScoping(t *testing.T) {
	e := newEnv(t)
	p, err := e.svc.CreatePost(as(e.editor), publisher.PostInput{Content: publisher.Content{BodyEN: "Agriculture only"}, Targets: []string{e.fbAcct.ID}})
	if err != nil {
		t.Fatal(err)
	}
	other := as(e.otherEditor)
	tests := []struct {
		name string
		call func() error
	}{
		{"get post", func() error { _, err := e.svc.GetPost(other, p.ID); return err }},
		{"edit post", func() error {
			_, err := e.svc.UpdatePost(other, p.ID, p.Revision, publisher.PostInput{Content: publisher.Content{BodyEN: "x"}})
			return err
		}},
		{"submit post", func() error { _, err := e.svc.SubmitPost(other, p.ID, p.Revision); return err }},
		{"revisions", func() error { _, err := e.svc.ListRevisions(other, p.ID); return err }},
		{"deliveries of post", func() error { _, _, err := e.svc.PostDeliveries(other, p.ID); return err }},
		{"account", func() error { _, err := e.svc.GetAccount(other, e.fbAcct.ID); return err }},
		{"accounts of org", func() error { _, err := e.svc.ListAccounts(other, e.org.ID); return err }},
		{"organisation", func() error { _, err := e.svc.GetOrg(other, e.org.ID); return err }},
		{"officers", func() error { _, err := e.svc.ListOfficers(other, e.org.ID); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), publisher.ENOTFOUND) })
	}
	t.Run("lists are scoped", func(t *testing.T) {
		ps, total, err := e.svc.ListPosts(other, publisher.PostFilter{})
		if err != nil || total != 0 || len(ps) != 0 {
			t.Fatalf("other editor sees %d posts (total %d), %v", len(ps), total, err)
		}
		ps, _, _ = e.svc.ListPosts(other, publisher.PostFilter{OrgID: e.org.ID})
		if len(ps) != 0 {
			t.Fatal("asking for another organisation's posts by filter returned some")
		}
		as, _ := e.svc.ListAccounts(other, "")
		for _, a := range as {
			if a.OrgID != e.otherOrg.ID {
				t.Fatalf("other editor sees account of %s", a.OrgID)
			}
		}
	})
	t.Run("targets must be the organisation's accounts", func(t *testing.T) {
		_, err := e.svc.CreatePost(as(e.editor), publisher.PostInput{Content: publisher.Content{BodyEN: "x"}, Targets: []string{e.otherAcct.ID}})
		wantField(t, err, "targets[0]", "unknown_account")
	})
	t.Run("viewers read but do not write", func(t *testing.T) {
		v := e.mustUser(publisher.SystemContext(as(e.admin)), "viewer@example.gov.in", publisher.RoleViewer, "")
		if _, err := e.svc.GetPost(as(v), p.ID); err != nil {
			t.Fatalf("viewer cannot read: %v", err)
		}
		_, err := e.svc.CreatePost(as(v), publisher.PostInput{OrgID: e.org.ID, Content: publisher.Content{BodyEN: "x"}})
		wantCode(t, err, publisher.EFORBIDDEN)
	})
}

func TestConcurrentEditsDoNotOverwrite(t *testing.T) {
	e := newEnv(t)
	p, err := e.svc.CreatePost(as(e.editor), publisher.PostInput{Content: publisher.Content{BodyEN: "v1"}, Targets: []string{e.fbAcct.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdatePost(as(e.editor), p.ID, 1, publisher.PostInput{Content: publisher.Content{BodyEN: "v2 by one editor"}, Targets: p.Targets}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.UpdatePost(as(e.admin), p.ID, 1, publisher.PostInput{Content: publisher.Content{BodyEN: "v2 by another"}, Targets: p.Targets})
	wantCode(t, err, publisher.ECONFLICT)
	got, _ := e.svc.GetPost(as(e.editor), p.ID)
	if got.Content.BodyEN != "v2 by one editor" {
		t.Fatalf("content = %q", got.Content.BodyEN)
	}
	revs, _ := e.svc.ListRevisions(as(e.editor), p.ID)
	if len(revs) != 2 || revs[0].Content.BodyEN != "v1" {
		t.Fatalf("revisions = %+v", revs)
	}
}

func TestScheduledApproval(t *testing.T) {
	e := newEnv(t)
	// 9:00 IST tomorrow.
	ist := time.FixedZone("IST", 5*3600+1800)
	at := time.Date(2026, 11, 29, 9, 0, 0, 0, ist)
	p, err := e.svc.CreatePost(as(e.editor), publisher.PostInput{Content: publisher.Content{BodyEN: "Kisan mela tomorrow"}, Targets: []string{e.fbAcct.ID}, ScheduledAt: &at})
	if err != nil {
		t.Fatal(err)
	}
	if !p.ScheduledAt.Equal(at) || p.ScheduledAt.Location() != time.UTC {
		t.Fatalf("scheduledAt = %v, want %v stored in UTC", p.ScheduledAt, at.UTC())
	}
	p, _ = e.svc.SubmitPost(as(e.editor), p.ID, p.Revision)
	if _, err := e.svc.ApprovePost(as(e.approver), p.ID, p.Revision, ""); err != nil {
		t.Fatal(err)
	}
	if got := e.queue.at[p.ID+":1"]; !got.Equal(at) {
		t.Fatalf("fan-out queued for %v, want %v", got, at)
	}
	// A fan-out that runs early asks to be run again at the scheduled time.
	err = e.svc.Fanout(as(e.editor), p.ID, 1)
	var re *publisher.RetryError
	if !asRetry(err, &re) || !re.At.Equal(at) {
		t.Fatalf("early fan-out = %v, want RetryError at %v", err, at)
	}
	e.clock.Add(24 * time.Hour)
	if ds := e.fanout(p); len(ds) != 1 {
		t.Fatalf("%d deliveries after the scheduled time", len(ds))
	}
}
