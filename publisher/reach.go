package publisher

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Reach: how many people a department's posts reach. Published
// deliveries are read on a decaying schedule (MetricsConfig.Schedule);
// every reading is kept raw (a MetricReading: the platform's own metric
// names and values), turned into Prasar's three figures by the documented
// definitions (reachdefs.go), and summed into roll-ups per organisation ×
// platform × day (and month) that the dashboards read.
//
// The roll-ups are maintained incrementally: each delivery has one
// Contribution (its figures from its latest reading), and a new reading
// replaces that contribution, changing the roll-ups by the difference.
// Stores apply a reading exactly once whatever the concurrency (see
// ReachStore.RecordReading), and the roll-ups can be rebuilt from the raw
// readings at any time (Service.RebuildRollups), for example after a
// definition changed.

// Scope sentinels of roll-ups: the row of all organisations and the row of
// all platforms.
const (
	AllOrgs                   = "*"
	AllPlatforms     Platform = "*"
	reachDayLayout            = "2006-01-02"
	reachMonthLayout          = "2006-01"
)

// reachZone is India Standard Time: days and weeks of the roll-ups and
// the digest are IST calendar days.
var reachZone = time.FixedZone("IST", 5*3600+1800)

// ReachDay returns the IST calendar day of t as YYYY-MM-DD.
func ReachDay(t time.Time) string { return t.In(reachZone).Format(reachDayLayout) }

// Period is the length of a roll-up row.
type Period string

// Roll-up periods.
const (
	PeriodDay   Period = "day"
	PeriodMonth Period = "month"
)

// Figure names one of Prasar's figures.
type Figure string

// Prasar's figures (see docs/metrics.md).
const (
	FigureReach       Figure = "reach"       // unique accounts reached
	FigureViews       Figure = "views"       // times on screen (views / impressions)
	FigureEngagements Figure = "engagements" // reactions, comments, shares, reposts, saves
)

// ReachFigures lists the figures in display order.
var ReachFigures = []Figure{FigureReach, FigureViews, FigureEngagements}

// Valid reports whether f is a known figure.
func (f Figure) Valid() bool { return slices.Contains(ReachFigures, f) }

// PostFigures are one delivery's figures. A nil figure is not available:
// the platform does not report it (Mastodon and Bluesky have no reach), or
// it has not reported it yet. Never read nil as zero.
type PostFigures struct {
	Reach       *int64 `json:"reach"`
	Views       *int64 `json:"views"`
	Engagements *int64 `json:"engagements"`
}

// Get returns the figure f.
func (p PostFigures) Get(f Figure) *int64 {
	switch f {
	case FigureReach:
		return p.Reach
	case FigureViews:
		return p.Views
	case FigureEngagements:
		return p.Engagements
	}
	return nil
}

// MetricReading is one raw reading of one delivery's metrics: the
// platform's own metric names and values as its API version reported them
// at FetchedAt, and the metrics it refused with its words. Readings are
// never changed, so that the definitions can change without losing
// history.
type MetricReading struct {
	ID          string            `json:"id"`
	DeliveryID  string            `json:"deliveryId"`
	PostID      string            `json:"postId"`
	OrgID       string            `json:"orgId"`
	AccountID   string            `json:"accountId"`
	Platform    Platform          `json:"platform"`
	APIVersion  string            `json:"apiVersion,omitempty"`
	PublishedAt time.Time         `json:"publishedAt"`
	FetchedAt   time.Time         `json:"fetchedAt"`
	Values      map[string]int64  `json:"values"`
	Unavailable map[string]string `json:"unavailable,omitempty"`
}

// Contribution is what one published delivery adds to the roll-ups: its
// figures as of its latest reading, on the IST day it was published.
type Contribution struct {
	DeliveryID string      `json:"deliveryId"`
	PostID     string      `json:"postId"`
	OrgID      string      `json:"orgId"`
	AccountID  string      `json:"accountId"`
	Platform   Platform    `json:"platform"`
	Day        string      `json:"day"` // YYYY-MM-DD, IST, of publishing
	Figures    PostFigures `json:"figures"`
	// AsOf is the FetchedAt of the latest reading applied.
	AsOf time.Time `json:"asOf"`
}

// Totals sum the contributions of many deliveries. Each figure carries how
// many deliveries it covers: a sum over no delivery is "not available",
// not zero.
type Totals struct {
	Posts           int64 `json:"posts"` // deliveries with at least one reading
	Reach           int64 `json:"reach"`
	ReachPosts      int64 `json:"reachPosts"`
	Views           int64 `json:"views"`
	ViewsPosts      int64 `json:"viewsPosts"`
	Engagements     int64 `json:"engagements"`
	EngagementPosts int64 `json:"engagementPosts"`
}

// Add adds o to t.
func (t *Totals) Add(o Totals) {
	t.Posts += o.Posts
	t.Reach += o.Reach
	t.ReachPosts += o.ReachPosts
	t.Views += o.Views
	t.ViewsPosts += o.ViewsPosts
	t.Engagements += o.Engagements
	t.EngagementPosts += o.EngagementPosts
}

// IsZero reports whether t changes nothing.
func (t Totals) IsZero() bool { return t == Totals{} }

// Figure returns a figure's sum and how many deliveries it covers.
func (t Totals) Figure(f Figure) (sum, posts int64) {
	switch f {
	case FigureReach:
		return t.Reach, t.ReachPosts
	case FigureViews:
		return t.Views, t.ViewsPosts
	case FigureEngagements:
		return t.Engagements, t.EngagementPosts
	}
	return 0, 0
}

// Rollup is the sum of the contributions of one organisation (or AllOrgs)
// on one platform (or AllPlatforms) published on one day or in one month.
type Rollup struct {
	Period   Period   `json:"period"`
	OrgID    string   `json:"orgId"`
	Platform Platform `json:"platform"`
	Start    string   `json:"start"` // YYYY-MM-DD; the first of the month for months
	Totals
}

// RollupKey names one roll-up row.
type RollupKey struct {
	Period   Period
	OrgID    string
	Platform Platform
	Start    string
}

// String is the key as one string ("day|facebook|2026-03-14|org"), used as
// a document id.
func (k RollupKey) String() string {
	return string(k.Period) + "|" + string(k.Platform) + "|" + k.Start + "|" + k.OrgID
}

// RollupKeys returns the eight roll-up rows a contribution counts in: its
// day and its month, for its organisation and for all, on its platform
// and on all.
func RollupKeys(c *Contribution) []RollupKey {
	month := c.Day[:7] + "-01"
	keys := make([]RollupKey, 0, 8)
	for _, p := range []struct {
		period Period
		start  string
	}{{PeriodDay, c.Day}, {PeriodMonth, month}} {
		for _, org := range []string{c.OrgID, AllOrgs} {
			for _, pl := range []Platform{c.Platform, AllPlatforms} {
				keys = append(keys, RollupKey{Period: p.period, OrgID: org, Platform: pl, Start: p.start})
			}
		}
	}
	return keys
}

// MergeContribution returns what a store keeps when the reading behind
// next arrives for a delivery whose stored contribution is old (nil if it
// has none), and how every roll-up row of the contribution changes. A
// figure next lacks keeps its old value (a metric that became
// unavailable does not wipe what was measured). If next is not newer than
// old (AsOf), nothing changes and ok is false. Both stores apply it, so
// that they agree exactly.
func MergeContribution(old, next *Contribution) (merged Contribution, delta Totals, ok bool) {
	if old != nil && !next.AsOf.After(old.AsOf) {
		return *old, Totals{}, false
	}
	merged = *next
	if old == nil {
		delta.Posts = 1
		old = &Contribution{}
	} else {
		// The delivery's identity and day never change.
		merged.PostID, merged.OrgID, merged.AccountID, merged.Platform, merged.Day = old.PostID, old.OrgID, old.AccountID, old.Platform, old.Day
	}
	fig := func(oldV, newV *int64, sum, posts *int64) *int64 {
		switch {
		case newV == nil:
			return oldV
		case oldV == nil:
			*sum += *newV
			*posts++
		default:
			*sum += *newV - *oldV
		}
		v := *newV
		return &v
	}
	merged.Figures.Reach = fig(old.Figures.Reach, next.Figures.Reach, &delta.Reach, &delta.ReachPosts)
	merged.Figures.Views = fig(old.Figures.Views, next.Figures.Views, &delta.Views, &delta.ViewsPosts)
	merged.Figures.Engagements = fig(old.Figures.Engagements, next.Figures.Engagements, &delta.Engagements, &delta.EngagementPosts)
	return merged, delta, true
}

// RollupSegment is a range of roll-up rows of one period: starts from
// From to To, both inclusive (YYYY-MM-DD).
type RollupSegment struct {
	Period   Period
	From, To string
}

// RollupQuery selects roll-up rows.
type RollupQuery struct {
	Segments []RollupSegment
	// OrgID is one organisation, AllOrgs (the rows of all organisations
	// together), or "" for the rows of every organisation separately.
	OrgID string
	// Platform is one platform or AllPlatforms.
	Platform Platform
	// ByOrg sums the selected rows per organisation (OrgID must be ""):
	// one Rollup per organisation with Period and Start empty.
	ByOrg bool
}

// TopQuery selects the deliveries with the largest figure.
type TopQuery struct {
	OrgID    string   // "" for every organisation
	Platform Platform // "" or AllPlatforms for every platform
	From, To string   // publishing days, inclusive
	By       Figure
	Limit    int
}

// MetricsTrack is the collection schedule of one published delivery.
type MetricsTrack struct {
	DeliveryID  string    `json:"deliveryId"`
	OrgID       string    `json:"orgId"`
	Platform    Platform  `json:"platform"`
	PublishedAt time.Time `json:"publishedAt"`
	// NextAt is when its metrics are read next; nil once the schedule has
	// ended (or the delivery can no longer be read).
	NextAt        *time.Time `json:"nextAt,omitempty"`
	Fetches       int        `json:"fetches"`
	LastFetchedAt *time.Time `json:"lastFetchedAt,omitempty"`
	// LastError says, in plain words, why the last reading failed.
	LastError string    `json:"lastError,omitempty"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// ReachStore keeps the raw readings, the contributions and roll-ups, the
// collection schedules and the sent digests.
type ReachStore interface {
	// RecordReading stores the raw reading r and applies c, the
	// contribution computed from it, as MergeContribution says: if c is
	// newer than the delivery's stored contribution, the contribution
	// becomes the merge and every row of RollupKeys(c) changes by the
	// delta, exactly once, however many workers record readings at once
	// (a reading recorded twice, or an older one after a newer, changes
	// nothing). It returns whether the contribution changed.
	RecordReading(ctx context.Context, r *MetricReading, c *Contribution) (bool, error)
	// ListReadings returns the readings of the given deliveries, by
	// delivery and oldest first.
	ListReadings(ctx context.Context, deliveryIDs []string) ([]*MetricReading, error)
	// ScanReadings calls fn with every reading, ordered by delivery id and
	// oldest first within a delivery; an error from fn stops the scan and
	// is returned.
	ScanReadings(ctx context.Context, fn func(*MetricReading) error) error
	// GetContributions returns the stored contributions of the given
	// deliveries (those that have one).
	GetContributions(ctx context.Context, deliveryIDs []string) ([]*Contribution, error)
	// RepairRollups finishes roll-up changes that a process left half
	// done more than olderThan ago (a store without transactions applies
	// a reading in steps; one with them has nothing to do) and returns
	// how many it finished.
	RepairRollups(ctx context.Context, olderThan time.Duration) (int, error)
	// ReplaceContributions replaces every contribution and every roll-up
	// by the contributions next yields (until it returns nil) and the
	// roll-ups summed from them, and returns how many contributions it
	// stored.
	ReplaceContributions(ctx context.Context, next func() (*Contribution, error)) (int, error)
	// ListRollups returns the roll-up rows q selects, ordered by period,
	// organisation and start (ByOrg: one sum per organisation, by id).
	ListRollups(ctx context.Context, q RollupQuery) ([]*Rollup, error)
	// TopContributions returns the contributions with the largest q.By
	// among those that have it, largest first (ties by delivery id).
	TopContributions(ctx context.Context, q TopQuery) ([]*Contribution, error)

	// TrackPublished starts a track, due at PublishedAt+first, for every
	// published delivery with PublishedAt at or after since that has none,
	// and returns how many it started.
	TrackPublished(ctx context.Context, since time.Time, first time.Duration, now time.Time) (int, error)
	// LatestTrackedPublish returns the latest PublishedAt of the tracks
	// (zero if there are none).
	LatestTrackedPublish(ctx context.Context) (time.Time, error)
	// ListDueTracks returns up to limit tracks with NextAt at or before
	// now, earliest first.
	ListDueTracks(ctx context.Context, now time.Time, limit int) ([]*MetricsTrack, error)
	// ListActiveTracks returns up to limit tracks with a NextAt, of one
	// organisation ("" for all), earliest NextAt first.
	ListActiveTracks(ctx context.Context, orgID string, limit int) ([]*MetricsTrack, error)
	// GetTracks returns the tracks of the given deliveries (those that
	// have one).
	GetTracks(ctx context.Context, deliveryIDs []string) ([]*MetricsTrack, error)
	// UpdateTrack writes t's NextAt, Fetches, LastFetchedAt, LastError and
	// UpdatedAt; ENOTFOUND if there is no such track.
	UpdateTrack(ctx context.Context, t *MetricsTrack) error
	// ClaimDigest records that the digest of a week (its Monday,
	// YYYY-MM-DD) is being sent, and reports whether this call was the
	// first to claim it.
	ClaimDigest(ctx context.Context, week string, at time.Time) (bool, error)
}

// MetricsConfig configures metrics collection.
type MetricsConfig struct {
	// Schedule is when, after publishing, a delivery's metrics are read.
	// Default DefaultMetricsSchedule. Disabled switches collection off.
	Schedule []time.Duration
	Disabled bool
	// APIVersions are the API versions the connectors are configured for,
	// by platform: they decide which definition applies to a reading.
	APIVersions map[Platform]string
	// TrackBatch bounds the tracks one sweep queues (default 500).
	TrackBatch int
	// DigestHour is the IST hour on Monday from which the weekly digest of
	// the week before is sent (default 9).
	DigestHour int
}

// DefaultMetricsSchedule reads a delivery 1 h, 6 h, 24 h, 3 d, 7 d and
// 30 d after publishing: often while a post is young and its numbers move,
// rarely once they settle.
var DefaultMetricsSchedule = []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

// ParseMetricsSchedule reads a schedule such as "1h,6h,24h,72h,168h,720h"
// ("d" for days is accepted: "1h,6h,1d,3d,7d,30d"), or "off". The
// durations must be positive and increasing.
func ParseMetricsSchedule(s string) (schedule []time.Duration, off bool, err error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return nil, true, nil
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		var d time.Duration
		if n, ok := strings.CutSuffix(part, "d"); ok {
			var days int
			if _, err := fmt.Sscanf(n, "%d", &days); err != nil || fmt.Sprint(days) != n {
				return nil, false, fmt.Errorf("%q is not a duration", part)
			}
			d = time.Duration(days) * 24 * time.Hour
		} else if d, err = time.ParseDuration(part); err != nil {
			return nil, false, fmt.Errorf("%q is not a duration", part)
		}
		if d <= 0 {
			return nil, false, fmt.Errorf("%q is not after publishing", part)
		}
		if len(schedule) > 0 && d <= schedule[len(schedule)-1] {
			return nil, false, errors.New("the durations must increase")
		}
		schedule = append(schedule, d)
	}
	if len(schedule) == 0 {
		return nil, false, errors.New("give at least one duration, or off")
	}
	return schedule, false, nil
}

// metricsConfig returns the metrics settings with defaults applied.
func (s *Service) metricsConfig() MetricsConfig {
	c := s.cfg.Metrics
	if len(c.Schedule) == 0 {
		c.Schedule = DefaultMetricsSchedule
	}
	if c.TrackBatch <= 0 {
		c.TrackBatch = 500
	}
	if c.DigestHour <= 0 || c.DigestHour > 23 {
		c.DigestHour = 9
	}
	return c
}

// nextReading returns when a delivery published at published is read next
// after now: the first point of the schedule later than now, or nil once
// the schedule has ended.
func nextReading(schedule []time.Duration, published, now time.Time) *time.Time {
	for _, d := range schedule {
		if at := published.Add(d); at.After(now) {
			at = at.UTC()
			return &at
		}
	}
	return nil
}
