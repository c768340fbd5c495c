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

const liOrg = "urn:li:organization:2414183"

// liCall calls the fake REST API with LinkedIn's headers.
func (e *env) liCall(method, path, rawQuery, token string, body any, header map[string]string) answer {
	e.t.Helper()
	u := e.srv.URL + sandbox.LinkedInAPIPath + path
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	var r *http.Request
	switch b := body.(type) {
	case nil:
		r, _ = http.NewRequest(method, u, nil)
	case []byte:
		r, _ = http.NewRequest(method, u, bytes.NewReader(b))
	default:
		j, _ := json.Marshal(b)
		r, _ = http.NewRequest(method, u, bytes.NewReader(j))
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("Linkedin-Version", "202607")
	r.Header.Set("X-Restli-Protocol-Version", "2.0.0")
	for k, v := range header {
		if v == "" {
			r.Header.Del(k)
		} else {
			r.Header.Set(k, v)
		}
	}
	return e.do(r)
}

func liPostBody(author, commentary string) map[string]any {
	return map[string]any{"author": author, "commentary": commentary, "visibility": "PUBLIC",
		"distribution":   map[string]any{"feedDistribution": "MAIN_FEED", "targetEntities": []any{}, "thirdPartyDistributionChannels": []any{}},
		"lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": false}
}

func TestLinkedInVersionsAndHeaders(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("linkedin", liOrg, "Agriculture", 0)
	cases := []struct {
		header map[string]string
		status int
		code   string
	}{
		{map[string]string{"Linkedin-Version": ""}, 400, "VERSION_MISSING"},
		{map[string]string{"Linkedin-Version": "202501"}, 426, "NONEXISTENT_VERSION"},
		{map[string]string{"Linkedin-Version": "202609"}, 426, "NONEXISTENT_VERSION"}, // not yet released
		{map[string]string{"Linkedin-Version": "2026-07"}, 400, "INVALID_VERSION"},
		{map[string]string{"X-Restli-Protocol-Version": ""}, 400, ""},
		{map[string]string{"Linkedin-Version": "202509"}, 201, ""}, // the oldest still active
		{map[string]string{"Linkedin-Version": "202508"}, 426, "NONEXISTENT_VERSION"},
	}
	for i, c := range cases {
		a := e.liCall("POST", "/rest/posts", "", tok, liPostBody(liOrg, "post "+string(rune('a'+i))), c.header)
		if a.status != c.status || (c.code != "" && a.body["code"] != c.code) {
			t.Errorf("%v: %d %s", c.header, a.status, a.raw)
		}
	}
	if a := e.liCall("POST", "/rest/posts", "", "nonsense", liPostBody(liOrg, "x"), nil); a.status != 401 || a.body["code"] != "INVALID_ACCESS_TOKEN" || a.body["serviceErrorCode"] != 65600.0 {
		t.Errorf("bad token: %d %s", a.status, a.raw)
	}
	expiring := e.sb.MintToken("linkedin", liOrg, "Agriculture", time.Hour)
	e.clock.Advance(2 * time.Hour)
	if a := e.liCall("POST", "/rest/posts", "", expiring, liPostBody(liOrg, "x"), nil); a.status != 401 || a.body["code"] != "EXPIRED_ACCESS_TOKEN" {
		t.Errorf("expired: %d %s", a.status, a.raw)
	}
}

func TestLinkedInPosts(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("linkedin", "2414183", "कृषि विभाग", 0) // the bare id acts for the URN
	a := e.liCall("POST", "/rest/posts", "", tok, liPostBody(liOrg, `नई योजना \(PM-KISAN\) {hashtag|\#|किसान} @[CM Haryana](urn:li:organization:1) #Haryana https://haryana.gov.in/a_b`), nil)
	urn := a.header.Get("X-Restli-Id")
	if a.status != 201 || !strings.HasPrefix(urn, "urn:li:share:") || len(a.raw) != 0 {
		t.Fatalf("create: %d %v %s", a.status, a.header, a.raw)
	}
	posts := e.sb.Posts("linkedin", "2414183")
	if len(posts) != 1 || posts[0].Text != "नई योजना (PM-KISAN) #किसान CM Haryana #Haryana https://haryana.gov.in/a_b" || posts[0].Link != "https://haryana.gov.in/a_b" {
		t.Errorf("rendered %+v", posts)
	}
	// Unescaped reserved characters truncate silently.
	e.liCall("POST", "/rest/posts", "", tok, liPostBody(liOrg, "आज का मौसम (साफ़) रहेगा"), nil)
	if p := e.sb.Posts("linkedin", "2414183"); p[1].Text != "आज का मौसम " {
		t.Errorf("truncation: %q", p[1].Text)
	}
	// Duplicate of the latest post.
	dup := e.liCall("POST", "/rest/posts", "", tok, liPostBody(liOrg, "आज का मौसम (साफ़) रहेगा"), nil)
	details, _ := dup.body["errorDetails"].(map[string]any)
	inputs, _ := details["inputErrors"].([]any)
	if dup.status != 422 || len(inputs) != 1 || inputs[0].(map[string]any)["code"] != "DUPLICATE_POST" || !strings.Contains(dup.body["message"].(string), "Content is a duplicate of urn:li:share:") {
		t.Errorf("duplicate: %d %s", dup.status, dup.raw)
	}
	// Required fields, length, another organization.
	missing := liPostBody(liOrg, "x")
	delete(missing, "author")
	if a := e.liCall("POST", "/rest/posts", "", tok, missing, nil); a.status != 422 || a.body["message"] != "ERROR :: /author :: field is required but not found and has no default value\n" {
		t.Errorf("no author: %d %s", a.status, a.raw)
	}
	if a := e.liCall("POST", "/rest/posts", "", tok, liPostBody(liOrg, strings.Repeat("क", 3001)), nil); a.status != 422 || !strings.Contains(a.body["message"].(string), "length of 3001 is greater than the maximum of 3000") {
		t.Errorf("too long: %d %s", a.status, a.raw)
	}
	if a := e.liCall("POST", "/rest/posts", "", tok, liPostBody("urn:li:organization:999", "x"), nil); a.status != 403 || a.body["code"] != "ACCESS_DENIED" {
		t.Errorf("another organization: %d %s", a.status, a.raw)
	}
	// The author finder returns the commentary as sent.
	found := e.liCall("GET", "/rest/posts", "q=author&author="+url.QueryEscape(liOrg)+"&count=1&sortBy=LAST_MODIFIED", tok, nil, nil)
	elements, _ := found.body["elements"].([]any)
	if found.status != 200 || len(elements) != 1 || elements[0].(map[string]any)["commentary"] != "आज का मौसम (साफ़) रहेगा" || elements[0].(map[string]any)["createdAt"] != float64(e.clock.Now().UnixMilli()) {
		t.Errorf("finder: %d %s", found.status, found.raw)
	}
	if page2 := e.liCall("GET", "/rest/posts", "q=author&author="+url.QueryEscape(liOrg)+"&count=1&start=1", tok, nil, nil); page2.body["elements"].([]any)[0].(map[string]any)["id"] != urn {
		t.Errorf("second page: %s", page2.raw)
	}
	// Get and delete by the percent-encoded URN.
	if g := e.liCall("GET", "/rest/posts/"+url.QueryEscape(urn), "", tok, nil, nil); g.status != 200 || g.body["id"] != urn || g.body["author"] != liOrg {
		t.Errorf("get: %d %s", g.status, g.raw)
	}
	if d := e.liCall("DELETE", "/rest/posts/"+url.QueryEscape(urn), "", tok, nil, nil); d.status != 204 {
		t.Errorf("delete: %d %s", d.status, d.raw)
	}
	if d := e.liCall("DELETE", "/rest/posts/"+url.QueryEscape(urn), "", tok, nil, nil); d.status != 404 {
		t.Errorf("delete again: %d", d.status)
	}
	// Pages: by URN, by number, and the post.
	for _, path := range []string{"/" + liOrg, "/2414183", "/company/2414183"} {
		if status, body := e.page(sandbox.LinkedInWebPath + path); status != 200 || !strings.Contains(body, "आज का मौसम") || !strings.Contains(body, "SANDBOX") {
			t.Errorf("page %s: %d", path, status)
		}
	}
	if status, body := e.page(sandbox.LinkedInWebPath + "/feed/update/" + urn + "/"); status != 200 || !strings.Contains(body, "नई योजना (PM-KISAN)") || !strings.Contains(body, "deleted") {
		t.Errorf("post page: %d", status)
	}
}

func TestLinkedInImagesACLsStatistics(t *testing.T) {
	e := newEnv(t)
	tok := e.sb.MintToken("linkedin", liOrg, "Department of Agriculture", 0)
	init := e.liCall("POST", "/rest/images", "action=initializeUpload", tok, map[string]any{"initializeUploadRequest": map[string]string{"owner": liOrg}}, nil)
	value, _ := init.body["value"].(map[string]any)
	if init.status != 200 || value == nil || !strings.HasPrefix(value["image"].(string), "urn:li:image:") || value["uploadUrlExpiresAt"] == nil {
		t.Fatalf("initializeUpload: %d %s", init.status, init.raw)
	}
	image := value["image"].(string)
	// Posting before the bytes are there fails.
	body := liPostBody(liOrg, "photo")
	body["content"] = map[string]any{"media": map[string]string{"id": image, "altText": "खेत"}}
	if a := e.liCall("POST", "/rest/posts", "", tok, body, nil); a.status != 422 {
		t.Errorf("image not uploaded: %d %s", a.status, a.raw)
	}
	put, _ := http.NewRequest("PUT", value["uploadUrl"].(string), bytes.NewReader(pngBytes))
	put.Header.Set("Authorization", "Bearer "+tok)
	if a := e.do(put); a.status != 201 {
		t.Fatalf("upload: %d %s", a.status, a.raw)
	}
	forged, _ := http.NewRequest("PUT", strings.Split(value["uploadUrl"].(string), "?")[0]+"?sig=forged", bytes.NewReader(pngBytes))
	forged.Header.Set("Authorization", "Bearer "+tok)
	if a := e.do(forged); a.status != 403 {
		t.Errorf("forged upload URL: %d", a.status)
	}
	if g := e.liCall("GET", "/rest/images/"+url.QueryEscape(image), "", tok, nil, nil); g.body["status"] != "AVAILABLE" {
		t.Errorf("image status %s", g.raw)
	}
	a := e.liCall("POST", "/rest/posts", "", tok, body, nil)
	urn := a.header.Get("X-Restli-Id")
	if a.status != 201 {
		t.Fatalf("post with image: %d %s", a.status, a.raw)
	}
	if p := e.sb.Posts("linkedin", liOrg); len(p[0].Images) != 1 || p[0].Images[0].AltText != "खेत" {
		t.Errorf("posts %+v", p)
	}
	// The member's organizations and their names.
	acls := e.liCall("GET", "/rest/organizationAcls", "q=roleAssignee&state=APPROVED", tok, nil, nil)
	elements, _ := acls.body["elements"].([]any)
	if acls.status != 200 || len(elements) != 1 || elements[0].(map[string]any)["organization"] != liOrg || elements[0].(map[string]any)["role"] != "ADMINISTRATOR" {
		t.Errorf("acls: %d %s", acls.status, acls.raw)
	}
	if o := e.liCall("GET", "/rest/organizations/2414183", "", tok, nil, nil); o.status != 200 || o.body["localizedName"] != "Department of Agriculture" || o.body["vanityName"] != "department-of-agriculture" {
		t.Errorf("organization: %d %s", o.status, o.raw)
	}
	// Statistics grow over time.
	q := "q=organizationalEntity&organizationalEntity=" + url.QueryEscape(liOrg) + "&shares=List(" + url.QueryEscape(urn) + ",urn%3Ali%3Ashare%3A1)"
	e.clock.Advance(30 * time.Hour)
	st := e.liCall("GET", "/rest/organizationalEntityShareStatistics", q, tok, nil, nil)
	list, _ := st.body["elements"].([]any)
	if st.status != 200 || len(list) != 1 {
		t.Fatalf("statistics: %d %s", st.status, st.raw)
	}
	total := list[0].(map[string]any)["totalShareStatistics"].(map[string]any)
	if list[0].(map[string]any)["share"] != urn || total["impressionCount"].(float64) < 1 || total["engagement"] == nil {
		t.Errorf("statistics %v", list[0])
	}
}

func TestLinkedInFaultsAndTokens(t *testing.T) {
	cases := []struct {
		fault  sandbox.Fault
		status int
		code   string
	}{
		{sandbox.Fault{Kind: sandbox.FaultRateLimit, RetryAfter: time.Minute}, 429, "TOO_MANY_REQUESTS"},
		{sandbox.Fault{Kind: sandbox.FaultServerError, Status: 504}, 504, ""},
		{sandbox.Fault{Kind: sandbox.FaultExpiredToken}, 401, "EXPIRED_ACCESS_TOKEN"},
	}
	for _, c := range cases {
		e := newEnv(t)
		tok := e.sb.MintToken("linkedin", liOrg, "Agriculture", 0)
		c.fault.Times = 1
		mustSetFault(t, e.sb, "linkedin", liOrg, c.fault)
		a := e.liCall("POST", "/rest/posts", "", tok, liPostBody(liOrg, "x"), nil)
		if a.status != c.status || (c.code != "" && a.body["code"] != c.code) {
			t.Errorf("%s: %d %s", c.fault.Kind, a.status, a.raw)
		}
		if c.fault.Kind == sandbox.FaultRateLimit && a.header.Get("Retry-After") != "60" {
			t.Errorf("Retry-After %q", a.header.Get("Retry-After"))
		}
	}
	e := newEnv(t)
	mustSetFault(t, e.sb, "linkedin", liOrg, sandbox.Fault{Kind: sandbox.FaultDuplicate, Times: 1})
	tok := e.sb.MintToken("linkedin", liOrg, "Agriculture", 0)
	if a := e.liCall("POST", "/rest/posts", "", tok, liPostBody(liOrg, "x"), nil); a.status != 422 || !strings.Contains(string(a.raw), "DUPLICATE_POST") {
		t.Errorf("duplicate fault: %d %s", a.status, a.raw)
	}
	token := func(v url.Values) answer {
		r, _ := http.NewRequest("POST", e.srv.URL+sandbox.LinkedInWebPath+"/oauth/v2/accessToken", strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return e.do(r)
	}
	if a := token(url.Values{"grant_type": {"authorization_code"}, "client_id": {"c"}, "client_secret": {"wrong"}, "code": {"x"}}); a.status != 401 || a.body["error"] != "invalid_client" {
		t.Errorf("wrong secret: %d %s", a.status, a.raw)
	}
	if a := token(url.Values{"grant_type": {"authorization_code"}, "client_id": {"c"}, "client_secret": {e.sb.LinkedInClientSecret("c")}, "code": {"forged"}, "redirect_uri": {"x"}}); a.status != 400 ||
		a.body["error"] != "invalid_request" || !strings.Contains(a.body["error_description"].(string), "authorization code expired") {
		t.Errorf("forged code: %d %s", a.status, a.raw)
	}
	if a := token(url.Values{"grant_type": {"refresh_token"}, "client_id": {"c"}, "client_secret": {e.sb.LinkedInClientSecret("c")}, "refresh_token": {"x"}}); a.status != 400 {
		t.Errorf("refresh for a non-partner: %d %s", a.status, a.raw)
	}
}
