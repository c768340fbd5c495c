package publisher_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// The rebuttal desk's workflow, on the SQLite store with a controllable
// clock. Deadline, escalation and report tests are in
// cases_deadline_test.go and cases_report_test.go.

// set moves the clock to t.
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

var ist = time.FixedZone("IST", 5*3600+1800)

// caseEnv is env with what the desk needs: the organisation's nodal
// officer (the editor's user), an alternate without a user, a head of
// department with a user of their own, and the PR department.
type caseEnv struct {
	*env
	hod      *publisher.User
	pr       *publisher.Organisation
	prEditor *publisher.User
	nodal    *publisher.Officer
}

func newCaseEnv(t *testing.T) *caseEnv {
	t.Helper()
	e := &caseEnv{env: newEnv(t)}
	sys := publisher.SystemContext(context.Background())
	e.pr = e.mustOrg(sys, "DIPRL", "Information, Public Relations and Languages Department", "सूचना, जनसंपर्क एवं भाषा विभाग")
	e.prEditor = e.mustUser(sys, "editor.diprl@example.gov.in", publisher.RoleEditor, e.pr.ID)
	e.hod = e.mustUser(sys, "acs.agri@example.gov.in", publisher.RoleViewer, e.org.ID)
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	e.nodal = e.officer(e.org.ID, publisher.OfficerNodal, "Sunita Malik", e.editor.ID, start)
	e.officer(e.org.ID, publisher.OfficerAlternate, "Ravi Kumar", "", start)
	e.officer(e.org.ID, publisher.OfficerHead, "Dr. Raja Sekhar Vundru", e.hod.ID, start)
	e.mustAccount(sys, e.pr.ID, publisher.Facebook, "9001", "tok-pr")
	return e
}

func (e *caseEnv) officer(org string, kind publisher.OfficerKind, name, userID string, start time.Time) *publisher.Officer {
	e.t.Helper()
	o := &publisher.Officer{ID: publisher.NewID(), OrgID: org, Kind: kind, Name: name, Designation: string(kind), UserID: userID, StartDate: start,
		Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.gov.in", CreatedAt: start, UpdatedAt: start}
	if err := e.store.CreateOfficer(context.Background(), o); err != nil {
		e.t.Fatal(err)
	}
	return o
}

// intake logs a digital case of the organisation as the editor.
func (e *caseEnv) intake(url string, mods ...func(*publisher.CaseInput)) *publisher.Case {
	e.t.Helper()
	in := publisher.CaseInput{OrgID: e.org.ID, Type: publisher.CaseForgedLetter, Platform: "whatsapp", Media: publisher.MediaDigital, Language: "hi",
		URLs: []string{url}, Summary: "जाली आदेश: धान खरीद बंद / Forged order: paddy procurement stopped", WhereSeen: "WhatsApp groups", District: "Karnal"}
	for _, m := range mods {
		m(&in)
	}
	c, linked, err := e.svc.CreateCase(as(e.editor), in)
	if err != nil || linked {
		e.t.Fatalf("CreateCase: linked %v, %v", linked, err)
	}
	return c
}

// assigned logs a case and triages it as actionable.
func (e *caseEnv) assigned(url string, mods ...func(*publisher.CaseInput)) *publisher.Case {
	e.t.Helper()
	c := e.intake(url, mods...)
	c, err := e.svc.TriageCase(as(e.approver), c.ID, publisher.TriageInput{InScope: true, Actionable: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

var officialSource = []publisher.CaseSource{{Kind: "circular", Title: "Circular No. 12/2026-Agri dated 2 Nov 2026", URL: "https://agriharyana.gov.in/circulars/12"}}

// drafted takes an assigned case to a drafted clarification to the
// organisation's Facebook and X accounts.
func (e *caseEnv) drafted(c *publisher.Case) (*publisher.Case, *publisher.Post) {
	e.t.Helper()
	if _, err := e.svc.SetCaseFacts(as(e.editor), c.ID, publisher.CaseFactsInput{Facts: "Procurement continues.", Sources: officialSource}); err != nil {
		e.t.Fatal(err)
	}
	c, p, err := e.svc.DraftClarification(as(e.editor), c.ID, publisher.ClarificationInput{Post: publisher.PostInput{
		Title: "Fact check: paddy procurement continues", Content: publisher.Content{BodyHI: "यह आदेश फर्जी है। धान की खरीद जारी है।",
			BodyEN: "FAKE: the order is forged. Procurement continues.", Link: officialSource[0].URL}, Targets: []string{e.fbAcct.ID, e.xAcct.ID}}})
	if err != nil {
		e.t.Fatal(err)
	}
	return c, p
}

// publish submits, approves, fans out and delivers a clarification,
// advancing the clock by step before each.
func (e *caseEnv) publish(p *publisher.Post, step time.Duration) *publisher.Post {
	e.t.Helper()
	var err error
	e.clock.Add(step)
	if p, err = e.svc.SubmitPost(as(e.editor), p.ID, p.Revision); err != nil {
		e.t.Fatal(err)
	}
	e.clock.Add(step)
	if p, err = e.svc.ApprovePost(as(e.approver), p.ID, p.Revision, "Verified against the circular."); err != nil {
		e.t.Fatal(err)
	}
	e.clock.Add(step)
	for _, d := range e.fanout(p) {
		if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
			e.t.Fatal(err)
		}
	}
	return p
}

func (e *caseEnv) getCase(id string) *publisher.Case {
	e.t.Helper()
	c, err := e.svc.GetCase(as(e.admin), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *caseEnv) trail(id string) []*publisher.CaseEvent {
	e.t.Helper()
	evs, err := e.svc.ListCaseEvents(as(e.admin), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// notes counts a user's notifications of a kind.
func (e *caseEnv) notes(u *publisher.User, kind string) int {
	e.t.Helper()
	ns, _, err := e.store.ListNotifications(context.Background(), publisher.NotificationFilter{UserID: u.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, x := range ns {
		if x.Kind == kind {
			n++
		}
	}
	return n
}

func kinds(evs []*publisher.CaseEvent) string {
	var out []string
	for _, e := range evs {
		k := e.Kind
		if e.To != "" && e.Kind == "status" {
			k += ">" + string(e.To)
		}
		out = append(out, k)
	}
	return strings.Join(out, " ")
}

// TestCaseStateMachine checks every step from every status against the
// specification: the allowed ones lead where the diagram says, every other
// one fails with ECONFLICT naming the current status.
func TestCaseStateMachine(t *testing.T) {
	spec := map[publisher.CaseStatus]map[string]publisher.CaseStatus{
		publisher.CaseNew:           {"triage_in": publisher.CaseAssigned, "triage_out": publisher.CaseNotActionable},
		publisher.CaseNotActionable: {"close": publisher.CaseClosed},
		publisher.CaseAssigned:      {"draft": publisher.CaseDrafting},
		publisher.CaseDrafting:      {"submit": publisher.CaseInReview, "cancel_clarification": publisher.CaseAssigned},
		publisher.CaseInReview:      {"approve": publisher.CaseApproved, "send_back": publisher.CaseDrafting, "cancel_clarification": publisher.CaseAssigned},
		publisher.CaseApproved:      {"publish": publisher.CasePublished, "reopen_review": publisher.CaseInReview, "cancel_clarification": publisher.CaseAssigned},
		publisher.CasePublished:     {"close": publisher.CaseClosed},
		publisher.CaseClosed:        {},
	}
	steps := []string{"triage_in", "triage_out", "draft", "submit", "approve", "send_back", "reopen_review", "publish", "cancel_clarification", "close"}
	legal := 0
	for _, from := range publisher.CaseStatuses {
		for _, step := range steps {
			to, err := publisher.CaseTransition(from, step)
			want, ok := spec[from][step]
			switch {
			case ok && (err != nil || to != want):
				t.Errorf("%s --%s--> %q, %v; want %s", from, step, to, err, want)
			case ok:
				legal++
			case publisher.ErrorCode(err) != publisher.ECONFLICT:
				t.Errorf("%s --%s--> %q, %v; want ECONFLICT", from, step, to, err)
			case !strings.Contains(err.Error(), "the case is "+string(from)+" "):
				t.Errorf("%s --%s-->: the error %q does not name the current status", from, step, err)
			}
		}
	}
	if legal != 13 {
		t.Errorf("%d legal steps, want the 13 of the diagram", legal)
	}
	if _, err := publisher.CaseTransition(publisher.CaseNew, "teleport"); publisher.ErrorCode(err) != publisher.EINVALID {
		t.Errorf("an unknown step: %v, want EINVALID", err)
	}
	for _, st := range publisher.CaseStatuses {
		if _, ok := spec[st]; !ok {
			t.Errorf("status %s is not in the specification", st)
		}
	}
}

// TestCaseFromIntakeToClosure takes a case through every step of the
// workflow with its clarification post, and checks the milestones, the
// notifications and the trail.
func TestCaseFromIntakeToClosure(t *testing.T) {
	e := newCaseEnv(t)
	t0 := e.clock.Now()
	c := e.intake("https://www.facebook.com/groups/123/posts/456/?mibextid=abc")
	if c.Status != publisher.CaseNew || c.Ref == "" || !strings.HasPrefix(c.Ref, "FN-20261128-") || !c.ReportedAt.Equal(t0) ||
		!c.DeadlineAt.Equal(t0.Add(2*time.Hour)) || !c.EscalateDMSAt.Equal(t0.Add(4*time.Hour)) {
		t.Fatalf("new case = %+v", c)
	}
	if got := c.URLKeys; len(got) != 1 || got[0] != "facebook.com/groups/123/posts/456" {
		t.Errorf("URL keys = %v", got)
	}
	if e.notes(e.admin, "case.new") != 1 {
		t.Error("the Digital Media Section was not told of the new case")
	}

	e.clock.Add(7 * time.Minute)
	c, err := e.svc.TriageCase(as(e.approver), c.ID, publisher.TriageInput{InScope: true, Actionable: true})
	if err != nil {
		t.Fatal(err)
	}
	a := c.Assignment
	if c.Status != publisher.CaseAssigned || a == nil || a.NodalName != "Sunita Malik" || a.AlternateName != "Ravi Kumar" || a.Notified != 1 ||
		c.AssignedAt == nil || !c.AssignedAt.Equal(t0.Add(7*time.Minute)) {
		t.Fatalf("triaged case = %+v, assignment %+v", c, a)
	}
	if e.notes(e.editor, "case.assigned") != 1 || e.notes(e.hod, "case.assigned") != 0 {
		t.Errorf("assignment notified the nodal officer %d times and the head %d times; want once and never", e.notes(e.editor, "case.assigned"), e.notes(e.hod, "case.assigned"))
	}

	e.clock.Add(5 * time.Minute)
	c, p := e.drafted(c)
	if c.Status != publisher.CaseDrafting || c.ClarificationPostID != p.ID || p.Kind != publisher.KindClarification || p.CaseID != c.ID || p.OrgID != e.org.ID {
		t.Fatalf("after drafting: case %s post %s; post %+v", c.Status, c.ClarificationPostID, p)
	}

	// The post's review moves the case: submitted, sent back, submitted
	// again, approved, published.
	e.clock.Add(10 * time.Minute)
	submitted := e.clock.Now()
	if p, err = e.svc.SubmitPost(as(e.editor), p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	if c = e.getCase(c.ID); c.Status != publisher.CaseInReview || c.SubmittedAt == nil || !c.SubmittedAt.Equal(submitted) {
		t.Fatalf("after submission: %s, submitted %v", c.Status, c.SubmittedAt)
	}
	e.clock.Add(3 * time.Minute)
	if p, err = e.svc.RequestChanges(as(e.approver), p.ID, p.Revision, "Cite the circular's date."); err != nil {
		t.Fatal(err)
	}
	if c = e.getCase(c.ID); c.Status != publisher.CaseDrafting {
		t.Fatalf("after changes were requested: %s", c.Status)
	}
	e.clock.Add(4 * time.Minute)
	if p, err = e.svc.SubmitPost(as(e.editor), p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * time.Minute)
	approved := e.clock.Now()
	if p, err = e.svc.ApprovePost(as(e.approver), p.ID, p.Revision, "ok"); err != nil {
		t.Fatal(err)
	}
	if c = e.getCase(c.ID); c.Status != publisher.CaseApproved || !c.ApprovedAt.Equal(approved) || !c.SubmittedAt.Equal(submitted) {
		t.Fatalf("after approval: %s, approved %v, first submitted %v", c.Status, c.ApprovedAt, c.SubmittedAt)
	}
	e.clock.Add(time.Minute)
	ds := e.fanout(p)
	if c = e.getCase(c.ID); c.Status != publisher.CaseApproved {
		t.Fatalf("fanned out but nothing live yet: %s, want approved", c.Status)
	}
	e.clock.Add(time.Minute)
	live := e.clock.Now()
	for _, d := range ds {
		if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Minute)
	}
	if c = e.getCase(c.ID); c.Status != publisher.CasePublished || c.PublishedAt == nil || !c.PublishedAt.Equal(live) {
		t.Fatalf("after the deliveries: %s, published %v, want %v", c.Status, c.PublishedAt, live)
	}
	k := publisher.ClockOf(c, e.clock.Now())
	// intake 0, assigned 7 min, first submitted 22 min (sent back at 25,
	// submitted again at 29, approved at 31, fanned out at 32), live 33 min.
	for _, m := range []struct {
		name string
		got  *int64
		want int64
	}{{"time to assign", k.TimeToAssign, 7 * 60}, {"time to draft", k.TimeToDraft, 15 * 60}, {"time to publish", k.TimeToPublish, 11 * 60}, {"response", k.ResponseTime, 33 * 60}} {
		if m.got == nil {
			t.Errorf("%s is not measured, want %d s", m.name, m.want)
		} else if *m.got != m.want {
			t.Errorf("%s = %d s, want %d s", m.name, *m.got, m.want)
		}
	}
	if k.Met == nil || !*k.Met || k.Running {
		t.Errorf("clock = %+v, want met and stopped", k)
	}

	// Follow-ups, then closure with a final note.
	for _, in := range []publisher.CaseActionInput{
		{Kind: publisher.ActionOutletCorrection, Note: "Asked the portal to withdraw the item.", Reference: "DIPRL/2026/511"},
		{Kind: publisher.ActionPoliceReferral, Note: "Referred to the cyber cell, Karnal.", Reference: "Complaint 88/2026"},
		{Kind: publisher.ActionTakedownRequest, Note: "Takedown intimation through Sahyog.", OfficerName: "A. K. Sharma", OfficerDesignation: "Joint Secretary, Agriculture",
			OfficerRank: publisher.RankJointSecretary, LegalBasis: "IT Act s.79(3)(b); IT Rules r.3(1)(d)", Reasons: "A forged government order that misleads farmers."},
		{Kind: publisher.ActionPIBReferral, Note: "Sent to PIB Fact Check: it names a central scheme."},
		{Kind: publisher.ActionPlatformReport, Note: "Reported the impersonating page to Facebook."},
	} {
		if c, err = e.svc.AddCaseAction(as(e.editor), c.ID, in); err != nil {
			t.Fatalf("%s: %v", in.Kind, err)
		}
	}
	if len(c.Actions) != 5 || c.Actions[2].OfficerRank != publisher.RankJointSecretary || c.Actions[2].LegalBasis == "" {
		t.Fatalf("actions = %+v", c.Actions)
	}
	_, err = e.svc.CloseCase(as(e.editor), c.ID, "  ")
	wantField(t, err, "note", "required")
	if c, err = e.svc.CloseCase(as(e.editor), c.ID, "Clarification published on all accounts; the portal withdrew the item."); err != nil {
		t.Fatal(err)
	}
	if c.Status != publisher.CaseClosed || c.ClosedAt == nil || c.ClosingNote == "" {
		t.Fatalf("closed case = %+v", c)
	}
	evs := e.trail(c.ID)
	want := "intake triage assign facts clarification status>in_review status>drafting status>in_review status>approved status>published action action action action action close"
	if got := kinds(evs); got != want {
		t.Errorf("trail = %s\nwant    %s", got, want)
	}
	for _, ev := range evs {
		if ev.Kind == "status" && ev.To == publisher.CaseApproved && (ev.ActorID != e.approver.ID || !ev.At.Equal(approved)) {
			t.Errorf("the approval event says %s at %v; want the approver at %v", ev.ActorID, ev.At, approved)
		}
	}
	if err := publisher.VerifyCaseTrail(c, evs); err != nil {
		t.Errorf("the trail does not verify: %v", err)
	}
	// The trail is append-only and tamper-evident.
	evs[3].Note = "rewritten"
	if err := publisher.VerifyCaseTrail(c, evs); err == nil || !strings.Contains(err.Error(), "event 4") {
		t.Errorf("a changed event verifies: %v", err)
	}
	if err := publisher.VerifyCaseTrail(c, append(e.trail(c.ID)[:5:5], e.trail(c.ID)[6:]...)); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("a trail with a gap verifies: %v", err)
	}
	_, err = e.svc.AddCaseAction(as(e.editor), c.ID, publisher.CaseActionInput{Kind: publisher.ActionPIBReferral, Note: "late"})
	wantCode(t, err, publisher.ECONFLICT)
}

// TestCaseIllegalSteps checks that steps out of turn fail with clear
// errors and change nothing.
func TestCaseIllegalSteps(t *testing.T) {
	e := newCaseEnv(t)
	c := e.intake("https://x.com/fakehry/status/1")
	conflict := func(t *testing.T, err error, state string) {
		t.Helper()
		wantCode(t, err, publisher.ECONFLICT)
		if !strings.Contains(publisher.ErrorMessage(err), "the case is "+state) {
			t.Errorf("message %q does not name the state %s", publisher.ErrorMessage(err), state)
		}
	}
	_, err := e.svc.CloseCase(as(e.editor), c.ID, "done")
	conflict(t, err, "new")
	_, _, err = e.svc.DraftClarification(as(e.editor), c.ID, publisher.ClarificationInput{})
	conflict(t, err, "new")
	_, err = e.svc.SetCaseFacts(as(e.editor), c.ID, publisher.CaseFactsInput{Sources: officialSource})
	conflict(t, err, "new")
	_, err = e.svc.TriageCase(as(e.editor), c.ID, publisher.TriageInput{InScope: true, Actionable: true})
	wantCode(t, err, publisher.EFORBIDDEN)
	_, err = e.svc.TriageCase(as(e.approver), c.ID, publisher.TriageInput{InScope: true, Actionable: false})
	wantField(t, err, "reason", "required")

	c, err = e.svc.TriageCase(as(e.approver), c.ID, publisher.TriageInput{InScope: true, Actionable: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.TriageCase(as(e.approver), c.ID, publisher.TriageInput{InScope: false, Reason: "again"})
	conflict(t, err, "assigned")
	_, err = e.svc.CloseCase(as(e.approver), c.ID, "done")
	conflict(t, err, "assigned")
	_, _, err = e.svc.DraftClarification(as(e.editor), c.ID, publisher.ClarificationInput{})
	wantField(t, err, "sources", "required")
	_, err = e.svc.SetCaseFacts(as(e.editor), c.ID, publisher.CaseFactsInput{Sources: []publisher.CaseSource{{Kind: "gossip", Title: ""}}})
	wantField(t, err, "sources[0].kind", "invalid_choice")
	wantField(t, err, "sources[0].title", "required")
	wantField(t, err, "sources[0].url", "required")
	_, _, err = e.svc.DraftClarification(as(e.otherEditor), c.ID, publisher.ClarificationInput{})
	wantCode(t, err, publisher.ENOTFOUND) // another organisation's case does not exist for its editor

	c, _ = e.drafted(c)
	_, _, err = e.svc.DraftClarification(as(e.editor), c.ID, publisher.ClarificationInput{Post: publisher.PostInput{Content: publisher.Content{BodyEN: "again"}}})
	conflict(t, err, "drafting")
	_, err = e.svc.CloseCase(as(e.editor), c.ID, "done")
	conflict(t, err, "drafting")
	if n := len(e.trail(c.ID)); n != 5 {
		t.Errorf("refused steps left %d events, want the 5 of intake, triage, assignment, facts, drafting", n)
	}

	// Takedown requests need the right rank, the legal basis and reasons.
	for _, tc := range []struct {
		name  string
		in    publisher.CaseActionInput
		field string
		code  string
	}{
		{"a deputy secretary", publisher.CaseActionInput{OfficerName: "X", OfficerRank: publisher.RankDeputySecretary, LegalBasis: "s.79", Reasons: "r"}, "officerRank", "rank_too_low"},
		{"a superintendent of police", publisher.CaseActionInput{OfficerName: "X", OfficerRank: publisher.RankSP, LegalBasis: "s.79", Reasons: "r"}, "officerRank", "rank_too_low"},
		{"an unknown rank", publisher.CaseActionInput{OfficerName: "X", OfficerRank: "colonel", LegalBasis: "s.79", Reasons: "r"}, "officerRank", "invalid_choice"},
		{"a director where there is a joint secretary", publisher.CaseActionInput{OfficerName: "X", OfficerRank: publisher.RankDirector, LegalBasis: "s.79", Reasons: "r"}, "noJointSecretary", "required"},
		{"no legal basis", publisher.CaseActionInput{OfficerName: "X", OfficerRank: publisher.RankDIG, Reasons: "r"}, "legalBasis", "required"},
		{"no reasons", publisher.CaseActionInput{OfficerName: "X", OfficerRank: publisher.RankJointSecretary, LegalBasis: "s.79"}, "reasons", "required"},
		{"no officer", publisher.CaseActionInput{OfficerRank: publisher.RankJointSecretary, LegalBasis: "s.79", Reasons: "r"}, "officerName", "required"},
	} {
		tc.in.Kind, tc.in.Note = publisher.ActionTakedownRequest, "takedown"
		_, err := e.svc.AddCaseAction(as(e.editor), c.ID, tc.in)
		if f := publisher.ErrorFields(err); publisher.ErrorCode(err) != publisher.EINVALID || !hasFieldErr(f, tc.field, tc.code) {
			t.Errorf("%s: %v, want %s/%s", tc.name, err, tc.field, tc.code)
		}
	}
	ok := publisher.CaseActionInput{Kind: publisher.ActionTakedownRequest, Note: "Through Sahyog", OfficerName: "R. Singh", OfficerRank: publisher.RankDirector,
		NoJointSecretary: true, LegalBasis: "IT Rules r.3(1)(d)", Reasons: "Impersonation of the department"}
	if _, err := e.svc.AddCaseAction(as(e.editor), c.ID, ok); err != nil {
		t.Errorf("a director where there is no joint secretary: %v", err)
	}
	ok.OfficerRank, ok.NoJointSecretary = publisher.RankDIG, false
	if _, err := e.svc.AddCaseAction(as(e.editor), c.ID, ok); err != nil {
		t.Errorf("a DIG: %v", err)
	}
	_, err = e.svc.AddCaseAction(as(e.viewer(t)), c.ID, ok)
	wantCode(t, err, publisher.EFORBIDDEN)

	// Triaged out: stops the clock; only closure follows.
	n := e.intake("https://x.com/fakehry/status/2")
	n, err = e.svc.TriageCase(as(e.admin), n.ID, publisher.TriageInput{InScope: false, Actionable: true, Reason: "About a central scheme: referred to PIB."})
	if err != nil || n.Status != publisher.CaseNotActionable || n.Triage.Actionable || n.DeadlineApplies() {
		t.Fatalf("triaged out: %+v, %v", n, err)
	}
	_, _, err = e.svc.DraftClarification(as(e.editor), n.ID, publisher.ClarificationInput{})
	conflict(t, err, "not_actionable")
	if _, err = e.svc.AddCaseAction(as(e.editor), n.ID, publisher.CaseActionInput{Kind: publisher.ActionPIBReferral, Note: "Sent to PIB."}); err != nil {
		t.Errorf("a follow-up on a case triaged out: %v", err)
	}
	if n, err = e.svc.CloseCase(as(e.approver), n.ID, "Referred to PIB; nothing for the state to clarify."); err != nil || n.Status != publisher.CaseClosed {
		t.Fatalf("closing a case triaged out: %v", err)
	}
}

func (e *caseEnv) viewer(t *testing.T) *publisher.User {
	t.Helper()
	return e.mustUser(publisher.SystemContext(context.Background()), fmt.Sprintf("viewer%d@example.gov.in", time.Now().UnixNano()), publisher.RoleViewer, "")
}

func hasFieldErr(fs []publisher.FieldError, field, code string) bool {
	for _, f := range fs {
		if f.Field == field && f.Code == code {
			return true
		}
	}
	return false
}

// TestCaseFollowsItsPost covers the post-driven steps the main workflow
// does not: an edit after approval reopens the review, a cancelled
// clarification returns the case to assigned (and a new one can be
// drafted), and a sync that comes late takes every step at once with the
// post's own times.
func TestCaseFollowsItsPost(t *testing.T) {
	e := newCaseEnv(t)
	c, p := e.drafted(e.assigned("https://x.com/fakehry/status/3"))
	var err error
	if p, err = e.svc.SubmitPost(as(e.editor), p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	if p, err = e.svc.ApprovePost(as(e.approver), p.ID, p.Revision, ""); err != nil {
		t.Fatal(err)
	}
	e.getCase(c.ID)
	in := publisher.PostInput{Title: p.Title, Content: p.Content, Targets: p.Targets}
	in.Content.BodyEN += " Details on the portal."
	if p, err = e.svc.UpdatePost(as(e.editor), p.ID, p.Revision, in); err != nil || p.Status != publisher.PostInReview {
		t.Fatalf("edit after approval: %v, %v", p, err)
	}
	if c = e.getCase(c.ID); c.Status != publisher.CaseInReview {
		t.Fatalf("after an edit after approval: %s, want in_review", c.Status)
	}
	if p, err = e.svc.CancelPost(as(e.editor), p.ID, p.Revision, "Wrong figures."); err != nil {
		t.Fatal(err)
	}
	if c = e.getCase(c.ID); c.Status != publisher.CaseAssigned || c.ClarificationPostID != "" || len(c.PastPostIDs) != 1 || c.PastPostIDs[0] != p.ID {
		t.Fatalf("after cancelling the clarification: %s, post %q, past %v", c.Status, c.ClarificationPostID, c.PastPostIDs)
	}
	c, p = e.drafted(c)
	if c.Status != publisher.CaseDrafting {
		t.Fatalf("a new clarification: %s", c.Status)
	}

	// Nobody looks at the case while the post goes through review and
	// out: the next read takes all three steps, with the post's times.
	p = e.publish(p, 10*time.Minute)
	evsBefore := len(e.trail(c.ID))
	c = e.getCase(c.ID)
	evs := e.trail(c.ID)[evsBefore:]
	if c.Status != publisher.CasePublished || kinds(evs) != "status>in_review status>approved status>published" {
		t.Fatalf("late sync: %s, events %s", c.Status, kinds(evs))
	}
	if !evs[0].At.Before(evs[1].At) || !evs[1].At.Before(evs[2].At) || !evs[2].At.Equal(*c.PublishedAt) {
		t.Errorf("late sync's events are not at the post's times: %v %v %v", evs[0].At, evs[1].At, evs[2].At)
	}
	// The first submission of the cancelled clarification counts as the
	// first submission.
	if !c.SubmittedAt.Before(*c.PublishedAt) {
		t.Errorf("first submitted %v, published %v", c.SubmittedAt, c.PublishedAt)
	}

	// The PR department's accounts, by the Digital Media Section.
	_, _, err = e.svc.DraftClarification(as(e.editor), c.ID, publisher.ClarificationInput{ForPR: true, Post: publisher.PostInput{Content: publisher.Content{BodyEN: "x"}}})
	wantCode(t, err, publisher.EFORBIDDEN)
	c2, pr, err := e.svc.DraftClarification(as(e.admin), c.ID, publisher.ClarificationInput{ForPR: true, Post: publisher.PostInput{
		Content: p.Content}})
	if err != nil {
		t.Fatal(err)
	}
	if pr.OrgID != e.pr.ID || pr.CaseID != c.ID || pr.Kind != publisher.KindClarification || c2.Status != publisher.CasePublished || len(c2.ExtraPostIDs) != 1 {
		t.Errorf("PR clarification %+v; case %s extra %v", pr, c2.Status, c2.ExtraPostIDs)
	}
	v, err := e.svc.GetCaseView(as(e.admin), c.ID)
	if err != nil || len(v.Posts) != 3 || !v.TrailOK {
		t.Fatalf("view: %d posts, trail ok %v, %v", len(v.Posts), v.TrailOK, err)
	}
	// The organisation's editor sees the case but not the PR department's post.
	v, err = e.svc.GetCaseView(as(e.editor), c.ID)
	if err != nil || len(v.Posts) != 2 {
		t.Fatalf("editor's view: %d posts, %v", len(v.Posts), err)
	}
}

// TestCaseIntakeAndDuplicates covers intake validation, URL normalisation
// and duplicate detection across open and closed cases.
func TestCaseIntakeAndDuplicates(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"https://twitter.com/FakeHry/status/123?s=20&t=abc", "http://mobile.x.com/FakeHry/status/123/"},
		{"https://youtu.be/dQw4w9WgXcQ?si=xyz", "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share"},
		{"https://www.youtube.com/shorts/abc123", "https://youtube.com/watch?v=abc123"},
		{"https://m.facebook.com/story.php?story_fbid=1&id=2&mibextid=Z", "https://www.facebook.com/story.php?id=2&story_fbid=1#comments"},
		{"https://news.example.in/a/b?utm_source=wa&utm_medium=share&id=7", "https://NEWS.example.in:443/a/b?id=7"},
		{"https://www.instagram.com/p/Cx1/?igsh=abc", "https://instagram.com/p/Cx1"},
	} {
		ka, kb := publisher.NormalizeCaseURL(tc.a), publisher.NormalizeCaseURL(tc.b)
		if ka == "" || ka != kb {
			t.Errorf("%s → %q and %s → %q: want one key", tc.a, ka, tc.b, kb)
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"https://x.com/FakeHry/status/123", "https://x.com/fakehry/status/124"},
		{"https://news.example.in/a?id=7", "https://news.example.in/a?id=8"},
		{"https://example.in/Page", "https://example.in/page"},
	} {
		if publisher.NormalizeCaseURL(tc.a) == publisher.NormalizeCaseURL(tc.b) {
			t.Errorf("%s and %s got one key", tc.a, tc.b)
		}
	}
	for _, bad := range []string{"", "x.com/a", "ftp://x.com/a", "javascript:alert(1)", "https://"} {
		if k := publisher.NormalizeCaseURL(bad); k != "" {
			t.Errorf("%q → %q, want no key", bad, k)
		}
	}

	e := newCaseEnv(t)
	_, _, err := e.svc.CreateCase(as(e.editor), publisher.CaseInput{OrgID: e.otherOrg.ID, Type: "rumour", Platform: "carrier pigeon", Media: "radio", Language: "fr", URLs: []string{"not a url"}})
	for _, f := range []struct{ field, code string }{{"orgId", "unknown_org"}, {"type", "invalid_choice"}, {"platform", "invalid_choice"}, {"media", "invalid_choice"},
		{"language", "invalid_choice"}, {"summary", "required"}, {"urls[0]", "invalid_url"}} {
		wantField(t, err, f.field, f.code)
	}
	_, _, err = e.svc.CreateCase(as(e.approver), publisher.CaseInput{})
	wantCode(t, err, publisher.EFORBIDDEN)
	_, _, err = e.svc.CreateCase(as(e.editor), publisher.CaseInput{Type: publisher.CaseOtherType, Platform: "newspaper", Media: publisher.MediaPrint, Language: "hi", Summary: "s"})
	wantField(t, err, "urls", "required")
	// A print item needs no URL when a photograph is attached.
	m, err := e.svc.UploadMedia(as(e.editor), "", "clipping.png", tinyPNG())
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := e.svc.CreateCase(as(e.editor), publisher.CaseInput{Type: publisher.CaseMisleadingClaim, Platform: "newspaper", Media: publisher.MediaPrint, Language: "hi",
		Summary: "Misleading report on fertiliser stocks", WhereSeen: "Dainik, Hisar edition, p. 3", ScreenshotIDs: []string{m.ID}})
	if err != nil || c.OrgID != e.org.ID || len(c.ScreenshotIDs) != 1 || !c.DeadlineAt.Equal(c.ReportedAt.Add(12*time.Hour)) {
		t.Fatalf("print case: %+v, %v", c, err)
	}
	other, err := e.svc.UploadMedia(as(e.otherEditor), "", "x.png", tinyPNG())
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.CreateCase(as(e.editor), publisher.CaseInput{Type: publisher.CaseOtherType, Platform: "x", Media: publisher.MediaDigital, Language: "hi",
		Summary: "s", ScreenshotIDs: []string{other.ID}})
	wantField(t, err, "screenshotIds[0]", "unknown_media")

	// Duplicates.
	first := e.intake("https://twitter.com/FakeHry/status/777?s=20")
	in := publisher.CaseInput{OrgID: e.org.ID, Type: publisher.CaseDeepfake, Platform: "x", Media: publisher.MediaDigital, Language: "hi", Summary: "The same video again",
		URLs: []string{"https://x.com/FakeHry/status/777", "https://x.com/FakeHry/status/778"}}
	_, _, err = e.svc.CreateCase(as(e.admin), in)
	f := wantField(t, err, "urls[0]", "duplicate_url")
	if f.Params["caseId"] != first.ID || f.Params["caseRef"] != first.Ref || f.Params["status"] != "new" {
		t.Errorf("duplicate field error params = %v", f.Params)
	}
	matches, err := e.svc.CheckCaseURLs(as(e.otherEditor), []string{"http://mobile.twitter.com/FakeHry/status/777/"})
	if err != nil || len(matches) != 1 || matches[0].Visible || matches[0].CaseID != "" || matches[0].Ref != first.Ref {
		t.Errorf("another organisation's editor sees the match as %+v, %v; want the reference only", matches, err)
	}
	in.DuplicateOf = first.ID
	linked, ok, err := e.svc.CreateCase(as(e.admin), in)
	if err != nil || !ok || linked.ID != first.ID || linked.LinkedReports != 1 || len(linked.URLKeys) != 2 {
		t.Fatalf("linking to the open case: linked %v, %+v, %v", ok, linked, err)
	}
	if evs := e.trail(first.ID); kinds(evs) != "intake linked_report" || !strings.Contains(evs[1].Details["addedUrls"], "/778") {
		t.Errorf("open case's trail after the linked report: %s %v", kinds(evs), evs[len(evs)-1].Details)
	}
	// The added URL is a duplicate now too.
	matches, _ = e.svc.CheckCaseURLs(as(e.editor), []string{"https://x.com/FakeHry/status/778?ref_src=twsrc"})
	if len(matches) != 1 || matches[0].CaseID != first.ID {
		t.Errorf("the linked report's URL matches %+v", matches)
	}

	// A closed case's item resurfaces: a new case, linked to the old one.
	first, _ = e.svc.TriageCase(as(e.admin), first.ID, publisher.TriageInput{InScope: false, Reason: "Not about Haryana."})
	if _, err := e.svc.CloseCase(as(e.admin), first.ID, "Nothing to clarify."); err != nil {
		t.Fatal(err)
	}
	in.URLs, in.DuplicateOf = []string{"https://x.com/FakeHry/status/777"}, ""
	_, _, err = e.svc.CreateCase(as(e.admin), in)
	if f := wantField(t, err, "urls[0]", "duplicate_url"); f.Params["status"] != "closed" {
		t.Errorf("a closed case's duplicate: %v", f.Params)
	}
	in.DuplicateOf = first.ID
	again, ok, err := e.svc.CreateCase(as(e.admin), in)
	if err != nil || ok || again.ID == first.ID || again.DuplicateOf != first.ID || again.Status != publisher.CaseNew {
		t.Fatalf("a resurfaced item: linked %v, %+v, %v", ok, again, err)
	}
	if evs := e.trail(first.ID); evs[len(evs)-1].Kind != "linked_report" || evs[len(evs)-1].Details["caseId"] != again.ID {
		t.Errorf("the closed case's trail does not point to the new case: %s", kinds(evs))
	}
	if err := publisher.VerifyCaseTrail(e.getCase(first.ID), e.trail(first.ID)); err != nil {
		t.Errorf("closed case's trail: %v", err)
	}
	v, err := e.svc.GetCaseView(as(e.admin), again.ID)
	if err != nil || len(v.Related) != 1 || v.Related[0].CaseID != first.ID {
		t.Errorf("related cases of the new case: %+v, %v", v.Related, err)
	}
}

// TestCaseScoping checks who sees which cases.
func TestCaseScoping(t *testing.T) {
	e := newCaseEnv(t)
	mine := e.intake("https://x.com/a/status/1")
	theirs, _, err := e.svc.CreateCase(as(e.otherEditor), publisher.CaseInput{Type: publisher.CaseImpersonation, Platform: "facebook", Media: publisher.MediaDigital,
		Language: "en", Summary: "A fake page posing as the Health Department", URLs: []string{"https://facebook.com/fakehealth"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.GetCase(as(e.editor), theirs.ID)
	wantCode(t, err, publisher.ENOTFOUND)
	_, err = e.svc.ListCaseEvents(as(e.editor), theirs.ID)
	wantCode(t, err, publisher.ENOTFOUND)
	cs, total, err := e.svc.ListCases(as(e.editor), publisher.CaseFilter{})
	if err != nil || total != 1 || cs[0].ID != mine.ID {
		t.Errorf("editor lists %d cases, %v", total, err)
	}
	if cs, _, _ := e.svc.ListCases(as(e.editor), publisher.CaseFilter{OrgID: e.otherOrg.ID}); len(cs) != 0 {
		t.Error("an editor lists another organisation's cases by asking for them")
	}
	for _, u := range []*publisher.User{e.admin, e.approver, e.viewer(t)} {
		if _, total, err := e.svc.ListCases(as(u), publisher.CaseFilter{}); err != nil || total != 2 {
			t.Errorf("%s lists %d cases, %v; want both", u.Role, total, err)
		}
		if _, err := e.svc.GetCase(as(u), theirs.ID); err != nil {
			t.Errorf("%s cannot read a case: %v", u.Role, err)
		}
	}
	ages, err := e.svc.CaseAgeing(as(e.otherEditor), "")
	if err != nil || len(ages) != 1 || ages[0].Case.ID != theirs.ID {
		t.Errorf("the other editor's ageing view: %d cases, %v", len(ages), err)
	}
	r, err := e.svc.CaseReport(as(e.otherEditor), publisher.CaseReportFilter{})
	if err != nil || r.Total != 1 || r.OrgID != e.otherOrg.ID {
		t.Errorf("an editor's report covers %d cases of %q, %v", r.Total, r.OrgID, err)
	}
	if got := publisher.CaseActionsFor(e.viewer(t), mine); strings.Join(got, ",") != "export" {
		t.Errorf("a viewer may %v", got)
	}
	if got := publisher.CaseActionsFor(e.approver, mine); strings.Join(got, ",") != "triage,export" {
		t.Errorf("an approver may %v on a new case", got)
	}
}

// TestCaseConcurrentTriage: two triages of one case at once; one wins,
// the other is told the case moved on.
func TestCaseConcurrentTriage(t *testing.T) {
	e := newCaseEnv(t)
	c := e.intake("https://x.com/a/status/9")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, u := range []*publisher.User{e.admin, e.approver} {
		wg.Go(func() {
			_, errs[i] = e.svc.TriageCase(as(u), c.ID, publisher.TriageInput{InScope: true, Actionable: true})
		})
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("two concurrent triages: %v, %v; want exactly one to succeed", errs[0], errs[1])
	}
	for _, err := range errs {
		if err != nil {
			wantCode(t, err, publisher.ECONFLICT)
		}
	}
	if n := e.notes(e.editor, "case.assigned"); n != 1 {
		t.Errorf("the nodal officer was notified %d times, want once", n)
	}
	if evs := e.trail(c.ID); kinds(evs) != "intake triage assign" {
		t.Errorf("trail = %s", kinds(evs))
	}
}

// tinyPNG is a valid 1×1 PNG.
func tinyPNG() []byte {
	return []byte{0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
		0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
		0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82}
}
