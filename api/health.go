package api

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
)

// handleHealthz serves GET /healthz: the process runs.
func (h *handler) handleHealthz(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	writeJSON(c, http.StatusOK, map[string]string{"status": "ok"})
}

// readyAnswer is the body of /readyz.
type readyAnswer struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// handleReadyz serves GET /readyz: 200 when every ready check passes within
// ReadyTimeout, 503 otherwise. Failures are logged with their cause; the
// answer, which anyone may read, says only "unavailable".
func (h *handler) handleReadyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), h.cfg.ReadyTimeout)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(h.cfg.ReadyChecks)) // buffered: late checks never block
	for name, check := range h.cfg.ReadyChecks {
		go func() { results <- result{name, check(ctx)} }()
	}
	ans := readyAnswer{Status: "ok", Checks: map[string]string{}}
	fail := func(name string, err error) {
		ans.Status, ans.Checks[name] = "unavailable", "unavailable"
		h.log.WarnContext(ctx, "readiness check failed", slog.String("check", name), slog.String("request_id", requestIDOf(c)), slog.Any("err", err))
	}
	for range h.cfg.ReadyChecks {
		select {
		case r := <-results:
			if r.err != nil {
				fail(r.name, r.err)
			} else {
				ans.Checks[r.name] = "ok"
			}
		case <-ctx.Done():
		}
	}
	for name := range h.cfg.ReadyChecks {
		if _, answered := ans.Checks[name]; !answered {
			fail(name, ctx.Err())
		}
	}
	status := http.StatusOK
	if ans.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	c.Header("Cache-Control", "no-store")
	writeJSON(c, status, ans)
}
