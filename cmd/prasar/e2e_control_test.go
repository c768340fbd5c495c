//go:build embedui

package main

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// TestE2EPublishingControl clicks through the PR section's controls in
// headless Chromium: the admin pauses all publishing on the operations
// page; a post approved meanwhile waits (the post page says why); resuming
// publishes it while the operations page counts it live; the approver then
// retracts it, and the post page lists, per account, what could not be
// deleted.
func TestE2EPublishingControl(t *testing.T) {
	m := startE2EServer(t)
	ctx := context.Background()
	store, svc := m.Store(), m.Service()
	agri, err := store.GetOrgByCode(ctx, "AGRI")
	if err != nil {
		t.Fatal(err)
	}
	// One Facebook page of the organisation: the sandbox's Facebook cannot
	// delete through Prasar's connector, which the retraction must say.
	var page *publisher.Account
	accts, _ := store.ListAccounts(ctx, publisher.AccountFilter{OrgID: agri.ID, Platform: publisher.Facebook})
	for _, a := range accts {
		if a.Status == publisher.AccountConnected {
			page = a
			break
		}
	}
	if page == nil {
		t.Fatal("the demo gives AGRI no connected Facebook page")
	}
	as := func(email string) context.Context {
		u, err := store.GetUserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return publisher.NewContextWithUser(ctx, u)
	}

	b := startBrowser(t, m.URL())
	b.open("/operations")
	b.signIn(e2eAdmin, e2ePassword)
	b.waitJS("the operations page, live", e2eStep, `location.pathname === '/operations' && document.querySelector('[data-testid="ops-live"]')?.dataset.mode === 'sse'`)
	published0 := eval[string](b, `document.querySelector('[data-testid="ops-count-published"]').dataset.count`)
	b.click("pause-all")
	b.typeInto("ops-reason", "Model code of conduct")
	b.click("ops-confirm")
	b.waitJS("all publishing paused", e2eStep, `document.querySelector('[data-testid="ops-all"]')?.dataset.paused === 'true'`)
	if ps, err := svc.GetPublishingSettings(as(e2eAdmin)); err != nil || ps.Paused == nil || ps.Paused.Reason != "Model code of conduct" {
		t.Fatalf("settings after pausing = %+v, %v", ps, err)
	}

	// A post approved while paused waits, and its page says why.
	p, err := svc.CreatePost(as(e2eEditor), publisher.PostInput{OrgID: agri.ID, Kind: publisher.KindPost, Title: "Mandi rates (paused)",
		Content: publisher.Content{BodyHI: "आज के मंडी भाव", BodyEN: "Today's mandi rates"}, Targets: []string{page.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = svc.SubmitPost(as(e2eEditor), p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	if p, err = svc.ApprovePost(as(e2eApprover), p.ID, p.Revision, ""); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the fan-out task comes and goes
	if got, _ := store.GetPost(ctx, p.ID); got.Status != publisher.PostApproved {
		t.Fatalf("a post approved while paused is %s, want approved (waiting)", got.Status)
	}
	tab, closeTab := b.newTab()
	defer closeTab()
	tab.open("/posts/" + p.ID)
	tab.waitJS("the paused banner on the post page", e2eStep, `!!document.querySelector('[data-testid="paused-banner"]')`)

	// Resume: the post goes out; the operations page counts it live.
	b.click("resume-all")
	b.click("ops-confirm")
	b.waitJS("publishing running again", e2eStep, `document.querySelector('[data-testid="ops-all"]')?.dataset.paused === 'false'`)
	b.waitJS("the published count going up live", 30*time.Second,
		`Number(document.querySelector('[data-testid="ops-count-published"]').dataset.count) > `+published0)
	waitFor(t, 30*time.Second, "the delivery published", func() (bool, string) {
		c, s := countStatuses(t, store, p.ID)
		return c[publisher.DeliveryPublished] == 1, s
	})
	b.signOut()

	// The approver retracts it, with a reason.
	b.open("/posts/" + p.ID)
	b.signIn(e2eApprover, e2ePassword)
	b.waitJS("the post page of a published post", e2eStep, `document.querySelector('[data-testid="post-status"]')?.dataset.status === 'publishing'`)
	b.click("retract-post")
	b.typeInto("retract-reason", "गलत भाव प्रकाशित हुए")
	b.click("retract-confirm")
	b.waitJS("the post retracted", e2eStep, `document.querySelector('[data-testid="post-status"]')?.dataset.status === 'retracted'`)
	b.waitJS("the retraction finished and listed", 30*time.Second, `document.querySelector('[data-testid="retraction"]')?.dataset.done === 'true'`)
	ds, _, _ := store.ListDeliveries(ctx, publisher.DeliveryFilter{PostID: p.ID})
	if len(ds) != 1 {
		t.Fatalf("%d deliveries", len(ds))
	}
	outcome := b.attr("retraction-item-"+ds[0].ID, "data-outcome")
	r, err := svc.GetRetraction(as(e2eApprover), p.ID)
	if err != nil || !r.Done || len(r.Items) != 1 || string(r.Items[0].Outcome) != outcome {
		t.Fatalf("retraction = %+v, %v; the page shows %q", r, err, outcome)
	}
	if _, deletes := m.Service().Connector(publisher.Facebook).(publisher.Deleter); !deletes && outcome != string(publisher.RetractNotSupported) {
		t.Fatalf("outcome %q for a platform Prasar cannot delete on, want not_supported", outcome)
	}
	if n := len(m.Sandbox().Posts("facebook", page.ExternalID)); n < 1 {
		t.Fatalf("the page has %d posts", n)
	}
	t.Logf("retraction of %s: %s (%s)", strconv.Quote(p.Title), outcome, r.Items[0].Message)
}
