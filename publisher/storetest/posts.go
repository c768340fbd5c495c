package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// editedPost returns a copy of p edited to revision rev, with every field
// changed, and the revision to store with it.
func editedPost(p *publisher.Post, rev int) (*publisher.Post, *publisher.PostRevision) {
	q := *p
	q.Title = fmt.Sprintf("%s (revision %d)", p.Title, rev)
	q.Revision, q.Status = rev, publisher.PostInReview
	q.Content = publisher.Content{BodyHI: fmt.Sprintf("संशोधन %d", rev), BodyEN: fmt.Sprintf("Revision %d", rev), MediaIDs: []string{"media-9"},
		Variants: map[publisher.Platform]publisher.Variant{publisher.Mastodon: {Text: "toot"}, publisher.Bluesky: {Text: "skeet"}}}
	q.Targets = []string{"acct-3"}
	q.ContentHash = q.Content.Hash(q.Targets)
	q.Review = append(append([]publisher.ReviewEntry(nil), p.Review...), publisher.ReviewEntry{At: p.UpdatedAt.Add(time.Minute), UserID: "editor-2", Action: "edit", Revision: rev})
	q.UpdatedAt = p.UpdatedAt.Add(time.Minute)
	r := &publisher.PostRevision{PostID: p.ID, Revision: rev, Content: q.Content, Targets: q.Targets, ContentHash: q.ContentHash,
		EditedBy: "editor-2", EditedAt: q.UpdatedAt}
	return &q, r
}

func (s *suite) testPosts(t *testing.T) {
	t.Run("CreatePost stores the post at version 1 with its first revision, every field kept", func(t *testing.T) {
		st := s.open(t)
		p, rev := PostValue("org-1", "user-1")
		p.Version = 0
		p.CreatedAt = time.Date(2025, 3, 3, 15, 0, 0, 123_999_999, ist)
		Must(t, "CreatePost", st.CreatePost(t.Context(), p, rev))
		if p.Version != 1 {
			t.Errorf("CreatePost left p.Version at %d, want 1", p.Version)
		}
		got, err := st.GetPost(t.Context(), p.ID)
		Must(t, "GetPost", err)
		AssertEqual(t, "GetPost", got, p)
		gotRev, err := st.GetRevision(t.Context(), p.ID, 1)
		Must(t, "GetRevision", err)
		AssertEqual(t, "GetRevision", gotRev, rev)
		revs, err := st.ListRevisions(t.Context(), p.ID)
		Must(t, "ListRevisions", err)
		AssertEqual(t, "ListRevisions", revs, []*publisher.PostRevision{rev})
	})
	t.Run("optional fields left empty come back empty", func(t *testing.T) {
		st := s.open(t)
		p, rev := PostValue("org-1", "user-1")
		p.CaseID, p.ScheduledAt, p.SubmittedAt, p.ApprovedRevision, p.ApprovedBy, p.ApprovedAt, p.FanoutRevision = "", nil, nil, 0, "", nil, 0
		p.Content = publisher.Content{BodyEN: "English only"}
		p.Targets, p.Review = nil, nil
		rev.Content, rev.Targets = p.Content, nil
		Must(t, "CreatePost", st.CreatePost(t.Context(), p, rev))
		got, err := st.GetPost(t.Context(), p.ID)
		Must(t, "GetPost", err)
		AssertEqual(t, "GetPost", got, p)
		gotRev, err := st.GetRevision(t.Context(), p.ID, 1)
		Must(t, "GetRevision", err)
		AssertEqual(t, "GetRevision", gotRev, rev)
	})
	t.Run("CreatePost refuses a duplicate id with ECONFLICT and keeps the first post and revision", func(t *testing.T) {
		st := s.open(t)
		p, rev := PostValue("org-1", "user-1")
		Must(t, "CreatePost", st.CreatePost(t.Context(), p, rev))
		dup, dupRev := editedPost(p, 1)
		dup.Version = 0
		AssertCode(t, "CreatePost with an existing id", st.CreatePost(t.Context(), dup, dupRev), publisher.ECONFLICT)
		got, err := st.GetPost(t.Context(), p.ID)
		Must(t, "GetPost", err)
		AssertEqual(t, "the first post", got, p)
		gotRev, err := st.GetRevision(t.Context(), p.ID, 1)
		Must(t, "GetRevision", err)
		AssertEqual(t, "the first revision", gotRev, rev)
	})
	t.Run("GetPost and GetRevision return ENOTFOUND for unknown ones", func(t *testing.T) {
		st := s.open(t)
		p := NewPost(t, st, "org-1", "user-1")
		_, err := st.GetPost(t.Context(), "no-such-post")
		AssertCode(t, "GetPost", err, publisher.ENOTFOUND)
		_, err = st.GetRevision(t.Context(), p.ID, 2)
		AssertCode(t, "GetRevision of an unknown revision", err, publisher.ENOTFOUND)
		_, err = st.GetRevision(t.Context(), "no-such-post", 1)
		AssertCode(t, "GetRevision of an unknown post", err, publisher.ENOTFOUND)
		revs, err := st.ListRevisions(t.Context(), "no-such-post")
		Must(t, "ListRevisions of an unknown post", err)
		if len(revs) != 0 {
			t.Errorf("ListRevisions of an unknown post returned %d revisions", len(revs))
		}
	})
	t.Run("UpdatePost replaces every field, stores the revision and increments the version", func(t *testing.T) {
		st := s.open(t)
		p, rev1 := PostValue("org-1", "user-1")
		Must(t, "CreatePost", st.CreatePost(t.Context(), p, rev1))
		q, rev2 := editedPost(p, 2)
		Must(t, "UpdatePost", st.UpdatePost(t.Context(), q, rev2))
		if q.Version != 2 {
			t.Errorf("UpdatePost left p.Version at %d, want 2", q.Version)
		}
		got, err := st.GetPost(t.Context(), p.ID)
		Must(t, "GetPost", err)
		AssertEqual(t, "updated post", got, q)
		revs, err := st.ListRevisions(t.Context(), p.ID)
		Must(t, "ListRevisions", err)
		AssertEqual(t, "ListRevisions, oldest first", revs, []*publisher.PostRevision{rev1, rev2})
		gotRev, err := st.GetRevision(t.Context(), p.ID, 1)
		Must(t, "GetRevision 1", err)
		AssertEqual(t, "revision 1 after the edit", gotRev, rev1)
	})
	t.Run("UpdatePost without a revision changes the post only", func(t *testing.T) {
		st := s.open(t)
		p, rev1 := PostValue("org-1", "user-1")
		Must(t, "CreatePost", st.CreatePost(t.Context(), p, rev1))
		q := *p
		q.Status, q.ApprovedAt, q.Review, q.ScheduledAt, q.CaseID = publisher.PostApproved, atp(3*time.Hour), nil, nil, ""
		q.UpdatedAt = at(3 * time.Hour)
		Must(t, "UpdatePost", st.UpdatePost(t.Context(), &q, nil))
		got, err := st.GetPost(t.Context(), p.ID)
		Must(t, "GetPost", err)
		AssertEqual(t, "updated post", got, &q)
		revs, err := st.ListRevisions(t.Context(), p.ID)
		Must(t, "ListRevisions", err)
		AssertEqual(t, "ListRevisions", revs, []*publisher.PostRevision{rev1})
	})
	t.Run("UpdatePost with a stale version returns ECONFLICT and stores neither the post nor the revision", func(t *testing.T) {
		st := s.open(t)
		p := NewPost(t, st, "org-1", "user-1")
		stale := *p
		q, rev2 := editedPost(p, 2)
		Must(t, "first UpdatePost", st.UpdatePost(t.Context(), q, rev2))
		lost, rev3 := editedPost(&stale, 3)
		lost.Title = "the lost update"
		AssertCode(t, "UpdatePost from the old version", st.UpdatePost(t.Context(), lost, rev3), publisher.ECONFLICT)
		if lost.Version != stale.Version {
			t.Errorf("a refused UpdatePost changed p.Version from %d to %d", stale.Version, lost.Version)
		}
		got, err := st.GetPost(t.Context(), p.ID)
		Must(t, "GetPost", err)
		AssertEqual(t, "post after the refused update", got, q)
		_, err = st.GetRevision(t.Context(), p.ID, 3)
		AssertCode(t, "GetRevision of the refused update's revision", err, publisher.ENOTFOUND)
	})
	t.Run("UpdatePost whose revision exists returns ECONFLICT and leaves the post and revision alone", func(t *testing.T) {
		st := s.open(t)
		p, rev1 := PostValue("org-1", "user-1")
		Must(t, "CreatePost", st.CreatePost(t.Context(), p, rev1))
		q, _ := editedPost(p, 1)
		_, dupRev := editedPost(p, 1)
		before := *p
		AssertCode(t, "UpdatePost with an existing revision", st.UpdatePost(t.Context(), q, dupRev), publisher.ECONFLICT)
		if q.Version != before.Version {
			t.Errorf("a refused UpdatePost changed p.Version from %d to %d", before.Version, q.Version)
		}
		got, err := st.GetPost(t.Context(), p.ID)
		Must(t, "GetPost", err)
		AssertEqual(t, "post after the refused update", got, &before)
		gotRev, err := st.GetRevision(t.Context(), p.ID, 1)
		Must(t, "GetRevision", err)
		AssertEqual(t, "revision 1 after the refused update", gotRev, rev1)
		// The post is still writable at its version.
		q2, rev2 := editedPost(p, 2)
		Must(t, "UpdatePost after the refusal", st.UpdatePost(t.Context(), q2, rev2))
	})
	t.Run("UpdatePost returns ENOTFOUND for an unknown post and stores no revision", func(t *testing.T) {
		st := s.open(t)
		p, _ := PostValue("org-1", "user-1")
		p.Version = 1
		q, rev := editedPost(p, 2)
		AssertCode(t, "UpdatePost", st.UpdatePost(t.Context(), q, rev), publisher.ENOTFOUND)
		_, err := st.GetPost(t.Context(), p.ID)
		AssertCode(t, "GetPost", err, publisher.ENOTFOUND)
		_, err = st.GetRevision(t.Context(), p.ID, 2)
		AssertCode(t, "GetRevision", err, publisher.ENOTFOUND)
	})
	t.Run("successive updates each need the version the last one left", func(t *testing.T) {
		st := s.open(t)
		p := NewPost(t, st, "org-1", "user-1")
		cur := p
		var want []int64
		for rev := 2; rev <= 4; rev++ {
			q, r := editedPost(cur, rev)
			Must(t, fmt.Sprintf("UpdatePost to revision %d", rev), st.UpdatePost(t.Context(), q, r))
			want = append(want, q.Version)
			cur = q
		}
		if fmt.Sprint(want) != "[2 3 4]" {
			t.Errorf("versions after three updates: %v, want [2 3 4]", want)
		}
		for _, v := range []int64{0, 1, 2, 3, 5} {
			q := *cur
			q.Version, q.Title = v, "stale"
			AssertCode(t, fmt.Sprintf("UpdatePost at version %d when the post is at 4", v), st.UpdatePost(t.Context(), &q, nil), publisher.ECONFLICT)
		}
		got, err := st.GetPost(t.Context(), p.ID)
		Must(t, "GetPost", err)
		AssertEqual(t, "post", got, cur)
		revs, err := st.ListRevisions(t.Context(), p.ID)
		Must(t, "ListRevisions", err)
		var nums []int
		for _, r := range revs {
			nums = append(nums, r.Revision)
		}
		if fmt.Sprint(nums) != "[1 2 3 4]" {
			t.Errorf("ListRevisions gave revisions %v, want [1 2 3 4] (oldest first)", nums)
		}
	})
	t.Run("ListRevisions keeps each post's revisions apart", func(t *testing.T) {
		st := s.open(t)
		a, b := NewPost(t, st, "org-1", "user-1"), NewPost(t, st, "org-1", "user-1")
		qa, ra := editedPost(a, 2)
		Must(t, "UpdatePost", st.UpdatePost(t.Context(), qa, ra))
		revs, err := st.ListRevisions(t.Context(), b.ID)
		Must(t, "ListRevisions", err)
		if len(revs) != 1 || revs[0].PostID != b.ID || revs[0].Revision != 1 {
			t.Errorf("ListRevisions of the other post: got %d revisions, want its revision 1 only", len(revs))
		}
	})
	t.Run("ListPosts returns the most recently updated first, filters by every field and counts all matches", func(t *testing.T) {
		st := s.open(t)
		type spec struct {
			org, author string
			status      publisher.PostStatus
			kind        publisher.PostKind
			updated     time.Duration
		}
		specs := []spec{
			{"org-a", "u1", publisher.PostDraft, publisher.KindPost, 3 * time.Hour},
			{"org-a", "u2", publisher.PostInReview, publisher.KindPost, 1 * time.Hour},
			{"org-b", "u1", publisher.PostApproved, publisher.KindClarification, 5 * time.Hour},
			{"org-a", "u1", publisher.PostPublishing, publisher.KindClarification, 2 * time.Hour},
			{"org-b", "u3", publisher.PostInReview, publisher.KindPost, 4 * time.Hour},
			{"org-a", "u1", publisher.PostInReview, publisher.KindPost, 0},
		}
		ps := make([]*publisher.Post, len(specs))
		for i, sp := range specs {
			ps[i] = NewPost(t, st, sp.org, sp.author, func(p *publisher.Post) {
				p.Status, p.Kind, p.CreatedAt, p.UpdatedAt = sp.status, sp.kind, T0.Add(-time.Duration(i)*time.Minute), T0.Add(sp.updated)
			})
		}
		// By UpdatedAt, newest first: 2 (5h), 4 (4h), 0 (3h), 3 (2h), 1 (1h), 5 (0).
		pick := func(is ...int) []*publisher.Post {
			out := make([]*publisher.Post, len(is))
			for i, k := range is {
				out[i] = ps[k]
			}
			return out
		}
		id := func(p *publisher.Post) string { return p.ID }
		cases := []struct {
			name  string
			f     publisher.PostFilter
			want  []*publisher.Post
			total int
		}{
			{"no filter", publisher.PostFilter{}, pick(2, 4, 0, 3, 1, 5), 6},
			{"organisation", publisher.PostFilter{OrgID: "org-b"}, pick(2, 4), 2},
			{"one status", publisher.PostFilter{Statuses: []publisher.PostStatus{publisher.PostInReview}}, pick(4, 1, 5), 3},
			{"two statuses", publisher.PostFilter{Statuses: []publisher.PostStatus{publisher.PostDraft, publisher.PostApproved}}, pick(2, 0), 2},
			{"empty status list", publisher.PostFilter{Statuses: []publisher.PostStatus{}}, pick(2, 4, 0, 3, 1, 5), 6},
			{"author", publisher.PostFilter{AuthorID: "u1"}, pick(2, 0, 3, 5), 4},
			{"kind", publisher.PostFilter{Kind: publisher.KindClarification}, pick(2, 3), 2},
			{"updated after (exclusive)", publisher.PostFilter{UpdatedAfter: T0.Add(2 * time.Hour)}, pick(2, 4, 0), 3},
			{"every filter", publisher.PostFilter{OrgID: "org-a", AuthorID: "u1", Kind: publisher.KindPost,
				Statuses: []publisher.PostStatus{publisher.PostInReview, publisher.PostDraft}, UpdatedAfter: T0.Add(-time.Hour)}, pick(0, 5), 2},
			{"limit", publisher.PostFilter{Limit: 2}, pick(2, 4), 6},
			{"limit and offset", publisher.PostFilter{Limit: 2, Offset: 2}, pick(0, 3), 6},
			{"offset only", publisher.PostFilter{Offset: 4}, pick(1, 5), 6},
			{"offset past the end", publisher.PostFilter{Limit: 2, Offset: 10}, nil, 6},
			{"filter with limit", publisher.PostFilter{AuthorID: "u1", Limit: 3, Offset: 1}, pick(0, 3, 5), 4},
			{"nothing matches", publisher.PostFilter{OrgID: "org-z"}, nil, 0},
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
	t.Run("ListPosts pages through posts updated at the same time without gaps or repeats", func(t *testing.T) {
		st := s.open(t)
		for range 7 {
			NewPost(t, st, "org-1", "user-1", func(p *publisher.Post) { p.UpdatedAt = T0 })
		}
		all, total, err := st.ListPosts(t.Context(), publisher.PostFilter{})
		Must(t, "ListPosts", err)
		if total != 7 || len(all) != 7 {
			t.Fatalf("ListPosts returned %d posts, total %d; want 7, 7", len(all), total)
		}
		id := func(p *publisher.Post) string { return p.ID }
		var paged []string
		for off := 0; off < 7; off += 3 {
			page, _, err := st.ListPosts(t.Context(), publisher.PostFilter{Limit: 3, Offset: off})
			Must(t, "ListPosts page", err)
			paged = append(paged, ids(page, id)...)
		}
		assertIDs(t, "pages of 3 put together", paged, ids(all, id))
	})
}
