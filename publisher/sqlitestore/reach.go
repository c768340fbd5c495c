package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prasar/prasar/publisher"
)

// Reach (publisher.ReachStore). A reading is recorded in one operation of
// a group commit: the raw reading, the delivery's merged contribution and
// the eight roll-up rows it counts in change together or not at all, and
// the single writer makes concurrent readings of any deliveries serialise,
// so no increment is lost and none is applied twice.

const contributionCols = `delivery_id, post_id, org_id, account_id, platform, day, reach, views, engagements, as_of`

func scanContribution(r scanner) (*publisher.Contribution, error) {
	var c publisher.Contribution
	var reach, views, eng sql.NullInt64
	err := r.Scan(&c.DeliveryID, &c.PostID, &c.OrgID, &c.AccountID, &c.Platform, &c.Day, &reach, &views, &eng, timeCol{&c.AsOf})
	c.Figures = publisher.PostFigures{Reach: nullInt(reach), Views: nullInt(views), Engagements: nullInt(eng)}
	return &c, err
}

func nullInt(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	n := v.Int64
	return &n
}

func intOrNull(v *int64) any {
	if v == nil {
		return nil
	}
	return *v
}

func appendContributionArgs(args []any, c *publisher.Contribution) []any {
	return append(args, c.DeliveryID, c.PostID, c.OrgID, c.AccountID, c.Platform, c.Day,
		intOrNull(c.Figures.Reach), intOrNull(c.Figures.Views), intOrNull(c.Figures.Engagements), ms(c.AsOf))
}

const readingCols = `id, delivery_id, post_id, org_id, account_id, platform, api_version, published_at, fetched_at, vals, unavailable`

func scanReading(r scanner) (*publisher.MetricReading, error) {
	var m publisher.MetricReading
	err := r.Scan(&m.ID, &m.DeliveryID, &m.PostID, &m.OrgID, &m.AccountID, &m.Platform, &m.APIVersion, timeCol{&m.PublishedAt},
		timeCol{&m.FetchedAt}, jsonCol{&m.Values}, jsonCol{&m.Unavailable})
	if len(m.Unavailable) == 0 {
		m.Unavailable = nil
	}
	return &m, err
}

const rollupCols = `period, platform, start, org_id, posts, reach, reach_posts, views, views_posts, engagements, engagement_posts`

// addRollupsSQL adds n rows of deltas to the roll-ups.
func addRollupsSQL(n int) string {
	return "INSERT INTO reach_rollups (" + rollupCols + ") VALUES " +
		strings.TrimSuffix(strings.Repeat("("+placeholders(11)+"), ", n), ", ") + `
		ON CONFLICT (period, platform, start, org_id) DO UPDATE SET posts = posts + excluded.posts, reach = reach + excluded.reach,
			reach_posts = reach_posts + excluded.reach_posts, views = views + excluded.views, views_posts = views_posts + excluded.views_posts,
			engagements = engagements + excluded.engagements, engagement_posts = engagement_posts + excluded.engagement_posts`
}

// RecordReading stores a raw reading (r may be nil to re-apply c alone) and
// applies c as publisher.MergeContribution says, in one operation.
func (s *Store) RecordReading(ctx context.Context, r *publisher.MetricReading, c *publisher.Contribution) (bool, error) {
	const op = "recording a metrics reading"
	var vals, unav string
	if r != nil {
		var err error
		if vals, err = jsonText(nonNilMap(r.Values)); err != nil {
			return false, err
		}
		if unav, err = jsonText(nonNilMap(r.Unavailable)); err != nil {
			return false, err
		}
	}
	changed := false
	err := s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		changed = false
		if r != nil {
			// The same reading again (a retried call) is kept once.
			if _, err := tx.ExecContext(ctx, "INSERT INTO metric_readings ("+readingCols+") VALUES ("+placeholders(11)+") ON CONFLICT (id) DO NOTHING",
				r.ID, r.DeliveryID, r.PostID, r.OrgID, r.AccountID, r.Platform, r.APIVersion, ms(r.PublishedAt), ms(r.FetchedAt), vals, unav); err != nil {
				return s.fail(err, op)
			}
		}
		old, err := scanContribution(tx.QueryRowContext(ctx, "SELECT "+contributionCols+" FROM reach_contributions WHERE delivery_id = ?", c.DeliveryID))
		if errors.Is(err, sql.ErrNoRows) {
			old = nil
		} else if err != nil {
			return s.fail(err, op)
		}
		merged, delta, ok := publisher.MergeContribution(old, c)
		if !ok {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO reach_contributions ("+contributionCols+") VALUES ("+placeholders(10)+`)
			ON CONFLICT (delivery_id) DO UPDATE SET reach = excluded.reach, views = excluded.views, engagements = excluded.engagements, as_of = excluded.as_of`,
			appendContributionArgs(nil, &merged)...); err != nil {
			return s.fail(err, op)
		}
		changed = true
		if delta.IsZero() {
			return nil
		}
		keys := publisher.RollupKeys(&merged)
		args := make([]any, 0, len(keys)*11)
		for _, k := range keys {
			args = append(args, k.Period, k.Platform, k.Start, k.OrgID, delta.Posts, delta.Reach, delta.ReachPosts, delta.Views, delta.ViewsPosts,
				delta.Engagements, delta.EngagementPosts)
		}
		if _, err := tx.ExecContext(ctx, addRollupsSQL(len(keys)), args...); err != nil {
			return s.fail(err, op)
		}
		return nil
	})
	return changed, err
}

func nonNilMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

// RepairRollups has nothing to do: a reading is applied in one
// transaction.
func (s *Store) RepairRollups(context.Context, time.Duration) (int, error) { return 0, nil }

// idChunk bounds the ids of one IN list.
const idChunk = 500

// inChunks runs fn for each chunk of ids.
func inChunks(ids []string, fn func(chunk []any) error) error {
	for start := 0; start < len(ids); start += idChunk {
		part := ids[start:min(start+idChunk, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		if err := fn(args); err != nil {
			return err
		}
	}
	return nil
}

// ListReadings returns the readings of the given deliveries, by delivery and
// oldest first.
func (s *Store) ListReadings(ctx context.Context, deliveryIDs []string) ([]*publisher.MetricReading, error) {
	var out []*publisher.MetricReading
	err := inChunks(deliveryIDs, func(args []any) error {
		rs, err := list(ctx, s, "listing metrics readings", "SELECT "+readingCols+" FROM metric_readings WHERE delivery_id IN ("+placeholders(len(args))+
			") ORDER BY delivery_id, fetched_at, rowid", args, scanReading)
		out = append(out, rs...)
		return err
	})
	return out, err
}

// ScanReadings calls fn with every reading, by delivery and oldest first.
func (s *Store) ScanReadings(ctx context.Context, fn func(*publisher.MetricReading) error) error {
	const op = "scanning metrics readings"
	rows, err := s.r.QueryContext(ctx, "SELECT "+readingCols+" FROM metric_readings ORDER BY delivery_id, fetched_at, rowid")
	if err != nil {
		return s.fail(err, op)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanReading(rows)
		if err != nil {
			return s.fail(err, op)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return s.fail(rows.Err(), op)
}

// GetContributions returns the contributions of the given deliveries.
func (s *Store) GetContributions(ctx context.Context, deliveryIDs []string) ([]*publisher.Contribution, error) {
	var out []*publisher.Contribution
	err := inChunks(deliveryIDs, func(args []any) error {
		cs, err := list(ctx, s, "reading contributions", "SELECT "+contributionCols+" FROM reach_contributions WHERE delivery_id IN ("+
			placeholders(len(args))+") ORDER BY delivery_id", args, scanContribution)
		out = append(out, cs...)
		return err
	})
	return out, err
}

// contributionBatch is how many contributions one INSERT carries (10
// values each).
const contributionBatch = 500

// reachBulkIndexes are the secondary indexes ReplaceContributions drops
// before its bulk insert and builds again after it: one sorted build is
// much faster than a million random index inserts. They must stay exactly
// as migrations/0007_metrics.sql creates them (TestReachIndexesAfterRebuild
// compares them).
var reachBulkIndexes = []struct{ name, sql string }{
	{"reach_contributions_by_day", "CREATE INDEX reach_contributions_by_day ON reach_contributions (day, platform, org_id, reach, views, engagements, delivery_id)"},
	{"reach_contributions_by_org", "CREATE INDEX reach_contributions_by_org ON reach_contributions (org_id, day, platform, reach, views, engagements, delivery_id)"},
	{"reach_contributions_by_reach", "CREATE INDEX reach_contributions_by_reach ON reach_contributions (reach DESC, delivery_id, day, platform, org_id) WHERE reach IS NOT NULL"},
	{"reach_contributions_by_views", "CREATE INDEX reach_contributions_by_views ON reach_contributions (views DESC, delivery_id, day, platform, org_id) WHERE views IS NOT NULL"},
	{"reach_contributions_by_engagements", "CREATE INDEX reach_contributions_by_engagements ON reach_contributions (engagements DESC, delivery_id, day, platform, org_id) WHERE engagements IS NOT NULL"},
	{"reach_rollups_by_org", `CREATE INDEX reach_rollups_by_org ON reach_rollups (period, org_id, platform, start, posts, reach, reach_posts, views, views_posts,
	engagements, engagement_posts)`},
}

// bulkCacheKiB is the page cache of the write connection while
// ReplaceContributions runs (the store's usual one is 32 MB).
const bulkCacheKiB = 256 << 10

// ReplaceContributions replaces every contribution and roll-up, in one
// transaction: the contributions next yields, and the roll-ups summed from
// them by SQL. The secondary indexes are dropped for the bulk insert and
// built again before the commit.
func (s *Store) ReplaceContributions(ctx context.Context, next func() (*publisher.Contribution, error)) (int, error) {
	const op = "replacing contributions"
	n := 0
	err := s.writeTx(ctx, op, func(tx *sql.Tx) (err error) {
		n = 0
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", bulkCacheKiB)); err != nil {
			return s.fail(err, op)
		}
		defer func() {
			if _, rerr := tx.ExecContext(context.WithoutCancel(ctx), "PRAGMA cache_size = -32000"); rerr != nil && err == nil {
				err = s.fail(rerr, op)
			}
		}()
		for _, ix := range reachBulkIndexes {
			if _, err := tx.ExecContext(ctx, "DROP INDEX IF EXISTS "+ix.name); err != nil {
				return s.fail(err, op)
			}
		}
		for _, q := range []string{"DELETE FROM reach_contributions", "DELETE FROM reach_rollups"} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return s.fail(err, op)
			}
		}
		row := "(" + placeholders(10) + ")"
		full := "INSERT INTO reach_contributions (" + contributionCols + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", contributionBatch), ", ")
		stmt, err := tx.PrepareContext(ctx, full)
		if err != nil {
			return s.fail(err, op)
		}
		defer stmt.Close()
		args := make([]any, 0, contributionBatch*10)
		count := 0
		flush := func() error {
			if count == 0 {
				return nil
			}
			var err error
			if count == contributionBatch {
				_, err = stmt.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, "INSERT INTO reach_contributions ("+contributionCols+") VALUES "+strings.TrimSuffix(strings.Repeat(row+", ", count), ", "), args...)
			}
			args, count = args[:0], 0
			return s.fail(err, op, "Two contributions of one delivery.")
		}
		for {
			c, err := next()
			if err != nil {
				return err
			}
			if c == nil {
				break
			}
			args = appendContributionArgs(args, c)
			count++
			n++
			if count == contributionBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		sums := `sum(posts), sum(reach), sum(reach_posts), sum(views), sum(views_posts), sum(engagements), sum(engagement_posts)`
		base := `FROM reach_rollups WHERE period = 'day' AND platform <> '*' AND org_id <> '*'`
		for _, q := range []string{
			`INSERT INTO reach_rollups (` + rollupCols + `) SELECT 'day', platform, day, org_id, count(*), coalesce(sum(reach), 0), count(reach),
				coalesce(sum(views), 0), count(views), coalesce(sum(engagements), 0), count(engagements)
				FROM reach_contributions GROUP BY platform, day, org_id`,
			`INSERT INTO reach_rollups (` + rollupCols + `) SELECT 'day', '*', start, org_id, ` + sums + ` ` + base + ` GROUP BY start, org_id`,
			`INSERT INTO reach_rollups (` + rollupCols + `) SELECT 'day', platform, start, '*', ` + sums + ` ` + base + ` GROUP BY platform, start`,
			`INSERT INTO reach_rollups (` + rollupCols + `) SELECT 'day', '*', start, '*', ` + sums + ` ` + base + ` GROUP BY start`,
			`INSERT INTO reach_rollups (` + rollupCols + `) SELECT 'month', platform, substr(start, 1, 7) || '-01', org_id, ` + sums + `
				FROM reach_rollups WHERE period = 'day' GROUP BY platform, substr(start, 1, 7), org_id`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return s.fail(err, op)
			}
		}
		for _, ix := range reachBulkIndexes {
			if _, err := tx.ExecContext(ctx, ix.sql); err != nil {
				return s.fail(err, op)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

func scanRollup(r scanner) (*publisher.Rollup, error) {
	var v publisher.Rollup
	err := r.Scan(&v.Period, &v.Platform, &v.Start, &v.OrgID, &v.Posts, &v.Reach, &v.ReachPosts, &v.Views, &v.ViewsPosts, &v.Engagements, &v.EngagementPosts)
	return &v, err
}

// ListRollups returns the roll-up rows of q, one range scan per segment.
func (s *Store) ListRollups(ctx context.Context, q publisher.RollupQuery) ([]*publisher.Rollup, error) {
	const op = "listing roll-ups"
	if len(q.Segments) == 0 {
		return nil, nil
	}
	if q.ByOrg && q.OrgID != "" {
		return nil, publisher.Errorf(publisher.EINTERNAL, "sqlitestore: %s: ByOrg needs every organisation", op)
	}
	var parts []string
	var args []any
	for _, seg := range q.Segments {
		org := "org_id = ?"
		if q.OrgID == "" {
			org = "org_id <> '*'"
		}
		parts = append(parts, "SELECT "+rollupCols+" FROM reach_rollups WHERE period = ? AND platform = ? AND start BETWEEN ? AND ? AND "+org)
		args = append(args, seg.Period, q.Platform, seg.From, seg.To)
		if q.OrgID != "" {
			args = append(args, q.OrgID)
		}
	}
	union := strings.Join(parts, " UNION ALL ")
	if q.ByOrg {
		return list(ctx, s, op, `SELECT '', '', '', org_id, sum(posts), sum(reach), sum(reach_posts), sum(views), sum(views_posts), sum(engagements),
			sum(engagement_posts) FROM (`+union+`) GROUP BY org_id ORDER BY org_id`, args, scanRollup)
	}
	return list(ctx, s, op, "SELECT * FROM ("+union+") ORDER BY period, org_id, start", args, scanRollup)
}

// TopContributions returns the contributions with the largest q.By.
//
// One organisation's are read from its days (a year is a few thousand).
// For all organisations the roll-ups tell how many deliveries the range
// holds (n) and how many of them have the figure (m): reading the range
// by day costs n index entries; reading down the figure's index until
// enough fall in the range costs about limit × (deliveries with the
// figure) / m. The cheaper plan is taken; an empty range costs nothing.
func (s *Store) TopContributions(ctx context.Context, q publisher.TopQuery) ([]*publisher.Contribution, error) {
	const op = "listing top contributions"
	if !q.By.Valid() {
		return nil, publisher.Errorf(publisher.EINTERNAL, "sqlitestore: %s: unknown figure %q", op, q.By)
	}
	col := string(q.By)
	posts := map[publisher.Figure]string{publisher.FigureReach: "reach_posts", publisher.FigureViews: "views_posts", publisher.FigureEngagements: "engagement_posts"}[q.By]
	var w where
	w.add("day BETWEEN ? AND ?", q.From, q.To)
	if q.OrgID != "" {
		w.add("org_id = ?", q.OrgID)
	}
	platform := q.Platform
	if platform == "" {
		platform = publisher.AllPlatforms
	}
	if platform != publisher.AllPlatforms {
		w.add("platform = ?", platform)
	}
	w.add(col + " IS NOT NULL")
	limit := q.Limit
	if limit <= 0 {
		limit = 1 << 30
	}
	index := "reach_contributions_by_org"
	if q.OrgID == "" {
		var inRange, withFig, allWithFig sql.NullInt64
		if err := s.r.QueryRowContext(ctx, `SELECT
				(SELECT sum(posts) FROM reach_rollups WHERE period = 'day' AND platform = '*' AND org_id = '*' AND start BETWEEN ?1 AND ?2),
				(SELECT sum(`+posts+`) FROM reach_rollups WHERE period = 'day' AND platform = ?3 AND org_id = '*' AND start BETWEEN ?1 AND ?2),
				(SELECT sum(`+posts+`) FROM reach_rollups WHERE period = 'month' AND platform = '*' AND org_id = '*')`,
			q.From, q.To, platform).Scan(&inRange, &withFig, &allWithFig); err != nil {
			return nil, s.fail(err, op)
		}
		if withFig.Int64 == 0 {
			return nil, nil
		}
		index = "reach_contributions_by_day"
		if float64(limit)*float64(allWithFig.Int64)/float64(withFig.Int64) < float64(inRange.Int64) {
			index = "reach_contributions_by_" + col
		}
	}
	// The inner query reads the index alone (it holds every column it
	// filters and sorts on); only the rows shown are read from the table.
	order := " ORDER BY " + col + " DESC, delivery_id"
	return list(ctx, s, op, "SELECT "+contributionCols+" FROM reach_contributions WHERE rowid IN (SELECT rowid FROM reach_contributions INDEXED BY "+
		index+w.String()+order+page(q.Limit, 0)+")"+order, w.args, scanContribution)
}

// Tracks.

const trackCols = `delivery_id, org_id, platform, published_at, next_at, fetches, last_fetched_at, last_error, updated_at`

func scanTrack(r scanner) (*publisher.MetricsTrack, error) {
	var t publisher.MetricsTrack
	err := r.Scan(&t.DeliveryID, &t.OrgID, &t.Platform, timeCol{&t.PublishedAt}, timePtrCol{&t.NextAt}, &t.Fetches, timePtrCol{&t.LastFetchedAt},
		&t.LastError, timeCol{&t.UpdatedAt})
	return &t, err
}

// TrackPublished starts tracks for deliveries published since since.
func (s *Store) TrackPublished(ctx context.Context, since time.Time, first time.Duration, now time.Time) (int, error) {
	n, err := s.exec(ctx, "tracking published deliveries", "", `INSERT INTO reach_tracks (`+trackCols+`)
		SELECT id, org_id, platform, published_at, published_at + ?, 0, NULL, '', ? FROM deliveries
		WHERE published_at >= ? AND status = 'published'
		ON CONFLICT (delivery_id) DO NOTHING`, first.Milliseconds(), ms(now), ms(since))
	return int(n), err
}

// LatestTrackedPublish returns the latest PublishedAt of the tracks.
func (s *Store) LatestTrackedPublish(ctx context.Context) (time.Time, error) {
	var v sql.NullInt64
	if err := s.r.QueryRowContext(ctx, "SELECT max(published_at) FROM reach_tracks").Scan(&v); err != nil {
		return time.Time{}, s.fail(err, "reading the latest tracked delivery")
	}
	if !v.Valid {
		return time.Time{}, nil
	}
	return time.UnixMilli(v.Int64).UTC(), nil
}

// ListDueTracks returns tracks due at now, earliest first.
func (s *Store) ListDueTracks(ctx context.Context, now time.Time, limit int) ([]*publisher.MetricsTrack, error) {
	return list(ctx, s, "listing due tracks", "SELECT "+trackCols+" FROM reach_tracks WHERE next_at IS NOT NULL AND next_at <= ? ORDER BY next_at, delivery_id"+
		page(limit, 0), []any{ms(now)}, scanTrack)
}

// ListActiveTracks returns tracks with a next reading, earliest first.
func (s *Store) ListActiveTracks(ctx context.Context, orgID string, limit int) ([]*publisher.MetricsTrack, error) {
	var w where
	w.add("next_at IS NOT NULL")
	if orgID != "" {
		w.add("org_id = ?", orgID)
	}
	return list(ctx, s, "listing active tracks", "SELECT "+trackCols+" FROM reach_tracks"+w.String()+" ORDER BY next_at, delivery_id"+page(limit, 0), w.args, scanTrack)
}

// GetTracks returns the tracks of the given deliveries.
func (s *Store) GetTracks(ctx context.Context, deliveryIDs []string) ([]*publisher.MetricsTrack, error) {
	var out []*publisher.MetricsTrack
	err := inChunks(deliveryIDs, func(args []any) error {
		ts, err := list(ctx, s, "reading tracks", "SELECT "+trackCols+" FROM reach_tracks WHERE delivery_id IN ("+placeholders(len(args))+") ORDER BY delivery_id", args, scanTrack)
		out = append(out, ts...)
		return err
	})
	return out, err
}

// UpdateTrack writes a track's schedule fields.
func (s *Store) UpdateTrack(ctx context.Context, t *publisher.MetricsTrack) error {
	return s.update(ctx, "updating a track", "track", "", `UPDATE reach_tracks SET next_at = ?, fetches = ?, last_fetched_at = ?, last_error = ?, updated_at = ?
		WHERE delivery_id = ?`, msp(t.NextAt), t.Fetches, msp(t.LastFetchedAt), t.LastError, ms(t.UpdatedAt), t.DeliveryID)
}

// ClaimDigest records the week's digest as sent; true for the first claim.
func (s *Store) ClaimDigest(ctx context.Context, week string, at time.Time) (bool, error) {
	n, err := s.exec(ctx, "claiming a digest", "", "INSERT INTO reach_digests (week, claimed_at) VALUES (?, ?) ON CONFLICT (week) DO NOTHING", week, ms(at))
	return n == 1, err
}
