package mongostore

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/prasar/prasar/publisher"
)

// settingsID is the _id of the one document of publishing settings.
const settingsID = "publishing"

// pauseDoc is a publisher.Pause as stored.
type pauseDoc struct {
	By     string    `bson:"by"`
	ByName string    `bson:"byName,omitempty"`
	At     time.Time `bson:"at"`
	Reason string    `bson:"reason,omitempty"`
}

func newPauseDoc(p *publisher.Pause) *pauseDoc {
	if p == nil {
		return nil
	}
	return &pauseDoc{By: p.By, ByName: p.ByName, At: utc(p.At), Reason: p.Reason}
}

func (p *pauseDoc) pause() *publisher.Pause {
	if p == nil {
		return nil
	}
	return &publisher.Pause{By: p.By, ByName: p.ByName, At: utc(p.At), Reason: p.Reason}
}

// settingsDoc is the publishing settings as stored.
type settingsDoc struct {
	ID         string               `bson:"_id"`
	Paused     *pauseDoc            `bson:"paused"`
	PausedOrgs map[string]*pauseDoc `bson:"pausedOrgs"`
	UpdatedAt  time.Time            `bson:"updatedAt"`
	Version    int64                `bson:"version"`
}

// GetSettings returns the publishing settings, or empty ones (Version 0)
// if none were saved.
func (s *Store) GetSettings(ctx context.Context) (*publisher.PublishingSettings, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var d settingsDoc
	err := s.settings.FindOne(ctx, bson.D{{Key: "_id", Value: settingsID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return &publisher.PublishingSettings{}, nil
	} else if err != nil {
		return nil, storeError(err, "reading the publishing settings")
	}
	ps := &publisher.PublishingSettings{Paused: d.Paused.pause(), UpdatedAt: utc(d.UpdatedAt), Version: d.Version}
	if len(d.PausedOrgs) > 0 {
		ps.PausedOrgs = make(map[string]*publisher.Pause, len(d.PausedOrgs))
		for k, v := range d.PausedOrgs {
			ps.PausedOrgs[k] = v.pause()
		}
	}
	return ps, nil
}

// SaveSettings stores ps if the stored version is ps.Version (0: none
// stored), and increments ps.Version; ECONFLICT otherwise.
func (s *Store) SaveSettings(ctx context.Context, ps *publisher.PublishingSettings) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	orgs := map[string]*pauseDoc{}
	for k, v := range ps.PausedOrgs {
		orgs[k] = newPauseDoc(v)
	}
	doc := settingsDoc{ID: settingsID, Paused: newPauseDoc(ps.Paused), PausedOrgs: orgs, UpdatedAt: utc(ps.UpdatedAt), Version: ps.Version + 1}
	if ps.Version == 0 {
		if _, err := s.settings.InsertOne(ctx, doc); err != nil {
			if isDuplicateKey(err) {
				return publisher.Errorf(publisher.ECONFLICT, "mongostore: saving the publishing settings: somebody saved them at the same time")
			}
			return storeError(err, "saving the publishing settings")
		}
		ps.Version++
		return nil
	}
	res, err := s.settings.ReplaceOne(ctx, bson.D{{Key: "_id", Value: settingsID}, {Key: "version", Value: ps.Version}}, doc)
	if err != nil {
		return storeError(err, "saving the publishing settings")
	}
	if res.MatchedCount == 0 {
		return publisher.Errorf(publisher.ECONFLICT, "mongostore: saving the publishing settings: somebody saved them at the same time")
	}
	ps.Version++
	return nil
}

// CountPublished counts a window's published deliveries and calls in
// flight.
func (s *Store) CountPublished(ctx context.Context, w publisher.PublishWindow) (publisher.PublishCount, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var c publisher.PublishCount
	filter := bson.D{{Key: "status", Value: string(publisher.DeliveryPublished)}, {Key: "platform", Value: string(w.Platform)}}
	if w.AccountID != "" {
		filter = append(filter, bson.E{Key: "accountId", Value: w.AccountID})
	}
	filter = append(filter, bson.E{Key: "publishedAt", Value: bson.D{{Key: "$gte", Value: w.Since.UTC()}}})
	n, err := s.deliveries.CountDocuments(ctx, filter)
	if err != nil {
		return c, storeError(err, "counting published deliveries")
	}
	c.Published = int(n)
	if n > 0 {
		var d deliveryDoc
		err := s.deliveries.FindOne(ctx, filter, options.FindOne().SetSort(bson.D{{Key: "publishedAt", Value: 1}})).Decode(&d)
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return c, storeError(err, "counting published deliveries")
		}
		c.Oldest = utcPtr(d.PublishedAt)
	}
	flight := bson.D{{Key: "status", Value: string(publisher.DeliverySending)}, {Key: "platform", Value: string(w.Platform)}}
	if w.AccountID != "" {
		flight = append(flight, bson.E{Key: "accountId", Value: w.AccountID})
	}
	flight = append(flight, bson.E{Key: "leaseUntil", Value: bson.D{{Key: "$gt", Value: w.Now.UTC()}}},
		bson.E{Key: "_id", Value: bson.D{{Key: "$ne", Value: w.ExcludeID}}})
	if n, err = s.deliveries.CountDocuments(ctx, flight); err != nil {
		return c, storeError(err, "counting deliveries in flight")
	}
	c.InFlight = int(n)
	return c, nil
}

// CancelDeliveries cancels a post's deliveries in c.From with one
// updateMany; each document changes atomically.
func (s *Store) CancelDeliveries(ctx context.Context, c publisher.DeliveryCancel) (int, error) {
	if len(c.From) == 0 {
		return 0, nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	from := make(bson.A, len(c.From))
	for i, st := range c.From {
		from[i] = string(st)
	}
	set := bson.D{
		{Key: "status", Value: string(publisher.DeliveryCancelled)},
		{Key: "errorClass", Value: ""},
		{Key: "errorMessage", Value: c.Message},
		{Key: "platformMessage", Value: ""},
		{Key: "nextAttemptAt", Value: nil},
		{Key: "claimToken", Value: ""},
		{Key: "leaseUntil", Value: nil},
		{Key: "updatedAt", Value: at(c.At)},
	}
	res, err := s.deliveries.UpdateMany(ctx, bson.D{{Key: "postId", Value: c.PostID}, {Key: "status", Value: bson.D{{Key: "$in", Value: from}}}},
		bson.D{{Key: "$set", Value: set}})
	if err != nil {
		return 0, storeError(err, "cancelling deliveries")
	}
	return int(res.ModifiedCount), nil
}

// retractionItemDoc is a publisher.RetractionItem as stored.
type retractionItemDoc struct {
	DeliveryID string    `bson:"deliveryId"`
	AccountID  string    `bson:"accountId"`
	Platform   string    `bson:"platform"`
	Outcome    string    `bson:"outcome"`
	Message    string    `bson:"message,omitempty"`
	URL        string    `bson:"url,omitempty"`
	Tries      int       `bson:"tries,omitempty"`
	At         time.Time `bson:"at"`
}

// retractionDoc is a publisher.Retraction as stored, _id the post's id.
type retractionDoc struct {
	PostID          string              `bson:"_id"`
	OrgID           string              `bson:"orgId"`
	Reason          string              `bson:"reason"`
	RequestedBy     string              `bson:"requestedBy"`
	RequestedByName string              `bson:"requestedByName,omitempty"`
	RequestedAt     time.Time           `bson:"requestedAt"`
	Done            bool                `bson:"done"`
	CompletedAt     *time.Time          `bson:"completedAt"`
	Items           []retractionItemDoc `bson:"items"`
	UpdatedAt       time.Time           `bson:"updatedAt"`
	Version         int64               `bson:"version"`
}

func newRetractionDoc(r *publisher.Retraction, version int64) *retractionDoc {
	d := &retractionDoc{PostID: r.PostID, OrgID: r.OrgID, Reason: r.Reason, RequestedBy: r.RequestedBy, RequestedByName: r.RequestedByName,
		RequestedAt: utc(r.RequestedAt), Done: r.Done, CompletedAt: utcPtr(r.CompletedAt), UpdatedAt: utc(r.UpdatedAt), Version: version,
		Items: make([]retractionItemDoc, len(r.Items))}
	for i, it := range r.Items {
		d.Items[i] = retractionItemDoc{DeliveryID: it.DeliveryID, AccountID: it.AccountID, Platform: string(it.Platform), Outcome: string(it.Outcome),
			Message: it.Message, URL: it.URL, Tries: it.Tries, At: utc(it.At)}
	}
	return d
}

func (d *retractionDoc) retraction() *publisher.Retraction {
	r := &publisher.Retraction{PostID: d.PostID, OrgID: d.OrgID, Reason: d.Reason, RequestedBy: d.RequestedBy, RequestedByName: d.RequestedByName,
		RequestedAt: utc(d.RequestedAt), Done: d.Done, CompletedAt: utcPtr(d.CompletedAt), UpdatedAt: utc(d.UpdatedAt), Version: d.Version}
	for _, it := range d.Items {
		r.Items = append(r.Items, publisher.RetractionItem{DeliveryID: it.DeliveryID, AccountID: it.AccountID, Platform: publisher.Platform(it.Platform),
			Outcome: publisher.RetractOutcome(it.Outcome), Message: it.Message, URL: it.URL, Tries: it.Tries, At: utc(it.At)})
	}
	return r
}

// CreateRetraction inserts r with Version 1; ECONFLICT if the post has one.
func (s *Store) CreateRetraction(ctx context.Context, r *publisher.Retraction) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if _, err := s.retractions.InsertOne(ctx, newRetractionDoc(r, 1)); err != nil {
		return storeError(err, "recording a retraction")
	}
	r.Version = 1
	return nil
}

// GetRetraction returns a post's retraction; ENOTFOUND if there is none.
func (s *Store) GetRetraction(ctx context.Context, postID string) (*publisher.Retraction, error) {
	return getOne(ctx, s, s.retractions, bson.D{{Key: "_id", Value: postID}}, "reading a retraction", (*retractionDoc).retraction)
}

// UpdateRetraction replaces r if its version is current, and increments
// r.Version; ENOTFOUND or ECONFLICT otherwise.
func (s *Store) UpdateRetraction(ctx context.Context, r *publisher.Retraction) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.retractions.ReplaceOne(ctx, bson.D{{Key: "_id", Value: r.PostID}, {Key: "version", Value: r.Version}}, newRetractionDoc(r, r.Version+1))
	if err != nil {
		return storeError(err, "updating a retraction")
	}
	if res.MatchedCount == 0 {
		return s.notFoundOrConflict(ctx, s.retractions, r.PostID, "updating a retraction", "somebody changed the retraction at the same time")
	}
	r.Version++
	return nil
}
