package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
)

// handleUploadMedia serves POST /api/v1/media: multipart/form-data with
// `file` (the image; its type is read from the bytes by the service) and
// an optional `orgId`.
func (h *handler) handleUploadMedia(c *gin.Context) {
	mr, err := c.Request.MultipartReader()
	if err != nil {
		h.failCode(c, publisher.EUNSUPPORTED, "Send the image as multipart/form-data.")
		return
	}
	var (
		data            []byte
		filename, orgID string
		gotFile         bool
	)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			h.fail(c, uploadError(err))
			return
		}
		switch part.FormName() {
		case "file":
			if gotFile {
				h.failCode(c, publisher.EMALFORMED, "Send one file at a time.")
				return
			}
			gotFile, filename = true, part.FileName()
			data, err = io.ReadAll(io.LimitReader(part, h.cfg.MaxUploadBytes+1))
			if err != nil {
				h.fail(c, uploadError(err))
				return
			}
			if int64(len(data)) > h.cfg.MaxUploadBytes {
				h.fail(c, fileTooLarge(h.cfg.MaxUploadBytes))
				return
			}
		case "orgId":
			b, err := io.ReadAll(io.LimitReader(part, 256))
			if err != nil {
				h.fail(c, uploadError(err))
				return
			}
			orgID = strings.TrimSpace(string(b))
		default:
			h.failCode(c, publisher.EMALFORMED, fmt.Sprintf("The upload has an unknown field %q.", part.FormName()),
				publisher.FieldError{Field: part.FormName(), Code: "unknown_field", Message: "There is no such field."})
			return
		}
		part.Close()
	}
	if !gotFile {
		h.failCode(c, publisher.EINVALID, "Choose an image to upload.", required("file"))
		return
	}
	if orgID != "" && !publisher.ValidID(orgID) {
		h.failCode(c, publisher.EINVALID, "Choose an organisation.", publisher.FieldError{Field: "orgId", Code: "invalid_id", Message: "This is not an id."})
		return
	}
	m, err := h.svc.UploadMedia(c.Request.Context(), orgID, filename, data)
	if err != nil {
		h.fail(c, err)
		return
	}
	created(c, m)
}

// uploadError classifies a failure to read an upload.
func uploadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(mbe.Limit)
	}
	return publisher.WrapError(publisher.EMALFORMED, err, "The upload cannot be read.")
}

// fileTooLarge is the error of an image over the upload limit.
func fileTooLarge(limit int64) error {
	msg := fmt.Sprintf("The image is larger than %d MB.", limit>>20)
	return &publisher.Error{Code: publisher.ETOOLARGE, Message: msg, Fields: []publisher.FieldError{{Field: "file", Code: "too_large", Message: msg,
		Params: map[string]string{"limitBytes": strconv.FormatInt(limit, 10)}}}}
}

// handleGetMedia serves GET /api/v1/media/:id: an image's bytes for a
// signed-in user who may see it.
func (h *handler) handleGetMedia(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	m, data, err := h.svc.GetMedia(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	// Revalidated on every use (cheap with the ETag) so that a signed-out
	// browser does not keep showing it from cache.
	serveMedia(c, m, data, "private, no-cache")
}

// handleGetSignedMedia serves GET /media/:id?exp=&sig=: an image's bytes,
// public, for platforms that fetch media from a signed, expiring URL.
func (h *handler) handleGetSignedMedia(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	exp := c.Query("exp")
	m, data, err := h.svc.OpenSignedMedia(c.Request.Context(), id, exp, c.Query("sig"))
	if err != nil {
		h.fail(c, err)
		return
	}
	// Cacheable until the link expires (at most a day): the bytes of an id
	// never change.
	ttl := int64(0)
	if e, err := strconv.ParseInt(exp, 10, 64); err == nil {
		ttl = min(max(e-time.Now().Unix(), 0), 86400)
	}
	c.Header("Cross-Origin-Resource-Policy", "cross-origin")
	serveMedia(c, m, data, fmt.Sprintf("public, max-age=%d", ttl))
}

// serveMedia writes an image with its stored type (never sniffed), an ETag
// of its hash, and conditional and range request support.
func serveMedia(c *gin.Context, m *publisher.Media, data []byte, cacheControl string) {
	hd := c.Writer.Header()
	hd.Set("Content-Type", m.ContentType)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", mediaCSP)
	hd.Set("Cache-Control", cacheControl)
	if cd := mime.FormatMediaType("inline", map[string]string{"filename": m.Filename}); cd != "" {
		hd.Set("Content-Disposition", cd)
	}
	if m.SHA256 != "" {
		hd.Set("ETag", `"`+m.SHA256+`"`)
	}
	c.Status(http.StatusOK)
	http.ServeContent(c.Writer, c.Request, "", m.CreatedAt, bytes.NewReader(data))
}
