package publisher

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the post form that hold whatever the targets.
const (
	maxTitleRunes   = 200
	maxBodyRunes    = 20000
	maxLinkLen      = 2048
	maxMediaPerPost = 10
	maxTargets      = 2000
)

// PostInput is what an editor writes.
type PostInput struct {
	OrgID       string     `json:"orgId"`
	Kind        PostKind   `json:"kind"`
	CaseID      string     `json:"caseId,omitempty"`
	Title       string     `json:"title"`
	Content     Content    `json:"content"`
	Targets     []string   `json:"targets"`
	ScheduledAt *time.Time `json:"scheduledAt,omitempty"`
}

// TargetMeasure is the composer's view of one target: the text as it will
// be published, its length as the platform counts it, and any problems.
type TargetMeasure struct {
	AccountID string       `json:"accountId"`
	Platform  Platform     `json:"platform"`
	Handle    string       `json:"handle"`
	Text      string       `json:"text"`
	Count     int          `json:"count"`
	Limit     int          `json:"limit"`
	Unit      string       `json:"unit"`
	Problems  []FieldError `json:"problems,omitempty"`
}

// checked is the outcome of validating a post: its accounts and media.
type checked struct {
	accounts []*Account
	media    []*Media
	measures []TargetMeasure
}

// normalise trims and de-duplicates the input in place.
func (in *PostInput) normalise() {
	in.Title = strings.TrimSpace(in.Title)
	in.Content.BodyHI = strings.TrimSpace(in.Content.BodyHI)
	in.Content.BodyEN = strings.TrimSpace(in.Content.BodyEN)
	in.Content.Link = strings.TrimSpace(in.Content.Link)
	in.Content.AltText = strings.TrimSpace(in.Content.AltText)
	if in.Kind == "" {
		in.Kind = KindPost
	}
	seen := map[string]bool{}
	var ts []string
	for _, t := range in.Targets {
		t = strings.TrimSpace(t)
		if !seen[t] {
			seen[t] = true
			ts = append(ts, t)
		}
	}
	in.Targets = ts
	seen = map[string]bool{}
	var ms []string
	for _, m := range in.Content.MediaIDs {
		if !seen[m] {
			seen[m] = true
			ms = append(ms, m)
		}
	}
	in.Content.MediaIDs = ms
	for p, v := range in.Content.Variants {
		v.Text = strings.TrimSpace(v.Text)
		if v.Text == "" {
			delete(in.Content.Variants, p)
		} else {
			in.Content.Variants[p] = v
		}
	}
	if in.ScheduledAt != nil {
		t := in.ScheduledAt.UTC().Truncate(time.Second)
		in.ScheduledAt = &t
	}
}

// checkPost validates a post for orgID. complete adds the checks a post
// must pass before review: at least one target and text for each.
func (s *Service) checkPost(ctx context.Context, orgID string, in *PostInput, complete bool) (*checked, error) {
	in.normalise()
	var fe fieldErrors
	out := &checked{}

	if in.Kind != KindPost && in.Kind != KindClarification {
		fe.add("kind", "invalid_choice", "Choose post or clarification.")
	}
	if err := s.checkCaseLink(ctx, orgID, in, complete, &fe); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(in.Title) > maxTitleRunes {
		fe.add("title", "too_long", fmt.Sprintf("The title is longer than %d characters.", maxTitleRunes), "limit", strconv.Itoa(maxTitleRunes))
	}
	if utf8.RuneCountInString(in.Content.BodyHI) > maxBodyRunes {
		fe.add("content.bodyHi", "too_long", fmt.Sprintf("The Hindi text is longer than %d characters.", maxBodyRunes), "limit", strconv.Itoa(maxBodyRunes))
	}
	if utf8.RuneCountInString(in.Content.BodyEN) > maxBodyRunes {
		fe.add("content.bodyEn", "too_long", fmt.Sprintf("The English text is longer than %d characters.", maxBodyRunes), "limit", strconv.Itoa(maxBodyRunes))
	}
	if utf8.RuneCountInString(in.Content.AltText) > 1000 {
		fe.add("content.altText", "too_long", "The image description is longer than 1000 characters.", "limit", "1000")
	}
	if l := in.Content.Link; l != "" {
		u, err := url.Parse(l)
		if len(l) > maxLinkLen || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fe.add("content.link", "invalid_url", "Enter a full web address starting with https://.")
		}
	}
	for p, v := range in.Content.Variants {
		if !p.Valid() {
			fe.add("content.variants."+string(p), "unknown_platform", fmt.Sprintf("There is no platform %q.", p))
		} else if utf8.RuneCountInString(v.Text) > maxBodyRunes {
			fe.add("content.variants."+string(p)+".text", "too_long", fmt.Sprintf("The %s text is longer than %d characters.", p.Title(), maxBodyRunes), "limit", strconv.Itoa(maxBodyRunes))
		}
	}
	if in.ScheduledAt != nil && !in.ScheduledAt.After(s.now()) {
		fe.add("scheduledAt", "in_past", "The scheduled time has already passed.")
	}

	// Media.
	if len(in.Content.MediaIDs) > maxMediaPerPost {
		fe.add("content.mediaIds", "too_many", fmt.Sprintf("A post can have at most %d images.", maxMediaPerPost), "limit", strconv.Itoa(maxMediaPerPost))
	}
	for i, id := range in.Content.MediaIDs {
		var m *Media
		var err error
		if ValidID(id) {
			m, err = s.store.GetMedia(ctx, id)
		}
		if m == nil || IsCode(err, ENOTFOUND) || m.OrgID != orgID {
			fe.add(fmt.Sprintf("content.mediaIds[%d]", i), "unknown_media", "This image is not among your organisation's uploads.")
			continue
		} else if err != nil {
			return nil, err
		}
		out.media = append(out.media, m)
	}

	// Targets.
	if len(in.Targets) > maxTargets {
		fe.add("targets", "too_many", fmt.Sprintf("A post can go to at most %d accounts.", maxTargets), "limit", strconv.Itoa(maxTargets))
	} else if complete && len(in.Targets) == 0 {
		fe.add("targets", "required", "Choose at least one account to publish to.")
	}
	var valid []string
	for _, id := range in.Targets {
		if ValidID(id) {
			valid = append(valid, id)
		}
	}
	byID := map[string]*Account{}
	if len(valid) > 0 && len(in.Targets) <= maxTargets {
		accts, err := s.store.ListAccounts(ctx, AccountFilter{IDs: valid})
		if err != nil {
			return nil, err
		}
		for _, a := range accts {
			byID[a.ID] = a
		}
	}
	platforms := map[Platform]bool{}
	for i, id := range in.Targets {
		a := byID[id]
		field := fmt.Sprintf("targets[%d]", i)
		if a == nil || a.OrgID != orgID {
			fe.add(field, "unknown_account", "This account is not one of your organisation's accounts.", "account", id)
			continue
		}
		c := s.connectors[a.Platform]
		switch {
		case a.Status == AccountDefunct:
			fe.add(field, "platform_defunct", fmt.Sprintf("%s cannot be published to: %s", a.Platform.Title(), a.StatusReason), "platform", string(a.Platform))
			continue
		case c == nil || !c.Rules().Enabled:
			reason := "it is switched off in this deployment"
			if c != nil && c.Rules().Defunct != "" {
				reason = c.Rules().Defunct
			}
			fe.add(field, "platform_disabled", fmt.Sprintf("%s cannot be published to: %s.", a.Platform.Title(), reason), "platform", string(a.Platform))
			continue
		}
		out.accounts = append(out.accounts, a)
		platforms[a.Platform] = true
	}

	// Per-platform rules, checked once per platform (accounts of one
	// platform share them).
	done := map[Platform]TargetMeasure{}
	for _, a := range out.accounts {
		if m, ok := done[a.Platform]; ok {
			m.AccountID, m.Handle = a.ID, a.Handle
			out.measures = append(out.measures, m)
			continue
		}
		c := s.connectors[a.Platform]
		rules := c.Rules()
		text := in.Content.TextFor(a.Platform)
		msg := Message{Text: text, Link: in.Content.Link, Languages: in.Content.Languages()}
		for _, m := range out.media {
			msg.Media = append(msg.Media, MediaRef{ID: m.ID, ContentType: m.ContentType, Size: m.Size, Width: m.Width, Height: m.Height})
		}
		ms := c.Measure(msg)
		tm := TargetMeasure{AccountID: a.ID, Platform: a.Platform, Handle: a.Handle, Text: text, Count: ms.Count, Limit: ms.Limit, Unit: rules.CountUnit}
		textField := "content.body"
		if _, ok := in.Content.Variants[a.Platform]; ok {
			textField = "content.variants." + string(a.Platform) + ".text"
		}
		var pe fieldErrors
		if complete && text == "" {
			pe.add(textField, "required", fmt.Sprintf("Write the text to publish on %s.", a.Platform.Title()), "platform", string(a.Platform))
		}
		if ms.Limit > 0 && ms.Count > ms.Limit {
			pe.add(textField, "too_long", fmt.Sprintf("The text is %d characters long as %s counts it; the limit is %d.", ms.Count, a.Platform.Title(), ms.Limit),
				"platform", string(a.Platform), "count", strconv.Itoa(ms.Count), "limit", strconv.Itoa(ms.Limit))
		}
		if n := countTags(text, '#'); rules.MaxHashtags > 0 && n > rules.MaxHashtags {
			pe.add(textField, "too_many_hashtags", fmt.Sprintf("%s takes at most %d hashtags; the text has %d.", a.Platform.Title(), rules.MaxHashtags, n),
				"platform", string(a.Platform), "count", strconv.Itoa(n), "limit", strconv.Itoa(rules.MaxHashtags))
		}
		if n := countTags(text, '@'); rules.MaxMentions > 0 && n > rules.MaxMentions {
			pe.add(textField, "too_many_mentions", fmt.Sprintf("%s takes at most %d @-mentions; the text has %d.", a.Platform.Title(), rules.MaxMentions, n),
				"platform", string(a.Platform), "count", strconv.Itoa(n), "limit", strconv.Itoa(rules.MaxMentions))
		}
		if rules.RequiresMedia && len(out.media) == 0 && len(in.Content.MediaIDs) == 0 {
			pe.add("content.mediaIds", "required_for_platform", fmt.Sprintf("%s posts need an image.", a.Platform.Title()), "platform", string(a.Platform))
		}
		if rules.MaxImages >= 0 && len(out.media) > rules.MaxImages {
			pe.add("content.mediaIds", "too_many_for_platform", fmt.Sprintf("%s takes at most %d images.", a.Platform.Title(), rules.MaxImages),
				"platform", string(a.Platform), "limit", strconv.Itoa(rules.MaxImages))
		}
		for i, m := range out.media {
			if len(rules.ImageTypes) > 0 && !contains(rules.ImageTypes, m.ContentType) {
				pe.add(fmt.Sprintf("content.mediaIds[%d]", i), "type_for_platform", fmt.Sprintf("%s takes only %s images.", a.Platform.Title(), strings.Join(rules.ImageTypes, ", ")),
					"platform", string(a.Platform), "types", strings.Join(rules.ImageTypes, ", "))
			}
			if rules.MaxImageBytes > 0 && m.Size > rules.MaxImageBytes {
				pe.add(fmt.Sprintf("content.mediaIds[%d]", i), "too_large_for_platform", fmt.Sprintf("%s takes images of at most %d MB.", a.Platform.Title(), rules.MaxImageBytes>>20),
					"platform", string(a.Platform), "limitBytes", strconv.FormatInt(rules.MaxImageBytes, 10))
			}
		}
		tm.Problems = pe
		fe = append(fe, pe...)
		done[a.Platform] = tm
		out.measures = append(out.measures, tm)
	}
	if complete && len(platforms) == 0 && in.Content.TextFor("") == "" {
		fe.add("content.body", "required", "Write the post in Hindi, English or both.")
	}
	return out, fe.err("The post needs correcting before it can be saved.")
}

// checkCaseLink checks a post's case: a clarification answers an existing
// fake-news case of its organisation (or, for the PR department's own
// accounts, another organisation's case whose clarification exists) that
// is open to drafting, and an ordinary post belongs to no case. The
// rebuttal desk drafts clarifications this way (DraftClarification), with
// the case checked first.
//
// The re-checks before review and approval (complete) are of posts that
// exist, whose kind and case were fixed when they were drafted, and they
// do not carry the case: a clarification without one is let through there.
func (s *Service) checkCaseLink(ctx context.Context, orgID string, in *PostInput, complete bool, fe *fieldErrors) error {
	in.CaseID = strings.TrimSpace(in.CaseID)
	switch {
	case in.Kind == KindPost && in.CaseID != "":
		fe.add("caseId", "not_clarification", "Only a clarification belongs to a case: leave the case out, or draft the clarification from the case's page.")
		return nil
	case in.Kind != KindClarification:
		return nil
	case in.CaseID == "":
		if !complete {
			fe.add("caseId", "required", "A clarification answers a fake-news case: draft it from the case's page.")
		}
		return nil
	}
	var c *Case
	if ValidID(in.CaseID) {
		var err error
		if c, err = s.store.GetCase(ctx, in.CaseID); IsCode(err, ENOTFOUND) {
			c = nil
		} else if err != nil {
			return err
		}
	}
	forPR := false
	if c != nil && c.OrgID != orgID {
		switch pr, err := s.store.GetOrgByCode(ctx, s.cfg.Cases.PROrgCode); {
		case err == nil && pr.ID == orgID:
			forPR = true
		case err != nil && !IsCode(err, ENOTFOUND):
			return err
		default:
			c = nil // another organisation's case is not shown to exist
		}
	}
	if c == nil {
		fe.add("caseId", "unknown_case", "Your organisation has no such case.")
		return nil
	}
	ok := c.Status == CaseAssigned
	when := "once it is triaged and assigned, until its clarification is drafted"
	if forPR {
		ok = c.Status == CaseDrafting || c.Status == CaseInReview || c.Status == CaseApproved || c.Status == CasePublished
		when = "once the organisation's clarification is drafted, until the case is closed"
	}
	if !ok {
		fe.add("caseId", "case_not_drafting", fmt.Sprintf("Case %s is %s: its clarification can be drafted %s.", c.Ref, c.Status, when),
			"caseRef", c.Ref, "status", string(c.Status))
	}
	return nil
}

// countTags counts hashtags (mark '#') or mentions ('@') in text: the
// mark at the start of a word, followed by a letter, digit or underscore.
// Hindi hashtags (#हरियाणा) count like any other.
func countTags(text string, mark rune) int {
	n := 0
	prev := ' '
	rs := []rune(text)
	for i, r := range rs {
		if r == mark && (unicode.IsSpace(prev) || i == 0 || unicode.IsPunct(prev) && prev != mark) && i+1 < len(rs) {
			next := rs[i+1]
			if unicode.IsLetter(next) || unicode.IsDigit(next) || unicode.Is(unicode.Mn, next) || next == '_' {
				n++
			}
		}
		prev = r
	}
	return n
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// MeasurePost returns, for each target, the text as it will be published
// and its length as the platform counts it — the composer's live preview.
// Problems are reported per target rather than as an error.
func (s *Service) MeasurePost(ctx context.Context, in PostInput) ([]TargetMeasure, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if in.OrgID == "" {
		in.OrgID = u.OrgID
	}
	if !canSeeOrg(u, in.OrgID) {
		return nil, Errorf(ENOTFOUND, "No such organisation.")
	}
	in.ScheduledAt = nil
	c, err := s.checkPost(ctx, in.OrgID, &in, true)
	if err != nil && !IsCode(err, EINVALID) {
		return nil, err
	}
	if c == nil {
		return nil, err
	}
	return c.measures, nil
}
