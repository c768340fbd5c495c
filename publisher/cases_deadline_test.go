package publisher_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// Deadlines and escalation, with the clock set in IST.

func (e *caseEnv) check(t *testing.T, svc *publisher.Service) publisher.CaseCheckReport {
	t.Helper()
	rep, err := svc.CheckCases(context.Background())
	if err != nil {
		t.Fatalf("CheckCases at %s: %v", publisher.FormatIST(e.clock.Now()), err)
	}
	return rep
}

func (e *caseEnv) secondWorker(t *testing.T, cfg publisher.Config) *publisher.Service {
	t.Helper()
	svc, err := publisher.New(cfg, publisher.Deps{Store: e.store, Enqueuer: e.queue, Keyring: e.keyring, Hasher: passhashCheap(),
		Connectors: []publisher.Connector{e.fb, e.x, e.ig, e.koo}, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestCaseDeadlinesAndEscalationAcrossMidnight logs cases late in the IST
// evening, whose deadlines fall after midnight, and runs the check
// minute by minute around each deadline: every level escalates exactly
// once, at its time, to the right people, with a visible flag and a trail
// entry.
func TestCaseDeadlinesAndEscalationAcrossMidnight(t *testing.T) {
	e := newCaseEnv(t)
	// Saturday 28 November 2026, 21:30 IST (16:00 UTC): a print item.
	e.clock.set(time.Date(2026, 11, 28, 21, 30, 0, 0, ist))
	print := e.intake("https://epaper.example.in/hisar/2026-11-28/3", func(in *publisher.CaseInput) {
		in.Media, in.Platform = publisher.MediaPrint, "newspaper"
	})
	// 23:15 IST: a digital item (assigned) and a TV item (not triaged yet).
	e.clock.set(time.Date(2026, 11, 28, 23, 15, 0, 0, ist))
	digital := e.assigned("https://x.com/fakehry/status/100")
	tv := e.intake("https://tv.example.in/clip/5", func(in *publisher.CaseInput) { in.Media, in.Platform = publisher.MediaTV, "tv" })

	for _, tc := range []struct {
		name          string
		c             *publisher.Case
		deadline, dms string
	}{
		{"print", print, "29 Nov 2026, 09:30 IST", "29 Nov 2026, 21:30 IST"},
		{"digital", digital, "29 Nov 2026, 01:15 IST", "29 Nov 2026, 03:15 IST"},
		{"tv", tv, "29 Nov 2026, 01:15 IST", "29 Nov 2026, 03:15 IST"},
	} {
		if got := publisher.FormatIST(tc.c.DeadlineAt); got != tc.deadline {
			t.Errorf("%s deadline = %s, want %s", tc.name, got, tc.deadline)
		}
		if got := publisher.FormatIST(tc.c.EscalateDMSAt); got != tc.dms {
			t.Errorf("%s escalation to the DMS at %s, want %s", tc.name, got, tc.dms)
		}
	}
	if d := digital.DeadlineAt.UTC(); d != time.Date(2026, 11, 28, 19, 45, 0, 0, time.UTC) {
		t.Errorf("digital deadline in UTC = %v, want 19:45 UTC on the 28th (the IST date is the 29th)", d)
	}

	type want struct{ hod, dms int }
	step := func(at time.Time, w want) {
		t.Helper()
		e.clock.set(at)
		rep := e.check(t, e.svc)
		if rep.EscalatedHoD != w.hod || rep.EscalatedDMS != w.dms {
			t.Errorf("check at %s: escalated %d to heads and %d to the DMS; want %d and %d", publisher.FormatIST(at), rep.EscalatedHoD, rep.EscalatedDMS, w.hod, w.dms)
		}
	}
	day := func(d, h, m, s int) time.Time { return time.Date(2026, 11, d, h, m, s, 0, ist) }
	step(day(28, 23, 59, 0), want{})
	step(day(29, 0, 0, 0), want{}) // midnight
	// The clock of a running case, a minute before its deadline.
	if k := publisher.ClockOf(e.getCase(digital.ID), day(29, 1, 14, 0)); !k.Running || k.Overdue || k.LeftSeconds != 60 {
		t.Errorf("clock a minute before the deadline = %+v", k)
	}
	step(day(29, 1, 14, 59), want{})
	step(day(29, 1, 15, 0), want{hod: 2}) // digital and TV, at their deadline
	step(day(29, 1, 15, 30), want{})      // once
	step(day(29, 2, 0, 0), want{})
	if n := e.notes(e.hod, "case.escalated"); n != 2 {
		t.Errorf("the head of department got %d escalations, want 2", n)
	}
	if n := e.notes(e.editor, "case.overdue"); n != 2 {
		t.Errorf("the nodal officer got %d overdue reminders, want 2", n)
	}
	if n := e.notes(e.admin, "case.escalated"); n != 0 {
		t.Errorf("the DMS got %d escalations before the second level, want 0", n)
	}
	d := e.getCase(digital.ID)
	if d.EscalatedHoDAt == nil || !d.EscalatedHoDAt.Equal(day(29, 1, 15, 0)) || d.EscalatedDMSAt != nil || d.EscalationLevel() != 1 {
		t.Errorf("digital case flags: HoD %v, DMS %v, level %d", d.EscalatedHoDAt, d.EscalatedDMSAt, d.EscalationLevel())
	}
	k := publisher.ClockOf(d, day(29, 2, 0, 0))
	if !k.Overdue || k.LeftSeconds != -45*60 || k.EscalationLevel != 1 {
		t.Errorf("clock 45 minutes after the deadline = %+v", k)
	}
	evs := e.trail(d.ID)
	last := evs[len(evs)-1]
	if last.Kind != "escalate" || last.Details["level"] != "1" || !strings.Contains(last.Note, "Dr. Raja Sekhar Vundru") || !strings.Contains(last.Note, "29 Nov 2026, 01:15 IST") {
		t.Errorf("escalation event = %+v", last)
	}

	step(day(29, 3, 14, 0), want{})
	step(day(29, 3, 15, 0), want{dms: 2})
	step(day(29, 3, 16, 0), want{})
	if n := e.notes(e.admin, "case.escalated"); n != 2 {
		t.Errorf("the DMS got %d escalations, want 2", n)
	}
	if n := e.notes(e.hod, "case.escalated"); n != 2 {
		t.Errorf("the head of department got %d escalations after the second level, want still 2", n)
	}
	step(day(29, 9, 29, 59), want{})
	step(day(29, 9, 30, 0), want{hod: 1}) // the print item
	step(day(29, 21, 30, 0), want{dms: 1})
	step(day(30, 9, 0, 0), want{})
	for _, c := range []*publisher.Case{print, digital, tv} {
		got := e.getCase(c.ID)
		if got.EscalationLevel() != 2 {
			t.Errorf("%s: level %d, want 2", c.Ref, got.EscalationLevel())
		}
		n := 0
		for _, ev := range e.trail(c.ID) {
			if ev.Kind == "escalate" {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%s has %d escalation events, want 2 (one per level)", c.Ref, n)
		}
		if err := publisher.VerifyCaseTrail(got, e.trail(c.ID)); err != nil {
			t.Errorf("%s: %v", c.Ref, err)
		}
	}
}

// TestCaseInTimeIsNotEscalated: a clarification live before the deadline
// stops the clock, even when the check has not seen the post yet; one live
// after it is counted late.
func TestCaseInTimeIsNotEscalated(t *testing.T) {
	e := newCaseEnv(t)
	start := e.clock.Now()
	inTime, p := e.drafted(e.assigned("https://x.com/a/status/200"))
	e.publish(p, 20*time.Minute) // live 60 min after intake
	late, p2 := e.drafted(e.assigned("https://x.com/a/status/201"))
	e.clock.set(start.Add(3*time.Hour + time.Minute)) // the late case was logged an hour in: due at 3 h
	if rep := e.check(t, e.svc); rep.EscalatedHoD != 1 || rep.Synced != 1 {
		t.Fatalf("check: %+v; want the late case escalated and the other synced", rep)
	}
	got := e.getCase(inTime.ID)
	if got.Status != publisher.CasePublished || got.EscalatedHoDAt != nil {
		t.Errorf("in-time case: %s, escalated %v", got.Status, got.EscalatedHoDAt)
	}
	if k := publisher.ClockOf(got, e.clock.Now()); k.Met == nil || !*k.Met || k.Running {
		t.Errorf("in-time clock: %+v", k)
	}
	e.publish(p2, 5*time.Minute)
	got = e.getCase(late.ID)
	if k := publisher.ClockOf(got, e.clock.Now()); got.Status != publisher.CasePublished || k.Met == nil || *k.Met || got.EscalationLevel() != 1 {
		t.Errorf("late case: %s, clock %+v, level %d", got.Status, k, got.EscalationLevel())
	}
	// Published: the second level never comes.
	e.clock.Add(10 * time.Hour)
	if rep := e.check(t, e.svc); rep.EscalatedDMS != 0 {
		t.Errorf("a published case escalated to the DMS: %+v", rep)
	}
	// Triaged out: no deadline at all.
	out := e.intake("https://x.com/a/status/202")
	if _, err := e.svc.TriageCase(as(e.admin), out.ID, publisher.TriageInput{InScope: false, Reason: "Not about the state."}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(24 * time.Hour)
	if rep := e.check(t, e.svc); rep.EscalatedHoD+rep.EscalatedDMS != 0 {
		t.Errorf("a case triaged out escalated: %+v", rep)
	}
}

// TestCaseEscalationTargets: without a head of its own an organisation's
// case goes to its parent's head, and without any head to the DMS; a check
// that comes late records both levels at once, each once.
func TestCaseEscalationTargets(t *testing.T) {
	e := newCaseEnv(t)
	sys := publisher.SystemContext(context.Background())
	board, err := e.svc.CreateOrg(sys, publisher.OrgInput{Code: "HSAMB", Type: publisher.OrgBoard, ParentID: e.org.ID, NameEN: "Haryana State Agricultural Marketing Board", NameHI: "हरियाणा राज्य कृषि विपणन बोर्ड"})
	if err != nil {
		t.Fatal(err)
	}
	boardCase, _, err := e.svc.CreateCase(as(e.admin), publisher.CaseInput{OrgID: board.ID, Type: publisher.CaseMisleadingClaim, Platform: "facebook", Media: publisher.MediaDigital,
		Language: "hi", Summary: "Mandi closure rumour", URLs: []string{"https://facebook.com/p/1"}})
	if err != nil {
		t.Fatal(err)
	}
	healthCase, _, err := e.svc.CreateCase(as(e.otherEditor), publisher.CaseInput{Type: publisher.CaseDeepfake, Platform: "youtube", Media: publisher.MediaDigital,
		Language: "hi", Summary: "A doctored video of the Health Minister", URLs: []string{"https://youtube.com/watch?v=zz"}})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(5 * time.Hour) // past both levels
	rep := e.check(t, e.svc)
	if rep.EscalatedHoD != 2 || rep.EscalatedDMS != 2 {
		t.Fatalf("late check: %+v, want both cases at both levels", rep)
	}
	if rep := e.check(t, e.svc); rep.EscalatedHoD+rep.EscalatedDMS != 0 {
		t.Errorf("second check escalated again: %+v", rep)
	}
	if n := e.notes(e.hod, "case.escalated"); n != 1 {
		t.Errorf("the parent department's head got %d escalations for the board's case, want 1", n)
	}
	// The DMS: level 2 of both cases, and level 1 of the Health case (no head recorded).
	if n := e.notes(e.admin, "case.escalated"); n != 3 {
		t.Errorf("the DMS got %d escalations, want 3", n)
	}
	evs := e.trail(healthCase.ID)
	var notes []string
	for _, ev := range evs {
		if ev.Kind == "escalate" {
			notes = append(notes, ev.Note)
		}
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "no head of department") {
		t.Errorf("health case escalation events: %q", notes)
	}
	if v, err := e.svc.GetCaseView(as(e.admin), boardCase.ID); err != nil || len(v.Heads) != 1 || v.Heads[0].Name != "Dr. Raja Sekhar Vundru" {
		t.Errorf("the board case's heads: %+v, %v", v, err)
	}
}

// TestCaseEscalationByConcurrentWorkers: two workers checking at the same
// moment escalate every case once per level.
func TestCaseEscalationByConcurrentWorkers(t *testing.T) {
	e := newCaseEnv(t)
	const n = 6
	for i := range n {
		e.assigned("https://x.com/a/status/" + string(rune('a'+i)))
	}
	other := e.secondWorker(t, publisher.Config{})
	e.clock.Add(2 * time.Hour)
	var wg sync.WaitGroup
	reps := make([]publisher.CaseCheckReport, 4)
	errs := make([]error, 4)
	for i := range reps {
		svc := e.svc
		if i%2 == 1 {
			svc = other
		}
		wg.Go(func() { reps[i], errs[i] = svc.CheckCases(context.Background()) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for _, r := range reps {
		total += r.EscalatedHoD
	}
	if total != n {
		t.Errorf("four concurrent checks escalated %d times, want %d (once per case)", total, n)
	}
	if got := e.notes(e.hod, "case.escalated"); got != n {
		t.Errorf("the head got %d notifications, want %d", got, n)
	}
}

// TestCaseDeadlinesFromConfiguration: the windows come from the
// configuration.
func TestCaseDeadlinesFromConfiguration(t *testing.T) {
	e := newCaseEnv(t)
	svc := e.secondWorker(t, publisher.Config{Cases: publisher.CaseConfig{DeadlineDigital: 30 * time.Minute, DeadlinePrint: 6 * time.Hour, EscalateDMSAfter: time.Hour}})
	now := e.clock.Now()
	for _, tc := range []struct {
		media    publisher.CaseMedia
		deadline time.Duration
	}{{publisher.MediaDigital, 30 * time.Minute}, {publisher.MediaTV, 30 * time.Minute}, {publisher.MediaPrint, 6 * time.Hour}} {
		c, _, err := svc.CreateCase(as(e.editor), publisher.CaseInput{Type: publisher.CaseOtherType, Platform: "other", Media: tc.media, Language: "en",
			Summary: "s", URLs: []string{"https://example.in/" + string(tc.media)}})
		if err != nil {
			t.Fatal(err)
		}
		if !c.DeadlineAt.Equal(now.Add(tc.deadline)) || !c.EscalateDMSAt.Equal(now.Add(tc.deadline+time.Hour)) {
			t.Errorf("%s: deadline %v, DMS %v; want +%v and +%v", tc.media, c.DeadlineAt.Sub(now), c.EscalateDMSAt.Sub(now), tc.deadline, tc.deadline+time.Hour)
		}
	}
	if w := (publisher.CaseConfig{}).Window(publisher.MediaPrint); w != 12*time.Hour {
		t.Errorf("default print window = %v", w)
	}
	if w := (publisher.CaseConfig{}).Window(publisher.MediaTV); w != 2*time.Hour {
		t.Errorf("default TV window = %v", w)
	}
}

// TestCaseAgeing: the ageing view puts running clocks first, most overdue
// first, with their buckets.
func TestCaseAgeing(t *testing.T) {
	e := newCaseEnv(t)
	start := e.clock.Now()
	old := e.assigned("https://x.com/a/status/300") // due start+2h
	e.clock.Add(time.Hour)
	newer := e.intake("https://x.com/a/status/301") // due start+3h
	e.clock.Add(time.Hour)
	print := e.intake("https://epaper.example.in/p/1", func(in *publisher.CaseInput) { in.Media = publisher.MediaPrint }) // due start+14h
	out := e.intake("https://x.com/a/status/302")
	if _, err := e.svc.TriageCase(as(e.admin), out.ID, publisher.TriageInput{InScope: false, Reason: "Satire"}); err != nil {
		t.Fatal(err)
	}
	e.clock.set(start.Add(2*time.Hour + 30*time.Minute))
	ages, err := e.svc.CaseAgeing(as(e.admin), "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range ages {
		got = append(got, a.Case.ID)
	}
	if want := []string{old.ID, newer.ID, print.ID, out.ID}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("ageing order = %v, want %v", got, want)
	}
	if k := ages[0].Clock; !k.Overdue || k.LeftSeconds != -30*60 || k.Bucket != "2h_12h" {
		t.Errorf("oldest: %+v", k)
	}
	if k := ages[1].Clock; k.Overdue || k.LeftSeconds != 30*60 || k.Bucket != "under_2h" {
		t.Errorf("newer: %+v", k)
	}
	if k := ages[3].Clock; k.Running || k.Applies {
		t.Errorf("triaged out: %+v", k)
	}
}

// TestCaseSetOrgHead: recording a new head of department ends the old
// head's term, and escalations go to the new head only.
func TestCaseSetOrgHead(t *testing.T) {
	e := newCaseEnv(t)
	sys := publisher.SystemContext(context.Background())
	newHead := e.mustUser(sys, "acs2.agri@example.gov.in", publisher.RoleViewer, e.org.ID)
	_, err := e.svc.SetOrgHead(as(e.editor), e.org.ID, publisher.HeadInput{Name: "X"})
	wantCode(t, err, publisher.EFORBIDDEN)
	_, err = e.svc.SetOrgHead(as(e.admin), e.org.ID, publisher.HeadInput{Name: " ", Email: "not-mail", UserID: "nobody"})
	wantField(t, err, "name", "required")
	wantField(t, err, "email", "invalid_email")
	wantField(t, err, "userId", "unknown_user")
	e.clock.Add(time.Minute)
	h, err := e.svc.SetOrgHead(as(e.admin), e.org.ID, publisher.HeadInput{Name: "Anurag Rastogi", Designation: "ACS", Email: "ACS2.Agri@example.gov.in", UserID: newHead.ID})
	if err != nil || h.Kind != publisher.OfficerHead || h.Email != "acs2.agri@example.gov.in" || !h.StartDate.Equal(e.clock.Now()) {
		t.Fatalf("SetOrgHead = %+v, %v", h, err)
	}
	os, err := e.store.ListOfficers(context.Background(), publisher.OfficerFilter{OrgID: e.org.ID, CurrentAt: e.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var heads []string
	for _, o := range os {
		if o.Kind == publisher.OfficerHead {
			heads = append(heads, o.Name)
		}
	}
	if strings.Join(heads, ",") != "Anurag Rastogi" {
		t.Errorf("current heads = %v, want the new one only", heads)
	}
	e.assigned("https://x.com/a/status/900")
	e.clock.Add(2 * time.Hour)
	if rep := e.check(t, e.svc); rep.EscalatedHoD != 1 {
		t.Fatalf("check: %+v", rep)
	}
	if e.notes(newHead, "case.escalated") != 1 || e.notes(e.hod, "case.escalated") != 0 {
		t.Errorf("escalations: new head %d, old head %d; want 1 and 0", e.notes(newHead, "case.escalated"), e.notes(e.hod, "case.escalated"))
	}
	// The head is not one of the organisation's officers for other notices.
	if _, err := e.svc.Notify(sys, publisher.Recipients{OrgOfficers: e.org.ID}, e.org.ID, "account.expiring", "s", "b", ""); err != nil {
		t.Fatal(err)
	}
	if e.notes(newHead, "account.expiring") != 0 || e.notes(e.editor, "account.expiring") != 1 {
		t.Error("an organisation's notice reached its head of department, or missed its nodal officer")
	}
}
