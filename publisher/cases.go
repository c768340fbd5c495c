package publisher

import (
	"context"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
)

// This file declares the fake-news rebuttal desk's aggregate (Case), its
// trail (CaseEvent) and its store. The workflow is in caseflow.go, the
// deadline check in casecheck.go, reports in casereport.go and exports in
// caseexport.go.
//
// A case is a reported fake item about the government: logged (intake),
// triaged (in scope? actionable?), assigned to the concerned organisation's
// current nodal and alternate officers, answered by a clarification post
// that goes through the normal review and fan-out, followed up and closed.
// A clock runs from intake: the clarification must be live within the
// deadline of the item's media type (defaults: 2 h digital/TV, 12 h print,
// the Maharashtra norm). A missed deadline escalates to the head of
// department, and one more window later to the Digital Media Section.
//
//	new ──triage──▶ assigned ──draft──▶ drafting ──submit──▶ in_review ──approve──▶ approved ──publish──▶ published ──close──▶ closed
//	 │                 ▲                  ▲  ▲                 │   │                    │   │
//	 │                 └──cancel_clarification (from drafting, in_review, approved)     │   │
//	 │                                    │  └─────send_back──┘   └◀──reopen_review─────┘   │
//	 └──triage──▶ not_actionable ──close──▶ closed
//
// Steps from draft to publish follow the clarification post: the case
// moves when its post is submitted, approved (or sent back, reopened,
// cancelled) and when its first delivery is published.

// CaseStatus is where a case is in its workflow.
type CaseStatus string

// Case statuses.
const (
	CaseNew           CaseStatus = "new"            // logged, waiting for triage
	CaseNotActionable CaseStatus = "not_actionable" // triaged out: not in scope or not actionable (reason given)
	CaseAssigned      CaseStatus = "assigned"       // with the organisation's nodal officer; no clarification yet
	CaseDrafting      CaseStatus = "drafting"       // a clarification post is being written
	CaseInReview      CaseStatus = "in_review"      // the clarification waits for the PR section's approval
	CaseApproved      CaseStatus = "approved"       // approved; waiting for its time or its fan-out
	CasePublished     CaseStatus = "published"      // the clarification is live on at least one account
	CaseClosed        CaseStatus = "closed"         // closed with a final action note
)

// CaseStatuses lists every case status in workflow order.
var CaseStatuses = []CaseStatus{CaseNew, CaseNotActionable, CaseAssigned, CaseDrafting, CaseInReview, CaseApproved, CasePublished, CaseClosed}

// Valid reports whether s is a known case status.
func (s CaseStatus) Valid() bool { return slices.Contains(CaseStatuses, s) }

// Open reports whether the case still needs work.
func (s CaseStatus) Open() bool { return s != CaseClosed }

// ClockRunning reports whether the response deadline applies in this
// status: from intake until the clarification is published, unless the
// case was triaged out.
func (s CaseStatus) ClockRunning() bool {
	switch s {
	case CaseNew, CaseAssigned, CaseDrafting, CaseInReview, CaseApproved:
		return true
	}
	return false
}

// clockStatuses are the statuses whose deadline the checker watches.
var clockStatuses = []CaseStatus{CaseNew, CaseAssigned, CaseDrafting, CaseInReview, CaseApproved}

// clarificationStatuses are the statuses that follow a clarification post.
var clarificationStatuses = []CaseStatus{CaseDrafting, CaseInReview, CaseApproved}

// CaseType is what kind of fake a case is about.
type CaseType string

// Case types.
const (
	CaseMisleadingClaim CaseType = "misleading_claim"
	CaseForgedLetter    CaseType = "forged_letter" // fake notifications, orders, letters
	CaseDeepfake        CaseType = "deepfake"      // AI-made or doctored video, audio or image
	CaseImpersonation   CaseType = "impersonation" // a fake account or website posing as a department or official
	CaseOtherType       CaseType = "other"
)

// CaseTypes lists every case type.
var CaseTypes = []CaseType{CaseMisleadingClaim, CaseForgedLetter, CaseDeepfake, CaseImpersonation, CaseOtherType}

// Valid reports whether t is a known case type.
func (t CaseType) Valid() bool { return slices.Contains(CaseTypes, t) }

// CaseMedia is the kind of medium a fake appeared in; it sets the deadline.
type CaseMedia string

// Media types.
const (
	MediaDigital CaseMedia = "digital" // social media, websites, messaging
	MediaTV      CaseMedia = "tv"      // electronic media: deadline as digital
	MediaPrint   CaseMedia = "print"   // newspapers and magazines
)

// CaseMediaTypes lists every media type.
var CaseMediaTypes = []CaseMedia{MediaDigital, MediaTV, MediaPrint}

// Valid reports whether m is a known media type.
func (m CaseMedia) Valid() bool { return slices.Contains(CaseMediaTypes, m) }

// CasePlatforms are where a fake item can have been seen. They are wider
// than the platforms Prasar publishes to (WhatsApp, YouTube, newspapers).
var CasePlatforms = []string{"facebook", "x", "instagram", "whatsapp", "youtube", "telegram", "threads", "sharechat", "koo", "website", "tv", "newspaper", "other"}

// CaseLanguages are the languages a fake item can be in (BCP 47 / ISO 639;
// bgc is Haryanvi).
var CaseLanguages = []string{"hi", "en", "bgc", "pa", "ur", "other"}

// SourceKinds are the kinds of official source a clarification's facts
// rest on (PIB verifies "only against authentic government sources").
var SourceKinds = []string{"circular", "gazette", "order", "press_release", "website", "other"}

// CaseSource is an official source of the facts of a clarification.
type CaseSource struct {
	Kind  string `json:"kind"`  // one of SourceKinds
	Title string `json:"title"` // e.g. "Circular No. 12/3/2026-Agri dated 2 Nov 2026"
	URL   string `json:"url,omitempty"`
	Ref   string `json:"ref,omitempty"` // number and date when there is no link
}

// CaseActionKind is a follow-up action logged on a case.
type CaseActionKind string

// Follow-up actions.
const (
	ActionOutletCorrection CaseActionKind = "outlet_correction" // asked the outlet to correct or withdraw
	ActionPoliceReferral   CaseActionKind = "police_referral"   // referred to the police or cyber cell
	ActionTakedownRequest  CaseActionKind = "takedown_request"  // takedown intimation (IT Rules 3(1)(d), Sahyog)
	ActionPIBReferral      CaseActionKind = "pib_referral"      // referred to PIB Fact Check (central schemes)
	ActionPlatformReport   CaseActionKind = "platform_report"   // impersonation/grievance report to the platform
)

// CaseActionKinds lists every follow-up action.
var CaseActionKinds = []CaseActionKind{ActionOutletCorrection, ActionPoliceReferral, ActionTakedownRequest, ActionPIBReferral, ActionPlatformReport}

// Valid reports whether k is a known follow-up action.
func (k CaseActionKind) Valid() bool { return slices.Contains(CaseActionKinds, k) }

// OfficerRank is the rank of the officer who issues a takedown request.
// From 15 Nov 2025 takedown intimations under IT Rules 3(1)(d) may be
// issued only by an officer not below Joint Secretary (or Director where
// there is no Joint Secretary) or a police officer not below DIG.
type OfficerRank string

// Ranks offered on the takedown form; TakedownRanks are those allowed.
const (
	RankSecretary           OfficerRank = "secretary"
	RankAdditionalSecretary OfficerRank = "additional_secretary"
	RankJointSecretary      OfficerRank = "joint_secretary"
	RankDirector            OfficerRank = "director" // only where the department has no Joint Secretary
	RankDGP                 OfficerRank = "dgp"
	RankADGP                OfficerRank = "adgp"
	RankIGP                 OfficerRank = "igp"
	RankDIG                 OfficerRank = "dig"
	RankDeputySecretary     OfficerRank = "deputy_secretary"
	RankUnderSecretary      OfficerRank = "under_secretary"
	RankDeputyDirector      OfficerRank = "deputy_director"
	RankSP                  OfficerRank = "sp"
	RankOther               OfficerRank = "other"
)

// OfficerRanks lists every rank the takedown form offers.
var OfficerRanks = []OfficerRank{RankSecretary, RankAdditionalSecretary, RankJointSecretary, RankDirector, RankDGP, RankADGP, RankIGP, RankDIG,
	RankDeputySecretary, RankUnderSecretary, RankDeputyDirector, RankSP, RankOther}

// TakedownRanks are the ranks that may issue a takedown request.
var TakedownRanks = []OfficerRank{RankSecretary, RankAdditionalSecretary, RankJointSecretary, RankDirector, RankDGP, RankADGP, RankIGP, RankDIG}

// OfficerHead is the registry kind of an organisation's head of department
// (or the head of a board or corporation: its MD, CEO or chairperson). A
// missed case deadline escalates to the organisation's current heads (to
// their Prasar user, or by e-mail when they have none); an organisation
// without a head of its own escalates to its parent's. Heads are not among
// the "organisation's officers" that Recipients.OrgOfficers names.
const OfficerHead OfficerKind = "head"

// CaseTriage is the outcome of triage.
type CaseTriage struct {
	InScope    bool      `json:"inScope"`
	Actionable bool      `json:"actionable"`
	Reason     string    `json:"reason,omitempty"`
	ByID       string    `json:"byId"`
	ByName     string    `json:"byName,omitempty"`
	At         time.Time `json:"at"`
}

// CaseAssignment says who a case was assigned to and when.
type CaseAssignment struct {
	NodalOfficerID     string    `json:"nodalOfficerId,omitempty"`
	NodalName          string    `json:"nodalName,omitempty"`
	AlternateOfficerID string    `json:"alternateOfficerId,omitempty"`
	AlternateName      string    `json:"alternateName,omitempty"`
	Notified           int       `json:"notified"` // users notified
	At                 time.Time `json:"at"`
}

// CaseAction is a logged follow-up action.
type CaseAction struct {
	ID        string         `json:"id"`
	Kind      CaseActionKind `json:"kind"`
	At        time.Time      `json:"at"`
	ByID      string         `json:"byId"`
	ByName    string         `json:"byName,omitempty"`
	Note      string         `json:"note"`
	Reference string         `json:"reference,omitempty"` // letter, FIR/complaint, Sahyog, PIB or platform reference
	// Takedown requests only: the issuing officer, the legal basis and the
	// reasons, as the rules require.
	OfficerName        string      `json:"officerName,omitempty"`
	OfficerDesignation string      `json:"officerDesignation,omitempty"`
	OfficerRank        OfficerRank `json:"officerRank,omitempty"`
	LegalBasis         string      `json:"legalBasis,omitempty"`
	Reasons            string      `json:"reasons,omitempty"`
}

// Case is one reported fake item and everything done about it. Times are
// UTC.
type Case struct {
	ID  string `json:"id"`
	Ref string `json:"ref"` // human-readable reference, e.g. FN-20261128-7QK2M

	OrgID    string     `json:"orgId"` // the organisation the item concerns
	Status   CaseStatus `json:"status"`
	Type     CaseType   `json:"type"`
	Platform string     `json:"platform"` // one of CasePlatforms
	Media    CaseMedia  `json:"media"`
	Language string     `json:"language"` // one of CaseLanguages
	// URLs are the item's addresses as reported; URLKeys their normalised
	// forms, by which duplicates are found.
	URLs          []string `json:"urls"`
	URLKeys       []string `json:"urlKeys"`
	ScreenshotIDs []string `json:"screenshotIds,omitempty"` // uploaded media of the organisation
	Summary       string   `json:"summary"`
	WhereSeen     string   `json:"whereSeen,omitempty"`
	District      string   `json:"district,omitempty"`

	ReportedBy     string    `json:"reportedBy"`
	ReportedByName string    `json:"reportedByName,omitempty"`
	ReportedAt     time.Time `json:"reportedAt"` // intake: the clock starts
	// DeadlineAt is when the clarification must be live (intake + the
	// media type's window); EscalateDMSAt when a case still without one
	// escalates to the Digital Media Section (one more window).
	DeadlineAt    time.Time `json:"deadlineAt"`
	EscalateDMSAt time.Time `json:"escalateDmsAt"`

	// DuplicateOf links a case to the earlier case of the same item (when a
	// closed case's item resurfaced); LinkedReports counts further reports
	// of the same item merged into this case.
	DuplicateOf   string `json:"duplicateOf,omitempty"`
	LinkedReports int    `json:"linkedReports,omitempty"`

	Triage     *CaseTriage     `json:"triage,omitempty"`
	Assignment *CaseAssignment `json:"assignment,omitempty"`

	Facts   string       `json:"facts,omitempty"`
	Sources []CaseSource `json:"sources,omitempty"`

	// ClarificationPostID is the clarification the case follows;
	// ExtraPostIDs are further clarifications (on the PR department's own
	// accounts); PastPostIDs are cancelled ones.
	ClarificationPostID string   `json:"clarificationPostId,omitempty"`
	ExtraPostIDs        []string `json:"extraPostIds,omitempty"`
	PastPostIDs         []string `json:"pastPostIds,omitempty"`

	Actions []CaseAction `json:"actions,omitempty"`

	// Milestones, each set once: assignment, the clarification's first
	// submission for approval, its first approval, its first live delivery,
	// closure.
	AssignedAt  *time.Time `json:"assignedAt,omitempty"`
	SubmittedAt *time.Time `json:"submittedAt,omitempty"`
	ApprovedAt  *time.Time `json:"approvedAt,omitempty"`
	PublishedAt *time.Time `json:"publishedAt,omitempty"`
	ClosedAt    *time.Time `json:"closedAt,omitempty"`
	ClosingNote string     `json:"closingNote,omitempty"`

	// Escalations: set once each, when the check found the deadline missed.
	EscalatedHoDAt *time.Time `json:"escalatedHodAt,omitempty"`
	EscalatedDMSAt *time.Time `json:"escalatedDmsAt,omitempty"`

	// Events counts the trail's events; the next one gets Seq Events+1.
	Events int `json:"events"`
	// LastHash is the hash of the last trail event (the chain's head).
	LastHash string `json:"lastHash,omitempty"`

	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Version increments with every write (optimistic concurrency).
	Version int64 `json:"version"`
}

// EscalationLevel is 0 (none), 1 (head of department) or 2 (Digital Media
// Section).
func (c *Case) EscalationLevel() int {
	switch {
	case c.EscalatedDMSAt != nil:
		return 2
	case c.EscalatedHoDAt != nil:
		return 1
	}
	return 0
}

// DeadlineApplies reports whether the response deadline applies to the
// case: always, unless triage found it out of scope or not actionable.
func (c *Case) DeadlineApplies() bool {
	return c.Triage == nil || (c.Triage.InScope && c.Triage.Actionable)
}

// CaseEvent is one entry of a case's trail. The trail is append-only: the
// store can add events and list them, nothing else. Seq numbers a case's
// events 1, 2, 3…; Hash chains each event to the one before it, so a
// missing or changed entry shows in an export.
type CaseEvent struct {
	ID        string            `json:"id"`
	CaseID    string            `json:"caseId"`
	Seq       int               `json:"seq"`
	At        time.Time         `json:"at"`
	ActorID   string            `json:"actorId,omitempty"`
	ActorName string            `json:"actorName,omitempty"`
	ActorRole Role              `json:"actorRole,omitempty"`
	Kind      string            `json:"kind"` // intake, linked_report, triage, assign, facts, clarification, status, escalate, action, close, export
	From      CaseStatus        `json:"from,omitempty"`
	To        CaseStatus        `json:"to,omitempty"`
	Note      string            `json:"note,omitempty"`
	Details   map[string]string `json:"details,omitempty"`
	Hash      string            `json:"hash"`
}

// CaseFilter selects cases, most recently reported first. Zero fields do
// not filter.
type CaseFilter struct {
	OrgID    string
	Statuses []CaseStatus
	Type     CaseType
	Platform string
	District string
	// ReportedFrom and ReportedTo bound ReportedAt: [from, to).
	ReportedFrom, ReportedTo time.Time
	// DueBefore keeps cases whose DeadlineAt is at or before it.
	DueBefore time.Time
	Limit     int
	Offset    int
}

// CaseStore keeps cases and their trails.
type CaseStore interface {
	// CreateCase inserts c (Version 1) and its first trail events. Returns
	// ECONFLICT if c.ID exists.
	CreateCase(ctx context.Context, c *Case, events []*CaseEvent) error
	// UpdateCase replaces c if its stored Version equals c.Version and
	// appends events; on success c.Version is incremented. Returns
	// ENOTFOUND if c does not exist and ECONFLICT if the version is stale
	// or an event's (case, seq) exists.
	UpdateCase(ctx context.Context, c *Case, events []*CaseEvent) error
	// GetCase returns ENOTFOUND if there is no such case.
	GetCase(ctx context.Context, id string) (*Case, error)
	// ListCases returns the cases matching f, most recently reported first
	// (ties by id, descending), and the number of matches without
	// Limit/Offset.
	ListCases(ctx context.Context, f CaseFilter) ([]*Case, int, error)
	// FindCasesByURL returns the cases that have any of the given URL keys,
	// earliest reported first.
	FindCasesByURL(ctx context.Context, keys []string) ([]*Case, error)
	// ListCaseEvents returns a case's trail by Seq.
	ListCaseEvents(ctx context.Context, caseID string) ([]*CaseEvent, error)
}

// CaseConfig holds the rebuttal desk's settings. Zero values mean "use the
// default".
type CaseConfig struct {
	// DeadlineDigital is the response window for digital and TV items.
	// Default 2 h.
	DeadlineDigital time.Duration
	// DeadlinePrint is the response window for print items. Default 12 h.
	DeadlinePrint time.Duration
	// EscalateDMSAfter is how long after the deadline an unanswered case
	// escalates to the Digital Media Section. Default: the case's own
	// window again.
	EscalateDMSAfter time.Duration
	// PROrgCode is the registry code of the PR department, whose accounts
	// can carry a clarification too. Default "DIPRL".
	PROrgCode string
}

func (c *CaseConfig) setDefaults() {
	if c.DeadlineDigital <= 0 {
		c.DeadlineDigital = 2 * time.Hour
	}
	if c.DeadlinePrint <= 0 {
		c.DeadlinePrint = 12 * time.Hour
	}
	if c.PROrgCode == "" {
		c.PROrgCode = "DIPRL"
	}
}

// Window returns the response window of a media type.
func (c CaseConfig) Window(m CaseMedia) time.Duration {
	c.setDefaults()
	if m == MediaPrint {
		return c.DeadlinePrint
	}
	return c.DeadlineDigital
}

// IST is India Standard Time (UTC+05:30, no daylight saving), the zone the
// desk's deadlines, reports and exports are shown in.
var IST = time.FixedZone("IST", 5*3600+1800)

// trackingParams are query parameters that do not change what a page
// shows, on any site; hostTrackingParams those of one site.
var trackingParams = map[string]bool{"fbclid": true, "gclid": true, "dclid": true, "msclkid": true, "yclid": true, "_ga": true,
	"mc_cid": true, "mc_eid": true, "igshid": true, "igsh": true, "ref_src": true, "ref_url": true, "__twitter_impression": true}

var hostTrackingParams = map[string][]string{
	"x.com":         {"s", "t", "ref"},
	"youtube.com":   {"si", "feature", "pp"},
	"facebook.com":  {"mibextid", "rdid", "share_url", "ref", "sfnsn"},
	"instagram.com": {"utm_source", "img_index", "hl"},
	"t.me":          {"single"},
}

// hostAliases map alternative host names to one.
var hostAliases = map[string]string{"twitter.com": "x.com", "fb.com": "facebook.com", "instagr.am": "instagram.com",
	"youtube-nocookie.com": "youtube.com", "telegram.me": "t.me"}

// NormalizeCaseURL returns the key by which a reported URL is compared
// with others: scheme dropped (http and https alike), host lower-cased
// without "www.", "m.", "mobile." or a default port and with aliases
// folded (twitter.com → x.com, fb.com → facebook.com, youtu.be/ID →
// youtube.com/watch?v=ID), the fragment and tracking parameters (utm_*,
// fbclid, igshid, si, …) dropped, the remaining query sorted, and a
// trailing slash removed. The path keeps its case, which most sites
// honour. It returns "" for a string that is not an absolute http(s) URL.
func NormalizeCaseURL(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	host = strings.TrimSuffix(host, ".")
	for _, p := range []string{"www.", "m.", "mobile.", "mbasic.", "web."} {
		if strings.HasPrefix(host, p) && strings.Count(host, ".") >= 2 {
			host = strings.TrimPrefix(host, p)
		}
	}
	if a, ok := hostAliases[host]; ok {
		host = a
	}
	if port := u.Port(); port != "" && port != "80" && port != "443" {
		host += ":" + port
	}
	p := u.EscapedPath()
	if p != "" {
		p = path.Clean(p)
	}
	q := u.Query()
	if host == "youtu.be" && len(p) > 1 {
		q.Set("v", strings.TrimPrefix(p, "/"))
		host, p = "youtube.com", "/watch"
	}
	if host == "youtube.com" && strings.HasPrefix(p, "/shorts/") {
		q.Set("v", strings.TrimPrefix(p, "/shorts/"))
		p = "/watch"
	}
	for k := range q {
		if l := strings.ToLower(k); trackingParams[l] || strings.HasPrefix(l, "utm_") || slices.Contains(hostTrackingParams[host], l) {
			q.Del(k)
		}
	}
	p = strings.TrimSuffix(p, "/")
	key := host + p
	if len(q) > 0 {
		key += "?" + q.Encode() // Encode sorts by key
	}
	return key
}
