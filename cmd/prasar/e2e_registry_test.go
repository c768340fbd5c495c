//go:build embedui

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/pdfdoc"
	"github.com/prasar/prasar/publisher/xlsx"
)

// TestE2ERegistryImportDashboardReport takes the registry from an import
// to the Chief Minister's report through the web interface, with the
// seeded Haryana organisations: an administrator checks a CSV of accounts
// and sees its error by line and column (nothing is written), corrects and
// imports it; the compliance dashboard then shows the same figures as the
// review the service computes, filters to the district administrations
// and drills down to an organisation's gaps; the report page shows them
// for printing, and its PDF and Excel downloads carry the same figures.
func TestE2ERegistryImportDashboardReport(t *testing.T) {
	m := startE2EServer(t)
	ctx := publisher.SystemContext(context.Background())
	store, svc := m.Store(), m.Service()
	hspcb, err := store.GetOrgByCode(ctx, "HSPCB")
	if err != nil {
		t.Fatal(err)
	}
	before, _ := store.ListAccounts(ctx, publisher.AccountFilter{OrgID: hspcb.ID})
	if len(before) != 0 {
		t.Fatalf("the demo gives HSPCB %d accounts; the test imports them", len(before))
	}

	b := startBrowser(t, m.URL())
	dl := t.TempDir()
	b.do("allowing downloads", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dl})
		return err
	}))
	start := time.Now()
	phase := func(name string) { t.Logf("%5.1fs %s", time.Since(start).Seconds(), name) }

	// ---- 1. Import: a broken file is refused with its errors; the fixed one imports ----
	phase("import")
	b.open("/")
	b.signIn(e2eAdmin, e2ePassword)
	b.waitJS("signed in", e2eStep, `!!document.querySelector('[data-testid="nav-registry"]')`)
	b.click("nav-registry")
	b.waitJS("the registry with the seeded organisations", e2eStep, `document.querySelectorAll('tr[data-testid^="org-row-"]').length >= 70`)
	b.click("registry-import")
	b.waitJS("the import page", e2eStep, `location.pathname === '/registry/import' && !!document.querySelector('[data-testid="import-file"]')`)
	dir := t.TempDir()
	broken := filepath.Join(dir, "hspcb-accounts.csv")
	header := "org_code,platform,handle,profile_url,two_factor,recovery_email\n"
	good := "HSPCB,facebook,@HSPCBofficial,https://www.facebook.com/HSPCBofficial,enabled,social.hspcb@hry.gov.in\n" +
		"HSPCB,x,@HSPCB_Official,https://x.com/HSPCB_Official,enabled,social.hspcb@hry.gov.in\n"
	if err := os.WriteFile(broken, []byte(header+good+"HSPCB,orkut,@hspcb,,,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.do("choosing the broken file", chromedp.SetUploadFiles(tid("import-file"), []string{broken}))
	b.choose("import-kind", "accounts")
	b.click("import-check")
	b.waitJS("the dry run's errors", e2eStep, `document.querySelector('[data-testid="import-result"]')?.dataset.valid === 'false'`)
	errRow := eval[map[string]string](b, `(() => { const r = document.querySelector('[data-testid="import-error-0"]'); return { line: r.dataset.line, column: r.dataset.column, code: r.dataset.code }; })()`)
	if errRow["line"] != "4" || errRow["column"] != "platform" || errRow["code"] != "invalid_choice" {
		t.Fatalf("the broken file's error = %v, want line 4, column platform", errRow)
	}
	if n := eval[int](b, `document.querySelectorAll('tr[data-testid^="import-error-"]').length`); n != 1 {
		t.Fatalf("%d errors shown, want 1", n)
	}
	if eval[bool](b, `!document.querySelector('[data-testid="import-run"]').disabled`) {
		t.Fatal("a broken file can be imported")
	}
	if as, _ := store.ListAccounts(ctx, publisher.AccountFilter{OrgID: hspcb.ID}); len(as) != 0 {
		t.Fatal("the dry run of a broken file wrote accounts")
	}
	fixed := filepath.Join(dir, "hspcb-accounts-fixed.csv")
	if err := os.WriteFile(fixed, []byte(header+good), 0o644); err != nil {
		t.Fatal(err)
	}
	b.do("choosing the fixed file", chromedp.SetUploadFiles(tid("import-file"), []string{fixed}))
	b.choose("import-kind", "accounts")
	b.click("import-check")
	b.waitJS("a clean dry run", e2eStep, `document.querySelector('[data-testid="import-result"]')?.dataset.valid === 'true'`)
	b.click("import-run")
	b.waitJS("the import done", e2eStep, `!!document.querySelector('[data-testid="import-done"]')`)
	as, err := store.ListAccounts(ctx, publisher.AccountFilter{OrgID: hspcb.ID})
	if err != nil || len(as) != 2 {
		t.Fatalf("HSPCB's accounts after the import = %d (%v), want 2", len(as), err)
	}

	// ---- 2. The dashboard: the service's figures, filters, drill-down ----
	phase("dashboard")
	b.click("nav-compliance")
	b.waitJS("the dashboard", e2eStep, `document.querySelectorAll('tr[data-testid^="comp-row-"]').length > 0`)
	r, err := svc.ComplianceReview(ctx, publisher.ComplianceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	s := r.Summary
	want := map[string]int{"organisations": s.Organisations, "withNodal": s.WithNodal, "withAccounts": s.WithAccounts, "allWorking": s.AllWorking,
		"active": s.Active, "fullyCompliant": s.FullyCompliant, "averageScore": s.AverageScore, "gaps": s.Gaps}
	for id, n := range want {
		if got := b.attr("stat-"+id, "data-value"); got != strconv.Itoa(n) {
			t.Errorf("dashboard %s = %s, the service says %d", id, got, n)
		}
	}
	if s.Organisations != 70 {
		t.Errorf("the review covers %d organisations, want the 70 seeded", s.Organisations)
	}
	row := eval[map[string]string](b, `(() => { const r = document.querySelector('[data-testid="comp-row-HSPCB"]'); return { score: r.dataset.score,
		fb: r.querySelector('[data-testid="platform-HSPCB-facebook"]').dataset.has, ig: r.querySelector('[data-testid="platform-HSPCB-instagram"]').dataset.has }; })()`)
	if row["fb"] != "yes" || row["ig"] != "no" {
		t.Fatalf("HSPCB's row = %v, want a Facebook account and no Instagram one", row)
	}
	for _, o := range r.Orgs {
		if o.Code == "HSPCB" && row["score"] != strconv.Itoa(o.Score) {
			t.Errorf("HSPCB's score on the dashboard = %s, the service says %d", row["score"], o.Score)
		}
	}
	b.click("gaps-HSPCB")
	b.waitJS("HSPCB's gaps", e2eStep, `!!document.querySelector('[data-testid="gap-HSPCB-no_account-instagram"]') && !!document.querySelector('[data-testid="gap-HSPCB-not_connected-facebook"]')`)
	b.choose("filter-type", "district")
	b.click("filter-apply")
	b.waitJS("the district administrations only", e2eStep, `location.search === '?type=district' && document.querySelectorAll('tr[data-testid^="comp-row-"]').length === 22 &&
		[...document.querySelectorAll('tr[data-testid^="comp-row-"]')].every((r) => r.dataset.testid.startsWith('comp-row-D-'))`)

	// ---- 3. The report: printable page, PDF and Excel, same figures ----
	phase("report")
	b.click("open-report")
	b.waitJS("the report page", e2eStep, `location.pathname === '/compliance/report' && document.querySelectorAll('tr[data-testid^="report-row-"]').length === 22`)
	rd, err := svc.ComplianceReview(ctx, publisher.ComplianceFilter{Type: publisher.OrgDistrict})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.attr("stat-withNodal", "data-value"); got != strconv.Itoa(rd.Summary.WithNodal) {
		t.Errorf("the report page's districts with a nodal officer = %s, the service says %d", got, rd.Summary.WithNodal)
	}
	date := time.Now().In(istZone).Format("2006-01-02")
	b.click("download-pdf")
	pdf := waitDownload(t, dl, "prasar-compliance-review-"+date+".pdf")
	lines, err := pdfdoc.ReadText(pdf)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(lines, "\n")
	for label, n := range map[string]int{"Organisations reviewed": rd.Summary.Organisations, "With a nodal officer": rd.Summary.WithNodal,
		"Average score": rd.Summary.AverageScore, "Gaps in all": rd.Summary.Gaps} {
		if !strings.Contains(text, label+" | "+strconv.Itoa(n)) {
			t.Errorf("the PDF lacks %s = %d:\n%s", label, n, text)
		}
	}
	if !strings.Contains(text, "District administration") || !strings.Contains(text, "D-KARNAL") || strings.Contains(text, "| HSPCB |") {
		t.Errorf("the PDF is not the districts' report:\n%s", text)
	}
	b.click("download-xlsx")
	_, sheets, err := xlsx.Read(bytes.NewReader(waitDownload(t, dl, "prasar-compliance-review-"+date+".xlsx")))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(sheets["Ranking"]) - 1; got != 22 {
		t.Errorf("the workbook ranks %d organisations, want 22", got)
	}
	for _, row := range sheets["Summary"] {
		if len(row) > 1 && strings.Contains(row[0], "Average score") && row[1] != strconv.Itoa(rd.Summary.AverageScore) {
			t.Errorf("the workbook's average score = %s, want %d", row[1], rd.Summary.AverageScore)
		}
	}
	phase("done")
}

// waitDownload waits for a finished download of that name and returns it.
func waitDownload(t *testing.T, dir, name string) []byte {
	t.Helper()
	deadline := time.Now().Add(e2eStep)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil && len(b) > 0 {
			if _, err := os.Stat(filepath.Join(dir, name+".crdownload")); os.IsNotExist(err) {
				return b
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	t.Fatalf("no download %s within %s (the folder has %v)", name, e2eStep, names)
	return nil
}
