package publisher

import (
	"context"
	"math"
	"sort"
	"time"
)

// Reports of the rebuttal desk, per organisation and overall, for the Chief
// Minister's review.

// CaseReportFilter selects the cases of a report: reported in [From, To), of
// one organisation or (OrgID "") all.
type CaseReportFilter struct {
	OrgID    string
	From, To time.Time
}

// DurationStats summarises measured times: how many, their median and their
// 90th percentile, in minutes. The median of an even number of values is
// the mean of the middle two; the 90th percentile is the nearest-rank one
// (the smallest value with at least 90 % of the values at or below it).
type DurationStats struct {
	Count         int     `json:"count"`
	MedianMinutes float64 `json:"medianMinutes"`
	P90Minutes    float64 `json:"p90Minutes"`
}

// caseDurationStats summarises durations given in seconds.
func caseDurationStats(secs []int64) DurationStats {
	n := len(secs)
	if n == 0 {
		return DurationStats{}
	}
	v := append([]int64(nil), secs...)
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	var med float64
	if n%2 == 1 {
		med = float64(v[n/2])
	} else {
		med = float64(v[n/2-1]+v[n/2]) / 2
	}
	p90 := float64(v[int(math.Ceil(0.9*float64(n)))-1])
	return DurationStats{Count: n, MedianMinutes: med / 60, P90Minutes: p90 / 60}
}

// DeadlineStats counts how cases with a deadline fared.
type DeadlineStats struct {
	Applies      int `json:"applies"`      // cases with a deadline (not triaged out)
	Met          int `json:"met"`          // clarification live by the deadline
	Missed       int `json:"missed"`       // live after it, or not live and past it
	Pending      int `json:"pending"`      // not live, deadline still ahead
	EscalatedHoD int `json:"escalatedHod"` // escalated to the head of department
	EscalatedDMS int `json:"escalatedDms"` // escalated to the Digital Media Section
}

// OrgCaseRow is one organisation's line in the overall report.
type OrgCaseRow struct {
	OrgID     string        `json:"orgId"`
	Code      string        `json:"code"`
	NameEN    string        `json:"nameEn"`
	NameHI    string        `json:"nameHi"`
	Cases     int           `json:"cases"`
	Open      int           `json:"open"`
	Published int           `json:"published"`
	Deadlines DeadlineStats `json:"deadlines"`
	Response  DurationStats `json:"response"`
}

// CaseReport is the desk's figures for a period.
type CaseReport struct {
	OrgID       string    `json:"orgId,omitempty"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	GeneratedAt time.Time `json:"generatedAt"`

	Total         int                    `json:"total"`
	Open          int                    `json:"open"` // not closed (a published case waits for its closing note)
	Actionable    int                    `json:"actionable"`
	NotActionable int                    `json:"notActionable"`
	Untriaged     int                    `json:"untriaged"`
	Published     int                    `json:"published"`
	LinkedReports int                    `json:"linkedReports"`
	ByStatus      map[CaseStatus]int     `json:"byStatus"`
	ByType        map[CaseType]int       `json:"byType"`
	ByPlatform    map[string]int         `json:"byPlatform"`
	ByDistrict    map[string]int         `json:"byDistrict"` // "" is "not given"
	ByMedia       map[CaseMedia]int      `json:"byMedia"`
	Actions       map[CaseActionKind]int `json:"actions"`

	TimeToAssign  DurationStats `json:"timeToAssign"`
	TimeToDraft   DurationStats `json:"timeToDraft"`
	TimeToPublish DurationStats `json:"timeToPublish"`
	Response      DurationStats `json:"response"`
	Deadlines     DeadlineStats `json:"deadlines"`

	// ByOrg has a line per organisation with cases, most cases first (the
	// overall report only).
	ByOrg []OrgCaseRow `json:"byOrg,omitempty"`
}

// caseDeadlineOutcome reports whether a case with a deadline missed it (by now).
func caseDeadlineOutcome(c *Case, now time.Time) (met, missed, pending bool) {
	if !c.DeadlineApplies() {
		return false, false, false
	}
	if c.PublishedAt != nil {
		if c.PublishedAt.After(c.DeadlineAt) {
			return false, true, false
		}
		return true, false, false
	}
	if now.After(c.DeadlineAt) {
		return false, true, false
	}
	return false, false, true
}

func countCaseDeadlines(d *DeadlineStats, c *Case, now time.Time) {
	if !c.DeadlineApplies() {
		return
	}
	d.Applies++
	met, missed, pending := caseDeadlineOutcome(c, now)
	switch {
	case met:
		d.Met++
	case missed:
		d.Missed++
	case pending:
		d.Pending++
	}
	if c.EscalatedHoDAt != nil {
		d.EscalatedHoD++
	}
	if c.EscalatedDMSAt != nil {
		d.EscalatedDMS++
	}
}

// BuildCaseReport computes a report's figures from its cases at now.
// orgs names the organisations of the per-organisation lines (nil: no
// lines).
func BuildCaseReport(cases []*Case, f CaseReportFilter, now time.Time, orgs map[string]*Organisation) *CaseReport {
	r := &CaseReport{OrgID: f.OrgID, From: f.From, To: f.To, GeneratedAt: now.UTC(),
		ByStatus: map[CaseStatus]int{}, ByType: map[CaseType]int{}, ByPlatform: map[string]int{}, ByDistrict: map[string]int{},
		ByMedia: map[CaseMedia]int{}, Actions: map[CaseActionKind]int{}}
	var assign, draft, publish, response []int64
	type orgAcc struct {
		row  OrgCaseRow
		resp []int64
	}
	byOrg := map[string]*orgAcc{}
	for _, c := range cases {
		r.Total++
		r.ByStatus[c.Status]++
		r.ByType[c.Type]++
		r.ByPlatform[c.Platform]++
		r.ByDistrict[c.District]++
		r.ByMedia[c.Media]++
		r.LinkedReports += c.LinkedReports
		for _, a := range c.Actions {
			r.Actions[a.Kind]++
		}
		if c.Status.Open() {
			r.Open++
		}
		switch {
		case c.Triage == nil:
			r.Untriaged++
		case c.DeadlineApplies():
			r.Actionable++
		default:
			r.NotActionable++
		}
		if c.PublishedAt != nil {
			r.Published++
		}
		k := ClockOf(c, now)
		for _, m := range []struct {
			v   *int64
			acc *[]int64
		}{{k.TimeToAssign, &assign}, {k.TimeToDraft, &draft}, {k.TimeToPublish, &publish}, {k.ResponseTime, &response}} {
			if m.v != nil {
				*m.acc = append(*m.acc, *m.v)
			}
		}
		countCaseDeadlines(&r.Deadlines, c, now)
		if orgs != nil {
			a := byOrg[c.OrgID]
			if a == nil {
				a = &orgAcc{row: OrgCaseRow{OrgID: c.OrgID}}
				if o := orgs[c.OrgID]; o != nil {
					a.row.Code, a.row.NameEN, a.row.NameHI = o.Code, o.NameEN, o.NameHI
				}
				byOrg[c.OrgID] = a
			}
			a.row.Cases++
			if c.Status.Open() {
				a.row.Open++
			}
			if c.PublishedAt != nil {
				a.row.Published++
			}
			countCaseDeadlines(&a.row.Deadlines, c, now)
			if k.ResponseTime != nil {
				a.resp = append(a.resp, *k.ResponseTime)
			}
		}
	}
	r.TimeToAssign, r.TimeToDraft, r.TimeToPublish, r.Response = caseDurationStats(assign), caseDurationStats(draft), caseDurationStats(publish), caseDurationStats(response)
	for _, a := range byOrg {
		a.row.Response = caseDurationStats(a.resp)
		r.ByOrg = append(r.ByOrg, a.row)
	}
	sort.Slice(r.ByOrg, func(i, j int) bool {
		if r.ByOrg[i].Cases != r.ByOrg[j].Cases {
			return r.ByOrg[i].Cases > r.ByOrg[j].Cases
		}
		return r.ByOrg[i].Code < r.ByOrg[j].Code
	})
	return r
}

// DefaultReportDays is the length of a report's period when none is given.
const DefaultReportDays = 30

// maxCaseReportCases bounds the cases one report reads.
const maxCaseReportCases = 20000

// reportCases returns the cases of a report the signed-in user may see;
// editors get their own organisation's whatever f asks.
func (s *Service) reportCases(ctx context.Context, f *CaseReportFilter) ([]*Case, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role == RoleEditor {
		f.OrgID = u.OrgID
	}
	if f.OrgID != "" && !ValidID(f.OrgID) {
		return nil, Errorf(ENOTFOUND, "No such organisation.")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return nil, &Error{Code: EINVALID, Message: "The period needs correcting.", Fields: []FieldError{{Field: "to", Code: "before_from", Message: "The end is before the start."}}}
	}
	cs, total, err := s.store.ListCases(ctx, CaseFilter{OrgID: f.OrgID, ReportedFrom: f.From, ReportedTo: f.To, Limit: maxCaseReportCases})
	if err != nil {
		return nil, err
	}
	if total > len(cs) {
		return nil, Errorf(EINVALID, "The period holds %d cases, more than one report covers (%d); choose a shorter period.", total, maxCaseReportCases)
	}
	for i, c := range cs {
		if cs[i], err = s.syncCase(ctx, c); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// CaseReport returns the desk's figures for the cases reported in the
// period: of one organisation (editors: always their own) or all, with a
// line per organisation in the overall report.
// Without To the period ends with today (IST); without From it starts
// DefaultReportDays before its end.
func (s *Service) CaseReport(ctx context.Context, f CaseReportFilter) (*CaseReport, error) {
	if f.To.IsZero() {
		today := s.now().In(IST)
		f.To = time.Date(today.Year(), today.Month(), today.Day()+1, 0, 0, 0, 0, IST).UTC()
	}
	if f.From.IsZero() {
		f.From = f.To.In(IST).AddDate(0, 0, -DefaultReportDays).UTC()
	}
	cs, err := s.reportCases(ctx, &f)
	if err != nil {
		return nil, err
	}
	orgs, err := s.reportOrgs(ctx, f.OrgID)
	if err != nil {
		return nil, err
	}
	return BuildCaseReport(cs, f, s.now(), orgs), nil
}

// reportOrgs names the organisations of the overall report's lines (nil
// for one organisation's report).
func (s *Service) reportOrgs(ctx context.Context, orgID string) (map[string]*Organisation, error) {
	if orgID != "" {
		return nil, nil
	}
	os, err := s.store.ListOrgs(ctx, OrgFilter{})
	if err != nil {
		return nil, err
	}
	orgs := map[string]*Organisation{}
	for _, o := range os {
		orgs[o.ID] = o
	}
	return orgs, nil
}

// WeeklyCaseReport is the report of one IST week (Monday to Sunday) with
// its cases, for the weekly review.
type WeeklyCaseReport struct {
	WeekStart time.Time   `json:"weekStart"` // Monday 00:00 IST, as UTC
	WeekEnd   time.Time   `json:"weekEnd"`   // the next Monday 00:00 IST (exclusive)
	Report    *CaseReport `json:"report"`
	Cases     []CaseAge   `json:"cases"` // the week's cases with their clocks, in order of intake
	// Previous is the week before's report, for comparison.
	Previous *CaseReport `json:"previous"`
}

// WeekStartIST returns the start (Monday 00:00 IST, as UTC) of the IST
// week that holds t.
func WeekStartIST(t time.Time) time.Time {
	l := t.In(IST)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, IST)
	back := (int(day.Weekday()) + 6) % 7 // days since Monday
	return day.AddDate(0, 0, -back).UTC()
}

// WeeklyCaseReport returns the weekly report of the IST week that holds
// day (zero: today), of one organisation or all.
func (s *Service) WeeklyCaseReport(ctx context.Context, day time.Time, orgID string) (*WeeklyCaseReport, error) {
	if day.IsZero() {
		day = s.now()
	}
	start := WeekStartIST(day)
	end := start.In(IST).AddDate(0, 0, 7).UTC()
	f := CaseReportFilter{OrgID: orgID, From: start, To: end}
	cs, err := s.reportCases(ctx, &f)
	if err != nil {
		return nil, err
	}
	pf := CaseReportFilter{OrgID: f.OrgID, From: start.In(IST).AddDate(0, 0, -7).UTC(), To: start}
	prev, err := s.reportCases(ctx, &pf)
	if err != nil {
		return nil, err
	}
	orgs, err := s.reportOrgs(ctx, f.OrgID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	w := &WeeklyCaseReport{WeekStart: start, WeekEnd: end, Report: BuildCaseReport(cs, f, now, orgs), Previous: BuildCaseReport(prev, pf, now, orgs),
		Cases: make([]CaseAge, 0, len(cs))}
	for i := len(cs) - 1; i >= 0; i-- { // listed newest first
		w.Cases = append(w.Cases, CaseAge{Case: cs[i], Clock: ClockOf(cs[i], now)})
	}
	return w, nil
}
