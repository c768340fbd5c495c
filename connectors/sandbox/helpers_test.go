package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/connectortest"
	"github.com/prasar/prasar/connectors/sandbox"
)

// clock is the shared test clock.
type clock = connectortest.Clock

func newClock() *clock { return connectortest.NewClock(time.Date(2026, 8, 1, 4, 30, 0, 0, time.UTC)) }

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// env is a sandbox served over HTTP.
type env struct {
	t     *testing.T
	sb    *sandbox.Server
	srv   *httptest.Server
	clock *clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := newClock()
	sb := sandbox.New(sandbox.Options{Secret: testSecret, Now: c.Now})
	mux := http.NewServeMux()
	mux.Handle(sandbox.MountPath, sb.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, sb: sb, srv: srv, clock: c}
}

// graph is the base URL of the fake Graph API with a version.
func (e *env) graph(path string) string {
	return e.srv.URL + sandbox.FacebookGraphPath + "/v25.0" + path
}

// answer is a decoded response.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// errCode returns the Graph error's code and subcode (0, 0 if none).
func (a answer) errCode() (int, int) {
	e, _ := a.body["error"].(map[string]any)
	if e == nil {
		return 0, 0
	}
	code, _ := e["code"].(float64)
	sub, _ := e["error_subcode"].(float64)
	return int(code), int(sub)
}

func (a answer) errMessage() string {
	e, _ := a.body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func (e *env) do(req *http.Request) answer {
	e.t.Helper()
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			e.t.Fatalf("%s %s: answer is not JSON: %v: %s", req.Method, req.URL.Path, err, raw)
		}
	}
	return a
}

// form sends a form-encoded request with the token in the Authorization header.
func (e *env) form(method, path, token string, v url.Values) answer {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.graph(path), strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(req)
}

// get sends a GET with query parameters and the token in the header.
func (e *env) get(path, token string, q url.Values) answer {
	e.t.Helper()
	u := e.graph(path)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(req)
}

// photo sends a multipart photo upload.
func (e *env) photo(page, token string, data []byte, fields map[string]string) answer {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if data != nil {
		w, _ := mw.CreateFormFile("source", "photo.png")
		w.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.graph("/"+page+"/photos"), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "OAuth "+token)
	return e.do(req)
}

// page fetches a human page.
func (e *env) page(path string) (int, string) {
	e.t.Helper()
	resp, err := e.srv.Client().Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// pngBytes is a valid 1×1 PNG.
var pngBytes = []byte{
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
	0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
	0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
	0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
}
