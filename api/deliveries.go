package api

import (
	"time"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
)

// handleListDeliveries serves GET /api/v1/deliveries?orgId=&platform=&
// status=a,b&from=YYYY-MM-DD&to=YYYY-MM-DD&postId=&limit=&offset=: the
// publish history, newest first, each delivery with its post's title, its
// account's handle and display name and its organisation's code. from and
// to are IST calendar dates, to inclusive.
func (h *handler) handleListDeliveries(c *gin.Context) {
	f, err := deliveryFilter(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	ds, total, err := h.svc.ListDeliveryRows(c.Request.Context(), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	list(c, ds, total)
}

// deliveryFilter reads the history's filters from the query. The service
// checks platform and status names, and that to follows from.
func deliveryFilter(c *gin.Context) (publisher.DeliveryFilter, error) {
	q := newQuery(c)
	f := publisher.DeliveryFilter{
		OrgID:    q.id("orgId"),
		PostID:   q.id("postId"),
		Platform: publisher.Platform(q.str("platform")),
		From:     q.date("from", false),
		To:       q.date("to", true),
		Limit:    q.intIn("limit", 50, 1, 500),
		Offset:   q.intIn("offset", 0, 0, 1<<30),
	}
	for _, s := range q.list("status") {
		f.Statuses = append(f.Statuses, publisher.DeliveryStatus(s))
	}
	return f, q.err()
}

// handleExportDeliveries serves GET /api/v1/deliveries/export?format=csv|xlsx
// and the history's filters: every matching delivery, as a file.
func (h *handler) handleExportDeliveries(c *gin.Context) {
	f, err := deliveryFilter(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	format := c.DefaultQuery("format", "csv")
	if format != "csv" && format != "xlsx" {
		h.failCode(c, publisher.EINVALID, "The export needs correcting.", publisher.FieldError{Field: "format", Code: "invalid_choice", Message: "Choose csv or xlsx."})
		return
	}
	t, err := h.svc.ExportHistory(c.Request.Context(), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.sendTables(c, "prasar-history-"+time.Now().In(ist).Format("2006-01-02"), format, []publisher.Table{t}, 0)
}

// deliveryView is a delivery with its attempts.
type deliveryView struct {
	Delivery *publisher.Delivery  `json:"delivery"`
	Attempts []*publisher.Attempt `json:"attempts"`
}

// handleGetDelivery serves GET /api/v1/deliveries/:id.
func (h *handler) handleGetDelivery(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	d, as, err := h.svc.GetDelivery(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, deliveryView{Delivery: d, Attempts: nonNil(as)})
}

// handleRetryDelivery serves POST /api/v1/deliveries/:id/retry.
func (h *handler) handleRetryDelivery(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	d, err := h.svc.RetryDelivery(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, d)
}

// handleResolveDelivery serves POST /api/v1/deliveries/:id/resolve
// {"published","url"}: a person's finding on an unconfirmed delivery.
func (h *handler) handleResolveDelivery(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	var req struct {
		Published *bool  `json:"published"`
		URL       string `json:"url"`
	}
	if !h.bind(c, &req) {
		return
	}
	if req.Published == nil {
		h.failCode(c, publisher.EINVALID, "Say whether the post was published.", required("published"))
		return
	}
	d, err := h.svc.ResolveUnconfirmed(c.Request.Context(), id, *req.Published, req.URL)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, d)
}
