package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

func (s *suite) testAttempts(t *testing.T) {
	mk := func(id string, n int, outcome string) *publisher.Attempt {
		return &publisher.Attempt{DeliveryID: id, N: n, StartedAt: at(time.Duration(n) * time.Minute), EndedAt: at(time.Duration(n)*time.Minute + 1500*time.Millisecond),
			Outcome: outcome, ErrorClass: publisher.ClassRetryable, Message: "attempt " + outcome}
	}
	t.Run("ListAttempts returns a delivery's attempts oldest first with every field", func(t *testing.T) {
		st := s.open(t)
		d1, d2 := deliveryIn(t, st, publisher.DeliveryQueued, nil), deliveryIn(t, st, publisher.DeliveryQueued, nil)
		a1, a2, a3 := mk(d1.ID, 1, "retrying"), mk(d1.ID, 2, "retrying"), mk(d1.ID, 3, "published")
		a3.ErrorClass, a3.Message = "", ""
		a2.StartedAt = a2.StartedAt.In(ist)
		other := mk(d2.ID, 1, "failed")
		// Appended out of order, so that insertion order is not enough.
		for _, a := range []*publisher.Attempt{a2, other, a1, a3} {
			Must(t, "AddAttempt", st.AddAttempt(t.Context(), a))
		}
		got, err := st.ListAttempts(t.Context(), d1.ID)
		Must(t, "ListAttempts", err)
		AssertEqual(t, "ListAttempts", got, []*publisher.Attempt{a1, a2, a3})
		got, err = st.ListAttempts(t.Context(), d2.ID)
		Must(t, "ListAttempts of the other delivery", err)
		AssertEqual(t, "ListAttempts of the other delivery", got, []*publisher.Attempt{other})
		got, err = st.ListAttempts(t.Context(), deliveryIn(t, st, publisher.DeliveryQueued, nil).ID)
		Must(t, "ListAttempts of a delivery without attempts", err)
		if len(got) != 0 {
			t.Errorf("ListAttempts of a delivery without attempts returned %d", len(got))
		}
	})
	t.Run("attempts with the same number keep the order they were added in", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryQueued, nil)
		first, second := mk(d.ID, 1, "not_found"), mk(d.ID, 1, "published")
		second.StartedAt = first.StartedAt
		Must(t, "AddAttempt", st.AddAttempt(t.Context(), first))
		Must(t, "AddAttempt", st.AddAttempt(t.Context(), second))
		got, err := st.ListAttempts(t.Context(), d.ID)
		Must(t, "ListAttempts", err)
		AssertEqual(t, "ListAttempts", got, []*publisher.Attempt{first, second})
	})
	t.Run("AddAttempt to an unknown delivery is ENOTFOUND and stores nothing", func(t *testing.T) {
		st := s.open(t)
		err := st.AddAttempt(t.Context(), mk("dnosuchdelivery", 1, "published"))
		AssertCode(t, "AddAttempt", err, publisher.ENOTFOUND)
		got, err := st.ListAttempts(t.Context(), "dnosuchdelivery")
		Must(t, "ListAttempts", err)
		if len(got) != 0 {
			t.Errorf("ListAttempts of an unknown delivery returned %d attempts", len(got))
		}
	})
	t.Run("adding attempts changes nothing else of the delivery", func(t *testing.T) {
		st := s.open(t)
		d := deliveryIn(t, st, publisher.DeliveryRetrying, func(d *publisher.Delivery) {
			d.Attempts, d.Failures, d.NextAttemptAt, d.ErrorMessage = 1, 1, atp(time.Minute), "Mastodon could not be reached."
		})
		Must(t, "AddAttempt", st.AddAttempt(t.Context(), mk(d.ID, 1, "retrying")))
		AssertEqual(t, "the delivery", s.getDelivery(t, st, d.ID), d)
		ds, _, err := st.ListDeliveries(t.Context(), publisher.DeliveryFilter{PostID: d.PostID})
		Must(t, "ListDeliveries", err)
		AssertEqual(t, "ListDeliveries", ds, []*publisher.Delivery{d})
	})
}

func (s *suite) testAudit(t *testing.T) {
	mk := func(at time.Time, org, object, actor string) *publisher.AuditEvent {
		return &publisher.AuditEvent{ID: publisher.NewID(), At: at, ActorID: actor, ActorRole: publisher.RoleEditor, Action: "post.edit",
			ObjectType: "post", ObjectID: object, OrgID: org, Details: map[string]string{"revision": "2", "status": "in_review"}}
	}
	t.Run("AppendAudit then ListAudit returns every field", func(t *testing.T) {
		st := s.open(t)
		e := mk(time.Date(2025, 3, 3, 15, 0, 0, 999_000_001, ist), "org-1", "post-1", "user-1")
		sys := &publisher.AuditEvent{ID: publisher.NewID(), At: at(-time.Hour), Action: "post.fanout", ObjectType: "post", ObjectID: "post-1"}
		Must(t, "AppendAudit", st.AppendAudit(t.Context(), e))
		Must(t, "AppendAudit", st.AppendAudit(t.Context(), sys))
		got, err := st.ListAudit(t.Context(), publisher.AuditFilter{})
		Must(t, "ListAudit", err)
		AssertEqual(t, "ListAudit", got, []*publisher.AuditEvent{e, sys})
	})
	t.Run("ListAudit returns the newest first and filters by organisation, object and actor", func(t *testing.T) {
		st := s.open(t)
		es := []*publisher.AuditEvent{
			mk(at(2*time.Minute), "org-a", "post-1", "u1"), // 0
			mk(at(5*time.Minute), "org-b", "post-2", "u2"), // 1
			mk(at(1*time.Minute), "org-a", "post-2", "u2"), // 2
			mk(at(4*time.Minute), "org-a", "post-1", ""),   // 3
			mk(at(3*time.Minute), "org-b", "post-3", "u1"), // 4
			mk(at(6*time.Minute), "", "user-9", "u1"),      // 5
		}
		for _, e := range es {
			Must(t, "AppendAudit", st.AppendAudit(t.Context(), e))
		}
		pick := func(is ...int) []*publisher.AuditEvent {
			out := make([]*publisher.AuditEvent, len(is))
			for i, k := range is {
				out[i] = es[k]
			}
			return out
		}
		id := func(e *publisher.AuditEvent) string { return e.ID }
		cases := []struct {
			name string
			f    publisher.AuditFilter
			want []*publisher.AuditEvent
		}{
			{"no filter", publisher.AuditFilter{}, pick(5, 1, 3, 4, 0, 2)},
			{"organisation", publisher.AuditFilter{OrgID: "org-a"}, pick(3, 0, 2)},
			{"object", publisher.AuditFilter{ObjectID: "post-2"}, pick(1, 2)},
			{"actor", publisher.AuditFilter{ActorID: "u1"}, pick(5, 4, 0)},
			{"organisation, object and actor", publisher.AuditFilter{OrgID: "org-a", ObjectID: "post-1", ActorID: "u1"}, pick(0)},
			{"limit", publisher.AuditFilter{Limit: 2}, pick(5, 1)},
			{"limit and offset", publisher.AuditFilter{Limit: 2, Offset: 2}, pick(3, 4)},
			{"offset only", publisher.AuditFilter{Offset: 4}, pick(0, 2)},
			{"filter with limit and offset", publisher.AuditFilter{ActorID: "u1", Limit: 1, Offset: 1}, pick(4)},
			{"nothing matches", publisher.AuditFilter{ActorID: "u-none"}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := st.ListAudit(t.Context(), tc.f)
				Must(t, "ListAudit", err)
				assertIDs(t, "ListAudit", ids(got, id), ids(tc.want, id))
			})
		}
	})
}

func (s *suite) testMedia(t *testing.T) {
	t.Run("PutMedia then GetMedia and GetMediaData return every field and the bytes", func(t *testing.T) {
		st := s.open(t)
		data := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01")
		m := NewMedia(t, st, "org-1", data)
		got, err := st.GetMedia(t.Context(), m.ID)
		Must(t, "GetMedia", err)
		AssertEqual(t, "GetMedia", got, m)
		b, err := st.GetMediaData(t.Context(), m.ID)
		Must(t, "GetMediaData", err)
		if !bytes.Equal(b, data) {
			t.Errorf("GetMediaData returned %d bytes %q, want %q", len(b), b, data)
		}
	})
	t.Run("a 5 MB image keeps every byte", func(t *testing.T) {
		st := s.open(t)
		data := RandomBytes(5 << 20)
		m := NewMedia(t, st, "org-1", data)
		b, err := st.GetMediaData(t.Context(), m.ID)
		Must(t, "GetMediaData", err)
		if !bytes.Equal(b, data) {
			t.Errorf("GetMediaData returned %d bytes that differ from the %d stored", len(b), len(data))
		}
	})
	t.Run("PutMedia refuses a duplicate id with ECONFLICT and keeps the first bytes", func(t *testing.T) {
		st := s.open(t)
		data := RandomBytes(1000)
		m := NewMedia(t, st, "org-1", data)
		dup := *m
		dup.Filename = "other.png"
		AssertCode(t, "PutMedia", st.PutMedia(t.Context(), &dup, []byte("other bytes")), publisher.ECONFLICT)
		got, err := st.GetMedia(t.Context(), m.ID)
		Must(t, "GetMedia", err)
		AssertEqual(t, "the first media", got, m)
		b, err := st.GetMediaData(t.Context(), m.ID)
		Must(t, "GetMediaData", err)
		if !bytes.Equal(b, data) {
			t.Errorf("the refused PutMedia changed the bytes")
		}
	})
	t.Run("GetMedia and GetMediaData return ENOTFOUND for an unknown id", func(t *testing.T) {
		st := s.open(t)
		NewMedia(t, st, "org-1", []byte("x"))
		_, err := st.GetMedia(t.Context(), "no-such-media")
		AssertCode(t, "GetMedia", err, publisher.ENOTFOUND)
		_, err = st.GetMediaData(t.Context(), "no-such-media")
		AssertCode(t, "GetMediaData", err, publisher.ENOTFOUND)
	})
}

func (s *suite) testPing(t *testing.T) {
	t.Run("Ping answers an open store", func(t *testing.T) {
		st := s.open(t)
		Must(t, "Ping", st.Ping(t.Context()))
	})
}
