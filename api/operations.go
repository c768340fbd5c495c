package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
)

// This file serves the PR section's control over publishing: the
// operations page (and its live stream), the pause switches, and
// retraction. docs/api.md, "Publishing control".

// QueueDepth is one queue's backlog, for the operations page.
type QueueDepth struct {
	Queue string `json:"queue"`
	// Platform is the platform whose deliveries the queue carries; empty
	// for the critical queue (fan-outs, reconciles, retractions).
	Platform  publisher.Platform `json:"platform,omitempty"`
	Pending   int                `json:"pending"`
	Active    int                `json:"active"`
	Scheduled int                `json:"scheduled"`
	Retry     int                `json:"retry"`
	Archived  int                `json:"archived"`
	LatencyMS int64              `json:"latencyMs"`
}

// operationsView is the answer of GET /operations and each event of its
// stream: the service's report and the queues' backlog.
type operationsView struct {
	*publisher.OperationsReport
	Queues []QueueDepth `json:"queues"`
	// QueueError says why the queues could not be read (Redis down); the
	// rest of the report comes from the store and stands.
	QueueError string `json:"queueError,omitempty"`
}

// loadOperations builds the operations view.
func (h *handler) loadOperations(ctx context.Context) (*operationsView, error) {
	rep, err := h.svc.Operations(ctx)
	if err != nil {
		return nil, err
	}
	v := &operationsView{OperationsReport: rep, Queues: []QueueDepth{}}
	if h.cfg.QueueStats != nil {
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		qs, err := h.cfg.QueueStats(qctx)
		cancel()
		if err != nil {
			v.QueueError = "The publishing queue cannot be read right now."
			h.log.WarnContext(ctx, "reading the queue statistics failed", slog.Any("err", err))
		} else {
			v.Queues = nonNil(qs)
		}
	}
	return v, nil
}

// handleGetOperations serves GET /api/v1/operations: administrators and
// approvers.
func (h *handler) handleGetOperations(c *gin.Context) {
	v, err := h.loadOperations(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, v)
}

// handleStreamOperations serves GET /api/v1/operations/events: a
// text/event-stream that sends `event: operations` with the same data as
// GET /operations at once, and again whenever it changes: looked at after
// changes made in this process (at most once a second) and every
// 2×EventPoll for changes made by workers elsewhere. Keep-alive and
// session checks as for a post's stream; `event: signed_out` when the
// session ends.
func (h *handler) handleStreamOperations(c *gin.Context) {
	ctx := c.Request.Context()
	events, unsubscribe := h.svc.Events().Subscribe()
	defer unsubscribe()
	v, err := h.loadOperations(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	body, key, err := operationsJSON(v)
	if err != nil {
		h.fail(c, publisher.WrapError(publisher.EINTERNAL, err, "encoding the operations report"))
		return
	}
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetWriteDeadline(time.Time{})
	hd := c.Writer.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	send := func(chunk string) bool {
		if _, err := c.Writer.WriteString(chunk); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 5000\n\nevent: operations\ndata: " + body + "\n\n") {
		return
	}
	const minGap = time.Second
	var due <-chan time.Time
	loaded := time.Now()
	poll := time.NewTicker(2 * h.cfg.EventPoll)
	defer poll.Stop()
	keep := time.NewTicker(h.cfg.KeepAlive)
	defer keep.Stop()
	token := c.GetString(keyToken)
	for {
		select {
		case <-ctx.Done():
			return
		case _, open := <-events:
			if !open {
				events = nil
				continue
			}
			if due != nil {
				continue
			}
			wait := max(minGap-time.Since(loaded), time.Millisecond)
			due = time.After(wait)
			continue
		case <-due:
			due = nil
		case <-poll.C:
		case <-keep.C:
			if _, _, err := h.svc.Authenticate(ctx, token); publisher.IsCode(err, publisher.EUNAUTHORIZED) {
				send("event: signed_out\ndata: {}\n\n")
				return
			}
			if !send(": keep-alive\n\n") {
				return
			}
			continue
		}
		loaded = time.Now()
		v, err := h.loadOperations(ctx)
		switch code := publisher.ErrorCode(err); {
		case err == nil:
		case ctx.Err() != nil:
			return
		case code == publisher.EUNAUTHORIZED || code == publisher.EFORBIDDEN:
			send(fmt.Sprintf("event: gone\ndata: {\"code\":%q}\n\n", code))
			return
		default:
			h.log.WarnContext(ctx, "live operations update failed", slog.String("request_id", requestIDOf(c)), slog.Any("err", err))
			continue
		}
		b, k, err := operationsJSON(v)
		if err != nil {
			h.log.ErrorContext(ctx, "encoding a live operations update", slog.String("request_id", requestIDOf(c)), slog.Any("err", err))
			return
		}
		if bytes.Equal(k, key) {
			continue
		}
		key = k
		if !send("event: operations\ndata: " + b + "\n\n") {
			return
		}
	}
}

// operationsJSON returns the view as JSON and, to tell a change from a
// mere tick of the clock, the same without its time.
func operationsJSON(v *operationsView) (string, []byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", nil, err
	}
	at, since := v.At, v.Since
	v.At, v.Since = time.Time{}, time.Time{}
	k, err := json.Marshal(v)
	v.At, v.Since = at, since
	return string(b), k, err
}

// handleGetPublishing serves GET /api/v1/publishing: the publishing
// switches (everyone signed in; the UI shows a banner while paused).
func (h *handler) handleGetPublishing(c *gin.Context) {
	ps, err := h.svc.GetPublishingSettings(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, ps)
}

// pauseRequest is the body of the pause switches.
type pauseRequest struct {
	Paused *bool  `json:"paused"`
	Reason string `json:"reason"`
}

// pauseAnswer is the answer of the pause switches.
type pauseAnswer struct {
	Settings *publisher.PublishingSettings `json:"settings"`
	// Requeued is how much work a resume queued again.
	Requeued int `json:"requeued"`
}

// setPause binds a pause request and applies it for orgID ("" for all).
func (h *handler) setPause(c *gin.Context, orgID string) {
	var req pauseRequest
	if !h.bind(c, &req) {
		return
	}
	if req.Paused == nil {
		h.failCode(c, publisher.EINVALID, "Say whether publishing is paused.", required("paused"))
		return
	}
	ps, n, err := h.svc.SetPaused(c.Request.Context(), orgID, *req.Paused, strings.TrimSpace(req.Reason))
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, pauseAnswer{Settings: ps, Requeued: n})
}

// handleSetPauseAll serves PUT /api/v1/publishing/pause {"paused","reason"}:
// administrators.
func (h *handler) handleSetPauseAll(c *gin.Context) { h.setPause(c, "") }

// handleSetPauseOrg serves PUT /api/v1/orgs/:id/pause {"paused","reason"}:
// administrators and approvers.
func (h *handler) handleSetPauseOrg(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	h.setPause(c, id)
}

// handleRetractPost serves POST /api/v1/posts/:id/retract
// {"revision","comment"}: the comment is the reason, required.
func (h *handler) handleRetractPost(c *gin.Context) { h.review(c, h.svc.RetractPost) }

// handleGetRetraction serves GET /api/v1/posts/:id/retraction: what
// retracting the post did, delivery by delivery.
func (h *handler) handleGetRetraction(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	r, err := h.svc.GetRetraction(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	if r.Items == nil {
		r.Items = []publisher.RetractionItem{}
	}
	ok(c, r)
}
