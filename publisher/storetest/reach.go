package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// RunReach runs only the ReachStore cases of the suite (Run runs them
// too). A store's own tests use it to run them under other conditions, for
// example against a server whose connection pool serialises operations.
func RunReach(t *testing.T, open func(t *testing.T) publisher.Store, opts Options) {
	t.Helper()
	if (opts.NoAtomicUpdates || opts.NoUniqueOnUpdate) && opts.Reason == "" {
		t.Fatal("storetest: Options.Reason must say why guarantees are missing and where the skipped cases run")
	}
	s := &suite{open: open, opts: opts}
	s.testReach(t)
}

// testReach covers ReachStore: raw readings, contributions merged into the
// roll-ups exactly once, the queries the dashboards make, rebuilds,
// collection tracks and digests, and the roll-ups under concurrent
// workers.
func (s *suite) testReach(t *testing.T) {
	t.Run("a reading is kept raw and counts in its eight roll-up rows", func(t *testing.T) {
		st := s.open(t)
		r, c := reading("d1", "org-a", publisher.Facebook, at(0), at(time.Hour), map[string]int64{"post_total_media_view_unique": 210, "post_media_view": 330},
			map[string]string{"post_impressions_unique": "(#100) The value must be a valid insights metric"}), contrib("d1", "org-a", publisher.Facebook, at(0), at(time.Hour), ptr[int64](210), ptr[int64](330), nil)
		changed, err := st.RecordReading(t.Context(), r, c)
		Must(t, "RecordReading", err)
		if !changed {
			t.Error("the first reading of a delivery changed nothing")
		}
		got, err := st.ListReadings(t.Context(), []string{"d1"})
		Must(t, "ListReadings", err)
		if len(got) != 1 {
			t.Fatalf("%d readings stored, want 1", len(got))
		}
		AssertEqual(t, "stored reading", got[0], r)
		cs, err := st.GetContributions(t.Context(), []string{"d1", "no-such"})
		Must(t, "GetContributions", err)
		if len(cs) != 1 {
			t.Fatalf("%d contributions, want 1", len(cs))
		}
		AssertEqual(t, "contribution", cs[0], c)
		want := publisher.Totals{Posts: 1, Reach: 210, ReachPosts: 1, Views: 330, ViewsPosts: 1}
		for _, k := range publisher.RollupKeys(c) {
			AssertEqual(t, "roll-up "+k.String(), rollupAt(t, st, k), want)
		}
		// Another day, organisation or platform has nothing.
		AssertEqual(t, "another day's roll-up", rollupAt(t, st, publisher.RollupKey{Period: publisher.PeriodDay, OrgID: "org-a", Platform: publisher.Facebook, Start: "2025-03-04"}), publisher.Totals{})
		AssertEqual(t, "another platform's roll-up", rollupAt(t, st, publisher.RollupKey{Period: publisher.PeriodDay, OrgID: "org-a", Platform: publisher.X, Start: c.Day}), publisher.Totals{})
	})

	t.Run("a newer reading replaces the contribution and the roll-ups change by the difference; a figure it lacks keeps its value", func(t *testing.T) {
		st := s.open(t)
		record(t, st, contrib("d1", "org-a", publisher.Instagram, at(0), at(time.Hour), ptr[int64](100), ptr[int64](150), ptr[int64](10)))
		record(t, st, contrib("d2", "org-a", publisher.Instagram, at(time.Minute), at(time.Hour), ptr[int64](40), nil, ptr[int64](4)))
		// d1 grows; its views are not reported this time (a deprecated
		// metric): they stay 150.
		c := contrib("d1", "org-a", publisher.Instagram, at(0), at(6*time.Hour), ptr[int64](180), nil, ptr[int64](25))
		changed, err := st.RecordReading(t.Context(), nil, c)
		Must(t, "RecordReading", err)
		if !changed {
			t.Fatal("a newer reading changed nothing")
		}
		want := publisher.Totals{Posts: 2, Reach: 220, ReachPosts: 2, Views: 150, ViewsPosts: 1, Engagements: 29, EngagementPosts: 2}
		for _, k := range publisher.RollupKeys(c) {
			AssertEqual(t, "roll-up "+k.String(), rollupAt(t, st, k), want)
		}
		cs, err := st.GetContributions(t.Context(), []string{"d1"})
		Must(t, "GetContributions", err)
		wantC := *c
		wantC.Figures.Views = ptr[int64](150)
		AssertEqual(t, "merged contribution", cs[0], &wantC)
	})

	t.Run("the same reading twice, or an older one after a newer, changes nothing", func(t *testing.T) {
		st := s.open(t)
		r, c := reading("d1", "org-a", publisher.X, at(0), at(6*time.Hour), map[string]int64{"public_metrics.impression_count": 900}, nil),
			contrib("d1", "org-a", publisher.X, at(0), at(6*time.Hour), nil, ptr[int64](900), ptr[int64](30))
		_, err := st.RecordReading(t.Context(), r, c)
		Must(t, "RecordReading", err)
		changed, err := st.RecordReading(t.Context(), r, c)
		Must(t, "RecordReading again", err)
		if changed {
			t.Error("recording the same reading again changed the contribution")
		}
		older := contrib("d1", "org-a", publisher.X, at(0), at(time.Hour), nil, ptr[int64](400), ptr[int64](10))
		changed, err = st.RecordReading(t.Context(), nil, older)
		Must(t, "RecordReading (older)", err)
		if changed {
			t.Error("an older reading changed the contribution")
		}
		want := publisher.Totals{Posts: 1, Views: 900, ViewsPosts: 1, Engagements: 30, EngagementPosts: 1}
		for _, k := range publisher.RollupKeys(c) {
			AssertEqual(t, "roll-up "+k.String(), rollupAt(t, st, k), want)
		}
	})

	t.Run("roll-up queries: segments, one organisation, all of them, each of them, sums by organisation", func(t *testing.T) {
		st := s.open(t)
		// org-a: Mar 3 Facebook 100, Mar 3 X (no reach), Apr 2 Facebook 50; org-b: Mar 31 Facebook 7.
		record(t, st, contrib("a1", "org-a", publisher.Facebook, at(0), at(time.Hour), ptr[int64](100), ptr[int64](120), ptr[int64](9)))
		record(t, st, contrib("a2", "org-a", publisher.X, at(time.Hour), at(2*time.Hour), nil, ptr[int64](300), ptr[int64](12)))
		record(t, st, contrib("a3", "org-a", publisher.Facebook, at(30*24*time.Hour), at(31*24*time.Hour), ptr[int64](50), nil, nil))
		record(t, st, contrib("b1", "org-b", publisher.Facebook, at(28*24*time.Hour), at(29*24*time.Hour), ptr[int64](7), ptr[int64](8), ptr[int64](1)))

		rows, err := st.ListRollups(t.Context(), publisher.RollupQuery{Segments: []publisher.RollupSegment{{Period: publisher.PeriodDay, From: "2025-03-01", To: "2025-04-30"}},
			OrgID: "org-a", Platform: publisher.AllPlatforms})
		Must(t, "ListRollups", err)
		if len(rows) != 2 || rows[0].Start != "2025-03-03" || rows[1].Start != "2025-04-02" {
			t.Fatalf("org-a's days = %+v, want Mar 3 and Apr 2", rows)
		}
		AssertEqual(t, "org-a on Mar 3, all platforms", rows[0].Totals, publisher.Totals{Posts: 2, Reach: 100, ReachPosts: 1, Views: 420, ViewsPosts: 2, Engagements: 21, EngagementPosts: 2})
		if rows[0].Period != publisher.PeriodDay || rows[0].OrgID != "org-a" || rows[0].Platform != publisher.AllPlatforms {
			t.Errorf("row = %+v", rows[0])
		}

		// Months: March for all organisations on Facebook.
		rows, err = st.ListRollups(t.Context(), publisher.RollupQuery{Segments: []publisher.RollupSegment{{Period: publisher.PeriodMonth, From: "2025-03-01", To: "2025-03-01"}},
			OrgID: publisher.AllOrgs, Platform: publisher.Facebook})
		Must(t, "ListRollups", err)
		if len(rows) != 1 {
			t.Fatalf("rows = %+v, want March", rows)
		}
		AssertEqual(t, "March on Facebook", rows[0].Totals, publisher.Totals{Posts: 2, Reach: 107, ReachPosts: 2, Views: 128, ViewsPosts: 2, Engagements: 10, EngagementPosts: 2})

		// Each organisation separately over two segments (a day range and
		// a month), and the same summed by organisation.
		segs := []publisher.RollupSegment{{Period: publisher.PeriodDay, From: "2025-03-31", To: "2025-03-31"}, {Period: publisher.PeriodMonth, From: "2025-04-01", To: "2025-04-01"}}
		rows, err = st.ListRollups(t.Context(), publisher.RollupQuery{Segments: segs, Platform: publisher.Facebook})
		Must(t, "ListRollups", err)
		var got []string
		for _, r := range rows {
			got = append(got, fmt.Sprintf("%s %s %s %d", r.Period, r.OrgID, r.Start, r.Reach))
		}
		want := []string{"day org-b 2025-03-31 7", "month org-a 2025-04-01 50"}
		if !slices.Equal(got, want) {
			t.Errorf("rows of every organisation = %q, want %q (by period, organisation, start; never the all-organisations row)", got, want)
		}
		sums, err := st.ListRollups(t.Context(), publisher.RollupQuery{Segments: []publisher.RollupSegment{
			{Period: publisher.PeriodDay, From: "2025-03-01", To: "2025-03-31"}, {Period: publisher.PeriodMonth, From: "2025-04-01", To: "2025-04-01"}},
			Platform: publisher.AllPlatforms, ByOrg: true})
		Must(t, "ListRollups by organisation", err)
		if len(sums) != 2 || sums[0].OrgID != "org-a" || sums[1].OrgID != "org-b" {
			t.Fatalf("sums = %+v, want org-a and org-b", sums)
		}
		AssertEqual(t, "org-a's sum", sums[0].Totals, publisher.Totals{Posts: 3, Reach: 150, ReachPosts: 2, Views: 420, ViewsPosts: 2, Engagements: 21, EngagementPosts: 2})
		AssertEqual(t, "org-b's sum", sums[1].Totals, publisher.Totals{Posts: 1, Reach: 7, ReachPosts: 1, Views: 8, ViewsPosts: 1, Engagements: 1, EngagementPosts: 1})
	})

	t.Run("top contributions: largest first, ties by delivery id, only those with the figure, filtered", func(t *testing.T) {
		st := s.open(t)
		for i, v := range []int64{50, 900, 50, 300, 10} {
			record(t, st, contrib(fmt.Sprintf("d%d", i), "org-a", publisher.Facebook, at(time.Duration(i)*24*time.Hour), at(40*24*time.Hour), ptr(v), ptr(v*2), nil))
		}
		record(t, st, contrib("x1", "org-a", publisher.X, at(0), at(time.Hour), nil, ptr[int64](5000), ptr[int64](70)))
		record(t, st, contrib("b1", "org-b", publisher.Facebook, at(0), at(time.Hour), ptr[int64](2000), nil, ptr[int64](3)))
		top := func(q publisher.TopQuery) []string {
			t.Helper()
			cs, err := st.TopContributions(t.Context(), q)
			Must(t, "TopContributions", err)
			return ids(cs, func(c *publisher.Contribution) string { return c.DeliveryID })
		}
		assertIDs(t, "top 4 by reach", top(publisher.TopQuery{From: "2025-03-01", To: "2025-03-31", By: publisher.FigureReach, Limit: 4}), []string{"b1", "d1", "d3", "d0"})
		assertIDs(t, "org-a's by reach", top(publisher.TopQuery{OrgID: "org-a", From: "2025-03-01", To: "2025-03-31", By: publisher.FigureReach, Limit: 10}), []string{"d1", "d3", "d0", "d2", "d4"})
		assertIDs(t, "by views (X included, b1 without views not)", top(publisher.TopQuery{From: "2025-03-01", To: "2025-03-31", By: publisher.FigureViews, Limit: 2}), []string{"x1", "d1"})
		assertIDs(t, "engagements on X", top(publisher.TopQuery{Platform: publisher.X, From: "2025-03-01", To: "2025-03-31", By: publisher.FigureEngagements, Limit: 5}), []string{"x1"})
		assertIDs(t, "a range of days", top(publisher.TopQuery{From: "2025-03-04", To: "2025-03-05", By: publisher.FigureReach, Limit: 5}), []string{"d1", "d2"})
		assertIDs(t, "an empty range", top(publisher.TopQuery{From: "2026-01-01", To: "2026-01-31", By: publisher.FigureReach, Limit: 5}), nil)
	})

	t.Run("rebuild: the roll-ups of replaced contributions equal those recorded one by one", func(t *testing.T) {
		st := s.open(t)
		var cs []*publisher.Contribution
		rnd := rand.New(rand.NewPCG(1, 2))
		platforms := []publisher.Platform{publisher.Facebook, publisher.X, publisher.Instagram}
		for i := range 36 {
			var reach, views, eng *int64
			if i%3 != 1 {
				reach = ptr(int64(rnd.IntN(1000)))
			}
			if i%4 != 0 {
				views = ptr(int64(rnd.IntN(3000)))
			}
			eng = ptr(int64(rnd.IntN(50)))
			cs = append(cs, contrib(fmt.Sprintf("d%03d", i), fmt.Sprintf("org-%d", i%4), platforms[i%3], at(time.Duration(i)*13*time.Hour), at(60*24*time.Hour), reach, views, eng))
		}
		for _, c := range cs {
			record(t, st, c)
		}
		before := allRollups(t, st)
		// Replace with different contributions first, then with the same:
		// nothing of the first replacement may stay.
		odd := []*publisher.Contribution{contrib("other", "org-9", publisher.Threads, at(0), at(time.Hour), nil, ptr[int64](1), nil)}
		n, err := st.ReplaceContributions(t.Context(), iterate(odd))
		Must(t, "ReplaceContributions", err)
		if n != 1 {
			t.Fatalf("ReplaceContributions stored %d, want 1", n)
		}
		n, err = st.ReplaceContributions(t.Context(), iterate(cs))
		Must(t, "ReplaceContributions", err)
		if n != len(cs) {
			t.Fatalf("ReplaceContributions stored %d, want %d", n, len(cs))
		}
		after := allRollups(t, st)
		AssertEqual(t, "roll-ups rebuilt from the contributions", after, before)
		got, err := st.GetContributions(t.Context(), []string{"other", "d000", "d035"})
		Must(t, "GetContributions", err)
		assertIDs(t, "contributions after the rebuild", ids(got, func(c *publisher.Contribution) string { return c.DeliveryID }), []string{"d000", "d035"})
		// A rebuilt contribution takes newer readings as before.
		newer := *cs[0]
		newer.AsOf = newer.AsOf.Add(time.Hour)
		newer.Figures.Engagements = ptr(*cs[0].Figures.Engagements + 5)
		record(t, st, &newer)
		k := publisher.RollupKeys(&newer)[0]
		wantT := before[k.String()]
		wantT.Engagements += 5
		AssertEqual(t, "roll-up after a reading following the rebuild", rollupAt(t, st, k), wantT)
	})

	t.Run("readings are listed and scanned by delivery, oldest first", func(t *testing.T) {
		st := s.open(t)
		for _, x := range []struct {
			d  string
			at time.Duration
		}{{"d2", 3 * time.Hour}, {"d1", 6 * time.Hour}, {"d2", time.Hour}, {"d1", time.Hour}, {"d3", time.Hour}} {
			r, c := reading(x.d, "org-a", publisher.Mastodon, at(0), at(x.at), map[string]int64{"favourites_count": int64(x.at / time.Hour)}, nil),
				contrib(x.d, "org-a", publisher.Mastodon, at(0), at(x.at), nil, nil, ptr(int64(x.at/time.Hour)))
			_, err := st.RecordReading(t.Context(), r, c)
			Must(t, "RecordReading", err)
		}
		key := func(r *publisher.MetricReading) string {
			return fmt.Sprintf("%s@%dh", r.DeliveryID, r.FetchedAt.Sub(T0)/time.Hour)
		}
		rs, err := st.ListReadings(t.Context(), []string{"d2", "d1"})
		Must(t, "ListReadings", err)
		assertIDs(t, "ListReadings", ids(rs, key), []string{"d1@1h", "d1@6h", "d2@1h", "d2@3h"})
		var scanned []string
		Must(t, "ScanReadings", st.ScanReadings(t.Context(), func(r *publisher.MetricReading) error {
			scanned = append(scanned, key(r))
			return nil
		}))
		assertIDs(t, "ScanReadings", scanned, []string{"d1@1h", "d1@6h", "d2@1h", "d2@3h", "d3@1h"})
		stop := fmt.Errorf("stop")
		calls := 0
		if err := st.ScanReadings(t.Context(), func(*publisher.MetricReading) error { calls++; return stop }); err != stop || calls != 1 {
			t.Errorf("ScanReadings with fn failing: %v after %d calls, want fn's error after 1", err, calls)
		}
	})

	t.Run("tracks start for published deliveries once, and come due in order", func(t *testing.T) {
		st := s.open(t)
		f := NewFixture(t, st)
		p := NewPost(t, st, f.Org.ID, f.Author.ID)
		var ds []*publisher.Delivery
		for i, a := range f.Accounts {
			d := DeliveryValue(p, 1, a, T0)
			if i < 2 {
				d.Status, d.PublishedAt, d.ExternalID = publisher.DeliveryPublished, atp(time.Duration(i+1)*time.Hour), "ext"
			} else {
				d.Status = publisher.DeliveryFailed // never published
			}
			ds = append(ds, d)
		}
		old := DeliveryValue(p, 2, f.Accounts[0], T0.Add(-48*time.Hour))
		old.Status, old.PublishedAt = publisher.DeliveryPublished, atp(-47*time.Hour)
		_, err := st.CreateDeliveries(t.Context(), append(ds, old))
		Must(t, "CreateDeliveries", err)

		latest, err := st.LatestTrackedPublish(t.Context())
		Must(t, "LatestTrackedPublish", err)
		if !latest.IsZero() {
			t.Errorf("LatestTrackedPublish without tracks = %v, want zero", latest)
		}
		n, err := st.TrackPublished(t.Context(), at(0), time.Hour, at(3*time.Hour))
		Must(t, "TrackPublished", err)
		if n != 2 {
			t.Fatalf("TrackPublished started %d tracks, want 2 (the failed one and the one published before since are not tracked)", n)
		}
		if n, err = st.TrackPublished(t.Context(), at(0), time.Hour, at(3*time.Hour)); err != nil || n != 0 {
			t.Fatalf("TrackPublished again: %d, %v; want 0", n, err)
		}
		latest, err = st.LatestTrackedPublish(t.Context())
		Must(t, "LatestTrackedPublish", err)
		if !latest.Equal(at(2 * time.Hour)) {
			t.Errorf("LatestTrackedPublish = %v, want %v", latest, at(2*time.Hour))
		}
		ts, err := st.GetTracks(t.Context(), []string{ds[1].ID, ds[0].ID, ds[2].ID})
		Must(t, "GetTracks", err)
		if len(ts) != 2 {
			t.Fatalf("GetTracks = %d tracks, want 2", len(ts))
		}
		want := &publisher.MetricsTrack{DeliveryID: ds[0].ID, OrgID: f.Org.ID, Platform: ds[0].Platform, PublishedAt: at(time.Hour), NextAt: atp(2 * time.Hour), UpdatedAt: at(3 * time.Hour)}
		for _, tr := range ts {
			if tr.DeliveryID == ds[0].ID {
				AssertEqual(t, "new track", tr, want)
			}
		}
		due, err := st.ListDueTracks(t.Context(), at(2*time.Hour), 10)
		Must(t, "ListDueTracks", err)
		assertIDs(t, "due at 2h", ids(due, trackID), []string{ds[0].ID})
		due, err = st.ListDueTracks(t.Context(), at(5*time.Hour), 10)
		Must(t, "ListDueTracks", err)
		assertIDs(t, "due at 5h, earliest first", ids(due, trackID), []string{ds[0].ID, ds[1].ID})
		due, err = st.ListDueTracks(t.Context(), at(5*time.Hour), 1)
		Must(t, "ListDueTracks", err)
		assertIDs(t, "limit 1", ids(due, trackID), []string{ds[0].ID})

		// Read once, next in a day; the other finished.
		tr := *want
		tr.NextAt, tr.Fetches, tr.LastFetchedAt, tr.LastError, tr.UpdatedAt = atp(25*time.Hour), 1, atp(2*time.Hour), "2 metrics were not available", at(2*time.Hour)
		Must(t, "UpdateTrack", st.UpdateTrack(t.Context(), &tr))
		fin := &publisher.MetricsTrack{DeliveryID: ds[1].ID, OrgID: f.Org.ID, Platform: ds[1].Platform, PublishedAt: at(2 * time.Hour), UpdatedAt: at(4 * time.Hour), LastError: "The delivery is no longer published."}
		Must(t, "UpdateTrack", st.UpdateTrack(t.Context(), fin))
		ts, err = st.GetTracks(t.Context(), []string{ds[0].ID})
		Must(t, "GetTracks", err)
		AssertEqual(t, "updated track", ts[0], &tr)
		active, err := st.ListActiveTracks(t.Context(), f.Org.ID, 10)
		Must(t, "ListActiveTracks", err)
		assertIDs(t, "active tracks of the organisation", ids(active, trackID), []string{ds[0].ID})
		active, err = st.ListActiveTracks(t.Context(), "another-org", 10)
		Must(t, "ListActiveTracks", err)
		assertIDs(t, "active tracks of another organisation", ids(active, trackID), nil)
		due, err = st.ListDueTracks(t.Context(), at(24*time.Hour), 10)
		Must(t, "ListDueTracks", err)
		assertIDs(t, "due after the updates", ids(due, trackID), nil)
		AssertCode(t, "UpdateTrack of a delivery without a track", st.UpdateTrack(t.Context(), &publisher.MetricsTrack{DeliveryID: "no-such", UpdatedAt: T0}), publisher.ENOTFOUND)
	})

	t.Run("a week's digest is claimed once", func(t *testing.T) {
		st := s.open(t)
		for i, want := range []bool{true, false} {
			first, err := st.ClaimDigest(t.Context(), "2025-03-03", at(time.Duration(i)*time.Minute))
			Must(t, "ClaimDigest", err)
			if first != want {
				t.Errorf("claim %d = %v, want %v", i+1, first, want)
			}
		}
		first, err := st.ClaimDigest(t.Context(), "2025-03-10", T0)
		Must(t, "ClaimDigest", err)
		if !first {
			t.Error("the next week's digest was already claimed")
		}
	})

	t.Run("concurrent workers", s.testReachConcurrency)
}

// testReachConcurrency runs readings from concurrent workers: no increment
// may be lost and none applied twice.
func (s *suite) testReachConcurrency(t *testing.T) {
	t.Run("16 workers recording readings of 160 deliveries into the same roll-up rows lose nothing", func(t *testing.T) {
		s.needsAtomicUpdates(t)
		st := s.open(t)
		const workers, deliveries = 16, 160
		var cs []*publisher.Contribution
		for i := range deliveries {
			cs = append(cs, contrib(fmt.Sprintf("d%03d", i), "org-a", publisher.Facebook, at(time.Duration(i)*time.Second), at(time.Hour),
				ptr(int64(i+1)), ptr(int64(2*i+1)), ptr(int64(i%7))))
		}
		runWorkers(t, workers, len(cs), func(i int) error {
			_, err := st.RecordReading(t.Context(), nil, cs[i])
			return err
		})
		want := publisher.Totals{Posts: deliveries, ReachPosts: deliveries, ViewsPosts: deliveries, EngagementPosts: deliveries}
		for i := range deliveries {
			want.Reach += int64(i + 1)
			want.Views += int64(2*i + 1)
			want.Engagements += int64(i % 7)
		}
		for _, k := range publisher.RollupKeys(cs[0]) {
			AssertEqual(t, "roll-up "+k.String(), rollupAt(t, st, k), want)
		}
	})
	t.Run("8 workers recording 10 readings each of the same 6 deliveries in any order end at the newest", func(t *testing.T) {
		s.needsAtomicUpdates(t)
		st := s.open(t)
		const workers, readings = 8, 10
		type job struct{ c *publisher.Contribution }
		var jobs []job
		for d := range 6 {
			for r := range readings {
				for range workers / 4 { // every reading recorded twice, by different workers
					jobs = append(jobs, job{contrib(fmt.Sprintf("d%d", d), "org-a", publisher.Instagram, at(0), at(time.Duration(r+1)*time.Hour),
						ptr(int64(100*d+10*r)), nil, ptr(int64(r)))})
				}
			}
		}
		rand.New(rand.NewPCG(7, 9)).Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })
		runWorkers(t, workers, len(jobs), func(i int) error {
			_, err := st.RecordReading(t.Context(), nil, jobs[i].c)
			return err
		})
		var want publisher.Totals
		for d := range 6 {
			want.Add(publisher.Totals{Posts: 1, Reach: int64(100*d + 10*(readings-1)), ReachPosts: 1, Engagements: readings - 1, EngagementPosts: 1})
		}
		AssertEqual(t, "the day's roll-up", rollupAt(t, st, publisher.RollupKeys(jobs[0].c)[0]), want)
		cs, err := st.GetContributions(t.Context(), []string{"d0", "d5"})
		Must(t, "GetContributions", err)
		for _, c := range cs {
			if !c.AsOf.Equal(at(readings*time.Hour)) || *c.Figures.Engagements != readings-1 {
				t.Errorf("contribution %s ends as of %v with %d engagements, want the newest reading's", c.DeliveryID, c.AsOf, *c.Figures.Engagements)
			}
		}
	})
}

// runWorkers runs fn(0..jobs-1) on workers goroutines, started together.
func runWorkers(t *testing.T, workers, jobs int, fn func(i int) error) {
	t.Helper()
	var (
		wg    sync.WaitGroup
		next  = make(chan int)
		start = make(chan struct{})
	)
	for range workers {
		wg.Go(func() {
			<-start
			for i := range next {
				if err := fn(i); err != nil {
					t.Errorf("job %d: %v", i, err)
				}
			}
		})
	}
	close(start)
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
}

// reading returns a raw reading of delivery d.
func reading(d, org string, p publisher.Platform, published, fetched time.Time, values map[string]int64, unavailable map[string]string) *publisher.MetricReading {
	return &publisher.MetricReading{ID: publisher.NewID(), DeliveryID: d, PostID: "post-" + d, OrgID: org, AccountID: "acct-" + string(p), Platform: p,
		APIVersion: "v25.0", PublishedAt: published, FetchedAt: fetched, Values: values, Unavailable: unavailable}
}

// contrib returns delivery d's contribution as of fetched.
func contrib(d, org string, p publisher.Platform, published, fetched time.Time, reach, views, eng *int64) *publisher.Contribution {
	return &publisher.Contribution{DeliveryID: d, PostID: "post-" + d, OrgID: org, AccountID: "acct-" + string(p), Platform: p,
		Day: publisher.ReachDay(published), Figures: publisher.PostFigures{Reach: reach, Views: views, Engagements: eng}, AsOf: fetched}
}

// record applies c (without a raw reading) and requires it to change the
// contribution.
func record(t testing.TB, st publisher.ReachStore, c *publisher.Contribution) {
	t.Helper()
	changed, err := st.RecordReading(t.Context(), nil, c)
	Must(t, "RecordReading", err)
	if !changed {
		t.Fatalf("recording %s as of %v changed nothing", c.DeliveryID, c.AsOf)
	}
}

// rollupAt returns the totals of one roll-up row (zero if it has none).
func rollupAt(t testing.TB, st publisher.ReachStore, k publisher.RollupKey) publisher.Totals {
	t.Helper()
	rows, err := st.ListRollups(t.Context(), publisher.RollupQuery{Segments: []publisher.RollupSegment{{Period: k.Period, From: k.Start, To: k.Start}},
		OrgID: k.OrgID, Platform: k.Platform})
	Must(t, "ListRollups", err)
	switch len(rows) {
	case 0:
		return publisher.Totals{}
	case 1:
		r := rows[0]
		if r.Period != k.Period || r.OrgID != k.OrgID || r.Platform != k.Platform || r.Start != k.Start {
			t.Errorf("ListRollups for %s returned row %+v", k, r)
		}
		return r.Totals
	}
	t.Fatalf("ListRollups for %s returned %d rows", k, len(rows))
	return publisher.Totals{}
}

// allRollups returns every roll-up row by key (for 2025).
func allRollups(t testing.TB, st publisher.ReachStore) map[string]publisher.Totals {
	t.Helper()
	out := map[string]publisher.Totals{}
	for _, org := range []string{publisher.AllOrgs, "org-0", "org-1", "org-2", "org-3", "org-9"} {
		for _, p := range []publisher.Platform{publisher.AllPlatforms, publisher.Facebook, publisher.X, publisher.Instagram, publisher.Threads} {
			rows, err := st.ListRollups(t.Context(), publisher.RollupQuery{Segments: []publisher.RollupSegment{
				{Period: publisher.PeriodDay, From: "2025-01-01", To: "2025-12-31"}, {Period: publisher.PeriodMonth, From: "2025-01-01", To: "2025-12-01"}},
				OrgID: org, Platform: p})
			Must(t, "ListRollups", err)
			for _, r := range rows {
				out[publisher.RollupKey{Period: r.Period, OrgID: r.OrgID, Platform: r.Platform, Start: r.Start}.String()] = r.Totals
			}
		}
	}
	return out
}

// iterate yields cs one by one, then nil.
func iterate(cs []*publisher.Contribution) func() (*publisher.Contribution, error) {
	i := 0
	return func() (*publisher.Contribution, error) {
		if i == len(cs) {
			return nil, nil
		}
		i++
		return cs[i-1], nil
	}
}

func trackID(tr *publisher.MetricsTrack) string { return tr.DeliveryID }
