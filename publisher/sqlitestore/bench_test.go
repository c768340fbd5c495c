package sqlitestore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/benchcpu"
	"github.com/prasar/prasar/publisher/storetest"
)

// fanout returns the 1,000 queued deliveries of one post revision, as
// `make bench` makes them.
func fanout(p *publisher.Post, rev int) []*publisher.Delivery {
	ds := make([]*publisher.Delivery, 1000)
	for i := range ds {
		a := &publisher.Account{ID: fmt.Sprintf("acct-%04d", i), Platform: publisher.Platforms[i%len(publisher.Platforms)]}
		ds[i] = storetest.DeliveryValue(p, rev, a, storetest.T0)
	}
	return ds
}

// queuedDeliveries stores fan-outs of one post until s has at least n
// queued deliveries (on platform, if given: every account on it) and
// returns them.
func queuedDeliveries(b *testing.B, s publisher.Store, n int, platform publisher.Platform) []*publisher.Delivery {
	b.Helper()
	p, _ := storetest.PostValue("org-1", "user-1")
	var ds []*publisher.Delivery
	for rev := 1; len(ds) < n; rev++ {
		batch := fanout(p, rev)
		for _, d := range batch {
			if platform != "" {
				d.Platform = platform
			}
		}
		if _, err := s.CreateDeliveries(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, batch...)
	}
	return ds
}

// BenchmarkCreateDeliveries1000 measures the fan-out of one post to 1,000
// accounts: one CreateDeliveries call (one transaction) per iteration.
func BenchmarkCreateDeliveries1000(b *testing.B) {
	s := open(b, "")
	p, _ := storetest.PostValue("org-1", "user-1")
	rev := 0
	cpu := benchcpu.Now()
	for b.Loop() {
		rev++
		n, err := s.CreateDeliveries(b.Context(), fanout(p, rev))
		if err != nil || n != 1000 {
			b.Fatalf("CreateDeliveries: %d, %v", n, err)
		}
	}
	benchcpu.Report(b, cpu)
}

// BenchmarkCreateDeliveries1000Again measures a re-run fan-out that
// inserts nothing.
func BenchmarkCreateDeliveries1000Again(b *testing.B) {
	s := open(b, "")
	p, _ := storetest.PostValue("org-1", "user-1")
	ds := fanout(p, 1)
	if _, err := s.CreateDeliveries(b.Context(), ds); err != nil {
		b.Fatal(err)
	}
	cpu := benchcpu.Now()
	for b.Loop() {
		if n, err := s.CreateDeliveries(b.Context(), ds); err != nil || n != 0 {
			b.Fatalf("CreateDeliveries: %d, %v", n, err)
		}
	}
	benchcpu.Report(b, cpu)
}

// BenchmarkClaimFinish measures one delivery attempt's store work: a claim
// and a finish, one statement each.
func BenchmarkClaimFinish(b *testing.B) {
	s := open(b, "")
	ds := queuedDeliveries(b, s, 20000, "")
	i := 0
	cpu := benchcpu.Now()
	for b.Loop() {
		d := ds[i%len(ds)]
		now := storetest.T0.Add(time.Duration(i) * time.Hour) // each round takes over the last round's lapsed lease
		i++
		tok := fmt.Sprintf("tok-%d", i)
		if _, err := s.ClaimDelivery(b.Context(), d.ID, publisher.Claim{Token: tok, Now: now, LeaseUntil: now.Add(time.Minute)}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.FinishDelivery(b.Context(), d.ID, tok, publisher.DeliveryResult{Status: publisher.DeliveryRetrying,
			NextAttemptAt: &now, ExternalID: "ext", At: now}); err != nil {
			b.Fatal(err)
		}
	}
	benchcpu.Report(b, cpu)
}

// BenchmarkClaimFinishParallel runs claim+finish from GOMAXPROCS×4
// goroutines on distinct deliveries, as a worker pool does.
func BenchmarkClaimFinishParallel(b *testing.B) {
	s := open(b, "")
	ds := queuedDeliveries(b, s, 20000, "")
	var next atomicCounter
	b.SetParallelism(4)
	b.ResetTimer()
	cpu := benchcpu.Now()
	defer func() { benchcpu.Report(b, cpu) }()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.add()
			d := ds[i%len(ds)]
			now := storetest.T0.Add(time.Duration(i) * time.Hour)
			tok := fmt.Sprintf("tok-%d", i)
			if _, err := s.ClaimDelivery(b.Context(), d.ID, publisher.Claim{Token: tok, Now: now, LeaseUntil: now.Add(time.Minute)}); err != nil {
				if publisher.IsCode(err, publisher.ECONFLICT) {
					continue // another goroutine holds this one (the ring wrapped)
				}
				b.Error(err)
				return
			}
			if _, err := s.FinishDelivery(b.Context(), d.ID, tok, publisher.DeliveryResult{Status: publisher.DeliveryRetrying,
				NextAttemptAt: &now, At: now}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkDeliver20 runs a delivery attempt's store writes as the
// pipeline makes them — a claim, then a finish that records the attempt
// with the result — from 20 goroutines at once on distinct deliveries, as
// 20 workers of a fan-out do. ns/op is per attempt (two writes).
func BenchmarkDeliver20(b *testing.B) {
	const workers = 20
	s := open(b, "")
	ds := queuedDeliveries(b, s, 20000, "")
	commits0, ops0 := s.CommitStats()
	b.ResetTimer()
	cpu := benchcpu.Now()
	benchcpu.Spread(b, workers, func(i int) error {
		d := ds[i%len(ds)]
		now := storetest.T0.Add(time.Duration(i) * time.Hour)
		tok := fmt.Sprintf("tok-%d", i)
		held, err := s.ClaimDelivery(b.Context(), d.ID, publisher.Claim{Token: tok, Now: now, LeaseUntil: now.Add(time.Minute)})
		if publisher.IsCode(err, publisher.ECONFLICT) {
			return nil // another goroutine holds this one (the ring wrapped)
		} else if err != nil {
			return err
		}
		end := now.Add(time.Second)
		_, err = s.FinishDelivery(b.Context(), d.ID, tok, publisher.DeliveryResult{Status: publisher.DeliveryRetrying, Failures: 1,
			NextAttemptAt: &end, ErrorClass: publisher.ClassRetryable, ErrorMessage: "Facebook could not be reached.", At: end,
			Attempt: &publisher.Attempt{DeliveryID: d.ID, N: held.Attempts, StartedAt: now, EndedAt: end, Outcome: "retrying",
				ErrorClass: publisher.ClassRetryable, Message: "502 Bad Gateway"}})
		return err
	})
	benchcpu.Report(b, cpu)
	commits, ops := s.CommitStats()
	b.ReportMetric(float64(ops-ops0)/float64(max(commits-commits0, 1)), "writes/commit")
}

// BenchmarkDeliverPublished20 runs the store writes of a fan-out's
// deliveries as the pipeline makes them — a claim, then a finish that
// records the attempt and the post as published — from 20 goroutines at
// once, each delivery new, on 1,000 accounts of one platform (`make
// bench`'s fan-out, without the queue and the platform). ns/op is per
// delivery (two writes).
func BenchmarkDeliverPublished20(b *testing.B) {
	const workers = 20
	s := open(b, "")
	ds := queuedDeliveries(b, s, b.N, publisher.Facebook)
	commits0, ops0 := s.CommitStats()
	b.ResetTimer()
	cpu := benchcpu.Now()
	benchcpu.Spread(b, workers, func(i int) error {
		d := ds[i]
		now := storetest.T0.Add(time.Duration(i) * time.Millisecond)
		tok := fmt.Sprintf("tok-%d", i)
		held, err := s.ClaimDelivery(b.Context(), d.ID, publisher.Claim{Token: tok, Now: now, LeaseUntil: now.Add(time.Minute)})
		if err != nil {
			return err
		}
		end := now.Add(time.Millisecond)
		_, err = s.FinishDelivery(b.Context(), d.ID, tok, publisher.DeliveryResult{Status: publisher.DeliveryPublished,
			ExternalID: fmt.Sprintf("1234567890_%d", i), ExternalURL: fmt.Sprintf("https://www.facebook.com/1234567890_%d", i), PublishedAt: &end, At: end,
			Attempt: &publisher.Attempt{DeliveryID: d.ID, N: held.Attempts, StartedAt: now, EndedAt: end, Outcome: "published"}})
		return err
	})
	benchcpu.Report(b, cpu)
	commits, ops := s.CommitStats()
	b.ReportMetric(float64(ops-ops0)/float64(max(commits-commits0, 1)), "writes/commit")
}

// BenchmarkGetAccount measures the read every delivery attempt starts
// with, among 1,000 accounts.
func BenchmarkGetAccount(b *testing.B) {
	s := open(b, "")
	var ids []string
	for range 1000 {
		ids = append(ids, storetest.NewAccount(b, s, "org-1", publisher.Facebook).ID)
	}
	i := 0
	cpu := benchcpu.Now()
	for b.Loop() {
		if _, err := s.GetAccount(b.Context(), ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	benchcpu.Report(b, cpu)
}

// BenchmarkListDeliveriesHistory measures one page of the publish history
// of an organisation over 100,000 deliveries.
func BenchmarkListDeliveriesHistory(b *testing.B) {
	s := open(b, "")
	for k := range 100 {
		p, _ := storetest.PostValue(fmt.Sprintf("org-%d", k%20), "user-1")
		ds := fanout(p, 1)
		for i, d := range ds {
			d.CreatedAt = storetest.T0.Add(time.Duration(k)*time.Hour + time.Duration(i)*time.Millisecond)
		}
		if _, err := s.CreateDeliveries(b.Context(), ds); err != nil {
			b.Fatal(err)
		}
	}
	cpu := benchcpu.Now()
	for b.Loop() {
		ds, total, err := s.ListDeliveries(b.Context(), publisher.DeliveryFilter{OrgID: "org-7", Platform: publisher.X, Limit: 50, Offset: 100})
		if err != nil || len(ds) != 50 || total == 0 {
			b.Fatalf("ListDeliveries: %d of %d, %v", len(ds), total, err)
		}
	}
	benchcpu.Report(b, cpu)
}

// atomicCounter hands out increasing numbers to parallel goroutines.
type atomicCounter struct {
	mu sync.Mutex
	n  int
}

func (c *atomicCounter) add() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}
