package storetest

import (
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// deliveryIn stores and returns a delivery of a new post in status st,
// changed by f before it is stored. It was created and last changed an
// hour before T0.
func deliveryIn(t *testing.T, s publisher.Store, st publisher.DeliveryStatus, f func(d *publisher.Delivery)) *publisher.Delivery {
	t.Helper()
	p, _ := PostValue("org-1", "user-1")
	d := DeliveryValue(p, 1, &publisher.Account{ID: "acct-" + uniq(), Platform: publisher.Mastodon}, at(-time.Hour))
	d.Status = st
	if f != nil {
		f(d)
	}
	n, err := s.CreateDeliveries(t.Context(), []*publisher.Delivery{d})
	Must(t, "CreateDeliveries", err)
	if n != 1 {
		t.Fatalf("CreateDeliveries inserted %d, want 1", n)
	}
	return d
}

// claimAt returns a claim at T0+now holding the delivery for five minutes.
func claimAt(now time.Duration) publisher.Claim {
	return publisher.Claim{Token: "tok-" + uniq(), Now: at(now), LeaseUntil: at(now + 5*time.Minute)}
}

// claimed is d as a successful claim c should leave it.
func claimed(d *publisher.Delivery, c publisher.Claim, lookup bool) *publisher.Delivery {
	w := *d
	w.Status, w.Attempts, w.ClaimToken = publisher.DeliverySending, d.Attempts+1, c.Token
	w.LeaseUntil, w.SendingSince, w.UpdatedAt = ptr(c.LeaseUntil), ptr(c.Now), c.Now
	w.NeedsLookup = d.NeedsLookup || lookup
	return &w
}

func (s *suite) testClaims(t *testing.T) {
	t.Run("ClaimDelivery", s.testClaimDelivery)
	t.Run("FinishDelivery", s.testFinishDelivery)
	t.Run("ChangeDelivery", s.testChangeDelivery)
	t.Run("ListDueDeliveries", s.testListDueDeliveries)
}

func (s *suite) testClaimDelivery(t *testing.T) {
	// claimable lists deliveries that a claim at T0 takes; lookup says
	// whether the claim must set NeedsLookup.
	claimable := []struct {
		name   string
		status publisher.DeliveryStatus
		f      func(d *publisher.Delivery)
		lookup bool
	}{
		{"a queued delivery is taken", publisher.DeliveryQueued, nil, false},
		{"a queued delivery that was tried before is taken with its counts", publisher.DeliveryQueued, func(d *publisher.Delivery) {
			d.Attempts, d.Failures, d.ErrorMessage = 4, 3, "retried by a person"
		}, false},
		{"a retrying delivery due before now is taken", publisher.DeliveryRetrying, func(d *publisher.Delivery) {
			d.Attempts, d.Failures, d.NextAttemptAt = 1, 1, atp(-time.Second)
		}, false},
		{"a retrying delivery due exactly now is taken", publisher.DeliveryRetrying, func(d *publisher.Delivery) {
			d.Attempts, d.Failures, d.NextAttemptAt = 1, 1, atp(0)
		}, false},
		{"a retrying delivery keeps its pending look-up", publisher.DeliveryRetrying, func(d *publisher.Delivery) {
			d.Attempts, d.Failures, d.NextAttemptAt, d.NeedsLookup = 2, 2, atp(-time.Minute), true
		}, false},
		{"a sending delivery whose lease expired is taken over and must be looked up", publisher.DeliverySending, func(d *publisher.Delivery) {
			d.Attempts, d.ClaimToken, d.LeaseUntil, d.SendingSince = 1, "tok-dead-worker", atp(-time.Millisecond), atp(-10*time.Minute)
		}, true},
	}
	for _, tc := range claimable {
		t.Run(tc.name, func(t *testing.T) {
			st := s.open(t)
			d := deliveryIn(t, st, tc.status, tc.f)
			c := claimAt(0)
			got, err := st.ClaimDelivery(t.Context(), d.ID, c)
			Must(t, "ClaimDelivery", err)
			want := claimed(d, c, tc.lookup)
			// What a claim does not define is taken from the store.
			want.NextAttemptAt = s.getDelivery(t, st, d.ID).NextAttemptAt
			AssertEqual(t, "the claimed delivery returned", got, want)
			AssertEqual(t, "the claimed delivery stored", s.getDelivery(t, st, d.ID), want)
		})
	}
	refused := []struct {
		name   string
		status publisher.DeliveryStatus
		f      func(d *publisher.Delivery)
	}{
		{"a retrying delivery not yet due is refused", publisher.DeliveryRetrying, func(d *publisher.Delivery) { d.NextAttemptAt = atp(time.Millisecond) }},
		{"a sending delivery whose lease runs is refused", publisher.DeliverySending, func(d *publisher.Delivery) {
			d.Attempts, d.ClaimToken, d.LeaseUntil, d.SendingSince = 1, "tok-live-worker", atp(time.Minute), atp(-time.Minute)
		}},
		{"a sending delivery whose lease ends exactly now is refused", publisher.DeliverySending, func(d *publisher.Delivery) {
			d.Attempts, d.ClaimToken, d.LeaseUntil, d.SendingSince = 1, "tok-live-worker", atp(0), atp(-time.Minute)
		}},
		{"a published delivery is refused", publisher.DeliveryPublished, func(d *publisher.Delivery) {
			d.Attempts, d.ExternalID, d.PublishedAt = 1, "109", atp(-time.Minute)
		}},
		{"a failed delivery is refused", publisher.DeliveryFailed, func(d *publisher.Delivery) { d.Attempts, d.ErrorClass = 1, publisher.ClassRejected }},
		{"a delivery waiting for reconnection is refused", publisher.DeliveryNeedsReconnect, func(d *publisher.Delivery) { d.ErrorClass = publisher.ClassAuth }},
		{"an unconfirmed delivery is refused", publisher.DeliveryUnconfirmed, func(d *publisher.Delivery) { d.NeedsLookup = true }},
		{"a cancelled delivery is refused", publisher.DeliveryCancelled, nil},
	}
	for _, tc := range refused {
		t.Run(tc.name+" with ECONFLICT and left alone", func(t *testing.T) {
			st := s.open(t)
			d := deliveryIn(t, st, tc.status, tc.f)
			_, err := st.ClaimDelivery(t.Context(), d.ID, claimAt(0))
			AssertCode(t, "ClaimDelivery", err, publisher.ECONFLICT)
			AssertEqual(t, "the refused delivery", s.getDelivery(t, st, d.ID), d)
		})
	}
	t.Run("an unknown delivery is ENOTFOUND", func(t *testing.T) {
		st := s.open(t)
		_, err := st.ClaimDelivery(t.Context(), "dnosuchdelivery", claimAt(0))
		AssertCode(t, "ClaimDelivery", err, publisher.ENOTFOUND)
	})
	t.Run("a second claim while the first holds is refused, and taken over once the lease lapses", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryQueued, nil)
		c1 := claimAt(0)
		first, err := st.ClaimDelivery(t.Context(), d.ID, c1)
		Must(t, "first ClaimDelivery", err)
		if first.NeedsLookup {
			t.Errorf("the first claim of a queued delivery set NeedsLookup")
		}
		_, err = st.ClaimDelivery(t.Context(), d.ID, claimAt(time.Minute))
		AssertCode(t, "a second claim within the lease", err, publisher.ECONFLICT)
		c3 := claimAt(6 * time.Minute)
		third, err := st.ClaimDelivery(t.Context(), d.ID, c3)
		Must(t, "a claim after the lease lapsed", err)
		want := claimed(first, c3, true)
		want.NextAttemptAt = third.NextAttemptAt
		AssertEqual(t, "the delivery taken over", third, want)
		if third.Attempts != 2 {
			t.Errorf("Attempts after two successful claims = %d, want 2", third.Attempts)
		}
	})
}

func (s *suite) testFinishDelivery(t *testing.T) {
	// full is a result with every field set.
	full := func(at time.Time) publisher.DeliveryResult {
		return publisher.DeliveryResult{Status: publisher.DeliveryRetrying, Failures: 2, NeedsLookup: true, NextAttemptAt: ptr(at.Add(time.Minute)),
			ExternalID: "ext-9", ExternalURL: "https://example.net/9", PublishedAt: ptr(at.Add(-time.Second)), ErrorClass: publisher.ClassRetryable,
			ErrorMessage: "Mastodon could not be reached.", PlatformMessage: "502 Bad Gateway", At: at}
	}
	// finished is d, held under a claim, as r should leave it.
	finished := func(d *publisher.Delivery, r publisher.DeliveryResult) *publisher.Delivery {
		w := *d
		w.Status, w.Failures, w.NeedsLookup, w.NextAttemptAt = r.Status, r.Failures, r.NeedsLookup, r.NextAttemptAt
		w.ExternalID, w.ExternalURL, w.PublishedAt = r.ExternalID, r.ExternalURL, r.PublishedAt
		w.ErrorClass, w.ErrorMessage, w.PlatformMessage, w.UpdatedAt = r.ErrorClass, r.ErrorMessage, r.PlatformMessage, r.At
		w.ClaimToken, w.LeaseUntil = "", nil
		return &w
	}
	t.Run("the holder's result is stored in every field and the claim is cleared", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryQueued, nil)
		c := claimAt(0)
		held, err := st.ClaimDelivery(t.Context(), d.ID, c)
		Must(t, "ClaimDelivery", err)
		r := full(at(time.Second))
		got, err := st.FinishDelivery(t.Context(), d.ID, c.Token, r)
		Must(t, "FinishDelivery", err)
		want := finished(held, r)
		want.SendingSince = got.SendingSince // not defined by the contract
		AssertEqual(t, "the finished delivery returned", got, want)
		AssertEqual(t, "the finished delivery stored", s.getDelivery(t, st, d.ID), want)
	})
	t.Run("an empty result clears what an earlier attempt stored", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryQueued, nil)
		c1 := claimAt(0)
		_, err := st.ClaimDelivery(t.Context(), d.ID, c1)
		Must(t, "ClaimDelivery", err)
		_, err = st.FinishDelivery(t.Context(), d.ID, c1.Token, full(at(time.Second)))
		Must(t, "FinishDelivery", err)
		c2 := claimAt(2 * time.Minute)
		held, err := st.ClaimDelivery(t.Context(), d.ID, c2)
		Must(t, "second ClaimDelivery", err)
		r := publisher.DeliveryResult{Status: publisher.DeliveryFailed, At: at(3 * time.Minute)}
		got, err := st.FinishDelivery(t.Context(), d.ID, c2.Token, r)
		Must(t, "FinishDelivery", err)
		want := finished(held, r)
		want.SendingSince = got.SendingSince
		AssertEqual(t, "the delivery after an empty result", got, want)
		AssertEqual(t, "the delivery stored", s.getDelivery(t, st, d.ID), want)
	})
	t.Run("a wrong token is refused with ECONFLICT and changes nothing", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryQueued, nil)
		c := claimAt(0)
		held, err := st.ClaimDelivery(t.Context(), d.ID, c)
		Must(t, "ClaimDelivery", err)
		for _, tok := range []string{"tok-somebody-else", "", c.Token + "x"} {
			_, err = st.FinishDelivery(t.Context(), d.ID, tok, full(at(time.Second)))
			AssertCode(t, "FinishDelivery with token "+tok, err, publisher.ECONFLICT)
		}
		AssertEqual(t, "the delivery still held", s.getDelivery(t, st, d.ID), held)
	})
	t.Run("a worker whose lease was taken over cannot store its result", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryQueued, nil)
		c1 := claimAt(0)
		_, err := st.ClaimDelivery(t.Context(), d.ID, c1)
		Must(t, "first ClaimDelivery", err)
		c2 := claimAt(10 * time.Minute)
		held, err := st.ClaimDelivery(t.Context(), d.ID, c2)
		Must(t, "ClaimDelivery after the lease lapsed", err)
		_, err = st.FinishDelivery(t.Context(), d.ID, c1.Token, publisher.DeliveryResult{Status: publisher.DeliveryPublished, ExternalID: "dup", At: at(11 * time.Minute)})
		AssertCode(t, "FinishDelivery with the old token", err, publisher.ECONFLICT)
		AssertEqual(t, "the delivery held by the new worker", s.getDelivery(t, st, d.ID), held)
		r := publisher.DeliveryResult{Status: publisher.DeliveryPublished, ExternalID: "found", PublishedAt: atp(11 * time.Minute), At: at(12 * time.Minute)}
		got, err := st.FinishDelivery(t.Context(), d.ID, c2.Token, r)
		Must(t, "FinishDelivery with the new token", err)
		if got.Status != publisher.DeliveryPublished || got.ExternalID != "found" {
			t.Errorf("FinishDelivery stored status %q, external id %q; want published, found", got.Status, got.ExternalID)
		}
	})
	t.Run("a result is stored once: finishing again with the same token is refused", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryQueued, nil)
		c := claimAt(0)
		_, err := st.ClaimDelivery(t.Context(), d.ID, c)
		Must(t, "ClaimDelivery", err)
		done, err := st.FinishDelivery(t.Context(), d.ID, c.Token, publisher.DeliveryResult{Status: publisher.DeliveryPublished, ExternalID: "1", At: at(time.Second)})
		Must(t, "FinishDelivery", err)
		_, err = st.FinishDelivery(t.Context(), d.ID, c.Token, publisher.DeliveryResult{Status: publisher.DeliveryFailed, At: at(2 * time.Second)})
		AssertCode(t, "FinishDelivery again", err, publisher.ECONFLICT)
		AssertEqual(t, "the delivery after the refused second result", s.getDelivery(t, st, d.ID), done)
	})
	t.Run("a delivery that is not sending is refused even with its token", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryRetrying, func(d *publisher.Delivery) {
			d.ClaimToken, d.NextAttemptAt, d.Attempts = "tok-stale", atp(time.Hour), 1
		})
		_, err := st.FinishDelivery(t.Context(), d.ID, "tok-stale", full(at(time.Second)))
		AssertCode(t, "FinishDelivery", err, publisher.ECONFLICT)
		AssertEqual(t, "the delivery", s.getDelivery(t, st, d.ID), d)
	})
	// attempt is the history entry of an attempt at d that started at
	// start and ended with r.
	attempt := func(d *publisher.Delivery, start time.Time, r publisher.DeliveryResult, outcome string) *publisher.Attempt {
		return &publisher.Attempt{DeliveryID: d.ID, N: d.Attempts, StartedAt: start, EndedAt: r.At, Outcome: outcome, ErrorClass: r.ErrorClass,
			Message: r.PlatformMessage}
	}
	attempts := func(t *testing.T, st publisher.Store, id string) []*publisher.Attempt {
		t.Helper()
		as, err := st.ListAttempts(t.Context(), id)
		Must(t, "ListAttempts", err)
		return as
	}
	t.Run("a result with an Attempt stores both, the attempt in order with those added by AddAttempt", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryQueued, func(d *publisher.Delivery) { d.Attempts = 1 })
		// The first attempt, recorded on its own (as before results
		// carried their attempt).
		early := &publisher.Attempt{DeliveryID: d.ID, N: 1, StartedAt: at(-50 * time.Minute), EndedAt: at(-49 * time.Minute), Outcome: "failed",
			ErrorClass: publisher.ClassRejected, Message: "rejected"}
		Must(t, "AddAttempt", st.AddAttempt(t.Context(), early))

		c2 := claimAt(0)
		held2, err := st.ClaimDelivery(t.Context(), d.ID, c2)
		Must(t, "ClaimDelivery", err)
		r2 := full(at(time.Second))
		r2.Attempt = attempt(held2, c2.Now, r2, "retrying")
		got, err := st.FinishDelivery(t.Context(), d.ID, c2.Token, r2)
		Must(t, "FinishDelivery with an attempt", err)
		want := finished(held2, r2)
		want.SendingSince = got.SendingSince
		AssertEqual(t, "the finished delivery returned", got, want)
		AssertEqual(t, "the finished delivery stored", s.getDelivery(t, st, d.ID), want)
		AssertEqual(t, "the attempts after the first result", attempts(t, st, d.ID), []*publisher.Attempt{early, r2.Attempt})

		c3 := claimAt(2 * time.Minute)
		held3, err := st.ClaimDelivery(t.Context(), d.ID, c3)
		Must(t, "second ClaimDelivery", err)
		r3 := publisher.DeliveryResult{Status: publisher.DeliveryPublished, Failures: 2, ExternalID: "ext-10", ExternalURL: "https://example.net/10",
			PublishedAt: atp(2*time.Minute + time.Second), At: at(2*time.Minute + 2*time.Second)}
		r3.Attempt = attempt(held3, c3.Now, r3, "published")
		_, err = st.FinishDelivery(t.Context(), d.ID, c3.Token, r3)
		Must(t, "second FinishDelivery with an attempt", err)
		// A person's note, added afterwards with a later number.
		late := &publisher.Attempt{DeliveryID: d.ID, N: 4, StartedAt: at(time.Hour), EndedAt: at(time.Hour), Outcome: "found"}
		Must(t, "AddAttempt", st.AddAttempt(t.Context(), late))
		AssertEqual(t, "every attempt, oldest first", attempts(t, st, d.ID), []*publisher.Attempt{early, r2.Attempt, r3.Attempt, late})
		if d := s.getDelivery(t, st, d.ID); d.Attempts != 3 || d.Status != publisher.DeliveryPublished {
			t.Errorf("the delivery after both results: attempts %d, status %q; want 3, published", d.Attempts, d.Status)
		}
	})
	t.Run("a result without an Attempt stores no attempt", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryQueued, nil)
		c := claimAt(0)
		_, err := st.ClaimDelivery(t.Context(), d.ID, c)
		Must(t, "ClaimDelivery", err)
		_, err = st.FinishDelivery(t.Context(), d.ID, c.Token, full(at(time.Second)))
		Must(t, "FinishDelivery", err)
		if as := attempts(t, st, d.ID); len(as) != 0 {
			t.Errorf("ListAttempts after a result without an attempt: %d attempts, want none", len(as))
		}
	})
	t.Run("a refused result stores no attempt", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryQueued, nil)
		c1 := claimAt(0)
		held1, err := st.ClaimDelivery(t.Context(), d.ID, c1)
		Must(t, "first ClaimDelivery", err)
		// The first worker's lease lapses and a second worker takes over.
		c2 := claimAt(10 * time.Minute)
		held2, err := st.ClaimDelivery(t.Context(), d.ID, c2)
		Must(t, "ClaimDelivery after the lease lapsed", err)
		late := publisher.DeliveryResult{Status: publisher.DeliveryPublished, ExternalID: "dup", At: at(11 * time.Minute)}
		late.Attempt = attempt(held1, c1.Now, late, "published")
		for _, tok := range []string{c1.Token, "tok-somebody-else"} {
			_, err = st.FinishDelivery(t.Context(), d.ID, tok, late)
			AssertCode(t, "FinishDelivery with a lost claim", err, publisher.ECONFLICT)
		}
		AssertEqual(t, "the delivery held by the second worker", s.getDelivery(t, st, d.ID), held2)
		if as := attempts(t, st, d.ID); len(as) != 0 {
			t.Errorf("ListAttempts after refused results: %+v, want none", as)
		}
		r := publisher.DeliveryResult{Status: publisher.DeliveryPublished, ExternalID: "found", PublishedAt: atp(11 * time.Minute), At: at(12 * time.Minute)}
		r.Attempt = attempt(held2, c2.Now, r, "found")
		_, err = st.FinishDelivery(t.Context(), d.ID, c2.Token, r)
		Must(t, "FinishDelivery by the holder", err)
		// Finishing again is refused, and adds nothing either.
		again := r
		again.Attempt = attempt(held2, c2.Now, r, "published")
		_, err = st.FinishDelivery(t.Context(), d.ID, c2.Token, again)
		AssertCode(t, "FinishDelivery again", err, publisher.ECONFLICT)
		AssertEqual(t, "the attempts", attempts(t, st, d.ID), []*publisher.Attempt{r.Attempt})
	})
	t.Run("a delivery that is not sending stores no attempt", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryRetrying, func(d *publisher.Delivery) {
			d.ClaimToken, d.NextAttemptAt, d.Attempts = "tok-stale", atp(time.Hour), 1
		})
		r := full(at(time.Second))
		r.Attempt = attempt(d, T0, r, "retrying")
		_, err := st.FinishDelivery(t.Context(), d.ID, "tok-stale", r)
		AssertCode(t, "FinishDelivery", err, publisher.ECONFLICT)
		AssertEqual(t, "the delivery", s.getDelivery(t, st, d.ID), d)
		if as := attempts(t, st, d.ID); len(as) != 0 {
			t.Errorf("ListAttempts after a refused result: %+v, want none", as)
		}
	})
	t.Run("an unknown delivery is an error", func(t *testing.T) {
		st := s.open(t)
		_, err := st.FinishDelivery(t.Context(), "dnosuchdelivery", "tok", full(T0))
		if c := publisher.ErrorCode(err); c != publisher.ENOTFOUND && c != publisher.ECONFLICT {
			t.Errorf("FinishDelivery of an unknown delivery: got %v, want ENOTFOUND or ECONFLICT", err)
		}
	})
}

func (s *suite) testChangeDelivery(t *testing.T) {
	// start is a failed delivery with every field set.
	start := func(d *publisher.Delivery) {
		d.Attempts, d.Failures, d.NeedsLookup, d.SendingSince = 5, 5, true, atp(-2*time.Hour)
		d.NextAttemptAt, d.ExternalID, d.ExternalURL, d.PublishedAt = atp(-30*time.Minute), "ext-old", "https://example.net/old", atp(-90*time.Minute)
		d.ErrorClass, d.ErrorMessage, d.PlatformMessage = publisher.ClassRetryable, "Gave up after 5 failed attempts.", "503"
	}
	no, yes := false, true
	cases := []struct {
		name string
		c    publisher.DeliveryChange
		want func(w *publisher.Delivery)
	}{
		{"a manual retry queues it, resets failures and clears the error fields", publisher.DeliveryChange{
			From: []publisher.DeliveryStatus{publisher.DeliveryFailed, publisher.DeliveryUnconfirmed}, To: publisher.DeliveryQueued, ResetFailures: true, At: T0,
		}, func(w *publisher.Delivery) {
			w.Status, w.Failures, w.NextAttemptAt, w.ErrorClass, w.ErrorMessage, w.PlatformMessage = publisher.DeliveryQueued, 0, nil, "", "", ""
		}},
		{"without ResetFailures the failures stay", publisher.DeliveryChange{
			From: []publisher.DeliveryStatus{publisher.DeliveryFailed}, To: publisher.DeliveryQueued, At: T0,
		}, func(w *publisher.Delivery) {
			w.Status, w.NextAttemptAt, w.ErrorClass, w.ErrorMessage, w.PlatformMessage = publisher.DeliveryQueued, nil, "", "", ""
		}},
		{"NeedsLookup is written only when given: false", publisher.DeliveryChange{
			From: []publisher.DeliveryStatus{publisher.DeliveryFailed}, To: publisher.DeliveryQueued, NeedsLookup: &no, At: T0,
		}, func(w *publisher.Delivery) {
			w.Status, w.NeedsLookup, w.NextAttemptAt, w.ErrorClass, w.ErrorMessage, w.PlatformMessage = publisher.DeliveryQueued, false, nil, "", "", ""
		}},
		{"NeedsLookup is written only when given: true", publisher.DeliveryChange{
			From: []publisher.DeliveryStatus{publisher.DeliveryFailed}, To: publisher.DeliveryUnconfirmed, NeedsLookup: &yes, At: T0,
		}, func(w *publisher.Delivery) {
			w.Status, w.NeedsLookup, w.NextAttemptAt, w.ErrorClass, w.ErrorMessage, w.PlatformMessage = publisher.DeliveryUnconfirmed, true, nil, "", "", ""
		}},
		{"a confirmation writes the published fields and the error fields", publisher.DeliveryChange{
			From: []publisher.DeliveryStatus{publisher.DeliveryFailed}, To: publisher.DeliveryPublished, NeedsLookup: &no,
			ExternalID: "ext-new", ExternalURL: "https://example.net/new", PublishedAt: atp(-time.Minute), NextAttemptAt: atp(time.Hour),
			ErrorClass: publisher.ClassRejected, ErrorMessage: "Confirmed as published by Meena.", PlatformMessage: "seen on the account", At: T0,
		}, func(w *publisher.Delivery) {
			w.Status, w.NeedsLookup, w.ExternalID, w.ExternalURL, w.PublishedAt = publisher.DeliveryPublished, false, "ext-new", "https://example.net/new", atp(-time.Minute)
			w.NextAttemptAt, w.ErrorClass, w.ErrorMessage, w.PlatformMessage = atp(time.Hour), publisher.ClassRejected, "Confirmed as published by Meena.", "seen on the account"
		}},
		{"a URL alone keeps the external id and publication time", publisher.DeliveryChange{
			From: []publisher.DeliveryStatus{publisher.DeliveryFailed}, To: publisher.DeliveryPublished, ExternalURL: "https://example.net/checked", At: T0,
		}, func(w *publisher.Delivery) {
			w.Status, w.ExternalURL = publisher.DeliveryPublished, "https://example.net/checked"
			w.NextAttemptAt, w.ErrorClass, w.ErrorMessage, w.PlatformMessage = nil, "", "", ""
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := s.open(t)
			d := deliveryIn(t, st, publisher.DeliveryFailed, start)
			got, err := st.ChangeDelivery(t.Context(), d.ID, tc.c)
			Must(t, "ChangeDelivery", err)
			want := *d
			want.UpdatedAt = tc.c.At
			tc.want(&want)
			stored := s.getDelivery(t, st, d.ID)
			want.ClaimToken, want.LeaseUntil = stored.ClaimToken, stored.LeaseUntil // not defined by the contract
			AssertEqual(t, "the changed delivery returned", got, &want)
			AssertEqual(t, "the changed delivery stored", stored, &want)
		})
	}
	t.Run("a status outside From is refused with ECONFLICT and left alone", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryPublished, start)
		for _, from := range [][]publisher.DeliveryStatus{
			{publisher.DeliveryFailed, publisher.DeliveryUnconfirmed, publisher.DeliveryNeedsReconnect}, {publisher.DeliveryQueued}, {},
		} {
			_, err := st.ChangeDelivery(t.Context(), d.ID, publisher.DeliveryChange{From: from, To: publisher.DeliveryQueued, ResetFailures: true, At: T0})
			AssertCode(t, "ChangeDelivery", err, publisher.ECONFLICT)
		}
		AssertEqual(t, "the refused delivery", s.getDelivery(t, st, d.ID), d)
	})
	t.Run("a change applies once: the second of two identical changes is refused", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryNeedsReconnect, nil)
		c := publisher.DeliveryChange{From: []publisher.DeliveryStatus{publisher.DeliveryNeedsReconnect}, To: publisher.DeliveryQueued, At: T0}
		_, err := st.ChangeDelivery(t.Context(), d.ID, c)
		Must(t, "first ChangeDelivery", err)
		_, err = st.ChangeDelivery(t.Context(), d.ID, c)
		AssertCode(t, "second ChangeDelivery", err, publisher.ECONFLICT)
	})
	t.Run("a queued delivery changed back can be claimed again", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryUnconfirmed, start)
		_, err := st.ChangeDelivery(t.Context(), d.ID, publisher.DeliveryChange{From: []publisher.DeliveryStatus{publisher.DeliveryUnconfirmed}, To: publisher.DeliveryQueued, ResetFailures: true, At: T0})
		Must(t, "ChangeDelivery", err)
		c := claimAt(time.Minute)
		got, err := st.ClaimDelivery(t.Context(), d.ID, c)
		Must(t, "ClaimDelivery", err)
		if got.Attempts != d.Attempts+1 || got.ClaimToken != c.Token || !got.NeedsLookup {
			t.Errorf("claimed: attempts %d, token %q, needs look-up %v; want %d, %q, true (the look-up is kept)", got.Attempts, got.ClaimToken, got.NeedsLookup, d.Attempts+1, c.Token)
		}
	})
	t.Run("an unknown delivery is ENOTFOUND", func(t *testing.T) {
		st := s.open(t)
		_, err := st.ChangeDelivery(t.Context(), "dnosuchdelivery", publisher.DeliveryChange{From: []publisher.DeliveryStatus{publisher.DeliveryFailed}, To: publisher.DeliveryQueued, At: T0})
		AssertCode(t, "ChangeDelivery", err, publisher.ENOTFOUND)
	})
}

func (s *suite) testListDueDeliveries(t *testing.T) {
	now, stale := T0, at(-10*time.Minute)
	old := func(d *publisher.Delivery) { d.UpdatedAt = at(-20 * time.Minute) }
	recent := func(d *publisher.Delivery) { d.UpdatedAt = at(-5 * time.Minute) }
	type spec struct {
		name   string
		status publisher.DeliveryStatus
		f      func(d *publisher.Delivery)
		due    bool
	}
	specs := []spec{
		{"queued, unchanged since before staleBefore", publisher.DeliveryQueued, old, true},
		{"queued, changed recently", publisher.DeliveryQueued, recent, false},
		{"retrying, due, unchanged", publisher.DeliveryRetrying, func(d *publisher.Delivery) { old(d); d.NextAttemptAt = atp(-time.Minute) }, true},
		{"retrying, due exactly now, unchanged", publisher.DeliveryRetrying, func(d *publisher.Delivery) { old(d); d.NextAttemptAt = atp(0) }, true},
		{"retrying, not yet due", publisher.DeliveryRetrying, func(d *publisher.Delivery) { old(d); d.NextAttemptAt = atp(time.Minute) }, false},
		{"retrying, due, changed recently", publisher.DeliveryRetrying, func(d *publisher.Delivery) { recent(d); d.NextAttemptAt = atp(-time.Minute) }, false},
		{"sending, lease expired", publisher.DeliverySending, func(d *publisher.Delivery) {
			old(d)
			d.ClaimToken, d.LeaseUntil, d.SendingSince = "tok", atp(-time.Minute), atp(-20*time.Minute)
		}, true},
		{"sending, lease expired, claimed recently", publisher.DeliverySending, func(d *publisher.Delivery) {
			recent(d)
			d.ClaimToken, d.LeaseUntil, d.SendingSince = "tok", atp(-time.Second), atp(-5*time.Minute)
		}, true},
		{"sending, lease running", publisher.DeliverySending, func(d *publisher.Delivery) {
			old(d)
			d.ClaimToken, d.LeaseUntil, d.SendingSince = "tok", atp(time.Minute), atp(-20*time.Minute)
		}, false},
	}
	for _, st := range []publisher.DeliveryStatus{publisher.DeliveryPublished, publisher.DeliveryFailed, publisher.DeliveryNeedsReconnect,
		publisher.DeliveryUnconfirmed, publisher.DeliveryCancelled} {
		specs = append(specs, spec{string(st) + ", unchanged", st, func(d *publisher.Delivery) { old(d); d.NextAttemptAt = atp(-time.Hour) }, false})
	}
	t.Run("lists queued and retrying deliveries that are due and unchanged since staleBefore, and sending ones whose lease expired, and nothing else", func(t *testing.T) {
		st := s.open(t)
		var want []string
		names := map[string]string{}
		for _, sp := range specs {
			d := deliveryIn(t, st, sp.status, sp.f)
			names[d.ID] = sp.name
			if sp.due {
				want = append(want, d.ID)
			}
		}
		got, err := st.ListDueDeliveries(t.Context(), now, stale, 100)
		Must(t, "ListDueDeliveries", err)
		gotIDs := map[string]bool{}
		for _, d := range got {
			gotIDs[d.ID] = true
			if names[d.ID] == "" {
				t.Errorf("ListDueDeliveries returned an unknown delivery %s", d.ID)
			}
		}
		for id, name := range names {
			wantIt := false
			for _, w := range want {
				wantIt = wantIt || w == id
			}
			if gotIDs[id] != wantIt {
				t.Errorf("%s: listed = %v, want %v", name, gotIDs[id], wantIt)
			}
		}
		if len(got) != len(want) {
			t.Errorf("ListDueDeliveries returned %d deliveries, want %d", len(got), len(want))
		}
	})
	t.Run("returns whole deliveries", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliverySending, func(d *publisher.Delivery) {
			old(d)
			d.Attempts, d.ClaimToken, d.LeaseUntil, d.SendingSince, d.ErrorMessage = 2, "tok", atp(-time.Minute), atp(-20*time.Minute), "earlier failure"
		})
		got, err := st.ListDueDeliveries(t.Context(), now, stale, 10)
		Must(t, "ListDueDeliveries", err)
		AssertEqual(t, "ListDueDeliveries", got, []*publisher.Delivery{d})
	})
	t.Run("returns at most limit deliveries", func(t *testing.T) {
		st := s.open(t)
		all := map[string]bool{}
		for range 7 {
			all[deliveryIn(t, st, publisher.DeliveryQueued, old).ID] = true
		}
		got, err := st.ListDueDeliveries(t.Context(), now, stale, 3)
		Must(t, "ListDueDeliveries", err)
		if len(got) != 3 {
			t.Errorf("ListDueDeliveries with limit 3 returned %d", len(got))
		}
		for _, d := range got {
			if !all[d.ID] {
				t.Errorf("ListDueDeliveries returned an unknown delivery %s", d.ID)
			}
		}
		got, err = st.ListDueDeliveries(t.Context(), now, stale, 100)
		Must(t, "ListDueDeliveries", err)
		if len(got) != 7 {
			t.Errorf("ListDueDeliveries with limit 100 returned %d, want 7", len(got))
		}
	})
	t.Run("a claim makes a delivery not due until its lease lapses", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryQueued, old)
		c := publisher.Claim{Token: "tok", Now: at(-9 * time.Minute), LeaseUntil: at(-8 * time.Minute)}
		_, err := st.ClaimDelivery(t.Context(), d.ID, c)
		Must(t, "ClaimDelivery", err)
		got, err := st.ListDueDeliveries(t.Context(), at(-8*time.Minute-time.Second), at(-30*time.Minute), 10)
		Must(t, "ListDueDeliveries within the lease", err)
		if len(got) != 0 {
			t.Errorf("ListDueDeliveries within the lease returned %d deliveries, want 0", len(got))
		}
		got, err = st.ListDueDeliveries(t.Context(), now, stale, 10)
		Must(t, "ListDueDeliveries after the lease", err)
		if len(got) != 1 || got[0].ID != d.ID {
			t.Errorf("ListDueDeliveries after the lease returned %d deliveries, want the claimed one", len(got))
		}
	})
}
