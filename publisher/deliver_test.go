package publisher_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

func asRetry(err error, re **publisher.RetryError) bool { return errors.As(err, re) }

func TestDeliverOutcomes(t *testing.T) {
	rateLimited := &publisher.PlatformError{Class: publisher.ClassRateLimited, Message: "(#4) Application request limit reached"}
	tests := []struct {
		name        string
		errs        []error
		wantStatus  publisher.DeliveryStatus
		wantClass   publisher.ErrorClass
		wantRetry   bool
		wantPosts   int
		wantFailure int
	}{
		{"success", nil, publisher.DeliveryPublished, "", false, 1, 0},
		{"rejected content is not retried", []error{&publisher.PlatformError{Class: publisher.ClassRejected, Message: "(#506) Duplicate status message"}}, publisher.DeliveryFailed, publisher.ClassRejected, false, 0, 0},
		{"expired token waits for reconnection", []error{&publisher.PlatformError{Class: publisher.ClassAuth, Message: "Error validating access token: Session has expired"}}, publisher.DeliveryNeedsReconnect, publisher.ClassAuth, false, 0, 0},
		{"rate limit waits for the reset without counting a failure", []error{rateLimited}, publisher.DeliveryRetrying, publisher.ClassRateLimited, true, 0, 0},
		{"server error retries with back-off", []error{&publisher.PlatformError{Class: publisher.ClassRetryable, Message: "500"}}, publisher.DeliveryRetrying, publisher.ClassRetryable, true, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			rateLimited.RetryAt = e.clock.Now().Add(15 * time.Minute)
			e.fb.errs = tt.errs
			p := e.approvedPost("हरियाणा में नई सड़क", e.fbAcct)
			d := e.fanout(p)[0]
			err := e.svc.Deliver(context.Background(), d.ID)
			var re *publisher.RetryError
			if asRetry(err, &re) != tt.wantRetry {
				t.Fatalf("Deliver = %v, want retry %v", err, tt.wantRetry)
			}
			got := e.delivery(d.ID)
			if got.Status != tt.wantStatus || got.ErrorClass != tt.wantClass || got.Failures != tt.wantFailure {
				t.Fatalf("delivery = status %s class %s failures %d; want %s %s %d", got.Status, got.ErrorClass, got.Failures, tt.wantStatus, tt.wantClass, tt.wantFailure)
			}
			if posts, _, _ := e.fb.stats(); posts != tt.wantPosts {
				t.Fatalf("platform has %d posts, want %d", posts, tt.wantPosts)
			}
			if tt.wantStatus == publisher.DeliveryPublished && (got.ExternalURL == "" || got.ExternalID == "" || got.PublishedAt == nil) {
				t.Fatalf("published delivery lacks its link: %+v", got)
			}
			if tt.wantClass != "" && (got.ErrorMessage == "" || (len(tt.errs) > 0 && got.PlatformMessage == "")) {
				t.Fatalf("error not explained: %+v", got)
			}
			if tt.wantClass == publisher.ClassRateLimited && !got.NextAttemptAt.Equal(rateLimited.RetryAt) {
				t.Fatalf("next attempt %v, want the platform's reset %v", got.NextAttemptAt, rateLimited.RetryAt)
			}
			if tt.wantClass == publisher.ClassAuth {
				a, _ := e.store.GetAccount(context.Background(), e.fbAcct.ID)
				if a.Status != publisher.AccountNeedsReconnect {
					t.Fatalf("account status = %s, want needs_reconnect", a.Status)
				}
			}
			as, _ := e.store.ListAttempts(context.Background(), d.ID)
			if len(as) != 1 {
				t.Fatalf("%d attempts recorded, want 1", len(as))
			}
			// A duplicate task for a finished delivery does nothing.
			if tt.wantStatus.Final() {
				_, calls, _ := e.fb.stats()
				if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
					t.Fatal(err)
				}
				if _, calls2, _ := e.fb.stats(); calls2 != calls {
					t.Fatal("a duplicate task called the platform again")
				}
			}
		})
	}
}

// TestCrashPoints kills a worker (abandons its claim) at each point of the
// protocol and checks that the next worker neither loses nor doubles the
// post.
func TestCrashPoints(t *testing.T) {
	tests := []struct {
		name string
		// crash does the dead worker's part after it claimed the delivery.
		crash       func(e *env, d *publisher.Delivery)
		wantCalls   int // platform calls in all
		wantLookups int
	}{
		{"after the claim, before calling the platform", func(e *env, d *publisher.Delivery) {}, 1, 1},
		{"after the platform answered, before the result was stored", func(e *env, d *publisher.Delivery) {
			cred := publisher.Credentials{AccessToken: "tok-fb"}
			if _, err := e.fb.Publish(context.Background(), e.fbAcct, cred, publisher.Message{Text: "सड़क सुरक्षा सप्ताह"}); err != nil {
				e.t.Fatal(err)
			}
		}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			p := e.approvedPost("सड़क सुरक्षा सप्ताह", e.fbAcct)
			d := e.fanout(p)[0]
			now := e.clock.Now()
			claimed, err := e.store.ClaimDelivery(context.Background(), d.ID, publisher.Claim{Token: "dead-worker", Now: now, LeaseUntil: now.Add(2 * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			tt.crash(e, claimed)
			// While the lease holds, another worker leaves it alone and
			// comes back when the lease lapses.
			var re *publisher.RetryError
			if err := e.svc.Deliver(context.Background(), d.ID); !asRetry(err, &re) || !re.At.Equal(*claimed.LeaseUntil) {
				t.Fatalf("Deliver during the lease = %v, want a retry at %v", err, claimed.LeaseUntil)
			}
			if got := e.delivery(d.ID); got.Status != publisher.DeliverySending {
				t.Fatalf("status during the lease = %s", got.Status)
			}
			// The lease lapses; the reconciler requeues; the next worker resumes.
			e.clock.Add(3 * time.Minute)
			rep, err := e.svc.Reconcile(context.Background())
			if err != nil || rep.Deliveries != 1 {
				t.Fatalf("reconcile = %+v, %v; want the abandoned delivery requeued", rep, err)
			}
			if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
				t.Fatal(err)
			}
			got := e.delivery(d.ID)
			posts, calls, lookups := e.fb.stats()
			if got.Status != publisher.DeliveryPublished || posts != 1 || calls != tt.wantCalls || lookups != tt.wantLookups {
				t.Fatalf("status %s, %d posts on the platform, %d calls, %d look-ups; want published, 1, %d, %d", got.Status, posts, calls, lookups, tt.wantCalls, tt.wantLookups)
			}
			if got.Attempts != 2 {
				t.Fatalf("attempts = %d, want 2", got.Attempts)
			}
		})
	}
}

func TestAmbiguousFailureIsLookedUpNotReposted(t *testing.T) {
	e := newEnv(t)
	e.fb.errs = []error{ambiguousCommit}
	p := e.approvedPost("जल शक्ति अभियान", e.fbAcct)
	d := e.fanout(p)[0]
	err := e.svc.Deliver(context.Background(), d.ID)
	var re *publisher.RetryError
	if !asRetry(err, &re) {
		t.Fatalf("Deliver = %v, want a retry", err)
	}
	got := e.delivery(d.ID)
	if got.Status != publisher.DeliveryRetrying || !got.NeedsLookup {
		t.Fatalf("after an ambiguous failure: %s needsLookup=%v", got.Status, got.NeedsLookup)
	}
	// Not due yet: the task asks to come back at the retry time.
	if err := e.svc.Deliver(context.Background(), d.ID); !asRetry(err, &re) {
		t.Fatalf("early retry = %v", err)
	}
	e.clock.Add(2 * time.Minute)
	if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
		t.Fatal(err)
	}
	got = e.delivery(d.ID)
	posts, calls, lookups := e.fb.stats()
	if got.Status != publisher.DeliveryPublished || posts != 1 || calls != 1 || lookups != 1 {
		t.Fatalf("status %s, posts %d, calls %d, lookups %d; want published, 1, 1, 1", got.Status, posts, calls, lookups)
	}
}

func TestUnconfirmedWhenThePlatformCannotTell(t *testing.T) {
	e := newEnv(t)
	e.fb.errs = []error{ambiguousCommit}
	e.fb.lookupErr = publisher.ErrLookupUnsupported
	p := e.approvedPost("बेटी बचाओ बेटी पढ़ाओ", e.fbAcct)
	d := e.fanout(p)[0]
	_ = e.svc.Deliver(context.Background(), d.ID)
	e.clock.Add(2 * time.Minute)
	if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
		t.Fatal(err)
	}
	got := e.delivery(d.ID)
	if got.Status != publisher.DeliveryUnconfirmed {
		t.Fatalf("status = %s, want unconfirmed", got.Status)
	}
	if posts, calls, _ := e.fb.stats(); posts != 1 || calls != 1 {
		t.Fatalf("posted blindly again: %d posts, %d calls", posts, calls)
	}
	// A person checks the account and confirms it with the post's address.
	_, err := e.svc.ResolveUnconfirmed(as(e.editor), d.ID, true, "not a url")
	wantField(t, err, "url", "invalid_url")
	_, err = e.svc.ResolveUnconfirmed(as(e.otherEditor), d.ID, true, "https://facebook.example/1")
	wantCode(t, err, publisher.ENOTFOUND)
	r, err := e.svc.ResolveUnconfirmed(as(e.editor), d.ID, true, "https://facebook.example/1001/posts/1")
	if err != nil || r.Status != publisher.DeliveryPublished || r.ExternalURL != "https://facebook.example/1001/posts/1" {
		t.Fatalf("resolve = %+v, %v", r, err)
	}
	_, err = e.svc.ResolveUnconfirmed(as(e.editor), d.ID, true, "https://facebook.example/1001/posts/1")
	wantCode(t, err, publisher.ECONFLICT)
}

func TestGivingUp(t *testing.T) {
	fail := &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "503 Service Unavailable"}
	for _, tt := range []struct {
		name string
		err  error
		want publisher.DeliveryStatus
	}{
		{"non-ambiguous failures end failed", fail, publisher.DeliveryFailed},
		{"ambiguous failures end unconfirmed", &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "timeout", Ambiguous: true}, publisher.DeliveryUnconfirmed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.fb.errs = []error{tt.err, tt.err, tt.err, tt.err}
			if tt.want == publisher.DeliveryUnconfirmed {
				e.fb.lookupErr = publisher.ErrNotPublished
			}
			p := e.approvedPost("पराली न जलाएं", e.fbAcct)
			d := e.fanout(p)[0]
			for i := 0; i < 5; i++ {
				_ = e.svc.Deliver(context.Background(), d.ID)
				e.clock.Add(2 * time.Minute)
			}
			got := e.delivery(d.ID)
			if got.Status != tt.want || got.Failures != 3 {
				t.Fatalf("status %s failures %d; want %s after 3 (MaxFailures)", got.Status, got.Failures, tt.want)
			}
			// A person retries it once the platform is back.
			e.fb.errs, e.fb.lookupErr = nil, nil
			r, err := e.svc.RetryDelivery(as(e.editor), d.ID)
			if err != nil || r.Status != publisher.DeliveryQueued || r.Failures != 0 {
				t.Fatalf("retry = %+v, %v", r, err)
			}
			if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
				t.Fatal(err)
			}
			if got := e.delivery(d.ID); got.Status != publisher.DeliveryPublished {
				t.Fatalf("after manual retry: %s", got.Status)
			}
			if posts, _, _ := e.fb.stats(); posts != 1 {
				t.Fatalf("%d posts on the platform, want 1", posts)
			}
		})
	}
}

func TestReconnectionReleasesWaitingDeliveries(t *testing.T) {
	e := newEnv(t)
	e.fb.errs = []error{&publisher.PlatformError{Class: publisher.ClassAuth, Message: "(#190) Error validating access token"}}
	p := e.approvedPost("खेल महाकुंभ", e.fbAcct)
	d := e.fanout(p)[0]
	_ = e.svc.Deliver(context.Background(), d.ID)
	if got := e.delivery(d.ID); got.Status != publisher.DeliveryNeedsReconnect {
		t.Fatalf("status = %s", got.Status)
	}
	_, before := e.queue.counts()
	if _, err := e.svc.SaveAccount(as(e.editor), publisher.AccountInput{OrgID: e.org.ID, Platform: publisher.Facebook, Handle: e.fbAcct.Handle, ExternalID: e.fbAcct.ExternalID, Credentials: &publisher.Credentials{AccessToken: "new-token"}}); err != nil {
		t.Fatal(err)
	}
	if got := e.delivery(d.ID); got.Status != publisher.DeliveryQueued {
		t.Fatalf("after reconnection: %s, want queued", got.Status)
	}
	if _, after := e.queue.counts(); after != before+1 {
		t.Fatalf("enqueued %d deliveries on reconnection, want 1", after-before)
	}
	if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.delivery(d.ID); got.Status != publisher.DeliveryPublished {
		t.Fatalf("status = %s", got.Status)
	}
}

func TestFanoutIsIdempotentAndReconciled(t *testing.T) {
	e := newEnv(t)
	e.queue.fail = errors.New("redis: connection refused")
	p := e.approvedPost("स्वच्छ भारत", e.fbAcct, e.xAcct)
	if err := e.svc.Fanout(context.Background(), p.ID, p.Revision); err == nil {
		t.Fatal("fan-out hid a failed enqueue")
	}
	e.queue.fail = nil
	ds := e.fanout(p) // the task's retry
	if len(ds) != 2 {
		t.Fatalf("%d deliveries, want 2", len(ds))
	}
	ds = e.fanout(p) // a duplicate task
	if len(ds) != 2 {
		t.Fatalf("%d deliveries after a duplicate fan-out, want 2", len(ds))
	}
	got, _ := e.store.GetPost(context.Background(), p.ID)
	if got.Status != publisher.PostPublishing || got.FanoutRevision != p.Revision {
		t.Fatalf("post = %s fanout %d", got.Status, got.FanoutRevision)
	}
	// Edits are refused once publishing started.
	_, err := e.svc.UpdatePost(as(e.editor), p.ID, got.Revision, publisher.PostInput{Content: publisher.Content{BodyHI: "x"}, Targets: got.Targets})
	wantCode(t, err, publisher.ECONFLICT)

	// The queue lost the tasks (Redis restarted): the reconciler requeues
	// the deliveries once they have been still for the grace period.
	_, before := e.queue.counts()
	if rep, _ := e.svc.Reconcile(context.Background()); rep.Deliveries != 0 {
		t.Fatalf("reconciled fresh deliveries: %+v", rep)
	}
	e.clock.Add(3 * time.Minute)
	rep, err := e.svc.Reconcile(context.Background())
	if err != nil || rep.Deliveries != 2 {
		t.Fatalf("reconcile = %+v, %v", rep, err)
	}
	if _, after := e.queue.counts(); after != before+2 {
		t.Fatalf("reconcile enqueued %d", after-before)
	}
}

func TestReconcileRequeuesLostFanout(t *testing.T) {
	e := newEnv(t)
	e.queue.fail = errors.New("redis down")
	p := e.approvedPost("योग दिवस", e.fbAcct) // approval stands although the enqueue failed
	if p.Status != publisher.PostApproved {
		t.Fatalf("status %s", p.Status)
	}
	e.queue.fail = nil
	e.clock.Add(3 * time.Minute)
	rep, err := e.svc.Reconcile(context.Background())
	if err != nil || rep.Fanouts != 1 {
		t.Fatalf("reconcile = %+v, %v", rep, err)
	}
}

func TestDuplicateAfterInterruptionIsUnconfirmed(t *testing.T) {
	e := newEnv(t)
	dup := &publisher.PlatformError{Class: publisher.ClassRejected, Message: "(#506) Duplicate status message", Duplicate: true}
	// The first attempt is interrupted; the look-up misses the post (say,
	// the platform's feed lags), and the platform then calls it a duplicate.
	e.fb.errs = []error{&publisher.PlatformError{Class: publisher.ClassRetryable, Message: "timeout", Ambiguous: true}, dup}
	e.fb.lookupErr = publisher.ErrNotPublished
	p := e.approvedPost("हर घर तिरंगा", e.fbAcct)
	d := e.fanout(p)[0]
	_ = e.svc.Deliver(context.Background(), d.ID)
	e.clock.Add(2 * time.Minute)
	_ = e.svc.Deliver(context.Background(), d.ID)
	if got := e.delivery(d.ID); got.Status != publisher.DeliveryUnconfirmed {
		t.Fatalf("status = %s, want unconfirmed (a duplicate after an interruption is not a failure)", got.Status)
	}
	// Without an earlier interruption a duplicate is the editor's to fix.
	e2 := newEnv(t)
	e2.fb.errs = []error{dup}
	p2 := e2.approvedPost("हर घर तिरंगा", e2.fbAcct)
	d2 := e2.fanout(p2)[0]
	_ = e2.svc.Deliver(context.Background(), d2.ID)
	if got := e2.delivery(d2.ID); got.Status != publisher.DeliveryFailed {
		t.Fatalf("status = %s, want failed", got.Status)
	}
}
