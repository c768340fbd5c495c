package api

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
)

// The fake-news rebuttal desk: intake, triage, the clarification,
// follow-up actions, closure, the ageing view, reports and exports. Roles
// and organisation scoping are the service's (editors see their own
// organisation's cases only).

// caseFilter reads the list filters shared by GET /cases and
// GET /cases/export.
func caseFilter(q *queryParser) publisher.CaseFilter {
	f := publisher.CaseFilter{
		OrgID:        q.id("orgId"),
		Type:         publisher.CaseType(q.str("type")),
		Platform:     q.str("platform"),
		District:     q.str("district"),
		ReportedFrom: q.date("from", false),
		ReportedTo:   q.date("to", true),
	}
	if f.Type != "" && !f.Type.Valid() {
		q.bad("type", "invalid_choice", "There is no such type.")
	}
	if f.Platform != "" && !slices.Contains(publisher.CasePlatforms, f.Platform) {
		q.bad("platform", "invalid_choice", "There is no such platform.")
	}
	for _, s := range q.list("status") {
		st := publisher.CaseStatus(s)
		if !st.Valid() {
			q.bad("status", "invalid_choice", "There is no such status.", "value", s)
			break
		}
		f.Statuses = append(f.Statuses, st)
	}
	if !f.ReportedFrom.IsZero() && !f.ReportedTo.IsZero() && !f.ReportedTo.After(f.ReportedFrom) {
		q.bad("to", "before_from", "The end date is before the start date.")
	}
	return f
}

// handleListCases serves GET /api/v1/cases?status=&orgId=&type=&platform=&district=&from=&to=&limit=&offset=.
func (h *handler) handleListCases(c *gin.Context) {
	q := newQuery(c)
	f := caseFilter(q)
	f.Limit, f.Offset = q.intIn("limit", 50, 1, 200), q.intIn("offset", 0, 0, 1<<30)
	if err := q.err(); err != nil {
		h.fail(c, err)
		return
	}
	cs, total, err := h.svc.ListCases(c.Request.Context(), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	list(c, cs, total)
}

// caseCreated is the answer of POST /cases.
type caseCreated struct {
	Case *publisher.Case `json:"case"`
	// Linked is true when the report was taken into an existing open case
	// (duplicateOf) instead of making a new one.
	Linked bool `json:"linked"`
}

// handleCreateCase serves POST /api/v1/cases: CaseInput → 201 a new case,
// or 200 the existing case a duplicate report was linked to.
func (h *handler) handleCreateCase(c *gin.Context) {
	var in publisher.CaseInput
	if !h.bind(c, &in) {
		return
	}
	cs, linked, err := h.svc.CreateCase(c.Request.Context(), in)
	if err != nil {
		h.fail(c, err)
		return
	}
	if linked {
		ok(c, caseCreated{Case: cs, Linked: true})
		return
	}
	created(c, caseCreated{Case: cs})
}

// handleCheckCaseURLs serves GET /api/v1/cases/check-urls?url=…&url=…: the
// cases that already have any of the URLs (the intake form's warning).
func (h *handler) handleCheckCaseURLs(c *gin.Context) {
	urls := c.QueryArray("url")
	if len(urls) == 0 {
		h.failCode(c, publisher.EINVALID, "Give at least one address.", required("url"))
		return
	}
	ms, err := h.svc.CheckCaseURLs(c.Request.Context(), urls)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, nonNil(ms))
}

// handleCaseAgeing serves GET /api/v1/cases/ageing?orgId=: open cases with
// their clocks, running and most overdue first.
func (h *handler) handleCaseAgeing(c *gin.Context) {
	q := newQuery(c)
	org := q.id("orgId")
	if err := q.err(); err != nil {
		h.fail(c, err)
		return
	}
	as, err := h.svc.CaseAgeing(c.Request.Context(), org)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, nonNil(as))
}

// handleCaseReport serves GET /api/v1/cases/report?orgId=&from=&to=: the
// desk's figures for cases reported between two IST dates (to inclusive;
// default the last 30 days up to today).
func (h *handler) handleCaseReport(c *gin.Context) {
	q := newQuery(c)
	f := publisher.CaseReportFilter{OrgID: q.id("orgId"), From: q.date("from", false), To: q.date("to", true)}
	if err := q.err(); err != nil {
		h.fail(c, err)
		return
	}
	r, err := h.svc.CaseReport(c.Request.Context(), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, r)
}

// handleWeeklyCaseReport serves GET /api/v1/cases/report/weekly?week=YYYY-MM-DD&orgId=:
// the report of the IST week (Monday to Sunday) that holds the date
// (default today), with the week's cases and the week before's figures.
func (h *handler) handleWeeklyCaseReport(c *gin.Context) {
	q := newQuery(c)
	org := q.id("orgId")
	day := q.date("week", false)
	if err := q.err(); err != nil {
		h.fail(c, err)
		return
	}
	w, err := h.svc.WeeklyCaseReport(c.Request.Context(), day, org)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, w)
}

// exportFormat reads ?format=csv|json (default csv).
func exportFormat(q *queryParser) string {
	f := q.str("format")
	switch f {
	case "":
		return "csv"
	case "csv", "json":
		return f
	}
	q.bad("format", "invalid_choice", "Choose csv or json.")
	return ""
}

// caseDownload writes a file the browser saves (an export), never cached.
func caseDownload(c *gin.Context, filename, contentType string, body []byte) {
	hd := c.Writer.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("X-Content-Type-Options", "nosniff")
	if cd := mime.FormatMediaType("attachment", map[string]string{"filename": filename}); cd != "" {
		hd.Set("Content-Disposition", cd)
	}
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write(body)
}

// handleExportCases serves GET /api/v1/cases/export?format=csv|json and the
// list filters: every matching case with its times (a file).
func (h *handler) handleExportCases(c *gin.Context) {
	q := newQuery(c)
	f := caseFilter(q)
	format := exportFormat(q)
	if err := q.err(); err != nil {
		h.fail(c, err)
		return
	}
	x, err := h.svc.ExportCases(c.Request.Context(), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.sendCaseExport(c, "cases-"+x.ExportedAt.In(ist).Format("20060102-1504"), format, x, func(buf *bytes.Buffer) error { return publisher.WriteCasesCSV(buf, x) })
}

// handleGetCase serves GET /api/v1/cases/:id: the case page (CaseView).
func (h *handler) handleGetCase(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	v, err := h.svc.GetCaseView(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, v)
}

// handleExportCase serves GET /api/v1/cases/:id/export?format=csv|json: the
// case with its whole trail (a file, for RTI replies).
func (h *handler) handleExportCase(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	q := newQuery(c)
	format := exportFormat(q)
	if err := q.err(); err != nil {
		h.fail(c, err)
		return
	}
	x, err := h.svc.ExportCase(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.sendCaseExport(c, "case-"+x.Case.Ref, format, x, func(buf *bytes.Buffer) error { return publisher.WriteCaseCSV(buf, x) })
}

// sendCaseExport answers with an export as a download named name (without
// its extension): v as indented JSON, or what writeCSV writes.
func (h *handler) sendCaseExport(c *gin.Context, name, format string, v any, writeCSV func(*bytes.Buffer) error) {
	if format == "json" {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			h.fail(c, err)
			return
		}
		caseDownload(c, name+".json", "application/json; charset=utf-8", b)
		return
	}
	var buf bytes.Buffer
	if err := writeCSV(&buf); err != nil {
		h.fail(c, err)
		return
	}
	caseDownload(c, name+".csv", "text/csv; charset=utf-8", buf.Bytes())
}

// caseStep binds a body into in, runs step on the case and answers it.
func caseStep[T any](h *handler, c *gin.Context, step func(*gin.Context, string, T) (*publisher.Case, error)) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	var in T
	if !h.bind(c, &in) {
		return
	}
	cs, err := step(c, id, in)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, cs)
}

// handleTriageCase serves POST /api/v1/cases/:id/triage TriageInput.
func (h *handler) handleTriageCase(c *gin.Context) {
	caseStep(h, c, func(c *gin.Context, id string, in publisher.TriageInput) (*publisher.Case, error) {
		return h.svc.TriageCase(c.Request.Context(), id, in)
	})
}

// handleReassignCase serves POST /api/v1/cases/:id/reassign {}.
func (h *handler) handleReassignCase(c *gin.Context) {
	caseStep(h, c, func(c *gin.Context, id string, _ struct{}) (*publisher.Case, error) {
		return h.svc.ReassignCase(c.Request.Context(), id)
	})
}

// handleSetCaseFacts serves PUT /api/v1/cases/:id/facts CaseFactsInput.
func (h *handler) handleSetCaseFacts(c *gin.Context) {
	caseStep(h, c, func(c *gin.Context, id string, in publisher.CaseFactsInput) (*publisher.Case, error) {
		return h.svc.SetCaseFacts(c.Request.Context(), id, in)
	})
}

// handleAddCaseAction serves POST /api/v1/cases/:id/actions CaseActionInput.
func (h *handler) handleAddCaseAction(c *gin.Context) {
	caseStep(h, c, func(c *gin.Context, id string, in publisher.CaseActionInput) (*publisher.Case, error) {
		return h.svc.AddCaseAction(c.Request.Context(), id, in)
	})
}

// handleCloseCase serves POST /api/v1/cases/:id/close {"note"}.
func (h *handler) handleCloseCase(c *gin.Context) {
	caseStep(h, c, func(c *gin.Context, id string, in struct {
		Note string `json:"note"`
	}) (*publisher.Case, error) {
		return h.svc.CloseCase(c.Request.Context(), id, in.Note)
	})
}

// handleDraftClarification serves POST /api/v1/cases/:id/clarification
// ClarificationInput → 201 {"case", "post"}: the clarification post (kind
// clarification, linked to the case), which then goes through
// /posts/:id/submit and the normal review.
func (h *handler) handleDraftClarification(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	var in publisher.ClarificationInput
	if !h.bind(c, &in) {
		return
	}
	cs, p, err := h.svc.DraftClarification(c.Request.Context(), id, in)
	if err != nil {
		h.fail(c, err)
		return
	}
	created(c, gin.H{"case": cs, "post": p})
}

// handleSetOrgHead serves PUT /api/v1/cases/heads/:id HeadInput: records
// the organisation's head of department, to whom its overdue cases
// escalate first (admins).
func (h *handler) handleSetOrgHead(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	var in publisher.HeadInput
	if !h.bind(c, &in) {
		return
	}
	o, err := h.svc.SetOrgHead(c.Request.Context(), id, in)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, o)
}
