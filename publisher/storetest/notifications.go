package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// testNotifications covers NotificationStore.
func (s *suite) testNotifications(t *testing.T) {
	ctx := context.Background()
	mk := func(id, user string, at time.Time) *publisher.Notification {
		return &publisher.Notification{ID: id, UserID: user, OrgID: "org1", Kind: "account.expiring", Subject: "X account expires soon",
			Body: "The X account @AgricultureHry must be reconnected within 3 days.", Link: "/accounts", CreatedAt: at}
	}
	t.Run("create and list newest first with totals", func(t *testing.T) {
		st := s.open(t)
		var ns []*publisher.Notification
		for i := 0; i < 5; i++ {
			ns = append(ns, mk(fmt.Sprintf("n%d", i), "u1", T0.Add(time.Duration(i)*time.Minute)))
		}
		ns = append(ns, mk("other", "u2", T0))
		Must(t, "CreateNotifications", st.CreateNotifications(ctx, ns))
		got, total, err := st.ListNotifications(ctx, publisher.NotificationFilter{UserID: "u1", Limit: 2, Offset: 1})
		Must(t, "listing or marking", err)
		if total != 5 || len(got) != 2 || got[0].ID != "n3" || got[1].ID != "n2" {
			t.Fatalf("page = %v (total %d), want n3, n2 of 5", notificationIDs(got), total)
		}
		AssertEqual(t, "notification", got[0], ns[3])
	})
	t.Run("a duplicate id is a conflict", func(t *testing.T) {
		st := s.open(t)
		Must(t, "CreateNotifications", st.CreateNotifications(ctx, []*publisher.Notification{mk("a", "u1", T0)}))
		err := st.CreateNotifications(ctx, []*publisher.Notification{mk("b", "u1", T0), mk("a", "u1", T0)})
		AssertCode(t, "duplicate notification id", err, publisher.ECONFLICT)
	})
	t.Run("mark read by id, then all; only the user's own", func(t *testing.T) {
		st := s.open(t)
		Must(t, "CreateNotifications", st.CreateNotifications(ctx, []*publisher.Notification{mk("a", "u1", T0), mk("b", "u1", T0.Add(time.Second)), mk("c", "u1", T0.Add(2*time.Second)), mk("d", "u2", T0)}))
		at := T0.Add(time.Hour)
		n, err := st.MarkNotificationsRead(ctx, "u1", []string{"a", "d"}, at)
		Must(t, "listing or marking", err)
		if n != 1 {
			t.Fatalf("marked %d, want 1 (d is another user's)", n)
		}
		unread, total, err := st.ListNotifications(ctx, publisher.NotificationFilter{UserID: "u1", UnreadOnly: true})
		Must(t, "listing or marking", err)
		if total != 2 || len(unread) != 2 {
			t.Fatalf("unread = %v", notificationIDs(unread))
		}
		n, err = st.MarkNotificationsRead(ctx, "u1", nil, at)
		Must(t, "listing or marking", err)
		if n != 2 {
			t.Fatalf("marked %d, want 2", n)
		}
		all, _, err := st.ListNotifications(ctx, publisher.NotificationFilter{UserID: "u1"})
		Must(t, "listing or marking", err)
		for _, x := range all {
			if x.ReadAt == nil || !x.ReadAt.Equal(Millis(at)) {
				t.Fatalf("%s readAt = %v", x.ID, x.ReadAt)
			}
		}
		other, _, _ := st.ListNotifications(ctx, publisher.NotificationFilter{UserID: "u2", UnreadOnly: true})
		if len(other) != 1 {
			t.Fatal("another user's notification was marked read")
		}
	})
}

func notificationIDs(ns []*publisher.Notification) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.ID)
	}
	return out
}
