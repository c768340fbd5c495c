package publisher_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// TestEveryCrashInstant kills a worker at each instant of the exactly-once
// protocol and lets the pipeline carry on the way production does (the
// lease lapses, the reconciler re-queues, another worker takes over). The
// post must end up on the platform exactly once and the delivery
// published, or "unconfirmed" where the platform cannot tell — never two
// posts, never none with the delivery saying published.
func TestEveryCrashInstant(t *testing.T) {
	const text = "मुख्यमंत्री ने नई बस सेवा का शुभारंभ किया"
	cred := publisher.Credentials{AccessToken: "tok-fb"}
	tests := []struct {
		name string
		// crash is the dead worker's part, after it claimed the delivery.
		crash        func(e *env, d *publisher.Delivery)
		lookupErr    error
		wantStatus   publisher.DeliveryStatus
		wantPosts    int
		wantCalls    int // Publish calls, the dead worker's included
		wantLookups  int
		wantAttempts int
	}{
		{"before the platform call", func(e *env, d *publisher.Delivery) {},
			nil, publisher.DeliveryPublished, 1, 1, 1, 2},
		{"during the call, before the platform acted (connection dropped)", func(e *env, d *publisher.Delivery) {
			e.fb.mu.Lock()
			e.fb.calls++ // the request was on its way; the platform never saw it
			e.fb.mu.Unlock()
		}, nil, publisher.DeliveryPublished, 1, 2, 1, 2},
		{"during the call, after the platform acted", func(e *env, d *publisher.Delivery) {
			if _, err := e.fb.Publish(context.Background(), e.fbAcct, cred, publisher.Message{Text: text}); err != nil {
				e.t.Fatal(err)
			}
		}, nil, publisher.DeliveryPublished, 1, 1, 1, 2},
		{"after the platform answered, before the result was stored", func(e *env, d *publisher.Delivery) {
			if _, err := e.fb.Publish(context.Background(), e.fbAcct, cred, publisher.Message{Text: text}); err != nil {
				e.t.Fatal(err)
			}
		}, nil, publisher.DeliveryPublished, 1, 1, 1, 2},
		{"after the platform acted, on a platform that cannot look posts up", func(e *env, d *publisher.Delivery) {
			if _, err := e.fb.Publish(context.Background(), e.fbAcct, cred, publisher.Message{Text: text}); err != nil {
				e.t.Fatal(err)
			}
		}, publisher.ErrLookupUnsupported, publisher.DeliveryUnconfirmed, 1, 1, 1, 2},
		{"before the call, on a platform that cannot look posts up", func(e *env, d *publisher.Delivery) {},
			publisher.ErrLookupUnsupported, publisher.DeliveryUnconfirmed, 0, 0, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.fb.lookupErr = tt.lookupErr
			p := e.approvedPost(text, e.fbAcct)
			d := e.fanout(p)[0]
			claimed := e.claimAsDeadWorker(d.ID)
			tt.crash(e, claimed)

			// The dead worker's task comes back (asynq) while the lease
			// holds: it leaves the delivery alone until the lease ends.
			var re *publisher.RetryError
			if err := e.svc.Deliver(context.Background(), d.ID); !asRetry(err, &re) || !re.At.Equal(*claimed.LeaseUntil) {
				t.Fatalf("Deliver during the lease = %v, want a retry at the lease's end %v", err, claimed.LeaseUntil)
			}
			// The reconciler ignores it while the lease holds, and re-queues
			// it once the lease has lapsed.
			if rep, err := e.svc.Reconcile(context.Background()); err != nil || rep.Deliveries != 0 {
				t.Fatalf("reconcile during the lease = %+v, %v; want nothing re-queued", rep, err)
			}
			e.clock.Add(3 * time.Minute)
			if rep, err := e.svc.Reconcile(context.Background()); err != nil || rep.Deliveries != 1 {
				t.Fatalf("reconcile after the lease = %+v, %v; want the delivery re-queued", rep, err)
			}
			if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
				t.Fatal(err)
			}
			got := e.delivery(d.ID)
			_, calls, lookups := e.fb.stats()
			if got.Status != tt.wantStatus || e.fb.postsWith(text) != tt.wantPosts || calls != tt.wantCalls || lookups != tt.wantLookups || got.Attempts != tt.wantAttempts {
				t.Fatalf("status %s, %d posts, %d calls, %d look-ups, %d attempts; want %s, %d, %d, %d, %d",
					got.Status, e.fb.postsWith(text), calls, lookups, got.Attempts, tt.wantStatus, tt.wantPosts, tt.wantCalls, tt.wantLookups, tt.wantAttempts)
			}
			if got.Status == publisher.DeliveryUnconfirmed && (got.ErrorMessage == "" || !got.NeedsLookup) {
				t.Fatalf("unconfirmed without an explanation: %+v", got)
			}
			// The finished task's duplicate (acknowledged late, or queued twice)
			// does nothing.
			if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
				t.Fatal(err)
			}
			if _, calls2, lookups2 := e.fb.stats(); calls2 != calls || lookups2 != lookups {
				t.Fatal("a duplicate task of a finished delivery called the platform")
			}
			if tt.wantStatus == publisher.DeliveryUnconfirmed {
				// One click resolves it: published (with the address), or not
				// (posted again, without a look-up).
				if tt.wantPosts == 1 {
					r, err := e.svc.ResolveUnconfirmed(as(e.editor), d.ID, true, "https://facebook.example/1001/posts/1")
					if err != nil || r.Status != publisher.DeliveryPublished {
						t.Fatalf("resolved as published: %+v, %v", r, err)
					}
				} else {
					r, err := e.svc.ResolveUnconfirmed(as(e.approver), d.ID, false, "")
					if err != nil || r.Status != publisher.DeliveryQueued || r.NeedsLookup {
						t.Fatalf("resolved as not published: %+v, %v", r, err)
					}
					if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
						t.Fatal(err)
					}
					if got := e.delivery(d.ID); got.Status != publisher.DeliveryPublished || e.fb.postsWith(text) != 1 {
						t.Fatalf("after resolving as not published: %s with %d posts", got.Status, e.fb.postsWith(text))
					}
				}
			}
		})
	}
}

// TestCrashDuringTheTakeover kills the worker that took over too, during
// its look-up: the third worker still posts once.
func TestCrashDuringTheTakeover(t *testing.T) {
	e := newEnv(t)
	const text = "सड़क सुरक्षा माह"
	p := e.approvedPost(text, e.fbAcct)
	d := e.fanout(p)[0]
	e.claimAsDeadWorker(d.ID)
	e.clock.Add(3 * time.Minute)
	second := e.claimAsDeadWorker(d.ID) // takes over, and dies before its look-up ends
	if !second.NeedsLookup || second.Attempts != 2 {
		t.Fatalf("takeover = %+v, want a look-up pending at attempt 2", second)
	}
	e.clock.Add(3 * time.Minute)
	if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.delivery(d.ID); got.Status != publisher.DeliveryPublished || e.fb.postsWith(text) != 1 || got.Attempts != 3 {
		t.Fatalf("status %s, %d posts, %d attempts; want published once at attempt 3", got.Status, e.fb.postsWith(text), got.Attempts)
	}
}

// TestResultStoredDespiteStoreHiccups: the platform has answered; a store
// that fails for a moment does not lose the result (which would cost a
// lease and a look-up), and the attempt is recorded once.
func TestResultStoredDespiteStoreHiccups(t *testing.T) {
	e := newEnv(t)
	hs := &hookStore{Store: e.store, finishFails: 2}
	e.rebuild(nil, hs)
	p := e.approvedPost("पानी बचाओ अभियान", e.fbAcct)
	d := e.fanout(p)[0]
	if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
		t.Fatal(err)
	}
	got := e.delivery(d.ID)
	if got.Status != publisher.DeliveryPublished || got.ExternalID == "" {
		t.Fatalf("status %s, want published with its id", got.Status)
	}
	if as, _ := e.store.ListAttempts(context.Background(), d.ID); len(as) != 1 {
		t.Fatalf("%d attempts recorded, want 1", len(as))
	}
	// A store that stays down: the task fails (and is retried); the lease
	// and the look-up take care of the rest.
	hs.finishFails = 100
	p2 := e.approvedPost("जल जीवन मिशन", e.fbAcct)
	d2 := e.fanout(p2)[0]
	if err := e.svc.Deliver(context.Background(), d2.ID); err == nil || publisher.ErrorCode(err) != publisher.EINTERNAL {
		t.Fatalf("Deliver with the store down = %v, want the store's error", err)
	}
	hs.finishFails = 0
	e.clock.Add(3 * time.Minute)
	if err := e.svc.Deliver(context.Background(), d2.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.delivery(d2.ID); got.Status != publisher.DeliveryPublished || e.fb.postsWith("जल जीवन मिशन") != 1 {
		t.Fatalf("status %s with %d posts; want published once (found by the look-up)", got.Status, e.fb.postsWith("जल जीवन मिशन"))
	}
}

// TestDuplicateTasksRunConcurrently: two workers run the same delivery at
// once (a re-queue beside the original task); one posts, the other waits
// for the lease and then finds the delivery finished.
func TestDuplicateTasksRunConcurrently(t *testing.T) {
	e := newEnv(t)
	slow := &slowConnector{fakeConnector: e.fb, entered: make(chan struct{}), release: make(chan struct{})}
	e.rebuild(nil, nil, slow, e.x, e.ig, e.koo)
	p := e.approvedPost("किसान सम्मान निधि", e.fbAcct)
	d := e.fanout(p)[0]
	var (
		wg   sync.WaitGroup
		errs [2]error
	)
	wg.Add(1)
	go func() { defer wg.Done(); errs[0] = e.svc.Deliver(context.Background(), d.ID) }()
	<-slow.entered // the first worker is in the platform call
	wg.Add(1)
	go func() { defer wg.Done(); errs[1] = e.svc.Deliver(context.Background(), d.ID) }()
	time.Sleep(50 * time.Millisecond)
	close(slow.release)
	wg.Wait()
	var re *publisher.RetryError
	if errs[0] != nil || !errors.As(errs[1], &re) {
		t.Fatalf("Deliver = %v and %v; want nil for the first, a retry at the lease's end for the duplicate", errs[0], errs[1])
	}
	e.clock.Add(3 * time.Minute)
	if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
		t.Fatal(err)
	}
	if posts, calls, _ := e.fb.stats(); posts != 1 || calls != 1 {
		t.Fatalf("%d posts from %d calls, want 1 and 1", posts, calls)
	}
}

// slowConnector blocks its first Publish until released.
type slowConnector struct {
	*fakeConnector
	once     sync.Once
	entered  chan struct{}
	release  chan struct{}
	deadline time.Time
}

func (s *slowConnector) Publish(ctx context.Context, a *publisher.Account, c publisher.Credentials, m publisher.Message) (*publisher.Published, error) {
	first := false
	s.once.Do(func() { first = true })
	if first {
		s.deadline, _ = ctx.Deadline()
		close(s.entered)
		select {
		case <-s.release:
		case <-time.After(10 * time.Second):
			return nil, errors.New("slowConnector: never released and never cancelled")
		case <-ctx.Done():
			// The platform may still act on a request it has; here it does.
			s.fakeConnector.Publish(context.Background(), a, c, m)
			return nil, &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "timeout", Ambiguous: true, Err: ctx.Err()}
		}
	}
	return s.fakeConnector.Publish(ctx, a, c, m)
}

// TestPlatformCallEndsBeforeTheLease: a platform call that does not end by
// itself is abandoned before the delivery's lease lapses, so no call is in
// flight when another worker may take over; the ambiguous outcome is then
// looked up, not posted again.
func TestPlatformCallEndsBeforeTheLease(t *testing.T) {
	e := newEnv(t)
	slow := &slowConnector{fakeConnector: e.fb, entered: make(chan struct{}), release: make(chan struct{})}
	const lease = 800 * time.Millisecond
	e.rebuild(func(c *publisher.Config) { c.Lease = lease }, nil, slow, e.x, e.ig, e.koo)
	p := e.approvedPost("हरियाणा दिवस", e.fbAcct)
	d := e.fanout(p)[0]
	start := time.Now()
	err := e.svc.Deliver(context.Background(), d.ID)
	took := time.Since(start)
	var re *publisher.RetryError
	if !asRetry(err, &re) {
		t.Fatalf("Deliver = %v, want a retry after the abandoned call", err)
	}
	if slow.deadline.IsZero() || slow.deadline.After(start.Add(lease)) || took >= lease {
		t.Fatalf("the call's deadline was %v (%s after the claim) and it took %s; want it to end before the %s lease", slow.deadline, slow.deadline.Sub(start), took, lease)
	}
	got := e.delivery(d.ID)
	if got.Status != publisher.DeliveryRetrying || !got.NeedsLookup {
		t.Fatalf("after the abandoned call: %s, needsLookup %v; want retrying with a look-up", got.Status, got.NeedsLookup)
	}
	e.clock.Add(2 * time.Minute)
	if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.delivery(d.ID); got.Status != publisher.DeliveryPublished || e.fb.postsWith("हरियाणा दिवस") != 1 {
		t.Fatalf("status %s with %d posts; want published once", got.Status, e.fb.postsWith("हरियाणा दिवस"))
	}
}

// TestLostQueueIsRebuiltFromTheStore: Redis restarted (or was flushed, or
// the in-process broker went with its process) and every task is gone; the
// reconciler re-queues every delivery that should be moving, whatever its
// state, and each is published once.
func TestLostQueueIsRebuiltFromTheStore(t *testing.T) {
	e := newEnv(t)
	e.fb.errs = []error{&publisher.PlatformError{Class: publisher.ClassRetryable, Message: "(#2) Service temporarily unavailable", Ambiguous: true}}
	fb2 := e.mustAccount(publisher.SystemContext(context.Background()), e.org.ID, publisher.Facebook, "1002", "tok-fb2")
	p := e.approvedPost("स्वच्छता ही सेवा", e.fbAcct, e.xAcct, fb2)
	ds := e.fanout(p)
	byAcct := map[string]*publisher.Delivery{}
	for _, d := range ds {
		byAcct[d.AccountID] = d
	}
	// Facebook: retrying with a look-up pending; X: held by a worker that
	// died; the second page: still queued.
	_ = e.svc.Deliver(context.Background(), byAcct[e.fbAcct.ID].ID)
	e.claimAsDeadWorker(byAcct[e.xAcct.ID].ID)
	e.queue.mu.Lock()
	e.queue.deliveries, e.queue.fanouts = nil, nil // the broker lost everything
	e.queue.mu.Unlock()

	e.clock.Add(3 * time.Minute)
	rep, err := e.svc.Reconcile(context.Background())
	if err != nil || rep.Deliveries != 3 {
		t.Fatalf("reconcile = %+v, %v; want all three deliveries re-queued", rep, err)
	}
	e.queue.mu.Lock()
	queued := append([]string(nil), e.queue.deliveries...)
	e.queue.mu.Unlock()
	for _, id := range queued {
		if err := e.svc.Deliver(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range ds {
		if got := e.delivery(d.ID); got.Status != publisher.DeliveryPublished {
			t.Fatalf("delivery to %s: %s, want published", d.AccountID, got.Status)
		}
	}
	// The ambiguous Facebook call had not reached the page (the fake
	// records only on success or ambiguousCommit): one post per account,
	// two pages on Facebook.
	for _, f := range []*fakeConnector{e.fb, e.x} {
		if n := f.postsWith("स्वच्छता ही सेवा"); (f == e.fb && n != 2) || (f == e.x && n != 1) {
			t.Fatalf("%s has %d posts", f.platform, n)
		}
	}
	// Re-queueing again, a period later, finds nothing to do.
	e.clock.Add(3 * time.Minute)
	if rep, err := e.svc.Reconcile(context.Background()); err != nil || rep.Deliveries != 0 {
		t.Fatalf("second reconcile = %+v, %v; want nothing", rep, err)
	}
}
