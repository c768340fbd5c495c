package publisher_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// retractEnv is an env whose Facebook deletes posts (X does not: the fake
// has no Delete, like a platform whose API cannot delete).
func retractEnv(t *testing.T) (*env, *deletingConnector) {
	e := newEnv(t)
	fb := newDeleting(e.fb)
	e.rebuild(nil, nil, fb, e.x, e.ig, e.koo)
	return e, fb
}

func TestRetractPost(t *testing.T) {
	e, fb := retractEnv(t)
	ctx := context.Background()
	sys := publisher.SystemContext(ctx)
	fb2 := e.mustAccount(sys, e.org.ID, publisher.Facebook, "1002", "tok-fb2")
	fb3 := e.mustAccount(sys, e.org.ID, publisher.Facebook, "1003", "tok-fb3")
	fb4 := e.mustAccount(sys, e.org.ID, publisher.Facebook, "1004", "tok-fb4")
	const text = "गलत तिथि वाली सूचना"
	p := e.approvedPost(text, e.fbAcct, e.xAcct, fb2, fb3, fb4)
	ds := e.fanout(p)
	by := map[string]*publisher.Delivery{}
	for _, d := range ds {
		by[d.AccountID] = d
	}
	// Facebook page 1 and X: published. Page 2: still queued. Page 3:
	// unconfirmed (an interrupted call on a platform that cannot tell).
	// Page 4: a worker is sending it right now.
	for _, id := range []string{by[e.fbAcct.ID].ID, by[e.xAcct.ID].ID} {
		if err := e.svc.Deliver(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	e.claimAsDeadWorker(by[fb3.ID].ID)
	if _, err := e.store.ChangeDelivery(ctx, by[fb3.ID].ID, publisher.DeliveryChange{From: []publisher.DeliveryStatus{publisher.DeliverySending}, To: publisher.DeliveryUnconfirmed,
		NeedsLookup: ptrTo(true), ErrorMessage: "check the account", At: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	sending := e.claimAsDeadWorker(by[fb4.ID].ID)
	p, _ = e.store.GetPost(ctx, p.ID)

	// Who and what may be retracted.
	_, err := e.svc.RetractPost(as(e.editor), p.ID, p.Revision, "wrong date")
	wantCode(t, err, publisher.EFORBIDDEN)
	_, err = e.svc.RetractPost(as(e.approver), p.ID, p.Revision, "  ")
	wantField(t, err, "comment", "required")
	_, err = e.svc.RetractPost(as(e.approver), p.ID, p.Revision-1, "wrong date")
	wantCode(t, err, publisher.ECONFLICT)
	draft, _ := e.svc.CreatePost(as(e.editor), publisher.PostInput{Content: publisher.Content{BodyHI: "मसौदा"}, Targets: []string{e.fbAcct.ID}})
	_, err = e.svc.RetractPost(as(e.approver), draft.ID, draft.Revision, "not published")
	wantCode(t, err, publisher.ECONFLICT)

	got, err := e.svc.RetractPost(as(e.approver), p.ID, p.Revision, "The notice gave the wrong date")
	if err != nil || got.Status != publisher.PostRetracted {
		t.Fatalf("retract = %+v, %v", got, err)
	}
	if last := got.Review[len(got.Review)-1]; last.Action != "retract" || last.Comment != "The notice gave the wrong date" {
		t.Fatalf("review entry = %+v", last)
	}
	if !e.audited("post.retract", p.ID) {
		t.Fatal("retraction not audited")
	}
	if q := e.queue.retracts(); len(q) != 1 || q[0] != p.ID {
		t.Fatalf("retraction tasks = %v", q)
	}
	// What was waiting is cancelled at once; a queued delivery's task finds
	// nothing to do.
	if d := e.delivery(by[fb2.ID].ID); d.Status != publisher.DeliveryCancelled {
		t.Fatalf("queued delivery: %s, want cancelled", d.Status)
	}
	if err := e.svc.Deliver(ctx, by[fb2.ID].ID); err != nil || e.fb.postsWith(text) != 1 {
		t.Fatalf("a cancelled delivery's task: %v, %d posts", err, e.fb.postsWith(text))
	}
	// The task waits for the call in flight.
	var re *publisher.RetryError
	if err := e.svc.Retract(ctx, p.ID); !asRetry(err, &re) || !re.At.Equal(sending.LeaseUntil.Add(time.Second)) {
		t.Fatalf("Retract with a call in flight = %v, want a retry after its lease", err)
	}
	// The call ends (published) and the task runs again.
	if _, err := e.store.FinishDelivery(ctx, sending.ID, sending.ClaimToken, publisher.DeliveryResult{Status: publisher.DeliveryPublished, ExternalID: "1004_9",
		ExternalURL: "https://facebook.example/1004/posts/9", PublishedAt: ptrTo(e.clock.Now()), At: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Retract(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	r, err := e.svc.GetRetraction(as(e.editor), p.ID)
	if err != nil || !r.Done || r.Reason != "The notice gave the wrong date" || r.RequestedBy != e.approver.ID {
		t.Fatalf("retraction = %+v, %v", r, err)
	}
	outcomes := map[string]publisher.RetractOutcome{}
	for _, it := range r.Items {
		outcomes[it.AccountID] = it.Outcome
		if it.Outcome != publisher.RetractDeleted && it.Outcome != publisher.RetractCancelled && it.Message == "" {
			t.Errorf("%s: %s without a reason", it.AccountID, it.Outcome)
		}
	}
	want := map[string]publisher.RetractOutcome{
		e.fbAcct.ID: publisher.RetractDeleted, fb4.ID: publisher.RetractDeleted, e.xAcct.ID: publisher.RetractNotSupported,
		fb2.ID: publisher.RetractCancelled, fb3.ID: publisher.RetractCheckByHand,
	}
	for acct, o := range want {
		if outcomes[acct] != o {
			t.Errorf("account %s: %s, want %s", acct, outcomes[acct], o)
		}
	}
	// Deleted on the platform once each; the deliveries say so.
	if dels := fb.deletions(); len(dels) != 2 || dels["1004_9"] != 1 {
		t.Fatalf("deletions = %v", dels)
	}
	for acct, st := range map[string]publisher.DeliveryStatus{e.fbAcct.ID: publisher.DeliveryRetracted, fb4.ID: publisher.DeliveryRetracted,
		e.xAcct.ID: publisher.DeliveryPublished, fb3.ID: publisher.DeliveryCancelled} {
		if d := e.delivery(by[acct].ID); d.Status != st {
			t.Errorf("delivery to %s: %s, want %s", acct, d.Status, st)
		}
	}
	// The organisation and the requester are told what to remove by hand.
	ns, _, _ := e.store.ListNotifications(ctx, publisher.NotificationFilter{UserID: e.approver.ID})
	if len(ns) == 0 || ns[0].Kind != "post.retracted" || !strings.Contains(ns[0].Body, "X does not let Prasar delete posts") {
		t.Fatalf("requester's notification = %+v", ns)
	}
	if !e.audited("post.retraction_done", p.ID) {
		t.Fatal("finished retraction not audited")
	}
	// Done is done: the task again, or retracting again, change nothing.
	if err := e.svc.Retract(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	p, _ = e.store.GetPost(ctx, p.ID)
	_, err = e.svc.RetractPost(as(e.admin), p.ID, p.Revision, "again")
	wantCode(t, err, publisher.ECONFLICT)
	if len(fb.deletions()) != 2 {
		t.Fatal("a finished retraction deleted again")
	}
}

func TestRetractionSurvivesCrashesAndFailures(t *testing.T) {
	e, fb := retractEnv(t)
	ctx := context.Background()
	fb2 := e.mustAccount(publisher.SystemContext(ctx), e.org.ID, publisher.Facebook, "1002", "tok-fb2")
	hs := &hookStore{Store: e.store}
	e.rebuild(nil, hs, fb, e.x, e.ig, e.koo)
	p := e.approvedPost("वापस लें", e.fbAcct, fb2)
	for _, d := range e.fanout(p) {
		if err := e.svc.Deliver(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
	}
	p, _ = e.store.GetPost(ctx, p.ID)
	if _, err := e.svc.RetractPost(as(e.admin), p.ID, p.Revision, "Withdrawn by the department"); err != nil {
		t.Fatal(err)
	}
	// First run: page 1 deleted; page 2 fails for now; the worker dies
	// before the retraction is saved.
	fb.delErrs = []error{nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "(#2) Service temporarily unavailable"}}
	hs.retractFails = 1
	if err := e.svc.Retract(ctx, p.ID); err == nil || publisher.ErrorCode(err) != publisher.EINTERNAL {
		t.Fatalf("Retract with the save failing = %v", err)
	}
	// The next run starts over: deleting the first again is harmless, the
	// second now succeeds.
	if err := e.svc.Retract(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	r, _ := e.store.GetRetraction(ctx, p.ID)
	if !r.Done || len(r.Items) != 2 || r.Items[0].Outcome != publisher.RetractDeleted || r.Items[1].Outcome != publisher.RetractDeleted {
		t.Fatalf("retraction = %+v", r)
	}
	if d := fb.deletions(); len(d) != 2 {
		t.Fatalf("deletions = %v", d)
	}

	// A platform that keeps failing: retried with back-off, then recorded
	// as failed with its words.
	p2 := e.approvedPost("दूसरी बार", e.fbAcct)
	for _, d := range e.fanout(p2) {
		_ = e.svc.Deliver(ctx, d.ID)
	}
	p2, _ = e.store.GetPost(ctx, p2.ID)
	if _, err := e.svc.RetractPost(as(e.admin), p2.ID, p2.Revision, "Withdrawn"); err != nil {
		t.Fatal(err)
	}
	busy := &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "(#1) An unknown error occurred"}
	fb.delErrs = []error{busy, busy, busy, busy, busy}
	var re *publisher.RetryError
	for i := 0; i < 4; i++ {
		if err := e.svc.Retract(ctx, p2.ID); !asRetry(err, &re) {
			t.Fatalf("try %d: %v, want a retry", i+1, err)
		}
		e.clock.Add(time.Hour)
	}
	if err := e.svc.Retract(ctx, p2.ID); err != nil {
		t.Fatal(err)
	}
	r, _ = e.store.GetRetraction(ctx, p2.ID)
	if it := r.Items[0]; !r.Done || it.Outcome != publisher.RetractFailed || it.Tries != 5 || !strings.Contains(it.Message, "(#1) An unknown error occurred") {
		t.Fatalf("after five failures: %+v", r)
	}

	// The reconciler finds a retraction that stopped (its task was lost)
	// and queues it again; a finished one is left alone.
	p3 := e.approvedPost("तीसरी", e.fbAcct)
	for _, d := range e.fanout(p3) {
		_ = e.svc.Deliver(ctx, d.ID)
	}
	p3, _ = e.store.GetPost(ctx, p3.ID)
	e.queue.fail = nil
	if _, err := e.svc.RetractPost(as(e.admin), p3.ID, p3.Revision, "Withdrawn"); err != nil {
		t.Fatal(err)
	}
	before := len(e.queue.retracts())
	e.clock.Add(5 * time.Minute)
	rep, err := e.svc.Reconcile(ctx)
	if err != nil || rep.Retractions != 1 || len(e.queue.retracts()) != before+1 || e.queue.retracts()[before] != p3.ID {
		t.Fatalf("reconcile = %+v, %v, tasks %v; want the unfinished retraction queued", rep, err, e.queue.retracts())
	}
}

// TestRetractionDuringFanout: a retraction that lands while the fan-out is
// creating the deliveries (and whose task finishes before they exist)
// still stops them.
func TestRetractionDuringFanout(t *testing.T) {
	e, fb := retractEnv(t)
	ctx := context.Background()
	hs := &hookStore{Store: e.store}
	e.rebuild(nil, hs, fb, e.x, e.ig, e.koo)
	p := e.approvedPost("बीच में", e.fbAcct, e.xAcct)
	hs.afterCreate = func() {
		cur, _ := e.store.GetPost(ctx, p.ID)
		if _, err := e.svc.RetractPost(as(e.approver), cur.ID, cur.Revision, "Stop it"); err != nil {
			t.Errorf("retract during the fan-out: %v", err)
		}
		// Its task ran before the deliveries were visible to it? Either
		// way the fan-out must not queue them.
		if err := e.svc.Retract(ctx, p.ID); err != nil {
			t.Errorf("retract task: %v", err)
		}
	}
	_, before := e.queue.counts()
	if err := e.svc.Fanout(ctx, p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	if _, after := e.queue.counts(); after != before {
		t.Fatalf("the fan-out queued %d deliveries of a retracted post", after-before)
	}
	ds, _, _ := e.store.ListDeliveries(ctx, publisher.DeliveryFilter{PostID: p.ID})
	for _, d := range ds {
		if d.Status != publisher.DeliveryCancelled {
			t.Fatalf("delivery %s: %s, want cancelled", d.ID, d.Status)
		}
		_ = e.svc.Deliver(ctx, d.ID)
	}
	if e.fb.postsWith("बीच में")+e.x.postsWith("बीच में") != 0 {
		t.Fatal("a retracted post went out")
	}
}

func ptrTo[T any](v T) *T { return &v }
