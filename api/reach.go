package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/xlsx"
)

// Reach: the dashboards, the per-post metrics panel, exports, the weekly
// digest and "collect now" (docs/api.md, "Reach").

// reachFilter reads the dashboard filter: ?orgId=&platform=&from=&to=
// (IST calendar days, YYYY-MM-DD, inclusive)&by=reach|views|engagements&
// limit=. The service checks the values and fills in the defaults.
func reachFilter(c *gin.Context) (publisher.ReachFilter, error) {
	q := newQuery(c)
	f := publisher.ReachFilter{
		OrgID:    q.id("orgId"),
		Platform: publisher.Platform(q.str("platform")),
		From:     q.str("from"),
		To:       q.str("to"),
		By:       publisher.Figure(q.str("by")),
		Limit:    q.intIn("limit", 10, 1, 50),
	}
	return f, q.err()
}

// handleReachDashboard serves GET /api/v1/reach/dashboard: totals, the
// series by day (by month for ranges over 92 days), the organisations
// ranked, the top posts and the definitions in view.
func (h *handler) handleReachDashboard(c *gin.Context) {
	f, err := reachFilter(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	d, err := h.svc.ReachDashboard(c.Request.Context(), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, d)
}

// handleReachDefinitions serves GET /api/v1/reach/definitions.
func (h *handler) handleReachDefinitions(c *gin.Context) {
	ds, err := h.svc.ReachDefinitions(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	list(c, ds, len(ds))
}

// handlePostReach serves GET /api/v1/reach/posts/:id: a post's metrics,
// delivery by delivery.
func (h *handler) handlePostReach(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	pr, err := h.svc.PostReach(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, pr)
}

// reachTables are the tables an export may hold, by the name of the CSV
// ?table= parameter.
var reachTables = map[string]int{"summary": 0, "series": 1, "orgs": 2, "top-posts": 3, "definitions": 4}

// handleReachExport serves GET /api/v1/reach/export?format=csv|xlsx&
// table=summary|series|orgs|top-posts|definitions and the dashboard's
// filter: the dashboard as a download. Excel holds every table, one sheet
// each; CSV one table (default series). Figures that are not available
// are written as "not available", never 0.
func (h *handler) handleReachExport(c *gin.Context) {
	f, err := reachFilter(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	format := c.DefaultQuery("format", "csv")
	table := c.DefaultQuery("table", "series")
	idx, known := reachTables[table]
	switch {
	case format != "csv" && format != "xlsx":
		h.failCode(c, publisher.EINVALID, "The export needs correcting.", publisher.FieldError{Field: "format", Code: "invalid_choice", Message: "Choose csv or xlsx."})
		return
	case !known:
		h.failCode(c, publisher.EINVALID, "The export needs correcting.", publisher.FieldError{Field: "table", Code: "invalid_choice",
			Message: "Choose summary, series, orgs, top-posts or definitions."})
		return
	}
	tables, err := h.svc.ReachExport(c.Request.Context(), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	name := fmt.Sprintf("prasar-reach-%v-to-%v", tables[0].Rows[0][2], tables[0].Rows[0][3]) // the summary's from and to
	if format == "csv" {
		name += "-" + table
	}
	h.sendTables(c, name, format, tables, idx)
}

// sendTables answers with tables as a download named name (without its
// extension): an Excel workbook of every table, one sheet each, or table
// csvTable as CSV (UTF-8 with a byte-order mark).
func (h *handler) sendTables(c *gin.Context, name, format string, tables []publisher.Table, csvTable int) {
	var body bytes.Buffer
	contentType := "text/csv; charset=utf-8"
	if format == "xlsx" {
		sheets := make([]xlsx.Sheet, len(tables))
		for i, t := range tables {
			sheets[i] = xlsx.Sheet{Name: t.Name, Columns: t.Columns, Rows: t.Rows, Empty: publisher.NotAvailable}
		}
		if err := xlsx.Write(&body, sheets); err != nil {
			h.fail(c, publisher.WrapError(publisher.EINTERNAL, err, "writing the workbook"))
			return
		}
		name += ".xlsx"
		contentType = xlsx.ContentType
	} else {
		// A byte-order mark, so that Excel opens the Hindi text as UTF-8.
		body.WriteString("\ufeff")
		if err := writeCSV(&body, tables[csvTable]); err != nil {
			h.fail(c, publisher.WrapError(publisher.EINTERNAL, err, "writing the CSV"))
			return
		}
		name += ".csv"
	}
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Data(http.StatusOK, contentType, body.Bytes())
}

// writeCSV writes one table, "not available" for nil cells.
func writeCSV(buf *bytes.Buffer, t publisher.Table) error {
	w := csv.NewWriter(buf)
	if err := w.Write(t.Columns); err != nil {
		return err
	}
	rec := make([]string, 0, len(t.Columns))
	for _, row := range t.Rows {
		rec = rec[:0]
		for _, v := range row {
			switch x := v.(type) {
			case nil:
				rec = append(rec, publisher.NotAvailable)
			case int64:
				rec = append(rec, strconv.FormatInt(x, 10))
			case string:
				rec = append(rec, csvSafe(x))
			default:
				rec = append(rec, fmt.Sprint(x))
			}
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// csvSafe keeps a text cell from being read as a formula by spreadsheet
// programs (CSV injection): a leading =, +, -, @ gets a quote in front.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// handleReachDigest serves GET /api/v1/reach/digest?week=YYYY-MM-DD (any
// day of the week; default: the last complete week).
func (h *handler) handleReachDigest(c *gin.Context) {
	d, err := h.svc.WeeklyDigest(c.Request.Context(), strings.TrimSpace(c.Query("week")))
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, d)
}

// handleSendReachDigest serves POST /api/v1/reach/digest/send {"week"}:
// notifies the PR section and administrators (e-mail when SMTP is
// configured). Administrators only.
func (h *handler) handleSendReachDigest(c *gin.Context) {
	var req struct {
		Week string `json:"week"`
	}
	if !h.bind(c, &req) {
		return
	}
	n, err := h.svc.SendWeeklyDigest(c.Request.Context(), req.Week)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, gin.H{"notified": n})
}

// handleCollectMetrics serves POST /api/v1/reach/collect {"orgId"}: reads,
// now, the metrics of every delivery still on its collection schedule (of
// one organisation, or all).
func (h *handler) handleCollectMetrics(c *gin.Context) {
	var req struct {
		OrgID string `json:"orgId"`
	}
	if !h.bind(c, &req) {
		return
	}
	if req.OrgID != "" && !publisher.ValidID(req.OrgID) {
		h.failCode(c, publisher.EINVALID, "The request needs correcting.", publisher.FieldError{Field: "orgId", Code: "invalid_id", Message: "This is not an id."})
		return
	}
	n, err := h.svc.CollectMetricsNow(c.Request.Context(), req.OrgID)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, gin.H{"queued": n})
}
