package publisher_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

var istZone = time.FixedZone("IST", 5*3600+1800)

// scheduledInReview writes a post scheduled at `at` and submits it.
func (e *env) scheduledInReview(text string, at time.Time) *publisher.Post {
	e.t.Helper()
	p, err := e.svc.CreatePost(as(e.editor), publisher.PostInput{Content: publisher.Content{BodyHI: text}, Targets: []string{e.fbAcct.ID}, ScheduledAt: &at})
	if err != nil {
		e.t.Fatal(err)
	}
	if p, err = e.svc.SubmitPost(as(e.editor), p.ID, p.Revision); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// TestScheduleAcrossISTMidnight: 00:10 IST on 29 November is 18:40 UTC on
// the 28th. The time is stored in UTC, the fan-out waits for it across the
// date change, and publishes then.
func TestScheduleAcrossISTMidnight(t *testing.T) {
	e := newEnv(t)
	e.clock.t = time.Date(2026, 11, 28, 23, 30, 0, 0, istZone) // 18:00 UTC
	at := time.Date(2026, 11, 29, 0, 10, 0, 0, istZone)
	p := e.scheduledInReview("आधी रात के बाद", at)
	if want := time.Date(2026, 11, 28, 18, 40, 0, 0, time.UTC); !p.ScheduledAt.Equal(want) || p.ScheduledAt.Location() != time.UTC {
		t.Fatalf("stored %v, want %v in UTC", p.ScheduledAt, want)
	}
	p, err := e.svc.ApprovePost(as(e.approver), p.ID, p.Revision, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.queue.at[p.ID+":1"]; !got.Equal(at) {
		t.Fatalf("fan-out queued for %v, want %v", got, at)
	}
	// 23:59 IST on the 28th: not yet.
	e.clock.t = time.Date(2026, 11, 28, 23, 59, 0, 0, istZone)
	var re *publisher.RetryError
	if err := e.svc.Fanout(context.Background(), p.ID, p.Revision); !asRetry(err, &re) || !re.At.Equal(at) {
		t.Fatalf("fan-out before midnight = %v, want a retry at %v", err, at)
	}
	// 00:10 IST on the 29th: it goes.
	e.clock.t = at
	if ds := e.fanout(p); len(ds) != 1 {
		t.Fatalf("%d deliveries at the scheduled time", len(ds))
	}
}

func TestLateApprovalAndExpiry(t *testing.T) {
	e := newEnv(t) // the missed window is 15 minutes by default
	start := time.Date(2026, 11, 28, 23, 50, 0, 0, istZone)
	e.clock.t = start
	at := time.Date(2026, 11, 29, 0, 5, 0, 0, istZone) // after IST midnight
	late := e.scheduledInReview("देर से स्वीकृत", at)
	missed := e.scheduledInReview("समय निकल गया", at)
	early := e.scheduledInReview("समय पर", at.Add(time.Hour))

	// Ten minutes after the scheduled time: still approvable, publishes at
	// once.
	e.clock.t = at.Add(10 * time.Minute)
	p, err := e.svc.ApprovePost(as(e.approver), late.ID, late.Revision, "")
	if err != nil || p.Status != publisher.PostApproved {
		t.Fatalf("approval 10 minutes late = %v, %v; want approved", p, err)
	}
	if ds := e.fanout(p); len(ds) != 1 {
		t.Fatal("a late approval within the window did not fan out at once")
	}
	// Reconciling inside the window sends nothing back.
	if rep, err := e.svc.Reconcile(context.Background()); err != nil || rep.Expired != 0 {
		t.Fatalf("reconcile inside the window = %+v, %v", rep, err)
	}
	// Twenty minutes after: refused with the window in the answer.
	e.clock.t = at.Add(20 * time.Minute)
	_, err = e.svc.ApprovePost(as(e.approver), missed.ID, missed.Revision, "")
	fe := wantField(t, err, "scheduledAt", "missed")
	if fe.Params["minutes"] != "15" || !strings.Contains(fe.Message, "29 Nov 2026, 00:05 IST") {
		t.Fatalf("field error = %+v", fe)
	}
	// The reconciler sends it back to its author with a note; the post
	// scheduled later is left alone.
	rep, err := e.svc.Reconcile(context.Background())
	if err != nil || rep.Expired != 1 {
		t.Fatalf("reconcile = %+v, %v; want one expired", rep, err)
	}
	got, _ := e.store.GetPost(context.Background(), missed.ID)
	last := got.Review[len(got.Review)-1]
	if got.Status != publisher.PostChangesRequested || last.Action != "expire" || !strings.Contains(last.Comment, "29 Nov 2026, 00:05 IST") {
		t.Fatalf("expired post = %s, last step %+v", got.Status, last)
	}
	if g, _ := e.store.GetPost(context.Background(), early.ID); g.Status != publisher.PostInReview {
		t.Fatalf("the later post = %s, want still in review", g.Status)
	}
	if k := e.notified(e.editor); !contains(k, "post.expired") {
		t.Fatalf("author's notifications = %v", k)
	}
	if !e.audited("post.expire", missed.ID) {
		t.Fatal("expiry not audited")
	}
	// The author picks a new time and submits again.
	newAt := e.clock.Now().Add(2 * time.Hour)
	if _, err := e.svc.UpdatePost(as(e.editor), got.ID, got.Revision, publisher.PostInput{Content: got.Content, Targets: got.Targets, ScheduledAt: &newAt}); err != nil {
		t.Fatal(err)
	}
	got, _ = e.store.GetPost(context.Background(), missed.ID)
	if _, err := e.svc.SubmitPost(as(e.editor), got.ID, got.Revision); err != nil {
		t.Fatalf("resubmitting with a new time: %v", err)
	}
}

func TestMissedWindowIsConfigurable(t *testing.T) {
	e := newEnv(t)
	e.rebuild(func(c *publisher.Config) { c.MissedWindow = time.Hour }, nil)
	at := e.clock.Now().Add(time.Minute)
	p := e.scheduledInReview("एक घंटे की छूट", at)
	e.clock.Add(50 * time.Minute)
	if _, err := e.svc.ApprovePost(as(e.approver), p.ID, p.Revision, ""); err != nil {
		t.Fatalf("approval 49 minutes late with a 1-hour window: %v", err)
	}
}

func TestCancelScheduledPost(t *testing.T) {
	e := newEnv(t)
	at := e.clock.Now().Add(3 * time.Hour)
	p := e.scheduledInReview("रद्द होने वाली", at)
	p, err := e.svc.ApprovePost(as(e.approver), p.ID, p.Revision, "")
	if err != nil {
		t.Fatal(err)
	}
	// An editor of another organisation cannot; the PR section can, before
	// the fan-out.
	_, err = e.svc.CancelPost(as(e.otherEditor), p.ID, p.Revision, "")
	wantCode(t, err, publisher.ENOTFOUND)
	p, err = e.svc.CancelPost(as(e.approver2), p.ID, p.Revision, "Event postponed")
	if err != nil || p.Status != publisher.PostCancelled {
		t.Fatalf("cancel = %+v, %v", p, err)
	}
	// Its queued fan-out, when the time comes, does nothing.
	e.clock.Add(4 * time.Hour)
	if ds := e.fanout(p); len(ds) != 0 {
		t.Fatalf("%d deliveries of a cancelled post", len(ds))
	}
	// An approver cannot cancel a post still in review (that is a
	// rejection), nor one already publishing (that is a retraction).
	q := e.scheduledInReview("समीक्षा में", e.clock.Now().Add(time.Hour))
	_, err = e.svc.CancelPost(as(e.approver), q.ID, q.Revision, "")
	wantCode(t, err, publisher.EFORBIDDEN)
	r := e.approvedPost("प्रकाशित", e.fbAcct)
	e.fanout(r)
	r, _ = e.store.GetPost(context.Background(), r.ID)
	_, err = e.svc.CancelPost(as(e.editor), r.ID, r.Revision, "")
	wantCode(t, err, publisher.ECONFLICT)
}
