package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/xlsx"
)

// reachFixture publishes a post of organisation A to its X account, and
// records readings for it and for a second, Facebook-like delivery of
// organisation B directly in the store (the API tests' fake connectors
// read no metrics).
func reachFixture(t *testing.T) (e *env, post publisher.Post, xDelivery string) {
	t.Helper()
	e = newEnv(t)
	editor, approver := e.signIn(e.editorA), e.signIn(e.approver)
	in := postInput(e.orgA.ID, e.xA.ID)
	in["title"] = "=HYPERLINK(\"http://evil\")" // a title a spreadsheet must not run
	post = e.approvedPost(editor, approver, in)
	ctx := context.Background()
	if err := e.svc.Fanout(ctx, post.ID, post.Revision); err != nil {
		t.Fatal(err)
	}
	xDelivery = publisher.DeliveryID(post.ID, post.Revision, e.xA.ID)
	if err := e.svc.Deliver(ctx, xDelivery); err != nil {
		t.Fatal(err)
	}
	d, err := e.store.GetDelivery(ctx, xDelivery)
	if err != nil || d.Status != publisher.DeliveryPublished {
		t.Fatalf("the X delivery: %+v, %v", d, err)
	}
	p := func(v int64) *int64 { return &v }
	day := publisher.ReachDay(*d.PublishedAt)
	for _, r := range []struct {
		c      *publisher.Contribution
		values map[string]int64
	}{
		{&publisher.Contribution{DeliveryID: xDelivery, PostID: post.ID, OrgID: e.orgA.ID, AccountID: e.xA.ID, Platform: publisher.X, Day: day,
			Figures: publisher.PostFigures{Views: p(5432), Engagements: p(309)}, AsOf: d.PublishedAt.Add(time.Hour)},
			map[string]int64{"public_metrics.impression_count": 5432, "public_metrics.like_count": 234}},
		{&publisher.Contribution{DeliveryID: "d-health", PostID: "p-health", OrgID: e.orgB.ID, AccountID: e.xB.ID, Platform: publisher.Facebook, Day: day,
			Figures: publisher.PostFigures{Reach: p(210), Views: p(330), Engagements: p(12)}, AsOf: d.PublishedAt.Add(time.Hour)},
			map[string]int64{"post_total_media_view_unique": 210}},
	} {
		c := r.c
		reading := &publisher.MetricReading{ID: publisher.NewID(), DeliveryID: c.DeliveryID, PostID: c.PostID, OrgID: c.OrgID, AccountID: c.AccountID,
			Platform: c.Platform, PublishedAt: *d.PublishedAt, FetchedAt: c.AsOf, Values: r.values,
			Unavailable: map[string]string{"non_public_metrics": "Sorry, you are not authorized to see the field non_public_metrics."}}
		if _, err := e.store.RecordReading(ctx, reading, c); err != nil {
			t.Fatal(err)
		}
	}
	return e, post, xDelivery
}

func TestReachDashboardAPI(t *testing.T) {
	e, post, xDelivery := reachFixture(t)
	approver, editorA, editorB := e.signIn(e.approver), e.signIn(e.editorA), e.signIn(e.editorB)

	var d publisher.ReachDashboard
	approver.do("GET", "/api/v1/reach/dashboard", nil).want(t, http.StatusOK).data(t, &d)
	if d.Totals != (publisher.Totals{Posts: 2, Reach: 210, ReachPosts: 1, Views: 5762, ViewsPosts: 2, Engagements: 321, EngagementPosts: 2}) {
		t.Errorf("totals = %+v", d.Totals)
	}
	if len(d.Series) != 30 || len(d.Orgs) != 2 || d.Orgs[0].Code != "HLTH" || len(d.TopPosts) != 1 || len(d.Definitions) == 0 {
		t.Errorf("dashboard = %d days, orgs %+v, top %+v, %d definitions", len(d.Series), d.Orgs, d.TopPosts, len(d.Definitions))
	}
	// "Not available" is not zero: X's reach is absent, not 0, in JSON.
	approver.do("GET", "/api/v1/reach/dashboard?orgId="+e.orgA.ID+"&platform=x&by=engagements", nil).want(t, http.StatusOK).data(t, &d)
	if d.Totals.ReachPosts != 0 || len(d.TopPosts) != 1 || d.TopPosts[0].Figures.Reach != nil || d.TopPosts[0].DeliveryID != xDelivery ||
		d.TopPosts[0].Title != post.Title {
		t.Errorf("X only: totals %+v, top %+v", d.Totals, d.TopPosts)
	}
	raw := approver.do("GET", "/api/v1/reach/dashboard?orgId="+e.orgA.ID+"&platform=x&by=engagements", nil).body
	if !bytes.Contains(raw, []byte(`"reach":null`)) {
		t.Errorf("X's reach is not null in the answer: %s", raw)
	}

	// Editors see their own organisation only.
	editorB.do("GET", "/api/v1/reach/dashboard", nil).want(t, http.StatusOK).data(t, &d)
	if d.Filter.OrgID != e.orgB.ID || d.Totals.Posts != 1 || len(d.Orgs) != 1 {
		t.Errorf("editor B's dashboard: filter %+v, totals %+v, orgs %+v", d.Filter, d.Totals, d.Orgs)
	}
	editorB.do("GET", "/api/v1/reach/dashboard?orgId="+e.orgA.ID, nil).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)

	// Bad filters: one 422 naming each field.
	eb := approver.do("GET", "/api/v1/reach/dashboard?from=2026-02-30&platform=myspace&by=likes&limit=500&orgId=a/b", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	eb.field(t, "limit")
	eb.field(t, "orgId")
	eb = approver.do("GET", "/api/v1/reach/dashboard?from=2026-02-30&platform=myspace&by=likes", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	for _, f := range []string{"from", "platform", "by"} {
		eb.field(t, f)
	}

	// The per-post panel.
	var pr publisher.PostReach
	editorA.do("GET", "/api/v1/reach/posts/"+post.ID, nil).want(t, http.StatusOK).data(t, &pr)
	if len(pr.Deliveries) != 1 || pr.Deliveries[0].Raw["public_metrics.impression_count"] != 5432 || pr.Deliveries[0].DefinitionID != "x-v2" ||
		pr.Deliveries[0].Unavailable["non_public_metrics"] == "" || pr.Deliveries[0].Figures.Reach != nil {
		t.Errorf("post panel = %+v", pr)
	}
	editorB.do("GET", "/api/v1/reach/posts/"+post.ID, nil).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)

	var defs []publisher.MetricDefinition
	editorB.do("GET", "/api/v1/reach/definitions", nil).want(t, http.StatusOK).data(t, &defs)
	if len(defs) < len(publisher.Platforms) {
		t.Errorf("%d definitions, want at least one per platform", len(defs))
	}
	e.anon().do("GET", "/api/v1/reach/dashboard", nil).wantError(t, http.StatusUnauthorized, publisher.EUNAUTHORIZED)
}

func TestReachExportAPI(t *testing.T) {
	e, _, _ := reachFixture(t)
	approver := e.signIn(e.approver)

	r := approver.do("GET", "/api/v1/reach/export?format=csv&table=top-posts&by=views", nil).want(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="prasar-reach-`) || !strings.HasSuffix(cd, `-top-posts.csv"`) {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if !bytes.HasPrefix(r.body, []byte("\ufeff")) {
		t.Error("the CSV has no byte-order mark (Excel would read the Hindi as Latin-1)")
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "rank" || rows[1][3] != "X" || rows[1][5] != publisher.NotAvailable || rows[1][6] != "5432" {
		t.Fatalf("top posts CSV = %q", rows)
	}
	if !strings.HasPrefix(rows[1][2], "'=") {
		t.Errorf("a title starting with = is written as %q; a spreadsheet would run it", rows[1][2])
	}

	r = approver.do("GET", "/api/v1/reach/export?format=xlsx", nil).want(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != xlsx.ContentType {
		t.Errorf("Content-Type = %q", ct)
	}
	names, sheets, err := xlsx.Read(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "Summary,By day,Organisations,Top posts,Definitions" {
		t.Errorf("sheets = %q", names)
	}
	if s := sheets["Summary"]; len(s) != 2 || s[1][5] != "210" || s[1][4] != "2" {
		t.Errorf("Summary = %q", s)
	}
	if s := sheets["Organisations"]; len(s) != 3 || s[1][1] != "HLTH" || s[2][5] != publisher.NotAvailable {
		t.Errorf("Organisations = %q", s)
	}
	if s := sheets["Definitions"]; len(s) < 2 || len(s[0]) != 12 || s[0][8] != "पहुँच" || s[1][8] == "" || s[1][8] == s[1][3] {
		t.Errorf("Definitions = %q; want each in English and in Hindi", s)
	}

	approver.do("GET", "/api/v1/reach/export?format=pdf", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "format")
	approver.do("GET", "/api/v1/reach/export?table=everything", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "table")
}

func TestReachActionsAPI(t *testing.T) {
	e, _, _ := reachFixture(t)
	admin, approver, viewer, editorB := e.signIn(e.admin), e.signIn(e.approver), e.signIn(e.viewer), e.signIn(e.editorB)

	// Collect now: the published X delivery gets a track and is read (the
	// fake connector reads no metrics, so its schedule ends at once).
	viewer.do("POST", "/api/v1/reach/collect", map[string]string{}).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	editorB.do("POST", "/api/v1/reach/collect", map[string]string{"orgId": e.orgA.ID}).wantError(t, http.StatusNotFound, publisher.ENOTFOUND)
	approver.do("POST", "/api/v1/reach/collect", map[string]string{"orgId": "a b"}).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID)
	var got struct {
		Queued   int `json:"queued"`
		Notified int `json:"notified"`
	}
	approver.do("POST", "/api/v1/reach/collect", map[string]string{}).want(t, http.StatusOK).data(t, &got)
	if got.Queued != 1 {
		t.Errorf("collect now queued %d, want 1 (the published X delivery)", got.Queued)
	}
	// Without the CSRF token, refused.
	approver.do("POST", "/api/v1/reach/collect", map[string]string{}, withHeader("X-CSRF-Token", "")).want(t, http.StatusForbidden)

	// The digest page and sending it.
	var dg publisher.Digest
	week := publisher.ReachDay(e.clock.now())
	approver.do("GET", "/api/v1/reach/digest?week="+week, nil).want(t, http.StatusOK).data(t, &dg)
	if dg.Totals.Posts != 2 || len(dg.TopOrgs) != 2 {
		t.Errorf("digest = totals %+v, orgs %+v", dg.Totals, dg.TopOrgs)
	}
	approver.do("GET", "/api/v1/reach/digest?week=last-week", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "week")
	approver.do("POST", "/api/v1/reach/digest/send", map[string]string{"week": week}).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
	admin.do("POST", "/api/v1/reach/digest/send", map[string]string{"week": week}).want(t, http.StatusOK).data(t, &got)
	if got.Notified != 2 {
		t.Errorf("the digest notified %d, want the approver and the admin", got.Notified)
	}
}
