package main

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// TestDemoHistory starts a new demo and checks the month it writes: every
// post of demoHistory went through review (written, submitted, approved,
// in that order, on its day) and was published on that day, once, on every
// account of its organisation that takes text, in the store and on the
// sandbox platforms; the clock is right afterwards; the news of that month
// is read but today's is not; the worker's first metrics sweep reads the
// posts' reach into the dashboard, day by day; and a second start writes
// nothing again.
func TestDemoHistory(t *testing.T) {
	getenv := testEnv(t, "PRASAR_DEMO", "on", "PRASAR_METRICS_EVERY", "1s")
	m := startMain(t, "serve", getenv)
	ctx := publisher.SystemContext(context.Background())
	store, sb := m.Store(), m.Sandbox()

	if d := time.Since(m.demoClock.Now()); d > time.Minute || d < -time.Minute {
		t.Fatalf("the demo's clock is %v off after seeding", d)
	}
	byTitle := func(st publisher.Store) map[string][]*publisher.Post {
		ps, _, err := st.ListPosts(ctx, publisher.PostFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]*publisher.Post{}
		for _, p := range ps {
			out[p.Title] = append(out[p.Title], p)
		}
		return out
	}
	posts := byTitle(store)
	today := time.Now().In(istZone)
	measurable := 0 // deliveries on platforms that report any figure (not Telegram's Bot API)
	days := map[string]bool{}
	for _, h := range demoHistory {
		at := time.Date(today.Year(), today.Month(), today.Day()-h.DaysAgo, h.Hour, 0, 0, 0, istZone)
		ps := posts[h.Title]
		if len(ps) != 1 {
			t.Errorf("%q: %d posts, want 1", h.Title, len(ps))
			continue
		}
		p := ps[0]
		org, err := store.GetOrgByCode(ctx, h.Org)
		if err != nil {
			t.Fatal(err)
		}
		if p.OrgID != org.ID || p.Status != publisher.PostPublishing {
			t.Errorf("%q: organisation %s, status %s; want %s, publishing", h.Title, p.OrgID, p.Status, h.Org)
		}
		var steps []string
		last := time.Time{}
		for _, r := range p.Review {
			steps = append(steps, r.Action)
			if r.At.Before(last) || r.At.After(at) || r.At.Before(at.Add(-2*time.Hour)) {
				t.Errorf("%q: %s at %v, want in order, within the two hours before %v", h.Title, r.Action, r.At, at)
			}
			last = r.At
		}
		if fmt.Sprint(steps) != "[create submit approve publish]" {
			t.Errorf("%q: review %v, want create, submit, approve, publish", h.Title, steps)
		}

		accts, err := store.ListAccounts(ctx, publisher.AccountFilter{OrgID: org.ID})
		if err != nil {
			t.Fatal(err)
		}
		want := 0 // the organisation's connected accounts on platforms that take a text alone
		for _, a := range accts {
			if c := m.Service().Connector(a.Platform); c != nil && a.Status == publisher.AccountConnected && c.Rules().Enabled && !c.Rules().RequiresMedia {
				want++
			}
		}
		ds, _, err := store.ListDeliveries(ctx, publisher.DeliveryFilter{PostID: p.ID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != want || want == 0 {
			t.Errorf("%q: %d deliveries, want one per text account of %s (%d)", h.Title, len(ds), h.Org, want)
		}
		for _, d := range ds {
			if def := publisher.DefinitionFor(d.Platform, ""); def != nil && (def.Reach.Available() || def.Views.Available() || def.Engagements.Available()) {
				measurable++
			}
			if d.Status != publisher.DeliveryPublished || d.PublishedAt == nil || d.PublishedAt.Before(at) || d.PublishedAt.After(at.Add(time.Minute)) {
				t.Errorf("%q on %s: %s at %v, want published within a minute after %v", h.Title, d.Platform, d.Status, d.PublishedAt, at)
				continue
			}
			days[publisher.ReachDay(*d.PublishedAt)] = true
			a, err := store.GetAccount(ctx, d.AccountID)
			if err != nil {
				t.Fatal(err)
			}
			// On the platform: made that day, once.
			n := 0
			for _, sp := range sb.Posts(string(d.Platform), a.ExternalID) {
				if sp.CreatedAt.Sub(*d.PublishedAt).Abs() < 2*time.Second {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%q on %s: the sandbox has %d posts of the account made at %v, want 1", h.Title, d.Platform, n, d.PublishedAt)
			}
		}
	}

	// Old news is read; today's (the token alerts) is not.
	unreadToday := 0
	for _, du := range demoUsers() {
		u, err := store.GetUserByEmail(ctx, du.Email)
		if err != nil {
			t.Fatal(err)
		}
		ns, _, err := store.ListNotifications(ctx, publisher.NotificationFilter{UserID: u.ID, UnreadOnly: true, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			if time.Since(n.CreatedAt) > time.Hour {
				t.Errorf("%s has an unread notification of %v: %s", du.Email, n.CreatedAt, n.Subject)
			} else {
				unreadToday++
			}
		}
	}
	if unreadToday == 0 {
		t.Error("the demo left nobody a notification of today (the token alerts)")
	}

	// The first sweeps read the month's reach into the dashboard.
	approver, err := store.GetUserByEmail(ctx, "approver@example.gov.in")
	if err != nil {
		t.Fatal(err)
	}
	as := publisher.NewContextWithUser(context.Background(), approver)
	waitFor(t, 2*time.Minute, "the month's reach in the dashboard", func() (bool, string) {
		dash, err := m.Service().ReachDashboard(as, publisher.ReachFilter{})
		if err != nil {
			return false, err.Error()
		}
		withReach := 0
		for _, pt := range dash.Series {
			if pt.Reach > 0 {
				withReach++
			}
		}
		return withReach >= len(days) && dash.Totals.Posts >= int64(measurable), fmt.Sprintf("%d of %d days with reach, %d of %d deliveries measured", withReach, len(days), dash.Totals.Posts, measurable)
	})

	// A second start of the same deployment writes no history again.
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	again := startMain(t, "serve", getenv)
	for _, h := range demoHistory {
		if n := len(byTitle(again.Store())[h.Title]); n != 1 {
			t.Errorf("after a restart, %q: %d posts, want 1", h.Title, n)
		}
	}
}

// TestDemoStartsWithoutItsPastMonth: when the sandbox cannot be reached at
// PRASAR_SANDBOX_URL (a proxy in front, a wrong address), the demo's past
// month is not written, and the deployment starts anyway, its clock right.
func TestDemoStartsWithoutItsPastMonth(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/sandbox"
	l.Close()
	m := startMain(t, "serve", testEnv(t, "PRASAR_DEMO", "on", "PRASAR_SANDBOX_URL", closed))
	if d := time.Since(m.demoClock.Now()); d > time.Minute || d < -time.Minute {
		t.Fatalf("the demo's clock is %v off", d)
	}
	ctx := publisher.SystemContext(context.Background())
	if _, err := m.Store().GetUserByEmail(ctx, "editor.agri@example.gov.in"); err != nil {
		t.Errorf("the demo's users: %v", err)
	}
}
