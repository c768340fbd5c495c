package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

func (s *suite) testConcurrency(t *testing.T) {
	t.Run("of 16 concurrent claims of one delivery exactly one succeeds and the others get ECONFLICT", func(t *testing.T) {
		s.needsAtomicUpdates(t)
		st := s.open(t)
		// Several rounds, each on a fresh delivery, so that a race that
		// needs unlucky timing shows up too.
		for round := range 20 {
			s.claimRace(t, st, round)
		}
	})
	t.Run("8 workers looping over 200 deliveries claim each exactly once and record one attempt each", func(t *testing.T) {
		s.needsAtomicUpdates(t)
		st := s.open(t)
		p := NewPost(t, st, "org-1", "user-1")
		ds := make([]*publisher.Delivery, 200)
		for i := range ds {
			ds[i] = DeliveryValue(p, 1, &publisher.Account{ID: fmt.Sprintf("acct-%03d", i), Platform: publisher.X}, T0)
		}
		_, err := st.CreateDeliveries(t.Context(), ds)
		Must(t, "CreateDeliveries", err)
		const workers = 8
		var (
			wg     sync.WaitGroup
			start  = make(chan struct{})
			mu     sync.Mutex
			claims = map[string][]string{} // delivery id → tokens that claimed it
			failed atomic.Int64
		)
		for w := range workers {
			wg.Go(func() {
				<-start
				// Half the workers go forwards, half backwards, so that
				// they collide in the middle as well as at the start.
				for k := range ds {
					i := k
					if w%2 == 1 {
						i = len(ds) - 1 - k
					}
					tok := fmt.Sprintf("w%d-%03d", w, i)
					held, err := st.ClaimDelivery(t.Context(), ds[i].ID, publisher.Claim{Token: tok, Now: T0, LeaseUntil: at(time.Hour)})
					if publisher.IsCode(err, publisher.ECONFLICT) {
						continue
					} else if err != nil {
						failed.Add(1)
						t.Errorf("worker %d, delivery %d: %v", w, i, err)
						continue
					}
					mu.Lock()
					claims[ds[i].ID] = append(claims[ds[i].ID], tok)
					mu.Unlock()
					r := publisher.DeliveryResult{Status: publisher.DeliveryPublished, ExternalID: tok, At: at(time.Second),
						Attempt: &publisher.Attempt{DeliveryID: held.ID, N: held.Attempts, StartedAt: T0, EndedAt: at(time.Second), Outcome: "published", Message: tok}}
					if _, err := st.FinishDelivery(t.Context(), ds[i].ID, tok, r); err != nil {
						failed.Add(1)
						t.Errorf("worker %d finishing delivery %d: %v", w, i, err)
					}
				}
			})
		}
		close(start)
		wg.Wait()
		if failed.Load() > 0 {
			return
		}
		for i, d := range ds {
			toks := claims[d.ID]
			if len(toks) != 1 {
				t.Errorf("delivery %d was claimed %d times (%v), want once", i, len(toks), toks)
				continue
			}
			got := s.getDelivery(t, st, d.ID)
			if got.Attempts != 1 || got.Status != publisher.DeliveryPublished || got.ExternalID != toks[0] {
				t.Errorf("delivery %d: attempts %d, status %q, external id %q; want 1, published, %q", i, got.Attempts, got.Status, got.ExternalID, toks[0])
			}
			as, err := st.ListAttempts(t.Context(), d.ID)
			Must(t, "ListAttempts", err)
			if len(as) != 1 || as[0].Message != toks[0] || as[0].N != 1 {
				t.Errorf("delivery %d: attempts recorded %+v, want one, numbered 1, by %q", i, as, toks[0])
			}
		}
	})
	t.Run("concurrent take-overs of one delivery count every successful claim in Attempts", func(t *testing.T) {
		s.needsAtomicUpdates(t)
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryQueued, nil)
		const workers, tries = 8, 25
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			clock atomic.Int64
			won   atomic.Int64
		)
		for w := range workers {
			wg.Go(func() {
				<-start
				for k := range tries {
					// Each claim's lease has lapsed by the next claim's time,
					// so every claim that sees the latest state may succeed.
					now := at(time.Duration(clock.Add(1)) * time.Second)
					_, err := st.ClaimDelivery(t.Context(), d.ID, publisher.Claim{Token: fmt.Sprintf("w%d-%d", w, k), Now: now, LeaseUntil: now})
					if err == nil {
						won.Add(1)
					} else if !publisher.IsCode(err, publisher.ECONFLICT) {
						t.Errorf("worker %d, try %d: %v", w, k, err)
					}
				}
			})
		}
		close(start)
		wg.Wait()
		got := s.getDelivery(t, st, d.ID)
		if int64(got.Attempts) != won.Load() {
			t.Errorf("Attempts = %d after %d successful claims: increments were lost or invented", got.Attempts, won.Load())
		}
		if won.Load() == 0 {
			t.Errorf("no claim succeeded")
		}
	})
	t.Run("of 8 concurrent UpdatePost calls from one version exactly one wins and only its revision is kept", func(t *testing.T) {
		s.needsAtomicUpdates(t)
		st := s.open(t)
		for round := range 20 {
			s.updateRace(t, st, round)
		}
	})
}

// claimRace runs 16 concurrent claims of one new delivery and checks that
// exactly one succeeds.
func (s *suite) claimRace(t *testing.T, st publisher.Store, round int) {
	t.Helper()
	d := deliveryIn(t, st, publisher.DeliveryQueued, nil)
	const n = 16
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		errs    = make([]error, n)
		tokens  = make([]string, n)
		results = make([]*publisher.Delivery, n)
	)
	for i := range n {
		tokens[i] = fmt.Sprintf("tok-%02d", i)
		wg.Go(func() {
			<-start
			results[i], errs[i] = st.ClaimDelivery(t.Context(), d.ID, publisher.Claim{Token: tokens[i], Now: T0, LeaseUntil: at(5 * time.Minute)})
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("round %d: claims %d and %d both succeeded", round, winner, i)
		case err == nil:
			winner = i
		case !publisher.IsCode(err, publisher.ECONFLICT):
			t.Errorf("round %d, claim %d: got %v, want ECONFLICT", round, i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("round %d: no claim succeeded", round)
	}
	got := s.getDelivery(t, st, d.ID)
	if got.Attempts != 1 || got.ClaimToken != tokens[winner] || got.Status != publisher.DeliverySending {
		t.Errorf("round %d: stored: attempts %d, token %q, status %q; want 1, the winner's %q, sending", round, got.Attempts, got.ClaimToken, got.Status, tokens[winner])
	}
	AssertEqual(t, fmt.Sprintf("round %d: the winner's delivery", round), results[winner], got)
}

// updateRace runs 8 concurrent UpdatePost calls from one version of a new
// post and checks that exactly one wins.
func (s *suite) updateRace(t *testing.T, st publisher.Store, round int) {
	t.Helper()
	p := NewPost(t, st, "org-1", "user-1")
	const n = 8
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, n)
		posts = make([]*publisher.Post, n)
	)
	for i := range n {
		q, rev := editedPost(p, 2+i)
		q.Title = fmt.Sprintf("edit %d", i)
		posts[i] = q
		wg.Go(func() {
			<-start
			errs[i] = st.UpdatePost(t.Context(), q, rev)
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("round %d: updates %d and %d both succeeded", round, winner, i)
		case err == nil:
			winner = i
		case !publisher.IsCode(err, publisher.ECONFLICT):
			t.Errorf("round %d, update %d: got %v, want ECONFLICT", round, i, err)
		default:
			if posts[i].Version != p.Version {
				t.Errorf("round %d: refused update %d changed p.Version to %d", round, i, posts[i].Version)
			}
		}
	}
	if winner < 0 {
		t.Fatalf("round %d: no update succeeded", round)
	}
	got, err := st.GetPost(t.Context(), p.ID)
	Must(t, "GetPost", err)
	AssertEqual(t, fmt.Sprintf("round %d: the stored post", round), got, posts[winner])
	if got.Version != p.Version+1 {
		t.Errorf("round %d: Version = %d, want %d", round, got.Version, p.Version+1)
	}
	revs, err := st.ListRevisions(t.Context(), p.ID)
	Must(t, "ListRevisions", err)
	var nums []int
	for _, r := range revs {
		nums = append(nums, r.Revision)
	}
	if want := fmt.Sprint([]int{1, 2 + winner}); fmt.Sprint(nums) != want {
		t.Errorf("round %d: revisions stored: %v, want %s (the losers' revisions must not be left behind)", round, nums, want)
	}
}
