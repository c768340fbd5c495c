package publisher

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The dashboards: reach and engagement over time, organisations ranked,
// top posts, the per-post panel and the weekly digest. They read the
// roll-ups and contributions only, never the raw readings of many posts.

// ReachFilter selects what a dashboard shows.
type ReachFilter struct {
	OrgID    string   `json:"orgId,omitempty"`    // "" for all organisations (editors: always their own)
	Platform Platform `json:"platform,omitempty"` // "" for all platforms
	From     string   `json:"from"`               // IST calendar days, inclusive (YYYY-MM-DD)
	To       string   `json:"to"`
	By       Figure   `json:"by"`    // the figure organisations and posts are ranked by
	Limit    int      `json:"limit"` // top posts shown
}

// MaxReachDays bounds a dashboard's date range.
const MaxReachDays = 731

// dailyUpTo is the longest range shown day by day; longer ones are shown
// by month.
const dailyUpTo = 92

// ReachPoint is one day's or month's totals.
type ReachPoint struct {
	Start string `json:"start"`
	Totals
}

// OrgReach is one organisation's totals.
type OrgReach struct {
	OrgID  string `json:"orgId"`
	Code   string `json:"code"`
	NameEN string `json:"nameEn"`
	NameHI string `json:"nameHi"`
	Totals
}

// TopPost is one published delivery among those with the largest figure.
type TopPost struct {
	DeliveryID   string      `json:"deliveryId"`
	PostID       string      `json:"postId"`
	Title        string      `json:"title"`
	OrgID        string      `json:"orgId"`
	Platform     Platform    `json:"platform"`
	Day          string      `json:"day"`
	Figures      PostFigures `json:"figures"`
	ExternalURL  string      `json:"externalUrl,omitempty"`
	DefinitionID string      `json:"definitionId"`
}

// ReachDashboard is everything the reach page shows for a filter.
type ReachDashboard struct {
	Filter      ReachFilter        `json:"filter"`
	Granularity Period             `json:"granularity"`
	Totals      Totals             `json:"totals"`
	Series      []ReachPoint       `json:"series"`
	Orgs        []OrgReach         `json:"orgs"`
	TopPosts    []TopPost          `json:"topPosts"`
	Definitions []MetricDefinition `json:"definitions"`
}

// normalise checks f for user u and fills in the defaults: the last 30
// days, reach, 10 posts; an editor's own organisation.
func (s *Service) normaliseReachFilter(u *User, f *ReachFilter) (from, to time.Time, err error) {
	var fe fieldErrors
	today := s.now().In(reachZone)
	parse := func(field, v string, def time.Time) time.Time {
		if v == "" {
			return time.Date(def.Year(), def.Month(), def.Day(), 0, 0, 0, 0, time.UTC)
		}
		t, err := time.Parse(reachDayLayout, v)
		if err != nil {
			fe.add(field, "invalid_date", "Give a date as YYYY-MM-DD.", "format", "YYYY-MM-DD")
		}
		return t
	}
	to = parse("to", f.To, today)
	from = parse("from", f.From, to.AddDate(0, 0, -29))
	if !from.IsZero() && !to.IsZero() {
		switch days := int(to.Sub(from).Hours()/24) + 1; {
		case days < 1:
			fe.add("to", "before_from", "The end date must not be before the start date.")
		case days > MaxReachDays:
			fe.add("from", "range_too_long", fmt.Sprintf("Choose at most %d days.", MaxReachDays), "max", fmt.Sprint(MaxReachDays))
		}
	}
	if f.Platform != "" && (!f.Platform.Valid()) {
		fe.add("platform", "invalid_choice", "There is no such platform.")
	}
	if f.By == "" {
		f.By = FigureReach
	} else if !f.By.Valid() {
		fe.add("by", "invalid_choice", "Choose reach, views or engagements.")
	}
	if f.Limit <= 0 {
		f.Limit = 10
	} else if f.Limit > 50 {
		f.Limit = 50
	}
	if f.OrgID != "" && !ValidID(f.OrgID) {
		fe.add("orgId", "invalid_id", "This is not an id.")
	}
	if err := fe.err("The filter needs correcting."); err != nil {
		return from, to, err
	}
	if u.Role == RoleEditor {
		if f.OrgID != "" && f.OrgID != u.OrgID {
			return from, to, Errorf(ENOTFOUND, "No such organisation.")
		}
		f.OrgID = u.OrgID
	}
	f.From, f.To = from.Format(reachDayLayout), to.Format(reachDayLayout)
	return from, to, nil
}

// segmentsFor splits [from, to] into the roll-up rows that cover it with
// the fewest rows: month rows for whole months, day rows for the rest.
func segmentsFor(from, to time.Time) []RollupSegment {
	day := func(t time.Time) string { return t.Format(reachDayLayout) }
	firstFull := from
	if from.Day() != 1 {
		firstFull = time.Date(from.Year(), from.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	}
	lastFullEnd := to
	if to.AddDate(0, 0, 1).Day() != 1 {
		lastFullEnd = time.Date(to.Year(), to.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	}
	if lastFullEnd.Before(firstFull) {
		return []RollupSegment{{Period: PeriodDay, From: day(from), To: day(to)}}
	}
	var segs []RollupSegment
	if from.Before(firstFull) {
		segs = append(segs, RollupSegment{Period: PeriodDay, From: day(from), To: day(firstFull.AddDate(0, 0, -1))})
	}
	lastFullStart := time.Date(lastFullEnd.Year(), lastFullEnd.Month(), 1, 0, 0, 0, 0, time.UTC)
	segs = append(segs, RollupSegment{Period: PeriodMonth, From: day(firstFull), To: day(lastFullStart)})
	if to.After(lastFullEnd) {
		segs = append(segs, RollupSegment{Period: PeriodDay, From: day(lastFullEnd.AddDate(0, 0, 1)), To: day(to)})
	}
	return segs
}

// orgScope is the roll-up organisation of a filter: one, or all together.
func orgScope(orgID string) string {
	if orgID == "" {
		return AllOrgs
	}
	return orgID
}

// platformScope is the roll-up platform of a filter: one, or all together.
func platformScope(p Platform) Platform {
	if p == "" {
		return AllPlatforms
	}
	return p
}

// ReachDashboard returns the reach page for f: totals, the series, the
// organisations ranked, the top posts and the definitions in view.
func (s *Service) ReachDashboard(ctx context.Context, f ReachFilter) (*ReachDashboard, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	from, to, err := s.normaliseReachFilter(u, &f)
	if err != nil {
		return nil, err
	}
	d := &ReachDashboard{Filter: f, Granularity: PeriodDay}
	if d.Series, err = s.reachSeries(ctx, f, from, to); err != nil {
		return nil, err
	}
	if len(d.Series) > 0 && to.Sub(from) >= dailyUpTo*24*time.Hour {
		d.Granularity = PeriodMonth
	}
	for _, p := range d.Series {
		d.Totals.Add(p.Totals)
	}
	if d.Orgs, err = s.rankOrgs(ctx, f, from, to); err != nil {
		return nil, err
	}
	if d.TopPosts, err = s.topPosts(ctx, f); err != nil {
		return nil, err
	}
	d.Definitions = definitionsFor(f.Platform)
	return d, nil
}

// definitionsFor returns the definitions of one platform, or of all.
func definitionsFor(p Platform) []MetricDefinition {
	var out []MetricDefinition
	for _, d := range MetricDefinitions() {
		if p == "" || d.Platform == p {
			out = append(out, d)
		}
	}
	return out
}

// reachSeries returns the totals by day (ranges up to dailyUpTo days) or
// by month, every day or month of the range present.
func (s *Service) reachSeries(ctx context.Context, f ReachFilter, from, to time.Time) ([]ReachPoint, error) {
	q := RollupQuery{OrgID: orgScope(f.OrgID), Platform: platformScope(f.Platform)}
	daily := to.Sub(from) < dailyUpTo*24*time.Hour
	if daily {
		q.Segments = []RollupSegment{{Period: PeriodDay, From: f.From, To: f.To}}
	} else {
		q.Segments = segmentsFor(from, to)
	}
	rows, err := s.store.ListRollups(ctx, q)
	if err != nil {
		return nil, err
	}
	byStart := map[string]*Totals{}
	for _, r := range rows {
		k := r.Start
		if !daily {
			k = r.Start[:7] + "-01"
		}
		t := byStart[k]
		if t == nil {
			t = &Totals{}
			byStart[k] = t
		}
		t.Add(r.Totals)
	}
	var out []ReachPoint
	if daily {
		for t := from; !t.After(to); t = t.AddDate(0, 0, 1) {
			k := t.Format(reachDayLayout)
			p := ReachPoint{Start: k}
			if v := byStart[k]; v != nil {
				p.Totals = *v
			}
			out = append(out, p)
		}
		return out, nil
	}
	for t := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); !t.After(to); t = t.AddDate(0, 1, 0) {
		k := t.Format(reachDayLayout)
		p := ReachPoint{Start: k}
		if v := byStart[k]; v != nil {
			p.Totals = *v
		}
		out = append(out, p)
	}
	return out, nil
}

// rankOrgs returns the organisations with posts in the range, ranked by
// f.By: figures that are not available at all come last.
func (s *Service) rankOrgs(ctx context.Context, f ReachFilter, from, to time.Time) ([]OrgReach, error) {
	segs := segmentsFor(from, to)
	var sums []*Rollup
	if f.OrgID != "" {
		rows, err := s.store.ListRollups(ctx, RollupQuery{Segments: segs, OrgID: f.OrgID, Platform: platformScope(f.Platform)})
		if err != nil {
			return nil, err
		}
		one := &Rollup{OrgID: f.OrgID}
		for _, r := range rows {
			one.Totals.Add(r.Totals)
		}
		if one.Posts > 0 {
			sums = append(sums, one)
		}
	} else {
		var err error
		if sums, err = s.store.ListRollups(ctx, RollupQuery{Segments: segs, Platform: platformScope(f.Platform), ByOrg: true}); err != nil {
			return nil, err
		}
	}
	orgs, err := s.store.ListOrgs(ctx, OrgFilter{})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*Organisation, len(orgs))
	for _, o := range orgs {
		byID[o.ID] = o
	}
	out := make([]OrgReach, 0, len(sums))
	for _, r := range sums {
		if r.Posts == 0 {
			continue
		}
		o := OrgReach{OrgID: r.OrgID, Totals: r.Totals}
		if org := byID[r.OrgID]; org != nil {
			o.Code, o.NameEN, o.NameHI = org.Code, org.NameEN, org.NameHI
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b OrgReach) int {
		as, an := a.Figure(f.By)
		bs, bn := b.Figure(f.By)
		if (an > 0) != (bn > 0) {
			if an > 0 {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(bs, as), cmp.Compare(b.Posts, a.Posts), cmp.Compare(a.Code, b.Code), cmp.Compare(a.OrgID, b.OrgID))
	})
	return out, nil
}

// topPosts returns the published deliveries with the largest f.By.
func (s *Service) topPosts(ctx context.Context, f ReachFilter) ([]TopPost, error) {
	cs, err := s.store.TopContributions(ctx, TopQuery{OrgID: f.OrgID, Platform: f.Platform, From: f.From, To: f.To, By: f.By, Limit: f.Limit})
	if err != nil {
		return nil, err
	}
	out := make([]TopPost, 0, len(cs))
	titles := map[string]string{}
	for _, c := range cs {
		tp := TopPost{DeliveryID: c.DeliveryID, PostID: c.PostID, OrgID: c.OrgID, Platform: c.Platform, Day: c.Day, Figures: c.Figures}
		if def := DefinitionFor(c.Platform, s.metricsConfig().APIVersions[c.Platform]); def != nil {
			tp.DefinitionID = def.ID
		}
		if d, err := s.store.GetDelivery(ctx, c.DeliveryID); err == nil {
			tp.ExternalURL = d.ExternalURL
		} else if !IsCode(err, ENOTFOUND) {
			return nil, err
		}
		title, ok := titles[c.PostID]
		if !ok {
			if p, err := s.store.GetPost(ctx, c.PostID); err == nil {
				title = postTitle(p)
			} else if !IsCode(err, ENOTFOUND) {
				return nil, err
			}
			titles[c.PostID] = title
		}
		tp.Title = title
		out = append(out, tp)
	}
	return out, nil
}

// postTitle is a post's title, or the start of its text.
func postTitle(p *Post) string {
	if t := strings.TrimSpace(p.Title); t != "" {
		return t
	}
	text := strings.TrimSpace(p.Content.BodyHI)
	if text == "" {
		text = strings.TrimSpace(p.Content.BodyEN)
	}
	if r := []rune(text); len(r) > 80 {
		return string(r[:79]) + "…"
	}
	return text
}

// DeliveryReach is one delivery's metrics on the post page.
type DeliveryReach struct {
	DeliveryID  string         `json:"deliveryId"`
	AccountID   string         `json:"accountId"`
	Handle      string         `json:"handle"`
	Platform    Platform       `json:"platform"`
	Status      DeliveryStatus `json:"status"`
	ExternalURL string         `json:"externalUrl,omitempty"`
	PublishedAt *time.Time     `json:"publishedAt,omitempty"`
	// Figures are from the latest reading (nil figures: not available).
	Figures      PostFigures `json:"figures"`
	DefinitionID string      `json:"definitionId"`
	AsOf         *time.Time  `json:"asOf,omitempty"`
	// The latest raw reading: the platform's own names.
	APIVersion  string            `json:"apiVersion,omitempty"`
	Raw         map[string]int64  `json:"raw,omitempty"`
	Unavailable map[string]string `json:"unavailable,omitempty"`
	// History are the figures of every reading, oldest first.
	History []ReachReading `json:"history"`
	// The collection schedule.
	NextAt    *time.Time `json:"nextAt,omitempty"`
	Fetches   int        `json:"fetches"`
	LastError string     `json:"lastError,omitempty"`
}

// ReachReading is the figures of one reading.
type ReachReading struct {
	FetchedAt time.Time   `json:"fetchedAt"`
	Figures   PostFigures `json:"figures"`
}

// PostReach is the metrics panel of one post.
type PostReach struct {
	PostID      string             `json:"postId"`
	Totals      Totals             `json:"totals"`
	Deliveries  []DeliveryReach    `json:"deliveries"`
	Definitions []MetricDefinition `json:"definitions"`
}

// PostReach returns a post's metrics, delivery by delivery; ENOTFOUND if
// the post is not visible to the signed-in user.
func (s *Service) PostReach(ctx context.Context, postID string) (*PostReach, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.loadPost(ctx, u, postID); err != nil {
		return nil, err
	}
	ds, _, err := s.store.ListDeliveries(ctx, DeliveryFilter{PostID: postID, Limit: 5000})
	if err != nil {
		return nil, err
	}
	out := &PostReach{PostID: postID, Deliveries: []DeliveryReach{}}
	var ids, acctIDs []string
	for _, d := range ds {
		ids = append(ids, d.ID)
		acctIDs = append(acctIDs, d.AccountID)
	}
	if len(ids) == 0 {
		return out, nil
	}
	cs, err := s.store.GetContributions(ctx, ids)
	if err != nil {
		return nil, err
	}
	rs, err := s.store.ListReadings(ctx, ids)
	if err != nil {
		return nil, err
	}
	ts, err := s.store.GetTracks(ctx, ids)
	if err != nil {
		return nil, err
	}
	accts, err := s.store.ListAccounts(ctx, AccountFilter{IDs: acctIDs})
	if err != nil {
		return nil, err
	}
	contrib := map[string]*Contribution{}
	for _, c := range cs {
		contrib[c.DeliveryID] = c
	}
	readings := map[string][]*MetricReading{}
	for _, r := range rs {
		readings[r.DeliveryID] = append(readings[r.DeliveryID], r)
	}
	tracks := map[string]*MetricsTrack{}
	for _, t := range ts {
		tracks[t.DeliveryID] = t
	}
	handles := map[string]string{}
	for _, a := range accts {
		handles[a.ID] = a.Handle
	}
	platforms := map[Platform]bool{}
	for _, d := range ds {
		dr := DeliveryReach{DeliveryID: d.ID, AccountID: d.AccountID, Handle: handles[d.AccountID], Platform: d.Platform, Status: d.Status,
			ExternalURL: d.ExternalURL, PublishedAt: d.PublishedAt, History: []ReachReading{}}
		platforms[d.Platform] = true
		version := s.metricsConfig().APIVersions[d.Platform]
		if c := contrib[d.ID]; c != nil {
			dr.Figures = c.Figures
			asOf := c.AsOf
			dr.AsOf = &asOf
			out.Totals.Add(totalsOf(c))
		}
		for _, r := range readings[d.ID] {
			dr.History = append(dr.History, ReachReading{FetchedAt: r.FetchedAt, Figures: ComputeFigures(DefinitionFor(r.Platform, r.APIVersion), r.Values)})
			dr.APIVersion, dr.Raw, dr.Unavailable = r.APIVersion, r.Values, r.Unavailable
			version = r.APIVersion
		}
		if def := DefinitionFor(d.Platform, version); def != nil {
			dr.DefinitionID = def.ID
		}
		if t := tracks[d.ID]; t != nil {
			dr.NextAt, dr.Fetches, dr.LastError = t.NextAt, t.Fetches, t.LastError
		}
		out.Deliveries = append(out.Deliveries, dr)
	}
	for _, d := range MetricDefinitions() {
		if platforms[d.Platform] {
			out.Definitions = append(out.Definitions, d)
		}
	}
	return out, nil
}

// totalsOf is what one contribution adds to a roll-up.
func totalsOf(c *Contribution) Totals {
	_, t, _ := MergeContribution(nil, c)
	return t
}

// ReachDefinitions returns every definition (for the legend).
func (s *Service) ReachDefinitions(ctx context.Context) ([]MetricDefinition, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	return MetricDefinitions(), nil
}

// Table is one table of an export.
type Table struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
	// Rows hold strings, int64 numbers, or nil for "not available".
	Rows [][]any `json:"rows"`
}

// NotAvailable is how exports write a figure that is not available.
const NotAvailable = "not available"

// ReachExport returns the dashboard of f as tables: the summary, the
// series, the organisations ranked, the top posts, and the definitions.
func (s *Service) ReachExport(ctx context.Context, f ReachFilter) ([]Table, error) {
	d, err := s.ReachDashboard(ctx, f)
	if err != nil {
		return nil, err
	}
	fig := func(sum, posts int64) any {
		if posts == 0 {
			return nil
		}
		return sum
	}
	totalsRow := func(t Totals) []any {
		return []any{t.Posts, fig(t.Reach, t.ReachPosts), t.ReachPosts, fig(t.Views, t.ViewsPosts), t.ViewsPosts, fig(t.Engagements, t.EngagementPosts), t.EngagementPosts}
	}
	totalsCols := []string{"posts", "reach", "posts with reach", "views", "posts with views", "engagements", "posts with engagements"}
	orgName := "all organisations"
	if f := d.Filter; f.OrgID != "" {
		orgName = f.OrgID
		for _, o := range d.Orgs {
			if o.OrgID == f.OrgID {
				orgName = o.Code + " " + o.NameEN
			}
		}
	}
	platform := "all platforms"
	if d.Filter.Platform != "" {
		platform = d.Filter.Platform.Title()
	}
	summary := Table{Name: "Summary", Columns: append([]string{"organisation", "platform", "from", "to"}, totalsCols...),
		Rows: [][]any{append([]any{orgName, platform, d.Filter.From, d.Filter.To}, totalsRow(d.Totals)...)}}
	series := Table{Name: "By " + string(d.Granularity), Columns: append([]string{string(d.Granularity)}, totalsCols...)}
	for _, p := range d.Series {
		series.Rows = append(series.Rows, append([]any{p.Start}, totalsRow(p.Totals)...))
	}
	orgs := Table{Name: "Organisations", Columns: append([]string{"rank", "code", "organisation", "संगठन"}, totalsCols...)}
	for i, o := range d.Orgs {
		orgs.Rows = append(orgs.Rows, append([]any{int64(i + 1), o.Code, o.NameEN, o.NameHI}, totalsRow(o.Totals)...))
	}
	top := Table{Name: "Top posts", Columns: []string{"rank", "post", "title", "platform", "published", "reach", "views", "engagements", "link", "definition"}}
	ptr := func(v *int64) any {
		if v == nil {
			return nil
		}
		return *v
	}
	for i, p := range d.TopPosts {
		top.Rows = append(top.Rows, []any{int64(i + 1), p.PostID, p.Title, p.Platform.Title(), p.Day, ptr(p.Figures.Reach), ptr(p.Figures.Views), ptr(p.Figures.Engagements), p.ExternalURL, p.DefinitionID})
	}
	// The definitions in both languages: the review reads them beside the figures.
	defs := Table{Name: "Definitions", Columns: []string{"definition", "platform", "API versions", "reach", "views", "engagements", "notes",
		"API संस्करण", "पहुँच", "व्यूज़", "सहभागिता", "टिप्पणी"}}
	for _, df := range d.Definitions {
		defs.Rows = append(defs.Rows, []any{df.ID, df.Platform.Title(), df.Versions, df.Reach.Text, df.Views.Text, df.Engagements.Text, df.Notes,
			df.VersionsHI, df.Reach.TextHI, df.Views.TextHI, df.Engagements.TextHI, df.NotesHI})
	}
	return []Table{summary, series, orgs, top, defs}, nil
}
