package publisher_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// Tests of the seams between features: the review queue's order across
// pages, and the names that come with the publish history.

// submitted writes and submits a post of the editor's organisation.
func (e *env) submitted(u *publisher.User, text string, targets ...*publisher.Account) *publisher.Post {
	e.t.Helper()
	var ids []string
	for _, a := range targets {
		ids = append(ids, a.ID)
	}
	p, err := e.svc.CreatePost(as(u), publisher.PostInput{Title: text, Content: publisher.Content{BodyHI: text}, Targets: ids})
	if err != nil {
		e.t.Fatal(err)
	}
	if p, err = e.svc.SubmitPost(as(u), p.ID, p.Revision); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func postIDs(ps []*publisher.Post) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func TestReviewQueueIsOldestFirstAcrossPages(t *testing.T) {
	e := newEnv(t)
	var want []*publisher.Post
	for i, u := range []*publisher.User{e.editor, e.otherEditor, e.editor, e.otherEditor, e.editor} {
		e.clock.Add(time.Minute)
		acct := e.xAcct
		if u == e.otherEditor {
			acct = e.otherAcct
		}
		want = append(want, e.submitted(u, "पोस्ट "+string(rune('A'+i)), acct))
	}
	e.clock.Add(time.Minute)
	if _, err := e.svc.CreatePost(as(e.editor), publisher.PostInput{Content: publisher.Content{BodyHI: "मसौदा"}}); err != nil {
		t.Fatal(err) // a draft: not in the queue
	}
	// The oldest is edited while in review: it changes (updatedAt) but keeps
	// its place, which it earned when it was submitted.
	e.clock.Add(time.Minute)
	if _, err := e.svc.UpdatePost(as(e.editor), want[0].ID, want[0].Revision, publisher.PostInput{Title: want[0].Title,
		Content: publisher.Content{BodyHI: "संपादित"}, Targets: want[0].Targets}); err != nil {
		t.Fatal(err)
	}
	// The second is sent back and submitted again: it waits from now.
	e.clock.Add(time.Minute)
	p, err := e.svc.RequestChanges(as(e.approver), want[1].ID, want[1].Revision, "Add the date.")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	if _, err := e.svc.SubmitPost(as(e.otherEditor), p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	want = append(append([]*publisher.Post{want[0]}, want[2:]...), want[1])

	for _, u := range []*publisher.User{e.approver, e.admin} {
		var paged []string
		for off := 0; off < 7; off += 2 {
			page, total, err := e.svc.ReviewQueue(as(u), 2, off)
			if err != nil {
				t.Fatal(err)
			}
			if total != 5 {
				t.Errorf("%s: page at %d: total %d, want 5", u.Email, off, total)
			}
			if len(page) > 2 {
				t.Errorf("%s: page at %d has %d posts, want at most 2", u.Email, off, len(page))
			}
			paged = append(paged, postIDs(page)...)
		}
		if !slices.Equal(paged, postIDs(want)) {
			t.Errorf("%s: the queue in pages of 2 = %v, want %v (longest waiting first)", u.Email, paged, postIDs(want))
		}
	}
	all, _, err := e.svc.ReviewQueue(as(e.approver), 0, 0) // 0: the default page
	if err != nil || !slices.Equal(postIDs(all), postIDs(want)) {
		t.Errorf("ReviewQueue(0, 0) = %v, %v; want the whole queue", postIDs(all), err)
	}
	for _, u := range []*publisher.User{e.editor, e.otherEditor} {
		_, _, err := e.svc.ReviewQueue(as(u), 50, 0)
		wantCode(t, err, publisher.EFORBIDDEN)
	}
	_, _, err = e.svc.ReviewQueue(context.Background(), 50, 0)
	wantCode(t, err, publisher.EUNAUTHORIZED)
}

// countingStore counts the look-ups that the history must make in batches.
type countingStore struct {
	publisher.Store
	getPost, listPosts, getAccount, listAccounts, getOrg, listOrgs atomic.Int32
}

func (s *countingStore) GetPost(ctx context.Context, id string) (*publisher.Post, error) {
	s.getPost.Add(1)
	return s.Store.GetPost(ctx, id)
}

func (s *countingStore) ListPosts(ctx context.Context, f publisher.PostFilter) ([]*publisher.Post, int, error) {
	s.listPosts.Add(1)
	return s.Store.ListPosts(ctx, f)
}

func (s *countingStore) GetAccount(ctx context.Context, id string) (*publisher.Account, error) {
	s.getAccount.Add(1)
	return s.Store.GetAccount(ctx, id)
}

func (s *countingStore) ListAccounts(ctx context.Context, f publisher.AccountFilter) ([]*publisher.Account, error) {
	s.listAccounts.Add(1)
	return s.Store.ListAccounts(ctx, f)
}

func (s *countingStore) GetOrg(ctx context.Context, id string) (*publisher.Organisation, error) {
	s.getOrg.Add(1)
	return s.Store.GetOrg(ctx, id)
}

func (s *countingStore) ListOrgs(ctx context.Context, f publisher.OrgFilter) ([]*publisher.Organisation, error) {
	s.listOrgs.Add(1)
	return s.Store.ListOrgs(ctx, f)
}

func (s *countingStore) reset() {
	for _, c := range []*atomic.Int32{&s.getPost, &s.listPosts, &s.getAccount, &s.listAccounts, &s.getOrg, &s.listOrgs} {
		c.Store(0)
	}
}

func TestDeliveryRowsCarryNamesFromBatchLookUps(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Accounts with display names of their own.
	sys := publisher.SystemContext(ctx)
	for _, a := range []*publisher.Account{e.fbAcct, e.xAcct} {
		if _, err := e.svc.SaveAccount(sys, publisher.AccountInput{OrgID: a.OrgID, Platform: a.Platform, Handle: a.Handle, DisplayName: "Krishi " + string(a.Platform),
			ExternalID: a.ExternalID, Credentials: &publisher.Credentials{AccessToken: "tok"}}); err != nil {
			t.Fatal(err)
		}
	}
	titles := map[string]string{}
	var mine []*publisher.Post
	for i := range 3 {
		p, err := e.svc.CreatePost(as(e.editor), publisher.PostInput{Title: "किसान सूचना " + string(rune('1'+i)), Content: publisher.Content{BodyHI: "सूचना " + string(rune('1'+i))},
			Targets: []string{e.fbAcct.ID, e.xAcct.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if p, err = e.svc.SubmitPost(as(e.editor), p.ID, p.Revision); err != nil {
			t.Fatal(err)
		}
		if p, err = e.svc.ApprovePost(as(e.approver), p.ID, p.Revision, ""); err != nil {
			t.Fatal(err)
		}
		e.fanout(p)
		titles[p.ID] = p.Title
		mine = append(mine, p)
	}
	theirs, err := e.svc.CreatePost(as(e.otherEditor), publisher.PostInput{Title: "स्वास्थ्य", Content: publisher.Content{BodyHI: "स्वास्थ्य"}, Targets: []string{e.otherAcct.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if theirs, err = e.svc.SubmitPost(as(e.otherEditor), theirs.ID, theirs.Revision); err != nil {
		t.Fatal(err)
	}
	if theirs, err = e.svc.ApprovePost(as(e.approver), theirs.ID, theirs.Revision, ""); err != nil {
		t.Fatal(err)
	}
	e.fanout(theirs)
	titles[theirs.ID] = theirs.Title

	cs := &countingStore{Store: e.store}
	svc, err := publisher.New(publisher.Config{}, publisher.Deps{Store: cs, Enqueuer: e.queue, Keyring: e.keyring, Hasher: passhashCheap(),
		Connectors: []publisher.Connector{e.fb, e.x, e.ig, e.koo}, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	handles := map[string][2]string{e.fbAcct.ID: {e.fbAcct.Handle, "Krishi facebook"}, e.xAcct.ID: {e.xAcct.Handle, "Krishi x"},
		e.otherAcct.ID: {e.otherAcct.Handle, ""}}
	codes := map[string]string{e.org.ID: "AGRI", e.otherOrg.ID: "HEALTH"}
	check := func(t *testing.T, who string, rows []*publisher.DeliveryRow) {
		t.Helper()
		for _, r := range rows {
			h := handles[r.AccountID]
			if r.PostTitle != titles[r.PostID] || r.PostTitle == "" || r.AccountHandle != h[0] || r.AccountDisplayName != h[1] || r.OrgCode != codes[r.OrgID] {
				t.Errorf("%s: row %s = title %q handle %q name %q org %q; want %q %q %q %q", who, r.ID, r.PostTitle, r.AccountHandle, r.AccountDisplayName, r.OrgCode,
					titles[r.PostID], h[0], h[1], codes[r.OrgID])
			}
		}
		if got := cs.getPost.Load() + cs.getAccount.Load() + cs.getOrg.Load(); got != 0 {
			t.Errorf("%s: %d look-ups one by one (posts %d, accounts %d, organisations %d); want batches only", who, got, cs.getPost.Load(), cs.getAccount.Load(), cs.getOrg.Load())
		}
		if cs.listPosts.Load() != 1 || cs.listAccounts.Load() != 1 || cs.listOrgs.Load() != 1 {
			t.Errorf("%s: batches: posts %d, accounts %d, organisations %d; want one each", who, cs.listPosts.Load(), cs.listAccounts.Load(), cs.listOrgs.Load())
		}
	}

	cs.reset()
	rows, total, err := svc.ListDeliveryRows(as(e.approver), publisher.DeliveryFilter{})
	if err != nil || total != 7 || len(rows) != 7 {
		t.Fatalf("approver's history: %d rows of %d, %v; want 7", len(rows), total, err)
	}
	check(t, "approver", rows)

	cs.reset()
	rows, total, err = svc.ListDeliveryRows(as(e.editor), publisher.DeliveryFilter{Limit: 4})
	if err != nil || total != 6 || len(rows) != 4 {
		t.Fatalf("editor's history: %d rows of %d, %v; want 4 of 6", len(rows), total, err)
	}
	for _, r := range rows {
		if r.OrgID != e.org.ID {
			t.Errorf("the editor's history shows another organisation's delivery %s", r.ID)
		}
	}
	check(t, "editor", rows)

	rows, total, err = svc.ListDeliveryRows(as(e.otherEditor), publisher.DeliveryFilter{OrgID: e.org.ID})
	if err != nil || total != 0 || len(rows) != 0 {
		t.Errorf("another organisation's editor asking for this one's history: %d rows, %v; want none", len(rows), err)
	}
	_, _, err = svc.ListDeliveryRows(as(e.editor), publisher.DeliveryFilter{Platform: "myspace"})
	wantField(t, err, "platform", "invalid_choice")

	cs.reset()
	prows, counts, err := svc.PostDeliveryRows(as(e.editor), mine[0].ID)
	if err != nil || len(prows) != 2 || counts[publisher.DeliveryQueued] != 2 {
		t.Fatalf("post's deliveries: %d, %v, %v", len(prows), counts, err)
	}
	cs.getPost.Store(0) // the post itself is read to check the user may see it
	check(t, "post page", prows)
	_, _, err = svc.PostDeliveryRows(as(e.otherEditor), mine[0].ID)
	wantCode(t, err, publisher.ENOTFOUND)
}
