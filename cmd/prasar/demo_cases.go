package main

import (
	"context"
	"fmt"
	"time"

	"github.com/prasar/prasar/publisher"
)

// The demo's fake-news desk: heads of department for two organisations
// (escalations go to them) and a handful of cases in different states, so
// that the ageing view, a case page, the escalation flag and the reports
// have something to show.

// demoHeads are the demo's heads of department: the registry's officers of
// kind "head". The Agriculture head has a (read-only) sign-in and sees
// escalations in the app; the Health head has none and is e-mailed when
// SMTP is configured.
var demoHeads = []struct {
	OrgCode, Name, Designation, Email, UserEmail string
}{
	{"AGRI", "Dr. Raja Sekhar Vundru", "Additional Chief Secretary, Agriculture and Farmers Welfare", "acs.agri@example.gov.in", "acs.agri@example.gov.in"},
	{"HEALTH", "Sudhir Rajpal", "Additional Chief Secretary, Health", "acs.health@example.gov.in", ""},
}

// demoHeadUsers are the heads' sign-ins, added to demoUsers.
func demoHeadUsers() []demoUser {
	var us []demoUser
	for _, h := range demoHeads {
		if h.UserEmail != "" {
			us = append(us, demoUser{h.UserEmail, h.Name + " (head of department)", publisher.RoleViewer, h.OrgCode, "en"})
		}
	}
	return us
}

// seedDemoCases adds the heads of department and the demo's cases.
func seedDemoCases(ctx context.Context, store publisher.Store, svc *publisher.Service, ids map[string]string, accounts map[string][]string) error {
	now := time.Now().UTC()
	for _, h := range demoHeads {
		o := &publisher.Officer{ID: publisher.NewID(), OrgID: ids[h.OrgCode], Kind: publisher.OfficerHead, Name: h.Name, Designation: h.Designation,
			Posting: "Haryana Civil Secretariat, Chandigarh", Rank: "Additional Chief Secretary", Email: h.Email,
			OrderRef: "CS/2025/" + h.OrgCode, StartDate: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), CreatedAt: now, UpdatedAt: now}
		if h.UserEmail != "" {
			u, err := store.GetUserByEmail(ctx, h.UserEmail)
			if err != nil {
				return fmt.Errorf("demo head of %s: %w", h.OrgCode, err)
			}
			o.UserID = u.ID
		}
		if err := store.CreateOfficer(ctx, o); err != nil {
			return fmt.Errorf("demo head of %s: %w", h.OrgCode, err)
		}
	}
	as := func(email string) (context.Context, error) {
		u, err := store.GetUserByEmail(ctx, email)
		if err != nil {
			return nil, fmt.Errorf("demo case user %s: %w", email, err)
		}
		return publisher.NewContextWithUser(ctx, u), nil
	}
	admin, err := as("admin@example.gov.in")
	if err != nil {
		return err
	}
	approver, err := as("approver@example.gov.in")
	if err != nil {
		return err
	}
	agri, err := as("editor.agri@example.gov.in")
	if err != nil {
		return err
	}
	transport, err := as("editor.transport@example.gov.in")
	if err != nil {
		return err
	}
	wrap := func(what string, err error) error { return fmt.Errorf("demo case %s: %w", what, err) }

	// 1. Agriculture: a forged order on WhatsApp; triaged, facts and source
	// recorded, the clarification drafted and waiting for review.
	c1, _, err := svc.CreateCase(admin, publisher.CaseInput{OrgID: ids["AGRI"], Type: publisher.CaseForgedLetter, Platform: "whatsapp", Media: publisher.MediaDigital,
		Language: "hi", Summary: "जाली आदेश वायरल: 'धान की सरकारी खरीद 1 नवंबर से बंद' / A forged order says government paddy procurement stops on 1 November",
		URLs:      []string{"https://chat.whatsapp.com/forwarded/kisan-samachar-hry-1101"},
		WhereSeen: "Farmers' WhatsApp groups in Karnal and Kaithal", District: "Karnal"})
	if err != nil {
		return wrap("1", err)
	}
	if _, err = svc.TriageCase(approver, c1.ID, publisher.TriageInput{InScope: true, Actionable: true}); err != nil {
		return wrap("1", err)
	}
	if _, err = svc.SetCaseFacts(agri, c1.ID, publisher.CaseFactsInput{Facts: "Paddy procurement at MSP continues in all mandis until 15 November as notified.",
		Sources: []publisher.CaseSource{{Kind: "order", Title: "Procurement schedule, Kharif 2026 (Food, Civil Supplies and Consumer Affairs)", URL: "https://haryanafood.gov.in"}}}); err != nil {
		return wrap("1", err)
	}
	_, p1, err := svc.DraftClarification(agri, c1.ID, publisher.ClarificationInput{Post: publisher.PostInput{
		Title: "तथ्य जाँच / Fact check: paddy procurement continues",
		Content: publisher.Content{BodyHI: "#फर्जी_खबर: धान खरीद 1 नवंबर से बंद होने का आदेश जाली है। MSP पर खरीद 15 नवंबर तक जारी है।",
			BodyEN: "#FakeNews: the order stopping paddy procurement on 1 Nov is forged. MSP procurement continues until 15 Nov.",
			Link:   "https://haryanafood.gov.in"},
		Targets: textTargets(ctx, svc, store, accounts["AGRI"])}})
	if err != nil {
		return wrap("1", err)
	}
	if _, err = svc.SubmitPost(agri, p1.ID, p1.Revision); err != nil {
		return wrap("1", err)
	}

	// 2. Health: a deepfake video, just logged, waiting for triage.
	if _, _, err = svc.CreateCase(admin, publisher.CaseInput{OrgID: ids["HEALTH"], Type: publisher.CaseDeepfake, Platform: "youtube", Media: publisher.MediaDigital,
		Language: "hi", Summary: "डीपफेक वीडियो: स्वास्थ्य मंत्री द्वारा आयुष्मान कार्ड बंद करने की 'घोषणा' / A deepfake video of the Health Minister 'announcing' the end of Ayushman cards",
		URLs: []string{"https://www.youtube.com/watch?v=demoDeepfake01"}, WhereSeen: "Shared on Facebook and YouTube", District: "Rohtak"}); err != nil {
		return wrap("2", err)
	}

	// 3. School Education: a misleading newspaper report, assigned.
	c3, _, err := svc.CreateCase(admin, publisher.CaseInput{OrgID: ids["SEDU"], Type: publisher.CaseMisleadingClaim, Platform: "newspaper", Media: publisher.MediaPrint,
		Language: "hi", Summary: "समाचार: 'बोर्ड परीक्षाएँ एक महीना आगे खिसकीं' / A report that board examinations were postponed by a month",
		URLs: []string{"https://epaper.example.in/hisar/2026/board-exams"}, WhereSeen: "Hisar edition, page 5", District: "Hisar"})
	if err != nil {
		return wrap("3", err)
	}
	if _, err = svc.TriageCase(approver, c3.ID, publisher.TriageInput{InScope: true, Actionable: true}); err != nil {
		return wrap("3", err)
	}

	// 4. Transport: a fake recruitment page, logged three hours ago and still
	// without a clarification: the deadline check escalates it to the
	// head of department (and the Digital Media Section) within a minute of
	// start-up.
	c4, _, err := svc.CreateCase(transport, publisher.CaseInput{Type: publisher.CaseImpersonation, Platform: "facebook", Media: publisher.MediaDigital, Language: "hi",
		Summary: "नकली 'हरियाणा रोडवेज़ भर्ती' पेज पंजीकरण शुल्क माँग रहा है / A fake 'Haryana Roadways recruitment' page asks for a registration fee",
		URLs:    []string{"https://www.facebook.com/HaryanaRoadwaysBhartiOfficial"}, WhereSeen: "Facebook ads", District: "Ambala"})
	if err != nil {
		return wrap("4", err)
	}
	if _, err = svc.TriageCase(admin, c4.ID, publisher.TriageInput{InScope: true, Actionable: true}); err != nil {
		return wrap("4", err)
	}
	if _, err = svc.AddCaseAction(transport, c4.ID, publisher.CaseActionInput{Kind: publisher.ActionPlatformReport,
		Note: "Reported the impersonating page to Meta's grievance officer (24-hour removal under IT Rules 3(2)).", Reference: "Meta GRV-2026-114"}); err != nil {
		return wrap("4", err)
	}
	if err := backdateCase(ctx, store, c4.ID, 3*time.Hour); err != nil {
		return wrap("4", err)
	}

	// 5. Tourism: out of scope (a central scheme), referred to PIB, closed.
	c5, _, err := svc.CreateCase(admin, publisher.CaseInput{OrgID: ids["HTC"], Type: publisher.CaseMisleadingClaim, Platform: "x", Media: publisher.MediaDigital, Language: "en",
		Summary: "A post claims the central government has made tourist visas free for all countries", URLs: []string{"https://x.com/viral_news_in/status/1999000000000000001"}})
	if err != nil {
		return wrap("5", err)
	}
	if _, err = svc.TriageCase(admin, c5.ID, publisher.TriageInput{InScope: false, Reason: "About a central government policy, not the state's."}); err != nil {
		return wrap("5", err)
	}
	if _, err = svc.AddCaseAction(admin, c5.ID, publisher.CaseActionInput{Kind: publisher.ActionPIBReferral, Note: "Forwarded to PIB Fact Check (factcheck@pib.gov.in)."}); err != nil {
		return wrap("5", err)
	}
	if _, err = svc.CloseCase(admin, c5.ID, "Out of the state's scope; PIB Fact Check has the item."); err != nil {
		return wrap("5", err)
	}
	return nil
}

// backdateCase moves a case's intake, deadlines and milestones back by d,
// as if it had been logged d ago (the demo only; the trail keeps its real
// times).
func backdateCase(ctx context.Context, store publisher.Store, id string, d time.Duration) error {
	c, err := store.GetCase(ctx, id)
	if err != nil {
		return err
	}
	back := func(t *time.Time) {
		if t != nil {
			*t = t.Add(-d)
		}
	}
	back(&c.ReportedAt)
	back(&c.DeadlineAt)
	back(&c.EscalateDMSAt)
	back(&c.CreatedAt)
	back(c.AssignedAt)
	if c.Triage != nil {
		back(&c.Triage.At)
	}
	if c.Assignment != nil {
		back(&c.Assignment.At)
	}
	return store.UpdateCase(ctx, c, nil)
}
