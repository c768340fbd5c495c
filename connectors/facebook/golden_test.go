package facebook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/facebook"
	"github.com/prasar/prasar/publisher"
)

// recorded is one request as the platform received it.
type recorded struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Params   url.Values        // form or multipart fields
	Files    map[string][]byte // multipart files
	FileType map[string]string
}

// stub answers each request with the next canned answer (a testdata file)
// and records what it received.
type stub struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	reqs    []recorded
	answers []string
}

func newStub(t *testing.T, answers ...string) *stub {
	s := &stub{t: t, answers: answers}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *stub) serve(w http.ResponseWriter, r *http.Request) {
	rec := recorded{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(),
		Params: url.Values{}, Files: map[string][]byte{}, FileType: map[string]string{}}
	mt, mp, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-www-form-urlencoded":
		b, _ := io.ReadAll(r.Body)
		rec.Params, _ = url.ParseQuery(string(b))
	case "multipart/form-data":
		mr := multipart.NewReader(r.Body, mp["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			if p.FileName() != "" {
				rec.Files[p.FormName()], rec.FileType[p.FormName()] = b, p.Header.Get("Content-Type")
			} else {
				rec.Params.Add(p.FormName(), string(b))
			}
		}
	}
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, rec)
	s.mu.Unlock()
	if n >= len(s.answers) {
		s.t.Errorf("unexpected request %d: %s %s", n+1, r.Method, r.URL.Path)
		w.WriteHeader(500)
		return
	}
	b, err := os.ReadFile("testdata/" + s.answers[n])
	if err != nil {
		s.t.Error(err)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Write(b)
}

func (s *stub) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

const (
	pageID = "1001"
	token  = "EAAB-page-token-secret"
)

var account = &publisher.Account{ID: "acct1", Platform: publisher.Facebook, ExternalID: pageID, Handle: "agri"}
var cred = publisher.Credentials{AccessToken: token}

func image(id string, data []byte) publisher.MediaRef {
	return publisher.MediaRef{ID: id, ContentType: "image/png", Size: int64(len(data)), AltText: "alt " + id,
		Open: func(context.Context) ([]byte, error) { return data, nil }}
}

// assertNoToken checks the token travels only in the Authorization header.
func assertNoToken(t *testing.T, r recorded) {
	t.Helper()
	if strings.Contains(r.RawQuery, token) || strings.Contains(r.Path, token) || r.Params.Get("access_token") != "" {
		t.Errorf("%s %s: the token is in the URL or body", r.Method, r.Path)
	}
	if r.Header.Get("Authorization") != "Bearer "+token {
		t.Errorf("%s %s: Authorization = %q", r.Method, r.Path, r.Header.Get("Authorization"))
	}
}

func TestGoldenTextPost(t *testing.T) {
	s := newStub(t, "feed_post.json")
	c := facebook.New(facebook.Config{GraphURL: s.srv.URL, WebURL: "https://www.facebook.com", APIVersion: "v26.0"})
	pub, err := c.Publish(context.Background(), account, cred, publisher.Message{Text: "नई योजना\n\nNew scheme", Link: "https://haryana.gov.in/x"})
	if err != nil {
		t.Fatal(err)
	}
	if pub.ExternalID != "1001_5005" || pub.URL != "https://www.facebook.com/1001/posts/5005" {
		t.Errorf("published %+v", pub)
	}
	reqs := s.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/v26.0/1001/feed" || r.RawQuery != "" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("request %s %s?%s %s", r.Method, r.Path, r.RawQuery, r.Header.Get("Content-Type"))
	}
	if r.Params.Get("message") != "नई योजना\n\nNew scheme" || r.Params.Get("link") != "https://haryana.gov.in/x" || len(r.Params) != 2 {
		t.Errorf("params %v", r.Params)
	}
	assertNoToken(t, r)
}

func TestGoldenAppSecretProof(t *testing.T) {
	s := newStub(t, "feed_post.json")
	c := facebook.New(facebook.Config{GraphURL: s.srv.URL, AppID: "42", AppSecret: "app-secret"})
	if _, err := c.Publish(context.Background(), account, cred, publisher.Message{Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, []byte("app-secret"))
	m.Write([]byte(token))
	if got := s.requests()[0].Params.Get("appsecret_proof"); got != hex.EncodeToString(m.Sum(nil)) {
		t.Errorf("appsecret_proof %q", got)
	}
	if s.requests()[0].Path != "/v25.0/1001/feed" {
		t.Errorf("default version: path %s", s.requests()[0].Path)
	}
}

func TestGoldenPhotoPost(t *testing.T) {
	s := newStub(t, "photo_post.json")
	c := facebook.New(facebook.Config{GraphURL: s.srv.URL})
	data := []byte("\x89PNG\r\n\x1a\nfake")
	pub, err := c.Publish(context.Background(), account, cred, publisher.Message{Text: "फसल", Link: "https://haryana.gov.in/x", Media: []publisher.MediaRef{image("m1", data)}})
	if err != nil {
		t.Fatal(err)
	}
	if pub.ExternalID != "1001_5005" {
		t.Errorf("published %+v (want the post_id, not the photo id)", pub)
	}
	r := s.requests()[0]
	if r.Method != "POST" || r.Path != "/v25.0/1001/photos" || !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		t.Errorf("request %s %s %s", r.Method, r.Path, r.Header.Get("Content-Type"))
	}
	if string(r.Files["source"]) != string(data) || r.FileType["source"] != "image/png" {
		t.Errorf("source part %q %q", r.Files["source"], r.FileType["source"])
	}
	if r.Params.Get("message") != "फसल\n\nhttps://haryana.gov.in/x" || r.Params.Get("published") != "true" || r.Params.Get("alt_text_custom") != "alt m1" {
		t.Errorf("params %v", r.Params)
	}
	assertNoToken(t, r)
}

func TestGoldenMultiPhotoPost(t *testing.T) {
	s := newStub(t, "photo_unpublished.json", "photo_unpublished.json", "feed_post.json")
	c := facebook.New(facebook.Config{GraphURL: s.srv.URL})
	pub, err := c.Publish(context.Background(), account, cred, publisher.Message{Text: "two",
		Media: []publisher.MediaRef{image("m1", []byte("a")), image("m2", []byte("b"))}})
	if err != nil {
		t.Fatal(err)
	}
	if pub.ExternalID != "1001_5005" {
		t.Errorf("published %+v", pub)
	}
	reqs := s.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, r := range reqs[:2] {
		if r.Path != "/v25.0/1001/photos" || r.Params.Get("published") != "false" || r.Params.Get("message") != "" || len(r.Files["source"]) != 1 {
			t.Errorf("upload %d: %s %v", i, r.Path, r.Params)
		}
	}
	f := reqs[2]
	if f.Path != "/v25.0/1001/feed" || f.Params.Get("message") != "two" ||
		f.Params.Get("attached_media[0]") != `{"media_fbid":"7007"}` || f.Params.Get("attached_media[1]") != `{"media_fbid":"7007"}` {
		t.Errorf("feed post: %s %v", f.Path, f.Params)
	}
	for _, r := range reqs {
		assertNoToken(t, r)
	}
}

func TestGoldenLookup(t *testing.T) {
	since := time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)
	t.Run("found on the first page", func(t *testing.T) {
		s := newStub(t, "feed_page1.json")
		c := facebook.New(facebook.Config{GraphURL: s.srv.URL})
		pub, err := c.Lookup(context.Background(), account, cred, publisher.Message{Text: "नई योजना\r\n\r\nNew scheme  "}, since)
		if err != nil || pub.ExternalID != "1001_5005" || pub.URL != "https://www.facebook.com/1001/posts/5005" {
			t.Fatalf("got %+v, %v", pub, err)
		}
		r := s.requests()[0]
		q, _ := url.ParseQuery(r.RawQuery)
		if r.Method != "GET" || r.Path != "/v25.0/1001/feed" || q.Get("fields") != "id,message,created_time" ||
			q.Get("since") != "1785578400" || q.Get("limit") != "100" || len(q) != 3 {
			t.Errorf("request %s %s?%s", r.Method, r.Path, r.RawQuery)
		}
		assertNoToken(t, r)
	})
	t.Run("not found after following the cursor", func(t *testing.T) {
		s := newStub(t, "feed_page1.json", "feed_last.json")
		c := facebook.New(facebook.Config{GraphURL: s.srv.URL})
		_, err := c.Lookup(context.Background(), account, cred, publisher.Message{Text: "never posted"}, since)
		if err != publisher.ErrNotPublished {
			t.Fatalf("err = %v, want ErrNotPublished", err)
		}
		reqs := s.requests()
		if len(reqs) != 2 {
			t.Fatalf("%d requests", len(reqs))
		}
		q, _ := url.ParseQuery(reqs[1].RawQuery)
		if q.Get("after") != "QVFIUnh5eg" || q.Get("since") != "1785578400" {
			t.Errorf("second page request ?%s", reqs[1].RawQuery)
		}
		assertNoToken(t, reqs[1]) // the "next" URL carried a token; it is not followed
	})
}
