package api

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// pngBytes encodes a w×h PNG.
func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// multipartBody builds an upload: fields, then (if data is not nil) the
// file part.
func multipartBody(t *testing.T, fields map[string]string, filename string, data []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if data != nil {
		fw, err := w.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

// upload uploads data for org as c and returns the media.
func (e *env) upload(c *client, org string, data []byte) publisher.Media {
	e.t.Helper()
	body, ct := multipartBody(e.t, map[string]string{"orgId": org}, "poster.png", data)
	var m publisher.Media
	c.do("POST", "/api/v1/media", body, withHeader("Content-Type", ct)).want(e.t, http.StatusCreated).data(e.t, &m)
	return m
}

func TestMedia(t *testing.T) {
	e := newEnv(t)
	ed := e.signIn(e.editorA)
	img := pngBytes(t, 12, 7)
	m := e.upload(ed, e.orgA.ID, img)
	if m.ContentType != "image/png" || m.Width != 12 || m.Height != 7 || m.OrgID != e.orgA.ID || m.Size != int64(len(img)) || m.Filename != "poster.png" {
		t.Fatalf("uploaded media = %+v", m)
	}

	t.Run("signed-in read", func(t *testing.T) {
		r := ed.do("GET", "/api/v1/media/"+m.ID, nil).want(t, http.StatusOK)
		if !bytes.Equal(r.body, img) {
			t.Fatalf("media bytes differ")
		}
		for k, want := range map[string]string{"Content-Type": "image/png", "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-cache",
			"Content-Security-Policy": mediaCSP} {
			if got := r.header.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		etag := r.header.Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		ed.do("GET", "/api/v1/media/"+m.ID, nil, withHeader("If-None-Match", etag)).want(t, http.StatusNotModified)
		e.anon().do("GET", "/api/v1/media/"+m.ID, nil).wantError(t, http.StatusUnauthorized, publisher.EUNAUTHORIZED)
	})

	t.Run("instagram post with the image", func(t *testing.T) {
		in := postInput(e.orgA.ID, e.igA.ID)
		in["content"].(map[string]any)["mediaIds"] = []string{m.ID}
		ed.do("POST", "/api/v1/posts", in).want(t, http.StatusCreated)
	})

	t.Run("signed public URL", func(t *testing.T) {
		signed := strings.TrimPrefix(e.svc.MediaURL(m.ID), testBaseURL)
		if !strings.HasPrefix(signed, "/media/"+m.ID+"?") {
			t.Fatalf("MediaURL = %s", signed)
		}
		r := e.anon().do("GET", signed, nil).want(t, http.StatusOK)
		if !bytes.Equal(r.body, img) || r.header.Get("Content-Type") != "image/png" || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("signed media: %d bytes, type %q, nosniff %q", len(r.body), r.header.Get("Content-Type"), r.header.Get("X-Content-Type-Options"))
		}
		cc := r.header.Get("Cache-Control")
		age, err := strconv.Atoi(strings.TrimPrefix(cc, "public, max-age="))
		if err != nil || age <= 0 || age > 86400 {
			t.Errorf("Cache-Control = %q, want public with a max-age up to a day", cc)
		}
		if r.header.Get("Cross-Origin-Resource-Policy") != "cross-origin" {
			t.Errorf("platforms fetching the image need CORP cross-origin")
		}
		e.anon().do("HEAD", signed, nil).want(t, http.StatusOK)

		tampered := signed[:len(signed)-2] + "xx"
		e.anon().do("GET", tampered, nil).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
		e.anon().do("GET", "/media/"+m.ID, nil).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
		e.clock.advance(25 * time.Hour)
		defer e.clock.advance(-25 * time.Hour)
		e.anon().do("GET", signed, nil).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
	})

	t.Run("refused uploads", func(t *testing.T) {
		limit := e.svc.Config().MaxUploadBytes
		big := bytes.Repeat([]byte{0x89}, int(limit)+1)
		huge := bytes.Repeat([]byte{0x89}, int(limit)*3)
		for _, tc := range []struct {
			name   string
			fields map[string]string
			data   []byte
			ct     string // "" = the multipart type
			stream bool
			status int
			code   string
			field  string
		}{
			{"not an image", nil, []byte("just some text, not an image"), "", false, 415, publisher.EUNSUPPORTED, "file"},
			{"one byte over", nil, big, "", false, 413, publisher.ETOOLARGE, "file"},
			{"far over", nil, huge, "", false, 413, publisher.ETOOLARGE, ""},
			{"far over, chunked", nil, huge, "", true, 413, publisher.ETOOLARGE, ""},
			{"no file", map[string]string{"orgId": e.orgA.ID}, nil, "", false, 422, publisher.EINVALID, "file"},
			{"unknown field", map[string]string{"caption": "x"}, img, "", false, 400, publisher.EMALFORMED, "caption"},
			{"bad org id", map[string]string{"orgId": "a b"}, img, "", false, 422, publisher.EINVALID, "orgId"},
			{"another org", map[string]string{"orgId": e.orgB.ID}, img, "", false, 404, publisher.ENOTFOUND, ""},
			{"JSON instead", nil, img, "application/json", false, 415, publisher.EUNSUPPORTED, ""},
			{"damaged image", nil, img[:20], "", false, 422, publisher.EINVALID, "file"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body, ct := multipartBody(t, tc.fields, "f.png", tc.data)
				if tc.ct != "" {
					ct = tc.ct
				}
				var b any = body
				if tc.stream {
					b = bytes.NewReader(body)
				}
				eb := ed.do("POST", "/api/v1/media", b, withHeader("Content-Type", ct)).wantError(t, tc.status, tc.code)
				if tc.field != "" {
					eb.field(t, tc.field)
				}
			})
		}
	})
}
