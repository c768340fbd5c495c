package publisher

import (
	"context"
	"slices"
	"strings"
	"time"
)

// The compliance review the Chief Minister asked for: per organisation,
// whether it has a current nodal officer, an account on each required
// platform, a working connection on each, and recent activity (a post
// published within the cadence norm, 15 days by default); a score, a
// ranked list, and the gaps. The dashboard, the printable report and the
// PDF and Excel downloads are all made from one ComplianceReview, so their
// figures match.

// Score weights: each criterion is a quarter of 100.
const (
	scoreOfficer  = 25
	scoreAccounts = 25
	scoreWorking  = 25
	scoreActive   = 25
)

// GapCode names what an organisation lacks.
type GapCode string

// Gap codes.
const (
	GapNoNodalOfficer  GapCode = "no_nodal_officer"
	GapNoAccount       GapCode = "no_account"    // on a required platform
	GapNotConnected    GapCode = "not_connected" // an account on a required platform, none working
	GapNoRecentPosts   GapCode = "no_recent_posts"
	GapRotationPending GapCode = "rotation_pending" // credentials not confirmed rotated after a handover (not scored)
)

const rotationGapMessage = "Credentials not yet confirmed changed after the last handover."

// Gap is one thing an organisation lacks.
type Gap struct {
	Code     GapCode  `json:"code"`
	Platform Platform `json:"platform,omitempty"`
	// Message says it in English; the interface translates Code.
	Message string `json:"message"`
}

// PlatformCheck is an organisation's standing on one required platform.
type PlatformCheck struct {
	Platform   Platform      `json:"platform"`
	HasAccount bool          `json:"hasAccount"`
	Working    bool          `json:"working"`
	Handles    []string      `json:"handles,omitempty"`
	Status     AccountStatus `json:"status,omitempty"` // the best of its accounts' statuses
}

// OrgCompliance is one organisation's row of the review.
type OrgCompliance struct {
	OrgID            string          `json:"orgId"`
	Code             string          `json:"code"`
	Type             OrgType         `json:"type"`
	NameEN           string          `json:"nameEn"`
	NameHI           string          `json:"nameHi"`
	District         string          `json:"district,omitempty"`
	ParentID         string          `json:"parentId,omitempty"`
	NodalOfficer     bool            `json:"nodalOfficer"`
	NodalOfficerName string          `json:"nodalOfficerName,omitempty"`
	Designation      string          `json:"designation,omitempty"`
	AlternateOfficer bool            `json:"alternateOfficer"`
	Platforms        []PlatformCheck `json:"platforms"`
	AccountsOK       bool            `json:"accountsOk"` // an account on every required platform
	WorkingOK        bool            `json:"workingOk"`  // a working connection on every required platform
	RecentPosts      int             `json:"recentPosts"`
	LastPublishedAt  *time.Time      `json:"lastPublishedAt,omitempty"`
	Active           bool            `json:"active"` // published within the window
	Score            int             `json:"score"`
	Rank             int             `json:"rank"`
	Gaps             []Gap           `json:"gaps"`
}

// PlatformCoverage counts organisations on one required platform.
type PlatformCoverage struct {
	Platform    Platform `json:"platform"`
	WithAccount int      `json:"withAccount"`
	Working     int      `json:"working"`
}

// ComplianceSummary is the review's coverage in figures.
type ComplianceSummary struct {
	Organisations  int                `json:"organisations"`
	WithNodal      int                `json:"withNodal"`
	WithAccounts   int                `json:"withAccounts"` // on every required platform
	AllWorking     int                `json:"allWorking"`
	Active         int                `json:"active"`
	FullyCompliant int                `json:"fullyCompliant"` // score 100
	AverageScore   int                `json:"averageScore"`   // rounded
	Gaps           int                `json:"gaps"`           // scored gaps in all
	Platforms      []PlatformCoverage `json:"platforms"`
}

// ComplianceFilter narrows the review. Zero fields do not filter.
type ComplianceFilter struct {
	Type     OrgType `json:"type,omitempty"`
	District string  `json:"district,omitempty"`
}

// ComplianceReview is the compliance of every open organisation matching
// the filter, ranked by score (best first).
type ComplianceReview struct {
	GeneratedAt       time.Time         `json:"generatedAt"`
	WindowDays        int               `json:"windowDays"`
	Since             time.Time         `json:"since"`
	RequiredPlatforms []Platform        `json:"requiredPlatforms"`
	Filter            ComplianceFilter  `json:"filter"`
	Summary           ComplianceSummary `json:"summary"`
	Orgs              []*OrgCompliance  `json:"orgs"`
	// Districts are the districts the filter can choose from.
	Districts []string `json:"districts"`
}

// ComplianceReview computes the review. Admins, approvers and viewers see
// every organisation; editors their own.
func (s *Service) ComplianceReview(ctx context.Context, f ComplianceFilter) (*ComplianceReview, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if f.Type != "" && !f.Type.Valid() {
		return nil, &Error{Code: EINVALID, Message: "The filter needs correcting.", Fields: []FieldError{{Field: "type", Code: "invalid_choice", Message: "There is no such kind of organisation."}}}
	}
	f.District = strings.TrimSpace(f.District)
	now := s.now().UTC()
	window := s.cfg.ActivityWindow
	r := &ComplianceReview{GeneratedAt: now, WindowDays: int(window / (24 * time.Hour)), Since: now.Add(-window),
		RequiredPlatforms: s.RequiredPlatforms(), Filter: f, Orgs: []*OrgCompliance{}, Districts: []string{}}
	orgs, err := s.store.ListOrgs(ctx, OrgFilter{})
	if err != nil {
		return nil, err
	}
	districts := map[string]bool{}
	var open []*Organisation
	for _, o := range orgs {
		if !activeAt(o, now) {
			continue
		}
		if o.District != "" {
			districts[o.District] = true
		}
		if (u.Role == RoleEditor && o.ID != u.OrgID) || (f.Type != "" && o.Type != f.Type) || (f.District != "" && !strings.EqualFold(o.District, f.District)) {
			continue
		}
		open = append(open, o)
	}
	for d := range districts {
		r.Districts = append(r.Districts, d)
	}
	slices.Sort(r.Districts)
	activity, err := s.store.PublishedActivity(ctx, r.Since)
	if err != nil {
		return nil, err
	}
	byOrg := map[string]*OrgActivity{}
	for _, a := range activity {
		byOrg[a.OrgID] = a
	}
	merges, err := s.store.ListOrgEvents(ctx, OrgEventFilter{Kind: OrgEventMerge})
	if err != nil {
		return nil, err
	}
	rotations, err := s.store.ListHandovers(ctx, HandoverFilter{Statuses: []HandoverStatus{HandoverRotation}})
	if err != nil {
		return nil, err
	}
	pendingRotation := map[string]bool{}
	for _, h := range rotations {
		pendingRotation[h.OrgID] = true
	}
	for _, o := range open {
		c, err := s.orgCompliance(ctx, o, now, byOrg, predecessors(merges, o.ID))
		if err != nil {
			return nil, err
		}
		if pendingRotation[o.ID] {
			c.Gaps = append(c.Gaps, Gap{Code: GapRotationPending, Message: rotationGapMessage})
		}
		r.Orgs = append(r.Orgs, c)
	}
	rank(r.Orgs)
	r.Summary = summarise(r.Orgs, r.RequiredPlatforms)
	return r, nil
}

// predecessors returns the organisations merged into orgID, directly or
// through others.
func predecessors(merges []*OrgEvent, orgID string) []string {
	var out []string
	seen := map[string]bool{orgID: true}
	queue := []string{orgID}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, e := range merges {
			if e.OrgID != id {
				continue
			}
			for _, p := range e.FromOrgIDs {
				if !seen[p] {
					seen[p] = true
					out = append(out, p)
					queue = append(queue, p)
				}
			}
		}
	}
	return out
}

// orgCompliance computes one organisation's row. Activity counts its
// predecessors' posts too (their history is its history).
func (s *Service) orgCompliance(ctx context.Context, o *Organisation, now time.Time, activity map[string]*OrgActivity, preds []string) (*OrgCompliance, error) {
	c := &OrgCompliance{OrgID: o.ID, Code: o.Code, Type: o.Type, NameEN: o.NameEN, NameHI: o.NameHI, District: o.District, ParentID: o.ParentID, Gaps: []Gap{}}
	officers, err := s.store.ListOfficers(ctx, OfficerFilter{OrgID: o.ID, CurrentAt: now})
	if err != nil {
		return nil, err
	}
	for _, x := range officers {
		switch x.Kind {
		case OfficerNodal:
			if !c.NodalOfficer {
				c.NodalOfficer, c.NodalOfficerName, c.Designation = true, x.Name, x.Designation
			}
		case OfficerAlternate:
			c.AlternateOfficer = true
		}
	}
	if c.NodalOfficer {
		c.Score += scoreOfficer
	} else {
		c.Gaps = append(c.Gaps, Gap{Code: GapNoNodalOfficer, Message: "No current nodal officer."})
	}
	accounts, err := s.store.ListAccounts(ctx, AccountFilter{OrgID: o.ID})
	if err != nil {
		return nil, err
	}
	required := s.cfg.RequiredPlatforms
	have, working := 0, 0
	for _, p := range required {
		pc := PlatformCheck{Platform: p}
		for _, a := range accounts {
			if a.Platform != p || a.Status == AccountDefunct {
				continue
			}
			pc.HasAccount = true
			pc.Handles = append(pc.Handles, a.Handle)
			if s.working(a, now) {
				pc.Working, pc.Status = true, AccountConnected
			} else if pc.Status == "" || pc.Status == AccountDisconnected {
				pc.Status = a.Status
			}
		}
		switch {
		case !pc.HasAccount:
			c.Gaps = append(c.Gaps, Gap{Code: GapNoAccount, Platform: p, Message: "No account on " + p.Title() + "."})
		case !pc.Working:
			have++
			c.Gaps = append(c.Gaps, Gap{Code: GapNotConnected, Platform: p, Message: "The " + p.Title() + " account is not connected (" + strings.ReplaceAll(string(pc.Status), "_", " ") + ")."})
		default:
			have++
			working++
		}
		c.Platforms = append(c.Platforms, pc)
	}
	if n := len(required); n > 0 {
		c.AccountsOK, c.WorkingOK = have == n, working == n
		c.Score += scoreAccounts*have/n + scoreWorking*working/n
	}
	for _, id := range append([]string{o.ID}, preds...) {
		if a := activity[id]; a != nil {
			c.RecentPosts += a.Posts
			if c.LastPublishedAt == nil || a.LastPublishedAt.After(*c.LastPublishedAt) {
				t := a.LastPublishedAt
				c.LastPublishedAt = &t
			}
		}
	}
	c.Active = c.RecentPosts > 0
	if c.Active {
		c.Score += scoreActive
	} else {
		c.Gaps = append(c.Gaps, Gap{Code: GapNoRecentPosts, Message: "Nothing published in the review period."})
	}
	return c, nil
}

// rank orders rows by score (then code) and numbers them, equal scores
// sharing a rank (1, 2, 2, 4).
func rank(rows []*OrgCompliance) {
	slices.SortStableFunc(rows, func(a, b *OrgCompliance) int {
		if a.Score != b.Score {
			return b.Score - a.Score
		}
		return strings.Compare(a.Code, b.Code)
	})
	for i, r := range rows {
		r.Rank = i + 1
		if i > 0 && rows[i-1].Score == r.Score {
			r.Rank = rows[i-1].Rank
		}
	}
}

func summarise(rows []*OrgCompliance, required []Platform) ComplianceSummary {
	s := ComplianceSummary{Organisations: len(rows), Platforms: []PlatformCoverage{}}
	total := 0
	for _, p := range required {
		s.Platforms = append(s.Platforms, PlatformCoverage{Platform: p})
	}
	for _, r := range rows {
		total += r.Score
		if r.NodalOfficer {
			s.WithNodal++
		}
		if r.AccountsOK {
			s.WithAccounts++
		}
		if r.WorkingOK {
			s.AllWorking++
		}
		if r.Active {
			s.Active++
		}
		if r.Score == 100 {
			s.FullyCompliant++
		}
		for _, g := range r.Gaps {
			if g.Code != GapRotationPending {
				s.Gaps++
			}
		}
		for i, pc := range r.Platforms {
			if pc.HasAccount {
				s.Platforms[i].WithAccount++
			}
			if pc.Working {
				s.Platforms[i].Working++
			}
		}
	}
	if len(rows) > 0 {
		s.AverageScore = (total + len(rows)/2) / len(rows)
	}
	return s
}

// OrgComplianceDetail is the drill-down of one organisation: its row, and
// its accounts with their registry details.
type OrgComplianceDetail struct {
	*OrgCompliance
	Accounts []*RegistryAccount `json:"accounts"`
}

// OrgCompliance returns one organisation's row of the review with its
// accounts (the drill-down to its gaps).
func (s *Service) OrgCompliance(ctx context.Context, orgID string) (*OrgComplianceDetail, error) {
	o, err := s.GetOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	activity, err := s.store.PublishedActivity(ctx, now.Add(-s.cfg.ActivityWindow))
	if err != nil {
		return nil, err
	}
	byOrg := map[string]*OrgActivity{}
	for _, a := range activity {
		byOrg[a.OrgID] = a
	}
	merges, err := s.store.ListOrgEvents(ctx, OrgEventFilter{Kind: OrgEventMerge})
	if err != nil {
		return nil, err
	}
	c, err := s.orgCompliance(ctx, o, now, byOrg, predecessors(merges, o.ID))
	if err != nil {
		return nil, err
	}
	rotations, err := s.store.ListHandovers(ctx, HandoverFilter{OrgID: o.ID, Statuses: []HandoverStatus{HandoverRotation}, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(rotations) > 0 {
		c.Gaps = append(c.Gaps, Gap{Code: GapRotationPending, Message: rotationGapMessage})
	}
	as, err := s.store.ListAccounts(ctx, AccountFilter{OrgID: o.ID})
	if err != nil {
		return nil, err
	}
	ras, err := s.registryAccounts(ctx, as)
	if err != nil {
		return nil, err
	}
	return &OrgComplianceDetail{OrgCompliance: c, Accounts: ras}, nil
}
