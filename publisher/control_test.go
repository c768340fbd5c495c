package publisher_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

func TestPauseAllHoldsAndResumeDrains(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// A post already fanned out, with one delivery waiting to be retried.
	e.fb.errs = []error{&publisher.PlatformError{Class: publisher.ClassRetryable, Message: "503"}}
	p1 := e.approvedPost("पहली पोस्ट", e.fbAcct, e.xAcct)
	ds := e.fanout(p1)
	for _, d := range ds {
		_ = e.svc.Deliver(ctx, d.ID)
	}

	ps, _, err := e.svc.SetPaused(as(e.admin), "", true, "Model code of conduct")
	if err != nil || ps.Paused == nil || ps.Paused.Reason != "Model code of conduct" || ps.Paused.By != e.admin.ID {
		t.Fatalf("pause all = %+v, %v", ps, err)
	}
	// A post approved while paused: its fan-out holds; the post stays
	// approved.
	p2 := e.approvedPost("दूसरी पोस्ट", e.fbAcct)
	if err := e.svc.Fanout(ctx, p2.ID, p2.Revision); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.store.GetPost(ctx, p2.ID); got.Status != publisher.PostApproved {
		t.Fatalf("post approved while paused: %s, want approved (held)", got.Status)
	}
	// A delivery that comes due is held without calling the platform.
	e.clock.Add(2 * time.Minute)
	_, calls, _ := e.fb.stats()
	for _, d := range ds {
		if err := e.svc.Deliver(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, c2, _ := e.fb.stats(); c2 != calls {
		t.Fatal("a held delivery called the platform")
	}
	// The reconciler does not spin on held work.
	_, before := e.queue.counts()
	fanBefore, _ := e.queue.counts()
	e.clock.Add(5 * time.Minute)
	rep, err := e.svc.Reconcile(ctx)
	if err != nil || rep.Deliveries != 0 || rep.Fanouts != 0 {
		t.Fatalf("reconcile while paused = %+v, %v; want nothing re-queued", rep, err)
	}
	// Only an administrator pauses all; pausing twice changes nothing.
	_, _, err = e.svc.SetPaused(as(e.approver), "", false, "")
	wantCode(t, err, publisher.EFORBIDDEN)
	if _, _, err := e.svc.SetPaused(as(e.admin), "", true, "again"); err != nil {
		t.Fatal(err)
	}
	// Resume: everything held is queued again, and goes out once.
	ps, drained, err := e.svc.SetPaused(as(e.admin), "", false, "")
	if err != nil || ps.Paused != nil {
		t.Fatalf("resume = %+v, %v", ps, err)
	}
	fanAfter, after := e.queue.counts()
	if drained != 2 || after-before != 1 || fanAfter-fanBefore != 1 {
		t.Fatalf("resume queued %d (%d deliveries, %d fan-outs); want the retrying delivery and the held fan-out", drained, after-before, fanAfter-fanBefore)
	}
	e.clock.Add(5 * time.Second)
	for _, d := range ds {
		if err := e.svc.Deliver(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
	}
	ds2 := e.fanout(p2)
	for _, d := range ds2 {
		if err := e.svc.Deliver(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range append(ds, ds2...) {
		if got := e.delivery(d.ID); got.Status != publisher.DeliveryPublished {
			t.Fatalf("delivery %s after resuming: %s", d.ID, got.Status)
		}
	}
	if e.fb.postsWith("पहली पोस्ट") != 1 || e.fb.postsWith("दूसरी पोस्ट") != 1 || e.x.postsWith("पहली पोस्ट") != 1 {
		t.Fatal("not exactly one post each after resuming")
	}
	// Audited once each way, and the approvers were told.
	evs, _ := e.store.ListAudit(ctx, publisher.AuditFilter{ObjectID: "all"})
	var actions []string
	for _, ev := range evs {
		actions = append(actions, ev.Action)
	}
	if strings.Join(actions, ",") != "publishing.resume,publishing.pause" {
		t.Fatalf("audit = %v, want one pause and one resume", actions)
	}
	if k := e.notified(e.approver); !contains(k, "publishing.paused") || !contains(k, "publishing.resumed") {
		t.Fatalf("approver's notifications = %v", k)
	}
}

func TestPauseOneOrganisation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	health := e.mustAccount(publisher.SystemContext(ctx), e.otherOrg.ID, publisher.X, "6001", "tok-x-health")
	// Who may: approvers and admins; not editors; not unknown organisations.
	_, _, err := e.svc.SetPaused(as(e.editor), e.org.ID, true, "")
	wantCode(t, err, publisher.EFORBIDDEN)
	_, _, err = e.svc.SetPaused(as(e.approver), "org-none", true, "")
	wantCode(t, err, publisher.ENOTFOUND)
	_, _, err = e.svc.SetPaused(as(e.approver), e.org.ID, true, strings.Repeat("x", 501))
	wantField(t, err, "reason", "too_long")
	mine := e.fanout(e.approvedPost("कृषि मेला", e.fbAcct))[0]
	ps, _, err := e.svc.SetPaused(as(e.approver), e.org.ID, true, "Checking a video's facts")
	if err != nil || ps.PausedOrgs[e.org.ID] == nil || ps.Paused != nil {
		t.Fatalf("pause AGRI = %+v, %v", ps, err)
	}
	// A fan-out of the paused organisation holds too.
	held := e.approvedPost("कृषि मेला २", e.fbAcct)
	if ds := e.fanout(held); len(ds) != 0 {
		t.Fatalf("%d deliveries fanned out while the organisation is paused", len(ds))
	}
	pOther, err := e.svc.CreatePost(as(e.otherEditor), publisher.PostInput{Content: publisher.Content{BodyHI: "स्वास्थ्य शिविर"}, Targets: []string{health.ID}})
	if err != nil {
		t.Fatal(err)
	}
	pOther, _ = e.svc.SubmitPost(as(e.otherEditor), pOther.ID, pOther.Revision)
	pOther, err = e.svc.ApprovePost(as(e.approver), pOther.ID, pOther.Revision, "")
	if err != nil {
		t.Fatal(err)
	}
	theirs := e.fanout(pOther)[0]
	for _, id := range []string{mine.ID, theirs.ID} {
		if err := e.svc.Deliver(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.delivery(mine.ID); got.Status != publisher.DeliveryQueued || e.fb.postsWith("कृषि मेला") != 0 {
		t.Fatalf("the paused organisation's delivery: %s, %d posts; want queued, none", got.Status, e.fb.postsWith("कृषि मेला"))
	}
	if got := e.delivery(theirs.ID); got.Status != publisher.DeliveryPublished {
		t.Fatalf("another organisation's delivery: %s, want published", got.Status)
	}
	// The operations report shows it held.
	rep, err := e.svc.Operations(as(e.approver))
	if err != nil || rep.Held != 1 || rep.Settings.PausedOrgs[e.org.ID] == nil || rep.Counts[publisher.DeliveryPublished] != 1 {
		t.Fatalf("operations = %+v, %v; want 1 held, AGRI paused, 1 published", rep, err)
	}
	if k := e.notified(e.admin); !contains(k, "publishing.paused") {
		t.Fatalf("admin's notifications = %v", k)
	}
	// The reconciler leaves it; resuming sends it.
	e.clock.Add(5 * time.Minute)
	if rep, _ := e.svc.Reconcile(ctx); rep.Deliveries != 0 {
		t.Fatalf("reconcile re-queued %d held deliveries", rep.Deliveries)
	}
	if _, n, err := e.svc.SetPaused(as(e.admin), e.org.ID, false, ""); err != nil || n != 2 {
		t.Fatalf("resume AGRI = %d, %v; want 2 re-queued (a delivery and a fan-out)", n, err)
	}
	if err := e.svc.Deliver(ctx, mine.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.delivery(mine.ID); got.Status != publisher.DeliveryPublished || e.fb.postsWith("कृषि मेला") != 1 {
		t.Fatalf("after resuming: %s", got.Status)
	}
	if !e.audited("publishing.pause", e.org.ID) || !e.audited("publishing.resume", e.org.ID) {
		t.Fatal("organisation pause not audited")
	}
	// Editors may read the switches (for the banner) but not the report.
	if _, err := e.svc.GetPublishingSettings(as(e.editor)); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Operations(as(e.editor))
	wantCode(t, err, publisher.EFORBIDDEN)
}

func TestBudgets(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.rebuild(func(c *publisher.Config) {
		c.Budgets = []publisher.Budget{
			{Platform: publisher.X, Scope: publisher.BudgetAccount, Limit: 2, Window: 15 * time.Minute},
			{Platform: publisher.X, Scope: publisher.BudgetPlatform, Limit: 3, Window: time.Hour},
		}
	}, nil)
	x2 := e.mustAccount(publisher.SystemContext(ctx), e.org.ID, publisher.X, "2002", "tok-x2")
	publish := func(text string, accts ...*publisher.Account) []*publisher.Delivery {
		ds := e.fanout(e.approvedPost(text, accts...))
		for _, d := range ds {
			_ = e.svc.Deliver(ctx, d.ID)
		}
		return ds
	}
	publish("एक", e.xAcct)
	e.clock.Add(time.Minute)
	publish("दो", e.xAcct)
	e.clock.Add(time.Minute)
	// The account's budget (2 per 15 minutes) is used: the third waits
	// until the first leaves the window, without calling X or counting a
	// failure.
	third := publish("तीन", e.xAcct)[0]
	got := e.delivery(third.ID)
	firstAt := e.clock.Now().Add(-2 * time.Minute)
	if got.Status != publisher.DeliveryRetrying || got.Failures != 0 || got.ErrorClass != publisher.ClassRateLimited ||
		!got.NextAttemptAt.Equal(firstAt.Add(15*time.Minute+time.Second).Truncate(time.Millisecond)) || e.x.postsWith("तीन") != 0 {
		t.Fatalf("third post = %s, failures %d, class %s, next %v, %d posts; want retrying without a failure at %v",
			got.Status, got.Failures, got.ErrorClass, got.NextAttemptAt, e.x.postsWith("तीन"), firstAt.Add(15*time.Minute+time.Second))
	}
	if !strings.Contains(got.ErrorMessage, "2 per 15 minutes") || !strings.Contains(got.ErrorMessage, "IST") {
		t.Fatalf("the wait is not explained: %q", got.ErrorMessage)
	}
	// Another account of X still has room in its own budget, and the
	// platform's (3 per hour) takes it to its limit.
	other := publish("चार", x2)[0]
	if got := e.delivery(other.ID); got.Status != publisher.DeliveryPublished {
		t.Fatalf("second account: %s, want published", got.Status)
	}
	// Once the window frees, the account's own budget allows the third,
	// but the platform's does not (3 in the last hour).
	e.clock.Add(15 * time.Minute)
	if err := e.svc.Deliver(ctx, third.ID); err == nil {
		t.Fatal("the platform's budget let a fourth post through within the hour")
	}
	if got := e.delivery(third.ID); got.Status != publisher.DeliveryRetrying || !strings.Contains(got.ErrorMessage, "3 per 1 hour") {
		t.Fatalf("third post = %s %q, want waiting for the platform's budget", got.Status, got.ErrorMessage)
	}
	e.clock.Add(time.Hour)
	if err := e.svc.Deliver(ctx, third.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.delivery(third.ID); got.Status != publisher.DeliveryPublished || e.x.postsWith("तीन") != 1 || got.Failures != 0 {
		t.Fatalf("third post after the windows: %s", got.Status)
	}
	// A call in flight counts: a worker holds a delivery of the account.
	e.clock.Add(time.Hour)
	publish("पाँच", e.xAcct)
	held := e.fanout(e.approvedPost("छह", e.xAcct))[0]
	e.claimAsDeadWorker(held.ID)
	waits := e.fanout(e.approvedPost("सात", e.xAcct))[0]
	var re *publisher.RetryError
	if err := e.svc.Deliver(ctx, waits.ID); !asRetry(err, &re) || re.At.After(e.clock.Now().Add(time.Minute)) {
		t.Fatalf("with a call in flight = %v, want a short wait for the call to end", err)
	}
	// Facebook has no budget here: untouched.
	if d := publish("आठ", e.fbAcct)[0]; e.delivery(d.ID).Status != publisher.DeliveryPublished {
		t.Fatal("a platform without a budget was held")
	}
}

func TestParseBudgets(t *testing.T) {
	got, err := publisher.ParseBudgets(publisher.DefaultBudgetsString())
	if err != nil || publisher.FormatBudgets(got) != publisher.FormatBudgets(publisher.DefaultBudgets) {
		t.Fatalf("the defaults do not round-trip: %v, %v", got, err)
	}
	if s := publisher.DefaultBudgetsString(); !strings.Contains(s, "instagram:account:100/24h") || !strings.Contains(s, "threads:account:250/24h") || !strings.Contains(s, "x:account:100/15m") {
		t.Fatalf("defaults = %s", s)
	}
	none, err := publisher.ParseBudgets("none")
	if err != nil || none == nil || len(none) != 0 {
		t.Fatalf("none = %v, %v; want an empty list", none, err)
	}
	b, err := publisher.ParseBudgets(" X:Platform:500/3h , telegram:account:20/1m")
	if err != nil || len(b) != 2 || b[0] != (publisher.Budget{Platform: publisher.X, Scope: publisher.BudgetPlatform, Limit: 500, Window: 3 * time.Hour}) {
		t.Fatalf("parse = %v, %v", b, err)
	}
	for _, bad := range []string{"x:account:100", "x:user:100/15m", "myspace:account:1/1h", "x:account:0/1h", "x:account:5/0s", "x:account:5/soon"} {
		if _, err := publisher.ParseBudgets(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestOperationsReport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.fb.errs = []error{&publisher.PlatformError{Class: publisher.ClassRejected, Message: "(#100) Invalid parameter"}}
	ds := e.fanout(e.approvedPost("रिपोर्ट", e.fbAcct, e.xAcct))
	for _, d := range ds {
		_ = e.svc.Deliver(ctx, d.ID)
	}
	rep, err := e.svc.Operations(as(e.admin))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts[publisher.DeliveryFailed] != 1 || rep.Counts[publisher.DeliveryPublished] != 1 || rep.Held != 0 || rep.Settings == nil {
		t.Fatalf("report = %+v", rep)
	}
	if len(rep.Attention) != 1 || rep.Attention[0].Status != publisher.DeliveryFailed || rep.Attention[0].PlatformMessage != "(#100) Invalid parameter" {
		t.Fatalf("attention = %+v", rep.Attention)
	}
	_, err = e.svc.Operations(context.Background())
	wantCode(t, err, publisher.EUNAUTHORIZED)
}
