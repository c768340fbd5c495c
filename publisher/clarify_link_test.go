package publisher_test

import (
	"context"
	"testing"

	"github.com/prasar/prasar/publisher"
)

// A clarification belongs to its case: one written as a post names an
// existing case of its organisation that is open to drafting, and an
// ordinary post names no case. The desk's own drafting goes through the
// same check.

func TestClarificationsNeedTheirCase(t *testing.T) {
	e := newCaseEnv(t)
	assigned := e.assigned("https://x.com/fake/status/1")
	fresh := e.intake("https://x.com/fake/status/2") // not triaged yet
	theirs, _, err := e.svc.CreateCase(as(e.otherEditor), publisher.CaseInput{OrgID: e.otherOrg.ID, Type: publisher.CaseMisleadingClaim, Platform: "x",
		Media: publisher.MediaDigital, Language: "hi", URLs: []string{"https://x.com/fake/status/3"}, Summary: "Fake"})
	if err != nil {
		t.Fatal(err)
	}
	if theirs, err = e.svc.TriageCase(as(e.approver), theirs.ID, publisher.TriageInput{InScope: true, Actionable: true}); err != nil {
		t.Fatal(err)
	}
	post := func(kind publisher.PostKind, caseID string) publisher.PostInput {
		return publisher.PostInput{Kind: kind, CaseID: caseID, Title: "Fact check", Content: publisher.Content{BodyHI: "यह दावा झूठा है।"},
			Targets: []string{e.xAcct.ID}}
	}
	cases := []struct {
		name   string
		in     publisher.PostInput
		code   string
		params map[string]string
	}{
		{"a clarification without a case", post(publisher.KindClarification, ""), "required", nil},
		{"a case that does not exist", post(publisher.KindClarification, publisher.NewID()), "unknown_case", nil},
		{"an id that is not one", post(publisher.KindClarification, "../cases"), "unknown_case", nil},
		{"another organisation's case", post(publisher.KindClarification, theirs.ID), "unknown_case", nil},
		{"a case not triaged yet", post(publisher.KindClarification, fresh.ID), "case_not_drafting", map[string]string{"status": "new", "caseRef": fresh.Ref}},
		{"an ordinary post with a case", post(publisher.KindPost, assigned.ID), "not_clarification", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.CreatePost(as(e.editor), tc.in)
			f := wantField(t, err, "caseId", tc.code)
			for k, v := range tc.params {
				if f.Params[k] != v {
					t.Errorf("params %v, want %s=%s", f.Params, k, v)
				}
			}
			if f.Message == "" {
				t.Error("the field error has no message")
			}
		})
	}
	// The other organisation's case does not exist for this editor, nor
	// does the message give it away.
	if _, err := e.svc.CreatePost(as(e.editor), post(publisher.KindClarification, theirs.ID)); err == nil {
		t.Fatal("a clarification of another organisation's case was accepted")
	}
	ps, _, err := e.store.ListPosts(context.Background(), publisher.PostFilter{Kind: publisher.KindClarification})
	if err != nil || len(ps) != 0 {
		t.Fatalf("refused clarifications left %d posts (%v)", len(ps), err)
	}
	// An assigned case of the organisation may take one.
	p, err := e.svc.CreatePost(as(e.editor), post(publisher.KindClarification, assigned.ID))
	if err != nil || p.CaseID != assigned.ID || p.Kind != publisher.KindClarification {
		t.Fatalf("a clarification of an assigned case = %+v, %v", p, err)
	}
	// The composer's preview does not fail over the case.
	if _, err := e.svc.MeasurePost(as(e.editor), post(publisher.KindClarification, "")); err != nil {
		t.Errorf("MeasurePost of a clarification: %v", err)
	}
}

func TestTheDesksClarificationsStillWork(t *testing.T) {
	e := newCaseEnv(t)
	c := e.assigned("https://x.com/fake/status/10")
	c, p := e.drafted(c)
	if c.Status != publisher.CaseDrafting || c.ClarificationPostID != p.ID || p.CaseID != c.ID {
		t.Fatalf("drafted: case %s follows %q, post's case %q", c.Status, c.ClarificationPostID, p.CaseID)
	}
	// A second clarification of the organisation's own, while the first is
	// being drafted, is refused: it would not be the one the case follows.
	_, err := e.svc.CreatePost(as(e.editor), publisher.PostInput{Kind: publisher.KindClarification, CaseID: c.ID, Content: publisher.Content{BodyHI: "दूसरा"},
		Targets: []string{e.xAcct.ID}})
	f := wantField(t, err, "caseId", "case_not_drafting")
	if f.Params["status"] != string(publisher.CaseDrafting) {
		t.Errorf("params %v", f.Params)
	}
	// The composer edits it as it does any post (kind "post", no case): the
	// post keeps its kind and case.
	p, err = e.svc.UpdatePost(as(e.editor), p.ID, p.Revision, publisher.PostInput{Kind: publisher.KindPost, Title: p.Title,
		Content: publisher.Content{BodyHI: p.Content.BodyHI + " (संशोधित)", BodyEN: p.Content.BodyEN}, Targets: p.Targets})
	if err != nil || p.Kind != publisher.KindClarification || p.CaseID != c.ID {
		t.Fatalf("editing the clarification = %+v, %v", p, err)
	}
	// Submitted, approved and published through the normal review.
	p = e.publish(p, 0)
	if c = e.getCase(c.ID); c.Status != publisher.CasePublished {
		t.Fatalf("case after publishing = %s", c.Status)
	}
	// The PR department's own clarification of a published case.
	c2, pr, err := e.svc.DraftClarification(as(e.admin), c.ID, publisher.ClarificationInput{ForPR: true, Post: publisher.PostInput{
		Title: "PR clarification", Content: publisher.Content{BodyHI: "यह आदेश फर्जी है।"}}})
	if err != nil || pr.OrgID != e.pr.ID || pr.CaseID != c.ID || len(c2.ExtraPostIDs) != 1 {
		t.Fatalf("the PR department's clarification = %+v, %v", pr, err)
	}
	// Not before the organisation's own exists.
	other := e.assigned("https://x.com/fake/status/11")
	_, err = e.svc.CreatePost(as(e.prEditor), publisher.PostInput{Kind: publisher.KindClarification, CaseID: other.ID, Content: publisher.Content{BodyHI: "पीआर"}})
	wantField(t, err, "caseId", "case_not_drafting")
	// Nor once the case is closed.
	if _, err := e.svc.CloseCase(as(e.editor), c.ID, "Clarification live."); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.CreatePost(as(e.prEditor), publisher.PostInput{Kind: publisher.KindClarification, CaseID: c.ID, Content: publisher.Content{BodyHI: "पीआर"}})
	wantField(t, err, "caseId", "case_not_drafting")
}
