package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// CaseValue returns a case of orgID with every field set, reported at
// T0+d, not yet stored.
func CaseValue(orgID string, d time.Duration) *publisher.Case {
	id := publisher.NewID()
	rep := at(d)
	return &publisher.Case{
		ID: id, Ref: "FN-20250303-" + id[len(id)-5:], OrgID: orgID, Status: publisher.CaseDrafting, Type: publisher.CaseForgedLetter,
		Platform: "whatsapp", Media: publisher.MediaDigital, Language: "hi",
		URLs:          []string{"https://www.facebook.com/story.php?story_fbid=1&id=2&mibextid=x", "https://t.me/fakenews/42"},
		URLKeys:       []string{"facebook.com/story.php?id=2&story_fbid=1", "t.me/fakenews/42"},
		ScreenshotIDs: []string{"m-1", "m-2"},
		Summary:       "एक जाली परिपत्र में दावा: धान की खरीद 1 अक्टूबर से बंद / A forged circular says paddy procurement stops on 1 October",
		WhereSeen:     "WhatsApp groups in Karnal and Kaithal", District: "Karnal",
		ReportedBy: "u-admin", ReportedByName: "DMS Admin", ReportedAt: rep, DeadlineAt: rep.Add(2 * time.Hour), EscalateDMSAt: rep.Add(4 * time.Hour),
		DuplicateOf: "case-older", LinkedReports: 2,
		Triage: &publisher.CaseTriage{InScope: true, Actionable: true, Reason: "A state scheme", ByID: "u-admin", ByName: "DMS Admin", At: rep.Add(10 * time.Minute)},
		Assignment: &publisher.CaseAssignment{NodalOfficerID: "off-1", NodalName: "Sunita Malik", AlternateOfficerID: "off-2", AlternateName: "Ravi Kumar",
			Notified: 2, At: rep.Add(10 * time.Minute)},
		Facts: "Procurement continues as scheduled until 15 November.",
		Sources: []publisher.CaseSource{{Kind: "circular", Title: "Circular 12/2025-Agri", URL: "https://agriharyana.gov.in/c12", Ref: "12/2025 dated 2 Mar 2025"},
			{Kind: "website", Title: "Procurement portal", URL: "https://fasal.haryana.gov.in"}},
		ClarificationPostID: "post-1", ExtraPostIDs: []string{"post-2"}, PastPostIDs: []string{"post-0"},
		Actions: []publisher.CaseAction{{ID: "act-1", Kind: publisher.ActionTakedownRequest, At: rep.Add(time.Hour), ByID: "u-ed", ByName: "Editor",
			Note: "Takedown intimation sent through Sahyog", Reference: "SAHYOG/2025/118", OfficerName: "A. K. Sharma", OfficerDesignation: "Joint Secretary",
			OfficerRank: publisher.RankJointSecretary, LegalBasis: "IT Act s.79(3)(b); IT Rules r.3(1)(d)", Reasons: "Forged government order"}},
		AssignedAt: ptr(rep.Add(10 * time.Minute)), SubmittedAt: ptr(rep.Add(40 * time.Minute)), ApprovedAt: ptr(rep.Add(50 * time.Minute)),
		PublishedAt: ptr(rep.Add(55 * time.Minute)), ClosedAt: ptr(rep.Add(3 * time.Hour)), ClosingNote: "Clarified; outlet withdrew the item.",
		EscalatedHoDAt: ptr(rep.Add(2 * time.Hour)), EscalatedDMSAt: ptr(rep.Add(4 * time.Hour)),
		Events: 1, LastHash: "h1", CreatedAt: rep, UpdatedAt: rep.Add(time.Minute),
	}
}

// caseEvent returns trail event seq of c.
func caseEvent(c *publisher.Case, seq int) *publisher.CaseEvent {
	return &publisher.CaseEvent{ID: publisher.NewID(), CaseID: c.ID, Seq: seq, At: at(time.Duration(seq) * time.Minute).Add(123456 * time.Nanosecond),
		ActorID: "u-admin", ActorName: "DMS Admin", ActorRole: publisher.RoleAdmin, Kind: "status", From: publisher.CaseNew, To: publisher.CaseAssigned,
		Note: fmt.Sprintf("event %d — घटना", seq), Details: map[string]string{"step": "triage_in", "n": fmt.Sprint(seq)}, Hash: fmt.Sprintf("hash-%d", seq)}
}

// testCases covers CaseStore.
func (s *suite) testCases(t *testing.T) {
	ctx := context.Background()
	t.Run("round trip with every field, and its trail", func(t *testing.T) {
		st := s.open(t)
		c := CaseValue("org-1", 0)
		e1 := caseEvent(c, 1)
		Must(t, "CreateCase", st.CreateCase(ctx, c, []*publisher.CaseEvent{e1}))
		if c.Version != 1 {
			t.Errorf("Version after CreateCase = %d, want 1", c.Version)
		}
		got, err := st.GetCase(ctx, c.ID)
		Must(t, "GetCase", err)
		AssertEqual(t, "the stored case", got, c)
		evs, err := st.ListCaseEvents(ctx, c.ID)
		Must(t, "ListCaseEvents", err)
		if len(evs) != 1 {
			t.Fatalf("trail has %d events, want 1", len(evs))
		}
		AssertEqual(t, "the stored event", evs[0], e1)
	})
	t.Run("a minimal case keeps its empty fields empty", func(t *testing.T) {
		st := s.open(t)
		c := &publisher.Case{ID: publisher.NewID(), Ref: "FN-1", OrgID: "org-1", Status: publisher.CaseNew, Type: publisher.CaseOtherType, Platform: "newspaper",
			Media: publisher.MediaPrint, Language: "en", Summary: "s", ReportedBy: "u", ReportedAt: T0, DeadlineAt: at(12 * time.Hour),
			EscalateDMSAt: at(24 * time.Hour), CreatedAt: T0, UpdatedAt: T0}
		Must(t, "CreateCase", st.CreateCase(ctx, c, nil))
		got, err := st.GetCase(ctx, c.ID)
		Must(t, "GetCase", err)
		AssertEqual(t, "the stored case", got, c)
		if got.Triage != nil || got.Assignment != nil || got.PublishedAt != nil {
			t.Errorf("nil fields came back set: triage %v, assignment %v, published %v", got.Triage, got.Assignment, got.PublishedAt)
		}
	})
	t.Run("a duplicate id is a conflict; a missing case is not found", func(t *testing.T) {
		st := s.open(t)
		c := CaseValue("org-1", 0)
		Must(t, "CreateCase", st.CreateCase(ctx, c, nil))
		AssertCode(t, "CreateCase with a taken id", st.CreateCase(ctx, CaseValueWithID(c.ID), nil), publisher.ECONFLICT)
		_, err := st.GetCase(ctx, "no-such-case")
		AssertCode(t, "GetCase of a missing case", err, publisher.ENOTFOUND)
		m := CaseValue("org-1", 0)
		m.Version = 1
		AssertCode(t, "UpdateCase of a missing case", st.UpdateCase(ctx, m, nil), publisher.ENOTFOUND)
	})
	t.Run("update: version check, every field replaced, fields cleared, events appended", func(t *testing.T) {
		st := s.open(t)
		c := CaseValue("org-1", 0)
		Must(t, "CreateCase", st.CreateCase(ctx, c, []*publisher.CaseEvent{caseEvent(c, 1)}))
		u := *c
		u.Status, u.OrgID, u.Type, u.Platform, u.District = publisher.CaseAssigned, "org-2", publisher.CaseDeepfake, "youtube", "Hisar"
		u.Triage, u.Assignment, u.PublishedAt, u.ClosedAt, u.ClarificationPostID, u.ExtraPostIDs = nil, nil, nil, nil, "", nil
		u.URLKeys, u.URLs = append(u.URLKeys, "x.com/fake/status/9"), append(u.URLs, "https://twitter.com/fake/status/9?s=20")
		u.Events, u.LastHash = 3, "h3"
		e2, e3 := caseEvent(c, 2), caseEvent(c, 3)
		Must(t, "UpdateCase", st.UpdateCase(ctx, &u, []*publisher.CaseEvent{e2, e3}))
		if u.Version != 2 {
			t.Errorf("Version after UpdateCase = %d, want 2", u.Version)
		}
		got, err := st.GetCase(ctx, c.ID)
		Must(t, "GetCase", err)
		AssertEqual(t, "the updated case", got, &u)
		stale := *c // still at version 1
		stale.Summary = "stale write"
		AssertCode(t, "UpdateCase at a stale version", st.UpdateCase(ctx, &stale, []*publisher.CaseEvent{caseEvent(c, 4)}), publisher.ECONFLICT)
		if stale.Version != 1 {
			t.Errorf("a refused update changed Version to %d", stale.Version)
		}
		evs, err := st.ListCaseEvents(ctx, c.ID)
		Must(t, "ListCaseEvents", err)
		if len(evs) != 3 || evs[0].Seq != 1 || evs[1].Seq != 2 || evs[2].Seq != 3 {
			t.Fatalf("trail = %v, want events 1, 2, 3 (the refused update's event must not be stored)", eventSeqs(evs))
		}
		AssertEqual(t, "event 3", evs[2], e3)
		// A second event with a taken seq is refused.
		again := got
		again.Events = 4
		AssertCode(t, "an event with a seq that exists", st.UpdateCase(ctx, again, []*publisher.CaseEvent{caseEvent(c, 3)}), publisher.ECONFLICT)
		// Another case's trail is separate.
		other := CaseValue("org-1", time.Hour)
		Must(t, "CreateCase", st.CreateCase(ctx, other, []*publisher.CaseEvent{caseEvent(other, 1)}))
		evs, err = st.ListCaseEvents(ctx, other.ID)
		Must(t, "ListCaseEvents", err)
		if len(evs) != 1 || evs[0].CaseID != other.ID {
			t.Errorf("the other case's trail = %v", eventSeqs(evs))
		}
	})
	t.Run("list: filters, order, totals and pages", func(t *testing.T) {
		st := s.open(t)
		mk := func(org string, d time.Duration, status publisher.CaseStatus, typ publisher.CaseType, platform, district string, deadline time.Duration) *publisher.Case {
			c := CaseValue(org, d)
			c.Status, c.Type, c.Platform, c.District, c.DeadlineAt = status, typ, platform, district, at(deadline)
			Must(t, "CreateCase", st.CreateCase(ctx, c, nil))
			return c
		}
		cs := []*publisher.Case{
			mk("org-a", 0, publisher.CaseNew, publisher.CaseDeepfake, "x", "Karnal", 2*time.Hour),                        // 0
			mk("org-a", time.Hour, publisher.CaseAssigned, publisher.CaseForgedLetter, "whatsapp", "Hisar", 3*time.Hour), // 1
			mk("org-b", 2*time.Hour, publisher.CaseClosed, publisher.CaseDeepfake, "x", "", 4*time.Hour),                 // 2
			mk("org-b", 3*time.Hour, publisher.CasePublished, publisher.CaseImpersonation, "facebook", "Karnal", 15*time.Hour),
			mk("org-a", 4*time.Hour, publisher.CaseInReview, publisher.CaseDeepfake, "x", "Karnal", 6*time.Hour), // 4
		}
		pick := func(is ...int) []string {
			var out []string
			for _, i := range is {
				out = append(out, cs[i].ID)
			}
			return out
		}
		for _, tc := range []struct {
			name  string
			f     publisher.CaseFilter
			want  []string
			total int
		}{
			{"all, newest first", publisher.CaseFilter{}, pick(4, 3, 2, 1, 0), 5},
			{"organisation", publisher.CaseFilter{OrgID: "org-a"}, pick(4, 1, 0), 3},
			{"statuses", publisher.CaseFilter{Statuses: []publisher.CaseStatus{publisher.CaseNew, publisher.CaseInReview}}, pick(4, 0), 2},
			{"type", publisher.CaseFilter{Type: publisher.CaseDeepfake}, pick(4, 2, 0), 3},
			{"platform", publisher.CaseFilter{Platform: "x"}, pick(4, 2, 0), 3},
			{"district", publisher.CaseFilter{District: "Karnal"}, pick(4, 3, 0), 3},
			{"reported in [1h, 3h)", publisher.CaseFilter{ReportedFrom: at(time.Hour), ReportedTo: at(3 * time.Hour)}, pick(2, 1), 2},
			{"due at or before 4h", publisher.CaseFilter{DueBefore: at(4 * time.Hour)}, pick(2, 1, 0), 3},
			{"combined", publisher.CaseFilter{OrgID: "org-a", Type: publisher.CaseDeepfake, DueBefore: at(6 * time.Hour)}, pick(4, 0), 2},
			{"page", publisher.CaseFilter{Limit: 2, Offset: 1}, pick(3, 2), 5},
		} {
			got, total, err := st.ListCases(ctx, tc.f)
			Must(t, tc.name, err)
			assertIDs(t, tc.name, ids(got, func(c *publisher.Case) string { return c.ID }), tc.want)
			if total != tc.total {
				t.Errorf("%s: total = %d, want %d", tc.name, total, tc.total)
			}
		}
		got, _, err := st.ListCases(ctx, publisher.CaseFilter{OrgID: "org-b", Platform: "facebook"})
		Must(t, "ListCases", err)
		if len(got) == 1 {
			AssertEqual(t, "a listed case", got[0], cs[3])
		} else {
			t.Errorf("org-b on facebook: %d cases, want 1", len(got))
		}
	})
	t.Run("cases reported at the same instant page without overlap", func(t *testing.T) {
		st := s.open(t)
		var all []string
		for range 7 {
			c := CaseValue("org-1", 0)
			Must(t, "CreateCase", st.CreateCase(ctx, c, nil))
			all = append(all, c.ID)
		}
		whole, _, err := st.ListCases(ctx, publisher.CaseFilter{})
		Must(t, "ListCases", err)
		var paged []string
		for off := 0; off < 7; off += 3 {
			p, _, err := st.ListCases(ctx, publisher.CaseFilter{Limit: 3, Offset: off})
			Must(t, "ListCases", err)
			paged = append(paged, ids(p, func(c *publisher.Case) string { return c.ID })...)
		}
		assertIDs(t, "pages over tied cases", paged, ids(whole, func(c *publisher.Case) string { return c.ID }))
		assertSameSet(t, "all cases", paged, all)
	})
	t.Run("find by URL keys, across statuses, after updates", func(t *testing.T) {
		st := s.open(t)
		a := CaseValue("org-1", time.Hour)
		a.URLKeys, a.Status = []string{"x.com/a/status/1", "t.me/c/5"}, publisher.CaseClosed
		b := CaseValue("org-2", 0)
		b.URLKeys = []string{"t.me/c/5", "facebook.com/p/7"}
		c := CaseValue("org-1", 2*time.Hour)
		c.URLKeys = []string{"youtube.com/watch?v=abc"}
		for _, x := range []*publisher.Case{a, b, c} {
			Must(t, "CreateCase", st.CreateCase(ctx, x, nil))
		}
		got, err := st.FindCasesByURL(ctx, []string{"t.me/c/5"})
		Must(t, "FindCasesByURL", err)
		assertIDs(t, "cases with t.me/c/5, earliest first", ids(got, func(c *publisher.Case) string { return c.ID }), []string{b.ID, a.ID})
		got, err = st.FindCasesByURL(ctx, []string{"x.com/a/status/1", "youtube.com/watch?v=abc", "nowhere.example/x"})
		Must(t, "FindCasesByURL", err)
		assertIDs(t, "cases with any of three keys", ids(got, func(c *publisher.Case) string { return c.ID }), []string{a.ID, c.ID})
		got, err = st.FindCasesByURL(ctx, []string{"t.me/c/"})
		Must(t, "FindCasesByURL", err)
		if len(got) != 0 {
			t.Errorf("a key's prefix matched %d cases; keys match whole", len(got))
		}
		c.URLKeys = append(c.URLKeys, "instagram.com/p/new")
		Must(t, "UpdateCase", st.UpdateCase(ctx, c, nil))
		got, err = st.FindCasesByURL(ctx, []string{"instagram.com/p/new"})
		Must(t, "FindCasesByURL", err)
		assertIDs(t, "a key added by an update", ids(got, func(c *publisher.Case) string { return c.ID }), []string{c.ID})
		got, err = st.FindCasesByURL(ctx, nil)
		Must(t, "FindCasesByURL", err)
		if len(got) != 0 {
			t.Errorf("no keys found %d cases", len(got))
		}
	})
	t.Run("concurrent updates of one case: exactly one wins, its event alone is kept", func(t *testing.T) {
		s.needsAtomicUpdates(t)
		st := s.open(t)
		c := CaseValue("org-1", 0)
		Must(t, "CreateCase", st.CreateCase(ctx, c, []*publisher.CaseEvent{caseEvent(c, 1)}))
		const n = 8
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		copies := make([]*publisher.Case, n)
		for i := range n {
			x := *c
			x.Summary, x.Events = fmt.Sprintf("writer %d", i), 2
			copies[i] = &x
			e := caseEvent(c, 2)
			wg.Go(func() {
				<-start
				errs[i] = st.UpdateCase(ctx, &x, []*publisher.CaseEvent{e})
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("updates %d and %d both succeeded", winner, i)
			case err == nil:
				winner = i
			case !publisher.IsCode(err, publisher.ECONFLICT):
				t.Errorf("update %d: %v, want ECONFLICT", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no update succeeded")
		}
		got, err := st.GetCase(ctx, c.ID)
		Must(t, "GetCase", err)
		AssertEqual(t, "the stored case", got, copies[winner])
		evs, err := st.ListCaseEvents(ctx, c.ID)
		Must(t, "ListCaseEvents", err)
		if len(evs) != 2 {
			t.Errorf("trail has %v, want events 1 and 2 only", eventSeqs(evs))
		}
	})
}

// CaseValueWithID is CaseValue with a given id.
func CaseValueWithID(id string) *publisher.Case {
	c := CaseValue("org-1", 0)
	c.ID = id
	return c
}

func eventSeqs(evs []*publisher.CaseEvent) []int {
	var out []int
	for _, e := range evs {
		out = append(out, e.Seq)
	}
	return out
}
