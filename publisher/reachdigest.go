package publisher

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The weekly digest for the PR section: last week's reach against the week
// before, the organisations that reached most, the posts that did best,
// and the organisations with accounts that published nothing measured.

// Digest is one week's summary.
type Digest struct {
	Week     string     `json:"week"` // its Monday, YYYY-MM-DD (IST)
	From     string     `json:"from"` // Monday
	To       string     `json:"to"`   // Sunday
	Totals   Totals     `json:"totals"`
	Previous Totals     `json:"previous"` // the week before
	Platform []Platform `json:"platforms"`
	// ByPlatform are the week's totals per platform, in Platforms order.
	ByPlatform []PlatformReach `json:"byPlatform"`
	TopOrgs    []OrgReach      `json:"topOrgs"`
	TopPosts   []TopPost       `json:"topPosts"`
	// Silent are organisations with connected accounts and no measured
	// post in the week.
	Silent      []OrgReach         `json:"silent"`
	Definitions []MetricDefinition `json:"definitions"`
}

// PlatformReach is one platform's totals.
type PlatformReach struct {
	Platform Platform `json:"platform"`
	Totals
}

// weekStart returns the Monday (IST) of the week holding t.
func weekStart(t time.Time) time.Time {
	t = t.In(reachZone)
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// WeeklyDigest returns the digest of the week starting on week (a Monday,
// YYYY-MM-DD; "" for the last complete week). Editors see their own
// organisation only.
func (s *Service) WeeklyDigest(ctx context.Context, week string) (*Digest, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var monday time.Time
	if week == "" {
		monday = weekStart(s.now()).AddDate(0, 0, -7)
	} else {
		t, err := time.Parse(reachDayLayout, week)
		if err != nil {
			return nil, &Error{Code: EINVALID, Message: "The week needs correcting.", Fields: []FieldError{{Field: "week", Code: "invalid_date", Message: "Give the week's Monday as YYYY-MM-DD.", Params: map[string]string{"format": "YYYY-MM-DD"}}}}
		}
		monday = weekStart(t)
	}
	orgID := ""
	if u.Role == RoleEditor {
		orgID = u.OrgID
	}
	return s.digest(ctx, monday, orgID)
}

func (s *Service) digest(ctx context.Context, monday time.Time, orgID string) (*Digest, error) {
	sunday := monday.AddDate(0, 0, 6)
	d := &Digest{Week: monday.Format(reachDayLayout), From: monday.Format(reachDayLayout), To: sunday.Format(reachDayLayout),
		ByPlatform: []PlatformReach{}, TopOrgs: []OrgReach{}, TopPosts: []TopPost{}, Silent: []OrgReach{}}
	sum := func(from, to time.Time, p Platform) (Totals, error) {
		rows, err := s.store.ListRollups(ctx, RollupQuery{Segments: []RollupSegment{{Period: PeriodDay, From: from.Format(reachDayLayout), To: to.Format(reachDayLayout)}},
			OrgID: orgScope(orgID), Platform: p})
		var t Totals
		for _, r := range rows {
			t.Add(r.Totals)
		}
		return t, err
	}
	var err error
	if d.Totals, err = sum(monday, sunday, AllPlatforms); err != nil {
		return nil, err
	}
	if d.Previous, err = sum(monday.AddDate(0, 0, -7), monday.AddDate(0, 0, -1), AllPlatforms); err != nil {
		return nil, err
	}
	for _, p := range Platforms {
		t, err := sum(monday, sunday, p)
		if err != nil {
			return nil, err
		}
		if t.Posts > 0 {
			d.ByPlatform = append(d.ByPlatform, PlatformReach{Platform: p, Totals: t})
			d.Platform = append(d.Platform, p)
		}
	}
	f := ReachFilter{OrgID: orgID, From: d.From, To: d.To, By: FigureReach, Limit: 5}
	ranked, err := s.rankOrgs(ctx, f, monday, sunday)
	if err != nil {
		return nil, err
	}
	d.TopOrgs = ranked[:min(len(ranked), 10)]
	if d.TopPosts, err = s.topPosts(ctx, f); err != nil {
		return nil, err
	}
	// Organisations with connected accounts that published nothing
	// measured this week.
	active := map[string]bool{}
	for _, o := range ranked {
		active[o.OrgID] = true
	}
	accts, err := s.store.ListAccounts(ctx, AccountFilter{OrgID: orgID})
	if err != nil {
		return nil, err
	}
	withAccounts := map[string]bool{}
	for _, a := range accts {
		if a.Status == AccountConnected {
			withAccounts[a.OrgID] = true
		}
	}
	orgs, err := s.store.ListOrgs(ctx, OrgFilter{})
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		if withAccounts[o.ID] && !active[o.ID] {
			d.Silent = append(d.Silent, OrgReach{OrgID: o.ID, Code: o.Code, NameEN: o.NameEN, NameHI: o.NameHI})
		}
	}
	d.Definitions = MetricDefinitions()
	return d, nil
}

// SendWeeklyDigest notifies the PR section (approvers) and administrators
// of a week's digest (week as in WeeklyDigest), in the app and, when SMTP
// is configured, by e-mail. Administrators only; it returns how many
// people were notified.
func (s *Service) SendWeeklyDigest(ctx context.Context, week string) (int, error) {
	u, err := actor(ctx)
	if err != nil {
		return 0, err
	}
	if u.Role != RoleAdmin {
		return 0, Errorf(EFORBIDDEN, "Only administrators can send the digest.")
	}
	d, err := s.WeeklyDigest(ctx, week)
	if err != nil {
		return 0, err
	}
	return s.notifyDigest(ctx, d)
}

// maybeSendDigest sends last week's digest once its time has come
// (Monday from DigestHour IST) and no process has sent it yet.
func (s *Service) maybeSendDigest(ctx context.Context, cfg MetricsConfig, now time.Time) (bool, error) {
	monday := weekStart(now)
	due := monday.Add(time.Duration(cfg.DigestHour) * time.Hour).Add(-5*time.Hour - 30*time.Minute) // IST hour as UTC
	if now.Before(due) {
		return false, nil
	}
	last := monday.AddDate(0, 0, -7)
	week := last.Format(reachDayLayout)
	if s.reach.digestClaimed(week) {
		return false, nil
	}
	first, err := s.store.ClaimDigest(ctx, week, now.UTC())
	if err != nil {
		return false, err
	}
	s.reach.setDigestClaimed(week)
	if !first {
		return false, nil
	}
	d, err := s.digest(ctx, last, "")
	if err != nil {
		return false, err
	}
	_, err = s.notifyDigest(ctx, d)
	return err == nil, err
}

// notifyDigest sends a digest to the approvers and administrators.
func (s *Service) notifyDigest(ctx context.Context, d *Digest) (int, error) {
	subject := fmt.Sprintf("Weekly reach digest, %s to %s", d.From, d.To)
	return s.Notify(ctx, Recipients{Roles: []Role{RoleApprover, RoleAdmin}}, "", "reach.digest", subject, DigestText(d), "/reach/digest?week="+d.Week)
}

// DigestText renders a digest as plain text (the e-mail), in English with
// the figures' definitions at the end.
func DigestText(d *Digest) string {
	var b strings.Builder
	fig := func(sum, posts int64) string {
		if posts == 0 {
			return NotAvailable
		}
		return groupDigits(sum)
	}
	change := func(now, before, nowPosts, beforePosts int64) string {
		if nowPosts == 0 || beforePosts == 0 || before == 0 {
			return ""
		}
		return fmt.Sprintf(" (%+.0f%% on the week before)", float64(now-before)*100/float64(before))
	}
	fmt.Fprintf(&b, "Prasar weekly reach digest / साप्ताहिक पहुँच सारांश\nWeek of %s to %s (IST)\n\n", d.From, d.To)
	t, p := d.Totals, d.Previous
	fmt.Fprintf(&b, "Posts measured: %d (week before: %d)\n", t.Posts, p.Posts)
	fmt.Fprintf(&b, "Reach: %s%s — from %d posts on platforms that report reach\n", fig(t.Reach, t.ReachPosts), change(t.Reach, p.Reach, t.ReachPosts, p.ReachPosts), t.ReachPosts)
	fmt.Fprintf(&b, "Views: %s%s\n", fig(t.Views, t.ViewsPosts), change(t.Views, p.Views, t.ViewsPosts, p.ViewsPosts))
	fmt.Fprintf(&b, "Engagements: %s%s\n", fig(t.Engagements, t.EngagementPosts), change(t.Engagements, p.Engagements, t.EngagementPosts, p.EngagementPosts))
	if len(d.ByPlatform) > 0 {
		b.WriteString("\nBy platform:\n")
		for _, pr := range d.ByPlatform {
			fmt.Fprintf(&b, "  %-10s posts %d, reach %s, views %s, engagements %s\n", pr.Platform.Title(), pr.Posts,
				fig(pr.Reach, pr.ReachPosts), fig(pr.Views, pr.ViewsPosts), fig(pr.Engagements, pr.EngagementPosts))
		}
	}
	if len(d.TopOrgs) > 0 {
		b.WriteString("\nOrganisations that reached most:\n")
		for i, o := range d.TopOrgs {
			fmt.Fprintf(&b, "  %d. %s (%s): reach %s, engagements %s, %d posts\n", i+1, o.NameEN, o.Code, fig(o.Reach, o.ReachPosts), fig(o.Engagements, o.EngagementPosts), o.Posts)
		}
	}
	if len(d.TopPosts) > 0 {
		b.WriteString("\nTop posts by reach:\n")
		for i, tp := range d.TopPosts {
			r := NotAvailable
			if tp.Figures.Reach != nil {
				r = groupDigits(*tp.Figures.Reach)
			}
			fmt.Fprintf(&b, "  %d. %s — %s, reach %s %s\n", i+1, tp.Title, tp.Platform.Title(), r, tp.ExternalURL)
		}
	}
	if len(d.Silent) > 0 {
		names := make([]string, 0, len(d.Silent))
		for _, o := range d.Silent {
			names = append(names, o.Code)
		}
		slices.Sort(names)
		fmt.Fprintf(&b, "\nNo measured post this week, though they have connected accounts: %s\n", strings.Join(names, ", "))
	}
	b.WriteString("\nHow the figures are defined (they differ by platform; \"not available\" is not zero):\n")
	for _, df := range d.Definitions {
		if !slices.Contains(d.Platform, df.Platform) {
			continue
		}
		fmt.Fprintf(&b, "  %s (%s): reach — %s views — %s engagements — %s\n", df.Platform.Title(), df.Versions, df.Reach.Text, df.Views.Text, df.Engagements.Text)
	}
	return b.String()
}

// groupDigits writes n with Indian digit grouping (12,34,567).
func groupDigits(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := fmt.Sprint(n)
	if len(s) > 3 {
		head, tail := s[:len(s)-3], s[len(s)-3:]
		var parts []string
		for len(head) > 2 {
			parts = append([]string{head[len(head)-2:]}, parts...)
			head = head[:len(head)-2]
		}
		if head != "" {
			parts = append([]string{head}, parts...)
		}
		s = strings.Join(parts, ",") + "," + tail
	}
	if neg {
		s = "-" + s
	}
	return s
}
