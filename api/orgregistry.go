package api

import (
	"archive/zip"
	"bytes"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/xlsx"
)

// The registry (docs/api.md, "Registry and compliance review"): the
// organisation page and history, renames and merges, nodal officers and
// handovers, proposed changes, accounts' registry details, import and
// export.

// handleRegistryOrg serves GET /api/v1/registry/orgs/:id.
func (h *handler) handleRegistryOrg(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	r, err := h.svc.RegistryOrg(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, r)
}

// handleUpdateOrg serves PUT /api/v1/registry/orgs/:id.
func (h *handler) handleUpdateOrg(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	var in publisher.OrgUpdate
	if !h.bind(c, &in) {
		return
	}
	o, err := h.svc.UpdateOrg(c.Request.Context(), id, in)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, o)
}

// handleOrgHistory serves GET /api/v1/registry/orgs/:id/history.
func (h *handler) handleOrgHistory(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	r, err := h.svc.RegistryOrgHistory(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, r)
}

// handleMergeOrgs serves POST /api/v1/registry/orgs/:id/merge.
func (h *handler) handleMergeOrgs(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	var in publisher.MergeInput
	if !h.bind(c, &in) {
		return
	}
	e, err := h.svc.MergeOrgs(c.Request.Context(), id, in)
	if err != nil {
		h.fail(c, err)
		return
	}
	created(c, e)
}

// handleResumeOrgEvent serves POST /api/v1/registry/events/:id/resume.
func (h *handler) handleResumeOrgEvent(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	e, err := h.svc.ResumeOrgEvent(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, e)
}

// handleAppointOfficer serves POST /api/v1/registry/orgs/:id/officers.
func (h *handler) handleAppointOfficer(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	var in publisher.AppointInput
	if !h.bind(c, &in) {
		return
	}
	ho, err := h.svc.AppointOfficer(c.Request.Context(), id, in)
	if err != nil {
		h.fail(c, err)
		return
	}
	created(c, ho)
}

// handleEndOfficerTerm serves POST /api/v1/registry/officers/:id/end: the
// officer has left with nobody appointed yet; 201 with the handover.
func (h *handler) handleEndOfficerTerm(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	var in publisher.VacateInput
	if !h.bind(c, &in) {
		return
	}
	ho, err := h.svc.EndOfficerTerm(c.Request.Context(), id, in)
	if err != nil {
		h.fail(c, err)
		return
	}
	created(c, ho)
}

// editOfficerBody is the body of PUT /api/v1/registry/officers/:id.
type editOfficerBody struct {
	publisher.OfficerEdit
	Comment string `json:"comment"`
}

// handleEditOfficer serves PUT /api/v1/registry/officers/:id: 200 when
// the change applied, 202 when it waits for an administrator.
func (h *handler) handleEditOfficer(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	var in editOfficerBody
	if !h.bind(c, &in) {
		return
	}
	r, err := h.svc.EditOfficer(c.Request.Context(), id, in.OfficerEdit, in.Comment)
	if err != nil {
		h.fail(c, err)
		return
	}
	status := http.StatusOK
	if r.Change != nil {
		status = http.StatusAccepted
	}
	writeJSON(c, status, dataEnvelope{Data: r})
}

// handleListOfficerChanges serves GET /api/v1/registry/officer-changes?orgId=&status=.
func (h *handler) handleListOfficerChanges(c *gin.Context) {
	q := newQuery(c)
	orgID := q.id("orgId")
	status := publisher.OfficerChangeStatus(q.str("status"))
	switch status {
	case "", publisher.ChangePending, publisher.ChangeApproved, publisher.ChangeRejected:
	default:
		q.bad("status", "invalid_choice", "Choose pending, approved or rejected.")
	}
	if err := q.err(); err != nil {
		h.fail(c, err)
		return
	}
	cs, err := h.svc.ListOfficerChanges(c.Request.Context(), orgID, status)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, nonNil(cs))
}

// decideBody is the body of POST /api/v1/registry/officer-changes/:id/decide.
type decideBody struct {
	Approve *bool  `json:"approve"`
	Comment string `json:"comment"`
}

// handleDecideOfficerChange serves POST /api/v1/registry/officer-changes/:id/decide.
func (h *handler) handleDecideOfficerChange(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	var in decideBody
	if !h.bind(c, &in) {
		return
	}
	if in.Approve == nil {
		h.failCode(c, publisher.EINVALID, "Say whether to approve the change.", required("approve"))
		return
	}
	ch, err := h.svc.DecideOfficerChange(c.Request.Context(), id, *in.Approve, in.Comment)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, ch)
}

// handleListHandovers serves GET /api/v1/registry/handovers?orgId=&status=.
func (h *handler) handleListHandovers(c *gin.Context) {
	q := newQuery(c)
	orgID := q.id("orgId")
	var statuses []publisher.HandoverStatus
	for _, s := range q.list("status") {
		switch st := publisher.HandoverStatus(s); st {
		case publisher.HandoverRunning, publisher.HandoverRotation, publisher.HandoverComplete:
			statuses = append(statuses, st)
		default:
			q.bad("status", "invalid_choice", "Choose running, rotation_pending or complete.")
		}
	}
	if err := q.err(); err != nil {
		h.fail(c, err)
		return
	}
	hs, err := h.svc.ListHandovers(c.Request.Context(), orgID, statuses)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, nonNil(hs))
}

// handleResumeHandover serves POST /api/v1/registry/handovers/:id/resume.
func (h *handler) handleResumeHandover(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	ho, err := h.svc.ResumeHandover(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, ho)
}

// rotatedBody is the body of POST /api/v1/registry/handovers/:id/rotated.
type rotatedBody struct {
	AccountID string `json:"accountId"`
}

// handleConfirmRotation serves POST /api/v1/registry/handovers/:id/rotated.
func (h *handler) handleConfirmRotation(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	var in rotatedBody
	if !h.bind(c, &in) {
		return
	}
	ho, err := h.svc.ConfirmRotation(c.Request.Context(), id, in.AccountID)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, ho)
}

// handleRegisterAccount serves POST /api/v1/registry/accounts.
func (h *handler) handleRegisterAccount(c *gin.Context) {
	var in publisher.RegisterAccountInput
	if !h.bind(c, &in) {
		return
	}
	a, err := h.svc.RegisterAccount(c.Request.Context(), in)
	if err != nil {
		h.fail(c, err)
		return
	}
	created(c, a)
}

// handleSaveAccountProfile serves PUT /api/v1/registry/accounts/:id/profile.
func (h *handler) handleSaveAccountProfile(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	var in publisher.AccountProfileInput
	if !h.bind(c, &in) {
		return
	}
	a, err := h.svc.SaveAccountProfile(c.Request.Context(), id, in)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, a)
}

// importBody is the body of POST /api/v1/registry/import: the file,
// base64-encoded in JSON (the body limit applies: about 750 kB of file).
type importBody struct {
	Filename string `json:"filename"`
	// Kind says what a CSV file (or a workbook without named sheets)
	// holds: organisations, officers or accounts.
	Kind   publisher.ImportKind `json:"kind"`
	Data   []byte               `json:"data"`
	DryRun bool                 `json:"dryRun"`
}

// handleImportRegistry serves POST /api/v1/registry/import.
func (h *handler) handleImportRegistry(c *gin.Context) {
	var in importBody
	if !h.bind(c, &in) {
		return
	}
	name := path.Base(strings.ReplaceAll(strings.TrimSpace(in.Filename), `\`, "/"))
	if name == "." || name == "/" {
		name = "import"
	}
	var fe []publisher.FieldError
	if len(in.Data) == 0 {
		fe = append(fe, publisher.FieldError{Field: "data", Code: "required", Message: "Choose a CSV or Excel file."})
	}
	if in.Kind != "" && !in.Kind.Valid() {
		fe = append(fe, publisher.FieldError{Field: "kind", Code: "invalid_choice", Message: "Choose organisations, officers or accounts."})
	}
	isXLSX := bytes.HasPrefix(in.Data, []byte("PK\x03\x04"))
	if !isXLSX && len(in.Data) > 0 && in.Kind == "" {
		fe = append(fe, publisher.FieldError{Field: "kind", Code: "required", Message: "Say what the CSV file holds: organisations, officers or accounts."})
	}
	if len(fe) > 0 {
		h.failCode(c, publisher.EINVALID, "The import needs correcting.", fe...)
		return
	}
	var src *publisher.ImportSource
	if isXLSX {
		var err error
		if src, err = xlsx.ReadImport(name, in.Data, in.Kind); err != nil {
			h.fail(c, err)
			return
		}
	} else {
		src = &publisher.ImportSource{Filename: name, Format: "csv"}
		t, errs := publisher.ParseCSV(in.Kind, name, in.Data)
		if t != nil {
			src.Tables = append(src.Tables, t)
		}
		src.Errors = errs
	}
	res, err := h.svc.ImportRegistry(c.Request.Context(), *src, in.DryRun)
	if err != nil {
		h.fail(c, err)
		return
	}
	if res.Batch != nil {
		res.Batch.Plan = publisher.ImportPlan{} // it holds officers' contact details; the summary says what was done
	}
	res.Errors = nonNil(res.Errors)
	ok(c, res)
}

// handleListImports serves GET /api/v1/registry/imports.
func (h *handler) handleListImports(c *gin.Context) {
	bs, err := h.svc.ListImports(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, nonNil(bs))
}

// handleResumeImport serves POST /api/v1/registry/imports/:id/resume.
func (h *handler) handleResumeImport(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	b, err := h.svc.ResumeImport(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	b.Plan = publisher.ImportPlan{}
	ok(c, b)
}

// handleExportRegistry serves GET /api/v1/registry/export?format=xlsx|zip|csv&table=:
// the whole registry as an Excel workbook (a sheet per table), a ZIP of
// CSV files, or one table as CSV.
func (h *handler) handleExportRegistry(c *gin.Context) {
	q := newQuery(c)
	format := q.str("format")
	if format == "" {
		format = "xlsx"
	}
	table := q.str("table")
	switch format {
	case "xlsx", "zip":
	case "csv":
		if table == "" {
			q.bad("table", "required", "Name the table: organisations, officers, accounts, officer_terms, lineage or handovers.")
		}
	default:
		q.bad("format", "invalid_choice", "Choose xlsx, zip or csv.")
	}
	if err := q.err(); err != nil {
		h.fail(c, err)
		return
	}
	ex, err := h.svc.ExportRegistry(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	date := ex.GeneratedAt.In(ist).Format(time.DateOnly)
	switch format {
	case "xlsx":
		var buf bytes.Buffer
		if err := xlsx.Write(&buf, tableSheets(ex.Tables)); err != nil {
			h.fail(c, err)
			return
		}
		download(c, "prasar-registry-"+date+".xlsx", xlsx.ContentType, buf.Bytes())
	case "zip":
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, t := range ex.Tables {
			b, err := t.WriteCSV()
			if err == nil {
				var w interface{ Write([]byte) (int, error) }
				if w, err = zw.CreateHeader(&zip.FileHeader{Name: t.Name + ".csv", Method: zip.Deflate, Modified: ex.GeneratedAt}); err == nil {
					_, err = w.Write(b)
				}
			}
			if err != nil {
				h.fail(c, err)
				return
			}
		}
		if err := zw.Close(); err != nil {
			h.fail(c, err)
			return
		}
		download(c, "prasar-registry-"+date+".zip", "application/zip", buf.Bytes())
	case "csv":
		t := ex.Table(table)
		if t == nil {
			h.failCode(c, publisher.EINVALID, "The export needs correcting.", publisher.FieldError{Field: "table", Code: "invalid_choice",
				Message: "Name the table: organisations, officers, accounts, officer_terms, lineage or handovers."})
			return
		}
		b, err := t.WriteCSV()
		if err != nil {
			h.fail(c, err)
			return
		}
		download(c, "prasar-"+t.Name+"-"+date+".csv", "text/csv; charset=utf-8", b)
	}
}

// tableSheets turns the export's tables into sheets.
func tableSheets(ts []*publisher.DataTable) []xlsx.Sheet {
	out := make([]xlsx.Sheet, 0, len(ts))
	for _, t := range ts {
		sh := xlsx.Sheet{Name: t.Name, Columns: t.Header}
		for _, r := range t.Rows {
			row := make([]any, len(r))
			for i, v := range r {
				row[i] = v
			}
			sh.Rows = append(sh.Rows, row)
		}
		out = append(out, sh)
	}
	return out
}

// download answers a file to save.
func download(c *gin.Context, filename, contentType string, b []byte) {
	c.Header("Content-Disposition", `attachment; filename="`+filename+`"`)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, contentType, b)
}
