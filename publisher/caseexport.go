package publisher

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Exports of cases for RTI replies and the review: one case with its whole
// trail, or a list of cases with their times, as JSON or CSV. Times are
// given in UTC and in IST.

// CaseExport is one case with everything recorded about it.
type CaseExport struct {
	ExportedAt time.Time     `json:"exportedAt"`
	ExportedBy string        `json:"exportedBy"`
	Org        *Organisation `json:"organisation"`
	Case       *Case         `json:"case"`
	Clock      CaseClock     `json:"clock"`
	Events     []*CaseEvent  `json:"events"`
	Posts      []*Post       `json:"posts"`
	// TrailVerified says whether the trail is complete and unchanged
	// (VerifyCaseTrail); TrailProblem says where it breaks if not.
	TrailVerified bool   `json:"trailVerified"`
	TrailProblem  string `json:"trailProblem,omitempty"`
}

// ExportCase returns a case and its whole trail for export. Every export is
// audited.
func (s *Service) ExportCase(ctx context.Context, id string) (*CaseExport, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.GetCaseView(ctx, id)
	if err != nil {
		return nil, err
	}
	org, err := s.store.GetOrg(ctx, v.Case.OrgID)
	if err != nil && !IsCode(err, ENOTFOUND) {
		return nil, err
	}
	x := &CaseExport{ExportedAt: s.now().UTC(), ExportedBy: u.Name, Org: org, Case: v.Case, Clock: v.Clock, Events: v.Events, Posts: v.Posts}
	if err := VerifyCaseTrail(v.Case, v.Events); err != nil {
		x.TrailProblem = err.Error()
	} else {
		x.TrailVerified = true
	}
	s.audit(ctx, "case.export", "case", v.Case.ID, v.Case.OrgID, map[string]string{"ref": v.Case.Ref})
	return x, nil
}

// CaseListExport is a list of cases for export.
type CaseListExport struct {
	ExportedAt time.Time                `json:"exportedAt"`
	Cases      []*Case                  `json:"cases"`
	Orgs       map[string]*Organisation `json:"-"`
}

// ExportCases returns the cases matching f that the signed-in user may see
// (up to 20,000), for a list export. Every export is audited.
func (s *Service) ExportCases(ctx context.Context, f CaseFilter) (*CaseListExport, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	x := &CaseListExport{ExportedAt: s.now().UTC(), Cases: []*Case{}, Orgs: map[string]*Organisation{}}
	if u.Role == RoleEditor {
		if f.OrgID != "" && f.OrgID != u.OrgID {
			return x, nil
		}
		f.OrgID = u.OrgID
	}
	f.Limit, f.Offset = maxCaseReportCases, 0
	cs, total, err := s.store.ListCases(ctx, f)
	if err != nil {
		return nil, err
	}
	if total > len(cs) {
		return nil, Errorf(EINVALID, "%d cases match, more than one export holds (%d); narrow the period.", total, maxCaseReportCases)
	}
	for i, c := range cs {
		if cs[i], err = s.syncCase(ctx, c); err != nil {
			return nil, err
		}
	}
	os, err := s.store.ListOrgs(ctx, OrgFilter{})
	if err != nil {
		return nil, err
	}
	for _, o := range os {
		x.Orgs[o.ID] = o
	}
	x.Cases = append(x.Cases, cs...)
	s.audit(ctx, "case.export_list", "case", "", f.OrgID, map[string]string{"cases": strconv.Itoa(len(cs))})
	return x, nil
}

// caseCSVBOM makes spreadsheet programs read the CSV as UTF-8 (Devanagari).
const caseCSVBOM = "\ufeff"

func caseCSVTime(t time.Time) (utc, ist string) {
	if t.IsZero() {
		return "", ""
	}
	return t.UTC().Format(time.RFC3339), t.In(IST).Format("2006-01-02 15:04:05") + " IST"
}

func caseCSVTimePtr(t *time.Time) (utc, ist string) {
	if t == nil {
		return "", ""
	}
	return caseCSVTime(*t)
}

func caseCSVMinutes(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(float64(*v)/60, 'f', 1, 64)
}

// WriteCaseCSV writes one case's export as CSV (UTF-8 with a byte-order
// mark): first the case's fields as "field,value" rows, then a blank row,
// then the trail, one event per row.
func WriteCaseCSV(w io.Writer, x *CaseExport) error {
	if _, err := io.WriteString(w, caseCSVBOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	c := x.Case
	row := func(k string, v ...string) { _ = cw.Write(append([]string{k}, v...)) }
	row("field", "value")
	row("reference", c.Ref)
	row("case_id", c.ID)
	if x.Org != nil {
		row("organisation", x.Org.Code+" — "+x.Org.NameEN+" / "+x.Org.NameHI)
	} else {
		row("organisation", c.OrgID)
	}
	row("status", string(c.Status))
	row("type", string(c.Type))
	row("platform", c.Platform)
	row("media", string(c.Media))
	row("language", c.Language)
	row("urls", strings.Join(c.URLs, " "))
	row("screenshots", strings.Join(c.ScreenshotIDs, " "))
	row("summary", c.Summary)
	row("where_seen", c.WhereSeen)
	row("district", c.District)
	row("reported_by", c.ReportedByName)
	for _, t := range []struct {
		name string
		at   *time.Time
	}{{"reported_at", &c.ReportedAt}, {"deadline_at", &c.DeadlineAt}, {"escalate_dms_at", &c.EscalateDMSAt}, {"assigned_at", c.AssignedAt},
		{"first_submitted_at", c.SubmittedAt}, {"first_approved_at", c.ApprovedAt}, {"published_at", c.PublishedAt},
		{"escalated_hod_at", c.EscalatedHoDAt}, {"escalated_dms_at", c.EscalatedDMSAt}, {"closed_at", c.ClosedAt}} {
		u, i := caseCSVTimePtr(t.at)
		row(t.name+"_utc", u)
		row(t.name+"_ist", i)
	}
	row("minutes_to_assign", caseCSVMinutes(x.Clock.TimeToAssign))
	row("minutes_to_draft", caseCSVMinutes(x.Clock.TimeToDraft))
	row("minutes_to_publish", caseCSVMinutes(x.Clock.TimeToPublish))
	row("response_minutes", caseCSVMinutes(x.Clock.ResponseTime))
	if x.Clock.Met != nil {
		row("deadline_met", strconv.FormatBool(*x.Clock.Met))
	}
	if c.Triage != nil {
		row("triage", fmt.Sprintf("in scope: %t; actionable: %t; by %s", c.Triage.InScope, c.Triage.Actionable, c.Triage.ByName))
		row("triage_reason", c.Triage.Reason)
	}
	if a := c.Assignment; a != nil {
		row("nodal_officer", a.NodalName)
		row("alternate_officer", a.AlternateName)
	}
	row("facts", c.Facts)
	for i, src := range c.Sources {
		row(fmt.Sprintf("source_%d", i+1), src.Kind, src.Title, src.URL, src.Ref)
	}
	for _, p := range x.Posts {
		row("clarification_post", p.ID, p.Title, string(p.Status), string(p.Kind), p.OrgID)
	}
	for i, a := range c.Actions {
		at, ist := caseCSVTime(a.At)
		row(fmt.Sprintf("action_%d", i+1), string(a.Kind), at, ist, a.ByName, a.Note, a.Reference, a.OfficerName, a.OfficerDesignation, string(a.OfficerRank), a.LegalBasis, a.Reasons)
	}
	row("closing_note", c.ClosingNote)
	row("duplicate_of", c.DuplicateOf)
	row("linked_reports", strconv.Itoa(c.LinkedReports))
	row("trail_verified", strconv.FormatBool(x.TrailVerified), x.TrailProblem)
	u, i := caseCSVTime(x.ExportedAt)
	row("exported_at", u, i)
	row("exported_by", x.ExportedBy)
	_ = cw.Write(nil)
	_ = cw.Write([]string{"seq", "at_utc", "at_ist", "actor", "actor_role", "event", "from", "to", "note", "details", "hash"})
	for _, e := range x.Events {
		at, ist := caseCSVTime(e.At)
		var ds []string
		for _, k := range slices.Sorted(maps.Keys(e.Details)) {
			ds = append(ds, k+"="+e.Details[k])
		}
		_ = cw.Write([]string{strconv.Itoa(e.Seq), at, ist, e.ActorName, string(e.ActorRole), e.Kind, string(e.From), string(e.To), e.Note, strings.Join(ds, "; "), e.Hash})
	}
	cw.Flush()
	return cw.Error()
}

// CaseListColumns are the columns of WriteCasesCSV.
var CaseListColumns = []string{"reference", "case_id", "organisation_code", "organisation", "status", "type", "platform", "media", "language", "district",
	"summary", "urls", "reported_at_ist", "deadline_at_ist", "assigned_at_ist", "first_submitted_at_ist", "published_at_ist", "closed_at_ist",
	"minutes_to_assign", "minutes_to_draft", "minutes_to_publish", "response_minutes", "deadline", "escalation_level", "follow_up_actions", "clarification_post_id"}

// WriteCasesCSV writes a list export as CSV (UTF-8 with a byte-order mark),
// one case per row, with its times in IST and minutes, as they stood when
// it was exported.
func WriteCasesCSV(w io.Writer, x *CaseListExport) error {
	cases, orgs, now := x.Cases, x.Orgs, x.ExportedAt
	if _, err := io.WriteString(w, caseCSVBOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(CaseListColumns)
	for _, c := range cases {
		k := ClockOf(c, now)
		code, name := "", c.OrgID
		if o := orgs[c.OrgID]; o != nil {
			code, name = o.Code, o.NameEN
		}
		ist := func(t *time.Time) string { _, i := caseCSVTimePtr(t); return i }
		deadline := "pending"
		switch met, missed, _ := caseDeadlineOutcome(c, now); {
		case !c.DeadlineApplies():
			deadline = "not_applicable"
		case met:
			deadline = "met"
		case missed:
			deadline = "missed"
		}
		var acts []string
		for _, a := range c.Actions {
			acts = append(acts, string(a.Kind))
		}
		rep, dl := c.ReportedAt, c.DeadlineAt
		_ = cw.Write([]string{c.Ref, c.ID, code, name, string(c.Status), string(c.Type), c.Platform, string(c.Media), c.Language, c.District,
			c.Summary, strings.Join(c.URLs, " "), ist(&rep), ist(&dl), ist(c.AssignedAt), ist(c.SubmittedAt), ist(c.PublishedAt), ist(c.ClosedAt),
			caseCSVMinutes(k.TimeToAssign), caseCSVMinutes(k.TimeToDraft), caseCSVMinutes(k.TimeToPublish), caseCSVMinutes(k.ResponseTime), deadline,
			strconv.Itoa(c.EscalationLevel()), strings.Join(acts, " "), c.ClarificationPostID})
	}
	cw.Flush()
	return cw.Error()
}
