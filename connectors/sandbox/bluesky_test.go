package sandbox_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/sandbox"
)

// bskyCall calls an XRPC procedure with a JSON body (or a query method
// with query parameters).
func (e *env) bskyCall(method, nsid, token string, body any, q url.Values) answer {
	e.t.Helper()
	u := e.srv.URL + sandbox.BlueskyPath + "/xrpc/" + nsid
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var r *http.Request
	if body != nil {
		b, _ := json.Marshal(body)
		r, _ = http.NewRequest(method, u, bytes.NewReader(b))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r, _ = http.NewRequest(method, u, nil)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(r)
}

func (a answer) bskyErr() string {
	s, _ := a.body["error"].(string)
	return s
}

// bskySession signs in and returns the DID and the two tokens.
func (e *env) bskySession(handle string) (did, access, refresh string) {
	e.t.Helper()
	a := e.bskyCall("POST", "com.atproto.server.createSession", "", map[string]string{"identifier": handle, "password": e.sb.BlueskyAppPassword(handle)}, nil)
	if a.status != 200 {
		e.t.Fatalf("createSession: %d %s", a.status, a.raw)
	}
	return a.body["did"].(string), a.body["accessJwt"].(string), a.body["refreshJwt"].(string)
}

func bskyPost(did, text string, extra map[string]any) map[string]any {
	rec := map[string]any{"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-08-01T04:30:00.000Z"}
	for k, v := range extra {
		rec[k] = v
	}
	return map[string]any{"repo": did, "collection": "app.bsky.feed.post", "record": rec}
}

func TestBlueskySessions(t *testing.T) {
	e := newEnv(t)
	if a := e.bskyCall("POST", "com.atproto.server.createSession", "", map[string]string{"identifier": "agri.bsky.social", "password": "wrong"}, nil); a.status != 401 ||
		a.bskyErr() != "AuthenticationRequired" || a.body["message"] != "Invalid identifier or password" {
		t.Errorf("wrong password: %d %s", a.status, a.raw)
	}
	a := e.bskyCall("POST", "com.atproto.server.createSession", "", map[string]string{"identifier": "Agri.bsky.social", "password": e.sb.BlueskyAppPassword("agri.bsky.social")}, nil)
	doc, _ := a.body["didDoc"].(map[string]any)
	if a.status != 200 || a.body["handle"] != "agri.bsky.social" || !strings.HasPrefix(a.body["did"].(string), "did:plc:") || a.body["active"] != true || doc["id"] != a.body["did"] {
		t.Fatalf("createSession: %d %s", a.status, a.raw)
	}
	if a.header.Get("RateLimit-Limit") == "" || a.header.Get("RateLimit-Policy") == "" {
		t.Errorf("no rate-limit headers: %v", a.header)
	}
	did, access, refresh := a.body["did"].(string), a.body["accessJwt"].(string), a.body["refreshJwt"].(string)
	// The DID signs in with the same app password.
	if b := e.bskyCall("POST", "com.atproto.server.createSession", "", map[string]string{"identifier": did, "password": e.sb.BlueskyAppPassword("agri.bsky.social")}, nil); b.status != 200 || b.body["handle"] != "agri.bsky.social" {
		t.Errorf("by DID: %d %s", b.status, b.raw)
	}
	if g := e.bskyCall("GET", "com.atproto.server.getSession", access, nil, nil); g.status != 200 || g.body["did"] != did {
		t.Errorf("getSession: %d %s", g.status, g.raw)
	}
	// A refresh token is not an access token, and the reverse.
	if g := e.bskyCall("GET", "com.atproto.server.getSession", refresh, nil, nil); g.status != 400 || g.bskyErr() != "InvalidToken" {
		t.Errorf("refresh as access: %d %s", g.status, g.raw)
	}
	if g := e.bskyCall("POST", "com.atproto.server.refreshSession", access, nil, nil); g.status != 400 || g.bskyErr() != "InvalidToken" {
		t.Errorf("access as refresh: %d %s", g.status, g.raw)
	}
	// Refresh rotates; the spent token is refused.
	r := e.bskyCall("POST", "com.atproto.server.refreshSession", refresh, nil, nil)
	if r.status != 200 || r.body["refreshJwt"] == refresh || r.body["did"] != did {
		t.Fatalf("refreshSession: %d %s", r.status, r.raw)
	}
	if again := e.bskyCall("POST", "com.atproto.server.refreshSession", refresh, nil, nil); again.status != 400 || again.bskyErr() != "ExpiredToken" {
		t.Errorf("a spent refresh token: %d %s", again.status, again.raw)
	}
	// Access tokens expire after two hours.
	e.clock.Advance(2 * time.Hour)
	if g := e.bskyCall("GET", "com.atproto.server.getSession", access, nil, nil); g.status != 400 || g.bskyErr() != "ExpiredToken" || g.body["message"] != "Token has expired" {
		t.Errorf("expired: %d %s", g.status, g.raw)
	}
	if g := e.bskyCall("GET", "com.atproto.server.getSession", "", nil, nil); g.status != 401 || g.bskyErr() != "AuthMissing" {
		t.Errorf("no token: %d %s", g.status, g.raw)
	}
	if g := e.bskyCall("GET", "com.atproto.server.getSession", "forged.token.here", nil, nil); g.status != 400 || g.bskyErr() != "InvalidToken" {
		t.Errorf("forged: %d %s", g.status, g.raw)
	}
}

func TestBlueskySessionLimits(t *testing.T) {
	e := newEnv(t)
	pw := e.sb.BlueskyAppPassword("agri.bsky.social")
	e.clock.Advance(2 * time.Minute) // 04:32; the 5-minute window ends at 04:35
	for i := range 30 {
		if a := e.bskyCall("POST", "com.atproto.server.createSession", "", map[string]string{"identifier": "agri.bsky.social", "password": pw}, nil); a.status != 200 {
			t.Fatalf("session %d: %d", i, a.status)
		}
	}
	a := e.bskyCall("POST", "com.atproto.server.createSession", "", map[string]string{"identifier": "agri.bsky.social", "password": pw}, nil)
	if a.status != 429 || a.bskyErr() != "RateLimitExceeded" || a.header.Get("RateLimit-Remaining") != "0" || a.header.Get("RateLimit-Policy") != "30;w=300" ||
		a.header.Get("RateLimit-Reset") != "1785558900" {
		t.Errorf("31st: %d %s %v", a.status, a.raw, a.header)
	}
	// Another account is not affected; 300 a day holds across windows.
	if b := e.bskyCall("POST", "com.atproto.server.createSession", "", map[string]string{"identifier": "health.bsky.social", "password": e.sb.BlueskyAppPassword("health.bsky.social")}, nil); b.status != 200 {
		t.Errorf("another account: %d", b.status)
	}
	for w := 1; w < 10; w++ {
		e.clock.Advance(5 * time.Minute)
		for range 30 {
			e.bskyCall("POST", "com.atproto.server.createSession", "", map[string]string{"identifier": "agri.bsky.social", "password": pw}, nil)
		}
	}
	e.clock.Advance(5 * time.Minute)
	if a := e.bskyCall("POST", "com.atproto.server.createSession", "", map[string]string{"identifier": "agri.bsky.social", "password": pw}, nil); a.status != 429 || a.header.Get("RateLimit-Policy") != "300;w=86400" {
		t.Errorf("301st of the day: %d %v", a.status, a.header)
	}
}

func TestBlueskyRecords(t *testing.T) {
	e := newEnv(t)
	did, access, _ := e.bskySession("agri.bsky.social")
	text := "हरियाणा https://haryana.gov.in"
	start := strings.Index(text, "https://")
	facets := []any{map[string]any{"index": map[string]int{"byteStart": start, "byteEnd": len(text)},
		"features": []any{map[string]string{"$type": "app.bsky.richtext.facet#link", "uri": "https://haryana.gov.in"}}}}
	body := bskyPost("agri.bsky.social", text, map[string]any{"facets": facets, "langs": []string{"hi"}})
	body["rkey"] = "3k4duaz5vfs2b"
	a := e.bskyCall("POST", "com.atproto.repo.createRecord", access, body, nil)
	uri := "at://" + did + "/app.bsky.feed.post/3k4duaz5vfs2b"
	if a.status != 200 || a.body["uri"] != uri || !strings.HasPrefix(a.body["cid"].(string), "bafyrei") || a.body["validationStatus"] != "valid" {
		t.Fatalf("createRecord: %d %s", a.status, a.raw)
	}
	if a.header.Get("RateLimit-Limit") != "5000" || a.header.Get("RateLimit-Remaining") != "4997" {
		t.Errorf("write points: %v", a.header)
	}
	// The same key again fails as the reference PDS fails it.
	if again := e.bskyCall("POST", "com.atproto.repo.createRecord", access, body, nil); again.status != 500 || again.bskyErr() != "InternalServerError" {
		t.Errorf("key in use: %d %s", again.status, again.raw)
	}
	got := e.bskyCall("GET", "com.atproto.repo.getRecord", "", nil, url.Values{"repo": {"agri.bsky.social"}, "collection": {"app.bsky.feed.post"}, "rkey": {"3k4duaz5vfs2b"}})
	value, _ := got.body["value"].(map[string]any)
	if got.status != 200 || got.body["uri"] != uri || value["text"] != text || got.body["cid"] != a.body["cid"] {
		t.Errorf("getRecord: %d %s", got.status, got.raw)
	}
	if p := e.sb.Posts("bluesky", did); len(p) != 1 || p[0].Link != "https://haryana.gov.in" || p[0].ID != uri {
		t.Errorf("posts %+v", p)
	}
	cases := []struct {
		name string
		body map[string]any
		want string
	}{
		{"too long", bskyPost(did, strings.Repeat("क", 301), nil), "Record/text must not be longer than 300 graphemes"},
		{"bad time", bskyPost(did, "x", map[string]any{"createdAt": "yesterday"}), "createdAt must be an valid atproto datetime"},
		{"four langs", bskyPost(did, "x", map[string]any{"langs": []string{"hi", "en", "pa", "ur"}}), "Record/langs must not have more than 3 elements"},
		{"rune offsets", bskyPost(did, text, map[string]any{"facets": []any{map[string]any{"index": map[string]int{"byteStart": 8, "byteEnd": 30},
			"features": []any{map[string]string{"$type": "app.bsky.richtext.facet#link", "uri": "https://haryana.gov.in"}}}}}), "a sandbox check"},
		{"unknown blob", bskyPost(did, "x", map[string]any{"embed": map[string]any{"$type": "app.bsky.embed.images", "images": []any{
			map[string]any{"alt": "", "image": map[string]any{"$type": "blob", "ref": map[string]string{"$link": "bafkreinope"}, "mimeType": "image/png", "size": 1}}}}}), "Could not find blob"},
	}
	for _, c := range cases {
		if a := e.bskyCall("POST", "com.atproto.repo.createRecord", access, c.body, nil); a.status != 400 || !strings.Contains(a.body["message"].(string), c.want) {
			t.Errorf("%s: %d %s", c.name, a.status, a.raw)
		}
	}
	bad := bskyPost(did, "x", nil)
	bad["rkey"] = "not-a-tid"
	if a := e.bskyCall("POST", "com.atproto.repo.createRecord", access, bad, nil); a.status != 400 || !strings.Contains(a.body["message"].(string), "Invalid record key") {
		t.Errorf("bad rkey: %d %s", a.status, a.raw)
	}
	if a := e.bskyCall("POST", "com.atproto.repo.createRecord", access, bskyPost("did:plc:someoneelse", "x", nil), nil); a.status != 401 {
		t.Errorf("another repo: %d %s", a.status, a.raw)
	}
	// Delete: idempotent; getRecord then says RecordNotFound.
	del := map[string]string{"repo": did, "collection": "app.bsky.feed.post", "rkey": "3k4duaz5vfs2b"}
	if a := e.bskyCall("POST", "com.atproto.repo.deleteRecord", access, del, nil); a.status != 200 || a.body["commit"] == nil {
		t.Errorf("delete: %d %s", a.status, a.raw)
	}
	if a := e.bskyCall("POST", "com.atproto.repo.deleteRecord", access, del, nil); a.status != 200 || len(a.raw) != 0 {
		t.Errorf("delete again: %d %s", a.status, a.raw)
	}
	if a := e.bskyCall("GET", "com.atproto.repo.getRecord", "", nil, url.Values{"repo": {did}, "collection": {"app.bsky.feed.post"}, "rkey": {"3k4duaz5vfs2b"}}); a.status != 400 ||
		a.bskyErr() != "RecordNotFound" || a.body["message"] != "Could not locate record: "+uri {
		t.Errorf("after delete: %d %s", a.status, a.raw)
	}
	// A deleted record's key may be used again.
	if a := e.bskyCall("POST", "com.atproto.repo.createRecord", access, body, nil); a.status != 200 {
		t.Errorf("re-create: %d %s", a.status, a.raw)
	}
}

func TestBlueskyBlobsPostsAndPages(t *testing.T) {
	e := newEnv(t)
	did, access, _ := e.bskySession("agri.bsky.social")
	r, _ := http.NewRequest("POST", e.srv.URL+sandbox.BlueskyPath+"/xrpc/com.atproto.repo.uploadBlob", bytes.NewReader(pngBytes))
	r.Header.Set("Content-Type", "image/png")
	r.Header.Set("Authorization", "Bearer "+access)
	up := e.do(r)
	blob, _ := up.body["blob"].(map[string]any)
	if up.status != 200 || blob["$type"] != "blob" || blob["mimeType"] != "image/png" || blob["size"] != float64(len(pngBytes)) ||
		!strings.HasPrefix(blob["ref"].(map[string]any)["$link"].(string), "bafkrei") {
		t.Fatalf("uploadBlob: %d %s", up.status, up.raw)
	}
	a := e.bskyCall("POST", "com.atproto.repo.createRecord", access, bskyPost(did, "खेत में किसान", map[string]any{"embed": map[string]any{
		"$type": "app.bsky.embed.images", "images": []any{map[string]any{"alt": "किसान", "image": blob}}}}), nil)
	if a.status != 200 {
		t.Fatalf("post with image: %d %s", a.status, a.raw)
	}
	uri := a.body["uri"].(string)
	posts := e.bskyCall("GET", "app.bsky.feed.getPosts", "", nil, url.Values{"uris": {uri, "at://did:plc:none/app.bsky.feed.post/3k4duaz5vfs2b"}})
	list, _ := posts.body["posts"].([]any)
	if posts.status != 200 || len(list) != 1 {
		t.Fatalf("getPosts: %d %s", posts.status, posts.raw)
	}
	first := list[0].(map[string]any)
	if first["uri"] != uri || first["likeCount"] != 0.0 || first["author"].(map[string]any)["handle"] != "agri.bsky.social" {
		t.Errorf("post view %v", first)
	}
	e.clock.Advance(24 * time.Hour)
	later := e.bskyCall("GET", "app.bsky.feed.getPosts", "", nil, url.Values{"uris": {uri}}).body["posts"].([]any)[0].(map[string]any)
	if later["likeCount"].(float64) <= 0 || later["repostCount"].(float64) < 0 {
		t.Errorf("counts did not grow: %v", later)
	}
	rkey := uri[strings.LastIndex(uri, "/")+1:]
	for _, path := range []string{"/profile/agri.bsky.social", "/profile/" + did, "/" + did, "/profile/agri.bsky.social/post/" + rkey} {
		if status, body := e.page(sandbox.BlueskyWebPath + path); status != 200 || !strings.Contains(body, "खेत में किसान") || !strings.Contains(body, `alt="किसान"`) {
			t.Errorf("page %s: %d", path, status)
		}
	}
}

func TestBlueskyFaults(t *testing.T) {
	cases := []struct {
		fault  sandbox.Fault
		status int
		name   string
	}{
		{sandbox.Fault{Kind: sandbox.FaultRateLimit, RetryAfter: 10 * time.Minute}, 429, "RateLimitExceeded"},
		{sandbox.Fault{Kind: sandbox.FaultServerError, Status: 502}, 502, "InternalServerError"},
		{sandbox.Fault{Kind: sandbox.FaultExpiredToken}, 400, "ExpiredToken"},
		{sandbox.Fault{Kind: sandbox.FaultDuplicate}, 409, "RecordAlreadyExists"},
	}
	for _, c := range cases {
		t.Run(string(c.fault.Kind), func(t *testing.T) {
			e := newEnv(t)
			did, access, _ := e.bskySession("agri.bsky.social")
			c.fault.Times = 1
			mustSetFault(t, e.sb, "bluesky", did, c.fault)
			a := e.bskyCall("POST", "com.atproto.repo.createRecord", access, bskyPost(did, "x", nil), nil)
			if a.status != c.status || a.bskyErr() != c.name {
				t.Errorf("got %d %s", a.status, a.raw)
			}
			if c.fault.Kind == sandbox.FaultRateLimit && a.header.Get("RateLimit-Reset") != "1785559200" {
				t.Errorf("reset %q", a.header.Get("RateLimit-Reset"))
			}
		})
	}
}
