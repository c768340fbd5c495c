package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/sandbox"
)

func mustSetFault(t *testing.T, sb *sandbox.Server, platform, account string, f sandbox.Fault) {
	t.Helper()
	if err := sb.SetFault(platform, account, f); err != nil {
		t.Fatal(err)
	}
}

func TestFaultAnswers(t *testing.T) {
	cases := []struct {
		name          string
		fault         sandbox.Fault
		status        int
		code, subcode int
		header        map[string]string // header → substring
		committed     bool
	}{
		{"rate limit, default code", sandbox.Fault{Kind: sandbox.FaultRateLimit, RetryAfter: 19 * time.Minute}, 400, 32, 0,
			map[string]string{"X-Business-Use-Case-Usage": `"estimated_time_to_regain_access":19`}, false},
		{"rate limit, app level", sandbox.Fault{Kind: sandbox.FaultRateLimit, Code: 4, RetryAfter: 90 * time.Second}, 400, 4, 0,
			map[string]string{"X-App-Usage": `"call_count":100`, "X-Business-Use-Case-Usage": `"estimated_time_to_regain_access":2`}, false},
		{"rate limit, BUC", sandbox.Fault{Kind: sandbox.FaultRateLimit, Code: 80001}, 400, 80001, 0,
			map[string]string{"X-Business-Use-Case-Usage": `{"1001":[{`}, false},
		{"server error", sandbox.Fault{Kind: sandbox.FaultServerError}, 500, 2, 0, nil, false},
		{"server error 503 after committing", sandbox.Fault{Kind: sandbox.FaultServerError, Status: 503, Commit: true}, 503, 2, 0, nil, true},
		{"expired token", sandbox.Fault{Kind: sandbox.FaultExpiredToken}, 400, 190, 463, nil, false},
		{"duplicate", sandbox.Fault{Kind: sandbox.FaultDuplicate}, 400, 506, 1455006, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			tok := e.sb.MintToken("facebook", page, "Agriculture", 0)
			c.fault.Times = 1
			mustSetFault(t, e.sb, "facebook", page, c.fault)
			a := e.form("POST", "/"+page+"/feed", tok, url.Values{"message": {"hit"}})
			code, sub := a.errCode()
			if a.status != c.status || code != c.code || sub != c.subcode {
				t.Errorf("got %d %d/%d %s; want %d %d/%d", a.status, code, sub, a.raw, c.status, c.code, c.subcode)
			}
			for h, want := range c.header {
				if !strings.Contains(a.header.Get(h), want) {
					t.Errorf("header %s = %q, want it to contain %q", h, a.header.Get(h), want)
				}
			}
			if n := len(e.sb.Posts("facebook", page)); (n == 1) != c.committed {
				t.Errorf("%d posts recorded, committed=%v", n, c.committed)
			}
			// Times: 1 — the next call goes through.
			if a := e.form("POST", "/"+page+"/feed", tok, url.Values{"message": {"after"}}); a.status != 200 {
				t.Errorf("call after the fault: %d %s", a.status, a.raw)
			}
		})
	}
}

func TestFaultSelection(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("facebook", page, "Agriculture", 0)
	other := e.sb.MintToken("facebook", "2002", "Health", 0)
	n := 0
	post := func(token, pg string) int {
		n++
		return e.form("POST", "/"+pg+"/feed", token, url.Values{"message": {"m" + strconv.Itoa(n)}}).status
	}
	// Skip 2, then fail 2, publish calls only.
	mustSetFault(t, e.sb, "facebook", page, sandbox.Fault{Kind: sandbox.FaultServerError, Skip: 2, Times: 2})
	if a := e.get("/"+page+"/feed", tok, nil); a.status != 200 {
		t.Errorf("a read hit a publish-only fault: %d", a.status)
	}
	var got []int
	for range 5 {
		got = append(got, post(tok, page))
	}
	if want := []int{200, 200, 500, 500, 200}; !equalInts(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if post(other, "2002") != 200 {
		t.Error("another account hit the fault")
	}
	// A platform-wide fault hits every account; an account's own fault is
	// consulted first.
	mustSetFault(t, e.sb, "facebook", "", sandbox.Fault{Kind: sandbox.FaultExpiredToken, Ops: []sandbox.Op{sandbox.OpAll}})
	mustSetFault(t, e.sb, "facebook", page, sandbox.Fault{Kind: sandbox.FaultDuplicate})
	if code, _ := e.form("POST", "/"+page+"/feed", tok, url.Values{"message": {"x"}}).errCode(); code != 506 {
		t.Errorf("account fault not first: code %d", code)
	}
	if code, _ := e.get("/2002/feed", other, nil).errCode(); code != 190 {
		t.Errorf("platform-wide fault on reads: code %d", code)
	}
	e.sb.ClearFaults("facebook", "")
	if len(e.sb.Faults()) != 0 || post(other, "2002") != 200 || post(tok, page) != 200 {
		t.Error("faults not cleared")
	}
	if err := e.sb.SetFault("myspace", "", sandbox.Fault{Kind: sandbox.FaultDrop}); err == nil {
		t.Error("unknown platform accepted")
	}
	if err := e.sb.SetFault("facebook", "", sandbox.Fault{Kind: "explode"}); err == nil {
		t.Error("unknown kind accepted")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFaultRate(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("facebook", page, "Agriculture", 0)
	mustSetFault(t, e.sb, "facebook", page, sandbox.Fault{Kind: sandbox.FaultServerError, Rate: 0.5, Ops: []sandbox.Op{sandbox.OpRead}})
	failed := 0
	const calls = 300
	for range calls {
		if e.get("/"+page+"/feed", tok, nil).status == 500 {
			failed++
		}
	}
	// Binomial(300, 0.5): 100..200 holds with probability 1 − 1e-8.
	if failed < 100 || failed > 200 {
		t.Errorf("%d of %d calls failed at rate 0.5", failed, calls)
	}
}

func TestFaultDrops(t *testing.T) {
	for _, c := range []struct {
		kind      sandbox.FaultKind
		committed bool
	}{{sandbox.FaultDrop, false}, {sandbox.FaultDropAfterCommit, true}} {
		t.Run(string(c.kind), func(t *testing.T) {
			e := newEnv(t)
			tok := e.sb.MintToken("facebook", page, "Agriculture", 0)
			mustSetFault(t, e.sb, "facebook", page, sandbox.Fault{Kind: c.kind, Times: 1})
			req, _ := http.NewRequest("POST", e.graph("/"+page+"/feed"), strings.NewReader(url.Values{"message": {"dropped"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := e.srv.Client().Do(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("got an answer (%d), want a dropped connection", resp.StatusCode)
			}
			posts := e.sb.Posts("facebook", page)
			if (len(posts) == 1) != c.committed {
				t.Errorf("%d posts recorded, committed=%v", len(posts), c.committed)
			}
		})
	}
}

func TestFaultSlow(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("facebook", page, "Agriculture", 0)
	mustSetFault(t, e.sb, "facebook", page, sandbox.Fault{Kind: sandbox.FaultSlow, Delay: 10 * time.Second, Times: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", e.graph("/"+page+"/feed"), strings.NewReader(url.Values{"message": {"slow"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+tok)
	start := time.Now()
	_, err := e.srv.Client().Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	// The platform still does its work once the client has gone.
	for len(e.sb.Posts("facebook", page)) == 0 {
		if time.Since(start) > 5*time.Second {
			t.Fatal("the slow call never committed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFaultHTTPSwitch(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("facebook", page, "Agriculture", 0)
	call := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		b, _ := io.ReadAll(resp.Body)
		json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}
	status, m := call("POST", "/sandbox/_faults", `{"platform":"facebook","account":"1001","kind":"rate_limit","retryAfter":"19m","code":4,"times":2}`)
	if status != 200 {
		t.Fatalf("set: %d %v", status, m)
	}
	faults := m["faults"].([]any)
	if len(faults) != 1 || faults[0].(map[string]any)["retryAfter"] != "19m0s" || faults[0].(map[string]any)["remaining"] != float64(2) {
		t.Errorf("listing: %v", m)
	}
	a := e.form("POST", "/"+page+"/feed", tok, url.Values{"message": {"limited"}})
	if code, _ := a.errCode(); code != 4 || !strings.Contains(a.header.Get("X-Business-Use-Case-Usage"), `"estimated_time_to_regain_access":19`) {
		t.Errorf("fault set over HTTP not applied: %s %v", a.raw, a.header)
	}
	if _, m := call("GET", "/sandbox/_faults", ""); m["faults"].([]any)[0].(map[string]any)["remaining"] != float64(1) {
		t.Errorf("remaining after one hit: %v", m)
	}
	for _, bad := range []string{`{"platform":"facebook","kind":"meteor"}`, `{"platform":"nowhere","kind":"drop"}`, `{"platform":"facebook","kind":"slow","delay":"soon"}`, `not json`} {
		if status, _ := call("POST", "/sandbox/_faults", bad); status != 400 {
			t.Errorf("%s: %d, want 400", bad, status)
		}
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/sandbox/_faults", strings.NewReader(`{"platform":"facebook","kind":"drop"}`))
	req.Header.Set("Content-Type", "text/plain")
	if resp, err := e.srv.Client().Do(req); err != nil || resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a text/plain fault post: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
	if status, m := call("DELETE", "/sandbox/_faults", ""); status != 200 || len(m["faults"].([]any)) != 0 {
		t.Errorf("clear: %d %v", status, m)
	}
	if a := e.form("POST", "/"+page+"/feed", tok, url.Values{"message": {"free"}}); a.status != 200 {
		t.Errorf("after clearing: %d", a.status)
	}
}
