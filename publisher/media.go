package publisher

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/gif" // register decoders for DecodeConfig
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ImageTypes are the image types Prasar accepts for upload.
var ImageTypes = []string{"image/jpeg", "image/png", "image/gif"}

// UploadMedia stores an image for an organisation's posts. The type is read
// from the bytes, not trusted from the browser.
func (s *Service) UploadMedia(ctx context.Context, orgID, filename string, data []byte) (*Media, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if orgID == "" {
		orgID = u.OrgID
	}
	if !canWriteFor(u, orgID) {
		return nil, Errorf(ENOTFOUND, "No such organisation.")
	}
	if int64(len(data)) > s.cfg.MaxUploadBytes {
		return nil, &Error{Code: ETOOLARGE, Message: fmt.Sprintf("The image is larger than %d MB.", s.cfg.MaxUploadBytes>>20),
			Fields: []FieldError{{Field: "file", Code: "too_large", Message: fmt.Sprintf("The image is larger than %d MB.", s.cfg.MaxUploadBytes>>20), Params: map[string]string{"limitBytes": strconv.FormatInt(s.cfg.MaxUploadBytes, 10)}}}}
	}
	if len(data) == 0 {
		return nil, &Error{Code: EINVALID, Message: "The file is empty.", Fields: []FieldError{{Field: "file", Code: "required", Message: "Choose an image to upload."}}}
	}
	ct := http.DetectContentType(data)
	if !contains(ImageTypes, ct) {
		return nil, &Error{Code: EUNSUPPORTED, Message: "Only JPEG, PNG and GIF images can be uploaded.",
			Fields: []FieldError{{Field: "file", Code: "unsupported_type", Message: "Only JPEG, PNG and GIF images can be uploaded.", Params: map[string]string{"type": ct}}}}
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, &Error{Code: EINVALID, Message: "The image cannot be read; it may be damaged.", Fields: []FieldError{{Field: "file", Code: "unreadable", Message: "The image cannot be read; it may be damaged."}}}
	}
	filename = filepath.Base(strings.TrimSpace(filename))
	if filename == "." || filename == "/" || filename == "" {
		filename = "image"
	}
	if utf8.RuneCountInString(filename) > 200 {
		filename = string([]rune(filename)[:200])
	}
	sum := sha256.Sum256(data)
	m := &Media{ID: NewID(), OrgID: orgID, Filename: filename, ContentType: ct, Size: int64(len(data)), Width: cfg.Width, Height: cfg.Height,
		SHA256: hex.EncodeToString(sum[:]), UploadedBy: u.ID, CreatedAt: s.now().UTC()}
	if err := s.store.PutMedia(ctx, m, data); err != nil {
		return nil, err
	}
	s.audit(ctx, "media.upload", "media", m.ID, orgID, map[string]string{"filename": filename, "size": strconv.Itoa(len(data))})
	return m, nil
}

// GetMedia returns an image the signed-in user may see, with its bytes.
func (s *Service) GetMedia(ctx context.Context, id string) (*Media, []byte, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, nil, err
	}
	if !ValidID(id) {
		return nil, nil, Errorf(ENOTFOUND, "No such image.")
	}
	m, err := s.store.GetMedia(ctx, id)
	if IsCode(err, ENOTFOUND) || (err == nil && !canSeeOrg(u, m.OrgID)) {
		return nil, nil, Errorf(ENOTFOUND, "No such image.")
	} else if err != nil {
		return nil, nil, err
	}
	data, err := s.store.GetMediaData(ctx, id)
	return m, data, err
}

// MediaURL returns a public URL of an image that platforms can fetch
// (Instagram and Threads fetch media themselves), signed and expiring after
// MediaURLTTL.
func (s *Service) MediaURL(id string) string {
	exp := strconv.FormatInt(s.now().Add(s.cfg.MediaURLTTL).Unix(), 10)
	return strings.TrimRight(s.cfg.BaseURL, "/") + "/media/" + id + "?exp=" + exp + "&sig=" + s.keyring.Sign("media:"+id+":"+exp)
}

// OpenSignedMedia returns an image for a signed URL made by MediaURL, or
// ENOTFOUND if the signature is wrong or expired.
func (s *Service) OpenSignedMedia(ctx context.Context, id, exp, sig string) (*Media, []byte, error) {
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !ValidID(id) || !s.keyring.Verify("media:"+id+":"+exp, sig) || s.now().After(time.Unix(e, 0)) {
		return nil, nil, Errorf(ENOTFOUND, "No such image, or the link has expired.")
	}
	m, err := s.store.GetMedia(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	data, err := s.store.GetMediaData(ctx, id)
	return m, data, err
}
