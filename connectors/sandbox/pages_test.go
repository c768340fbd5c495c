package sandbox_test

import (
	"bytes"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/sandbox"
)

func TestPages(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("facebook", page, "कृषि विभाग Agriculture", 0)
	first := e.form("POST", "/"+page+"/feed", tok, url.Values{"message": {"पहली पोस्ट <script>alert(1)</script>"}}).body["id"].(string)
	e.clock.Advance(time.Hour)
	photo := e.photo(page, tok, pngBytes, map[string]string{"message": "second, with a photo", "alt_text_custom": "Farmers at a mandi"})
	second := photo.body["post_id"].(string)

	status, body := e.page("/sandbox/")
	if status != 200 || !strings.Contains(body, "SANDBOX — not a real platform") || !strings.Contains(body, "Facebook") ||
		!strings.Contains(body, `href="/sandbox/facebook/www/1001"`) || !strings.Contains(body, "कृषि विभाग Agriculture") {
		t.Errorf("index: %d\n%s", status, body)
	}

	status, body = e.page("/sandbox/facebook/www/" + page)
	if status != 200 || !strings.Contains(body, "SANDBOX — not a real platform") || !strings.Contains(body, `<html lang="en">`) {
		t.Fatalf("feed page: %d\n%s", status, body)
	}
	if strings.Contains(body, "<script>alert") || !strings.Contains(body, "पहली पोस्ट &lt;script&gt;") {
		t.Error("post text is not escaped, or Hindi is mangled")
	}
	// Newest first, times in IST (04:30 UTC is 10:00 IST), ids and the image with its alt text.
	if i, j := strings.Index(body, second), strings.Index(body, first); i < 0 || j < 0 || i > j {
		t.Errorf("posts not newest first (%d, %d)", i, j)
	}
	for _, want := range []string{"1 Aug 2026, 10:00 AM IST", "1 Aug 2026, 11:00 AM IST", `alt="Farmers at a mandi"`, `datetime="2026-08-01T04:30:00Z"`} {
		if !strings.Contains(body, want) {
			t.Errorf("feed page lacks %q", want)
		}
	}

	_, postPart, _ := strings.Cut(first, "_")
	status, body = e.page("/sandbox/facebook/www/" + page + "/posts/" + postPart)
	if status != 200 || !strings.Contains(body, "पहली पोस्ट") || strings.Contains(body, "second, with a photo") {
		t.Errorf("post page: %d\n%s", status, body)
	}
	for _, path := range []string{"/sandbox/facebook/www/9999", "/sandbox/facebook/www/" + page + "/posts/123", "/sandbox/nowhere"} {
		if status, body := e.page(path); status != 404 || !strings.Contains(body, "SANDBOX") {
			t.Errorf("%s: %d", path, status)
		}
	}
}

func TestSnapshotRestore(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("facebook", page, "Agriculture", 0)
	e.form("POST", "/"+page+"/feed", tok, url.Values{"message": {"kept"}})
	ph := e.photo(page, tok, pngBytes, map[string]string{"message": "kept photo"})
	var buf bytes.Buffer
	if err := e.sb.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	restored := sandbox.New(sandbox.Options{Secret: testSecret})
	if err := restored.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	a, b := e.sb.Posts("facebook", page), restored.Posts("facebook", page)
	if len(b) != 2 || a[0].ID != b[0].ID || a[1].Images[0].SHA256 != b[1].Images[0].SHA256 || !a[0].CreatedAt.Equal(b[0].CreatedAt) {
		t.Errorf("restored posts %+v, want %+v", b, a)
	}
	if len(restored.Accounts("facebook")) != 1 {
		t.Error("accounts not restored")
	}
	rec := httptest.NewRecorder()
	restored.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/sandbox/_media/"+ph.body["id"].(string), nil))
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), pngBytes) {
		t.Errorf("restored media: %d", rec.Code)
	}
	// File round trip.
	name := t.TempDir() + "/sandbox.json"
	if err := e.sb.SaveFile(name); err != nil {
		t.Fatal(err)
	}
	again := sandbox.New(sandbox.Options{Secret: testSecret})
	if err := again.LoadFile(name); err != nil || len(again.AllPosts()) != 2 {
		t.Errorf("LoadFile: %v, %d posts", err, len(again.AllPosts()))
	}
	if err := again.LoadFile(t.TempDir() + "/missing.json"); err == nil {
		t.Error("missing file loaded")
	}
}

func TestBaseURL(t *testing.T) {
	for _, base := range []string{"https://prasar.example.gov.in", "https://prasar.example.gov.in/", "https://prasar.example.gov.in/sandbox", "https://prasar.example.gov.in/sandbox/"} {
		sb := sandbox.New(sandbox.Options{Secret: testSecret, BaseURL: base})
		tok := sb.MintToken("facebook", page, "Agriculture", 0)
		req := httptest.NewRequest("POST", sandbox.FacebookGraphPath+"/v25.0/"+page+"/feed?message=hi", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		sb.Handler().ServeHTTP(rec, req)
		id := sb.Posts("facebook", page)[0].ID
		req = httptest.NewRequest("GET", sandbox.FacebookGraphPath+"/v25.0/"+id+"?fields=permalink_url", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec = httptest.NewRecorder()
		sb.Handler().ServeHTTP(rec, req)
		_, post, _ := strings.Cut(id, "_")
		if want := `"https://prasar.example.gov.in/sandbox/facebook/www/1001/posts/` + post + `"`; !strings.Contains(rec.Body.String(), want) {
			t.Errorf("BaseURL %q: %s, want %s", base, rec.Body.String(), want)
		}
	}
}

// TestPostsPerAccount checks the sandbox's index of posts by account: one
// Page's posts never include another's, the duplicate check looks at the
// Page's own latest post, and Reset forgets them all.
func TestPostsPerAccount(t *testing.T) {
	e := newEnv(t)
	const other = "2002"
	tok, otherTok := e.sb.MintToken("facebook", page, "Agriculture", 0), e.sb.MintToken("facebook", other, "Health", 0)
	e.form("POST", "/"+page+"/feed", tok, url.Values{"message": {"same words"}})
	if r := e.form("POST", "/"+other+"/feed", otherTok, url.Values{"message": {"same words"}}); r.status != 200 {
		t.Fatalf("another Page's identical post refused as a duplicate: %d %v", r.status, r.body)
	}
	if r := e.form("POST", "/"+page+"/feed", tok, url.Values{"message": {"same words"}}); r.status == 200 {
		t.Error("the Page's own duplicate was accepted")
	}
	if got := e.sb.Posts("facebook", page); len(got) != 1 || got[0].AccountID != page {
		t.Errorf("Posts(%s) = %+v, want its one post", page, got)
	}
	if got := e.sb.Posts("facebook", other); len(got) != 1 || got[0].AccountID != other {
		t.Errorf("Posts(%s) = %+v, want its one post", other, got)
	}
	e.sb.Reset()
	if got := e.sb.Posts("facebook", page); len(got) != 0 {
		t.Errorf("after Reset, Posts = %+v", got)
	}
}
