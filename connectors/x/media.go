package x

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prasar/prasar/publisher"
)

// Images are uploaded through X's v2 media endpoints (platform-apis.md
// §3.3), which need the media.write scope: JPEG, PNG and WEBP in one
// multipart POST /2/media/upload as tweet_image; the ChunkedTypes (GIF) with
// POST /2/media/upload/initialize, /{id}/append per segment and
// /{id}/finalize as tweet_gif, then GET /2/media/upload?command=STATUS
// until processing succeeds. Alt text is set with POST /2/media/metadata.

// mediaData is the data of a MediaUploadResponse.
type mediaData struct {
	ID             string          `json:"id"`
	MediaKey       string          `json:"media_key"`
	ProcessingInfo *processingInfo `json:"processing_info"`
}

type processingInfo struct {
	State           string `json:"state"` // pending, in_progress, succeeded, failed
	CheckAfterSecs  int    `json:"check_after_secs"`
	ProgressPercent int    `json:"progress_percent"`
	Error           *struct {
		Code    int    `json:"code"`
		Name    string `json:"name"`
		Message string `json:"message"`
	} `json:"error"`
}

// category is the media_category for an image type.
func category(contentType string) string {
	if contentType == "image/gif" {
		return "tweet_gif"
	}
	return "tweet_image"
}

// upload sends one image and returns its media id, ready to attach.
func (c *Connector) upload(ctx context.Context, tok string, m publisher.MediaRef) (string, error) {
	if m.Open == nil {
		return "", rejected("Image %s cannot be read.", m.ID)
	}
	data, err := m.Open(ctx)
	if err != nil {
		return "", &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Prasar could not read image " + m.ID + ".", Err: err}
	}
	if int64(len(data)) > c.cfg.MaxImageBytes {
		return "", rejected("Image %s is larger than %s.", m.ID, megabytes(c.cfg.MaxImageBytes))
	}
	var md mediaData
	if slices.Contains(c.cfg.ChunkedTypes, m.ContentType) {
		md, err = c.uploadChunked(ctx, tok, m, data)
	} else {
		md, err = c.uploadOneShot(ctx, tok, m, data)
	}
	if err != nil {
		return "", err
	}
	if err := c.awaitProcessing(ctx, tok, m, md); err != nil {
		return "", err
	}
	if alt := strings.TrimSpace(m.AltText); alt != "" {
		if err := c.setAltText(ctx, tok, md.ID, alt); err != nil {
			return "", err
		}
	}
	return md.ID, nil
}

// uploadOneShot sends POST /2/media/upload, multipart: media,
// media_category, media_type.
func (c *Connector) uploadOneShot(ctx context.Context, tok string, m publisher.MediaRef, data []byte) (mediaData, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("media_category", category(m.ContentType))
	mw.WriteField("media_type", m.ContentType)
	writeFile(mw, m, data)
	mw.Close()
	var out struct {
		Data mediaData `json:"data"`
	}
	if err := c.call(ctx, http.MethodPost, "/2/media/upload", nil, tok, mw.FormDataContentType(), body.Bytes(), &out); err != nil {
		return mediaData{}, err
	}
	return out.Data, checkMediaID(out.Data)
}

// uploadChunked runs initialize, append (one call per ChunkBytes segment)
// and finalize.
func (c *Connector) uploadChunked(ctx context.Context, tok string, m publisher.MediaRef, data []byte) (mediaData, error) {
	init, _ := json.Marshal(map[string]any{"media_type": m.ContentType, "total_bytes": len(data), "media_category": category(m.ContentType)})
	var started struct {
		Data mediaData `json:"data"`
	}
	if err := c.call(ctx, http.MethodPost, "/2/media/upload/initialize", nil, tok, "application/json", init, &started); err != nil {
		return mediaData{}, err
	}
	if err := checkMediaID(started.Data); err != nil {
		return mediaData{}, err
	}
	id := started.Data.ID
	for i := 0; i*c.cfg.ChunkBytes < len(data); i++ {
		seg := data[i*c.cfg.ChunkBytes : min((i+1)*c.cfg.ChunkBytes, len(data))]
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("segment_index", strconv.Itoa(i))
		writeFile(mw, m, seg)
		mw.Close()
		if err := c.call(ctx, http.MethodPost, "/2/media/upload/"+id+"/append", nil, tok, mw.FormDataContentType(), body.Bytes(), nil); err != nil {
			return mediaData{}, err
		}
	}
	var done struct {
		Data mediaData `json:"data"`
	}
	if err := c.call(ctx, http.MethodPost, "/2/media/upload/"+id+"/finalize", nil, tok, "", nil, &done); err != nil {
		return mediaData{}, err
	}
	if done.Data.ID == "" {
		done.Data.ID = id
	}
	return done.Data, checkMediaID(done.Data)
}

func checkMediaID(md mediaData) error {
	if !isID(md.ID) {
		return &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "X answered the upload without a media id."}
	}
	return nil
}

// writeFile adds the "media" part.
func writeFile(mw *multipart.Writer, m publisher.MediaRef, data []byte) {
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="media"; filename="%s"`, fileName(m)))
	h.Set("Content-Type", m.ContentType)
	part, _ := mw.CreatePart(h)
	part.Write(data)
}

func fileName(m publisher.MediaRef) string {
	ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}[m.ContentType]
	id := strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < ' ' {
			return -1
		}
		return r
	}, m.ID)
	if id == "" {
		id = "image"
	}
	return id + ext
}

// awaitProcessing polls GET /2/media/upload?media_id=…&command=STATUS until
// X has processed the media, waiting check_after_secs (capped at
// MediaPollMax) between checks and MediaProcessingTimeout in all.
func (c *Connector) awaitProcessing(ctx context.Context, tok string, m publisher.MediaRef, md mediaData) error {
	deadline := time.Now().Add(c.cfg.MediaProcessingTimeout)
	info := md.ProcessingInfo
	for info != nil {
		switch info.State {
		case "succeeded", "":
			return nil
		case "failed":
			reason := "no reason given"
			if info.Error != nil && info.Error.Message != "" {
				reason = info.Error.Message
			}
			return rejected("X could not process image %s: %s", m.ID, reason)
		}
		wait := c.cfg.MediaPollInterval
		if info.CheckAfterSecs > 0 {
			wait = time.Duration(info.CheckAfterSecs) * time.Second
		}
		wait = min(wait, c.cfg.MediaPollMax)
		if time.Now().Add(wait).After(deadline) {
			return &publisher.PlatformError{Class: publisher.ClassRetryable,
				Message: fmt.Sprintf("X was still processing image %s after %s.", m.ID, c.cfg.MediaProcessingTimeout)}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Stopped waiting for X to process image " + m.ID + ".", Err: ctx.Err()}
		case <-t.C:
		}
		var out struct {
			Data mediaData `json:"data"`
		}
		q := url.Values{"media_id": {md.ID}, "command": {"STATUS"}}
		if err := c.call(ctx, http.MethodGet, "/2/media/upload", q, tok, "", nil, &out); err != nil {
			return err
		}
		info = out.Data.ProcessingInfo
	}
	return nil
}

// setAltText sends POST /2/media/metadata {"id","metadata":{"alt_text":
// {"text"}}}, the text cut to MaxAltTextChars characters.
func (c *Connector) setAltText(ctx context.Context, tok, id, alt string) error {
	if utf8.RuneCountInString(alt) > c.cfg.MaxAltTextChars {
		alt = string([]rune(alt)[:c.cfg.MaxAltTextChars])
	}
	type altText struct {
		Text string `json:"text"`
	}
	type metadata struct {
		AltText altText `json:"alt_text"`
	}
	body, _ := json.Marshal(struct {
		ID       string   `json:"id"`
		Metadata metadata `json:"metadata"`
	}{id, metadata{altText{alt}}})
	return c.call(ctx, http.MethodPost, "/2/media/metadata", nil, tok, "application/json", body, nil)
}
