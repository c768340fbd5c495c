package publisher

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The rebuttal desk's workflow: intake, triage and assignment, facts and
// sources, the clarification, follow-up actions and closure. Every change
// is one optimistic write of the case together with its trail events.

// Steps of the case state machine. User steps: triage_in, triage_out,
// draft, close. Steps that follow the clarification post: submit, approve,
// send_back, reopen_review, publish, cancel_clarification.
const (
	stepTriageIn            = "triage_in"
	stepTriageOut           = "triage_out"
	stepDraft               = "draft"
	stepSubmit              = "submit"
	stepApprove             = "approve"
	stepSendBack            = "send_back"
	stepReopenReview        = "reopen_review"
	stepPublish             = "publish"
	stepCancelClarification = "cancel_clarification"
	stepClose               = "close"
)

// caseSteps is the state machine: for each status, the steps allowed from
// it and the status each leads to. Nothing else moves a case.
var caseSteps = map[CaseStatus]map[string]CaseStatus{
	CaseNew:           {stepTriageIn: CaseAssigned, stepTriageOut: CaseNotActionable},
	CaseNotActionable: {stepClose: CaseClosed},
	CaseAssigned:      {stepDraft: CaseDrafting},
	CaseDrafting:      {stepSubmit: CaseInReview, stepCancelClarification: CaseAssigned},
	CaseInReview:      {stepApprove: CaseApproved, stepSendBack: CaseDrafting, stepCancelClarification: CaseAssigned},
	CaseApproved:      {stepPublish: CasePublished, stepReopenReview: CaseInReview, stepCancelClarification: CaseAssigned},
	CasePublished:     {stepClose: CaseClosed},
	CaseClosed:        {},
}

// postSteps are the steps that follow the clarification post.
var postSteps = []string{stepSubmit, stepApprove, stepSendBack, stepReopenReview, stepPublish, stepCancelClarification}

// stepWords says what a step does, for error messages.
var stepWords = map[string]string{
	stepTriageIn: "triage the case", stepTriageOut: "triage the case", stepDraft: "draft a clarification",
	stepSubmit: "submit the clarification", stepApprove: "approve the clarification", stepSendBack: "send the clarification back",
	stepReopenReview: "reopen the clarification's review", stepPublish: "publish the clarification",
	stepCancelClarification: "cancel the clarification", stepClose: "close the case",
}

// CaseTransition returns the status step leads to from status from, or an
// ECONFLICT error naming the current status and the statuses the step is
// allowed in (EINVALID for an unknown step).
func CaseTransition(from CaseStatus, step string) (CaseStatus, error) {
	words, known := stepWords[step]
	if !known {
		return "", Errorf(EINVALID, "Unknown step %q.", step)
	}
	if to, ok := caseSteps[from][step]; ok {
		return to, nil
	}
	var allowed []string
	for _, st := range CaseStatuses {
		if _, ok := caseSteps[st][step]; ok {
			allowed = append(allowed, string(st))
		}
	}
	return "", Errorf(ECONFLICT, "Cannot %s: the case is %s (possible only when it is %s).", words, from, strings.Join(allowed, " or "))
}

// casePath returns the post-driven steps that lead from one status to
// another (shortest first), or nil if none do.
func casePath(from, to CaseStatus) []string {
	if from == to {
		return []string{}
	}
	type node struct {
		st   CaseStatus
		path []string
	}
	seen := map[CaseStatus]bool{from: true}
	q := []node{{from, nil}}
	for len(q) > 0 {
		n := q[0]
		q = q[1:]
		for _, step := range postSteps {
			next, ok := caseSteps[n.st][step]
			if !ok || seen[next] {
				continue
			}
			p := append(slices.Clone(n.path), step)
			if next == to {
				return p
			}
			seen[next] = true
			q = append(q, node{next, p})
		}
	}
	return nil
}

// Limits of the case forms.
const (
	maxCaseURLs        = 20
	maxCaseScreenshots = 5
	maxSummaryRunes    = 2000
	maxNoteRunes       = 4000
	maxFactsRunes      = 5000
	maxSources         = 10
)

// CaseInput is what intake records.
type CaseInput struct {
	OrgID         string    `json:"orgId"`
	Type          CaseType  `json:"type"`
	Platform      string    `json:"platform"`
	Media         CaseMedia `json:"media"`
	Language      string    `json:"language"`
	URLs          []string  `json:"urls"`
	ScreenshotIDs []string  `json:"screenshotIds"`
	Summary       string    `json:"summary"`
	WhereSeen     string    `json:"whereSeen"`
	District      string    `json:"district"`
	// DuplicateOf answers the duplicate warning: the id of the case (among
	// those whose URLs match) this report is of. An open case takes the
	// report in; a closed one gets a new case linked to it.
	DuplicateOf string `json:"duplicateOf,omitempty"`
}

// CaseMatch is an existing case that has one of the URLs being checked.
type CaseMatch struct {
	URL     string     `json:"url"`              // as given
	Key     string     `json:"key"`              // its normalised form
	CaseID  string     `json:"caseId,omitempty"` // empty when the case is another organisation's
	Ref     string     `json:"ref"`
	Status  CaseStatus `json:"status"`
	Visible bool       `json:"visible"` // whether the user may open the case
}

// loadCase returns a case the user may see, or ENOTFOUND.
func (s *Service) loadCase(ctx context.Context, u *User, id string) (*Case, error) {
	if !ValidID(id) {
		return nil, Errorf(ENOTFOUND, "No such case.")
	}
	c, err := s.store.GetCase(ctx, id)
	if IsCode(err, ENOTFOUND) || (err == nil && !canSeeOrg(u, c.OrgID)) {
		return nil, Errorf(ENOTFOUND, "No such case.")
	}
	return c, err
}

// caseURLs validates and normalises reported URLs: each must be an
// absolute http(s) address; repeats (by key) are dropped.
func caseURLs(raw []string, fe *fieldErrors) (urls, keys []string) {
	if len(raw) > maxCaseURLs {
		fe.add("urls", "too_many", fmt.Sprintf("Give at most %d addresses.", maxCaseURLs), "limit", strconv.Itoa(maxCaseURLs))
		return nil, nil
	}
	seen := map[string]bool{}
	for i, r := range raw {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		k := NormalizeCaseURL(r)
		if k == "" || len(r) > maxLinkLen {
			fe.add(fmt.Sprintf("urls[%d]", i), "invalid_url", "Enter a full web address starting with https://.")
			continue
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		urls, keys = append(urls, r), append(keys, k)
	}
	return urls, keys
}

// CheckCaseURLs finds the cases that already have any of the given URLs,
// for the intake form's duplicate warning. Cases of organisations the user
// cannot see are named by reference only.
func (s *Service) CheckCaseURLs(ctx context.Context, raw []string) ([]CaseMatch, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var fe fieldErrors
	urls, keys := caseURLs(raw, &fe)
	if err := fe.err("The addresses need correcting."); err != nil {
		return nil, err
	}
	return s.matchURLs(ctx, u, urls, keys)
}

func (s *Service) matchURLs(ctx context.Context, u *User, urls, keys []string) ([]CaseMatch, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	cs, err := s.store.FindCasesByURL(ctx, keys)
	if err != nil {
		return nil, err
	}
	var out []CaseMatch
	for i, k := range keys {
		for _, c := range cs {
			if !slices.Contains(c.URLKeys, k) {
				continue
			}
			m := CaseMatch{URL: urls[i], Key: k, Ref: c.Ref, Status: c.Status, Visible: canSeeOrg(u, c.OrgID)}
			if m.Visible {
				m.CaseID = c.ID
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// caseRef makes a case's human-readable reference from its intake time (IST
// date) and the random end of its id.
func caseRef(id string, at time.Time) string {
	tail := id
	if len(tail) > 5 {
		tail = tail[len(tail)-5:]
	}
	return "FN-" + at.In(IST).Format("20060102") + "-" + strings.ToUpper(tail)
}

// CreateCase logs a reported fake item. Administrators (the Digital Media
// Section) log cases for any organisation, editors for their own. If one of
// its URLs is already in a case, the report is refused with a
// "duplicate_url" field error naming the case, unless in.DuplicateOf names
// that case: then an open case takes the report in (linked is true and the
// existing case is returned), and a closed one gets a new case linked to it.
func (s *Service) CreateCase(ctx context.Context, in CaseInput) (c *Case, linked bool, err error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, false, err
	}
	if u.Role != RoleAdmin && u.Role != RoleEditor {
		return nil, false, Errorf(EFORBIDDEN, "Only the Digital Media Section and organisations' editors log cases.")
	}
	if in.OrgID == "" {
		in.OrgID = u.OrgID
	}
	var fe fieldErrors
	if in.OrgID == "" {
		fe.add("orgId", "required", "Choose the organisation the item is about.")
	} else if !canWriteFor(u, in.OrgID) {
		fe.add("orgId", "unknown_org", "Choose your organisation.")
	} else if _, err := s.store.GetOrg(ctx, in.OrgID); IsCode(err, ENOTFOUND) {
		fe.add("orgId", "unknown_org", "No such organisation.")
	} else if err != nil {
		return nil, false, err
	}
	if !in.Type.Valid() {
		fe.add("type", "invalid_choice", "Choose what kind of fake it is.")
	}
	if !slices.Contains(CasePlatforms, in.Platform) {
		fe.add("platform", "invalid_choice", "Choose where it appeared.")
	}
	if !in.Media.Valid() {
		fe.add("media", "invalid_choice", "Choose digital, TV or print.")
	}
	if !slices.Contains(CaseLanguages, in.Language) {
		fe.add("language", "invalid_choice", "Choose the item's language.")
	}
	in.Summary = strings.TrimSpace(in.Summary)
	in.WhereSeen = strings.TrimSpace(in.WhereSeen)
	in.District = strings.TrimSpace(in.District)
	if in.Summary == "" {
		fe.add("summary", "required", "Say in a few words what the item claims.")
	} else if utf8.RuneCountInString(in.Summary) > maxSummaryRunes {
		fe.add("summary", "too_long", fmt.Sprintf("The summary is longer than %d characters.", maxSummaryRunes), "limit", strconv.Itoa(maxSummaryRunes))
	}
	if utf8.RuneCountInString(in.WhereSeen) > 500 {
		fe.add("whereSeen", "too_long", "This is longer than 500 characters.", "limit", "500")
	}
	if utf8.RuneCountInString(in.District) > 100 {
		fe.add("district", "too_long", "This is longer than 100 characters.", "limit", "100")
	}
	urls, keys := caseURLs(in.URLs, &fe)
	in.ScreenshotIDs = dedupeCaseIDs(in.ScreenshotIDs)
	if len(in.ScreenshotIDs) > maxCaseScreenshots {
		fe.add("screenshotIds", "too_many", fmt.Sprintf("Attach at most %d screenshots.", maxCaseScreenshots), "limit", strconv.Itoa(maxCaseScreenshots))
	} else {
		for i, id := range in.ScreenshotIDs {
			var m *Media
			if ValidID(id) {
				m, err = s.store.GetMedia(ctx, id)
				if err != nil && !IsCode(err, ENOTFOUND) {
					return nil, false, err
				}
			}
			if m == nil || m.OrgID != in.OrgID {
				fe.add(fmt.Sprintf("screenshotIds[%d]", i), "unknown_media", "This screenshot is not among the organisation's uploads.")
			}
		}
	}
	if len(urls) == 0 && len(in.ScreenshotIDs) == 0 && !caseHasField(fe, "urls") {
		fe.add("urls", "required", "Give the item's address, or attach a screenshot (or a photograph of the print item).")
	}
	if err := fe.err("The report needs correcting before it can be logged."); err != nil {
		return nil, false, err
	}

	// Duplicates, across open and closed cases.
	matches, err := s.matchURLs(ctx, u, urls, keys)
	if err != nil {
		return nil, false, err
	}
	var dup *Case
	if len(matches) > 0 {
		if in.DuplicateOf != "" {
			for _, m := range matches {
				if m.CaseID == in.DuplicateOf {
					if dup, err = s.store.GetCase(ctx, m.CaseID); err != nil {
						return nil, false, err
					}
					break
				}
			}
		}
		if dup == nil {
			for _, m := range matches {
				i := slices.Index(keys, m.Key)
				params := []string{"caseRef", m.Ref, "status", string(m.Status)}
				if m.Visible {
					params = append(params, "caseId", m.CaseID)
				}
				fe.add(fmt.Sprintf("urls[%d]", i), "duplicate_url", fmt.Sprintf("This address is already in case %s.", m.Ref), params...)
			}
			return nil, false, fe.err("This item has been reported before.")
		}
	}
	now := s.now().UTC()
	if dup != nil && dup.Status != CaseClosed {
		c, err := s.linkReport(ctx, u, dup.ID, in, urls, keys)
		return c, true, err
	}

	id := NewID()
	window := s.cfg.Cases.Window(in.Media)
	dms := s.cfg.Cases.EscalateDMSAfter
	if dms <= 0 {
		dms = window
	}
	c = &Case{ID: id, Ref: caseRef(id, now), OrgID: in.OrgID, Status: CaseNew, Type: in.Type, Platform: in.Platform, Media: in.Media,
		Language: in.Language, URLs: urls, URLKeys: keys, ScreenshotIDs: in.ScreenshotIDs, Summary: in.Summary, WhereSeen: in.WhereSeen,
		District: in.District, ReportedBy: u.ID, ReportedByName: u.Name, ReportedAt: now, DeadlineAt: now.Add(window),
		EscalateDMSAt: now.Add(window + dms), CreatedAt: now, UpdatedAt: now}
	details := map[string]string{"type": string(c.Type), "platform": c.Platform, "media": string(c.Media), "deadline": c.DeadlineAt.Format(time.RFC3339),
		"urls": strings.Join(c.URLs, " ")}
	if dup != nil {
		c.DuplicateOf = dup.ID
		details["duplicateOf"] = dup.Ref
	}
	evs := []*CaseEvent{{Kind: "intake", To: CaseNew, Note: c.Summary, Details: details}}
	s.stampEvents(u, c, evs, now)
	if err := s.store.CreateCase(ctx, c, evs); err != nil {
		return nil, false, err
	}
	s.audit(ctx, "case.create", "case", c.ID, c.OrgID, map[string]string{"ref": c.Ref})
	if dup != nil {
		// The old case's trail says the item resurfaced.
		_, err := s.changeCaseAs(ctx, u, dup.ID, false, func(old *Case, now time.Time) ([]*CaseEvent, error) {
			return []*CaseEvent{{Kind: "linked_report", Note: "The item was reported again after this case was closed: new case " + c.Ref + ".",
				Details: map[string]string{"caseId": c.ID, "caseRef": c.Ref}}}, nil
		})
		if err != nil {
			s.log.WarnContext(ctx, "noting a resurfaced item on its closed case failed", "case_id", dup.ID, "err", err)
		}
	}
	if _, err := s.Notify(ctx, Recipients{Roles: []Role{RoleAdmin}}, c.OrgID, "case.new",
		"नया फेक न्यूज़ मामला / New fake-news case "+c.Ref,
		fmt.Sprintf("%s\n\nडिजिटल मीडिया अनुभाग द्वारा जाँच (ट्राइएज) की प्रतीक्षा। समय-सीमा: %s\nWaiting for triage by the Digital Media Section. Deadline: %s",
			c.Summary, FormatIST(c.DeadlineAt), FormatIST(c.DeadlineAt)), "/cases/"+c.ID); err != nil {
		s.log.WarnContext(ctx, "notifying the Digital Media Section of a new case failed", "case_id", c.ID, "err", err)
	}
	return c, false, nil
}

// linkReport merges a further report of the same item into an open case.
func (s *Service) linkReport(ctx context.Context, u *User, id string, in CaseInput, urls, keys []string) (*Case, error) {
	return s.changeCaseAs(ctx, u, id, false, func(c *Case, now time.Time) ([]*CaseEvent, error) {
		var added []string
		for i, k := range keys {
			if !slices.Contains(c.URLKeys, k) {
				c.URLKeys, c.URLs = append(c.URLKeys, k), append(c.URLs, urls[i])
				added = append(added, urls[i])
			}
		}
		if in.OrgID == c.OrgID {
			for _, m := range in.ScreenshotIDs {
				if !slices.Contains(c.ScreenshotIDs, m) && len(c.ScreenshotIDs) < 2*maxCaseScreenshots {
					c.ScreenshotIDs = append(c.ScreenshotIDs, m)
				}
			}
		}
		c.LinkedReports++
		d := map[string]string{"platform": in.Platform, "media": string(in.Media), "whereSeen": in.WhereSeen}
		if len(added) > 0 {
			d["addedUrls"] = strings.Join(added, " ")
		}
		return []*CaseEvent{{Kind: "linked_report", Note: in.Summary, Details: d}}, nil
	})
}

// changeCase loads a case the signed-in user may see, brings it up to date
// with its clarification post, lets fn check and change it, and writes it
// with fn's events. fn returning no events means nothing changed. On a
// version conflict it starts again on a fresh copy (fn runs again).
func (s *Service) changeCase(ctx context.Context, id string, fn func(u *User, c *Case, now time.Time) ([]*CaseEvent, error)) (*Case, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	return s.changeCaseAs(ctx, u, id, true, func(c *Case, now time.Time) ([]*CaseEvent, error) { return fn(u, c, now) })
}

func (s *Service) changeCaseAs(ctx context.Context, u *User, id string, scoped bool, fn func(c *Case, now time.Time) ([]*CaseEvent, error)) (*Case, error) {
	for try := 0; ; try++ {
		var c *Case
		var err error
		if scoped {
			c, err = s.loadCase(ctx, u, id)
		} else {
			c, err = s.store.GetCase(ctx, id)
		}
		if err != nil {
			return nil, err
		}
		if c, err = s.syncCase(ctx, c); err != nil {
			return nil, err
		}
		now := s.now().UTC()
		evs, err := fn(c, now)
		if err != nil || len(evs) == 0 {
			return c, err
		}
		c.UpdatedAt = now
		s.stampEvents(u, c, evs, now)
		err = s.store.UpdateCase(ctx, c, evs)
		if IsCode(err, ECONFLICT) {
			if try < 3 {
				continue
			}
			return nil, Errorf(ECONFLICT, "Somebody changed this case at the same time. Reload it and try again.")
		}
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			s.audit(ctx, "case."+e.Kind, "case", c.ID, c.OrgID, caseAuditDetails(e))
		}
		return c, nil
	}
}

func caseAuditDetails(e *CaseEvent) map[string]string {
	d := map[string]string{"seq": strconv.Itoa(e.Seq)}
	if e.From != "" || e.To != "" {
		d["from"], d["to"] = string(e.From), string(e.To)
	}
	return d
}

// stampEvents numbers new events after the case's last, fills in the
// actor and time where missing, and chains their hashes.
func (s *Service) stampEvents(u *User, c *Case, evs []*CaseEvent, now time.Time) {
	for _, e := range evs {
		c.Events++
		e.ID, e.CaseID, e.Seq = NewID(), c.ID, c.Events
		if e.At.IsZero() {
			e.At = now
		}
		e.At = e.At.UTC().Truncate(time.Millisecond) // as the stores keep it, so that the hash verifies after a round trip
		if e.ActorID == "" && u != nil {
			e.ActorID, e.ActorName, e.ActorRole = u.ID, u.Name, u.Role
		}
		e.Hash = caseEventHash(c.LastHash, e)
		c.LastHash = e.Hash
	}
}

// caseEventHash is the hex SHA-256 of the previous event's hash and the
// event's content (all fields but the hash itself).
func caseEventHash(prev string, e *CaseEvent) string {
	x := *e
	x.Hash = ""
	x.At = x.At.UTC()
	b, _ := json.Marshal(&x)
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// VerifyCaseTrail checks that a case's trail is complete and unchanged:
// events numbered 1…n without a gap and each hash chained to the one
// before. It returns nil or an error saying where the chain breaks.
func VerifyCaseTrail(c *Case, evs []*CaseEvent) error {
	prev := ""
	for i, e := range evs {
		if e.Seq != i+1 {
			return fmt.Errorf("event %d is missing (found %d in its place)", i+1, e.Seq)
		}
		if e.CaseID != c.ID {
			return fmt.Errorf("event %d belongs to another case", e.Seq)
		}
		if got := caseEventHash(prev, e); got != e.Hash {
			return fmt.Errorf("event %d does not match its hash", e.Seq)
		}
		prev = e.Hash
	}
	if len(evs) != c.Events {
		return fmt.Errorf("the trail has %d events, the case counts %d", len(evs), c.Events)
	}
	if prev != c.LastHash {
		return fmt.Errorf("the last event's hash is not the case's")
	}
	return nil
}

// GetCase returns a case the signed-in user may see, brought up to date
// with its clarification post; ENOTFOUND otherwise.
func (s *Service) GetCase(ctx context.Context, id string) (*Case, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.loadCase(ctx, u, id)
	if err != nil {
		return nil, err
	}
	return s.syncCase(ctx, c)
}

// ListCaseEvents returns a case's trail, oldest first.
func (s *Service) ListCaseEvents(ctx context.Context, id string) ([]*CaseEvent, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.loadCase(ctx, u, id); err != nil {
		return nil, err
	}
	return s.store.ListCaseEvents(ctx, id)
}

// ListCases returns the cases the signed-in user may see (editors: their
// organisation's) and the number of matches.
func (s *Service) ListCases(ctx context.Context, f CaseFilter) ([]*Case, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	if u.Role == RoleEditor {
		if f.OrgID != "" && f.OrgID != u.OrgID {
			return nil, 0, nil
		}
		f.OrgID = u.OrgID
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	cs, total, err := s.store.ListCases(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	for i, c := range cs {
		if cs[i], err = s.syncCase(ctx, c); err != nil {
			return nil, 0, err
		}
	}
	return cs, total, nil
}

// TriageInput is the outcome of triage.
type TriageInput struct {
	InScope    bool   `json:"inScope"`
	Actionable bool   `json:"actionable"`
	Reason     string `json:"reason"`
	// OrgID, if set, corrects the organisation the item concerns.
	OrgID string `json:"orgId,omitempty"`
}

// TriageCase records whether a new case is in scope and actionable. The PR
// section (administrators and approvers) triages. An actionable case is
// assigned to its organisation's current nodal and alternate officers, who
// are notified; otherwise it stops (not_actionable) with the reason.
func (s *Service) TriageCase(ctx context.Context, id string, in TriageInput) (*Case, error) {
	var notify []string
	c, err := s.changeCase(ctx, id, func(u *User, c *Case, now time.Time) ([]*CaseEvent, error) {
		if !canReview(u) {
			return nil, Errorf(EFORBIDDEN, "Only the Digital Media Section and the PR section triage cases.")
		}
		if !in.InScope {
			in.Actionable = false
		}
		step := stepTriageOut
		if in.Actionable {
			step = stepTriageIn
		}
		to, err := CaseTransition(c.Status, step)
		if err != nil {
			return nil, err
		}
		var fe fieldErrors
		in.Reason = strings.TrimSpace(in.Reason)
		if !in.Actionable && in.Reason == "" {
			fe.add("reason", "required", "Say why the item is out of scope or not actionable.")
		} else if utf8.RuneCountInString(in.Reason) > maxNoteRunes {
			fe.add("reason", "too_long", fmt.Sprintf("The reason is longer than %d characters.", maxNoteRunes), "limit", strconv.Itoa(maxNoteRunes))
		}
		orgChanged := in.OrgID != "" && in.OrgID != c.OrgID
		if orgChanged {
			if _, err := s.store.GetOrg(ctx, in.OrgID); IsCode(err, ENOTFOUND) || !ValidID(in.OrgID) {
				fe.add("orgId", "unknown_org", "No such organisation.")
			} else if err != nil {
				return nil, err
			}
		}
		if err := fe.err("The triage needs correcting."); err != nil {
			return nil, err
		}
		d := map[string]string{"inScope": strconv.FormatBool(in.InScope), "actionable": strconv.FormatBool(in.Actionable)}
		if orgChanged {
			d["fromOrg"], d["toOrg"] = c.OrgID, in.OrgID
			c.OrgID = in.OrgID
		}
		c.Triage = &CaseTriage{InScope: in.InScope, Actionable: in.Actionable, Reason: in.Reason, ByID: u.ID, ByName: u.Name, At: now}
		evs := []*CaseEvent{{Kind: "triage", From: c.Status, To: to, Note: in.Reason, Details: d}}
		c.Status = to
		if to == CaseAssigned {
			ev, users, err := s.assignCase(ctx, c, now, "Assigned to the organisation's nodal officer.")
			if err != nil {
				return nil, err
			}
			evs, notify = append(evs, ev), users
		}
		return evs, nil
	})
	if err != nil {
		return nil, err
	}
	if c.Status == CaseAssigned {
		s.notifyAssigned(ctx, c, notify)
	}
	return c, nil
}

// assignCase sets a case's assignment to its organisation's current nodal and
// alternate officers and returns the trail event and the users to notify
// (the officers' user accounts, or the organisation's editors when the
// officers have none).
func (s *Service) assignCase(ctx context.Context, c *Case, now time.Time, note string) (*CaseEvent, []string, error) {
	os, err := s.store.ListOfficers(ctx, OfficerFilter{OrgID: c.OrgID, CurrentAt: now})
	if err != nil {
		return nil, nil, err
	}
	a := &CaseAssignment{At: now}
	for _, o := range os {
		switch {
		case o.Kind == OfficerNodal && a.NodalOfficerID == "":
			a.NodalOfficerID, a.NodalName = o.ID, o.Name
		case o.Kind == OfficerAlternate && a.AlternateOfficerID == "":
			a.AlternateOfficerID, a.AlternateName = o.ID, o.Name
		}
	}
	users, err := s.resolveRecipients(ctx, Recipients{OrgOfficers: c.OrgID})
	if err != nil {
		return nil, nil, err
	}
	var ids []string
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	a.Notified = len(ids)
	c.Assignment = a
	if c.AssignedAt == nil {
		c.AssignedAt = &now
	}
	d := map[string]string{"nodal": a.NodalName, "alternate": a.AlternateName, "notified": strconv.Itoa(len(ids))}
	if a.NodalOfficerID == "" {
		note += " The organisation has no current nodal officer in the registry: its editors were notified."
	}
	return &CaseEvent{Kind: "assign", Note: note, Details: d}, ids, nil
}

func (s *Service) notifyAssigned(ctx context.Context, c *Case, users []string) {
	if len(users) == 0 {
		users = nil
	}
	n, err := s.Notify(ctx, Recipients{UserIDs: users, OrgOfficers: caseOrgIfNone(users, c.OrgID)}, c.OrgID, "case.assigned",
		"फेक न्यूज़ मामला सौंपा गया / Fake-news case assigned: "+c.Ref,
		fmt.Sprintf("%s\n\nस्पष्टीकरण %s तक प्रकाशित होना चाहिए।\nThe clarification must be live by %s. Add the facts and their official source, then draft the clarification.",
			c.Summary, FormatIST(c.DeadlineAt), FormatIST(c.DeadlineAt)), "/cases/"+c.ID)
	if err != nil {
		s.log.WarnContext(ctx, "notifying the assigned officers failed", "case_id", c.ID, "err", err)
	} else if n == 0 {
		s.log.WarnContext(ctx, "a case was assigned to an organisation without officers or editors to notify", "case_id", c.ID, "org_id", c.OrgID)
	}
}

func caseOrgIfNone(users []string, orgID string) string {
	if len(users) == 0 {
		return orgID
	}
	return ""
}

// ReassignCase assigns a case again to its organisation's current nodal
// and alternate officers (after a transfer), and notifies them.
// Administrators only.
func (s *Service) ReassignCase(ctx context.Context, id string) (*Case, error) {
	var notify []string
	c, err := s.changeCase(ctx, id, func(u *User, c *Case, now time.Time) ([]*CaseEvent, error) {
		if u.Role != RoleAdmin {
			return nil, Errorf(EFORBIDDEN, "Only the Digital Media Section reassigns cases.")
		}
		switch c.Status {
		case CaseAssigned, CaseDrafting, CaseInReview, CaseApproved:
		default:
			return nil, Errorf(ECONFLICT, "Cannot reassign the case: it is %s (possible only while it is assigned, drafting, in_review or approved).", c.Status)
		}
		ev, users, err := s.assignCase(ctx, c, now, "Reassigned to the organisation's current officers.")
		notify = users
		return []*CaseEvent{ev}, err
	})
	if err != nil {
		return nil, err
	}
	s.notifyAssigned(ctx, c, notify)
	return c, nil
}

// CaseFactsInput is what the nodal officer establishes: the facts and the
// official sources they rest on.
type CaseFactsInput struct {
	Facts   string       `json:"facts"`
	Sources []CaseSource `json:"sources"`
}

// SetCaseFacts records the facts of a case and their official sources
// (circular, gazette notification, order, press release, website). A
// clarification can be drafted only once there is a source. The
// organisation's editors and administrators, while the case is assigned and
// until it closes.
func (s *Service) SetCaseFacts(ctx context.Context, id string, in CaseFactsInput) (*Case, error) {
	return s.changeCase(ctx, id, func(u *User, c *Case, now time.Time) ([]*CaseEvent, error) {
		if !canWriteFor(u, c.OrgID) {
			return nil, Errorf(EFORBIDDEN, "Only the organisation's officers and the Digital Media Section record the facts.")
		}
		switch c.Status {
		case CaseAssigned, CaseDrafting, CaseInReview, CaseApproved, CasePublished:
		default:
			return nil, Errorf(ECONFLICT, "Cannot record facts: the case is %s (possible from assignment until it is closed).", c.Status)
		}
		var fe fieldErrors
		in.Facts = strings.TrimSpace(in.Facts)
		if utf8.RuneCountInString(in.Facts) > maxFactsRunes {
			fe.add("facts", "too_long", fmt.Sprintf("The facts are longer than %d characters.", maxFactsRunes), "limit", strconv.Itoa(maxFactsRunes))
		}
		if len(in.Sources) == 0 {
			fe.add("sources", "required", "Add the official source of the facts: a circular, gazette notification, order, press release or website.")
		} else if len(in.Sources) > maxSources {
			fe.add("sources", "too_many", fmt.Sprintf("Give at most %d sources.", maxSources), "limit", strconv.Itoa(maxSources))
		}
		for i := range in.Sources {
			validateCaseSource(&in.Sources[i], fmt.Sprintf("sources[%d]", i), &fe)
		}
		if err := fe.err("The facts need correcting."); err != nil {
			return nil, err
		}
		c.Facts, c.Sources = in.Facts, in.Sources
		var titles []string
		for _, src := range in.Sources {
			titles = append(titles, src.Title)
		}
		return []*CaseEvent{{Kind: "facts", Note: in.Facts, Details: map[string]string{"sources": strings.Join(titles, "; ")}}}, nil
	})
}

func validateCaseSource(src *CaseSource, field string, fe *fieldErrors) {
	src.Kind, src.Title, src.URL, src.Ref = strings.TrimSpace(src.Kind), strings.TrimSpace(src.Title), strings.TrimSpace(src.URL), strings.TrimSpace(src.Ref)
	if !slices.Contains(SourceKinds, src.Kind) {
		fe.add(field+".kind", "invalid_choice", "Choose the kind of source.")
	}
	if src.Title == "" {
		fe.add(field+".title", "required", "Name the source (for example the circular's number and date).")
	} else if utf8.RuneCountInString(src.Title) > 300 {
		fe.add(field+".title", "too_long", "This is longer than 300 characters.", "limit", "300")
	}
	if src.URL != "" {
		if u, err := url.Parse(src.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(src.URL) > maxLinkLen {
			fe.add(field+".url", "invalid_url", "Enter a full web address starting with https://.")
		}
	}
	if src.URL == "" && src.Ref == "" {
		fe.add(field+".url", "required", "Give the source's web address, or its number and date.")
	}
	if utf8.RuneCountInString(src.Ref) > 300 {
		fe.add(field+".ref", "too_long", "This is longer than 300 characters.", "limit", "300")
	}
}

// ClarificationInput drafts a clarification for a case.
type ClarificationInput struct {
	Post PostInput `json:"post"`
	// ForPR drafts it for the PR department's own accounts (a second
	// clarification, once the organisation's exists).
	ForPR bool `json:"forPr"`
}

// DraftClarification creates the case's clarification: a post of kind
// "clarification" linked to the case, of the case's organisation (or, with
// ForPR, of the PR department), which then goes through the normal review
// and fan-out. The case moves to drafting, and follows the post from then
// on. The case must have the facts' official source.
func (s *Service) DraftClarification(ctx context.Context, id string, in ClarificationInput) (*Case, *Post, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.GetCase(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	orgID := c.OrgID
	if in.ForPR {
		pr, err := s.store.GetOrgByCode(ctx, s.cfg.Cases.PROrgCode)
		if IsCode(err, ENOTFOUND) {
			return nil, nil, Errorf(EINVALID, "There is no PR department (code %s) in the registry.", s.cfg.Cases.PROrgCode)
		} else if err != nil {
			return nil, nil, err
		}
		orgID = pr.ID
	}
	if err := s.checkDraft(u, c, orgID, in.ForPR); err != nil {
		return nil, nil, err
	}
	in.Post.Kind, in.Post.CaseID, in.Post.OrgID = KindClarification, c.ID, orgID
	p, err := s.CreatePost(ctx, in.Post)
	if err != nil {
		return nil, nil, err
	}
	c, err = s.changeCase(ctx, id, func(u *User, c *Case, now time.Time) ([]*CaseEvent, error) {
		if err := s.checkDraft(u, c, orgID, in.ForPR); err != nil {
			return nil, err
		}
		d := map[string]string{"postId": p.ID, "orgId": orgID}
		if in.ForPR {
			c.ExtraPostIDs = append(c.ExtraPostIDs, p.ID)
			return []*CaseEvent{{Kind: "clarification", Note: "Clarification drafted for the PR department's accounts: " + p.Title, Details: d}}, nil
		}
		to, err := CaseTransition(c.Status, stepDraft)
		if err != nil {
			return nil, err
		}
		ev := &CaseEvent{Kind: "clarification", From: c.Status, To: to, Note: "Clarification drafted: " + p.Title, Details: d}
		c.Status, c.ClarificationPostID = to, p.ID
		return []*CaseEvent{ev}, nil
	})
	if err != nil {
		// The post must not stay behind unlinked.
		if _, cerr := s.CancelPost(SystemContext(ctx), p.ID, p.Revision, "The case could not take this clarification."); cerr != nil {
			s.log.ErrorContext(ctx, "cancelling an unlinked clarification failed", "post_id", p.ID, "err", cerr)
		}
		return nil, nil, err
	}
	return c, p, nil
}

// checkDraft checks that u may draft a clarification of orgID for c now.
func (s *Service) checkDraft(u *User, c *Case, orgID string, forPR bool) error {
	if !canWriteFor(u, orgID) {
		if forPR {
			return Errorf(EFORBIDDEN, "Only the Digital Media Section drafts clarifications for the PR department's accounts.")
		}
		return Errorf(EFORBIDDEN, "Only the organisation's officers and the Digital Media Section draft its clarifications.")
	}
	if forPR {
		switch c.Status {
		case CaseDrafting, CaseInReview, CaseApproved, CasePublished:
		default:
			return Errorf(ECONFLICT, "Cannot draft a clarification for the PR department's accounts: the case is %s (possible once the organisation's clarification exists, until the case is closed).", c.Status)
		}
		if orgID == c.OrgID {
			return Errorf(ECONFLICT, "The case's organisation is the PR department; its clarification is the case's own.")
		}
		return nil
	}
	if _, err := CaseTransition(c.Status, stepDraft); err != nil {
		return err
	}
	if len(c.Sources) == 0 {
		return &Error{Code: EINVALID, Message: "Record the facts and their official source before drafting the clarification.",
			Fields: []FieldError{{Field: "sources", Code: "required", Message: "Add the official source of the facts: a circular, gazette notification, order, press release or website."}}}
	}
	return nil
}

// CaseActionInput logs a follow-up action.
type CaseActionInput struct {
	Kind      CaseActionKind `json:"kind"`
	Note      string         `json:"note"`
	Reference string         `json:"reference"`
	// Takedown requests only.
	OfficerName        string      `json:"officerName"`
	OfficerDesignation string      `json:"officerDesignation"`
	OfficerRank        OfficerRank `json:"officerRank"`
	// NoJointSecretary confirms that a Director issues the request because
	// the department has no Joint Secretary.
	NoJointSecretary bool   `json:"noJointSecretary"`
	LegalBasis       string `json:"legalBasis"`
	Reasons          string `json:"reasons"`
}

// AddCaseAction logs a follow-up action: the outlet asked to correct, a
// referral to the police or cyber cell or to PIB, a platform impersonation
// report, or a takedown request — which only an officer not below Joint
// Secretary (or Director where there is none) or a police officer not below
// DIG may issue, with its legal basis and reasons recorded. The
// organisation's editors and administrators, until the case is closed.
func (s *Service) AddCaseAction(ctx context.Context, id string, in CaseActionInput) (*Case, error) {
	return s.changeCase(ctx, id, func(u *User, c *Case, now time.Time) ([]*CaseEvent, error) {
		if !canWriteFor(u, c.OrgID) {
			return nil, Errorf(EFORBIDDEN, "Only the organisation's officers and the Digital Media Section log follow-up actions.")
		}
		if c.Status == CaseClosed {
			return nil, Errorf(ECONFLICT, "Cannot log a follow-up action: the case is closed.")
		}
		a, err := validateCaseAction(in)
		if err != nil {
			return nil, err
		}
		a.ID, a.At, a.ByID, a.ByName = NewID(), now, u.ID, u.Name
		c.Actions = append(c.Actions, a)
		d := map[string]string{"action": string(a.Kind)}
		if a.Reference != "" {
			d["reference"] = a.Reference
		}
		if a.Kind == ActionTakedownRequest {
			d["officer"], d["designation"], d["rank"], d["legalBasis"], d["reasons"] = a.OfficerName, a.OfficerDesignation, string(a.OfficerRank), a.LegalBasis, a.Reasons
		}
		return []*CaseEvent{{Kind: "action", Note: a.Note, Details: d}}, nil
	})
}

func validateCaseAction(in CaseActionInput) (CaseAction, error) {
	var fe fieldErrors
	trim := func(s *string) { *s = strings.TrimSpace(*s) }
	for _, p := range []*string{&in.Note, &in.Reference, &in.OfficerName, &in.OfficerDesignation, &in.LegalBasis, &in.Reasons} {
		trim(p)
	}
	if !in.Kind.Valid() {
		fe.add("kind", "invalid_choice", "Choose the action taken.")
	}
	if in.Note == "" {
		fe.add("note", "required", "Say what was done.")
	} else if utf8.RuneCountInString(in.Note) > maxNoteRunes {
		fe.add("note", "too_long", fmt.Sprintf("This is longer than %d characters.", maxNoteRunes), "limit", strconv.Itoa(maxNoteRunes))
	}
	if utf8.RuneCountInString(in.Reference) > 300 {
		fe.add("reference", "too_long", "This is longer than 300 characters.", "limit", "300")
	}
	a := CaseAction{Kind: in.Kind, Note: in.Note, Reference: in.Reference}
	if in.Kind == ActionTakedownRequest {
		if in.OfficerName == "" {
			fe.add("officerName", "required", "Name the officer who issues the takedown request.")
		}
		switch {
		case !slices.Contains(OfficerRanks, in.OfficerRank):
			fe.add("officerRank", "invalid_choice", "Choose the issuing officer's rank.")
		case !slices.Contains(TakedownRanks, in.OfficerRank):
			fe.add("officerRank", "rank_too_low", "A takedown request may be issued only by an officer not below Joint Secretary (or Director where there is no Joint Secretary) or a police officer not below DIG (IT Rules 3(1)(d), from 15 November 2025).")
		case in.OfficerRank == RankDirector && !in.NoJointSecretary:
			fe.add("noJointSecretary", "required", "A Director may issue it only where the department has no Joint Secretary: confirm that it has none.")
		}
		if in.LegalBasis == "" {
			fe.add("legalBasis", "required", "State the legal basis (for example section 79(3)(b) of the IT Act and rule 3(1)(d) of the IT Rules).")
		}
		if in.Reasons == "" {
			fe.add("reasons", "required", "State the reasons for the takedown.")
		}
		for _, f := range []struct{ name, v string }{{"officerName", in.OfficerName}, {"officerDesignation", in.OfficerDesignation}, {"legalBasis", in.LegalBasis}, {"reasons", in.Reasons}} {
			if utf8.RuneCountInString(f.v) > maxNoteRunes {
				fe.add(f.name, "too_long", fmt.Sprintf("This is longer than %d characters.", maxNoteRunes), "limit", strconv.Itoa(maxNoteRunes))
			}
		}
		a.OfficerName, a.OfficerDesignation, a.OfficerRank, a.LegalBasis, a.Reasons = in.OfficerName, in.OfficerDesignation, in.OfficerRank, in.LegalBasis, in.Reasons
	}
	return a, fe.err("The action needs correcting.")
}

// CloseCase closes a case whose clarification is published, or which was
// triaged out, with a final action note. The organisation's editors, the
// PR section and administrators.
func (s *Service) CloseCase(ctx context.Context, id, note string) (*Case, error) {
	return s.changeCase(ctx, id, func(u *User, c *Case, now time.Time) ([]*CaseEvent, error) {
		if !canWriteFor(u, c.OrgID) && u.Role != RoleApprover {
			return nil, Errorf(EFORBIDDEN, "Only the organisation's officers, the PR section and the Digital Media Section close cases.")
		}
		to, err := CaseTransition(c.Status, stepClose)
		if err != nil {
			return nil, err
		}
		note = strings.TrimSpace(note)
		if note == "" {
			return nil, &Error{Code: EINVALID, Message: "Closing a case needs a final action note.", Fields: []FieldError{{Field: "note", Code: "required", Message: "Write the final action note: what was done and where things stand."}}}
		}
		if utf8.RuneCountInString(note) > maxNoteRunes {
			return nil, &Error{Code: EINVALID, Message: "The note is too long.", Fields: []FieldError{{Field: "note", Code: "too_long", Message: fmt.Sprintf("This is longer than %d characters.", maxNoteRunes), Params: map[string]string{"limit": strconv.Itoa(maxNoteRunes)}}}}
		}
		ev := &CaseEvent{Kind: "close", From: c.Status, To: to, Note: note}
		c.Status, c.ClosedAt, c.ClosingNote = to, &now, note
		return []*CaseEvent{ev}, nil
	})
}

// syncCase moves a case along with its clarification post: submitted,
// approved, sent back, edited after approval, cancelled, and published
// (its first delivery live). The steps are taken with the times the post
// records, so a late sync measures the same. The case is returned as
// stored after the sync.
func (s *Service) syncCase(ctx context.Context, c *Case) (*Case, error) {
	for try := 0; ; try++ {
		if c.ClarificationPostID == "" || !slices.Contains(clarificationStatuses, c.Status) {
			return c, nil
		}
		p, err := s.store.GetPost(ctx, c.ClarificationPostID)
		if IsCode(err, ENOTFOUND) {
			s.log.WarnContext(ctx, "a case's clarification post is missing", "case_id", c.ID, "post_id", c.ClarificationPostID)
			return c, nil
		} else if err != nil {
			return nil, err
		}
		target, publishedAt, err := s.postCaseStatus(ctx, p)
		if err != nil {
			return nil, err
		}
		path := casePath(c.Status, target)
		if len(path) == 0 {
			if path == nil {
				s.log.WarnContext(ctx, "no step leads a case to its post's state", "case_id", c.ID, "status", string(c.Status), "target", string(target))
			}
			return c, nil
		}
		now := s.now().UTC()
		var evs []*CaseEvent
		for _, step := range path {
			from := c.Status
			to := caseSteps[from][step]
			e := &CaseEvent{Kind: "status", From: from, To: to, Note: stepWords[step], Details: map[string]string{"postId": p.ID, "step": step}}
			switch step {
			case stepSubmit:
				last, first := caseReviewEntries(p, "submit")
				setCaseEventActor(e, last, now)
				if c.SubmittedAt == nil {
					c.SubmittedAt = reviewEntryTime(first, now)
				}
			case stepApprove:
				last, first := caseReviewEntries(p, "approve")
				setCaseEventActor(e, last, now)
				if c.ApprovedAt == nil {
					c.ApprovedAt = reviewEntryTime(first, now)
				}
			case stepSendBack:
				last, _ := caseReviewEntries(p, "reject", "request_changes")
				setCaseEventActor(e, last, now)
			case stepReopenReview:
				last, _ := caseReviewEntries(p, "reopen")
				setCaseEventActor(e, last, now)
			case stepCancelClarification:
				last, _ := caseReviewEntries(p, "cancel")
				setCaseEventActor(e, last, now)
				c.PastPostIDs = append(c.PastPostIDs, c.ClarificationPostID)
				c.ClarificationPostID = ""
			case stepPublish:
				e.At = *publishedAt
				e.ActorID, e.ActorName, e.ActorRole = SystemUser.ID, SystemUser.Name, SystemUser.Role
				e.Note = "The clarification is live."
				if c.PublishedAt == nil {
					c.PublishedAt = publishedAt
				}
			}
			c.Status = to
			evs = append(evs, e)
		}
		c.UpdatedAt = now
		s.stampEvents(SystemUser, c, evs, now)
		err = s.store.UpdateCase(ctx, c, evs)
		if IsCode(err, ECONFLICT) && try < 3 {
			if c, err = s.store.GetCase(ctx, c.ID); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		sys := SystemContext(ctx)
		for _, e := range evs {
			s.audit(sys, "case.status", "case", c.ID, c.OrgID, caseAuditDetails(e))
		}
		return c, nil
	}
}

// postCaseStatus returns the case status a clarification post's state
// means, and when its first delivery went live (when it did).
func (s *Service) postCaseStatus(ctx context.Context, p *Post) (CaseStatus, *time.Time, error) {
	switch p.Status {
	case PostInReview:
		return CaseInReview, nil, nil
	case PostApproved:
		return CaseApproved, nil, nil
	case PostCancelled:
		return CaseAssigned, nil, nil
	case PostPublishing:
		ds, _, err := s.store.ListDeliveries(ctx, DeliveryFilter{PostID: p.ID, Statuses: []DeliveryStatus{DeliveryPublished}, Limit: 1000})
		if err != nil {
			return "", nil, err
		}
		var first *time.Time
		for _, d := range ds {
			if d.PublishedAt != nil && (first == nil || d.PublishedAt.Before(*first)) {
				t := d.PublishedAt.UTC()
				first = &t
			}
		}
		if first != nil {
			return CasePublished, first, nil
		}
		return CaseApproved, nil, nil
	}
	return CaseDrafting, nil, nil // draft, changes requested, rejected
}

// reviewEntries returns the last and the first review entries of a post
// with one of the given actions (nil if none).
func caseReviewEntries(p *Post, actions ...string) (last, first *ReviewEntry) {
	for i := range p.Review {
		e := &p.Review[i]
		if slices.Contains(actions, e.Action) {
			if first == nil {
				first = e
			}
			last = e
		}
	}
	return last, first
}

func setCaseEventActor(e *CaseEvent, r *ReviewEntry, now time.Time) {
	if r == nil {
		e.At, e.ActorID, e.ActorName = now, SystemUser.ID, SystemUser.Name
		return
	}
	e.At, e.ActorID, e.ActorName = r.At, r.UserID, r.UserName
	if r.Comment != "" {
		e.Note += ": " + r.Comment
	}
}

func reviewEntryTime(r *ReviewEntry, now time.Time) *time.Time {
	t := now
	if r != nil {
		t = r.At.UTC()
	}
	return &t
}

func dedupeCaseIDs(ids []string) []string {
	var out []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func caseHasField(fe fieldErrors, field string) bool {
	for _, f := range fe {
		if f.Field == field {
			return true
		}
	}
	return false
}

// FormatIST formats an instant in IST, e.g. "28 Nov 2026, 10:00 IST".
func FormatIST(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(IST).Format("2 Jan 2006, 15:04") + " IST"
}
