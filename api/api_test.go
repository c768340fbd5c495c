package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

func TestSignInAndOut(t *testing.T) {
	e := newEnv(t)

	t.Run("wrong credentials", func(t *testing.T) {
		for _, tc := range []struct{ name, email, password string }{
			{"wrong password", e.editorA.Email, "not the password"},
			{"unknown e-mail", "nobody@prasar.test", password},
			{"empty", "", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.anon().do("POST", "/api/v1/session", map[string]string{"email": tc.email, "password": tc.password})
				r.wantError(t, http.StatusUnauthorized, publisher.EUNAUTHORIZED)
				if r.cookie(t, "prasar_session") != nil {
					t.Errorf("a failed sign-in set a session cookie")
				}
			})
		}
	})

	c := e.signIn(e.editorA)
	t.Run("cookie flags", func(t *testing.T) {
		ck := c.cookie
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
			t.Errorf("cookie HttpOnly=%v SameSite=%v Path=%q, want HttpOnly, Lax, /", ck.HttpOnly, ck.SameSite, ck.Path)
		}
		if ck.Secure {
			t.Errorf("cookie is Secure on an http deployment (browsers would drop it)")
		}
		if ck.MaxAge <= 0 {
			t.Errorf("cookie MaxAge = %d, want the session's lifetime", ck.MaxAge)
		}
	})
	t.Run("session", func(t *testing.T) {
		var v struct {
			User      publisher.User `json:"user"`
			CSRFToken string         `json:"csrfToken"`
		}
		c.do("GET", "/api/v1/session", nil).want(t, http.StatusOK).data(t, &v)
		if v.User.ID != e.editorA.ID || v.CSRFToken != c.csrf {
			t.Errorf("GET /session = %s / %q, want %s and the sign-in's CSRF token", v.User.ID, v.CSRFToken, e.editorA.ID)
		}
		e.anon().do("GET", "/api/v1/session", nil).wantError(t, http.StatusUnauthorized, publisher.EUNAUTHORIZED)
		bad := &client{e: e, cookie: &http.Cookie{Name: "prasar_session", Value: "forged"}}
		bad.do("GET", "/api/v1/session", nil).wantError(t, http.StatusUnauthorized, publisher.EUNAUTHORIZED)
	})
	t.Run("sign out", func(t *testing.T) {
		c2 := e.signIn(e.editorA)
		r := c2.do("DELETE", "/api/v1/session", nil).want(t, http.StatusNoContent)
		if ck := r.cookie(t, "prasar_session"); ck == nil || ck.MaxAge >= 0 || ck.Value != "" {
			t.Errorf("sign-out did not clear the cookie: %+v", ck)
		}
		c2.do("GET", "/api/v1/session", nil).wantError(t, http.StatusUnauthorized, publisher.EUNAUTHORIZED)
		// The other session of the same user lives on.
		c.do("GET", "/api/v1/session", nil).want(t, http.StatusOK)
	})
	t.Run("too many failures", func(t *testing.T) {
		for range 5 {
			e.anon().do("POST", "/api/v1/session", map[string]string{"email": e.viewer.Email, "password": "guess"}).want(t, http.StatusUnauthorized)
		}
		e.anon().do("POST", "/api/v1/session", map[string]string{"email": e.viewer.Email, "password": password}).
			wantError(t, http.StatusServiceUnavailable, publisher.EUNAVAILABLE)
	})
}

func TestSecureCookieOnHTTPS(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.api.BaseURL = "https://prasar.example.gov.in" })
	r := e.anon().do("POST", "/api/v1/session", map[string]string{"email": e.admin.Email, "password": password},
		withHeader("Origin", "https://prasar.example.gov.in"))
	r.want(t, http.StatusOK)
	ck := r.cookie(t, "prasar_session")
	if ck == nil || !ck.Secure || !ck.HttpOnly {
		t.Fatalf("cookie on an https deployment = %+v, want Secure and HttpOnly", ck)
	}
	e.secret(ck.Value)
	if r.header.Get("Strict-Transport-Security") == "" {
		t.Errorf("no Strict-Transport-Security on an https deployment")
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(e.editorA)
	other := e.signIn(e.editorA) // another session of the same user
	body := postInput(e.orgA.ID, e.xA.ID)
	for _, tc := range []struct {
		name   string
		opts   []reqOpt
		status int
	}{
		{"no token", []reqOpt{withHeader("X-CSRF-Token", "")}, http.StatusForbidden},
		{"wrong token", []reqOpt{withHeader("X-CSRF-Token", "x"+c.csrf)}, http.StatusForbidden},
		{"another session's token", []reqOpt{withHeader("X-CSRF-Token", other.csrf)}, http.StatusForbidden},
		{"foreign origin", []reqOpt{withHeader("Origin", "https://evil.example")}, http.StatusForbidden},
		{"null origin", []reqOpt{withHeader("Origin", "null")}, http.StatusForbidden},
		{"origin with another port", []reqOpt{withHeader("Origin", "http://prasar.test:8080")}, http.StatusForbidden},
		{"own origin", []reqOpt{withHeader("Origin", testBaseURL)}, http.StatusCreated},
		{"own origin, default port", []reqOpt{withHeader("Origin", "http://PRASAR.test:80")}, http.StatusCreated},
		{"no origin", nil, http.StatusCreated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("POST", "/api/v1/posts", body, tc.opts...)
			if tc.status == http.StatusForbidden {
				r.wantError(t, tc.status, publisher.EFORBIDDEN)
			} else {
				r.want(t, tc.status)
			}
		})
	}
	t.Run("every state-changing method", func(t *testing.T) {
		p := c.createPost(body)
		for _, rq := range []struct{ method, path string }{
			{"PUT", "/api/v1/posts/" + p.ID},
			{"POST", "/api/v1/posts/" + p.ID + "/submit"},
			{"PATCH", "/api/v1/me"},
			{"DELETE", "/api/v1/session"},
		} {
			c.do(rq.method, rq.path, map[string]any{}, withHeader("X-CSRF-Token", "")).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
		}
		c.do("GET", "/api/v1/session", nil).want(t, http.StatusOK) // the session survived
	})
	t.Run("sign-in from a foreign origin", func(t *testing.T) {
		e.anon().do("POST", "/api/v1/session", map[string]string{"email": e.editorA.Email, "password": password},
			withHeader("Origin", "https://evil.example")).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	})
	t.Run("anonymous writes", func(t *testing.T) {
		e.anon().do("POST", "/api/v1/posts", body).wantError(t, http.StatusUnauthorized, publisher.EUNAUTHORIZED)
	})
}

func TestEditorApproverWorkflow(t *testing.T) {
	e := newEnv(t)
	ed, ap, adm := e.signIn(e.editorA), e.signIn(e.approver), e.signIn(e.admin)

	p := ed.createPost(postInput(e.orgA.ID, e.xA.ID))
	if p.Status != publisher.PostDraft || p.Revision != 1 || p.AuthorID != e.editorA.ID {
		t.Fatalf("new post: status %s revision %d author %s", p.Status, p.Revision, p.AuthorID)
	}
	// An approver cannot approve a draft.
	ap.step(p, "approve", "").wantError(t, http.StatusConflict, publisher.ECONFLICT)
	ed.step(p, "submit", "").want(t, http.StatusOK).data(t, &p)
	if p.Status != publisher.PostInReview {
		t.Fatalf("after submit: %s", p.Status)
	}
	// Editors do not review; viewers neither.
	ed.step(p, "approve", "").wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	e.signIn(e.viewer).step(p, "approve", "").wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	// Asking for changes needs a comment.
	eb := ap.step(p, "request-changes", "").wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	eb.field(t, "comment")

	ap.step(p, "approve", "Looks good").want(t, http.StatusOK).data(t, &p)
	if p.Status != publisher.PostApproved || p.ApprovedBy != e.approver.ID || p.ApprovedRevision != 1 {
		t.Fatalf("after approve: status %s by %s revision %d", p.Status, p.ApprovedBy, p.ApprovedRevision)
	}
	if fan, _ := e.enq.calls(); !slices.Contains(fan, p.ID+"/1") {
		t.Errorf("approval queued fan-outs %v, want %s/1", fan, p.ID)
	}

	// Editing after approval reopens the review.
	in := postInput(e.orgA.ID, e.xA.ID)
	in["content"] = map[string]any{"bodyEn": "A new scheme for farmers, now with dates"}
	in["revision"] = 1
	ed.do("PUT", "/api/v1/posts/"+p.ID, in).want(t, http.StatusOK).data(t, &p)
	if p.Status != publisher.PostInReview || p.Revision != 2 || p.ApprovedRevision != 0 {
		t.Fatalf("edit after approval: status %s revision %d approvedRevision %d; want in_review, 2, 0", p.Status, p.Revision, p.ApprovedRevision)
	}
	// A stale edit or review is refused.
	ed.do("PUT", "/api/v1/posts/"+p.ID, in).wantError(t, http.StatusConflict, publisher.ECONFLICT)
	stale := p
	stale.Revision = 1
	ap.step(stale, "approve", "").wantError(t, http.StatusConflict, publisher.ECONFLICT)
	// A PUT without the revision it edited is refused.
	delete(in, "revision")
	ed.do("PUT", "/api/v1/posts/"+p.ID, in).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "revision")

	ap.step(p, "approve", "").want(t, http.StatusOK).data(t, &p)
	if p.Status != publisher.PostApproved || p.ApprovedRevision != 2 {
		t.Fatalf("second approval: %s %d", p.Status, p.ApprovedRevision)
	}

	t.Run("own post", func(t *testing.T) {
		// Admins write and review: they still cannot approve their own post.
		own := adm.createPost(postInput(e.orgA.ID, e.xA.ID))
		adm.step(own, "submit", "").want(t, http.StatusOK).data(t, &own)
		adm.step(own, "approve", "").wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
		// Another reviewer can.
		ap.step(own, "approve", "").want(t, http.StatusOK)
	})
	t.Run("reject and cancel", func(t *testing.T) {
		q := ed.createPost(postInput(e.orgA.ID, e.xA.ID))
		ed.step(q, "submit", "").want(t, http.StatusOK).data(t, &q)
		ap.step(q, "reject", "").wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "comment")
		ap.step(q, "reject", "Not our department's news").want(t, http.StatusOK).data(t, &q)
		if q.Status != publisher.PostRejected || q.Review[len(q.Review)-1].Comment != "Not our department's news" {
			t.Fatalf("after reject: %s %+v", q.Status, q.Review)
		}
		ed.step(q, "cancel", "").want(t, http.StatusOK).data(t, &q)
		if q.Status != publisher.PostCancelled {
			t.Fatalf("after cancel: %s", q.Status)
		}
	})
	t.Run("revisions", func(t *testing.T) {
		var revs []publisher.PostRevision
		ed.do("GET", "/api/v1/posts/"+p.ID+"/revisions", nil).want(t, http.StatusOK).data(t, &revs)
		if len(revs) != 2 || revs[0].Revision != 1 || revs[1].Revision != 2 {
			t.Fatalf("revisions = %+v, want 1 then 2", revs)
		}
	})
	t.Run("get", func(t *testing.T) {
		var v struct {
			Post       publisher.Post       `json:"post"`
			Deliveries []publisher.Delivery `json:"deliveries"`
			Counts     map[string]int       `json:"counts"`
		}
		r := ed.do("GET", "/api/v1/posts/"+p.ID, nil).want(t, http.StatusOK)
		r.data(t, &v)
		if v.Post.ID != p.ID || v.Deliveries == nil || v.Counts == nil {
			t.Fatalf("GET /posts/:id = %s", r.body)
		}
		if !strings.Contains(string(r.body), `"deliveries":[]`) {
			t.Errorf("no deliveries should render as [], got %s", r.body)
		}
	})
}

func TestReviewQueue(t *testing.T) {
	e := newEnv(t)
	ed, ap := e.signIn(e.editorA), e.signIn(e.approver)
	var ids []string
	for i := range 3 {
		in := postInput(e.orgA.ID, e.xA.ID)
		in["title"] = "post " + itoa(i)
		p := ed.createPost(in)
		ed.step(p, "submit", "").want(t, http.StatusOK)
		ids = append(ids, p.ID)
		time.Sleep(5 * time.Millisecond) // distinct update times
	}
	ed.createPost(postInput(e.orgA.ID, e.xA.ID)) // a draft: not in the queue

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", ids},
		{"?limit=2", ids[:2]},
		{"?limit=2&offset=2", ids[2:]},
		{"?offset=3", nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := ap.do("GET", "/api/v1/review-queue"+tc.query, nil).want(t, http.StatusOK)
			var v struct {
				Data  []publisher.Post `json:"data"`
				Total int              `json:"total"`
			}
			if err := json.Unmarshal(r.body, &v); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range v.Data {
				got = append(got, p.ID)
			}
			if !slices.Equal(got, tc.want) || v.Total != 3 {
				t.Fatalf("queue = %v (total %d), want %v (total 3), oldest first", got, v.Total, tc.want)
			}
		})
	}
	ed.do("GET", "/api/v1/review-queue", nil).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	ap.do("GET", "/api/v1/review-queue?limit=0", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "limit")
}

func TestOrgScoping(t *testing.T) {
	e := newEnv(t)
	edA, edB, ap := e.signIn(e.editorA), e.signIn(e.editorB), e.signIn(e.approver)

	postB := e.approvedPost(edB, ap, postInput(e.orgB.ID, e.xB.ID))
	if err := e.svc.Fanout(context.Background(), postB.ID, postB.Revision); err != nil {
		t.Fatal(err)
	}
	dB := publisher.DeliveryID(postB.ID, postB.Revision, e.xB.ID)
	mediaB := e.upload(edB, e.orgB.ID, pngBytes(t, 4, 4))

	for _, rq := range []struct{ method, path string }{
		{"GET", "/api/v1/posts/" + postB.ID},
		{"PUT", "/api/v1/posts/" + postB.ID},
		{"POST", "/api/v1/posts/" + postB.ID + "/submit"},
		{"POST", "/api/v1/posts/" + postB.ID + "/cancel"},
		{"GET", "/api/v1/posts/" + postB.ID + "/revisions"},
		{"GET", "/api/v1/posts/" + postB.ID + "/events"},
		{"GET", "/api/v1/deliveries/" + dB},
		{"POST", "/api/v1/deliveries/" + dB + "/retry"},
		{"POST", "/api/v1/deliveries/" + dB + "/resolve"},
		{"GET", "/api/v1/accounts?orgId=" + e.orgB.ID},
		{"GET", "/api/v1/orgs/" + e.orgB.ID},
		{"GET", "/api/v1/orgs/" + e.orgB.ID + "/officers"},
		{"GET", "/api/v1/media/" + mediaB.ID},
	} {
		t.Run(rq.method+" "+rq.path, func(t *testing.T) {
			var body any
			switch {
			case rq.method == "PUT":
				in := postInput(e.orgB.ID, e.xB.ID)
				in["revision"] = postB.Revision
				body = in
			case strings.HasSuffix(rq.path, "/resolve"):
				body = map[string]any{"published": false}
			case strings.HasSuffix(rq.path, "/submit"):
				body = map[string]any{"revision": postB.Revision}
			case rq.method == "POST":
				body = map[string]any{"revision": postB.Revision, "comment": "x"}
			}
			eb := edA.do(rq.method, rq.path, body).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
			if len(eb.Fields) != 0 {
				t.Errorf("404 carries fields: %+v", eb.Fields)
			}
			// Editor B sees it (the 404 is scoping, not a bad route).
			if rq.method == "GET" && !strings.HasSuffix(rq.path, "/events") {
				edB.do(rq.method, rq.path, nil).want(t, http.StatusOK)
			}
		})
	}
	t.Run("lists", func(t *testing.T) {
		var v struct {
			Data  []publisher.Delivery `json:"data"`
			Total int                  `json:"total"`
		}
		r := edA.do("GET", "/api/v1/deliveries", nil).want(t, http.StatusOK)
		_ = json.Unmarshal(r.body, &v)
		if v.Total != 0 || len(v.Data) != 0 {
			t.Errorf("editor A sees %d deliveries of org B", v.Total)
		}
		var ps struct {
			Data  []publisher.Post `json:"data"`
			Total int              `json:"total"`
		}
		r = edA.do("GET", "/api/v1/posts?orgId="+e.orgB.ID, nil).want(t, http.StatusOK)
		_ = json.Unmarshal(r.body, &ps)
		if ps.Total != 0 {
			t.Errorf("editor A lists %d posts of org B", ps.Total)
		}
		var accts []publisher.Account
		edA.do("GET", "/api/v1/accounts", nil).want(t, http.StatusOK).data(t, &accts)
		for _, a := range accts {
			if a.OrgID != e.orgA.ID {
				t.Errorf("editor A lists account %s of org %s", a.ID, a.OrgID)
			}
		}
		if len(accts) != 2 {
			t.Errorf("editor A lists %d accounts, want 2", len(accts))
		}
		var orgs []publisher.Organisation
		edA.do("GET", "/api/v1/orgs", nil).want(t, http.StatusOK).data(t, &orgs)
		if len(orgs) != 1 || orgs[0].ID != e.orgA.ID {
			t.Errorf("editor A lists orgs %+v", orgs)
		}
	})
	t.Run("targets and media of another org", func(t *testing.T) {
		in := postInput(e.orgA.ID, e.xB.ID)
		in["content"].(map[string]any)["mediaIds"] = []string{mediaB.ID}
		eb := edA.do("POST", "/api/v1/posts", in).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
		if f := eb.field(t, "targets[0]"); f.Code != "unknown_account" {
			t.Errorf("targets[0] code %q, want unknown_account", f.Code)
		}
		if f := eb.field(t, "content.mediaIds[0]"); f.Code != "unknown_media" {
			t.Errorf("mediaIds[0] code %q, want unknown_media", f.Code)
		}
	})
	t.Run("officers' contacts", func(t *testing.T) {
		var os []publisher.Officer
		e.signIn(e.viewer).do("GET", "/api/v1/orgs/"+e.orgB.ID+"/officers", nil).want(t, http.StatusOK).data(t, &os)
		if len(os) != 1 || os[0].Email != "" || os[0].Phone != "" {
			t.Errorf("a viewer sees officers %+v, want one without contacts", os)
		}
		edB.do("GET", "/api/v1/orgs/"+e.orgB.ID+"/officers", nil).want(t, http.StatusOK).data(t, &os)
		if len(os) != 1 || os[0].Email != e.officerB.Email {
			t.Errorf("editor B sees officers %+v, want the contacts", os)
		}
	})
}

func TestFieldErrors(t *testing.T) {
	e := newEnv(t)
	ed := e.signIn(e.editorA)

	long := strings.Repeat("a", 301)
	tooLong := postInput(e.orgA.ID, e.xA.ID)
	tooLong["content"] = map[string]any{"bodyEn": long}
	eb := ed.do("POST", "/api/v1/posts", tooLong).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	f := eb.field(t, "content.body")
	if f.Code != "too_long" || f.Params["platform"] != "x" || f.Params["count"] != "301" || f.Params["limit"] != "280" || f.Message == "" {
		t.Errorf("over-long X text: %+v, want too_long with platform x, count 301, limit 280", f)
	}

	noImage := postInput(e.orgA.ID, e.igA.ID)
	eb = ed.do("POST", "/api/v1/posts", noImage).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	if f := eb.field(t, "content.mediaIds"); f.Code != "required_for_platform" || f.Params["platform"] != "instagram" {
		t.Errorf("Instagram without an image: %+v", f)
	}

	unknown := postInput(e.orgA.ID, e.xA.ID, "no-such-account")
	eb = ed.do("POST", "/api/v1/posts", unknown).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	if f := eb.field(t, "targets[1]"); f.Code != "unknown_account" || f.Params["account"] != "no-such-account" {
		t.Errorf("unknown target: %+v", f)
	}

	t.Run("measure", func(t *testing.T) {
		var ms []publisher.TargetMeasure
		ed.do("POST", "/api/v1/measure", tooLong).want(t, http.StatusOK).data(t, &ms)
		if len(ms) != 1 || ms[0].Count != 301 || ms[0].Limit != 280 || len(ms[0].Problems) == 0 {
			t.Errorf("measure = %+v, want count 301 of 280 with a problem", ms)
		}
	})
	t.Run("submit without a revision", func(t *testing.T) {
		p := ed.createPost(postInput(e.orgA.ID, e.xA.ID))
		ed.do("POST", "/api/v1/posts/"+p.ID+"/submit", map[string]any{}).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "revision")
	})
	t.Run("query parameters", func(t *testing.T) {
		for _, tc := range []struct{ path, field string }{
			{"/api/v1/deliveries?from=2026-13-01", "from"},
			{"/api/v1/deliveries?to=28-11-2026", "to"},
			{"/api/v1/deliveries?from=2026-11-28&to=2026-11-01", "to"},
			{"/api/v1/deliveries?status=queued,bogus", "status"},
			{"/api/v1/deliveries?platform=myspace", "platform"},
			{"/api/v1/deliveries?limit=abc", "limit"},
			{"/api/v1/deliveries?limit=501", "limit"},
			{"/api/v1/deliveries?offset=-1", "offset"},
			{"/api/v1/deliveries?orgId=" + url.QueryEscape("a b"), "orgId"},
			{"/api/v1/posts?status=draft,nonsense", "status"},
			{"/api/v1/posts?kind=tweet", "kind"},
			{"/api/v1/posts?limit=1000", "limit"},
			{"/api/v1/accounts?orgId=" + url.QueryEscape("../x"), "orgId"},
		} {
			t.Run(tc.path, func(t *testing.T) {
				ed.do("GET", tc.path, nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, tc.field)
			})
		}
	})
}

func TestBadRequests(t *testing.T) {
	e := newEnv(t)
	ed := e.signIn(e.editorA)
	valid, _ := json.Marshal(postInput(e.orgA.ID, e.xA.ID))

	for _, tc := range []struct {
		name   string
		body   any
		opts   []reqOpt
		status int
		code   string
		field  string
	}{
		{"malformed JSON", `{"title": "x",`, nil, 400, publisher.EMALFORMED, ""},
		{"not an object", `[1,2]`, nil, 400, publisher.EMALFORMED, ""},
		{"unknown field", `{"titel": "x"}`, nil, 400, publisher.EMALFORMED, "titel"},
		{"unknown nested field", `{"content": {"bodyEn": "x", "colour": "red"}}`, nil, 400, publisher.EMALFORMED, "colour"},
		{"wrong type", `{"targets": "abc"}`, nil, 400, publisher.EMALFORMED, "targets"},
		{"bad time", `{"scheduledAt": "tomorrow"}`, nil, 400, publisher.EMALFORMED, ""},
		{"trailing data", string(valid) + ` {}`, nil, 400, publisher.EMALFORMED, ""},
		{"empty body", "", []reqOpt{withHeader("Content-Type", "")}, 400, publisher.EMALFORMED, ""},
		{"oversized", `{"title":"` + strings.Repeat("x", 1<<20) + `"}`, nil, 413, publisher.ETOOLARGE, ""},
		{"oversized, chunked", strings.NewReader(`{"title":"` + strings.Repeat("x", 1<<20) + `"}`), nil, 413, publisher.ETOOLARGE, ""},
		{"text/plain", string(valid), []reqOpt{withHeader("Content-Type", "text/plain")}, 415, publisher.EUNSUPPORTED, ""},
		{"form", "title=x", []reqOpt{withHeader("Content-Type", "application/x-www-form-urlencoded")}, 415, publisher.EUNSUPPORTED, ""},
		{"no content type", string(valid), []reqOpt{withHeader("Content-Type", "")}, 415, publisher.EUNSUPPORTED, ""},
		{"latin-1 JSON", string(valid), []reqOpt{withHeader("Content-Type", "application/json; charset=iso-8859-1")}, 415, publisher.EUNSUPPORTED, ""},
		{"utf-8 JSON", string(valid), []reqOpt{withHeader("Content-Type", "application/json; charset=UTF-8")}, 201, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ed.do("POST", "/api/v1/posts", tc.body, tc.opts...)
			if tc.code == "" {
				r.want(t, tc.status)
				return
			}
			eb := r.wantError(t, tc.status, tc.code)
			if tc.field != "" {
				eb.field(t, tc.field)
			}
		})
	}

	t.Run("invalid ids", func(t *testing.T) {
		for _, p := range []string{
			"/api/v1/posts/" + url.PathEscape("bad id"),
			"/api/v1/posts/" + url.PathEscape("a.b"),
			"/api/v1/posts/" + strings.Repeat("a", 65),
			"/api/v1/posts/" + url.PathEscape("a;drop") + "/revisions",
			"/api/v1/deliveries/" + url.PathEscape("<x>"),
			"/api/v1/orgs/" + url.PathEscape("ä"),
			"/api/v1/media/" + url.PathEscape("a%b"),
			"/media/" + url.PathEscape("a b") + "?exp=1&sig=x",
			"/api/v1/posts/unknownbutvalid",
		} {
			ed.do("GET", p, nil).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
		}
	})
}

func TestRegistryAndUsers(t *testing.T) {
	e := newEnv(t)
	adm, ed := e.signIn(e.admin), e.signIn(e.editorA)

	var rules []publisher.PlatformRules
	ed.do("GET", "/api/v1/platforms", nil).want(t, http.StatusOK).data(t, &rules)
	if len(rules) != 2 || rules[0].Platform != publisher.X || !rules[1].RequiresMedia {
		t.Errorf("platforms = %+v", rules)
	}

	org := map[string]any{"code": "EDU", "type": "department", "nameEn": "Education", "nameHi": "शिक्षा"}
	ed.do("POST", "/api/v1/orgs", org).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	var o publisher.Organisation
	adm.do("POST", "/api/v1/orgs", org).want(t, http.StatusCreated).data(t, &o)
	if o.Code != "EDU" || !publisher.ValidID(o.ID) {
		t.Errorf("created org %+v", o)
	}
	adm.do("POST", "/api/v1/orgs", org).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "code")

	var users []publisher.User
	adm.do("GET", "/api/v1/users", nil).want(t, http.StatusOK).data(t, &users)
	if len(users) != 6 {
		t.Errorf("%d users, want 6", len(users))
	}
	ed.do("GET", "/api/v1/users", nil).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	nu := map[string]any{"email": "new@prasar.test", "name": "New Editor", "role": "editor", "orgId": o.ID, "lang": "hi", "password": "long enough password"}
	var u publisher.User
	adm.do("POST", "/api/v1/users", nu).want(t, http.StatusCreated).data(t, &u)
	if u.Email != "new@prasar.test" || u.OrgID != o.ID {
		t.Errorf("created user %+v", u)
	}
	e.secret("long enough password")
	nu["password"] = "short"
	nu["email"] = "other@prasar.test"
	adm.do("POST", "/api/v1/users", nu).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "password")

	var audit []publisher.AuditEvent
	adm.do("GET", "/api/v1/audit?objectId="+o.ID, nil).want(t, http.StatusOK).data(t, &audit)
	if len(audit) != 1 || audit[0].Action != "org.create" {
		t.Errorf("audit of the new org = %+v", audit)
	}
	ed.do("GET", "/api/v1/audit", nil).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
}

func TestMe(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(e.editorA)
	var u publisher.User
	c.do("PATCH", "/api/v1/me", map[string]string{"lang": "hi"}).want(t, http.StatusOK).data(t, &u)
	if u.Lang != "hi" {
		t.Errorf("lang = %q", u.Lang)
	}
	c.do("PATCH", "/api/v1/me", map[string]string{"lang": "fr"}).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "lang")

	other := e.signIn(e.editorA)
	const next = "a brand new passphrase"
	e.secret(next)
	c.do("POST", "/api/v1/me/password", map[string]string{"current": "wrong", "password": next}).
		wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "current")
	r := c.do("POST", "/api/v1/me/password", map[string]string{"current": password, "password": next}).want(t, http.StatusNoContent)
	if ck := r.cookie(t, "prasar_session"); ck == nil || ck.MaxAge >= 0 {
		t.Errorf("changing the password did not clear the cookie")
	}
	c.do("GET", "/api/v1/session", nil).wantError(t, http.StatusUnauthorized, publisher.EUNAUTHORIZED)
	other.do("GET", "/api/v1/session", nil).wantError(t, http.StatusUnauthorized, publisher.EUNAUTHORIZED)
	e.anon().do("POST", "/api/v1/session", map[string]string{"email": e.editorA.Email, "password": next}).want(t, http.StatusOK)
}

func TestDeliveries(t *testing.T) {
	e := newEnv(t)
	ed, ap := e.signIn(e.editorA), e.signIn(e.approver)
	ctx := context.Background()

	good := e.approvedPost(ed, ap, postInput(e.orgA.ID, e.xA.ID))
	bad := postInput(e.orgA.ID, e.xA.ID)
	bad["content"] = map[string]any{"bodyEn": "REJECTME please"}
	rejected := e.approvedPost(ed, ap, bad)
	unsure := postInput(e.orgA.ID, e.xA.ID)
	unsure["content"] = map[string]any{"bodyEn": "TIMEOUTME please"}
	timedOut := e.approvedPost(ed, ap, unsure)
	for _, p := range []publisher.Post{good, rejected, timedOut} {
		e.clock.advance(time.Second) // distinct creation times: lists are newest first
		if err := e.svc.Fanout(ctx, p.ID, p.Revision); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Deliver(ctx, publisher.DeliveryID(p.ID, p.Revision, e.xA.ID)); err != nil {
			t.Fatal(err)
		}
	}
	dGood := publisher.DeliveryID(good.ID, good.Revision, e.xA.ID)
	dRejected := publisher.DeliveryID(rejected.ID, rejected.Revision, e.xA.ID)
	dUnsure := publisher.DeliveryID(timedOut.ID, timedOut.Revision, e.xA.ID)

	list := func(t *testing.T, q string) []string {
		t.Helper()
		var v struct {
			Data  []publisher.Delivery `json:"data"`
			Total int                  `json:"total"`
		}
		r := ed.do("GET", "/api/v1/deliveries"+q, nil).want(t, http.StatusOK)
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, d := range v.Data {
			ids = append(ids, d.ID)
		}
		if v.Total < len(ids) {
			t.Errorf("total %d < %d listed", v.Total, len(ids))
		}
		return ids
	}
	// The IST date on which the first delivery was made (the others follow
	// it, so they are on or after it).
	var first struct {
		Delivery publisher.Delivery `json:"delivery"`
	}
	ed.do("GET", "/api/v1/deliveries/"+dGood, nil).want(t, http.StatusOK).data(t, &first)
	made := first.Delivery.CreatedAt.In(ist)
	today := made.Format(time.DateOnly)
	yesterday := made.AddDate(0, 0, -1).Format(time.DateOnly)
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"?status=published", []string{dGood}},
		{"?status=failed,unconfirmed", []string{dUnsure, dRejected}},
		{"?postId=" + rejected.ID, []string{dRejected}},
		{"?from=" + today + "&to=" + today + "&status=published", []string{dGood}},
		{"?to=" + yesterday, nil},
		{"?from=" + today + "&platform=x&limit=1", []string{dUnsure}},
	} {
		t.Run(tc.q, func(t *testing.T) {
			if got := list(t, tc.q); !slices.Equal(got, tc.want) {
				t.Errorf("deliveries%s = %v, want %v", tc.q, got, tc.want)
			}
		})
	}

	var v struct {
		Delivery publisher.Delivery  `json:"delivery"`
		Attempts []publisher.Attempt `json:"attempts"`
	}
	ed.do("GET", "/api/v1/deliveries/"+dRejected, nil).want(t, http.StatusOK).data(t, &v)
	if v.Delivery.Status != publisher.DeliveryFailed || v.Delivery.PlatformMessage != "Status is a duplicate." || len(v.Attempts) != 1 {
		t.Errorf("rejected delivery = %+v with %d attempts", v.Delivery, len(v.Attempts))
	}

	var d publisher.Delivery
	ed.do("POST", "/api/v1/deliveries/"+dRejected+"/retry", nil).want(t, http.StatusOK).data(t, &d)
	if d.Status != publisher.DeliveryQueued {
		t.Errorf("retried delivery is %s", d.Status)
	}
	if _, ds := e.enq.calls(); !slices.Contains(ds, dRejected) {
		t.Errorf("retry did not queue the delivery: %v", ds)
	}
	ed.do("POST", "/api/v1/deliveries/"+dGood+"/retry", nil).wantError(t, http.StatusConflict, publisher.ECONFLICT)
	e.signIn(e.viewer).do("POST", "/api/v1/deliveries/"+dRejected+"/retry", nil).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)

	ed.do("POST", "/api/v1/deliveries/"+dUnsure+"/resolve", map[string]any{"url": "https://x.example/p/1"}).
		wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "published")
	ed.do("POST", "/api/v1/deliveries/"+dUnsure+"/resolve", map[string]any{"published": true, "url": "not a url"}).
		wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "url")
	ed.do("POST", "/api/v1/deliveries/"+dUnsure+"/resolve", map[string]any{"published": true, "url": "https://x.example/p/1"}).
		want(t, http.StatusOK).data(t, &d)
	if d.Status != publisher.DeliveryPublished || d.ExternalURL != "https://x.example/p/1" {
		t.Errorf("resolved delivery = %s %q", d.Status, d.ExternalURL)
	}
	ed.do("POST", "/api/v1/deliveries/"+dUnsure+"/resolve", map[string]any{"published": true, "url": "https://x.example/p/1"}).
		wantError(t, http.StatusConflict, publisher.ECONFLICT)
}
