package storetest

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// testPostLookups checks the post filters that serve batch look-ups
// (PostFilter.IDs) and the review queue's order (PostFilter.OldestFirst).
func (s *suite) testPostLookups(t *testing.T) {
	id := func(p *publisher.Post) string { return p.ID }
	t.Run("ListPosts with IDs returns exactly those posts, combines with the other filters, and an empty list does not filter", func(t *testing.T) {
		st := s.open(t)
		var ps []*publisher.Post
		for i := range 5 {
			org := "org-a"
			if i%2 == 1 {
				org = "org-b"
			}
			ps = append(ps, NewPost(t, st, org, "user-1", func(p *publisher.Post) { p.UpdatedAt = T0.Add(time.Duration(i) * time.Hour) }))
		}
		cases := []struct {
			name  string
			f     publisher.PostFilter
			want  []*publisher.Post
			total int
		}{
			{"two of five, newest first", publisher.PostFilter{IDs: []string{ps[0].ID, ps[3].ID}}, []*publisher.Post{ps[3], ps[0]}, 2},
			{"an unknown id is passed over", publisher.PostFilter{IDs: []string{"no-such-post", ps[2].ID}}, []*publisher.Post{ps[2]}, 1},
			{"only unknown ids", publisher.PostFilter{IDs: []string{"no-such-post"}}, nil, 0},
			{"a repeated id gives the post once", publisher.PostFilter{IDs: []string{ps[1].ID, ps[1].ID}}, []*publisher.Post{ps[1]}, 1},
			{"with the organisation", publisher.PostFilter{IDs: []string{ps[0].ID, ps[1].ID, ps[2].ID}, OrgID: "org-a"}, []*publisher.Post{ps[2], ps[0]}, 2},
			{"with a limit", publisher.PostFilter{IDs: []string{ps[0].ID, ps[1].ID, ps[2].ID}, Limit: 1, Offset: 1}, []*publisher.Post{ps[1]}, 3},
			{"an empty list", publisher.PostFilter{IDs: []string{}}, []*publisher.Post{ps[4], ps[3], ps[2], ps[1], ps[0]}, 5},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, total, err := st.ListPosts(t.Context(), tc.f)
				Must(t, "ListPosts", err)
				assertIDs(t, "ListPosts", ids(got, id), ids(tc.want, id))
				if total != tc.total {
					t.Errorf("ListPosts total = %d, want %d", total, tc.total)
				}
				if len(got) == len(tc.want) {
					AssertEqual(t, "ListPosts", got, tc.want)
				}
			})
		}
	})
	t.Run("ListPosts with OldestFirst orders by submission, then creation, then id, and pages without gaps or repeats", func(t *testing.T) {
		st := s.open(t)
		type spec struct {
			status    publisher.PostStatus
			submitted *time.Time // nil: never submitted
			created   time.Duration
			updated   time.Duration
		}
		// Updated times run against the submission order, so that an
		// ordering by UpdatedAt would fail.
		specs := []spec{
			{publisher.PostInReview, atp(3 * time.Hour), 0, 1 * time.Hour},
			{publisher.PostInReview, atp(1 * time.Hour), 0, 9 * time.Hour},
			{publisher.PostInReview, atp(2 * time.Hour), 2 * time.Minute, 7 * time.Hour},
			{publisher.PostInReview, atp(2 * time.Hour), time.Minute, 8 * time.Hour}, // same submission: created earlier first
			{publisher.PostDraft, nil, 5 * time.Minute, 10 * time.Hour},              // never submitted: first
			{publisher.PostInReview, atp(4 * time.Hour), 0, 0},
			{publisher.PostInReview, atp(4 * time.Hour), 0, 0}, // same submission and creation: by id
			{publisher.PostApproved, atp(30 * time.Minute), 0, 2 * time.Hour},
		}
		ps := make([]*publisher.Post, len(specs))
		for i, sp := range specs {
			ps[i] = NewPost(t, st, "org-1", "user-1", func(p *publisher.Post) {
				p.Status, p.SubmittedAt, p.CreatedAt, p.UpdatedAt = sp.status, sp.submitted, T0.Add(sp.created), T0.Add(sp.updated)
			})
		}
		want := slices.Clone(ps)
		slices.SortFunc(want, func(a, b *publisher.Post) int {
			switch {
			case a.SubmittedAt == nil && b.SubmittedAt != nil:
				return -1
			case a.SubmittedAt != nil && b.SubmittedAt == nil:
				return 1
			case a.SubmittedAt != nil:
				if c := a.SubmittedAt.Compare(*b.SubmittedAt); c != 0 {
					return c
				}
			}
			if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
		// The order the specs promise, whatever the ids: 4, 7, 1, 3, 2, 0, then 5 and 6 by id.
		if want[0] != ps[4] || want[1] != ps[7] || want[2] != ps[1] || want[3] != ps[3] || want[4] != ps[2] || want[5] != ps[0] {
			t.Fatalf("the expected order is wrong: %v", ids(want, id))
		}
		all, total, err := st.ListPosts(t.Context(), publisher.PostFilter{OldestFirst: true})
		Must(t, "ListPosts", err)
		if total != len(ps) {
			t.Errorf("ListPosts total = %d, want %d", total, len(ps))
		}
		assertIDs(t, "ListPosts oldest first", ids(all, id), ids(want, id))
		if len(all) == len(want) {
			AssertEqual(t, "ListPosts oldest first", all, want)
		}
		var paged []string
		for off := 0; off < len(ps)+2; off += 3 {
			page, n, err := st.ListPosts(t.Context(), publisher.PostFilter{OldestFirst: true, Limit: 3, Offset: off})
			Must(t, "ListPosts page", err)
			if n != len(ps) {
				t.Errorf("page at %d: total = %d, want %d", off, n, len(ps))
			}
			paged = append(paged, ids(page, id)...)
		}
		assertIDs(t, "pages of 3 put together", paged, ids(want, id))

		// The review queue: in review only, two to a page.
		var queue []*publisher.Post
		for _, p := range want {
			if p.Status == publisher.PostInReview {
				queue = append(queue, p)
			}
		}
		inReview := []publisher.PostStatus{publisher.PostInReview}
		paged = nil
		for off := 0; off < len(queue); off += 2 {
			page, n, err := st.ListPosts(t.Context(), publisher.PostFilter{Statuses: inReview, OldestFirst: true, Limit: 2, Offset: off})
			Must(t, "ListPosts page in review", err)
			if n != len(queue) {
				t.Errorf("review page at %d: total = %d, want %d", off, n, len(queue))
			}
			if len(page) > 2 {
				t.Errorf("review page at %d has %d posts, want at most 2", off, len(page))
			}
			paged = append(paged, ids(page, id)...)
		}
		assertIDs(t, "the review queue, two to a page", paged, ids(queue, id))
	})
}
