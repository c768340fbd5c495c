//go:build embedui

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/prasar/prasar/publisher"
)

// TestE2ECaseFromIntakeToPublishedClarification runs the fake-news desk in
// headless Chromium against the whole product (demo seeded, sandbox
// platforms): an editor logs a fake item (the duplicate warning catches a
// known one, a screenshot is attached), the PR section triages it, the
// nodal officer records the facts and their source and drafts the
// clarification from the case, the PR section approves it in the normal
// review, it fans out to the organisation's sandbox accounts, and the case
// turns published with its times measured; a takedown needs the right
// rank; the case closes with a note and exports with a verified trail. On
// the way the ageing view shows the demo's overdue case escalated by the
// periodic deadline check.
func TestE2ECaseFromIntakeToPublishedClarification(t *testing.T) {
	chromiumPath(t)
	m := startMain(t, "serve", testEnv(t, "PRASAR_DEMO", "on", "PRASAR_DEMO_PASSWORD", e2ePassword, "PRASAR_CASE_CHECK_EVERY", "2s"))
	if m.Sandbox() == nil {
		t.Fatal("serve mode without platform credentials has no sandbox")
	}
	ctx := context.Background()
	store, sb := m.Store(), m.Sandbox()
	agri, err := store.GetOrgByCode(ctx, "AGRI")
	if err != nil {
		t.Fatal(err)
	}
	ref := fmt.Sprintf("e2e-case-%d", time.Now().UnixNano()%1_000_000_000)
	fakeURL := "https://www.facebook.com/groups/kisan-khabar-hry/posts/" + ref
	b := startBrowser(t, m.URL())
	start := time.Now()
	phase := func(name string) { t.Logf("%5.1fs %s", time.Since(start).Seconds(), name) }
	english := func() {
		t.Helper()
		b.choose("lang-select", "en")
		b.waitJS("English", e2eStep, `document.documentElement.lang === 'en' && document.querySelector('[data-testid="signout"]')?.textContent.trim() === 'Sign out'`)
	}
	casePage := func(id, status string) {
		t.Helper()
		b.open("/cases/" + id)
		b.waitJS("case "+id+" "+status, e2eStep, `document.querySelector('[data-testid="case-status"]')?.dataset.status === `+js(status))
	}

	// ---- 1. The editor logs the item ----
	phase("intake")
	b.open("/cases")
	b.signIn(e2eEditor, e2ePassword)
	english()
	b.waitJS("the ageing view", e2eStep, `location.pathname === '/cases' && !!document.querySelector('[data-testid="ageing-table"]')`)
	b.click("new-case")
	b.waitJS("the intake form", e2eStep, `location.pathname === '/cases/new' && !!document.querySelector('[data-testid="case-form"]')`)
	// The demo's forged-order case has this address: the form says so.
	demoURL := "https://chat.whatsapp.com/forwarded/kisan-samachar-hry-1101"
	b.typeInto("case-urls", demoURL)
	b.waitJS("the duplicate warning", e2eStep, `!!document.querySelector('[data-testid="duplicate-warning"] a[data-testid^="duplicate-link-"]')`)
	b.clearField("case-urls")
	b.typeInto("case-urls", fakeURL)
	b.waitJS("no duplicate warning for a new address", e2eStep, `!document.querySelector('[data-testid="duplicate-warning"]')`)
	b.choose("case-type", "forged_letter")
	b.choose("case-platform", "facebook")
	b.choose("case-language", "hi")
	b.typeInto("case-summary", "जाली पत्र: 'किसान सम्मान निधि की किस्त रोकी गई' / A forged letter says the farmers' instalment is stopped "+ref)
	b.typeInto("case-where-seen", "Facebook group Kisan Khabar Haryana")
	b.typeInto("case-district", "Karnal")
	b.do("choosing the screenshot", chromedp.SetUploadFiles(tid("case-file"), []string{writeTestJPEG(t, t.TempDir())}))
	b.waitJS("the uploaded screenshot", e2eStep, `document.querySelectorAll('[data-testid^="case-screenshot-"]').length === 1`)
	b.click("case-submit")
	b.waitJS("the new case", e2eStep, `/^\/cases\/[^/]+$/.test(location.pathname) && location.pathname !== '/cases/new' && document.querySelector('[data-testid="case-status"]')?.dataset.status === 'new'`)
	caseID := strings.TrimPrefix(eval[string](b, `location.pathname`), "/cases/")
	c, err := store.GetCase(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	if c.OrgID != agri.ID || c.Type != publisher.CaseForgedLetter || c.Media != publisher.MediaDigital || len(c.ScreenshotIDs) != 1 ||
		len(c.URLKeys) != 1 || c.URLKeys[0] != "facebook.com/groups/kisan-khabar-hry/posts/"+ref || !c.DeadlineAt.Equal(c.ReportedAt.Add(2*time.Hour)) {
		t.Fatalf("stored case = %+v", c)
	}
	if got := b.text("case-ref"); got != c.Ref {
		t.Errorf("case page shows %q, want %s", got, c.Ref)
	}
	if b.present("triage-form") {
		t.Error("the editor is offered triage")
	}

	b.signOut()

	// ---- 2. The PR section: the ageing view, then triage ----
	phase("ageing view and triage")
	// The demo's transport case was logged three hours ago without a
	// clarification: the periodic deadline check (every 2 s here) escalates
	// it, and the ageing view flags it.
	transport, err := store.GetOrgByCode(ctx, "TRANSPORT")
	if err != nil {
		t.Fatal(err)
	}
	tcs, _, err := store.ListCases(ctx, publisher.CaseFilter{OrgID: transport.ID})
	if err != nil || len(tcs) != 1 {
		t.Fatalf("the demo's transport case: %d, %v", len(tcs), err)
	}
	b.waitFor("the deadline check escalating the demo's overdue case", e2eStep, func() (bool, string) {
		tc, err := store.GetCase(ctx, tcs[0].ID)
		if err != nil {
			return false, err.Error()
		}
		return tc.EscalatedHoDAt != nil, fmt.Sprintf("status %s, escalation level %d", tc.Status, tc.EscalationLevel())
	})
	b.open("/cases")
	b.signIn(e2eApprover, e2ePassword)
	english()
	b.waitJS("the ageing view with the overdue case", e2eStep, `!!document.querySelector('[data-testid="case-row-`+tcs[0].ID+`"]')`)
	row := eval[struct {
		Overdue string `json:"overdue"`
		Level   string `json:"level"`
		Flag    string `json:"flag"`
		Clock   string `json:"clock"`
	}](b, `(() => { const r = document.querySelector('[data-testid="case-row-`+tcs[0].ID+`"]');
		return { overdue: r.dataset.overdue, level: r.dataset.level, flag: r.querySelector('[data-testid^="flag-"]')?.textContent.trim() ?? '',
			clock: r.querySelector('[data-clock]')?.dataset.clock ?? '' }; })()`)
	if row.Overdue != "true" || row.Level != "1" || !strings.Contains(row.Flag, "Escalated to head of department") || row.Clock != "overdue" {
		t.Errorf("the overdue case in the ageing view: %+v", row)
	}
	if first := eval[string](b, `document.querySelector('[data-testid="ageing-table"] tbody tr')?.dataset.testid ?? ''`); first != "case-row-"+tcs[0].ID {
		t.Errorf("the ageing view starts with %s, want the most overdue case", first)
	}
	casePage(caseID, "new")
	b.click("triage-in")
	b.click("triage-submit")
	b.waitJS("the case assigned", e2eStep, `document.querySelector('[data-testid="case-status"]')?.dataset.status === 'assigned' && !!document.querySelector('[data-testid="case-assignee"]')`)
	if got := b.text("case-assignee"); !strings.Contains(got, "Sunita Malik") {
		t.Errorf("assigned to %q, want the Agriculture nodal officer Sunita Malik", got)
	}
	b.signOut()

	// ---- 3. The nodal officer: facts, source, clarification ----
	phase("facts and clarification")
	b.open("/cases/" + caseID)
	b.signIn(e2eEditor, e2ePassword)
	english()
	b.waitJS("the facts form", e2eStep, `!!document.querySelector('[data-testid="facts-form"]') && !!document.querySelector('[data-testid="draft-needs-sources"]')`)
	b.typeInto("facts", "The instalment was released on schedule on 5 November.")
	b.choose("source-0-kind", "press_release")
	b.typeInto("source-0-title", "DIPRL press release 1234, 5 November 2026")
	b.typeInto("source-0-url", "https://prharyana.gov.in/en/press-release/1234")
	b.click("facts-save")
	b.waitJS("the draft button", e2eStep, `!!document.querySelector('[data-testid="draft-clarification"]')`)
	b.click("draft-clarification")
	b.waitJS("the clarification composer", e2eStep, `location.pathname === `+js("/cases/"+caseID+"/clarify")+
		` && !!document.querySelector('[data-testid="clarify-body-en"]') && document.querySelectorAll('input[data-testid^="target-"]:checked').length > 0`)
	if body := eval[string](b, `document.querySelector('[data-testid="clarify-body-en"]').value`); !strings.Contains(body, "https://prharyana.gov.in/en/press-release/1234") ||
		!strings.Contains(body, "released on schedule") {
		t.Errorf("the clarification is not pre-filled from the facts and source: %q", body)
	}
	// The pre-filled text is long for X's 280: the officer writes it short.
	b.clearField("clarify-body-hi")
	b.typeInto("clarify-body-hi", "#फर्जी_खबर: किस्त रोकने का पत्र जाली है। किस्त 5 नवंबर को जारी हो चुकी है।")
	b.clearField("clarify-body-en")
	b.typeInto("clarify-body-en", "#FakeNews: the letter is forged; the instalment was released on 5 Nov. Ref "+ref+".")
	b.waitJS("the preview counted", e2eStep, `document.querySelector('[data-testid="measure-state"]')?.dataset.busy === 'false' && document.querySelectorAll('li[data-testid^="measure-"]').length > 0`)
	chosen := eval[[]string](b, `[...document.querySelectorAll('input[data-testid^="target-"]:checked')].map((el) => el.dataset.testid.slice('target-'.length))`)
	b.click("clarify-submit")
	b.waitJS("the clarification in review", e2eStep, `/^\/posts\/[^/]+$/.test(location.pathname) && document.querySelector('[data-testid="post-status"]')?.dataset.status === 'in_review'`)
	postID := strings.TrimPrefix(eval[string](b, `location.pathname`), "/posts/")
	p, err := store.GetPost(ctx, postID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != publisher.KindClarification || p.CaseID != caseID || p.OrgID != agri.ID || !sameSet(p.Targets, chosen) {
		t.Fatalf("clarification post = kind %s case %s org %s targets %v; want a clarification of the case to %v", p.Kind, p.CaseID, p.OrgID, p.Targets, chosen)
	}
	casePage(caseID, "in_review")
	b.signOut()

	// ---- 4. The normal review and fan-out ----
	phase("approval and fan-out")
	b.open("/posts/" + postID)
	b.signIn(e2eApprover, e2ePassword)
	b.waitJS("the review form", e2eStep, `!!document.querySelector('[data-testid="approve"]')`)
	b.typeInto("review-comment", "Checked against the press release.")
	b.click("approve")
	b.waitFor("every delivery of the clarification published", e2ePublish, func() (bool, string) {
		rows := eval[[]deliveryRow](b, deliveryRowsJS)
		n := 0
		for _, r := range rows {
			if r.Status == "published" {
				n++
			}
		}
		return len(rows) == len(chosen) && n == len(rows), fmt.Sprintf("%+v", rows)
	})
	for _, id := range chosen {
		a, err := store.GetAccount(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, sp := range sb.Posts(string(a.Platform), a.ExternalID) {
			if strings.Contains(sp.Text, ref) {
				got++
			}
		}
		if got != 1 {
			t.Errorf("the sandbox %s account %s has the clarification %d times, want once", a.Platform, a.Handle, got)
		}
	}

	// ---- 5. The case follows: published, in time, times measured ----
	phase("the case published")
	casePage(caseID, "published")
	if st := b.attr("case-clock", "data-clock"); st != "met" {
		t.Errorf("the clock says %q, want met", st)
	}
	for _, id := range []string{"time-to-assign", "time-to-draft", "time-to-publish", "response-time"} {
		if v := b.text(id); v == "" || v == "—" {
			t.Errorf("%s is not measured: %q", id, v)
		}
	}
	if st := b.attr("clarification-post-"+postID, "data-status"); st != "publishing" {
		t.Errorf("the case lists its clarification as %q", st)
	}

	if b.present("action-form") || b.present("facts-form") {
		t.Error("the approver is offered the nodal officer's forms")
	}
	b.signOut()

	// ---- 6. Follow-up: a takedown needs the right rank ----
	phase("follow-up and closure")
	b.open("/cases/" + caseID)
	b.signIn(e2eEditor, e2ePassword)
	english()
	b.waitJS("the follow-up form", e2eStep, `!!document.querySelector('[data-testid="action-form"]') && !!document.querySelector('[data-testid="close-form"]')`)
	b.choose("action-kind", "takedown_request")
	b.waitJS("the takedown fields", e2eStep, `!!document.querySelector('[data-testid="takedown-fields"]')`)
	b.typeInto("action-note", "Takedown intimation through Sahyog.")
	b.typeInto("action-officer-name", "S. Yadav")
	b.choose("action-officer-rank", "sp")
	b.typeInto("action-legal-basis", "IT Act s.79(3)(b); IT Rules r.3(1)(d)")
	b.typeInto("action-reasons", "A forged government letter misleading farmers.")
	b.click("action-submit")
	b.waitJS("the rank refused", e2eStep, `(document.querySelector('[data-testid="f-officer-rank-error"]')?.textContent ?? '').includes('Joint Secretary')`)
	b.choose("action-officer-rank", "joint_secretary")
	b.click("action-submit")
	b.waitJS("the takedown logged", e2eStep, `!!document.querySelector('[data-testid="case-actions-list"] [data-kind="takedown_request"]')`)
	b.typeInto("close-note", "Clarification live on all accounts; takedown requested through Sahyog.")
	b.click("close-submit")
	b.waitJS("the case closed", e2eStep, `document.querySelector('[data-testid="case-status"]')?.dataset.status === 'closed'`)
	if got := b.attr("trail-ok", "data-ok"); got != "true" {
		t.Errorf("the trail does not verify on the page: %q", got)
	}

	// ---- 7. The export, and the record in the store ----
	r := b.fetch("GET", "/api/v1/cases/"+caseID+"/export?format=json", nil)
	var x publisher.CaseExport
	if err := json.Unmarshal([]byte(r.Body), &x); r.Status != 200 || err != nil || !x.TrailVerified || x.Case.Status != publisher.CaseClosed {
		t.Errorf("JSON export: HTTP %d, verified %v, %v", r.Status, x.TrailVerified, err)
	}
	if r := b.fetch("GET", "/api/v1/cases/"+caseID+"/export?format=csv", nil); r.Status != 200 || !strings.Contains(r.Body, c.Ref) || !strings.Contains(r.Body, "takedown_request") {
		t.Errorf("CSV export: HTTP %d %.200s", r.Status, r.Body)
	}
	c, err = store.GetCase(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := store.ListCaseEvents(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != publisher.CaseClosed || c.AssignedAt == nil || c.SubmittedAt == nil || c.ApprovedAt == nil || c.PublishedAt == nil ||
		c.PublishedAt.After(c.DeadlineAt) || len(c.Actions) != 1 || c.Actions[0].OfficerRank != publisher.RankJointSecretary {
		t.Errorf("stored case = %+v", c)
	}
	if err := publisher.VerifyCaseTrail(c, evs); err != nil {
		t.Errorf("the stored trail: %v", err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if got, want := strings.Join(kinds, " "), "intake triage assign facts clarification status status status action close"; got != want {
		t.Errorf("trail = %s\nwant    %s", got, want)
	}

	// ---- 8. The reports count it ----
	phase("reports")
	b.open("/cases/reports")
	b.waitJS("the report", e2eStep, `!!document.querySelector('[data-testid="report-total"]') && !!document.querySelector('[data-testid="weekly-report"]')`)
	if n := eval[string](b, `document.querySelector('[data-testid="report-time-response"]')?.dataset.count ?? ''`); n != "1" {
		t.Errorf("the report counts %s response times, want 1 (the one clarification published)", n)
	}
}
