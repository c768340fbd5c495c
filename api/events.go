package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
)

// handleStreamPostEvents serves GET /api/v1/posts/:id/events: a
// text/event-stream that sends `event: deliveries` with the same data as
// GET /posts/:id at once and whenever the post or its deliveries change.
//
// Changes made in this process arrive from the service's event broker and
// are sent within a quarter of a second (a burst is coalesced); changes
// made by a worker in another process are found by re-reading the post
// every EventPoll. An update is sent only when the data differs from the
// last one sent. A comment line every KeepAlive keeps proxies from closing
// an idle stream, and the session is checked then too. The stream ends
// when the client goes away, with `event: signed_out` when the session
// ends, and with `event: gone` when the post is no longer visible.
func (h *handler) handleStreamPostEvents(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	ctx := c.Request.Context()
	// Subscribe before the first read so that no change falls in between.
	events, unsubscribe := h.svc.Events().Subscribe()
	defer unsubscribe()
	v, err := h.loadPostView(ctx, id)
	if err != nil {
		h.fail(c, err) // 404 for posts the user may not see, as GET /posts/:id
		return
	}
	last, err := json.Marshal(v)
	if err != nil {
		h.fail(c, publisher.WrapError(publisher.EINTERNAL, err, "encoding the post"))
		return
	}

	rc := http.NewResponseController(c.Writer)
	// The server's write timeout is for ordinary answers, not streams.
	_ = rc.SetWriteDeadline(time.Time{})
	hd := c.Writer.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	c.Status(http.StatusOK)

	send := func(chunk string) bool {
		if _, err := c.Writer.WriteString(chunk); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 5000\n\nevent: deliveries\ndata: " + string(last) + "\n\n") {
		return
	}

	// A burst of events (a fan-out to many accounts) is coalesced: the
	// post is re-read at most once per minGap.
	const minGap = 250 * time.Millisecond
	var due <-chan time.Time
	loaded := time.Now()
	poll := time.NewTicker(h.cfg.EventPoll)
	defer poll.Stop()
	keep := time.NewTicker(h.cfg.KeepAlive)
	defer keep.Stop()
	token := c.GetString(keyToken)
	for {
		select {
		case <-ctx.Done():
			return
		case e, open := <-events:
			if !open {
				events = nil // the broker dropped us; polling carries on
				continue
			}
			if e.PostID != id || due != nil {
				continue
			}
			if wait := minGap - time.Since(loaded); wait > 0 {
				due = time.After(wait)
				continue
			}
		case <-due:
			due = nil
		case <-poll.C:
			due = nil
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
		v, err := h.loadPostView(ctx, id)
		switch code := publisher.ErrorCode(err); {
		case err == nil:
		case ctx.Err() != nil:
			return
		case code == publisher.ENOTFOUND || code == publisher.EUNAUTHORIZED || code == publisher.EFORBIDDEN:
			send(fmt.Sprintf("event: gone\ndata: {\"code\":%q}\n\n", code))
			return
		default:
			// A passing store failure: keep the stream and try again at the next tick.
			h.log.WarnContext(ctx, "live post update failed", slog.String("request_id", requestIDOf(c)), slog.String("post_id", id), slog.Any("err", err))
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			h.log.ErrorContext(ctx, "encoding a live post update", slog.String("request_id", requestIDOf(c)), slog.Any("err", err))
			return
		}
		if bytes.Equal(b, last) {
			continue
		}
		last = b
		if !send("event: deliveries\ndata: " + string(b) + "\n\n") {
			return
		}
	}
}
