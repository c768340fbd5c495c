package sandbox_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/sandbox"
)

func (e *env) kooPost(token string, body any) answer {
	e.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", e.srv.URL+sandbox.KooPostPath, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-KOO-API-TOKEN", token)
	}
	return e.do(req)
}

func TestKooReverseEngineeredShape(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("koo", "agri_haryana", "कृषि विभाग", 0)
	a := e.kooPost(tok, map[string]string{"koo": "नमस्ते हरियाणा", "language": "hi", "link": "https://haryana.gov.in"})
	if a.status != 200 || a.body["status"] != "success" || a.body["kooId"] == "" {
		t.Fatalf("post: %d %s", a.status, a.raw)
	}
	posts := e.sb.Posts("koo", "agri_haryana")
	if len(posts) != 1 || posts[0].ID != a.body["kooId"] || posts[0].Link != "https://haryana.gov.in" {
		t.Errorf("posts %+v", posts)
	}
	cases := []struct {
		name   string
		token  string
		body   map[string]string
		status int
	}{
		{"no token", "", map[string]string{"koo": "x", "language": "hi"}, 401},
		{"bad token", "nope", map[string]string{"koo": "x", "language": "hi"}, 401},
		{"no text", tok, map[string]string{"koo": " ", "language": "hi"}, 400},
		{"too long", tok, map[string]string{"koo": strings.Repeat("क", 401), "language": "hi"}, 400},
		{"no language", tok, map[string]string{"koo": "x"}, 400},
		{"bad link", tok, map[string]string{"koo": "x", "language": "hi", "link": "javascript:alert(1)"}, 400},
	}
	for _, c := range cases {
		if a := e.kooPost(c.token, c.body); a.status != c.status || a.body["status"] != "error" || a.body["message"] == "" {
			t.Errorf("%s: %d %s", c.name, a.status, a.raw)
		}
	}
	mustSetFault(t, e.sb, "koo", "agri_haryana", sandbox.Fault{Kind: sandbox.FaultRateLimit, RetryAfter: time.Minute, Times: 1})
	if a := e.kooPost(tok, map[string]string{"koo": "x", "language": "hi"}); a.status != 429 || a.header.Get("Retry-After") != "60" {
		t.Errorf("rate limit fault: %d %v", a.status, a.header)
	}
	status, body := e.page(sandbox.KooWebPath + "/agri_haryana")
	if status != 200 || !strings.Contains(body, "नमस्ते हरियाणा") || !strings.Contains(body, "reverse-engineered") {
		t.Errorf("feed page: %d", status)
	}
}
