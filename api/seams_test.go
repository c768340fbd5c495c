package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/xlsx"
)

// The seams between features over HTTP: the names in the publish history,
// the review queue's order, registered accounts adopted on connecting,
// heads of department in the registry, and clarifications tied to their
// case.

func TestDeliveriesCarryNamesOverHTTP(t *testing.T) {
	e := newEnv(t)
	edA, edB, ap := e.signIn(e.editorA), e.signIn(e.editorB), e.signIn(e.approver)
	ctx := context.Background()
	in := postInput(e.orgA.ID, e.xA.ID)
	in["title"] = "किसान सम्मान निधि"
	pA := e.approvedPost(edA, ap, in)
	pB := e.approvedPost(edB, ap, postInput(e.orgB.ID, e.xB.ID))
	for _, p := range []publisher.Post{pA, pB} {
		if err := e.svc.Fanout(ctx, p.ID, p.Revision); err != nil {
			t.Fatal(err)
		}
	}
	rows := func(c *client, q string) []map[string]any {
		t.Helper()
		var v struct {
			Data  []map[string]any `json:"data"`
			Total int              `json:"total"`
		}
		r := c.do("GET", "/api/v1/deliveries"+q, nil).want(t, http.StatusOK)
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Fatal(err)
		}
		if v.Total != len(v.Data) {
			t.Errorf("total %d, %d rows", v.Total, len(v.Data))
		}
		return v.Data
	}
	want := map[string]map[string]any{
		pA.ID: {"postTitle": "किसान सम्मान निधि", "accountHandle": "agri_x", "accountDisplayName": "agri_x", "orgCode": "AGRI", "accountId": e.xA.ID},
		pB.ID: {"postTitle": "Kisan Samman", "accountHandle": "health_x", "accountDisplayName": "health_x", "orgCode": "HLTH", "accountId": e.xB.ID},
	}
	check := func(who string, got []map[string]any, posts ...string) {
		t.Helper()
		var seen []string
		for _, d := range got {
			id, _ := d["postId"].(string)
			seen = append(seen, id)
			for k, v := range want[id] {
				if d[k] != v {
					t.Errorf("%s: delivery of post %s has %s = %v, want %v", who, id, k, d[k], v)
				}
			}
		}
		slices.Sort(seen)
		slices.Sort(posts)
		if !slices.Equal(seen, posts) {
			t.Errorf("%s sees the deliveries of %v, want %v", who, seen, posts)
		}
	}
	check("editor A", rows(edA, ""), pA.ID)
	check("editor B", rows(edB, ""), pB.ID)
	check("editor B asking for A", rows(edB, "?orgId="+e.orgA.ID))
	check("the approver", rows(ap, ""), pA.ID, pB.ID)
	check("the approver, one post", rows(ap, "?postId="+pB.ID), pB.ID)

	// The post page's deliveries carry the account's names too.
	var v struct {
		Deliveries []map[string]any `json:"deliveries"`
	}
	edA.do("GET", "/api/v1/posts/"+pA.ID, nil).want(t, http.StatusOK).data(t, &v)
	check("the post page", v.Deliveries, pA.ID)
}

func TestReviewQueueKeepsItsOrderAcrossPagesOverHTTP(t *testing.T) {
	e := newEnv(t)
	ed, edB, ap := e.signIn(e.editorA), e.signIn(e.editorB), e.signIn(e.approver)
	var posts []publisher.Post
	for i := range 5 {
		c, org, acct := ed, e.orgA.ID, e.xA.ID
		if i%2 == 1 {
			c, org, acct = edB, e.orgB.ID, e.xB.ID
		}
		in := postInput(org, acct)
		in["title"] = "post " + itoa(i)
		p := c.createPost(in)
		e.clock.advance(time.Second)
		c.step(p, "submit", "").want(t, http.StatusOK).data(t, &p)
		posts = append(posts, p)
	}
	// The oldest is edited while in review: it stays first.
	e.clock.advance(time.Second)
	edit := postInput(e.orgA.ID, e.xA.ID)
	edit["title"] = "post 0, edited"
	edit["revision"] = posts[0].Revision
	ed.do("PUT", "/api/v1/posts/"+posts[0].ID, edit).want(t, http.StatusOK)
	want := []string{posts[0].ID, posts[1].ID, posts[2].ID, posts[3].ID, posts[4].ID}
	var got []string
	for off := 0; off < 6; off += 2 {
		var v struct {
			Data  []publisher.Post `json:"data"`
			Total int              `json:"total"`
		}
		r := ap.do("GET", "/api/v1/review-queue?limit=2&offset="+itoa(off), nil).want(t, http.StatusOK)
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Fatal(err)
		}
		if v.Total != 5 || len(v.Data) > 2 {
			t.Fatalf("page at %d: %d posts of %d", off, len(v.Data), v.Total)
		}
		for _, p := range v.Data {
			got = append(got, p.ID)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("the queue in pages of two = %v, want %v (longest waiting first)", got, want)
	}
	e.signIn(e.viewer).do("GET", "/api/v1/review-queue", nil).wantError(t, http.StatusForbidden, publisher.EFORBIDDEN)
}

func TestClarificationsNeedTheirCaseOverHTTP(t *testing.T) {
	e := newEnv(t)
	ed := e.signIn(e.editorA)
	in := postInput(e.orgA.ID, e.xA.ID)
	in["kind"] = "clarification"
	ed.do("POST", "/api/v1/posts", in).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "caseId")
	in["caseId"] = publisher.NewID()
	if f := ed.do("POST", "/api/v1/posts", in).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "caseId"); f.Code != "unknown_case" {
		t.Errorf("an unknown case: %+v", f)
	}
	in["kind"] = "post"
	if f := ed.do("POST", "/api/v1/posts", in).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "caseId"); f.Code != "not_clarification" {
		t.Errorf("an ordinary post with a case: %+v", f)
	}
	delete(in, "caseId")
	ed.createPost(in)
}

func TestConnectingAdoptsTheRegisteredAccountOverHTTP(t *testing.T) {
	e := newConnectEnv(t)
	ad, ed := e.signIn(e.admin), e.signIn(e.editorA)
	register := func(p publisher.Platform, handle string) publisher.RegistryAccount {
		t.Helper()
		var ra publisher.RegistryAccount
		ad.do("POST", "/api/v1/registry/accounts", map[string]any{"orgId": e.orgA.ID, "platform": p, "handle": handle,
			"verification": "verified", "twoFactor": "enabled", "recoveryEmail": "social.agri@hry.gov.in"}).want(t, http.StatusCreated).data(t, &ra)
		return ra
	}
	regX := register(publisher.X, "@KisanHry")
	regTG := register(publisher.Telegram, "@agri_news")
	wantAdopted := func(reg publisher.RegistryAccount, id, ext string) {
		t.Helper()
		if id != reg.ID {
			t.Fatalf("connected account %s, want the registered %s", id, reg.ID)
		}
		var page publisher.RegistryOrg
		ed.do("GET", "/api/v1/registry/orgs/"+e.orgA.ID, nil).want(t, http.StatusOK).data(t, &page)
		n := 0
		for _, ra := range page.Accounts {
			if ra.Platform != reg.Platform {
				continue
			}
			if ra.ID == reg.ID {
				n++
				if ra.ExternalID != ext || ra.Status != publisher.AccountConnected || !ra.Working || ra.Profile.Verification != publisher.VerificationVerified ||
					ra.Profile.TwoFactor != publisher.TwoFactorEnabled || ra.Profile.RecoveryEmail != "social.agri@hry.gov.in" {
					t.Errorf("registry shows %+v / %+v", ra.Account, ra.Profile)
				}
			}
		}
		if n != 1 {
			t.Errorf("the registry shows the registered %s account %d times", reg.Platform, n)
		}
	}

	// OAuth: the login grants the registered handle (in another case).
	e.x.grants = []publisher.GrantedAccount{{ExternalID: "ext-kisan", Handle: "kisanhry", DisplayName: "Kisan Haryana"}}
	state := ed.start(publisher.X, map[string]any{})
	res := resultOf(t, ed.navigate(callbackPath(publisher.X, url.Values{"state": {state}, "code": {e.x.approve(t, state)}})))
	if res.Get("error") != "" {
		t.Fatalf("result %v", res)
	}
	wantAdopted(regX, res.Get("accounts"), "ext-kisan")
	xs, _ := e.store.ListAccounts(context.Background(), publisher.AccountFilter{OrgID: e.orgA.ID, Platform: publisher.X})
	if len(xs) != 2 { // agri_x and the registered one
		t.Errorf("org A has %d X accounts, want 2", len(xs))
	}

	// The credential form, aimed at the registered channel.
	var acct publisher.Account
	ed.do("POST", "/api/v1/connect/telegram", map[string]any{"accountId": regTG.ID, "values": map[string]string{"bot_token": botToken, "channel": "@Agri_News"}}).
		want(t, http.StatusOK).data(t, &acct)
	wantAdopted(regTG, acct.ID, "-100Agri_News")

	// Organisation B cannot connect a handle registered to A.
	theirs := register(publisher.Telegram, "@agri_mandi")
	e.signIn(e.editorB).do("POST", "/api/v1/connect/telegram", map[string]any{"values": map[string]string{"bot_token": botToken, "channel": "@agri_mandi"}}).
		wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "handle")
	if a := mustAccount(t, e.env, theirs.ID); a.Status != publisher.AccountDisconnected || a.OrgID != e.orgA.ID {
		t.Errorf("A's registered account after B's attempt: %+v", a)
	}
}

func TestRegistryHeadsOfDepartmentOverHTTP(t *testing.T) {
	e := newEnv(t)
	ad := e.signIn(e.admin)
	ad.do("POST", "/api/v1/registry/orgs/"+e.orgA.ID+"/officers", map[string]any{"kind": "chief", "name": "X"}).
		wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "kind")
	var h publisher.Handover
	ad.do("POST", "/api/v1/registry/orgs/"+e.orgA.ID+"/officers", map[string]any{"kind": "head", "name": "Dr. Raja Sekhar Vundru",
		"designation": "Additional Chief Secretary", "email": "acs.agri@prasar.test"}).want(t, http.StatusCreated).data(t, &h)
	if h.Kind != publisher.OfficerHead || h.Appointed == nil || h.Appointed.Kind != publisher.OfficerHead || len(h.Accounts) != 0 {
		t.Fatalf("appointing a head = %+v", h)
	}
	// The rebuttal desk's route replaces it; the registry shows the new one.
	var head publisher.Officer
	ad.do("PUT", "/api/v1/cases/heads/"+e.orgA.ID, map[string]any{"name": "Anurag Rastogi", "designation": "ACS"}).want(t, http.StatusOK).data(t, &head)
	var page publisher.RegistryOrg
	e.signIn(e.editorA).do("GET", "/api/v1/registry/orgs/"+e.orgA.ID, nil).want(t, http.StatusOK).data(t, &page)
	var current []string
	for _, o := range page.Officers {
		if o.Kind == publisher.OfficerHead && o.EndDate == nil {
			current = append(current, o.Name)
		}
	}
	if !slices.Equal(current, []string{"Anurag Rastogi"}) || head.Kind != publisher.OfficerHead {
		t.Errorf("current heads on the registry page = %v (set %+v)", current, head)
	}
	// The import takes the kind.
	var res publisher.ImportResult
	ad.do("POST", "/api/v1/registry/import", map[string]any{"kind": "officers", "filename": "heads.csv", "dryRun": true,
		"data": []byte("org_code,kind,name,designation,posting,email,phone\nHLTH,head,Sudhir Rajpal,ACS,,,\n")}).want(t, http.StatusOK).data(t, &res)
	if !res.Valid || res.Summary.Officers.Create != 1 {
		t.Errorf("importing a head = %+v, errors %+v", res.Summary, res.Errors)
	}
}

// TestHistoryExportOverHTTP: the publish history as a file — CSV with a
// byte-order mark and formula-safe text, or Excel — scoped like the list,
// and the filters checked.
func TestHistoryExportOverHTTP(t *testing.T) {
	e := newEnv(t)
	edA, edB, ap := e.signIn(e.editorA), e.signIn(e.editorB), e.signIn(e.approver)
	ctx := context.Background()
	in := postInput(e.orgA.ID, e.xA.ID)
	in["title"] = "=HYPERLINK(\"http://evil.example\")"
	pA := e.approvedPost(edA, ap, in)
	pB := e.approvedPost(edB, ap, postInput(e.orgB.ID, e.xB.ID))
	for _, p := range []publisher.Post{pA, pB} {
		if err := e.svc.Fanout(ctx, p.ID, p.Revision); err != nil {
			t.Fatal(err)
		}
	}
	csvRows := func(c *client, q string) [][]string {
		t.Helper()
		r := c.do("GET", "/api/v1/deliveries/export"+q, nil).want(t, http.StatusOK)
		if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="prasar-history-`) || !strings.HasSuffix(cd, `.csv"`) {
			t.Errorf("Content-Disposition = %q", cd)
		}
		if !bytes.HasPrefix(r.body, []byte("\ufeff")) {
			t.Error("the CSV has no byte-order mark (Excel would read the Hindi as Latin-1)")
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	rows := csvRows(edA, "")
	if len(rows) != 2 || rows[0][0] != "delivery id" || rows[1][1] != pA.ID || rows[1][3] != "AGRI" || rows[1][4] != "X" || rows[1][6] != "queued" {
		t.Fatalf("editor A's export = %q; want the header and the one delivery of the organisation", rows)
	}
	if !strings.HasPrefix(rows[1][2], "'=") {
		t.Errorf("a title starting with = is written as %q; a spreadsheet would run it", rows[1][2])
	}
	if rows := csvRows(edB, "?orgId="+e.orgA.ID); len(rows) != 1 {
		t.Errorf("editor B exporting A's history got %d rows", len(rows)-1)
	}
	if rows := csvRows(ap, "?platform=x"); len(rows) != 3 {
		t.Errorf("the approver's export has %d rows, want both organisations' deliveries", len(rows)-1)
	}

	r := ap.do("GET", "/api/v1/deliveries/export?format=xlsx", nil).want(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != xlsx.ContentType {
		t.Errorf("Content-Type = %q", ct)
	}
	names, sheets, err := xlsx.Read(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || len(sheets[names[0]]) != 3 {
		t.Errorf("workbook: sheets %q, %d rows in the first", names, len(sheets[names[0]]))
	}

	ap.do("GET", "/api/v1/deliveries/export?format=pdf", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "format")
	ap.do("GET", "/api/v1/deliveries/export?platform=myspace", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "platform")
	ap.do("GET", "/api/v1/deliveries/export?from=2026-13-01", nil).wantError(t, http.StatusUnprocessableEntity, publisher.EINVALID).field(t, "from")
}
