package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// caseInput is a valid report of org's item at url.
func caseInput(org, url string) map[string]any {
	return map[string]any{"orgId": org, "type": "forged_letter", "platform": "whatsapp", "media": "digital", "language": "hi",
		"urls": []string{url}, "summary": "जाली आदेश: धान खरीद बंद / Forged order: procurement stopped", "whereSeen": "WhatsApp groups", "district": "Karnal"}
}

type caseView struct {
	Case    publisher.Case          `json:"case"`
	Events  []publisher.CaseEvent   `json:"events"`
	Posts   []publisher.Post        `json:"posts"`
	Clock   publisher.CaseClock     `json:"clock"`
	Actions []string                `json:"actions"`
	TrailOK bool                    `json:"trailOk"`
	Heads   []publisher.CaseContact `json:"heads"`
}

func (c *client) getCase(id string) caseView {
	c.e.t.Helper()
	var v caseView
	c.do("GET", "/api/v1/cases/"+id, nil).want(c.e.t, http.StatusOK).data(c.e.t, &v)
	return v
}

// TestCasesAPI takes a case from intake to closure over HTTP, with the
// clarification through the normal post review, and checks scoping,
// errors and exports on the way.
func TestCasesAPI(t *testing.T) {
	e := newEnv(t)
	ed, edB, ap, ad, vw := e.signIn(e.editorA), e.signIn(e.editorB), e.signIn(e.approver), e.signIn(e.admin), e.signIn(e.viewer)
	// The nodal officer of A is editor A.
	start := time.Now().Add(-time.Hour)
	if err := e.store.CreateOfficer(context.Background(), &publisher.Officer{ID: publisher.NewID(), OrgID: e.orgA.ID, Kind: publisher.OfficerNodal,
		Name: "Nodal A", UserID: e.editorA.ID, StartDate: start, CreatedAt: start, UpdatedAt: start}); err != nil {
		t.Fatal(err)
	}

	// Intake.
	var made caseCreated
	ed.do("POST", "/api/v1/cases", caseInput(e.orgA.ID, "https://twitter.com/fake/status/1?s=20")).want(t, http.StatusCreated).data(t, &made)
	c := made.Case
	if made.Linked || c.Status != publisher.CaseNew || c.OrgID != e.orgA.ID || c.URLKeys[0] != "x.com/fake/status/1" {
		t.Fatalf("created %+v", made)
	}
	bad := caseInput(e.orgA.ID, "https://x.com/fake/status/2")
	bad["priority"] = "high"
	ed.do("POST", "/api/v1/cases", bad).wantError(t, http.StatusBadRequest, publisher.EMALFORMED)
	eb := ed.do("POST", "/api/v1/cases", map[string]any{"orgId": e.orgA.ID}).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	eb.field(t, "summary")
	eb.field(t, "type")
	ap.do("POST", "/api/v1/cases", caseInput(e.orgA.ID, "https://x.com/fake/status/3")).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	edB.do("POST", "/api/v1/cases", caseInput(e.orgA.ID, "https://x.com/fake/status/4")).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "orgId")

	// Duplicates: the warning, the refusal, and the link.
	var ms []publisher.CaseMatch
	edB.do("GET", "/api/v1/cases/check-urls?url="+urlq("http://mobile.twitter.com/fake/status/1/"), nil).want(t, http.StatusOK).data(t, &ms)
	if len(ms) != 1 || ms[0].Visible || ms[0].CaseID != "" || ms[0].Ref != c.Ref {
		t.Errorf("another organisation's editor sees %+v; want the reference only", ms)
	}
	ed.do("GET", "/api/v1/cases/check-urls?url="+urlq("https://x.com/fake/status/1"), nil).want(t, http.StatusOK).data(t, &ms)
	if len(ms) != 1 || ms[0].CaseID != c.ID {
		t.Errorf("the organisation's editor sees %+v", ms)
	}
	ed.do("GET", "/api/v1/cases/check-urls", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	dup := caseInput(e.orgA.ID, "https://x.com/fake/status/1")
	f := ad.do("POST", "/api/v1/cases", dup).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "urls[0]")
	if f.Code != "duplicate_url" || f.Params["caseId"] != c.ID || f.Params["caseRef"] != c.Ref {
		t.Errorf("duplicate field error = %+v", f)
	}
	dup["duplicateOf"], dup["urls"] = c.ID, []string{"https://x.com/fake/status/1", "https://t.me/fakechan/9"}
	ad.do("POST", "/api/v1/cases", dup).want(t, http.StatusOK).data(t, &made)
	if !made.Linked || made.Case.ID != c.ID || made.Case.LinkedReports != 1 || len(made.Case.URLs) != 2 {
		t.Errorf("linked report = %+v", made)
	}

	// Scoping.
	edB.do("GET", "/api/v1/cases/"+c.ID, nil).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
	edB.do("GET", "/api/v1/cases/"+c.ID+"/export", nil).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
	edB.do("POST", "/api/v1/cases/"+c.ID+"/actions", map[string]any{"kind": "pib_referral", "note": "x"}).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
	var cs []publisher.Case
	var total struct {
		Total int `json:"total"`
	}
	r := edB.do("GET", "/api/v1/cases", nil).want(t, http.StatusOK)
	r.data(t, &cs)
	_ = json.Unmarshal(r.body, &total)
	if len(cs) != 0 || total.Total != 0 {
		t.Errorf("editor B lists %d cases (total %d)", len(cs), total.Total)
	}
	edB.do("GET", "/api/v1/cases?orgId="+e.orgA.ID, nil).want(t, http.StatusOK).data(t, &cs)
	if len(cs) != 0 {
		t.Error("editor B lists organisation A's cases by asking for them")
	}
	for _, u := range []*client{vw, ap, ad, ed} {
		u.do("GET", "/api/v1/cases?status=new&type=forged_letter", nil).want(t, http.StatusOK).data(t, &cs)
		if len(cs) != 1 || cs[0].ID != c.ID {
			t.Errorf("%s lists %d cases", u.user.Role, len(cs))
		}
	}
	ed.do("GET", "/api/v1/cases?status=lost", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "status")
	ed.do("GET", "/api/v1/cases?from=2026-13-01", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "from")
	if v := vw.getCase(c.ID); strings.Join(v.Actions, ",") != "export" {
		t.Errorf("a viewer may %v", v.Actions)
	}

	// Triage: the PR section only; a second triage conflicts.
	vw.do("POST", "/api/v1/cases/"+c.ID+"/triage", map[string]any{"inScope": true, "actionable": true}).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	ed.do("POST", "/api/v1/cases/"+c.ID+"/triage", map[string]any{"inScope": true, "actionable": true}).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	var got publisher.Case
	ap.do("POST", "/api/v1/cases/"+c.ID+"/triage", map[string]any{"inScope": true, "actionable": true}).want(t, http.StatusOK).data(t, &got)
	if got.Status != publisher.CaseAssigned || got.Assignment == nil || got.Assignment.NodalName != "Nodal A" {
		t.Fatalf("triaged: %+v", got)
	}
	eb = ap.do("POST", "/api/v1/cases/"+c.ID+"/triage", map[string]any{"inScope": false, "reason": "x"}).wantError(t, http.StatusConflict, publisher.ECONFLICT)
	if !strings.Contains(eb.Message, "the case is assigned") {
		t.Errorf("conflict message %q does not name the state", eb.Message)
	}
	var ns []publisher.Notification
	ed.do("GET", "/api/v1/notifications", nil).want(t, http.StatusOK).data(t, &ns)
	if len(ns) == 0 || ns[0].Kind != "case.assigned" || ns[0].Link != "/cases/"+c.ID {
		t.Errorf("the nodal officer's notifications: %+v", ns)
	}

	// Facts, then the clarification through the normal review and fan-out.
	ed.do("POST", "/api/v1/cases/"+c.ID+"/clarification", map[string]any{"post": postInput(e.orgA.ID, e.xA.ID)}).
		wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "sources")
	ed.do("PUT", "/api/v1/cases/"+c.ID+"/facts", map[string]any{"facts": "Procurement continues.", "sources": []map[string]string{
		{"kind": "circular", "title": "Circular 12/2026-Agri", "url": "https://agriharyana.gov.in/c/12"}}}).want(t, http.StatusOK).data(t, &got)
	if len(got.Sources) != 1 {
		t.Fatalf("facts: %+v", got)
	}
	var drafted struct {
		Case publisher.Case `json:"case"`
		Post publisher.Post `json:"post"`
	}
	in := postInput(e.orgA.ID, e.xA.ID)
	in["kind"], in["title"] = "post", "Fact check: procurement continues" // the desk makes it a clarification whatever is sent
	ed.do("POST", "/api/v1/cases/"+c.ID+"/clarification", map[string]any{"post": in}).want(t, http.StatusCreated).data(t, &drafted)
	p := drafted.Post
	if drafted.Case.Status != publisher.CaseDrafting || p.Kind != publisher.KindClarification || p.CaseID != c.ID || drafted.Case.ClarificationPostID != p.ID {
		t.Fatalf("drafted: case %s, post %+v", drafted.Case.Status, p)
	}
	ed.step(p, "submit", "").want(t, http.StatusOK).data(t, &p)
	if v := ed.getCase(c.ID); v.Case.Status != publisher.CaseInReview {
		t.Errorf("after submitting the post: %s", v.Case.Status)
	}
	ap.step(p, "approve", "ok").want(t, http.StatusOK).data(t, &p)
	if err := e.svc.Fanout(context.Background(), p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	ds, _, err := e.store.ListDeliveries(context.Background(), publisher.DeliveryFilter{PostID: p.ID})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries: %d, %v", len(ds), err)
	}
	if err := e.svc.Deliver(context.Background(), ds[0].ID); err != nil {
		t.Fatal(err)
	}
	v := ed.getCase(c.ID)
	if v.Case.Status != publisher.CasePublished || len(v.Posts) != 1 || v.Posts[0].ID != p.ID || v.Clock.Met == nil || !*v.Clock.Met || !v.TrailOK {
		t.Fatalf("published: %s, %d posts, clock %+v, trail ok %v", v.Case.Status, len(v.Posts), v.Clock, v.TrailOK)
	}
	if strings.Join(v.Actions, ",") != "facts,follow_up,close,export" {
		t.Errorf("the nodal officer may now %v", v.Actions)
	}

	// Follow-ups and closure.
	ed.do("POST", "/api/v1/cases/"+c.ID+"/actions", map[string]any{"kind": "takedown_request", "note": "Sahyog", "officerName": "S. P. Singh",
		"officerRank": "sp", "legalBasis": "IT Rules r.3(1)(d)", "reasons": "Forged order"}).
		wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "officerRank")
	ed.do("POST", "/api/v1/cases/"+c.ID+"/actions", map[string]any{"kind": "takedown_request", "note": "Sahyog", "officerName": "R. K. Gupta",
		"officerRank": "dig", "legalBasis": "IT Rules r.3(1)(d)", "reasons": "Forged order"}).want(t, http.StatusOK).data(t, &got)
	if len(got.Actions) != 1 || got.Actions[0].OfficerRank != publisher.RankDIG {
		t.Errorf("actions: %+v", got.Actions)
	}
	ed.do("POST", "/api/v1/cases/"+c.ID+"/close", map[string]any{"note": ""}).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "note")
	ed.do("POST", "/api/v1/cases/"+c.ID+"/close", map[string]any{"note": "Clarified and taken down."}).want(t, http.StatusOK).data(t, &got)
	if got.Status != publisher.CaseClosed {
		t.Fatalf("closed: %s", got.Status)
	}
	ed.do("POST", "/api/v1/cases/"+c.ID+"/close", map[string]any{"note": "again"}).wantError(t, http.StatusConflict, publisher.ECONFLICT)

	// Exports, for RTI replies.
	res := ed.do("GET", "/api/v1/cases/"+c.ID+"/export", nil).want(t, http.StatusOK)
	if ct := res.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("CSV export Content-Type %q", ct)
	}
	if cd := res.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "case-"+c.Ref+".csv") {
		t.Errorf("CSV export Content-Disposition %q", cd)
	}
	if !bytes.HasPrefix(res.body, []byte("\ufeff")) || !bytes.Contains(res.body, []byte(c.Ref)) || !bytes.Contains(res.body, []byte("takedown_request")) {
		t.Errorf("CSV export body: %.300s", res.body)
	}
	var x publisher.CaseExport
	res = ed.do("GET", "/api/v1/cases/"+c.ID+"/export?format=json", nil).want(t, http.StatusOK)
	if err := json.Unmarshal(res.body, &x); err != nil || !x.TrailVerified || x.Case.ID != c.ID || len(x.Events) < 8 {
		t.Errorf("JSON export: verified %v, %d events, %v", x.TrailVerified, len(x.Events), err)
	}
	ed.do("GET", "/api/v1/cases/"+c.ID+"/export?format=xml", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	res = vw.do("GET", "/api/v1/cases/export?format=csv", nil).want(t, http.StatusOK)
	if lines := strings.Count(string(res.body), "\n"); lines != 2 || !bytes.Contains(res.body, []byte(c.Ref)) {
		t.Errorf("list export has %d lines: %s", lines, res.body)
	}
	var lx publisher.CaseListExport
	res = edB.do("GET", "/api/v1/cases/export?format=json", nil).want(t, http.StatusOK)
	if err := json.Unmarshal(res.body, &lx); err != nil || len(lx.Cases) != 0 {
		t.Errorf("editor B's list export: %d cases, %v", len(lx.Cases), err)
	}

	// Reports and the ageing view.
	today := time.Now().In(ist).Format(time.DateOnly)
	var rep publisher.CaseReport
	vw.do("GET", "/api/v1/cases/report?from="+today+"&to="+today, nil).want(t, http.StatusOK).data(t, &rep)
	if rep.Total != 1 || rep.Published != 1 || rep.Deadlines.Met != 1 || rep.Response.Count != 1 || len(rep.ByOrg) != 1 {
		t.Errorf("report: %+v", rep)
	}
	edB.do("GET", "/api/v1/cases/report", nil).want(t, http.StatusOK).data(t, &rep)
	if rep.Total != 0 || rep.OrgID != e.orgB.ID {
		t.Errorf("editor B's report: %d cases of %q", rep.Total, rep.OrgID)
	}
	vw.do("GET", "/api/v1/cases/report?from="+today+"&to=2020-01-01", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	var w publisher.WeeklyCaseReport
	vw.do("GET", "/api/v1/cases/report/weekly?week="+today, nil).want(t, http.StatusOK).data(t, &w)
	if w.Report == nil || w.Report.Total != 1 || len(w.Cases) != 1 || w.WeekStart.In(ist).Weekday() != time.Monday || w.WeekStart.In(ist).Hour() != 0 {
		t.Errorf("weekly report: %+v", w)
	}
	var ages []publisher.CaseAge
	ed.do("POST", "/api/v1/cases", caseInput(e.orgA.ID, "https://x.com/fake/status/5")).want(t, http.StatusCreated)
	ed.do("GET", "/api/v1/cases/ageing", nil).want(t, http.StatusOK).data(t, &ages)
	if len(ages) != 1 || !ages[0].Clock.Running || ages[0].Clock.LeftSeconds <= 0 {
		t.Errorf("ageing: %+v", ages)
	}
	edB.do("GET", "/api/v1/cases/ageing", nil).want(t, http.StatusOK).data(t, &ages)
	if len(ages) != 0 {
		t.Errorf("editor B's ageing view: %d cases", len(ages))
	}
	// Heads of department, to whom overdue cases escalate.
	ed.do("PUT", "/api/v1/cases/heads/"+e.orgA.ID, map[string]any{"name": "ACS Agriculture"}).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	ad.do("PUT", "/api/v1/cases/heads/"+e.orgA.ID, map[string]any{"name": ""}).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "name")
	ad.do("PUT", "/api/v1/cases/heads/no-such-org", map[string]any{"name": "X"}).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
	var head publisher.Officer
	ad.do("PUT", "/api/v1/cases/heads/"+e.orgA.ID, map[string]any{"name": "ACS Agriculture", "designation": "Additional Chief Secretary",
		"email": "acs.agri@prasar.test", "userId": e.viewer.ID}).want(t, http.StatusOK).data(t, &head)
	if head.Kind != publisher.OfficerHead || head.OrgID != e.orgA.ID || head.UserID != e.viewer.ID {
		t.Errorf("head = %+v", head)
	}
	if v := ed.getCase(c.ID); len(v.Heads) != 1 || v.Heads[0].Name != "ACS Agriculture" {
		t.Errorf("the case page's heads: %+v", v.Heads)
	}
	e.anon().do("GET", "/api/v1/cases", nil).wantError(t, http.StatusUnauthorized, publisher.EUNAUTHORIZED)
	ed.do("GET", "/api/v1/cases/not%20an%20id", nil).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
}

func urlq(s string) string {
	return strings.NewReplacer(":", "%3A", "/", "%2F", "?", "%3F", "&", "%26", "=", "%3D").Replace(s)
}
