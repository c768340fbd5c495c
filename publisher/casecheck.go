package publisher

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// The deadline check and the clock of a case.

// CaseCheckReport says what one deadline check did.
type CaseCheckReport struct {
	Synced       int `json:"synced"`       // cases moved along with their clarification post
	EscalatedHoD int `json:"escalatedHod"` // first-level escalations (head of department)
	EscalatedDMS int `json:"escalatedDms"` // second-level escalations (Digital Media Section)
}

// caseCheckBatch bounds how many cases one check looks at per query.
const caseCheckBatch = 1000

// CheckCases is the periodic deadline check (the queue's cases_check task,
// every minute). It moves cases along with their clarification posts, then
// escalates every case whose deadline passed without a live clarification:
// first to the organisation's head of department, and, once
// EscalateDMSAt passes too, to the Digital Media Section. Each level is
// recorded once on the case (a visible flag and a trail event) by a
// conditional write, so concurrent checks escalate a case once; the
// notifications follow the write that won.
func (s *Service) CheckCases(ctx context.Context) (CaseCheckReport, error) {
	ctx = SystemContext(ctx)
	var rep CaseCheckReport
	cs, _, err := s.store.ListCases(ctx, CaseFilter{Statuses: clarificationStatuses, Limit: caseCheckBatch})
	if err != nil {
		return rep, err
	}
	for _, c := range cs {
		before := c.Version
		c, err := s.syncCase(ctx, c)
		if err != nil {
			return rep, err
		}
		if c.Version != before {
			rep.Synced++
		}
	}
	now := s.now().UTC()
	cs, _, err = s.store.ListCases(ctx, CaseFilter{Statuses: clockStatuses, DueBefore: now, Limit: caseCheckBatch})
	if err != nil {
		return rep, err
	}
	for _, c := range cs {
		hod, dms, err := s.escalateCase(ctx, c.ID)
		if err != nil {
			return rep, err
		}
		if hod {
			rep.EscalatedHoD++
		}
		if dms {
			rep.EscalatedDMS++
		}
	}
	if rep.Synced+rep.EscalatedHoD+rep.EscalatedDMS > 0 {
		s.log.InfoContext(ctx, "case check", "synced", rep.Synced, "escalated_hod", rep.EscalatedHoD, "escalated_dms", rep.EscalatedDMS)
	}
	return rep, nil
}

// escalateCase records the escalation levels that are due on a case and sends
// their notifications. It reports which levels this call recorded.
func (s *Service) escalateCase(ctx context.Context, id string) (hod, dms bool, err error) {
	var heads []*Officer
	c, err := s.changeCaseAs(ctx, SystemUser, id, false, func(c *Case, now time.Time) ([]*CaseEvent, error) {
		hod, dms = false, false
		if !c.Status.ClockRunning() || !c.DeadlineApplies() {
			return nil, nil
		}
		var evs []*CaseEvent
		if c.EscalatedHoDAt == nil && !now.Before(c.DeadlineAt) {
			hs, err := s.caseHeads(ctx, c.OrgID, now)
			if err != nil {
				return nil, err
			}
			heads = hs
			to := "the head of department"
			var names []string
			for _, h := range hs {
				names = append(names, h.Name)
			}
			if len(hs) == 0 {
				to = "the Digital Media Section (no head of department is recorded for the organisation)"
			} else {
				to += " (" + strings.Join(names, ", ") + ")"
			}
			c.EscalatedHoDAt, hod = &now, true
			evs = append(evs, &CaseEvent{Kind: "escalate", Note: fmt.Sprintf("Deadline %s missed (case %s): escalated to %s.", FormatIST(c.DeadlineAt), c.Status, to),
				Details: map[string]string{"level": "1", "deadline": c.DeadlineAt.Format(time.RFC3339), "status": string(c.Status)}})
		}
		if c.EscalatedDMSAt == nil && !now.Before(c.EscalateDMSAt) {
			c.EscalatedDMSAt, dms = &now, true
			evs = append(evs, &CaseEvent{Kind: "escalate", Note: fmt.Sprintf("Still no clarification at %s (case %s): escalated to the Digital Media Section.", FormatIST(c.EscalateDMSAt), c.Status),
				Details: map[string]string{"level": "2", "deadline": c.EscalateDMSAt.Format(time.RFC3339), "status": string(c.Status)}})
		}
		return evs, nil
	})
	if err != nil || (!hod && !dms) {
		return false, false, err
	}
	if hod {
		s.notifyHoD(ctx, c, heads)
	}
	if dms {
		s.notifyDMS(ctx, c)
	}
	return hod, dms, nil
}

// caseHeads returns an organisation's current heads of department, or its
// parent's when it has none of its own.
func (s *Service) caseHeads(ctx context.Context, orgID string, now time.Time) ([]*Officer, error) {
	for depth := 0; orgID != "" && depth < 3; depth++ {
		os, err := s.store.ListOfficers(ctx, OfficerFilter{OrgID: orgID, CurrentAt: now})
		if err != nil {
			return nil, err
		}
		var hs []*Officer
		for _, o := range os {
			if o.Kind == OfficerHead {
				hs = append(hs, o)
			}
		}
		if len(hs) > 0 {
			return hs, nil
		}
		o, err := s.store.GetOrg(ctx, orgID)
		if IsCode(err, ENOTFOUND) {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		orgID = o.ParentID
	}
	return nil, nil
}

// notifyHoD tells the heads of department (their Prasar users; by e-mail
// those without one) and reminds the assigned officers. Without a head on
// record the Digital Media Section is told instead.
func (s *Service) notifyHoD(ctx context.Context, c *Case, heads []*Officer) {
	subject := "समय-सीमा चूकी / Deadline missed: fake-news case " + c.Ref
	body := fmt.Sprintf("%s\n\nस्पष्टीकरण की समय-सीमा %s थी; मामला अभी %s है।\nThe clarification was due by %s and the case is still %s. As head of department, please see that it is published now.",
		c.Summary, FormatIST(c.DeadlineAt), c.Status, FormatIST(c.DeadlineAt), c.Status)
	link := "/cases/" + c.ID
	var users, emails []string
	for _, h := range heads {
		if h.UserID != "" {
			users = append(users, h.UserID)
		} else if h.Email != "" {
			emails = append(emails, h.Email)
		}
	}
	to := Recipients{UserIDs: users}
	if len(heads) == 0 {
		to.Roles = []Role{RoleAdmin}
		body += "\n\nNo head of department is recorded for this organisation in the registry; the Digital Media Section is told instead."
	}
	if _, err := s.Notify(ctx, to, c.OrgID, "case.escalated", subject, body, link); err != nil {
		s.log.WarnContext(ctx, "notifying the head of department failed", "case_id", c.ID, "err", err)
	}
	if len(emails) > 0 && s.mailer != nil {
		text := body + "\n\n" + strings.TrimRight(s.cfg.BaseURL, "/") + link
		go func(ctx context.Context) {
			ctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			if err := s.mailer.Send(ctx, emails, "[Prasar] "+subject, text); err != nil {
				s.log.ErrorContext(ctx, "e-mailing the head of department failed", "case_id", c.ID, "err", err)
			}
		}(context.WithoutCancel(ctx))
	}
	if _, err := s.Notify(ctx, Recipients{OrgOfficers: c.OrgID}, c.OrgID, "case.overdue", subject,
		fmt.Sprintf("%s\n\nThe clarification was due by %s; the case has been escalated to the head of department.", c.Summary, FormatIST(c.DeadlineAt)), link); err != nil {
		s.log.WarnContext(ctx, "reminding the assigned officers failed", "case_id", c.ID, "err", err)
	}
}

// notifyDMS tells the Digital Media Section (administrators).
func (s *Service) notifyDMS(ctx context.Context, c *Case) {
	if _, err := s.Notify(ctx, Recipients{Roles: []Role{RoleAdmin}}, c.OrgID, "case.escalated",
		"डिजिटल मीडिया अनुभाग को एस्केलेशन / Escalated to the Digital Media Section: fake-news case "+c.Ref,
		fmt.Sprintf("%s\n\nसमय-सीमा %s थी; मामला अभी %s है।\nThe clarification was due by %s; at %s the case is still %s. It was escalated to the head of department at the deadline.",
			c.Summary, FormatIST(c.DeadlineAt), c.Status, FormatIST(c.DeadlineAt), FormatIST(c.EscalateDMSAt), c.Status), "/cases/"+c.ID); err != nil {
		s.log.WarnContext(ctx, "notifying the Digital Media Section failed", "case_id", c.ID, "err", err)
	}
}

// CaseClock is a case's clock at a moment: how long it has left or how far
// it is overdue, and the measured times.
type CaseClock struct {
	At      time.Time `json:"at"`
	Applies bool      `json:"applies"` // false when triaged out
	Running bool      `json:"running"` // the clarification is not live yet
	DueAt   time.Time `json:"dueAt"`
	// LeftSeconds is the time to the deadline (negative: overdue) while
	// the clock runs.
	LeftSeconds int64 `json:"leftSeconds"`
	Overdue     bool  `json:"overdue"`
	// Met says, once the clarification is live, whether it was in time.
	Met             *bool  `json:"met,omitempty"`
	AgeSeconds      int64  `json:"ageSeconds"` // since intake
	Bucket          string `json:"bucket"`     // ageing bucket since intake
	EscalationLevel int    `json:"escalationLevel"`
	// The measured times, in seconds, once both ends are known:
	// intake→assignment, assignment→first submission of the
	// clarification, first submission→first live delivery, and
	// intake→first live delivery (the response time).
	TimeToAssign  *int64 `json:"timeToAssign,omitempty"`
	TimeToDraft   *int64 `json:"timeToDraft,omitempty"`
	TimeToPublish *int64 `json:"timeToPublish,omitempty"`
	ResponseTime  *int64 `json:"responseTime,omitempty"`
}

// AgeBuckets are the ageing buckets of open cases, since intake.
var AgeBuckets = []string{"under_2h", "2h_12h", "12h_24h", "1d_3d", "3d_7d", "over_7d"}

func caseAgeBucket(age time.Duration) string {
	switch {
	case age < 2*time.Hour:
		return "under_2h"
	case age < 12*time.Hour:
		return "2h_12h"
	case age < 24*time.Hour:
		return "12h_24h"
	case age < 72*time.Hour:
		return "1d_3d"
	case age < 7*24*time.Hour:
		return "3d_7d"
	}
	return "over_7d"
}

func caseSecondsBetween(a, b *time.Time) *int64 {
	if a == nil || b == nil {
		return nil
	}
	d := int64(b.Sub(*a) / time.Second)
	return &d
}

// ClockOf returns a case's clock at now.
func ClockOf(c *Case, now time.Time) CaseClock {
	k := CaseClock{At: now.UTC(), Applies: c.DeadlineApplies(), DueAt: c.DeadlineAt, EscalationLevel: c.EscalationLevel()}
	end := now
	if c.ClosedAt != nil {
		end = *c.ClosedAt
	}
	k.AgeSeconds = int64(end.Sub(c.ReportedAt) / time.Second)
	k.Bucket = caseAgeBucket(end.Sub(c.ReportedAt))
	rep := c.ReportedAt
	k.TimeToAssign = caseSecondsBetween(&rep, c.AssignedAt)
	k.TimeToDraft = caseSecondsBetween(c.AssignedAt, c.SubmittedAt)
	k.TimeToPublish = caseSecondsBetween(c.SubmittedAt, c.PublishedAt)
	k.ResponseTime = caseSecondsBetween(&rep, c.PublishedAt)
	if !k.Applies {
		return k
	}
	if c.PublishedAt != nil {
		met := !c.PublishedAt.After(c.DeadlineAt)
		k.Met = &met
		return k
	}
	if c.Status.ClockRunning() {
		k.Running = true
		k.LeftSeconds = int64(c.DeadlineAt.Sub(now) / time.Second)
		k.Overdue = now.After(c.DeadlineAt)
	}
	return k
}

// CaseAge is an open case with its clock, for the ageing view.
type CaseAge struct {
	Case  *Case     `json:"case"`
	Clock CaseClock `json:"clock"`
}

// CaseAgeing returns the open cases the signed-in user may see (editors:
// their organisation's; orgID narrows it) with their clocks: cases whose
// clock runs first, most overdue first, then the others, oldest first.
func (s *Service) CaseAgeing(ctx context.Context, orgID string) ([]CaseAge, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role == RoleEditor {
		if orgID != "" && orgID != u.OrgID {
			return nil, nil
		}
		orgID = u.OrgID
	}
	var open []CaseStatus
	for _, st := range CaseStatuses {
		if st.Open() {
			open = append(open, st)
		}
	}
	cs, _, err := s.store.ListCases(ctx, CaseFilter{OrgID: orgID, Statuses: open, Limit: caseCheckBatch})
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	out := make([]CaseAge, 0, len(cs))
	for _, c := range cs {
		if c, err = s.syncCase(ctx, c); err != nil {
			return nil, err
		}
		if !c.Status.Open() {
			continue
		}
		out = append(out, CaseAge{Case: c, Clock: ClockOf(c, now)})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Clock, out[j].Clock
		if a.Running != b.Running {
			return a.Running
		}
		if a.Running {
			return a.LeftSeconds < b.LeftSeconds
		}
		return out[i].Case.ReportedAt.Before(out[j].Case.ReportedAt)
	})
	return out, nil
}

// CaseView is a case as its page shows it: the case, its trail, its
// clarification posts, its clock, related cases and what the signed-in
// user may do.
type CaseView struct {
	Case    *Case         `json:"case"`
	Events  []*CaseEvent  `json:"events"`
	Posts   []*Post       `json:"posts"`
	Clock   CaseClock     `json:"clock"`
	Related []CaseMatch   `json:"related"`
	Actions []string      `json:"actions"`
	TrailOK bool          `json:"trailOk"`
	Heads   []CaseContact `json:"heads"`
}

// CaseContact names an officer without their contact details.
type CaseContact struct {
	Name        string `json:"name"`
	Designation string `json:"designation,omitempty"`
}

// GetCaseView returns the case page's data.
func (s *Service) GetCaseView(ctx context.Context, id string) (*CaseView, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.GetCase(ctx, id)
	if err != nil {
		return nil, err
	}
	evs, err := s.store.ListCaseEvents(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	v := &CaseView{Case: c, Events: evs, Clock: ClockOf(c, s.now()), Actions: CaseActionsFor(u, c), TrailOK: VerifyCaseTrail(c, evs) == nil}
	for _, pid := range append(append([]string{c.ClarificationPostID}, c.ExtraPostIDs...), c.PastPostIDs...) {
		if pid == "" {
			continue
		}
		p, err := s.store.GetPost(ctx, pid)
		if IsCode(err, ENOTFOUND) {
			continue
		} else if err != nil {
			return nil, err
		}
		if canSeeOrg(u, p.OrgID) {
			v.Posts = append(v.Posts, p)
		}
	}
	if len(c.URLKeys) > 0 {
		cs, err := s.store.FindCasesByURL(ctx, c.URLKeys)
		if err != nil {
			return nil, err
		}
		for _, o := range cs {
			if o.ID == c.ID {
				continue
			}
			m := CaseMatch{Ref: o.Ref, Status: o.Status, Visible: canSeeOrg(u, o.OrgID)}
			for _, k := range o.URLKeys {
				if slices.Contains(c.URLKeys, k) {
					m.Key = k
					break
				}
			}
			if m.Visible {
				m.CaseID = o.ID
			}
			v.Related = append(v.Related, m)
		}
	}
	hs, err := s.caseHeads(ctx, c.OrgID, s.now())
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		v.Heads = append(v.Heads, CaseContact{Name: h.Name, Designation: h.Designation})
	}
	return v, nil
}

// CaseActionsFor lists what u may do with c now: triage, reassign, facts,
// draft_clarification, draft_pr_clarification, follow_up, close, export.
func CaseActionsFor(u *User, c *Case) []string {
	var out []string
	add := func(a string, ok bool) {
		if ok {
			out = append(out, a)
		}
	}
	writes := canWriteFor(u, c.OrgID)
	add("triage", canReview(u) && c.Status == CaseNew)
	add("reassign", u.Role == RoleAdmin && slices.Contains([]CaseStatus{CaseAssigned, CaseDrafting, CaseInReview, CaseApproved}, c.Status))
	add("facts", writes && slices.Contains([]CaseStatus{CaseAssigned, CaseDrafting, CaseInReview, CaseApproved, CasePublished}, c.Status))
	add("draft_clarification", writes && c.Status == CaseAssigned)
	add("draft_pr_clarification", u.Role == RoleAdmin && slices.Contains([]CaseStatus{CaseDrafting, CaseInReview, CaseApproved, CasePublished}, c.Status))
	add("follow_up", writes && c.Status != CaseClosed)
	add("close", (writes || u.Role == RoleApprover) && (c.Status == CasePublished || c.Status == CaseNotActionable))
	add("export", true)
	return out
}
