package api

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/pdfdoc"
	"github.com/prasar/prasar/publisher/xlsx"
)

// The compliance review (docs/api.md, "Registry and compliance review"):
// the dashboard's data, one organisation's drill-down, and the review
// report for the Chief Minister's office as PDF and Excel. The report is
// drawn from the same publisher.ComplianceReview as the dashboard, so the
// figures are the same; it is bilingual (Hindi / English) throughout.

// complianceFilter reads ?type=&district=.
func complianceFilter(q *queryParser) publisher.ComplianceFilter {
	f := publisher.ComplianceFilter{Type: publisher.OrgType(q.str("type")), District: q.str("district")}
	if f.Type != "" && !f.Type.Valid() {
		q.bad("type", "invalid_choice", "There is no such kind of organisation.")
	}
	return f
}

// handleCompliance serves GET /api/v1/compliance?type=&district=.
func (h *handler) handleCompliance(c *gin.Context) {
	q := newQuery(c)
	f := complianceFilter(q)
	if err := q.err(); err != nil {
		h.fail(c, err)
		return
	}
	r, err := h.svc.ComplianceReview(c.Request.Context(), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, r)
}

// handleOrgCompliance serves GET /api/v1/compliance/orgs/:id.
func (h *handler) handleOrgCompliance(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	r, err := h.svc.OrgCompliance(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, r)
}

// handleComplianceReport serves GET /api/v1/compliance/report?format=pdf|xlsx&type=&district=.
func (h *handler) handleComplianceReport(c *gin.Context) {
	q := newQuery(c)
	f := complianceFilter(q)
	format := q.str("format")
	if format != "pdf" && format != "xlsx" {
		q.bad("format", "invalid_choice", "Choose pdf or xlsx.")
	}
	if err := q.err(); err != nil {
		h.fail(c, err)
		return
	}
	r, err := h.svc.ComplianceReview(c.Request.Context(), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	date := r.GeneratedAt.In(ist).Format(time.DateOnly)
	var b []byte
	if format == "pdf" {
		b, err = compliancePDF(r)
	} else {
		b, err = complianceXLSX(r)
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	ct := "application/pdf"
	if format == "xlsx" {
		ct = xlsx.ContentType
	}
	download(c, "prasar-compliance-review-"+date+"."+format, ct, b)
}

// Bilingual words of the report.
var (
	orgTypeWords = map[publisher.OrgType]string{
		publisher.OrgDepartment: "विभाग / Department", publisher.OrgBoard: "बोर्ड / Board", publisher.OrgCorporation: "निगम / Corporation",
		publisher.OrgAuthority: "प्राधिकरण / Authority", publisher.OrgCommission: "आयोग / Commission", publisher.OrgDistrict: "जिला प्रशासन / District administration",
	}
	gapWords = map[publisher.GapCode]string{
		publisher.GapNoNodalOfficer:  "नोडल अधिकारी नहीं / No nodal officer",
		publisher.GapNoAccount:       "%s पर खाता नहीं / No %s account",
		publisher.GapNotConnected:    "%s खाता जुड़ा नहीं / %s account not connected",
		publisher.GapNoRecentPosts:   "%d दिन में कोई पोस्ट नहीं / No post in %d days",
		publisher.GapRotationPending: "हस्तांतरण के बाद पासवर्ड बदलना बाकी / Credentials not yet changed after handover",
	}
)

func gapText(g publisher.Gap, days int) string {
	w := gapWords[g.Code]
	switch g.Code {
	case publisher.GapNoAccount, publisher.GapNotConnected:
		return fmt.Sprintf(w, g.Platform.Title(), g.Platform.Title())
	case publisher.GapNoRecentPosts:
		return fmt.Sprintf(w, days, days)
	case "":
		return g.Message
	}
	if w == "" {
		return g.Message
	}
	return w
}

func yesNoHI(b bool) string {
	if b {
		return "हाँ / Yes"
	}
	return "नहीं / No"
}

func platformList(ps []publisher.Platform) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Title())
	}
	return strings.Join(out, ", ")
}

// reportHeader is the title block shared by the PDF and the workbook.
func reportHeader(r *publisher.ComplianceReview) (title string, lines []string) {
	title = "सोशल मीडिया अनुपालन समीक्षा / Social media compliance review"
	gen := r.GeneratedAt.In(ist)
	since := r.Since.In(ist)
	lines = []string{
		"हरियाणा सरकार — डिजिटल मीडिया अनुभाग, सूचना, जनसम्पर्क, भाषा एवं संस्कृति विभाग / Government of Haryana — Digital Media Section, DIPRL",
		"दिनांक / Date: " + gen.Format("2 Jan 2006, 15:04") + " IST",
		fmt.Sprintf("समीक्षा अवधि / Review period: %s – %s (%d दिन / days)", since.Format("2 Jan 2006"), gen.Format("2 Jan 2006"), r.WindowDays),
		"आवश्यक प्लेटफ़ॉर्म / Required platforms: " + platformList(r.RequiredPlatforms),
	}
	var filter []string
	if r.Filter.Type != "" {
		filter = append(filter, orgTypeWords[r.Filter.Type])
	}
	if r.Filter.District != "" {
		filter = append(filter, "जिला / District: "+r.Filter.District)
	}
	if len(filter) > 0 {
		lines = append(lines, "चयन / Filter: "+strings.Join(filter, "; "))
	}
	return title, lines
}

func pct(n, of int) string {
	if of == 0 {
		return "0%"
	}
	return fmt.Sprintf("%d%%", (n*100+of/2)/of)
}

// summaryRows are the coverage figures: label, count, share.
func summaryRows(r *publisher.ComplianceReview) [][]any {
	s := r.Summary
	n := s.Organisations
	rows := [][]any{
		{"समीक्षित संगठन / Organisations reviewed", n, ""},
		{"नोडल अधिकारी सहित / With a nodal officer", s.WithNodal, pct(s.WithNodal, n)},
		{"सभी आवश्यक प्लेटफ़ॉर्म पर खाता / With an account on every required platform", s.WithAccounts, pct(s.WithAccounts, n)},
		{"सभी खाते जुड़े हुए / With a working connection on every required platform", s.AllWorking, pct(s.AllWorking, n)},
		{fmt.Sprintf("पिछले %d दिन में प्रकाशन / Published in the last %d days", r.WindowDays, r.WindowDays), s.Active, pct(s.Active, n)},
		{"पूर्ण अनुपालन (100) / Fully compliant (score 100)", s.FullyCompliant, pct(s.FullyCompliant, n)},
		{"औसत अंक / Average score", s.AverageScore, ""},
		{"कुल कमियाँ / Gaps in all", s.Gaps, ""},
	}
	for _, p := range s.Platforms {
		rows = append(rows,
			[]any{p.Platform.Title() + " खाता / " + p.Platform.Title() + " account", p.WithAccount, pct(p.WithAccount, n)},
			[]any{p.Platform.Title() + " जुड़ा / " + p.Platform.Title() + " connected", p.Working, pct(p.Working, n)})
	}
	return rows
}

func rankingRow(o *publisher.OrgCompliance) []any {
	accounts, working := 0, 0
	for _, p := range o.Platforms {
		if p.HasAccount {
			accounts++
		}
		if p.Working {
			working++
		}
	}
	officer := yesNoHI(o.NodalOfficer)
	if o.NodalOfficer {
		officer = o.NodalOfficerName
	}
	return []any{o.Rank, o.Code, o.NameHI + " / " + o.NameEN, orgTypeWords[o.Type], officer,
		fmt.Sprintf("%d/%d", accounts, len(o.Platforms)), fmt.Sprintf("%d/%d", working, len(o.Platforms)), o.RecentPosts, o.Score}
}

var rankingHeader = []string{"क्रम / Rank", "कोड / Code", "संगठन / Organisation", "प्रकार / Type", "नोडल अधिकारी / Nodal officer",
	"खाते / Accounts", "जुड़े / Working", "पोस्ट / Posts", "अंक / Score"}

func compliancePDF(r *publisher.ComplianceReview) ([]byte, error) {
	title, lines := reportHeader(r)
	d, err := pdfdoc.New(title, "Prasar", "hi")
	if err != nil {
		return nil, err
	}
	d.SetCreated(r.GeneratedAt)
	d.SetFooter("प्रसार / Prasar — " + r.GeneratedAt.In(ist).Format("2 Jan 2006, 15:04") + " IST")
	d.Heading(title, 15)
	for _, l := range lines {
		d.Paragraph(l, 9)
	}
	d.Heading("कवरेज सारांश / Coverage summary", 12)
	var sum [][]string
	for _, row := range summaryRows(r) {
		sum = append(sum, []string{fmt.Sprint(row[0]), fmt.Sprint(row[1]), fmt.Sprint(row[2])})
	}
	d.Table([]pdfdoc.Column{{Title: "मद / Item", Width: 6}, {Title: "संख्या / Number", Width: 1.4, Align: pdfdoc.Right},
		{Title: "प्रतिशत / Share", Width: 1.4, Align: pdfdoc.Right}}, sum, 9)
	d.Heading("क्रमवार सूची / Ranked list", 12)
	var ranked [][]string
	for _, o := range r.Orgs {
		row := rankingRow(o)
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = fmt.Sprint(v)
		}
		ranked = append(ranked, cells)
	}
	d.Table([]pdfdoc.Column{{Title: rankingHeader[0], Width: 0.9, Align: pdfdoc.Right}, {Title: rankingHeader[1], Width: 1.3}, {Title: rankingHeader[2], Width: 4},
		{Title: rankingHeader[3], Width: 1.5}, {Title: rankingHeader[4], Width: 1.8}, {Title: rankingHeader[5], Width: 1, Align: pdfdoc.Right},
		{Title: rankingHeader[6], Width: 1, Align: pdfdoc.Right}, {Title: rankingHeader[7], Width: 0.9, Align: pdfdoc.Right},
		{Title: rankingHeader[8], Width: 0.8, Align: pdfdoc.Right}}, ranked, 7.5)
	d.Heading("कमियों की सूची / List of gaps", 12)
	gaps := gapRows(r)
	if len(gaps) == 0 {
		d.Paragraph("कोई कमी नहीं / No gaps.", 9)
	} else {
		d.Table([]pdfdoc.Column{{Title: "कोड / Code", Width: 1.2}, {Title: "संगठन / Organisation", Width: 3.5}, {Title: "कमियाँ / Gaps", Width: 5}}, gaps, 8)
	}
	return d.Bytes()
}

// gapRows lists each organisation with gaps: code, names, gaps.
func gapRows(r *publisher.ComplianceReview) [][]string {
	var out [][]string
	for _, o := range r.Orgs {
		if len(o.Gaps) == 0 {
			continue
		}
		var gs []string
		for _, g := range o.Gaps {
			gs = append(gs, gapText(g, r.WindowDays))
		}
		out = append(out, []string{o.Code, o.NameHI + " / " + o.NameEN, strings.Join(gs, "\n")})
	}
	return out
}

func complianceXLSX(r *publisher.ComplianceReview) ([]byte, error) {
	title, lines := reportHeader(r)
	report := xlsx.Sheet{Name: "Report", Columns: []string{title}}
	for _, l := range lines {
		report.Rows = append(report.Rows, []any{l})
	}
	summary := xlsx.Sheet{Name: "Summary", Columns: []string{"मद / Item", "संख्या / Number", "प्रतिशत / Share"}, Rows: summaryRows(r)}
	ranking := xlsx.Sheet{Name: "Ranking", Columns: rankingHeader}
	for _, o := range r.Orgs {
		ranking.Rows = append(ranking.Rows, rankingRow(o))
	}
	gaps := xlsx.Sheet{Name: "Gaps", Columns: []string{"कोड / Code", "संगठन / Organisation", "कमी / Gap"}}
	for _, o := range r.Orgs {
		for _, g := range o.Gaps {
			gaps.Rows = append(gaps.Rows, []any{o.Code, o.NameHI + " / " + o.NameEN, gapText(g, r.WindowDays)})
		}
	}
	var buf bytes.Buffer
	if err := xlsx.Write(&buf, []xlsx.Sheet{report, summary, ranking, gaps}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
