package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
)

// isAPIPath reports whether a path belongs to the API, whose unknown paths
// get a JSON 404 rather than the SPA.
func isAPIPath(p string) bool { return p == "/api" || strings.HasPrefix(p, "/api/") }

// handleNoRoute answers paths that no route matches: a JSON 404 under
// /api, otherwise the SPA — its files, or index.html for the client-side
// routes.
func (h *handler) handleNoRoute(c *gin.Context) {
	if isAPIPath(c.Request.URL.Path) {
		c.Header("Cache-Control", "no-store")
		h.failCode(c, publisher.ENOTFOUND, "There is no such API endpoint.")
		return
	}
	if m := c.Request.Method; m != http.MethodGet && m != http.MethodHead {
		c.Header("Allow", "GET, HEAD")
		h.methodNotAllowed(c)
		return
	}
	h.serveSPA(c)
}

// handleNoMethod answers a known path asked with a method it does not
// take (gin has set the Allow header).
func (h *handler) handleNoMethod(c *gin.Context) { h.methodNotAllowed(c) }

func (h *handler) methodNotAllowed(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Abort()
	writeJSON(c, http.StatusMethodNotAllowed, errorEnvelope{Error: errorBody{Code: "method_not_allowed",
		Message: "This address does not take " + c.Request.Method + " requests.", RequestID: requestIDOf(c)}})
}

// Cache lifetimes of the SPA's files.
const (
	cacheImmutable  = "public, max-age=31536000, immutable" // content-hashed names under assets/
	cacheRevalidate = "no-cache"                            // index.html and unhashed files
)

// serveSPA serves a file of the SPA, or index.html for paths that are the
// SPA's own routes. Missing files that look like files (a name with an
// extension, or anything under assets/) get 404 rather than index.html, so
// that a stale script reference fails plainly.
func (h *handler) serveSPA(c *gin.Context) {
	name := strings.TrimPrefix(path.Clean("/"+c.Request.URL.Path), "/")
	if name != "" && name != "index.html" {
		cc := cacheRevalidate
		if strings.HasPrefix(name, "assets/") {
			cc = cacheImmutable
		}
		if h.serveFile(c, name, cc) {
			return
		}
		if strings.HasPrefix(name, "assets/") || strings.Contains(path.Base(name), ".") {
			h.notFoundPlain(c)
			return
		}
	}
	if !h.serveFile(c, "index.html", cacheRevalidate) {
		h.notFoundPlain(c)
	}
}

func (h *handler) notFoundPlain(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Type", "text/plain; charset=utf-8")
	c.Status(http.StatusNotFound)
	_, _ = c.Writer.WriteString("404 page not found\n")
}

// serveFile serves one regular file of the SPA's file system and reports
// whether it exists.
func (h *handler) serveFile(c *gin.Context, name, cacheControl string) bool {
	if h.ui == nil || !fs.ValidPath(name) {
		return false
	}
	f, err := h.ui.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return false
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return false
	}
	sum := sha256.Sum256(data)
	hd := c.Writer.Header()
	hd.Set("Cache-Control", cacheControl)
	hd.Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	c.Status(http.StatusOK)
	var mod time.Time
	if t := info.ModTime(); !t.IsZero() {
		mod = t
	}
	http.ServeContent(c.Writer, c.Request, path.Base(name), mod, bytes.NewReader(data))
	return true
}
