package storetest

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// fullDelivery returns a delivery with every field set, as one looks in the
// middle of a retry.
func fullDelivery(p *publisher.Post, a *publisher.Account) *publisher.Delivery {
	d := DeliveryValue(p, p.Revision, a, time.Date(2025, 3, 3, 15, 0, 0, 250_999_999, ist))
	d.Status, d.Attempts, d.Failures = publisher.DeliverySending, 3, 2
	d.ClaimToken, d.LeaseUntil, d.SendingSince, d.NeedsLookup = "claim-"+uniq(), atp(5*time.Minute), atp(time.Minute), true
	d.NextAttemptAt = atp(2 * time.Minute)
	d.ExternalID, d.ExternalURL, d.PublishedAt = "1790000000000000001", "https://x.com/agri/status/1790000000000000001", atp(3*time.Minute)
	d.ErrorClass, d.ErrorMessage, d.PlatformMessage = publisher.ClassRateLimited, "Waiting for the rate limit.", "Too Many Requests"
	d.UpdatedAt = at(4 * time.Minute)
	return d
}

func (s *suite) getDelivery(t *testing.T, st publisher.Store, id string) *publisher.Delivery {
	t.Helper()
	d, err := st.GetDelivery(t.Context(), id)
	Must(t, "GetDelivery", err)
	return d
}

func (s *suite) testDeliveries(t *testing.T) {
	t.Run("CreateDeliveries then GetDelivery returns every field", func(t *testing.T) {
		st := s.open(t)
		f := NewFixture(t, st)
		p := NewPost(t, st, f.Org.ID, f.Author.ID)
		full := fullDelivery(p, f.Accounts[0])
		bare := DeliveryValue(p, p.Revision, f.Accounts[1], T0)
		n, err := st.CreateDeliveries(t.Context(), []*publisher.Delivery{full, bare})
		Must(t, "CreateDeliveries", err)
		if n != 2 {
			t.Errorf("CreateDeliveries inserted %d, want 2", n)
		}
		AssertEqual(t, "GetDelivery of a delivery with every field set", s.getDelivery(t, st, full.ID), full)
		AssertEqual(t, "GetDelivery of a fresh queued delivery", s.getDelivery(t, st, bare.ID), bare)
	})
	t.Run("GetDelivery returns ENOTFOUND for an unknown id", func(t *testing.T) {
		st := s.open(t)
		_, err := st.GetDelivery(t.Context(), "dnosuchdelivery")
		AssertCode(t, "GetDelivery", err, publisher.ENOTFOUND)
	})
	t.Run("CreateDeliveries of nothing inserts nothing", func(t *testing.T) {
		st := s.open(t)
		for _, ds := range [][]*publisher.Delivery{nil, {}} {
			n, err := st.CreateDeliveries(t.Context(), ds)
			Must(t, "CreateDeliveries", err)
			if n != 0 {
				t.Errorf("CreateDeliveries of %d deliveries inserted %d", len(ds), n)
			}
		}
	})
	t.Run("CreateDeliveries run again inserts nothing and changes nothing", func(t *testing.T) {
		st := s.open(t)
		f := NewFixture(t, st)
		p := NewPost(t, st, f.Org.ID, f.Author.ID)
		ds := NewDeliveries(t, st, p, T0, f.Accounts...)
		again := make([]*publisher.Delivery, len(ds))
		for i, d := range ds {
			c := *d
			c.Status, c.ErrorMessage, c.UpdatedAt = publisher.DeliveryFailed, "must not overwrite", at(time.Hour)
			again[i] = &c
		}
		n, err := st.CreateDeliveries(t.Context(), again)
		Must(t, "CreateDeliveries again", err)
		if n != 0 {
			t.Errorf("CreateDeliveries again inserted %d, want 0", n)
		}
		for _, d := range ds {
			AssertEqual(t, "delivery after the re-run", s.getDelivery(t, st, d.ID), d)
		}
	})
	t.Run("CreateDeliveries with a partial overlap inserts only the new ones", func(t *testing.T) {
		st := s.open(t)
		f := NewFixture(t, st)
		p := NewPost(t, st, f.Org.ID, f.Author.ID)
		old := NewDeliveries(t, st, p, T0, f.Accounts[0])
		extra := NewAccount(t, st, f.Org.ID, publisher.LinkedIn)
		batch := []*publisher.Delivery{
			DeliveryValue(p, p.Revision, f.Accounts[1], at(time.Hour)),
			DeliveryValue(p, p.Revision, f.Accounts[0], at(time.Hour)), // exists
			DeliveryValue(p, p.Revision, f.Accounts[2], at(time.Hour)),
			DeliveryValue(p, p.Revision, extra, at(time.Hour)),
		}
		n, err := st.CreateDeliveries(t.Context(), batch)
		Must(t, "CreateDeliveries", err)
		if n != 3 {
			t.Errorf("CreateDeliveries inserted %d, want 3", n)
		}
		AssertEqual(t, "the delivery that existed", s.getDelivery(t, st, old[0].ID), old[0])
		for _, d := range []*publisher.Delivery{batch[0], batch[2], batch[3]} {
			AssertEqual(t, "a new delivery", s.getDelivery(t, st, d.ID), d)
		}
		_, total, err := st.ListDeliveries(t.Context(), publisher.DeliveryFilter{PostID: p.ID})
		Must(t, "ListDeliveries", err)
		if total != 4 {
			t.Errorf("the post has %d deliveries, want 4", total)
		}
	})
	t.Run("CreateDeliveries skips a delivery of an existing post, revision and account under another id", func(t *testing.T) {
		st := s.open(t)
		f := NewFixture(t, st)
		p := NewPost(t, st, f.Org.ID, f.Author.ID)
		ds := NewDeliveries(t, st, p, T0, f.Accounts[0])
		twin := *ds[0]
		twin.ID = "d-twin-" + uniq()
		fresh := DeliveryValue(p, p.Revision, f.Accounts[1], T0)
		n, err := st.CreateDeliveries(t.Context(), []*publisher.Delivery{&twin, fresh})
		Must(t, "CreateDeliveries", err)
		if n != 1 {
			t.Errorf("CreateDeliveries inserted %d, want 1 (the twin of an existing delivery is skipped)", n)
		}
		_, err = st.GetDelivery(t.Context(), twin.ID)
		AssertCode(t, "GetDelivery of the twin", err, publisher.ENOTFOUND)
		AssertEqual(t, "the new delivery in the same batch", s.getDelivery(t, st, fresh.ID), fresh)
	})
	t.Run("CreateDeliveries inserts a delivery repeated within one batch once", func(t *testing.T) {
		st := s.open(t)
		f := NewFixture(t, st)
		p := NewPost(t, st, f.Org.ID, f.Author.ID)
		d := DeliveryValue(p, p.Revision, f.Accounts[0], T0)
		twin := *d
		twin.ID = "d-twin-" + uniq()
		n, err := st.CreateDeliveries(t.Context(), []*publisher.Delivery{d, d, &twin})
		Must(t, "CreateDeliveries", err)
		if n != 1 {
			t.Errorf("CreateDeliveries inserted %d, want 1", n)
		}
		_, total, err := st.ListDeliveries(t.Context(), publisher.DeliveryFilter{PostID: p.ID})
		Must(t, "ListDeliveries", err)
		if total != 1 {
			t.Errorf("the post has %d deliveries, want 1", total)
		}
	})
	t.Run("another revision or another account is another delivery", func(t *testing.T) {
		st := s.open(t)
		f := NewFixture(t, st)
		p := NewPost(t, st, f.Org.ID, f.Author.ID)
		NewDeliveries(t, st, p, T0, f.Accounts[0])
		batch := []*publisher.Delivery{DeliveryValue(p, 2, f.Accounts[0], T0), DeliveryValue(p, 1, f.Accounts[1], T0)}
		n, err := st.CreateDeliveries(t.Context(), batch)
		Must(t, "CreateDeliveries", err)
		if n != 2 {
			t.Errorf("CreateDeliveries inserted %d, want 2", n)
		}
	})
	t.Run("CreateDeliveries inserts a fan-out of 1,000 at once", func(t *testing.T) {
		st := s.open(t)
		p := NewPost(t, st, "org-1", "user-1")
		ds := make([]*publisher.Delivery, 1000)
		for i := range ds {
			a := &publisher.Account{ID: fmt.Sprintf("acct-%04d", i), Platform: publisher.Platforms[i%len(publisher.Platforms)]}
			ds[i] = DeliveryValue(p, 1, a, T0)
		}
		n, err := st.CreateDeliveries(t.Context(), ds)
		Must(t, "CreateDeliveries", err)
		if n != 1000 {
			t.Errorf("CreateDeliveries inserted %d, want 1000", n)
		}
		n, err = st.CreateDeliveries(t.Context(), ds)
		Must(t, "CreateDeliveries again", err)
		if n != 0 {
			t.Errorf("CreateDeliveries again inserted %d, want 0", n)
		}
		counts, err := st.CountDeliveries(t.Context(), publisher.DeliveryFilter{PostID: p.ID})
		Must(t, "CountDeliveries", err)
		assertCounts(t, counts, publisher.DeliveryCounts{publisher.DeliveryQueued: 1000})
		AssertEqual(t, "delivery 777", s.getDelivery(t, st, ds[777].ID), ds[777])
	})
	t.Run("ListDeliveries returns the newest first, filters by every field and counts all matches", func(t *testing.T) {
		st := s.open(t)
		accts := []*publisher.Account{
			{ID: "acct-x", Platform: publisher.X}, {ID: "acct-fb", Platform: publisher.Facebook}, {ID: "acct-x2", Platform: publisher.X},
		}
		pa, _ := PostValue("org-a", "u1")
		pb, _ := PostValue("org-b", "u1")
		pa.ID, pb.ID = "post-a", "post-b"
		type spec struct {
			p       *publisher.Post
			acct    int
			status  publisher.DeliveryStatus
			created time.Duration
		}
		specs := []spec{
			{pa, 0, publisher.DeliveryPublished, 1 * time.Hour},   // 0
			{pa, 1, publisher.DeliveryFailed, 4 * time.Hour},      // 1
			{pb, 0, publisher.DeliveryQueued, 2 * time.Hour},      // 2
			{pb, 2, publisher.DeliveryRetrying, 6 * time.Hour},    // 3
			{pa, 2, publisher.DeliveryPublished, 3 * time.Hour},   // 4
			{pb, 1, publisher.DeliveryUnconfirmed, 5 * time.Hour}, // 5
		}
		ds := make([]*publisher.Delivery, len(specs))
		for i, sp := range specs {
			ds[i] = DeliveryValue(sp.p, 1, accts[sp.acct], at(sp.created))
			ds[i].Status = sp.status
		}
		_, err := st.CreateDeliveries(t.Context(), ds)
		Must(t, "CreateDeliveries", err)
		// Newest first: 3 (6h), 5 (5h), 1 (4h), 4 (3h), 2 (2h), 0 (1h).
		pick := func(is ...int) []*publisher.Delivery {
			out := make([]*publisher.Delivery, len(is))
			for i, k := range is {
				out[i] = ds[k]
			}
			return out
		}
		id := func(d *publisher.Delivery) string { return d.ID }
		cases := []struct {
			name   string
			f      publisher.DeliveryFilter
			want   []*publisher.Delivery
			total  int
			counts publisher.DeliveryCounts
		}{
			{"no filter", publisher.DeliveryFilter{}, pick(3, 5, 1, 4, 2, 0), 6, publisher.DeliveryCounts{"published": 2, "failed": 1, "queued": 1, "retrying": 1, "unconfirmed": 1}},
			{"organisation", publisher.DeliveryFilter{OrgID: "org-a"}, pick(1, 4, 0), 3, publisher.DeliveryCounts{"published": 2, "failed": 1}},
			{"post", publisher.DeliveryFilter{PostID: "post-b"}, pick(3, 5, 2), 3, publisher.DeliveryCounts{"queued": 1, "retrying": 1, "unconfirmed": 1}},
			{"account", publisher.DeliveryFilter{AccountID: "acct-x2"}, pick(3, 4), 2, publisher.DeliveryCounts{"published": 1, "retrying": 1}},
			{"platform", publisher.DeliveryFilter{Platform: publisher.X}, pick(3, 4, 2, 0), 4, publisher.DeliveryCounts{"published": 2, "queued": 1, "retrying": 1}},
			{"one status", publisher.DeliveryFilter{Statuses: []publisher.DeliveryStatus{publisher.DeliveryPublished}}, pick(4, 0), 2, publisher.DeliveryCounts{"published": 2}},
			{"two statuses", publisher.DeliveryFilter{Statuses: []publisher.DeliveryStatus{publisher.DeliveryFailed, publisher.DeliveryQueued}}, pick(1, 2), 2, publisher.DeliveryCounts{"failed": 1, "queued": 1}},
			{"empty status list", publisher.DeliveryFilter{Statuses: []publisher.DeliveryStatus{}}, pick(3, 5, 1, 4, 2, 0), 6, publisher.DeliveryCounts{"published": 2, "failed": 1, "queued": 1, "retrying": 1, "unconfirmed": 1}},
			{"from (inclusive)", publisher.DeliveryFilter{From: at(4 * time.Hour)}, pick(3, 5, 1), 3, publisher.DeliveryCounts{"retrying": 1, "unconfirmed": 1, "failed": 1}},
			{"to (exclusive)", publisher.DeliveryFilter{To: at(2 * time.Hour)}, pick(0), 1, publisher.DeliveryCounts{"published": 1}},
			{"from and to", publisher.DeliveryFilter{From: at(2 * time.Hour), To: at(5 * time.Hour)}, pick(1, 4, 2), 3, publisher.DeliveryCounts{"failed": 1, "published": 1, "queued": 1}},
			{"from and to in another time zone", publisher.DeliveryFilter{From: at(2 * time.Hour).In(ist), To: at(5 * time.Hour).In(ist)}, pick(1, 4, 2), 3, publisher.DeliveryCounts{"failed": 1, "published": 1, "queued": 1}},
			{"every filter", publisher.DeliveryFilter{OrgID: "org-a", PostID: "post-a", AccountID: "acct-x2", Platform: publisher.X,
				Statuses: []publisher.DeliveryStatus{publisher.DeliveryPublished}, From: at(time.Hour), To: at(6 * time.Hour)}, pick(4), 1, publisher.DeliveryCounts{"published": 1}},
			{"platform and status", publisher.DeliveryFilter{Platform: publisher.X, Statuses: []publisher.DeliveryStatus{publisher.DeliveryPublished, publisher.DeliveryRetrying}}, pick(3, 4, 0), 3, publisher.DeliveryCounts{"published": 2, "retrying": 1}},
			{"limit", publisher.DeliveryFilter{Limit: 2}, pick(3, 5), 6, nil},
			{"limit and offset", publisher.DeliveryFilter{Limit: 2, Offset: 2}, pick(1, 4), 6, nil},
			{"offset only", publisher.DeliveryFilter{Offset: 5}, pick(0), 6, nil},
			{"offset past the end", publisher.DeliveryFilter{Limit: 3, Offset: 6}, nil, 6, nil},
			{"filter with limit and offset", publisher.DeliveryFilter{Platform: publisher.X, Limit: 2, Offset: 1}, pick(4, 2), 4, nil},
			{"nothing matches", publisher.DeliveryFilter{OrgID: "org-z"}, nil, 0, publisher.DeliveryCounts{}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, total, err := st.ListDeliveries(t.Context(), tc.f)
				Must(t, "ListDeliveries", err)
				assertIDs(t, "ListDeliveries", ids(got, id), ids(tc.want, id))
				if total != tc.total {
					t.Errorf("ListDeliveries total = %d, want %d", total, tc.total)
				}
				if len(got) == len(tc.want) {
					AssertEqual(t, "ListDeliveries", got, tc.want)
				}
				if tc.counts != nil {
					counts, err := st.CountDeliveries(t.Context(), tc.f)
					Must(t, "CountDeliveries", err)
					assertCounts(t, counts, tc.counts)
				}
			})
		}
	})
	t.Run("ListDeliveries pages through a fan-out created at one instant without gaps or repeats", func(t *testing.T) {
		st := s.open(t)
		p := NewPost(t, st, "org-1", "user-1")
		ds := make([]*publisher.Delivery, 25)
		for i := range ds {
			ds[i] = DeliveryValue(p, 1, &publisher.Account{ID: fmt.Sprintf("acct-%02d", i), Platform: publisher.X}, T0)
		}
		_, err := st.CreateDeliveries(t.Context(), ds)
		Must(t, "CreateDeliveries", err)
		all, total, err := st.ListDeliveries(t.Context(), publisher.DeliveryFilter{PostID: p.ID})
		Must(t, "ListDeliveries", err)
		if total != 25 || len(all) != 25 {
			t.Fatalf("ListDeliveries returned %d deliveries, total %d; want 25, 25", len(all), total)
		}
		id := func(d *publisher.Delivery) string { return d.ID }
		assertSameSet(t, "ListDeliveries", ids(all, id), ids(ds, id))
		var paged []string
		for off := 0; off < 25; off += 10 {
			page, n, err := st.ListDeliveries(t.Context(), publisher.DeliveryFilter{PostID: p.ID, Limit: 10, Offset: off})
			Must(t, "ListDeliveries page", err)
			if n != 25 {
				t.Errorf("page at offset %d: total %d, want 25", off, n)
			}
			paged = append(paged, ids(page, id)...)
		}
		assertIDs(t, "pages of 10 put together", paged, ids(all, id))
	})
}

// assertCounts compares delivery counts, treating a missing status as 0.
func assertCounts(t *testing.T, got, want publisher.DeliveryCounts) {
	t.Helper()
	g, w := maps.Clone(got), maps.Clone(want)
	maps.DeleteFunc(g, func(_ publisher.DeliveryStatus, n int) bool { return n == 0 })
	maps.DeleteFunc(w, func(_ publisher.DeliveryStatus, n int) bool { return n == 0 })
	if !maps.Equal(g, w) {
		t.Errorf("CountDeliveries = %v, want %v", g, w)
	}
}
