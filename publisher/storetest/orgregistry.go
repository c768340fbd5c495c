package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// testRegistry covers RegistryStore: every registry aggregate (lineage
// events, handovers, officer revisions and proposed changes, account
// profiles, import batches) and the published-activity read of the
// compliance review.
func (s *suite) testRegistry(t *testing.T) {
	t.Run("OrgEvents", s.testOrgEvents)
	t.Run("Handovers", s.testHandovers)
	t.Run("OfficerRevisions", s.testOfficerRevisions)
	t.Run("OfficerChanges", s.testOfficerChanges)
	t.Run("AccountProfiles", s.testAccountProfiles)
	t.Run("ImportBatches", s.testImportBatches)
	t.Run("PublishedActivity", s.testPublishedActivity)
}

// OrgEventValue returns an unsaved merge of from into orgID with every
// field set.
func OrgEventValue(orgID string, from []string, eff time.Time) *publisher.OrgEvent {
	return &publisher.OrgEvent{
		ID: publisher.NewID(), Kind: publisher.OrgEventMerge, OrgID: orgID, FromOrgIDs: from, EffectiveAt: eff,
		OrderRef: "Cabinet decision 14/12/2022", Note: "Art & Culture merged into DIPRL",
		Before: &publisher.OrgSnapshot{Code: "DIPRL", Type: publisher.OrgDepartment, ParentID: "p1", NameEN: "Information and PR",
			NameHI: "सूचना एवं जनसम्पर्क", District: "", ActiveFrom: atp(-1000 * time.Hour)},
		After: &publisher.OrgSnapshot{Code: "DIPRL", Type: publisher.OrgDepartment, NameEN: "Information, PR, Languages and Culture",
			NameHI: "सूचना, जनसम्पर्क, भाषा एवं संस्कृति", ActiveTo: atp(1000 * time.Hour)},
		Moved: &publisher.MergeMoves{
			Accounts:      []publisher.MovedObject{{ID: "acc1", FromOrgID: "artc", Label: "x @ArtCultureHry"}},
			Users:         []publisher.MovedObject{{ID: "u1", FromOrgID: "artc", Label: "editor@example.gov.in"}},
			Children:      []publisher.MovedObject{{ID: "o9", FromOrgID: "artc", Label: "HSAC"}},
			OfficersEnded: []publisher.MovedObject{{ID: "off1", FromOrgID: "artc", Label: "Asha Rani"}},
		},
		Status: publisher.OrgEventRunning, ActorID: "admin-1", CreatedAt: eff.Add(time.Minute), UpdatedAt: eff.Add(2 * time.Minute),
	}
}

func (s *suite) testOrgEvents(t *testing.T) {
	ctx := t.Context()
	t.Run("create, update and list return every field", func(t *testing.T) {
		st := s.open(t)
		e := OrgEventValue("diprl", []string{"artc", "lang"}, T0)
		e.EffectiveAt = time.Date(2022, 12, 14, 18, 0, 0, 123_456_789, ist)
		Must(t, "CreateOrgEvent", st.CreateOrgEvent(ctx, e))
		AssertCode(t, "CreateOrgEvent with an existing id", st.CreateOrgEvent(ctx, e), publisher.ECONFLICT)
		got, err := st.ListOrgEvents(ctx, publisher.OrgEventFilter{})
		Must(t, "ListOrgEvents", err)
		if len(got) != 1 {
			t.Fatalf("ListOrgEvents = %d events, want 1", len(got))
		}
		AssertEqual(t, "the event", got[0], e)
		e.Status, e.Moved.Accounts = publisher.OrgEventDone, append(e.Moved.Accounts, publisher.MovedObject{ID: "acc2", FromOrgID: "lang"})
		e.UpdatedAt = T0.Add(time.Hour)
		Must(t, "UpdateOrgEvent", st.UpdateOrgEvent(ctx, e))
		got, err = st.ListOrgEvents(ctx, publisher.OrgEventFilter{Status: publisher.OrgEventDone})
		Must(t, "ListOrgEvents", err)
		if len(got) != 1 {
			t.Fatalf("done events = %d, want 1", len(got))
		}
		AssertEqual(t, "the updated event", got[0], e)
		missing := OrgEventValue("x", nil, T0)
		AssertCode(t, "UpdateOrgEvent of a missing event", st.UpdateOrgEvent(ctx, missing), publisher.ENOTFOUND)
	})
	t.Run("filters by any organisation involved, kind and status; ordered by effective time", func(t *testing.T) {
		st := s.open(t)
		merge := OrgEventValue("a", []string{"b", "c"}, T0.Add(2*time.Hour))
		rename := OrgEventValue("b", nil, T0)
		rename.Kind, rename.Moved, rename.Status = publisher.OrgEventRename, nil, publisher.OrgEventDone
		other := OrgEventValue("z", nil, T0.Add(time.Hour))
		other.Kind, other.Status = publisher.OrgEventUpdate, publisher.OrgEventDone
		for _, e := range []*publisher.OrgEvent{merge, rename, other} {
			Must(t, "CreateOrgEvent", st.CreateOrgEvent(ctx, e))
		}
		cases := []struct {
			name string
			f    publisher.OrgEventFilter
			want []string
		}{
			{"all, by effective time", publisher.OrgEventFilter{}, []string{rename.ID, other.ID, merge.ID}},
			{"a merged organisation finds its merge", publisher.OrgEventFilter{OrgIDs: []string{"c"}}, []string{merge.ID}},
			{"either of two organisations", publisher.OrgEventFilter{OrgIDs: []string{"b", "z"}}, []string{rename.ID, other.ID, merge.ID}},
			{"kind", publisher.OrgEventFilter{Kind: publisher.OrgEventMerge}, []string{merge.ID}},
			{"status", publisher.OrgEventFilter{Status: publisher.OrgEventRunning}, []string{merge.ID}},
			{"organisation and kind", publisher.OrgEventFilter{OrgIDs: []string{"b"}, Kind: publisher.OrgEventRename}, []string{rename.ID}},
			{"no match", publisher.OrgEventFilter{OrgIDs: []string{"nobody"}}, nil},
		}
		for _, c := range cases {
			got, err := st.ListOrgEvents(ctx, c.f)
			Must(t, "ListOrgEvents", err)
			if fmt.Sprint(eventIDs(got)) != fmt.Sprint(c.want) {
				t.Errorf("%s: got %v, want %v", c.name, eventIDs(got), c.want)
			}
		}
	})
}

func eventIDs(es []*publisher.OrgEvent) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

// HandoverValue returns an unsaved running handover of orgID with every
// field set.
func HandoverValue(orgID string, kind publisher.OfficerKind, created time.Time) *publisher.Handover {
	to := publisher.NewID()
	return &publisher.Handover{
		ID: publisher.NewID(), OrgID: orgID, Kind: kind, FromOfficerID: "off-old", ToOfficerID: to,
		Appointed: &publisher.Officer{ID: to, OrgID: orgID, Kind: kind, Name: "Kavita Rani", Designation: "Joint Director", Posting: "Panchkula",
			Rank: "JD", Email: "kavita@example.gov.in", Phone: "+91 98765 10003", AccountDetails: "@EduHry", OrderRef: "No. 12/2025",
			UserID: "u-new", StartDate: created, CreatedAt: created, UpdatedAt: created},
		FromUserID: "u-old", AccessRevoked: true, AccessNote: "", EffectiveAt: created, Note: "transfer",
		Accounts: []publisher.RotationItem{{AccountID: "a1", Platform: publisher.X, Handle: "@EduHry", RotatedAt: atp(time.Hour), RotatedBy: "u-new"},
			{AccountID: "a2", Platform: publisher.Facebook, Handle: "EduHry"}},
		Status: publisher.HandoverRunning, ActorID: "admin-1", CreatedAt: created, UpdatedAt: created.Add(time.Second),
	}
}

func (s *suite) testHandovers(t *testing.T) {
	ctx := t.Context()
	t.Run("create, get, update return every field; unknown ids are ENOTFOUND", func(t *testing.T) {
		st := s.open(t)
		h := HandoverValue("org1", publisher.OfficerNodal, T0)
		Must(t, "CreateHandover", st.CreateHandover(ctx, h))
		got, err := st.GetHandover(ctx, h.ID)
		Must(t, "GetHandover", err)
		AssertEqual(t, "GetHandover", got, h)
		h.Status, h.CompletedAt, h.AccessNote = publisher.HandoverComplete, atp(2*time.Hour), "kept"
		Must(t, "UpdateHandover", st.UpdateHandover(ctx, h))
		got, err = st.GetHandover(ctx, h.ID)
		Must(t, "GetHandover", err)
		AssertEqual(t, "GetHandover after UpdateHandover", got, h)
		_, err = st.GetHandover(ctx, "no-such")
		AssertCode(t, "GetHandover of a missing one", err, publisher.ENOTFOUND)
		AssertCode(t, "UpdateHandover of a missing one", st.UpdateHandover(ctx, HandoverValue("org1", publisher.OfficerNodal, T0)), publisher.ENOTFOUND)
		dup := *h
		AssertCode(t, "CreateHandover with an existing id", st.CreateHandover(ctx, &dup), publisher.ECONFLICT)
	})
	t.Run("one running handover per organisation and kind", func(t *testing.T) {
		st := s.open(t)
		first := HandoverValue("org1", publisher.OfficerNodal, T0)
		Must(t, "CreateHandover", st.CreateHandover(ctx, first))
		second := HandoverValue("org1", publisher.OfficerNodal, T0.Add(time.Minute))
		AssertCode(t, "a second running nodal handover", st.CreateHandover(ctx, second), publisher.ECONFLICT)
		if _, err := st.GetHandover(ctx, second.ID); !publisher.IsCode(err, publisher.ENOTFOUND) {
			t.Fatalf("the refused handover was stored (err %v)", err)
		}
		Must(t, "a running alternate handover of the same organisation", st.CreateHandover(ctx, HandoverValue("org1", publisher.OfficerAlternate, T0)))
		Must(t, "a running nodal handover of another organisation", st.CreateHandover(ctx, HandoverValue("org2", publisher.OfficerNodal, T0)))
		first.Status = publisher.HandoverRotation
		Must(t, "UpdateHandover out of running", st.UpdateHandover(ctx, first))
		Must(t, "a new running handover once the first is done", st.CreateHandover(ctx, second))
		third := HandoverValue("org1", publisher.OfficerNodal, T0.Add(2*time.Minute))
		third.Status = publisher.HandoverComplete
		Must(t, "a finished handover while one runs", st.CreateHandover(ctx, third))
	})
	t.Run("of concurrent running handovers of one organisation and kind, one is stored", func(t *testing.T) {
		st := s.open(t)
		const n = 8
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- st.CreateHandover(ctx, HandoverValue("org1", publisher.OfficerNodal, T0.Add(time.Duration(i)*time.Second)))
			}()
		}
		wg.Wait()
		close(errs)
		won := 0
		for err := range errs {
			if err == nil {
				won++
			} else {
				AssertCode(t, "a losing CreateHandover", err, publisher.ECONFLICT)
			}
		}
		hs, err := st.ListHandovers(ctx, publisher.HandoverFilter{OrgID: "org1"})
		Must(t, "ListHandovers", err)
		if won != 1 || len(hs) != 1 {
			t.Fatalf("%d CreateHandover calls succeeded and %d handovers are stored; want 1 and 1", won, len(hs))
		}
	})
	t.Run("list newest first, by organisation, status and limit", func(t *testing.T) {
		st := s.open(t)
		var made []*publisher.Handover
		for i, org := range []string{"a", "b", "a", "a"} {
			h := HandoverValue(org, publisher.OfficerNodal, T0.Add(time.Duration(i)*time.Hour))
			if i < 3 {
				h.Status = publisher.HandoverRotation
			}
			Must(t, "CreateHandover", st.CreateHandover(ctx, h))
			made = append(made, h)
		}
		cases := []struct {
			name string
			f    publisher.HandoverFilter
			want []*publisher.Handover
		}{
			{"all", publisher.HandoverFilter{}, []*publisher.Handover{made[3], made[2], made[1], made[0]}},
			{"organisation", publisher.HandoverFilter{OrgID: "a"}, []*publisher.Handover{made[3], made[2], made[0]}},
			{"statuses", publisher.HandoverFilter{Statuses: []publisher.HandoverStatus{publisher.HandoverRunning}}, []*publisher.Handover{made[3]}},
			{"limit", publisher.HandoverFilter{OrgID: "a", Limit: 2}, []*publisher.Handover{made[3], made[2]}},
		}
		for _, c := range cases {
			got, err := st.ListHandovers(ctx, c.f)
			Must(t, "ListHandovers", err)
			AssertEqual(t, c.name, got, c.want)
		}
	})
}

func (s *suite) testOfficerRevisions(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	mk := func(officer, org string, at time.Time, reason string) *publisher.OfficerRevision {
		o := publisher.Officer{ID: officer, OrgID: org, Kind: publisher.OfficerNodal, Name: "Sunita Malik", Designation: "Deputy Director",
			Posting: "Panchkula", Email: "sunita@example.gov.in", Phone: "+91 98765 10001", StartDate: T0, EndDate: atp(time.Hour), CreatedAt: T0, UpdatedAt: at}
		return &publisher.OfficerRevision{ID: publisher.NewID(), OfficerID: officer, OrgID: org, Officer: o, Reason: reason, ChangeID: "c1",
			ActorID: "admin", At: at}
	}
	r1, r2, r3 := mk("o1", "org1", T0.Add(2*time.Hour), "edited"), mk("o1", "org1", T0, "appointed"), mk("o2", "org2", T0.Add(time.Hour), "appointed")
	for _, r := range []*publisher.OfficerRevision{r1, r2, r3} {
		Must(t, "AddOfficerRevision", st.AddOfficerRevision(ctx, r))
	}
	AssertCode(t, "AddOfficerRevision with an existing id", st.AddOfficerRevision(ctx, r1), publisher.ECONFLICT)
	got, err := st.ListOfficerRevisions(ctx, publisher.OfficerRevisionFilter{OfficerID: "o1"})
	Must(t, "ListOfficerRevisions", err)
	AssertEqual(t, "an officer's revisions, oldest first", got, []*publisher.OfficerRevision{r2, r1})
	got, err = st.ListOfficerRevisions(ctx, publisher.OfficerRevisionFilter{OrgID: "org2"})
	Must(t, "ListOfficerRevisions", err)
	AssertEqual(t, "an organisation's revisions", got, []*publisher.OfficerRevision{r3})
	got, err = st.ListOfficerRevisions(ctx, publisher.OfficerRevisionFilter{})
	Must(t, "ListOfficerRevisions", err)
	AssertEqual(t, "all revisions", got, []*publisher.OfficerRevision{r2, r3, r1})
}

func (s *suite) testOfficerChanges(t *testing.T) {
	ctx := t.Context()
	mk := func(org string, at time.Time) *publisher.OfficerChange {
		before := publisher.Officer{ID: "o-" + org, OrgID: org, Kind: publisher.OfficerNodal, Name: "Amit Saini", Designation: "PRO", Posting: "Chandigarh",
			Email: "amit@example.gov.in", Phone: "0172-2740000", StartDate: T0, CreatedAt: T0, UpdatedAt: T0}
		return &publisher.OfficerChange{ID: publisher.NewID(), OfficerID: before.ID, OrgID: org, Before: before,
			Proposed: publisher.OfficerEdit{Name: "Amit Saini", Designation: "Senior PRO", Posting: "Chandigarh", Email: "amit.saini@example.gov.in",
				Phone: "0172-2740001", Rank: "SPRO", AccountDetails: "@TransportHry", OrderRef: "T/2025/7"},
			Comment: "promoted", Status: publisher.ChangePending, RequestedBy: "editor-1", RequestedAt: at}
	}
	t.Run("create and get return every field; a change is decided once", func(t *testing.T) {
		st := s.open(t)
		c := mk("org1", T0)
		Must(t, "CreateOfficerChange", st.CreateOfficerChange(ctx, c))
		AssertCode(t, "CreateOfficerChange with an existing id", st.CreateOfficerChange(ctx, c), publisher.ECONFLICT)
		got, err := st.GetOfficerChange(ctx, c.ID)
		Must(t, "GetOfficerChange", err)
		AssertEqual(t, "GetOfficerChange", got, c)
		decided := *c
		decided.Status, decided.DecidedBy, decided.DecidedAt, decided.Decision = publisher.ChangeApproved, "admin", atp(time.Hour), "ok"
		Must(t, "DecideOfficerChange", st.DecideOfficerChange(ctx, &decided))
		again := *c
		again.Status, again.DecidedBy = publisher.ChangeRejected, "admin2"
		AssertCode(t, "DecideOfficerChange of a decided change", st.DecideOfficerChange(ctx, &again), publisher.ECONFLICT)
		got, err = st.GetOfficerChange(ctx, c.ID)
		Must(t, "GetOfficerChange", err)
		AssertEqual(t, "the first decision stands", got, &decided)
		AssertCode(t, "DecideOfficerChange of a missing change", st.DecideOfficerChange(ctx, mk("org1", T0)), publisher.ENOTFOUND)
		_, err = st.GetOfficerChange(ctx, "no-such")
		AssertCode(t, "GetOfficerChange of a missing change", err, publisher.ENOTFOUND)
	})
	t.Run("list newest first by organisation, officer and status", func(t *testing.T) {
		st := s.open(t)
		a, b, c := mk("org1", T0), mk("org2", T0.Add(time.Hour)), mk("org1", T0.Add(2*time.Hour))
		for _, x := range []*publisher.OfficerChange{a, b, c} {
			Must(t, "CreateOfficerChange", st.CreateOfficerChange(ctx, x))
		}
		a.Status = publisher.ChangeRejected
		Must(t, "DecideOfficerChange", st.DecideOfficerChange(ctx, a))
		cases := []struct {
			name string
			f    publisher.OfficerChangeFilter
			want []*publisher.OfficerChange
		}{
			{"all", publisher.OfficerChangeFilter{}, []*publisher.OfficerChange{c, b, a}},
			{"organisation", publisher.OfficerChangeFilter{OrgID: "org1"}, []*publisher.OfficerChange{c, a}},
			{"officer", publisher.OfficerChangeFilter{OfficerID: "o-org2"}, []*publisher.OfficerChange{b}},
			{"pending", publisher.OfficerChangeFilter{Status: publisher.ChangePending}, []*publisher.OfficerChange{c, b}},
		}
		for _, x := range cases {
			got, err := st.ListOfficerChanges(ctx, x.f)
			Must(t, "ListOfficerChanges", err)
			AssertEqual(t, x.name, got, x.want)
		}
	})
}

func (s *suite) testAccountProfiles(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	p1 := &publisher.AccountProfile{AccountID: "acc-1", Verification: publisher.VerificationVerified, Badge: "grey", TwoFactor: publisher.TwoFactorEnabled,
		RecoveryEmail: "social.agri@hry.gov.in", Notes: "verified May 2025", UpdatedBy: "u1", UpdatedAt: T0}
	p2 := &publisher.AccountProfile{AccountID: "acc-2", Verification: publisher.VerificationUnverified, TwoFactor: publisher.TwoFactorDisabled, UpdatedAt: T0}
	Must(t, "PutAccountProfile", st.PutAccountProfile(ctx, p1))
	Must(t, "PutAccountProfile", st.PutAccountProfile(ctx, p2))
	got, err := st.ListAccountProfiles(ctx, []string{"acc-2", "acc-1", "acc-3"})
	Must(t, "ListAccountProfiles", err)
	AssertEqual(t, "profiles by account id", got, []*publisher.AccountProfile{p1, p2})
	p1.Verification, p1.Badge, p1.RecoveryEmail, p1.UpdatedAt = publisher.VerificationRequested, "", "", T0.Add(time.Hour)
	Must(t, "PutAccountProfile replacing", st.PutAccountProfile(ctx, p1))
	got, err = st.ListAccountProfiles(ctx, []string{"acc-1"})
	Must(t, "ListAccountProfiles", err)
	AssertEqual(t, "the replaced profile", got, []*publisher.AccountProfile{p1})
	got, err = st.ListAccountProfiles(ctx, nil)
	Must(t, "ListAccountProfiles", err)
	if len(got) != 2 {
		t.Fatalf("all profiles = %d, want 2", len(got))
	}
}

func (s *suite) testImportBatches(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	mk := func(at time.Time) *publisher.ImportBatch {
		org := publisher.Organisation{ID: publisher.NewID(), Code: "HSAMB", Type: publisher.OrgBoard, ParentID: "agri", NameEN: "Haryana State Agricultural Marketing Board",
			NameHI: "हरियाणा राज्य कृषि विपणन बोर्ड", District: "Panchkula", ActiveFrom: atp(-time.Hour), CreatedAt: at, UpdatedAt: at}
		off := publisher.Officer{ID: publisher.NewID(), OrgID: org.ID, Kind: publisher.OfficerNodal, Name: "Ravi", Designation: "PRO", Posting: "Panchkula",
			Email: "ravi@example.gov.in", Phone: "+91 98765 00000", StartDate: at, CreatedAt: at, UpdatedAt: at}
		return &publisher.ImportBatch{ID: publisher.NewID(), Filename: "registry.xlsx", Format: "xlsx", Status: publisher.ImportWriting,
			Plan: publisher.ImportPlan{
				Orgs:     []publisher.PlannedOrg{{Line: 2, Create: true, Org: org}},
				Officers: []publisher.PlannedOfficer{{Line: 2, Appoint: true, Officer: off, HandoverID: "h1"}},
				Accounts: []publisher.PlannedAccount{{Line: 3, Create: true, AccountID: "a1", OrgID: org.ID, Platform: publisher.X, Handle: "@hsamb",
					ProfileURL: "https://x.com/hsamb", Profile: publisher.AccountProfile{AccountID: "a1", Verification: publisher.VerificationUnknown, TwoFactor: publisher.TwoFactorEnabled}}},
			},
			Summary: publisher.ImportSummary{Rows: 3, Organisations: publisher.ImportCounts{Create: 1}, Officers: publisher.ImportCounts{Create: 1},
				Accounts: publisher.ImportCounts{Create: 1, Unchanged: 2}},
			Written: 1, Error: "", ActorID: "admin", CreatedAt: at, UpdatedAt: at}
	}
	a, b := mk(T0), mk(T0.Add(time.Hour))
	Must(t, "CreateImportBatch", st.CreateImportBatch(ctx, a))
	Must(t, "CreateImportBatch", st.CreateImportBatch(ctx, b))
	AssertCode(t, "CreateImportBatch with an existing id", st.CreateImportBatch(ctx, a), publisher.ECONFLICT)
	got, err := st.GetImportBatch(ctx, a.ID)
	Must(t, "GetImportBatch", err)
	AssertEqual(t, "GetImportBatch", got, a)
	a.Status, a.Written, a.Error, a.UpdatedAt = publisher.ImportFailed, 2, "database is locked", T0.Add(time.Minute)
	Must(t, "UpdateImportBatch", st.UpdateImportBatch(ctx, a))
	got, err = st.GetImportBatch(ctx, a.ID)
	Must(t, "GetImportBatch", err)
	AssertEqual(t, "GetImportBatch after UpdateImportBatch", got, a)
	AssertCode(t, "UpdateImportBatch of a missing batch", st.UpdateImportBatch(ctx, mk(T0)), publisher.ENOTFOUND)
	_, err = st.GetImportBatch(ctx, "no-such")
	AssertCode(t, "GetImportBatch of a missing batch", err, publisher.ENOTFOUND)
	list, err := st.ListImportBatches(ctx, 0)
	Must(t, "ListImportBatches", err)
	AssertEqual(t, "batches newest first", list, []*publisher.ImportBatch{b, a})
	list, err = st.ListImportBatches(ctx, 1)
	Must(t, "ListImportBatches", err)
	AssertEqual(t, "the newest batch", list, []*publisher.ImportBatch{b})
}

func (s *suite) testPublishedActivity(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	orgA, orgB := NewOrg(t, st), NewOrg(t, st)
	author := NewUser(t, st, orgA.ID)
	xa, fa := NewAccount(t, st, orgA.ID, publisher.X), NewAccount(t, st, orgA.ID, publisher.Facebook)
	xb := NewAccount(t, st, orgB.ID, publisher.X)
	since := T0.Add(-15 * 24 * time.Hour)
	publish := func(d *publisher.Delivery, at time.Time) {
		t.Helper()
		_, err := st.ChangeDelivery(ctx, d.ID, publisher.DeliveryChange{From: []publisher.DeliveryStatus{publisher.DeliveryQueued}, To: publisher.DeliveryPublished,
			ExternalID: "ext-" + d.ID, ExternalURL: "https://example.net/" + d.ID, PublishedAt: &at, At: at})
		Must(t, "ChangeDelivery to published", err)
	}
	// Post 1 of A: published on both accounts inside the window.
	p1 := NewPost(t, st, orgA.ID, author.ID)
	d1 := NewDeliveries(t, st, p1, since.Add(-time.Hour), xa, fa)
	publish(d1[0], since) // exactly at the start: counts
	publish(d1[1], T0.Add(-time.Hour))
	// Post 2 of A: published before the window.
	p2 := NewPost(t, st, orgA.ID, author.ID)
	publish(NewDeliveries(t, st, p2, since.Add(-48*time.Hour), xa)[0], since.Add(-time.Millisecond))
	// Post 3 of A: not published (failed).
	p3 := NewPost(t, st, orgA.ID, author.ID)
	NewDeliveries(t, st, p3, T0, xa)
	// Post 4 of B: published inside the window.
	p4 := NewPost(t, st, orgB.ID, author.ID)
	publish(NewDeliveries(t, st, p4, T0, xb)[0], T0)
	got, err := st.PublishedActivity(ctx, since)
	Must(t, "PublishedActivity", err)
	want := []*publisher.OrgActivity{
		{OrgID: orgA.ID, Posts: 1, Deliveries: 2, LastPublishedAt: T0.Add(-time.Hour)},
		{OrgID: orgB.ID, Posts: 1, Deliveries: 1, LastPublishedAt: T0},
	}
	if orgB.ID < orgA.ID {
		want[0], want[1] = want[1], want[0]
	}
	AssertEqual(t, "activity by organisation", got, want)
	got, err = st.PublishedActivity(ctx, T0.Add(time.Hour))
	Must(t, "PublishedActivity", err)
	if len(got) != 0 {
		t.Fatalf("activity after the last publication = %+v, want none", got)
	}
}
