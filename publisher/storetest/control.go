package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// testControl covers ControlStore: the publishing settings, the publish
// budget counts, bulk cancellation and retractions.
func (s *suite) testControl(t *testing.T) {
	t.Run("Settings", s.testSettings)
	t.Run("CountPublished", s.testCountPublished)
	t.Run("CancelDeliveries", s.testCancelDeliveries)
	t.Run("Retractions", s.testRetractions)
}

func (s *suite) testSettings(t *testing.T) {
	t.Run("none saved reads as empty version 0", func(t *testing.T) {
		st := s.open(t)
		ps, err := st.GetSettings(t.Context())
		Must(t, "GetSettings", err)
		AssertEqual(t, "settings", ps, &publisher.PublishingSettings{})
	})
	t.Run("save, read back, change with the version, refuse a stale version", func(t *testing.T) {
		st := s.open(t)
		ps := &publisher.PublishingSettings{
			Paused: &publisher.Pause{By: "u-admin", ByName: "Digital Media Section Admin", At: T0.In(ist), Reason: "Model code of conduct: elections announced"},
			PausedOrgs: map[string]*publisher.Pause{
				"org-agri":   {By: "u-appr", ByName: "Ritu Sharma", At: at(time.Minute), Reason: "वीडियो की जाँच चल रही है"},
				"org-health": {By: "u-appr", At: at(2 * time.Minute)},
			},
			UpdatedAt: at(2 * time.Minute),
		}
		Must(t, "SaveSettings", st.SaveSettings(t.Context(), ps))
		if ps.Version != 1 {
			t.Fatalf("version after the first save = %d, want 1", ps.Version)
		}
		got, err := st.GetSettings(t.Context())
		Must(t, "GetSettings", err)
		AssertEqual(t, "settings", got, ps)

		stale := *got
		got.Paused, got.UpdatedAt = nil, at(time.Hour)
		delete(got.PausedOrgs, "org-health")
		Must(t, "SaveSettings", st.SaveSettings(t.Context(), got))
		if got.Version != 2 {
			t.Fatalf("version after the second save = %d, want 2", got.Version)
		}
		again, err := st.GetSettings(t.Context())
		Must(t, "GetSettings", err)
		AssertEqual(t, "settings", again, got)
		if again.Paused != nil || len(again.PausedOrgs) != 1 || again.PausedOrgs["org-agri"] == nil {
			t.Fatalf("settings after resuming = %+v", again)
		}
		// A save from the version read before the second save loses.
		AssertCode(t, "stale save", st.SaveSettings(t.Context(), &stale), publisher.ECONFLICT)
		// So does a second "first" save.
		AssertCode(t, "second first save", st.SaveSettings(t.Context(), &publisher.PublishingSettings{UpdatedAt: T0}), publisher.ECONFLICT)
		final, err := st.GetSettings(t.Context())
		Must(t, "GetSettings", err)
		AssertEqual(t, "settings after refused saves", final, got)
	})
	t.Run("concurrent saves of one version: exactly one wins", func(t *testing.T) {
		s.needsAtomicUpdates(t)
		st := s.open(t)
		base := &publisher.PublishingSettings{UpdatedAt: T0}
		Must(t, "SaveSettings", st.SaveSettings(t.Context(), base))
		const n = 8
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins []int
		)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ps := &publisher.PublishingSettings{Version: base.Version, UpdatedAt: at(time.Duration(i) * time.Second),
					PausedOrgs: map[string]*publisher.Pause{fmt.Sprintf("org-%d", i): {By: "u", At: T0}}}
				err := st.SaveSettings(t.Context(), ps)
				if err == nil {
					mu.Lock()
					wins = append(wins, i)
					mu.Unlock()
				} else if publisher.ErrorCode(err) != publisher.ECONFLICT {
					t.Errorf("save %d: %v, want nil or ECONFLICT", i, err)
				}
			}()
		}
		wg.Wait()
		if len(wins) != 1 {
			t.Fatalf("%d concurrent saves of version %d succeeded, want exactly 1", len(wins), base.Version)
		}
		got, err := st.GetSettings(t.Context())
		Must(t, "GetSettings", err)
		if got.Version != 2 || got.PausedOrgs[fmt.Sprintf("org-%d", wins[0])] == nil || len(got.PausedOrgs) != 1 {
			t.Fatalf("stored settings = %+v, want the winner's (org-%d) at version 2", got, wins[0])
		}
	})
}

func (s *suite) testCountPublished(t *testing.T) {
	st := s.open(t)
	f := NewFixture(t, st)
	x, fb := f.Accounts[0], f.Accounts[1]
	x2 := NewAccount(t, st, f.Org.ID, publisher.X)
	// Published deliveries of several posts: x at -20m, -10m, -5m and
	// exactly -15m; x2 at -1m; fb at -1m; plus deliveries that must not
	// count.
	var n int
	mk := func(a *publisher.Account, st2 publisher.DeliveryStatus, f2 func(d *publisher.Delivery)) *publisher.Delivery {
		n++
		p, _ := PostValue(f.Org.ID, f.Author.ID)
		d := DeliveryValue(p, 1, a, at(-time.Hour))
		d.ID = fmt.Sprintf("d-%02d-%s", n, uniq())
		d.Status = st2
		if f2 != nil {
			f2(d)
		}
		got, err := st.CreateDeliveries(t.Context(), []*publisher.Delivery{d})
		Must(t, "CreateDeliveries", err)
		if got != 1 {
			t.Fatalf("CreateDeliveries inserted %d, want 1", got)
		}
		return d
	}
	published := func(ago time.Duration) func(d *publisher.Delivery) {
		return func(d *publisher.Delivery) {
			d.PublishedAt, d.ExternalID, d.Attempts = atp(-ago), "ext-"+uniq(), 1
		}
	}
	mk(x, publisher.DeliveryPublished, published(20*time.Minute))
	mk(x, publisher.DeliveryPublished, published(15*time.Minute))
	mk(x, publisher.DeliveryPublished, published(10*time.Minute))
	mk(x, publisher.DeliveryPublished, published(5*time.Minute))
	mk(x2, publisher.DeliveryPublished, published(time.Minute))
	mk(fb, publisher.DeliveryPublished, published(time.Minute))
	// Not published (or no longer): never counted.
	mk(x, publisher.DeliveryRetracted, published(2*time.Minute))
	mk(x, publisher.DeliveryFailed, nil)
	mk(x, publisher.DeliveryQueued, nil)
	// Calls in flight on x: one under a live lease, one whose lease lapsed,
	// and the asking delivery itself.
	live := func(d *publisher.Delivery) {
		d.ClaimToken, d.LeaseUntil, d.SendingSince, d.Attempts = "tok-"+uniq(), atp(time.Minute), atp(-time.Minute), 1
	}
	mk(x, publisher.DeliverySending, live)
	mk(x, publisher.DeliverySending, func(d *publisher.Delivery) {
		d.ClaimToken, d.LeaseUntil, d.SendingSince, d.Attempts = "tok-"+uniq(), atp(-time.Second), atp(-3*time.Minute), 1
	})
	self := mk(x, publisher.DeliverySending, live)

	tests := []struct {
		name      string
		w         publisher.PublishWindow
		published int
		inFlight  int
		oldest    *time.Time
	}{
		{"one account, 15 minutes (the start of the window counts)", publisher.PublishWindow{Platform: publisher.X, AccountID: x.ID, Since: at(-15 * time.Minute), Now: T0, ExcludeID: self.ID},
			3, 1, atp(-15 * time.Minute)},
		{"one account, 1 hour", publisher.PublishWindow{Platform: publisher.X, AccountID: x.ID, Since: at(-time.Hour), Now: T0, ExcludeID: self.ID},
			4, 1, atp(-20 * time.Minute)},
		{"the asking delivery is not in flight for itself only", publisher.PublishWindow{Platform: publisher.X, AccountID: x.ID, Since: at(-time.Hour), Now: T0},
			4, 2, atp(-20 * time.Minute)},
		{"the whole platform", publisher.PublishWindow{Platform: publisher.X, Since: at(-15 * time.Minute), Now: T0, ExcludeID: self.ID},
			4, 1, atp(-15 * time.Minute)},
		{"another platform", publisher.PublishWindow{Platform: publisher.Facebook, Since: at(-15 * time.Minute), Now: T0},
			1, 0, atp(-time.Minute)},
		{"nothing in the window", publisher.PublishWindow{Platform: publisher.X, AccountID: x2.ID, Since: at(-30 * time.Second), Now: T0},
			0, 0, nil},
		{"leases are judged at Now", publisher.PublishWindow{Platform: publisher.X, AccountID: x.ID, Since: at(-time.Hour), Now: at(2 * time.Minute)},
			4, 0, atp(-20 * time.Minute)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := st.CountPublished(t.Context(), tc.w)
			Must(t, "CountPublished", err)
			if c.Published != tc.published || c.InFlight != tc.inFlight {
				t.Fatalf("count = %d published, %d in flight; want %d, %d", c.Published, c.InFlight, tc.published, tc.inFlight)
			}
			AssertEqual(t, "oldest", c.Oldest, tc.oldest)
		})
	}
}

func (s *suite) testCancelDeliveries(t *testing.T) {
	st := s.open(t)
	f := NewFixture(t, st)
	p := NewPost(t, st, f.Org.ID, f.Author.ID)
	other := NewPost(t, st, f.Org.ID, f.Author.ID)
	accts := []*publisher.Account{f.Accounts[0], f.Accounts[1], f.Accounts[2],
		NewAccount(t, st, f.Org.ID, publisher.Telegram), NewAccount(t, st, f.Org.ID, publisher.Bluesky), NewAccount(t, st, f.Org.ID, publisher.LinkedIn)}
	statuses := []publisher.DeliveryStatus{publisher.DeliveryQueued, publisher.DeliveryRetrying, publisher.DeliveryUnconfirmed,
		publisher.DeliverySending, publisher.DeliveryPublished, publisher.DeliveryFailed}
	var ds []*publisher.Delivery
	for i, a := range accts {
		d := DeliveryValue(p, p.Revision, a, at(-time.Hour))
		d.Status, d.Attempts = statuses[i], 1
		switch d.Status {
		case publisher.DeliveryRetrying:
			d.NextAttemptAt, d.ErrorClass, d.ErrorMessage, d.PlatformMessage, d.NeedsLookup = atp(time.Minute), publisher.ClassRetryable, "trying again", "(#2) Service temporarily unavailable", true
		case publisher.DeliveryUnconfirmed:
			d.NeedsLookup, d.ErrorMessage = true, "check the account"
		case publisher.DeliverySending:
			d.ClaimToken, d.LeaseUntil, d.SendingSince = "tok-live", atp(time.Minute), atp(-time.Second)
		case publisher.DeliveryPublished:
			d.ExternalID, d.ExternalURL, d.PublishedAt = "123_456", "https://facebook.example/123_456", atp(-time.Minute)
		}
		ds = append(ds, d)
	}
	otherD := DeliveryValue(other, other.Revision, accts[0], at(-time.Hour))
	n, err := st.CreateDeliveries(t.Context(), append(ds, otherD))
	Must(t, "CreateDeliveries", err)
	if n != len(ds)+1 {
		t.Fatalf("inserted %d", n)
	}
	from := []publisher.DeliveryStatus{publisher.DeliveryQueued, publisher.DeliveryRetrying, publisher.DeliveryUnconfirmed, publisher.DeliveryFailed}
	got, err := st.CancelDeliveries(t.Context(), publisher.DeliveryCancel{PostID: p.ID, From: from, Message: "Cancelled: the post was retracted.", At: at(time.Hour)})
	Must(t, "CancelDeliveries", err)
	if got != 4 {
		t.Fatalf("cancelled %d, want 4 (queued, retrying, unconfirmed, failed)", got)
	}
	for _, d := range ds {
		now, err := st.GetDelivery(t.Context(), d.ID)
		Must(t, "GetDelivery", err)
		want := *d
		switch d.Status {
		case publisher.DeliverySending, publisher.DeliveryPublished:
			// untouched
		default:
			want.Status, want.ErrorMessage, want.ErrorClass, want.PlatformMessage = publisher.DeliveryCancelled, "Cancelled: the post was retracted.", "", ""
			want.NextAttemptAt, want.UpdatedAt = nil, at(time.Hour)
		}
		AssertEqual(t, "delivery "+string(d.Status), now, &want)
	}
	o, err := st.GetDelivery(t.Context(), otherD.ID)
	Must(t, "GetDelivery", err)
	AssertEqual(t, "another post's delivery", o, otherD)
	// A cancelled delivery cannot be claimed; cancelling again changes
	// nothing.
	_, err = st.ClaimDelivery(t.Context(), ds[0].ID, claimAt(2*time.Hour))
	AssertCode(t, "claim of a cancelled delivery", err, publisher.ECONFLICT)
	got, err = st.CancelDeliveries(t.Context(), publisher.DeliveryCancel{PostID: p.ID, From: from, Message: "again", At: at(2 * time.Hour)})
	Must(t, "CancelDeliveries", err)
	if got != 0 {
		t.Fatalf("second cancellation changed %d, want 0", got)
	}
	got, err = st.CancelDeliveries(t.Context(), publisher.DeliveryCancel{PostID: p.ID, At: T0})
	Must(t, "CancelDeliveries without statuses", err)
	if got != 0 {
		t.Fatalf("cancellation without statuses changed %d, want 0", got)
	}
}

func (s *suite) testRetractions(t *testing.T) {
	mk := func() *publisher.Retraction {
		return &publisher.Retraction{PostID: "post-" + uniq(), OrgID: "org-1", Reason: "गलत तिथि प्रकाशित हुई / wrong date published",
			RequestedBy: "u-appr", RequestedByName: "Ritu Sharma", RequestedAt: T0.In(ist), UpdatedAt: T0}
	}
	t.Run("create, read, update with the version; stale and missing", func(t *testing.T) {
		st := s.open(t)
		r := mk()
		Must(t, "CreateRetraction", st.CreateRetraction(t.Context(), r))
		if r.Version != 1 {
			t.Fatalf("version after create = %d, want 1", r.Version)
		}
		got, err := st.GetRetraction(t.Context(), r.PostID)
		Must(t, "GetRetraction", err)
		AssertEqual(t, "retraction", got, r)
		AssertCode(t, "second retraction of a post", st.CreateRetraction(t.Context(), mk2(r)), publisher.ECONFLICT)

		stale := *got
		done := at(time.Hour)
		got.Items = []publisher.RetractionItem{
			{DeliveryID: "d1", AccountID: "a1", Platform: publisher.X, Outcome: publisher.RetractDeleted, Message: "Deleted from X.", URL: "https://x.example/1", At: at(time.Minute)},
			{DeliveryID: "d2", AccountID: "a2", Platform: publisher.Instagram, Outcome: publisher.RetractNotSupported, Message: "Instagram does not let Prasar delete posts.", At: at(time.Minute)},
			{DeliveryID: "d3", AccountID: "a3", Platform: publisher.Facebook, Outcome: publisher.RetractPending, Tries: 2, At: at(2 * time.Minute)},
		}
		got.Done, got.CompletedAt, got.UpdatedAt = true, &done, done
		Must(t, "UpdateRetraction", st.UpdateRetraction(t.Context(), got))
		if got.Version != 2 {
			t.Fatalf("version after update = %d, want 2", got.Version)
		}
		again, err := st.GetRetraction(t.Context(), r.PostID)
		Must(t, "GetRetraction", err)
		AssertEqual(t, "updated retraction", again, got)
		AssertCode(t, "stale update", st.UpdateRetraction(t.Context(), &stale), publisher.ECONFLICT)
		AssertCode(t, "update of a missing retraction", st.UpdateRetraction(t.Context(), mk()), publisher.ENOTFOUND)
		_, err = st.GetRetraction(t.Context(), "post-none")
		AssertCode(t, "missing retraction", err, publisher.ENOTFOUND)
	})
	t.Run("concurrent updates of one version: exactly one wins", func(t *testing.T) {
		s.needsAtomicUpdates(t)
		st := s.open(t)
		r := mk()
		Must(t, "CreateRetraction", st.CreateRetraction(t.Context(), r))
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins int
		)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := *r
				c.Items = []publisher.RetractionItem{{DeliveryID: fmt.Sprintf("d%d", i), Outcome: publisher.RetractDeleted, At: T0}}
				err := st.UpdateRetraction(t.Context(), &c)
				if err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if publisher.ErrorCode(err) != publisher.ECONFLICT {
					t.Errorf("update %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d concurrent updates of version 1 succeeded, want exactly 1", wins)
		}
	})
}

// mk2 returns another retraction of r's post.
func mk2(r *publisher.Retraction) *publisher.Retraction {
	c := *r
	c.Reason, c.Version = "a second request", 0
	return &c
}
