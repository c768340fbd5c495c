package mongostore

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/prasar/prasar/publisher"
)

// Reach (publisher.ReachStore) without transactions.
//
// A reading changes a delivery's contribution and eight roll-up documents.
// It is applied exactly once in three steps, each safe to repeat:
//
//  1. The contribution is replaced by a compare-and-set on its version,
//     and the same write records the pending change: an operation id
//     (delivery and reading time), the delta and the time. Of two
//     concurrent readings of one delivery one wins; the other re-reads.
//  2. Each roll-up document gets the delta with $inc in an upsert on its
//     unique _id, filtered on the operation id not being in its ops list
//     and pushing it there: a repeat matches nothing, its upsert breaks
//     the unique _id, and that duplicate-key error means "already
//     applied".
//  3. The pending change is removed from the contribution, then the
//     operation id from the roll-ups' ops lists.
//
// A process that dies between the steps leaves the pending change on the
// contribution; the next reading of the delivery, or RepairRollups (each
// sweep), finishes it. On a real MongoDB every step is atomic per
// document. FerretDB 1.x is not (concurrent $inc and compare-and-set lose
// updates; docs/ferretdb-subset.md): the conformance suite's concurrent
// cases are marked as needing a real MongoDB there.

// readingDoc is a raw reading as stored. Metric names are values, not
// keys: platforms' names hold dots ("public_metrics.like_count"), which
// document keys may not.
type readingDoc struct {
	ID          string        `bson:"_id"`
	DeliveryID  string        `bson:"deliveryId"`
	PostID      string        `bson:"postId"`
	OrgID       string        `bson:"orgId"`
	AccountID   string        `bson:"accountId"`
	Platform    string        `bson:"platform"`
	APIVersion  string        `bson:"apiVersion"`
	PublishedAt time.Time     `bson:"publishedAt"`
	FetchedAt   time.Time     `bson:"fetchedAt"`
	Values      []metricValue `bson:"values"`
	Unavailable []metricNote  `bson:"unavailable,omitempty"`
}

type metricValue struct {
	Name  string `bson:"name"`
	Value int64  `bson:"value"`
}

type metricNote struct {
	Name   string `bson:"name"`
	Reason string `bson:"reason"`
}

func newReadingDoc(r *publisher.MetricReading) *readingDoc {
	d := &readingDoc{ID: r.ID, DeliveryID: r.DeliveryID, PostID: r.PostID, OrgID: r.OrgID, AccountID: r.AccountID, Platform: string(r.Platform),
		APIVersion: r.APIVersion, PublishedAt: utc(r.PublishedAt), FetchedAt: utc(r.FetchedAt), Values: []metricValue{}}
	for _, k := range slices.Sorted(maps.Keys(r.Values)) {
		d.Values = append(d.Values, metricValue{k, r.Values[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(r.Unavailable)) {
		d.Unavailable = append(d.Unavailable, metricNote{k, r.Unavailable[k]})
	}
	return d
}

func (d *readingDoc) reading() *publisher.MetricReading {
	r := &publisher.MetricReading{ID: d.ID, DeliveryID: d.DeliveryID, PostID: d.PostID, OrgID: d.OrgID, AccountID: d.AccountID,
		Platform: publisher.Platform(d.Platform), APIVersion: d.APIVersion, PublishedAt: utc(d.PublishedAt), FetchedAt: utc(d.FetchedAt),
		Values: map[string]int64{}}
	for _, v := range d.Values {
		r.Values[v.Name] = v.Value
	}
	if len(d.Unavailable) > 0 {
		r.Unavailable = map[string]string{}
		for _, n := range d.Unavailable {
			r.Unavailable[n.Name] = n.Reason
		}
	}
	return r
}

// pendingDoc is a roll-up change recorded on a contribution and not yet
// known to be applied everywhere.
type pendingDoc struct {
	Op    string    `bson:"op"`
	Delta totalsDoc `bson:"delta"`
	Keys  []string  `bson:"keys"`
}

type contributionDoc struct {
	ID          string      `bson:"_id"` // delivery id
	PostID      string      `bson:"postId"`
	OrgID       string      `bson:"orgId"`
	AccountID   string      `bson:"accountId"`
	Platform    string      `bson:"platform"`
	Day         string      `bson:"day"`
	Reach       *int64      `bson:"reach"`
	Views       *int64      `bson:"views"`
	Engagements *int64      `bson:"engagements"`
	AsOf        time.Time   `bson:"asOf"`
	Version     int64       `bson:"version"`
	Pending     *pendingDoc `bson:"pending,omitempty"`
	PendingAt   *time.Time  `bson:"pendingAt,omitempty"`
}

func newContributionDoc(c *publisher.Contribution) *contributionDoc {
	return &contributionDoc{ID: c.DeliveryID, PostID: c.PostID, OrgID: c.OrgID, AccountID: c.AccountID, Platform: string(c.Platform), Day: c.Day,
		Reach: c.Figures.Reach, Views: c.Figures.Views, Engagements: c.Figures.Engagements, AsOf: utc(c.AsOf)}
}

func (d *contributionDoc) contribution() *publisher.Contribution {
	return &publisher.Contribution{DeliveryID: d.ID, PostID: d.PostID, OrgID: d.OrgID, AccountID: d.AccountID, Platform: publisher.Platform(d.Platform),
		Day: d.Day, Figures: publisher.PostFigures{Reach: d.Reach, Views: d.Views, Engagements: d.Engagements}, AsOf: utc(d.AsOf)}
}

// totalsDoc is publisher.Totals as stored.
type totalsDoc struct {
	Posts           int64 `bson:"posts"`
	Reach           int64 `bson:"reach"`
	ReachPosts      int64 `bson:"reachPosts"`
	Views           int64 `bson:"views"`
	ViewsPosts      int64 `bson:"viewsPosts"`
	Engagements     int64 `bson:"engagements"`
	EngagementPosts int64 `bson:"engagementPosts"`
}

func (d totalsDoc) totals() publisher.Totals {
	return publisher.Totals{Posts: d.Posts, Reach: d.Reach, ReachPosts: d.ReachPosts, Views: d.Views, ViewsPosts: d.ViewsPosts,
		Engagements: d.Engagements, EngagementPosts: d.EngagementPosts}
}

func (d *totalsDoc) add(t publisher.Totals) {
	d.Posts += t.Posts
	d.Reach += t.Reach
	d.ReachPosts += t.ReachPosts
	d.Views += t.Views
	d.ViewsPosts += t.ViewsPosts
	d.Engagements += t.Engagements
	d.EngagementPosts += t.EngagementPosts
}

// rollupDoc is a roll-up row; Ops are the readings being applied to it
// (see the top of this file).
type rollupDoc struct {
	ID       string    `bson:"_id"` // RollupKey.String()
	Period   string    `bson:"period"`
	Platform string    `bson:"platform"`
	Start    string    `bson:"start"`
	OrgID    string    `bson:"orgId"`
	Totals   totalsDoc `bson:",inline"`
	Ops      []string  `bson:"ops,omitempty"`
}

func (d *rollupDoc) rollup() *publisher.Rollup {
	return &publisher.Rollup{Period: publisher.Period(d.Period), Platform: publisher.Platform(d.Platform), Start: d.Start, OrgID: d.OrgID, Totals: d.Totals.totals()}
}

// totalsInc is the $inc document of a delta.
func totalsInc(d totalsDoc) bson.D {
	t := d.totals()
	return bson.D{{Key: "posts", Value: t.Posts}, {Key: "reach", Value: t.Reach}, {Key: "reachPosts", Value: t.ReachPosts},
		{Key: "views", Value: t.Views}, {Key: "viewsPosts", Value: t.ViewsPosts}, {Key: "engagements", Value: t.Engagements},
		{Key: "engagementPosts", Value: t.EngagementPosts}}
}

// parseRollupKey reads a RollupKey.String().
func parseRollupKey(s string) publisher.RollupKey {
	var parts [4]string
	i := 0
	start := 0
	for j := 0; j < len(s) && i < 3; j++ {
		if s[j] == '|' {
			parts[i] = s[start:j]
			i++
			start = j + 1
		}
	}
	parts[3] = s[start:]
	return publisher.RollupKey{Period: publisher.Period(parts[0]), Platform: publisher.Platform(parts[1]), Start: parts[2], OrgID: parts[3]}
}

// maxCASTries bounds the compare-and-set retries of one reading.
const maxCASTries = 20

// RecordReading stores a raw reading (r may be nil) and applies c exactly
// once, as described at the top of this file.
func (s *Store) RecordReading(ctx context.Context, r *publisher.MetricReading, c *publisher.Contribution) (bool, error) {
	const what = "recording a metrics reading"
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if r != nil {
		doc := newReadingDoc(r)
		// The same reading stored again (a retried call) is not an error:
		// applying it again changes nothing.
		if _, err := s.metricReadings.InsertOne(ctx, doc); err != nil && !isDuplicateKey(err) {
			return false, storeError(err, what)
		}
	}
	coll := s.reachContributions
	for try := 0; try < maxCASTries; try++ {
		var old contributionDoc
		err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: c.DeliveryID}}).Decode(&old)
		var oldC *publisher.Contribution
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
		case err != nil:
			return false, storeError(err, what)
		default:
			if old.Pending != nil {
				if err := s.finishPending(ctx, c.DeliveryID, old.Pending); err != nil {
					return false, err
				}
				continue
			}
			oldC = old.contribution()
		}
		merged, delta, ok := publisher.MergeContribution(oldC, c)
		if !ok {
			return false, nil
		}
		doc := newContributionDoc(&merged)
		doc.Version = old.Version + 1
		var pending *pendingDoc
		if !delta.IsZero() {
			now := time.Now().UTC()
			pending = &pendingDoc{Op: c.DeliveryID + "@" + strconv.FormatInt(merged.AsOf.UnixMilli(), 10)}
			pending.Delta.add(delta)
			for _, k := range publisher.RollupKeys(&merged) {
				pending.Keys = append(pending.Keys, k.String())
			}
			doc.Pending, doc.PendingAt = pending, &now
		}
		if oldC == nil {
			if _, err := coll.InsertOne(ctx, doc); isDuplicateKey(err) {
				continue // another reading of the delivery was first
			} else if err != nil {
				return false, storeError(err, what)
			}
		} else {
			res, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: c.DeliveryID}, {Key: "version", Value: old.Version}}, doc)
			if err != nil {
				return false, storeError(err, what)
			}
			if res.MatchedCount == 0 {
				continue // changed meanwhile: merge with the newer one
			}
		}
		if pending != nil {
			if err := s.finishPending(ctx, c.DeliveryID, pending); err != nil {
				return false, err
			}
		}
		return true, nil
	}
	return false, publisher.Errorf(publisher.ECONFLICT, "mongostore: %s: the delivery's contribution kept changing", what)
}

// finishPending applies a pending roll-up change to every roll-up (each at
// most once), then removes it from the contribution and the roll-ups.
func (s *Store) finishPending(ctx context.Context, deliveryID string, p *pendingDoc) error {
	const what = "applying a roll-up change"
	rollups := s.reachRollups
	for _, key := range p.Keys {
		k := parseRollupKey(key)
		_, err := rollups.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "ops", Value: bson.D{{Key: "$ne", Value: p.Op}}}},
			bson.D{{Key: "$inc", Value: totalsInc(p.Delta)}, {Key: "$push", Value: bson.D{{Key: "ops", Value: p.Op}}},
				{Key: "$setOnInsert", Value: bson.D{{Key: "period", Value: string(k.Period)}, {Key: "platform", Value: string(k.Platform)},
					{Key: "start", Value: k.Start}, {Key: "orgId", Value: k.OrgID}}}},
			options.UpdateOne().SetUpsert(true))
		if err != nil && !isDuplicateKey(err) { // a duplicate: applied before
			return storeError(err, what)
		}
	}
	if _, err := s.reachContributions.UpdateOne(ctx, bson.D{{Key: "_id", Value: deliveryID}, {Key: "pending.op", Value: p.Op}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "pending", Value: ""}, {Key: "pendingAt", Value: ""}}}}); err != nil {
		return storeError(err, what)
	}
	for _, key := range p.Keys {
		if _, err := rollups.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}}, bson.D{{Key: "$pull", Value: bson.D{{Key: "ops", Value: p.Op}}}}); err != nil {
			return storeError(err, what)
		}
	}
	return nil
}

// RepairRollups finishes the roll-up changes that a process left pending
// for longer than olderThan (it died between the steps), and returns how
// many it finished.
func (s *Store) RepairRollups(ctx context.Context, olderThan time.Duration) (int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	cur, err := s.reachContributions.Find(ctx, bson.D{{Key: "pendingAt", Value: bson.D{{Key: "$lt", Value: time.Now().Add(-olderThan).UTC()}}}})
	if err != nil {
		return 0, storeError(err, "finding pending roll-up changes")
	}
	defer cur.Close(ctx)
	n := 0
	for cur.Next(ctx) {
		var d contributionDoc
		if err := cur.Decode(&d); err != nil {
			return n, storeError(err, "finding pending roll-up changes")
		}
		if d.Pending == nil {
			continue
		}
		if err := s.finishPending(ctx, d.ID, d.Pending); err != nil {
			return n, err
		}
		n++
	}
	return n, storeError(cur.Err(), "finding pending roll-up changes")
}

// ListReadings returns the readings of the given deliveries.
func (s *Store) ListReadings(ctx context.Context, deliveryIDs []string) ([]*publisher.MetricReading, error) {
	if len(deliveryIDs) == 0 {
		return nil, nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	out, err := findAll(ctx, s.metricReadings, bson.D{{Key: "deliveryId", Value: bson.D{{Key: "$in", Value: deliveryIDs}}}},
		options.Find().SetSort(bson.D{{Key: "deliveryId", Value: 1}, {Key: "fetchedAt", Value: 1}, {Key: "_id", Value: 1}}), (*readingDoc).reading)
	return out, storeError(err, "listing metrics readings")
}

// ScanReadings calls fn with every reading, by delivery and oldest first.
// It is not bounded by the store's call timeout (only by ctx).
func (s *Store) ScanReadings(ctx context.Context, fn func(*publisher.MetricReading) error) error {
	cur, err := s.metricReadings.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "deliveryId", Value: 1}, {Key: "fetchedAt", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return storeError(err, "scanning metrics readings")
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d readingDoc
		if err := cur.Decode(&d); err != nil {
			return storeError(err, "scanning metrics readings")
		}
		if err := fn(d.reading()); err != nil {
			return err
		}
	}
	return storeError(cur.Err(), "scanning metrics readings")
}

// GetContributions returns the contributions of the given deliveries.
func (s *Store) GetContributions(ctx context.Context, deliveryIDs []string) ([]*publisher.Contribution, error) {
	if len(deliveryIDs) == 0 {
		return nil, nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	out, err := findAll(ctx, s.reachContributions, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: deliveryIDs}}}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}), (*contributionDoc).contribution)
	return out, storeError(err, "reading contributions")
}

// replaceBatch is how many documents one insertMany of a rebuild carries.
const replaceBatch = 1000

// ReplaceContributions replaces every contribution and roll-up: the
// contributions next yields, and the roll-ups summed from them in memory.
// It is not atomic: stop the workers while it runs.
func (s *Store) ReplaceContributions(ctx context.Context, next func() (*publisher.Contribution, error)) (int, error) {
	const what = "replacing contributions"
	for _, coll := range []*mongo.Collection{s.reachContributions, s.reachRollups} {
		cctx, cancel := s.ctx(ctx)
		_, err := coll.DeleteMany(cctx, bson.D{})
		cancel()
		if err != nil {
			return 0, storeError(err, what)
		}
	}
	sums := map[string]*rollupDoc{}
	var batch []any
	flush := func(coll *mongo.Collection) error {
		if len(batch) == 0 {
			return nil
		}
		cctx, cancel := s.ctx(ctx)
		defer cancel()
		_, err := coll.InsertMany(cctx, batch)
		batch = batch[:0]
		return storeError(err, what)
	}
	n := 0
	for {
		c, err := next()
		if err != nil {
			return n, err
		}
		if c == nil {
			break
		}
		n++
		_, delta, _ := publisher.MergeContribution(nil, c)
		for _, k := range publisher.RollupKeys(c) {
			id := k.String()
			r := sums[id]
			if r == nil {
				r = &rollupDoc{ID: id, Period: string(k.Period), Platform: string(k.Platform), Start: k.Start, OrgID: k.OrgID}
				sums[id] = r
			}
			r.Totals.add(delta)
		}
		batch = append(batch, newContributionDoc(c))
		if len(batch) == replaceBatch {
			if err := flush(s.reachContributions); err != nil {
				return n, err
			}
		}
	}
	if err := flush(s.reachContributions); err != nil {
		return n, err
	}
	for _, r := range sums {
		batch = append(batch, r)
		if len(batch) == replaceBatch {
			if err := flush(s.reachRollups); err != nil {
				return n, err
			}
		}
	}
	return n, flush(s.reachRollups)
}

// ListRollups returns the roll-up rows of q (ByOrg: summed here).
func (s *Store) ListRollups(ctx context.Context, q publisher.RollupQuery) ([]*publisher.Rollup, error) {
	const what = "listing roll-ups"
	if q.ByOrg && q.OrgID != "" {
		return nil, publisher.Errorf(publisher.EINTERNAL, "mongostore: %s: ByOrg needs every organisation", what)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var rows []*publisher.Rollup
	for _, seg := range q.Segments {
		filter := bson.D{{Key: "period", Value: string(seg.Period)}, {Key: "platform", Value: string(q.Platform)},
			{Key: "start", Value: bson.D{{Key: "$gte", Value: seg.From}, {Key: "$lte", Value: seg.To}}}}
		if q.OrgID == "" {
			filter = append(filter, bson.E{Key: "orgId", Value: bson.D{{Key: "$ne", Value: publisher.AllOrgs}}})
		} else {
			filter = append(filter, bson.E{Key: "orgId", Value: q.OrgID})
		}
		got, err := findAll(ctx, s.reachRollups, filter, options.Find().SetSort(bson.D{{Key: "orgId", Value: 1}, {Key: "start", Value: 1}}).
			SetProjection(bson.D{{Key: "ops", Value: 0}}), (*rollupDoc).rollup)
		if err != nil {
			return nil, storeError(err, what)
		}
		rows = append(rows, got...)
	}
	if !q.ByOrg {
		sortRollups(rows)
		return rows, nil
	}
	byOrg := map[string]*publisher.Rollup{}
	var out []*publisher.Rollup
	for _, r := range rows {
		o := byOrg[r.OrgID]
		if o == nil {
			o = &publisher.Rollup{OrgID: r.OrgID}
			byOrg[r.OrgID] = o
			out = append(out, o)
		}
		o.Totals.Add(r.Totals)
	}
	sortRollups(out)
	return out, nil
}

func sortRollups(rs []*publisher.Rollup) {
	slices.SortFunc(rs, func(a, b *publisher.Rollup) int {
		return cmp.Or(cmp.Compare(a.Period, b.Period), cmp.Compare(a.OrgID, b.OrgID), cmp.Compare(a.Start, b.Start))
	})
}

// TopContributions returns the contributions with the largest q.By.
func (s *Store) TopContributions(ctx context.Context, q publisher.TopQuery) ([]*publisher.Contribution, error) {
	const what = "listing top contributions"
	if !q.By.Valid() {
		return nil, publisher.Errorf(publisher.EINTERNAL, "mongostore: %s: unknown figure %q", what, q.By)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	col := string(q.By)
	filter := bson.D{{Key: "day", Value: bson.D{{Key: "$gte", Value: q.From}, {Key: "$lte", Value: q.To}}}, {Key: col, Value: bson.D{{Key: "$ne", Value: nil}}}}
	if q.OrgID != "" {
		filter = append(filter, bson.E{Key: "orgId", Value: q.OrgID})
	}
	if q.Platform != "" && q.Platform != publisher.AllPlatforms {
		filter = append(filter, bson.E{Key: "platform", Value: string(q.Platform)})
	}
	opts := options.Find().SetSort(bson.D{{Key: col, Value: -1}, {Key: "_id", Value: 1}})
	if q.Limit > 0 {
		opts.SetLimit(int64(q.Limit))
	}
	out, err := findAll(ctx, s.reachContributions, filter, opts, (*contributionDoc).contribution)
	return out, storeError(err, what)
}

// Tracks.

type trackDoc struct {
	ID            string     `bson:"_id"` // delivery id
	OrgID         string     `bson:"orgId"`
	Platform      string     `bson:"platform"`
	PublishedAt   time.Time  `bson:"publishedAt"`
	NextAt        *time.Time `bson:"nextAt"`
	Fetches       int        `bson:"fetches"`
	LastFetchedAt *time.Time `bson:"lastFetchedAt"`
	LastError     string     `bson:"lastError"`
	UpdatedAt     time.Time  `bson:"updatedAt"`
}

func (d *trackDoc) track() *publisher.MetricsTrack {
	return &publisher.MetricsTrack{DeliveryID: d.ID, OrgID: d.OrgID, Platform: publisher.Platform(d.Platform), PublishedAt: utc(d.PublishedAt),
		NextAt: utcPtr(d.NextAt), Fetches: d.Fetches, LastFetchedAt: utcPtr(d.LastFetchedAt), LastError: d.LastError, UpdatedAt: utc(d.UpdatedAt)}
}

// TrackPublished starts tracks for deliveries published since since.
func (s *Store) TrackPublished(ctx context.Context, since time.Time, first time.Duration, now time.Time) (int, error) {
	const what = "tracking published deliveries"
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	type pub struct {
		ID          string    `bson:"_id"`
		OrgID       string    `bson:"orgId"`
		Platform    string    `bson:"platform"`
		PublishedAt time.Time `bson:"publishedAt"`
	}
	cur, err := s.deliveries.Find(ctx, bson.D{{Key: "publishedAt", Value: bson.D{{Key: "$gte", Value: since.UTC()}}}, {Key: "status", Value: string(publisher.DeliveryPublished)}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "orgId", Value: 1}, {Key: "platform", Value: 1}, {Key: "publishedAt", Value: 1}}))
	if err != nil {
		return 0, storeError(err, what)
	}
	defer cur.Close(ctx)
	var ids []string
	var docs []*trackDoc
	for cur.Next(ctx) {
		var p pub
		if err := cur.Decode(&p); err != nil {
			return 0, storeError(err, what)
		}
		next := p.PublishedAt.Add(first).UTC()
		ids = append(ids, p.ID)
		docs = append(docs, &trackDoc{ID: p.ID, OrgID: p.OrgID, Platform: p.Platform, PublishedAt: utc(p.PublishedAt), NextAt: &next, UpdatedAt: now.UTC()})
	}
	if err := cur.Err(); err != nil {
		return 0, storeError(err, what)
	}
	if len(docs) == 0 {
		return 0, nil
	}
	// Insert only the missing ones: FerretDB answers an insertMany whose
	// documents mostly exist slowly, and a sweep sees the same recent
	// deliveries many times.
	have := map[string]bool{}
	existing, err := findAll(ctx, s.reachTracks, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}), func(d *trackDoc) *string { return &d.ID })
	if err != nil {
		return 0, storeError(err, what)
	}
	for _, id := range existing {
		have[*id] = true
	}
	var missing []any
	for _, d := range docs {
		if !have[d.ID] {
			missing = append(missing, d)
		}
	}
	if len(missing) == 0 {
		return 0, nil
	}
	res, err := s.reachTracks.InsertMany(ctx, missing, options.InsertMany().SetOrdered(false))
	if err != nil {
		var bwe mongo.BulkWriteException
		if !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
			return 0, storeError(err, what)
		}
		for _, we := range bwe.WriteErrors {
			if !isDuplicateKey(we.WriteError) {
				return 0, storeError(err, what)
			}
		}
		return len(missing) - len(bwe.WriteErrors), nil
	}
	return len(res.InsertedIDs), nil
}

// LatestTrackedPublish returns the latest PublishedAt of the tracks.
func (s *Store) LatestTrackedPublish(ctx context.Context) (time.Time, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var d trackDoc
	err := s.reachTracks.FindOne(ctx, bson.D{}, options.FindOne().SetSort(bson.D{{Key: "publishedAt", Value: -1}})).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return time.Time{}, nil
	} else if err != nil {
		return time.Time{}, storeError(err, "reading the latest tracked delivery")
	}
	return utc(d.PublishedAt), nil
}

// ListDueTracks returns tracks due at now, earliest first.
func (s *Store) ListDueTracks(ctx context.Context, now time.Time, limit int) ([]*publisher.MetricsTrack, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	out, err := findAll(ctx, s.reachTracks, bson.D{{Key: "nextAt", Value: bson.D{{Key: "$lte", Value: now.UTC()}}}},
		pageOptions(options.Find().SetSort(bson.D{{Key: "nextAt", Value: 1}, {Key: "_id", Value: 1}}), limit, 0), (*trackDoc).track)
	return out, storeError(err, "listing due tracks")
}

// ListActiveTracks returns tracks with a next reading, earliest first.
func (s *Store) ListActiveTracks(ctx context.Context, orgID string, limit int) ([]*publisher.MetricsTrack, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{{Key: "nextAt", Value: bson.D{{Key: "$ne", Value: nil}}}}
	if orgID != "" {
		filter = append(filter, bson.E{Key: "orgId", Value: orgID})
	}
	out, err := findAll(ctx, s.reachTracks, filter, pageOptions(options.Find().SetSort(bson.D{{Key: "nextAt", Value: 1}, {Key: "_id", Value: 1}}), limit, 0), (*trackDoc).track)
	return out, storeError(err, "listing active tracks")
}

// GetTracks returns the tracks of the given deliveries.
func (s *Store) GetTracks(ctx context.Context, deliveryIDs []string) ([]*publisher.MetricsTrack, error) {
	if len(deliveryIDs) == 0 {
		return nil, nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	out, err := findAll(ctx, s.reachTracks, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: deliveryIDs}}}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}), (*trackDoc).track)
	return out, storeError(err, "reading tracks")
}

// UpdateTrack writes a track's schedule fields.
func (s *Store) UpdateTrack(ctx context.Context, t *publisher.MetricsTrack) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.reachTracks.UpdateOne(ctx, bson.D{{Key: "_id", Value: t.DeliveryID}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "nextAt", Value: utcPtr(t.NextAt)}, {Key: "fetches", Value: t.Fetches}, {Key: "lastFetchedAt", Value: utcPtr(t.LastFetchedAt)},
		{Key: "lastError", Value: t.LastError}, {Key: "updatedAt", Value: utc(t.UpdatedAt)}}}})
	if err != nil {
		return storeError(err, "updating a track")
	}
	if res.MatchedCount == 0 {
		return publisher.Errorf(publisher.ENOTFOUND, "mongostore: updating a track: no such track %q", t.DeliveryID)
	}
	return nil
}

// ClaimDigest records the week's digest as sent; true for the first claim.
func (s *Store) ClaimDigest(ctx context.Context, week string, at time.Time) (bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.reachDigests.InsertOne(ctx, bson.D{{Key: "_id", Value: week}, {Key: "claimedAt", Value: at.UTC()}})
	if isDuplicateKey(err) {
		return false, nil
	}
	return err == nil, storeError(err, "claiming a digest")
}
