package api

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
)

// Keys of values kept on the gin context.
const (
	keyRequestID = "prasar.request_id"
	keySession   = "prasar.session" // *publisher.Session of the cookie
	keyToken     = "prasar.token"   // the cookie's session token
	keyUserID    = "prasar.user_id" // set by sign-in, for the access log
)

// uploadRoute is the one route whose body is multipart and may be larger.
const uploadRoute = "/api/v1/media"

// multipartSlack is what an upload body may carry beyond the image: the
// multipart boundaries, part headers and the orgId field.
const multipartSlack = 64 << 10

// requestID takes a sane X-Request-Id from the request or makes one, and
// sends it back on every response.
func (h *handler) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if !saneRequestID(id) {
		id = publisher.NewID()
	}
	c.Set(keyRequestID, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

// saneRequestID accepts 1–64 characters of letters, digits and ._:- so
// that an incoming id cannot forge log lines or headers.
func saneRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '.' || r == '_' || r == ':' || r == '-')
	}) < 0
}

// requestIDOf returns the request's id.
func requestIDOf(c *gin.Context) string { return c.GetString(keyRequestID) }

// accessLog logs one line per request: never the query (signed media URLs
// carry signatures), cookies, headers or bodies.
func (h *handler) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	status := c.Writer.Status()
	attrs := []slog.Attr{
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", status),
		slog.Int64("duration_ms", time.Since(start).Milliseconds()),
		slog.String("request_id", requestIDOf(c)),
		slog.String("client_ip", c.ClientIP()),
	}
	uid := c.GetString(keyUserID)
	if u := publisher.UserFromContext(c.Request.Context()); u != nil {
		uid = u.ID
	}
	if uid != "" {
		attrs = append(attrs, slog.String("user_id", uid))
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	h.log.LogAttrs(c.Request.Context(), level, "http request", attrs...)
}

// recoverPanic turns a panic in a handler into a logged 500 answer.
func (h *handler) recoverPanic(c *gin.Context) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v) // the server's own signal to drop the connection
		}
		rid := requestIDOf(c)
		h.log.ErrorContext(c.Request.Context(), "panic serving request", slog.String("request_id", rid), slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path), slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
		c.Abort()
		if c.Writer.Written() {
			return
		}
		writeJSON(c, http.StatusInternalServerError, errorEnvelope{Error: errorBody{Code: publisher.EINTERNAL, Message: "Internal error.", RequestID: rid}})
	}()
	c.Next()
}

// securityHeaders sets the headers every response carries.
func (h *handler) securityHeaders(c *gin.Context) {
	hd := c.Writer.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Content-Security-Policy", h.cfg.ContentSecurityPolicy)
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	if h.secure {
		hd.Set("Strict-Transport-Security", "max-age=31536000")
	}
	c.Next()
}

// noStore keeps API answers (personal data) out of caches.
func (h *handler) noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Next()
}

// authenticate reads the session cookie and, when it names a live session,
// puts the user on the request context and keeps the session for the CSRF
// check. A missing or dead session leaves the request anonymous;
// requireUser decides whether that is enough.
func (h *handler) authenticate(c *gin.Context) {
	ck, err := c.Request.Cookie(h.cfg.CookieName)
	if err != nil || ck.Value == "" {
		c.Next()
		return
	}
	ctx := c.Request.Context()
	u, sess, err := h.svc.Authenticate(ctx, ck.Value)
	if publisher.IsCode(err, publisher.EUNAUTHORIZED) {
		c.Next()
		return
	} else if err != nil {
		h.fail(c, err)
		return
	}
	c.Set(keySession, sess)
	c.Set(keyToken, ck.Value)
	c.Request = c.Request.WithContext(publisher.NewContextWithUser(ctx, u))
	c.Next()
}

// sessionOf returns the request's live session, or nil.
func sessionOf(c *gin.Context) *publisher.Session {
	v, _ := c.Get(keySession)
	s, _ := v.(*publisher.Session)
	return s
}

// requireUser answers 401 to anonymous requests.
func (h *handler) requireUser(c *gin.Context) {
	if user(c) == nil {
		h.failCode(c, publisher.EUNAUTHORIZED, "Please sign in.")
		return
	}
	c.Next()
}

// safeMethod reports whether a method cannot change state.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// checkCSRF guards state-changing requests: an Origin header, when the
// browser sends one, must be the deployment's own (signing in included);
// and every such request but signing in must carry the session's token in
// X-CSRF-Token.
func (h *handler) checkCSRF(c *gin.Context) {
	if safeMethod(c.Request.Method) {
		c.Next()
		return
	}
	if o := c.GetHeader("Origin"); o != "" && normalOrigin(o) != h.origin {
		h.failCode(c, publisher.EFORBIDDEN, "The request came from another site.")
		return
	}
	if c.Request.Method == http.MethodPost && c.FullPath() == "/api/v1/session" {
		c.Next()
		return
	}
	sess := sessionOf(c)
	if sess == nil {
		h.failCode(c, publisher.EUNAUTHORIZED, "Please sign in.")
		return
	}
	tok := c.GetHeader("X-CSRF-Token")
	if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(sess.CSRFToken)) != 1 {
		h.failCode(c, publisher.EFORBIDDEN, "The request lacks this session's CSRF token; reload the page.")
		return
	}
	c.Next()
}

// normalOrigin returns scheme://host[:port] in lower case without a default
// port, or "" if s is not an http(s) origin (for example "null").
func normalOrigin(s string) string {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(s), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}

// limitBody caps the request body: MaxBodyBytes for JSON, MaxUploadBytes
// (plus multipart framing) for uploads. Larger bodies get 413 as soon as
// the handler reads past the limit, or at once when Content-Length says so.
func (h *handler) limitBody(c *gin.Context) {
	n := h.cfg.MaxBodyBytes
	if c.FullPath() == uploadRoute && c.Request.Method == http.MethodPost {
		n = h.cfg.MaxUploadBytes + multipartSlack
	}
	if c.Request.ContentLength > n {
		h.fail(c, tooLarge(n))
		return
	}
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
	}
	c.Next()
}

// checkContentType refuses state-changing requests whose body is not JSON
// (multipart for uploads) with 415.
func (h *handler) checkContentType(c *gin.Context) {
	r := c.Request
	if safeMethod(r.Method) || r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		c.Next()
		return
	}
	want, msg := "application/json", "Send JSON with Content-Type: application/json."
	if c.FullPath() == uploadRoute {
		want, msg = "multipart/form-data", "Send the image as multipart/form-data."
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != want {
		h.failCode(c, publisher.EUNSUPPORTED, msg)
		return
	}
	if cs, ok := params["charset"]; ok && want == "application/json" && !strings.EqualFold(cs, "utf-8") {
		h.failCode(c, publisher.EUNSUPPORTED, "Send JSON in UTF-8.")
		return
	}
	c.Next()
}
