package publisher_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// seedCase stores a case with known times (minutes after reported; -1:
// never) straight into the store.
type seedCase struct {
	name                  string
	org                   *publisher.Organisation
	reported              time.Time
	typ                   publisher.CaseType
	platform, district    string
	media                 publisher.CaseMedia
	status                publisher.CaseStatus
	triage                string // "" (none), "in", "out"
	assign, draft, publsh int    // minutes: assigned after intake, submitted after assignment, live after submission
	hod, dms              bool
}

func (e *caseEnv) seed(t *testing.T, s seedCase) *publisher.Case {
	t.Helper()
	id := publisher.NewID()
	window := 2 * time.Hour
	if s.media == publisher.MediaPrint {
		window = 12 * time.Hour
	}
	rep := s.reported.UTC()
	c := &publisher.Case{ID: id, Ref: "FN-" + s.name, OrgID: s.org.ID, Status: s.status, Type: s.typ, Platform: s.platform, Media: s.media, Language: "hi",
		URLKeys: []string{"example.in/" + s.name}, URLs: []string{"https://example.in/" + s.name}, Summary: s.name, District: s.district,
		ReportedBy: e.admin.ID, ReportedAt: rep, DeadlineAt: rep.Add(window), EscalateDMSAt: rep.Add(2 * window), CreatedAt: rep, UpdatedAt: rep}
	mins := func(base time.Time, m int) *time.Time { t := base.Add(time.Duration(m) * time.Minute); return &t }
	switch s.triage {
	case "in":
		c.Triage = &publisher.CaseTriage{InScope: true, Actionable: true, At: rep}
	case "out":
		c.Triage = &publisher.CaseTriage{InScope: false, Reason: "not ours", At: rep}
	}
	if s.assign >= 0 {
		c.AssignedAt = mins(rep, s.assign)
		if s.draft >= 0 {
			c.SubmittedAt = mins(*c.AssignedAt, s.draft)
			if s.publsh >= 0 {
				c.PublishedAt = mins(*c.SubmittedAt, s.publsh)
			}
		}
	}
	if s.hod {
		c.EscalatedHoDAt = mins(rep, int(window/time.Minute))
	}
	if s.dms {
		c.EscalatedDMSAt = mins(rep, int(2*window/time.Minute))
	}
	if err := e.store.CreateCase(context.Background(), c, nil); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCaseReportFigures checks every figure of the reports against a
// seeded week of cases whose answers were worked out by hand.
func TestCaseReportFigures(t *testing.T) {
	e := newCaseEnv(t)
	A, B := e.org, e.otherOrg
	mon := time.Date(2026, 11, 23, 10, 0, 0, 0, ist) // Monday of the week, 10:00 IST
	h := func(n int) time.Time { return mon.Add(time.Duration(n) * time.Hour) }
	const none = -1
	dig, prt, tv := publisher.MediaDigital, publisher.MediaPrint, publisher.MediaTV
	// name, org, reported, type, platform, district, media, status, triage, assign, draft, publish (minutes), escalations
	seeds := []seedCase{
		{"A1", A, h(0), publisher.CaseMisleadingClaim, "x", "Karnal", dig, publisher.CaseClosed, "in", 10, 20, 30, false, false},             // response 60: met
		{"A2", A, h(1), publisher.CaseForgedLetter, "whatsapp", "Karnal", dig, publisher.CasePublished, "in", 5, 40, 45, false, false},       // 90: met
		{"A3", A, h(2), publisher.CaseMisleadingClaim, "newspaper", "Hisar", prt, publisher.CasePublished, "in", 60, 300, 240, false, false}, // 600 of 720: met
		{"A4", A, h(3), publisher.CaseDeepfake, "facebook", "", dig, publisher.CasePublished, "in", 30, 100, 50, true, false},                // 180 of 120: missed
		{"A5", A, h(4), publisher.CaseImpersonation, "x", "Karnal", dig, publisher.CaseDrafting, "in", 15, none, none, true, true},           // open, overdue: missed
		{"A6", A, h(5), publisher.CaseOtherType, "x", "Karnal", dig, publisher.CaseClosed, "out", none, none, none, false, false},            // triaged out
		{"B1", B, h(6), publisher.CaseDeepfake, "youtube", "Rohtak", dig, publisher.CasePublished, "in", 20, 25, 15, false, false},           // 60: met
		{"B2", B, h(7), publisher.CaseMisleadingClaim, "tv", "Rohtak", tv, publisher.CasePublished, "in", 2, 58, 60, false, false},           // 120 of 120: met (on the minute)
		{"B4", B, h(8), publisher.CaseForgedLetter, "newspaper", "Rohtak", prt, publisher.CasePublished, "in", 120, 400, 200, false, false},  // 720 of 720: met
		// Sunday 29 Nov 23:30 IST (18:00 UTC): the last case of the week, still within its deadline at "now".
		{"B3", B, time.Date(2026, 11, 29, 23, 30, 0, 0, ist), publisher.CaseForgedLetter, "x", "", dig, publisher.CaseNew, "", none, none, none, false, false},
		// Outside the week: Monday 30 Nov 00:15 IST is still Sunday in UTC (18:45), and
		// Sunday 22 Nov 23:59 IST is the week before.
		{"N1", B, time.Date(2026, 11, 30, 0, 15, 0, 0, ist), publisher.CaseOtherType, "x", "", dig, publisher.CaseNew, "", none, none, none, false, false},
		{"P1", A, time.Date(2026, 11, 22, 23, 59, 0, 0, ist), publisher.CaseOtherType, "x", "", dig, publisher.CaseNew, "", none, none, none, false, false},
	}
	for _, s := range seeds {
		e.seed(t, s)
	}
	e.clock.set(time.Date(2026, 11, 30, 1, 0, 0, 0, ist)) // Monday 01:00 IST: B3 is due at 01:30
	week := publisher.CaseReportFilter{From: time.Date(2026, 11, 23, 0, 0, 0, 0, ist), To: time.Date(2026, 11, 30, 0, 0, 0, 0, ist)}

	r, err := e.svc.CaseReport(as(e.viewer(t)), week)
	if err != nil {
		t.Fatal(err)
	}
	// Worked by hand:
	//   responses (live − intake): A1 60, A2 90, A3 600, A4 180, B1 60, B2 120, B4 720
	//     sorted 60 60 90 120 180 600 720 → median the 4th = 120; p90 the ⌈0.9·7⌉ = 7th = 720
	//   time to assign: A1 10, A2 5, A3 60, A4 30, A5 15, B1 20, B2 2, B4 120
	//     sorted 2 5 10 15 20 30 60 120 → median (15+20)/2 = 17.5; p90 the ⌈7.2⌉ = 8th = 120
	//   time to draft: A1 20, A2 40, A3 300, A4 100, B1 25, B2 58, B4 400
	//     sorted 20 25 40 58 100 300 400 → median 58; p90 the 7th = 400
	//   time to publish: A1 30, A2 45, A3 240, A4 50, B1 15, B2 60, B4 200
	//     sorted 15 30 45 50 60 200 240 → median 50; p90 the 7th = 240
	//   deadlines apply to all but A6 (9): met A1 A2 A3 B1 B2 B4 (6), missed A4 A5 (2), pending B3 (1)
	stats := func(name string, got publisher.DurationStats, n int, med, p90 float64) {
		t.Helper()
		if got.Count != n || got.MedianMinutes != med || got.P90Minutes != p90 {
			t.Errorf("%s = %+v, want %d values, median %v min, p90 %v min", name, got, n, med, p90)
		}
	}
	stats("response", r.Response, 7, 120, 720)
	stats("time to assign", r.TimeToAssign, 8, 17.5, 120)
	stats("time to draft", r.TimeToDraft, 7, 58, 400)
	stats("time to publish", r.TimeToPublish, 7, 50, 240)
	if d := r.Deadlines; d != (publisher.DeadlineStats{Applies: 9, Met: 6, Missed: 2, Pending: 1, EscalatedHoD: 2, EscalatedDMS: 1}) {
		t.Errorf("deadlines = %+v", d)
	}
	if r.Total != 10 || r.Open != 8 || r.Published != 7 || r.Actionable != 8 || r.NotActionable != 1 || r.Untriaged != 1 {
		t.Errorf("totals: %d cases, %d open, %d published, %d actionable, %d not, %d untriaged", r.Total, r.Open, r.Published, r.Actionable, r.NotActionable, r.Untriaged)
	}
	wantMap(t, "by type", r.ByType, map[publisher.CaseType]int{publisher.CaseMisleadingClaim: 3, publisher.CaseForgedLetter: 3, publisher.CaseDeepfake: 2,
		publisher.CaseImpersonation: 1, publisher.CaseOtherType: 1})
	wantMap(t, "by platform", r.ByPlatform, map[string]int{"x": 4, "whatsapp": 1, "newspaper": 2, "facebook": 1, "youtube": 1, "tv": 1})
	wantMap(t, "by district", r.ByDistrict, map[string]int{"Karnal": 4, "Hisar": 1, "Rohtak": 3, "": 2})
	wantMap(t, "by media", r.ByMedia, map[publisher.CaseMedia]int{dig: 7, prt: 2, tv: 1})

	// Per organisation. A: responses 60 90 180 600 → median (90+180)/2 = 135,
	// p90 the ⌈3.6⌉ = 4th = 600; deadlines 5: met 3, missed 2.
	// B: responses 60 120 720 → median 120, p90 the ⌈2.7⌉ = 3rd = 720;
	// deadlines 4: met 3, pending 1.
	if len(r.ByOrg) != 2 {
		t.Fatalf("by organisation: %+v", r.ByOrg)
	}
	ra, rb := r.ByOrg[0], r.ByOrg[1]
	if ra.OrgID != A.ID || ra.Code != "AGRI" || ra.Cases != 6 || ra.Open != 4 || ra.Published != 4 ||
		ra.Deadlines != (publisher.DeadlineStats{Applies: 5, Met: 3, Missed: 2, EscalatedHoD: 2, EscalatedDMS: 1}) {
		t.Errorf("AGRI line = %+v", ra)
	}
	stats("AGRI response", ra.Response, 4, 135, 600)
	if rb.OrgID != B.ID || rb.Cases != 4 || rb.Open != 4 || rb.Published != 3 || rb.Deadlines != (publisher.DeadlineStats{Applies: 4, Met: 3, Pending: 1}) {
		t.Errorf("HEALTH line = %+v", rb)
	}
	stats("HEALTH response", rb.Response, 3, 120, 720)

	// One organisation's report; an editor's is always their own.
	ra2, err := e.svc.CaseReport(as(e.admin), publisher.CaseReportFilter{OrgID: A.ID, From: week.From, To: week.To})
	if err != nil {
		t.Fatal(err)
	}
	stats("AGRI report response", ra2.Response, 4, 135, 600)
	if ra2.Total != 6 || len(ra2.ByOrg) != 0 {
		t.Errorf("AGRI report: %d cases, %d lines", ra2.Total, len(ra2.ByOrg))
	}
	rb2, err := e.svc.CaseReport(as(e.otherEditor), publisher.CaseReportFilter{OrgID: A.ID, From: week.From, To: week.To})
	if err != nil || rb2.OrgID != B.ID || rb2.Total != 4 {
		t.Errorf("an editor asking for another organisation's report got %q with %d cases, %v", rb2.OrgID, rb2.Total, err)
	}

	// The weekly report of the week that holds Wednesday.
	w, err := e.svc.WeeklyCaseReport(as(e.admin), time.Date(2026, 11, 25, 15, 0, 0, 0, ist), "")
	if err != nil {
		t.Fatal(err)
	}
	if !w.WeekStart.Equal(week.From) || !w.WeekEnd.Equal(week.To) || w.WeekStart.UTC().Format(time.RFC3339) != "2026-11-22T18:30:00Z" {
		t.Errorf("week = %v – %v", w.WeekStart, w.WeekEnd)
	}
	if d := w.Report.Deadlines; d.Met != 6 || d.Missed != 2 || w.Report.Response.MedianMinutes != 120 || w.Report.Total != 10 {
		t.Errorf("weekly report figures: %+v, median %v", d, w.Report.Response.MedianMinutes)
	}
	var names []string
	for _, c := range w.Cases {
		names = append(names, c.Case.Summary)
	}
	if got := strings.Join(names, " "); got != "A1 A2 A3 A4 A5 A6 B1 B2 B4 B3" {
		t.Errorf("the week's cases, in order of intake: %s", got)
	}
	if w.Previous == nil || w.Previous.Total != 1 {
		t.Errorf("previous week: %+v", w.Previous)
	}
	// Sunday late evening and Monday just after midnight IST are one UTC day
	// but two weeks.
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 29, 23, 59, 0, 0, ist), "2026-11-22T18:30:00Z"},
		{time.Date(2026, 11, 30, 0, 1, 0, 0, ist), "2026-11-29T18:30:00Z"},
		{time.Date(2026, 11, 23, 0, 0, 0, 0, ist), "2026-11-22T18:30:00Z"},
	} {
		if got := publisher.WeekStartIST(tc.at).Format(time.RFC3339); got != tc.want {
			t.Errorf("week of %s starts %s, want %s", publisher.FormatIST(tc.at), got, tc.want)
		}
	}

	// The list export: one row per case, with the deadline's outcome.
	lx, err := e.svc.ExportCases(as(e.admin), publisher.CaseFilter{ReportedFrom: week.From, ReportedTo: week.To})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := publisher.WriteCasesCSV(&buf, lx); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, buf.Bytes())
	if len(rows) != 11 || strings.Join(rows[0], ",") != strings.Join(publisher.CaseListColumns, ",") {
		t.Fatalf("list export: %d rows, header %v", len(rows), rows[0])
	}
	col := func(name string) int {
		for i, c := range rows[0] {
			if c == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	outcome := map[string]string{}
	for _, row := range rows[1:] {
		outcome[row[col("summary")]] = row[col("deadline")] + "/" + row[col("response_minutes")]
	}
	for name, want := range map[string]string{"A1": "met/60.0", "A4": "missed/180.0", "A5": "missed/", "A6": "not_applicable/", "B2": "met/120.0", "B3": "pending/", "B4": "met/720.0"} {
		if outcome[name] != want {
			t.Errorf("%s exported as %q, want %q", name, outcome[name], want)
		}
	}
	for _, row := range rows[1:] {
		if row[col("summary")] == "B3" && row[col("reported_at_ist")] != "2026-11-29 23:30:00 IST" {
			t.Errorf("B3 reported at %q in the export, want 2026-11-29 23:30:00 IST", row[col("reported_at_ist")])
		}
	}
	_, err = e.svc.CaseReport(as(e.admin), publisher.CaseReportFilter{From: week.To, To: week.From})
	wantField(t, err, "to", "before_from")
}

func wantMap[K comparable](t *testing.T, what string, got, want map[K]int) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", what, got, want)
			return
		}
	}
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Error("the CSV does not start with a UTF-8 byte-order mark")
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestCaseExport: one case's export, as JSON and CSV, carries the case,
// its times in UTC and IST, and its verified trail.
func TestCaseExport(t *testing.T) {
	e := newCaseEnv(t)
	e.clock.set(time.Date(2026, 11, 28, 23, 50, 0, 0, ist))
	c, p := e.drafted(e.assigned("https://x.com/fakehry/status/500"))
	e.publish(p, 5*time.Minute)
	if _, err := e.svc.AddCaseAction(as(e.editor), c.ID, publisher.CaseActionInput{Kind: publisher.ActionTakedownRequest, Note: "Sahyog", OfficerName: "A. K. Sharma",
		OfficerRank: publisher.RankJointSecretary, LegalBasis: "IT Rules r.3(1)(d)", Reasons: "Forged order, \"urgent\", with commas"}); err != nil {
		t.Fatal(err)
	}
	x, err := e.svc.ExportCase(as(e.editor), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !x.TrailVerified || x.Case.Status != publisher.CasePublished || len(x.Events) < 8 || len(x.Posts) != 1 || x.ExportedBy == "" {
		t.Fatalf("export: verified %v, %s, %d events, %d posts", x.TrailVerified, x.Case.Status, len(x.Events), len(x.Posts))
	}
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	var back publisher.CaseExport
	if err := json.Unmarshal(b, &back); err != nil || back.Case.Ref != c.Ref || len(back.Events) != len(x.Events) {
		t.Fatalf("JSON export does not read back: %v", err)
	}
	if err := publisher.VerifyCaseTrail(back.Case, back.Events); err != nil {
		t.Errorf("the trail read back from the JSON export does not verify: %v", err)
	}
	var buf bytes.Buffer
	if err := publisher.WriteCaseCSV(&buf, x); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, buf.Bytes())
	fields := map[string][]string{}
	trailAt := -1
	for i, row := range rows {
		if len(row) > 0 && row[0] == "seq" {
			trailAt = i
			break
		}
		if len(row) > 1 {
			fields[row[0]] = row[1:]
		}
	}
	if fields["reference"][0] != c.Ref || fields["status"][0] != "published" || fields["reported_at_ist"][0] != "2026-11-28 23:50:00 IST" ||
		fields["reported_at_utc"][0] != "2026-11-28T18:20:00Z" || fields["deadline_at_ist"][0] != "2026-11-29 01:50:00 IST" || fields["trail_verified"][0] != "true" {
		t.Errorf("case fields in the CSV: %v", fields)
	}
	if a := fields["action_1"]; len(a) < 11 || a[0] != "takedown_request" || a[8] != "joint_secretary" || a[10] != "Forged order, \"urgent\", with commas" {
		t.Errorf("the takedown in the CSV: %q", a)
	}
	if trailAt < 0 || len(rows)-trailAt-1 != len(x.Events) {
		t.Fatalf("the CSV trail has %d rows, want %d", len(rows)-trailAt-1, len(x.Events))
	}
	first := rows[trailAt+1]
	if first[0] != "1" || first[5] != "intake" || first[2] != "2026-11-28 23:50:00 IST" || first[10] != x.Events[0].Hash {
		t.Errorf("first trail row = %q", first)
	}
	_, err = e.svc.ExportCase(as(e.otherEditor), c.ID)
	wantCode(t, err, publisher.ENOTFOUND)
}
