package api

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/pdfdoc"
	"github.com/prasar/prasar/publisher/xlsx"
)

func TestRegistryEditorCannotReadAnotherOrganisationsOfficerContacts(t *testing.T) {
	e := newEnv(t)
	b := e.signIn(e.editorB)
	var page publisher.RegistryOrg
	b.do("GET", "/api/v1/registry/orgs/"+e.orgB.ID, nil).want(t, http.StatusOK).data(t, &page)
	if len(page.Officers) != 1 || page.Officers[0].Email != "nodal.b@prasar.test" {
		t.Fatalf("the organisation's own editor does not see its officer's contacts: %+v", page.Officers)
	}
	a := e.signIn(e.editorA)
	for _, path := range []string{"/api/v1/registry/orgs/" + e.orgB.ID, "/api/v1/registry/orgs/" + e.orgB.ID + "/history",
		"/api/v1/orgs/" + e.orgB.ID + "/officers", "/api/v1/registry/handovers?orgId=" + e.orgB.ID, "/api/v1/compliance/orgs/" + e.orgB.ID} {
		r := a.do("GET", path, nil).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
		_ = r
	}
	for _, f := range []string{"xlsx", "zip"} {
		r := a.do("GET", "/api/v1/registry/export?format="+f, nil).want(t, http.StatusOK)
		if bytes.Contains(unpack(t, f, r.body), []byte("nodal.b@prasar.test")) || bytes.Contains(unpack(t, f, r.body), []byte("HLTH")) {
			t.Fatalf("editor A's %s export carries organisation B's officer", f)
		}
	}
	r := a.do("GET", "/api/v1/registry/export?format=csv&table=officer_terms", nil).want(t, http.StatusOK)
	if strings.Contains(string(r.body), "+91 172") {
		t.Fatal("editor A's CSV export carries B's phone")
	}
	// A viewer sees the page read-only, without contacts.
	v := e.signIn(e.viewer)
	v.do("GET", "/api/v1/registry/orgs/"+e.orgB.ID, nil).want(t, http.StatusOK).data(t, &page)
	if page.Officers[0].Email != "" || page.Officers[0].Phone != "" || page.CanAdmin || page.CanEditOfficers || page.SeesContacts {
		t.Fatalf("viewer's page = %+v", page)
	}
	v.do("PUT", "/api/v1/registry/officers/"+e.officerB.ID, map[string]any{"name": "X", "designation": "Y", "posting": "Z",
		"email": "x@prasar.test", "phone": "+91 98765 43210"}).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	v.do("POST", "/api/v1/registry/orgs/"+e.orgB.ID+"/officers", map[string]any{"name": "X"}).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	v.do("POST", "/api/v1/registry/officers/"+e.officerB.ID+"/end", map[string]any{}).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	v.do("PUT", "/api/v1/registry/accounts/"+e.xB.ID+"/profile", map[string]any{"twoFactor": "enabled"}).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	v.do("POST", "/api/v1/registry/import", map[string]any{"kind": "organisations", "data": []byte("code\n")}).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	e.checkNoSecrets()
}

// TestEndOfficerTermOverHTTP: an administrator records that B's nodal
// officer has left; the page then has no current officer of that kind and one
// handover to nobody. Unknown fields and a future date are field errors.
func TestEndOfficerTermOverHTTP(t *testing.T) {
	e := newEnv(t)
	admin := e.signIn(e.admin)
	path := "/api/v1/registry/officers/" + e.officerB.ID + "/end"
	admin.do("POST", path, map[string]any{"endDate": "2999-01-01T00:00:00+05:30"}).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	admin.do("POST", path, map[string]any{"when": "now"}).wantError(t, http.StatusBadRequest, publisher.EMALFORMED)
	var h publisher.Handover
	admin.do("POST", path, map[string]any{"note": "Transferred", "revokeAccess": true}).want(t, http.StatusCreated).data(t, &h)
	if h.ToOfficerID != "" || h.FromOfficerID != e.officerB.ID || h.Note != "Transferred" {
		t.Fatalf("handover = %+v", h)
	}
	var page publisher.RegistryOrg
	admin.do("GET", "/api/v1/registry/orgs/"+e.orgB.ID, nil).want(t, http.StatusOK).data(t, &page)
	for _, o := range page.Officers {
		if o.Kind == publisher.OfficerNodal && (o.EndDate == nil || o.EndDate.After(time.Now())) {
			t.Fatalf("a nodal officer is still current: %+v", o)
		}
	}
	admin.do("POST", path, map[string]any{}).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
}

// readSheets returns a workbook's sheets as text, by name.
func readSheets(t *testing.T, b []byte) map[string][][]string {
	t.Helper()
	_, rows, err := xlsx.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// unpack returns the text inside an export: the CSV files of a ZIP, or
// the cells of a workbook.
func unpack(t *testing.T, format string, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if format == "zip" {
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			rc, _ := f.Open()
			io.Copy(&out, rc)
			rc.Close()
		}
		return out.Bytes()
	}
	for name, rows := range readSheets(t, b) {
		fmt.Fprintln(&out, name)
		for _, r := range rows {
			fmt.Fprintln(&out, strings.Join(r, "\t"))
		}
	}
	return out.Bytes()
}

func TestRegistryExcelImportWithMergedCellsAndNuktaNames(t *testing.T) {
	e := newEnv(t)
	admin := e.signIn(e.admin)
	// A workbook as offices send it: the organisation's code merged down
	// over its two officers' rows; Hindi names with nukta letters.
	// (testdata/registry-merged-cells.xlsx: the organisation's code merged
	// over A2:A3 of the Officers sheet; a lineage sheet to pass over.)
	broken, err := os.ReadFile("testdata/registry-merged-cells.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	var res publisher.ImportResult
	admin.do("POST", "/api/v1/registry/import", map[string]any{"filename": "registry.xlsx", "data": broken, "dryRun": false}).want(t, http.StatusOK).data(t, &res)
	if res.Valid || res.Batch != nil || len(res.Errors) != 2 {
		t.Fatalf("merged cells accepted: %+v", res)
	}
	for i, want := range []publisher.ImportError{
		{Table: "registry.xlsx › Officers", Line: 2, Column: "org_code", Cell: "A2", Code: "merged_cell"},
		{Table: "registry.xlsx › Officers", Line: 3, Column: "org_code", Cell: "A3", Code: "merged_cell"},
	} {
		got := res.Errors[i]
		if got.Table != want.Table || got.Line != want.Line || got.Column != want.Column || got.Cell != want.Cell || got.Code != want.Code ||
			!strings.Contains(got.Message, "A2:A3") {
			t.Errorf("error %d = %+v, want %+v with the range A2:A3", i, got, want)
		}
	}
	if _, err := e.store.GetOrgByCode(context.Background(), "D-FARIDABAD"); !publisher.IsCode(err, publisher.ENOTFOUND) {
		t.Fatal("a refused workbook wrote its organisation")
	}
	// Unmerged and filled in, it imports: dry run first, then for real.
	var fixedBuf bytes.Buffer
	err = xlsx.Write(&fixedBuf, []xlsx.Sheet{
		{Name: "organisations", Columns: []string{"code", "type", "parent_code", "name_en", "name_hi"}, Rows: [][]any{
			{"D-FARIDABAD", "district", "", "District Administration Faridabad", "जिला प्रशासन \u095Eरीदाबाद"},
		}},
		{Name: "officers", Columns: []string{"org_code", "kind", "name", "designation", "posting", "email", "phone", "start_date"}, Rows: [][]any{
			{"D-FARIDABAD", "nodal", "Zubair Khan", "DIPRO", "Mini Secretariat, Faridabad", "dipro.fbd@hry.gov.in", "0129-2411111", 45992},
			{"D-FARIDABAD", "alternate", "Ritu", "APRO", "Mini Secretariat, Faridabad", "apro.fbd@hry.gov.in", "0129-2411112", "2025-12-01"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	fixed := fixedBuf.Bytes()
	admin.do("POST", "/api/v1/registry/import", map[string]any{"filename": "registry.xlsx", "data": fixed, "dryRun": true}).want(t, http.StatusOK).data(t, &res)
	if !res.Valid || res.Summary.Organisations.Create != 1 || res.Summary.Officers.Create != 2 || res.Batch != nil {
		t.Fatalf("dry run = %+v", res)
	}
	admin.do("POST", "/api/v1/registry/import", map[string]any{"filename": "registry.xlsx", "data": fixed}).want(t, http.StatusOK).data(t, &res)
	if !res.Valid || res.Batch == nil || res.Batch.Status != publisher.ImportDone || len(res.Batch.Plan.Orgs) != 0 {
		t.Fatalf("import = %+v", res)
	}
	o, err := e.store.GetOrgByCode(context.Background(), "D-FARIDABAD")
	if err != nil {
		t.Fatal(err)
	}
	if o.NameHI != "जिला प्रशासन \u092B\u093Cरीदाबाद" {
		t.Fatalf("Hindi name stored as %q", o.NameHI)
	}
	os, _ := e.store.ListOfficers(context.Background(), publisher.OfficerFilter{OrgID: o.ID})
	if len(os) != 2 || os[1].StartDate.In(ist).Format("2006-01-02") != "2025-12-01" || os[0].StartDate.In(ist).Format("2006-01-02") != "2025-12-01" {
		t.Fatalf("officers = %+v", os)
	}
	// CSV needs its kind; a CSV of the wrong kind shows its columns.
	admin.do("POST", "/api/v1/registry/import", map[string]any{"data": []byte("code,type\n")}).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	admin.do("POST", "/api/v1/registry/import", map[string]any{"kind": "accounts", "filename": "a.csv", "data": []byte("code,type,name_en,name_hi\nX,board,X,क\n"), "dryRun": true}).
		want(t, http.StatusOK).data(t, &res)
	if res.Valid || res.Errors[0].Code != "unknown_column" || res.Errors[0].Table != "a.csv" {
		t.Fatalf("wrong-kind CSV = %+v", res.Errors)
	}
	var batches []publisher.ImportBatch
	admin.do("GET", "/api/v1/registry/imports", nil).want(t, http.StatusOK).data(t, &batches)
	if len(batches) != 1 || batches[0].Filename != "registry.xlsx" || len(batches[0].Plan.Officers) != 0 {
		t.Fatalf("imports = %+v", batches)
	}
}

func TestComplianceReportFiguresMatchTheDashboard(t *testing.T) {
	e := newEnv(t)
	admin := e.signIn(e.admin)
	// AGRI gets a nodal officer; HLTH has one already (seeded).
	admin.do("POST", "/api/v1/registry/orgs/"+e.orgA.ID+"/officers", map[string]any{"kind": "nodal", "name": "Sunita Malik", "designation": "DD",
		"posting": "Panchkula", "email": "sunita@prasar.test", "phone": "+91 98765 10001"}).want(t, http.StatusCreated)
	v := e.signIn(e.viewer)
	var r publisher.ComplianceReview
	v.do("GET", "/api/v1/compliance", nil).want(t, http.StatusOK).data(t, &r)
	if r.Summary.Organisations != 2 || r.Summary.WithNodal != 2 || len(r.Orgs) != 2 || r.WindowDays != 15 {
		t.Fatalf("review = %+v", r.Summary)
	}
	v.do("GET", "/api/v1/compliance?type=ministry", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)

	// Excel: the summary and the ranking are the dashboard's.
	res := v.do("GET", "/api/v1/compliance/report?format=xlsx", nil).want(t, http.StatusOK)
	date := r.GeneratedAt.In(ist).Format("2006-01-02")
	if cd := res.header.Get("Content-Disposition"); cd != `attachment; filename="prasar-compliance-review-`+date+`.xlsx"` {
		t.Fatalf("Content-Disposition = %q", cd)
	}
	sheets := readSheets(t, res.body)
	s := r.Summary
	want := map[string]int{"Organisations reviewed": s.Organisations, "With a nodal officer": s.WithNodal, "With an account on every required platform": s.WithAccounts,
		"With a working connection on every required platform": s.AllWorking, "Published in the last 15 days": s.Active, "Fully compliant": s.FullyCompliant,
		"Average score": s.AverageScore, "Gaps in all": s.Gaps, "X account": s.Platforms[1].WithAccount, "Instagram connected": s.Platforms[2].Working}
	found := 0
	for _, row := range sheets["Summary"] {
		for label, n := range want {
			if len(row) >= 2 && strings.Contains(row[0], label) {
				found++
				if row[1] != strconv.Itoa(n) {
					t.Errorf("Excel summary %q = %s, dashboard %d", label, row[1], n)
				}
			}
		}
	}
	if found != len(want) {
		t.Fatalf("found %d of %d summary rows in %v", found, len(want), sheets["Summary"])
	}
	ranking := sheets["Ranking"]
	if len(ranking) != len(r.Orgs)+1 {
		t.Fatalf("ranking rows = %d", len(ranking))
	}
	for i, o := range r.Orgs {
		row := ranking[i+1]
		if row[0] != strconv.Itoa(o.Rank) || row[1] != o.Code || row[8] != strconv.Itoa(o.Score) || row[7] != strconv.Itoa(o.RecentPosts) {
			t.Errorf("Excel ranking row %d = %v, dashboard %+v", i+1, row, o)
		}
	}
	gaps := 0
	for _, o := range r.Orgs {
		gaps += len(o.Gaps)
	}
	if len(sheets["Gaps"]) != gaps+1 {
		t.Errorf("Excel gaps = %d rows, dashboard %d gaps", len(sheets["Gaps"])-1, gaps)
	}

	// PDF: the same figures, in Hindi and English.
	res = v.do("GET", "/api/v1/compliance/report?format=pdf", nil).want(t, http.StatusOK)
	if res.header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(res.body, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %s", res.header.Get("Content-Type"))
	}
	lines, err := pdfdoc.ReadText(res.body)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(lines, "\n")
	for label, n := range want {
		ok := false
		for _, l := range lines {
			if strings.Contains(l, label) {
				cells := strings.Split(l, " | ")
				ok = len(cells) >= 2 && cells[1] == strconv.Itoa(n)
				break
			}
		}
		if !ok {
			t.Errorf("the PDF does not show %q = %d:\n%s", label, n, text)
		}
	}
	for _, o := range r.Orgs {
		prefix := fmt.Sprintf("%d | %s |", o.Rank, o.Code)
		ok := false
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) && strings.HasSuffix(l, fmt.Sprintf("| %d | %d", o.RecentPosts, o.Score)) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("the PDF's ranking lacks %s ... %d:\n%s", prefix, o.Score, text)
		}
	}
	// (Text read back from a PDF is in visual order: ि comes first.)
	if !strings.Contains(text, "/ Date: "+r.GeneratedAt.In(ist).Format("2 Jan 2006")) {
		t.Errorf("the PDF is not dated:\n%s", text)
	}
	v.do("GET", "/api/v1/compliance/report?format=doc", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	// Editors get their own organisation's row only.
	var mine publisher.ComplianceReview
	e.signIn(e.editorA).do("GET", "/api/v1/compliance", nil).want(t, http.StatusOK).data(t, &mine)
	if len(mine.Orgs) != 1 || mine.Orgs[0].OrgID != e.orgA.ID {
		t.Fatalf("editor's review = %+v", mine.Orgs)
	}
}

func TestRegistryWorkflowOverHTTP(t *testing.T) {
	e := newEnv(t)
	admin := e.signIn(e.admin)
	var h publisher.Handover
	admin.do("POST", "/api/v1/registry/orgs/"+e.orgA.ID+"/officers", map[string]any{"kind": "nodal", "userId": e.editorA.ID, "name": "Sunita Malik",
		"designation": "DD", "posting": "Panchkula", "email": "sunita@prasar.test", "phone": "+91 98765 10001"}).want(t, http.StatusCreated).data(t, &h)
	admin.do("POST", "/api/v1/registry/orgs/"+e.orgA.ID+"/officers", map[string]any{"name": "", "email": "x"}).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	// A staff editor's change waits (202); the nodal officer's applies (200).
	edit := map[string]any{"name": "Sunita Malik", "designation": "JD", "posting": "Panchkula", "email": "sunita@prasar.test", "phone": "+91 98765 10001", "comment": "promoted"}
	var res publisher.EditOfficerResult
	e.signIn(e.editorA2).do("PUT", "/api/v1/registry/officers/"+h.ToOfficerID, edit).want(t, http.StatusAccepted).data(t, &res)
	if res.Change == nil || res.Officer.Designation != "DD" {
		t.Fatalf("staff edit = %+v", res)
	}
	var changes []publisher.OfficerChange
	admin.do("GET", "/api/v1/registry/officer-changes?status=pending", nil).want(t, http.StatusOK).data(t, &changes)
	if len(changes) != 1 {
		t.Fatalf("pending = %+v", changes)
	}
	admin.do("POST", "/api/v1/registry/officer-changes/"+changes[0].ID+"/decide", map[string]any{}).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	admin.do("POST", "/api/v1/registry/officer-changes/"+changes[0].ID+"/decide", map[string]any{"approve": true}).want(t, http.StatusOK)
	admin.do("POST", "/api/v1/registry/officer-changes/"+changes[0].ID+"/decide", map[string]any{"approve": false}).wantError(t, http.StatusConflict, publisher.ECONFLICT)
	edit["phone"] = "+91 98765 20002"
	e.signIn(e.editorA).do("PUT", "/api/v1/registry/officers/"+h.ToOfficerID, edit).want(t, http.StatusOK).data(t, &res)
	if res.Change != nil || res.Officer.Designation != "JD" || res.Officer.Phone != "+91 98765 20002" {
		t.Fatalf("nodal officer's edit = %+v", res)
	}
	// Account registry details.
	var ra publisher.RegistryAccount
	e.signIn(e.editorA).do("PUT", "/api/v1/registry/accounts/"+e.xA.ID+"/profile", map[string]any{"verification": "verified", "badge": "grey",
		"twoFactor": "enabled", "recoveryEmail": "social.agri@hry.gov.in"}).want(t, http.StatusOK).data(t, &ra)
	if ra.Profile.Badge != "grey" || !ra.Working || !ra.Required {
		t.Fatalf("account = %+v", ra)
	}
	e.signIn(e.editorB).do("PUT", "/api/v1/registry/accounts/"+e.xA.ID+"/profile", map[string]any{"twoFactor": "enabled"}).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
	admin.do("POST", "/api/v1/registry/accounts", map[string]any{"orgId": e.orgA.ID, "platform": "koo", "handle": "@AgriKoo"}).want(t, http.StatusCreated).data(t, &ra)
	if ra.Status != publisher.AccountDefunct || ra.Defunct == "" {
		t.Fatalf("Koo account = %+v", ra)
	}
	// A handover: the old officer's access goes, the accounts are listed.
	admin.do("POST", "/api/v1/registry/orgs/"+e.orgA.ID+"/officers", map[string]any{"name": "Rakesh Kumar", "designation": "PRO", "posting": "Panchkula",
		"email": "rakesh@prasar.test", "phone": "0172-2740000"}).want(t, http.StatusCreated).data(t, &h)
	if !h.AccessRevoked || len(h.Accounts) != 2 || h.Status != publisher.HandoverRotation {
		t.Fatalf("handover = %+v", h)
	}
	admin.do("POST", "/api/v1/registry/handovers/"+h.ID+"/rotated", map[string]any{"accountId": e.xA.ID}).want(t, http.StatusOK).data(t, &h)
	admin.do("POST", "/api/v1/registry/handovers/"+h.ID+"/rotated", map[string]any{"accountId": e.igA.ID}).want(t, http.StatusOK).data(t, &h)
	if h.Status != publisher.HandoverComplete {
		t.Fatalf("after both rotations = %s", h.Status)
	}
	// Rename and merge, and the history that follows them.
	admin.do("PUT", "/api/v1/registry/orgs/"+e.orgB.ID, map[string]any{"code": "HEALTH", "type": "department", "nameEn": "Health Department",
		"nameHi": "स्वास्थ्य विभाग", "orderRef": "N/2025"}).want(t, http.StatusOK)
	var ev publisher.OrgEvent
	admin.do("POST", "/api/v1/registry/orgs/"+e.orgA.ID+"/merge", map[string]any{"sourceIds": []string{e.orgB.ID}, "orderRef": "Cabinet 1/2026"}).
		want(t, http.StatusCreated).data(t, &ev)
	var hist publisher.OrgHistory
	admin.do("GET", "/api/v1/registry/orgs/"+e.orgA.ID+"/history", nil).want(t, http.StatusOK).data(t, &hist)
	if len(hist.Lineage.Predecessors) != 1 || len(hist.Lineage.Events) != 2 || len(hist.Officers) != 1 || hist.Officers[0].Email != "nodal.b@prasar.test" {
		t.Fatalf("history = %+v", hist.Lineage)
	}
	e.checkNoSecrets()
}
