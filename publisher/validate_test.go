package publisher_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPostValidation(t *testing.T) {
	e := newEnv(t)
	ed := as(e.editor)
	img, err := e.svc.UploadMedia(ed, "", "poster.png", pngBytes(t, 40, 30))
	if err != nil {
		t.Fatal(err)
	}
	past := e.clock.Now().Add(-time.Hour)
	tests := []struct {
		name      string
		in        publisher.PostInput
		field     string
		code      string
		wantParam map[string]string
	}{
		{"over-long for X", publisher.PostInput{Content: publisher.Content{BodyEN: strings.Repeat("a", 281)}, Targets: []string{e.xAcct.ID}},
			"content.body", "too_long", map[string]string{"platform": "x", "count": "281", "limit": "280"}},
		{"over-long X variant", publisher.PostInput{Content: publisher.Content{BodyEN: "short", Variants: map[publisher.Platform]publisher.Variant{publisher.X: {Text: strings.Repeat("ब", 300)}}}, Targets: []string{e.xAcct.ID, e.fbAcct.ID}},
			"content.variants.x.text", "too_long", map[string]string{"count": "300"}},
		{"Instagram needs an image", publisher.PostInput{Content: publisher.Content{BodyEN: "text only"}, Targets: []string{e.igAcct.ID}},
			"content.mediaIds", "required_for_platform", map[string]string{"platform": "instagram"}},
		{"Instagram takes JPEG only", publisher.PostInput{Content: publisher.Content{BodyEN: "png", MediaIDs: []string{img.ID}}, Targets: []string{e.igAcct.ID}},
			"content.mediaIds[0]", "type_for_platform", nil},
		{"unknown target account", publisher.PostInput{Content: publisher.Content{BodyEN: "x"}, Targets: []string{"nosuchaccount"}},
			"targets[0]", "unknown_account", nil},
		{"malformed account id", publisher.PostInput{Content: publisher.Content{BodyEN: "x"}, Targets: []string{"../../etc"}},
			"targets[0]", "unknown_account", nil},
		{"defunct platform", publisher.PostInput{Content: publisher.Content{BodyEN: "x"}, Targets: []string{e.kooAcct.ID}},
			"targets[0]", "platform_defunct", nil},
		{"bad link", publisher.PostInput{Content: publisher.Content{BodyEN: "x", Link: "javascript:alert(1)"}, Targets: []string{e.fbAcct.ID}},
			"content.link", "invalid_url", nil},
		{"unknown image", publisher.PostInput{Content: publisher.Content{BodyEN: "x", MediaIDs: []string{"nosuchmedia"}}, Targets: []string{e.fbAcct.ID}},
			"content.mediaIds[0]", "unknown_media", nil},
		{"schedule in the past", publisher.PostInput{Content: publisher.Content{BodyEN: "x"}, Targets: []string{e.fbAcct.ID}, ScheduledAt: &past},
			"scheduledAt", "in_past", nil},
		{"unknown variant platform", publisher.PostInput{Content: publisher.Content{BodyEN: "x", Variants: map[publisher.Platform]publisher.Variant{"myspace": {Text: "x"}}}, Targets: []string{e.fbAcct.ID}},
			"content.variants.myspace", "unknown_platform", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.CreatePost(ed, tt.in)
			wantCode(t, err, publisher.EINVALID)
			f := wantField(t, err, tt.field, tt.code)
			for k, v := range tt.wantParam {
				if f.Params[k] != v {
					t.Errorf("param %s = %q, want %q (params %v)", k, f.Params[k], v, f.Params)
				}
			}
			// Nothing half-written.
			if _, total, _ := e.svc.ListPosts(ed, publisher.PostFilter{}); total != 0 {
				t.Fatalf("a refused post was stored (%d posts)", total)
			}
		})
	}
	t.Run("a draft may be empty but cannot be submitted so", func(t *testing.T) {
		p, err := e.svc.CreatePost(ed, publisher.PostInput{Title: "ideas"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.SubmitPost(ed, p.ID, p.Revision)
		wantField(t, err, "targets", "required")
	})
}

func TestMeasurePost(t *testing.T) {
	e := newEnv(t)
	ms, err := e.svc.MeasurePost(as(e.editor), publisher.PostInput{
		Content: publisher.Content{BodyHI: "नमस्ते", BodyEN: "Hello", Link: "https://haryana.gov.in", Variants: map[publisher.Platform]publisher.Variant{publisher.X: {Text: strings.Repeat("x", 290)}}},
		Targets: []string{e.fbAcct.ID, e.xAcct.ID, e.igAcct.ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	byPlatform := map[publisher.Platform]publisher.TargetMeasure{}
	for _, m := range ms {
		byPlatform[m.Platform] = m
	}
	if fb := byPlatform[publisher.Facebook]; fb.Text != "नमस्ते\n\nHello" || fb.Count != 13+24 || len(fb.Problems) != 0 {
		t.Errorf("facebook measure = %+v", fb)
	}
	if x := byPlatform[publisher.X]; x.Count != 290+24 || x.Limit != 280 || len(x.Problems) != 1 || x.Problems[0].Code != "too_long" {
		t.Errorf("x measure = %+v", x)
	}
	if ig := byPlatform[publisher.Instagram]; len(ig.Problems) != 1 || ig.Problems[0].Code != "required_for_platform" {
		t.Errorf("instagram measure = %+v", ig)
	}
}

func TestMediaUpload(t *testing.T) {
	e := newEnv(t)
	ed := as(e.editor)
	m, err := e.svc.UploadMedia(ed, "", "../../secret/poster.png", pngBytes(t, 64, 48))
	if err != nil {
		t.Fatal(err)
	}
	if m.ContentType != "image/png" || m.Width != 64 || m.Height != 48 || m.Filename != "poster.png" || m.OrgID != e.org.ID {
		t.Fatalf("media = %+v", m)
	}
	_, err = e.svc.UploadMedia(ed, "", "notes.png", []byte("this is not an image at all"))
	wantCode(t, err, publisher.EUNSUPPORTED)
	_, err = e.svc.UploadMedia(ed, "", "big.png", make([]byte, 9<<20))
	wantCode(t, err, publisher.ETOOLARGE)
	_, err = e.svc.UploadMedia(ed, e.otherOrg.ID, "x.png", pngBytes(t, 2, 2))
	wantCode(t, err, publisher.ENOTFOUND)
	_, _, err = e.svc.GetMedia(as(e.otherEditor), m.ID)
	wantCode(t, err, publisher.ENOTFOUND)

	// Signed URLs for platforms that fetch media.
	u := e.svc.MediaURL(m.ID)
	q := u[strings.Index(u, "?")+1:]
	var exp, sig string
	for _, kv := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == "exp" {
			exp = v
		} else if k == "sig" {
			sig = v
		}
	}
	if _, data, err := e.svc.OpenSignedMedia(context.Background(), m.ID, exp, sig); err != nil || len(data) == 0 {
		t.Fatalf("signed URL refused: %v", err)
	}
	_, _, err = e.svc.OpenSignedMedia(context.Background(), m.ID, exp, sig[:len(sig)-2]+"xx")
	wantCode(t, err, publisher.ENOTFOUND)
	e.clock.Add(25 * time.Hour)
	_, _, err = e.svc.OpenSignedMedia(context.Background(), m.ID, exp, sig)
	wantCode(t, err, publisher.ENOTFOUND)
}

func TestCountTagLimits(t *testing.T) {
	e := newEnv(t)
	e.x.rules.MaxHashtags, e.x.rules.MaxMentions = 2, 1
	tests := []struct {
		name, text string
		field      string
	}{
		{"three hashtags incl. Hindi", "#हरियाणा #Kisan और #MSP", "too_many_hashtags"},
		{"two mentions", "@cmohry @DiprHaryana", "too_many_mentions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.CreatePost(as(e.editor), publisher.PostInput{Content: publisher.Content{BodyEN: tt.text}, Targets: []string{e.xAcct.ID}})
			wantField(t, err, "content.body", tt.field)
		})
	}
	// Within the limits, and marks that are not tags (an e-mail, C#, a
	// lone #), pass.
	if _, err := e.svc.CreatePost(as(e.editor), publisher.PostInput{Content: publisher.Content{BodyEN: "#Kisan #MSP write to cm@hry.example or use C# or # alone"}, Targets: []string{e.xAcct.ID}}); err != nil {
		t.Fatalf("within limits: %v", err)
	}
}
