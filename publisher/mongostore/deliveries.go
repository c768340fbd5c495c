package mongostore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/prasar/prasar/publisher"
)

// deliveryDoc is a delivery as stored. The document also holds the
// delivery's attempts, in an array (attemptLog) that deliveryDoc leaves
// out: reads of deliveries project it away, and only the attempts'
// functions read it.
type deliveryDoc struct {
	ID              string     `bson:"_id"`
	PostID          string     `bson:"postId"`
	Revision        int        `bson:"revision"`
	AccountID       string     `bson:"accountId"`
	OrgID           string     `bson:"orgId"`
	Platform        string     `bson:"platform"`
	Status          string     `bson:"status"`
	Attempts        int        `bson:"attempts"`
	Failures        int        `bson:"failures"`
	ClaimToken      string     `bson:"claimToken,omitempty"`
	LeaseUntil      *time.Time `bson:"leaseUntil,omitempty"`
	SendingSince    *time.Time `bson:"sendingSince,omitempty"`
	NeedsLookup     bool       `bson:"needsLookup"`
	NextAttemptAt   *time.Time `bson:"nextAttemptAt,omitempty"`
	ExternalID      string     `bson:"externalId,omitempty"`
	ExternalURL     string     `bson:"externalUrl,omitempty"`
	PublishedAt     *time.Time `bson:"publishedAt,omitempty"`
	ErrorClass      string     `bson:"errorClass,omitempty"`
	ErrorMessage    string     `bson:"errorMessage,omitempty"`
	PlatformMessage string     `bson:"platformMessage,omitempty"`
	CreatedAt       time.Time  `bson:"createdAt"`
	UpdatedAt       time.Time  `bson:"updatedAt"`
}

func newDeliveryDoc(d *publisher.Delivery) *deliveryDoc {
	return &deliveryDoc{ID: d.ID, PostID: d.PostID, Revision: d.Revision, AccountID: d.AccountID, OrgID: d.OrgID,
		Platform: string(d.Platform), Status: string(d.Status), Attempts: d.Attempts, Failures: d.Failures,
		ClaimToken: d.ClaimToken, LeaseUntil: utcPtr(d.LeaseUntil), SendingSince: utcPtr(d.SendingSince),
		NeedsLookup: d.NeedsLookup, NextAttemptAt: utcPtr(d.NextAttemptAt), ExternalID: d.ExternalID,
		ExternalURL: d.ExternalURL, PublishedAt: utcPtr(d.PublishedAt), ErrorClass: string(d.ErrorClass),
		ErrorMessage: d.ErrorMessage, PlatformMessage: d.PlatformMessage, CreatedAt: utc(d.CreatedAt), UpdatedAt: utc(d.UpdatedAt)}
}

func (d *deliveryDoc) delivery() *publisher.Delivery {
	return &publisher.Delivery{ID: d.ID, PostID: d.PostID, Revision: d.Revision, AccountID: d.AccountID, OrgID: d.OrgID,
		Platform: publisher.Platform(d.Platform), Status: publisher.DeliveryStatus(d.Status), Attempts: d.Attempts,
		Failures: d.Failures, ClaimToken: d.ClaimToken, LeaseUntil: utcPtr(d.LeaseUntil), SendingSince: utcPtr(d.SendingSince),
		NeedsLookup: d.NeedsLookup, NextAttemptAt: utcPtr(d.NextAttemptAt), ExternalID: d.ExternalID,
		ExternalURL: d.ExternalURL, PublishedAt: utcPtr(d.PublishedAt), ErrorClass: publisher.ErrorClass(d.ErrorClass),
		ErrorMessage: d.ErrorMessage, PlatformMessage: d.PlatformMessage, CreatedAt: utc(d.CreatedAt), UpdatedAt: utc(d.UpdatedAt)}
}

// CreateDeliveries inserts the deliveries that do not exist yet, by id and
// by post, revision and account, and returns how many it inserted. It is
// one unordered insertMany: the documents that break the unique indexes are
// skipped by the server and counted out here, so that re-running a fan-out
// is harmless.
func (s *Store) CreateDeliveries(ctx context.Context, ds []*publisher.Delivery) (int, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	docs := make([]*deliveryDoc, len(ds))
	for i, d := range ds {
		docs[i] = newDeliveryDoc(d)
	}
	_, err := s.deliveries.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err == nil {
		return len(ds), nil
	}
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
		return 0, storeError(err, "creating deliveries")
	}
	for _, we := range bwe.WriteErrors {
		if !isDuplicateKey(we.WriteError) {
			return 0, storeError(err, "creating deliveries")
		}
	}
	return len(ds) - len(bwe.WriteErrors), nil
}

// attemptLog is the field of a delivery's document that holds its
// attempts. (The delivery's "attempts" field is its count of claims.)
const attemptLog = "attemptLog"

// withoutAttempts is the projection of a delivery without its attempts.
var withoutAttempts = bson.D{{Key: attemptLog, Value: 0}}

// GetDelivery returns ENOTFOUND if there is no such delivery.
func (s *Store) GetDelivery(ctx context.Context, id string) (*publisher.Delivery, error) {
	return getOne(ctx, s, s.deliveries, bson.D{{Key: "_id", Value: id}}, "getting delivery", (*deliveryDoc).delivery,
		options.FindOne().SetProjection(withoutAttempts))
}

// deliveryFilter turns f into a query.
func deliveryFilter(f publisher.DeliveryFilter) bson.D {
	q := bson.D{}
	if f.OrgID != "" {
		q = append(q, bson.E{Key: "orgId", Value: f.OrgID})
	}
	if f.PostID != "" {
		q = append(q, bson.E{Key: "postId", Value: f.PostID})
	}
	if f.AccountID != "" {
		q = append(q, bson.E{Key: "accountId", Value: f.AccountID})
	}
	if f.Platform != "" {
		q = append(q, bson.E{Key: "platform", Value: string(f.Platform)})
	}
	if len(f.Statuses) > 0 {
		st := make(bson.A, len(f.Statuses))
		for i, v := range f.Statuses {
			st[i] = string(v)
		}
		q = append(q, bson.E{Key: "status", Value: bson.D{{Key: "$in", Value: st}}})
	}
	if !f.From.IsZero() || !f.To.IsZero() {
		r := bson.D{}
		if !f.From.IsZero() {
			r = append(r, bson.E{Key: "$gte", Value: f.From.UTC()})
		}
		if !f.To.IsZero() {
			r = append(r, bson.E{Key: "$lt", Value: f.To.UTC()})
		}
		q = append(q, bson.E{Key: "createdAt", Value: r})
	}
	return q
}

// ListDeliveries returns deliveries matching f, newest first, and the
// number of matches without Limit/Offset.
func (s *Store) ListDeliveries(ctx context.Context, f publisher.DeliveryFilter) ([]*publisher.Delivery, int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	q := deliveryFilter(f)
	n, err := s.deliveries.CountDocuments(ctx, q)
	if err != nil {
		return nil, 0, storeError(err, "counting deliveries")
	}
	opts := options.Find().SetProjection(withoutAttempts).SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}})
	out, err := findAll(ctx, s.deliveries, q, pageOptions(opts, f.Limit, f.Offset), (*deliveryDoc).delivery)
	if err != nil {
		return nil, 0, storeError(err, "listing deliveries")
	}
	return out, int(n), nil
}

// CountDeliveries counts deliveries matching f by status (Limit and Offset
// are ignored). Statuses without deliveries are absent from the result.
func (s *Store) CountDeliveries(ctx context.Context, f publisher.DeliveryFilter) (publisher.DeliveryCounts, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	// One accumulator only: FerretDB 1.x computes only the first of several.
	pipeline := mongo.Pipeline{
		{{Key: "$match", Value: deliveryFilter(f)}},
		{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$status"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
	}
	cur, err := s.deliveries.Aggregate(ctx, pipeline)
	if err != nil {
		return nil, storeError(err, "counting deliveries")
	}
	defer cur.Close(ctx)
	counts := publisher.DeliveryCounts{}
	for cur.Next(ctx) {
		var row struct {
			Status string `bson:"_id"`
			N      int    `bson:"n"`
		}
		if err := cur.Decode(&row); err != nil {
			return nil, storeError(err, "counting deliveries")
		}
		if row.N > 0 {
			counts[publisher.DeliveryStatus(row.Status)] = row.N
		}
	}
	if err := cur.Err(); err != nil {
		return nil, storeError(err, "counting deliveries")
	}
	return counts, nil
}

// The states in which a worker may claim a delivery at now. A retrying
// delivery without NextAttemptAt is due at once, and a sending one without a
// lease has no holder.
func dueQueuedOrRetrying(now time.Time) bson.A {
	return bson.A{
		bson.D{{Key: "status", Value: string(publisher.DeliveryQueued)}},
		bson.D{{Key: "status", Value: string(publisher.DeliveryRetrying)}, {Key: "nextAttemptAt", Value: bson.D{{Key: "$lte", Value: now}}}},
		bson.D{{Key: "status", Value: string(publisher.DeliveryRetrying)}, {Key: "nextAttemptAt", Value: nil}},
	}
}

func expiredSending(now time.Time) bson.A {
	return bson.A{
		bson.D{{Key: "status", Value: string(publisher.DeliverySending)}, {Key: "leaseUntil", Value: bson.D{{Key: "$lt", Value: now}}}},
		bson.D{{Key: "status", Value: string(publisher.DeliverySending)}, {Key: "leaseUntil", Value: nil}},
	}
}

// ClaimDelivery atomically takes a delivery for one attempt, with at most
// two findOneAndUpdate calls, each filtered on the states it may take the
// delivery from: first a queued or due retrying one; failing that, a
// sending one whose lease expired before c.Now, which it also marks as
// needing a look-up. Of concurrent claims exactly one matches. Returns
// ECONFLICT if the delivery is not claimable and ENOTFOUND if there is no
// such delivery.
func (s *Store) ClaimDelivery(ctx context.Context, id string, c publisher.Claim) (*publisher.Delivery, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	now := c.Now.UTC()
	set := bson.D{
		{Key: "status", Value: string(publisher.DeliverySending)},
		{Key: "claimToken", Value: c.Token},
		{Key: "leaseUntil", Value: c.LeaseUntil.UTC()},
		{Key: "sendingSince", Value: now},
		{Key: "updatedAt", Value: now},
	}
	after := options.FindOneAndUpdate().SetReturnDocument(options.After)
	steps := []struct {
		states bson.A
		set    bson.D
	}{
		{dueQueuedOrRetrying(now), set},
		{expiredSending(now), append(set[:len(set):len(set)], bson.E{Key: "needsLookup", Value: true})},
	}
	for _, st := range steps {
		filter := bson.D{{Key: "_id", Value: id}, {Key: "$or", Value: st.states}}
		update := bson.D{{Key: "$set", Value: st.set}, {Key: "$inc", Value: bson.D{{Key: "attempts", Value: 1}}}}
		var d deliveryDoc
		err := s.deliveries.FindOneAndUpdate(ctx, filter, update, after).Decode(&d)
		if err == nil {
			return d.delivery(), nil
		}
		if !errors.Is(err, mongo.ErrNoDocuments) {
			return nil, storeError(err, "claiming delivery")
		}
	}
	return nil, s.notFoundOrConflict(ctx, s.deliveries, id, "claiming delivery", "the delivery is not due or is held by another worker")
}

// FinishDelivery stores the result of an attempt, every field of it (empty
// ones clear what an earlier attempt stored), if the delivery is still
// sending under claimToken, clears the claim, and returns the updated
// delivery. r.Attempt, if set, is pushed onto the document's attempts by
// the same update: both are stored or neither is. Returns ECONFLICT if the
// claim was lost and ENOTFOUND if there is no such delivery.
func (s *Store) FinishDelivery(ctx context.Context, id, claimToken string, r publisher.DeliveryResult) (*publisher.Delivery, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if claimToken == "" {
		return nil, publisher.Errorf(publisher.ECONFLICT, "mongostore: finishing delivery %q: no claim token", id)
	}
	if a := r.Attempt; a != nil && a.DeliveryID != id {
		return nil, publisher.Errorf(publisher.EINTERNAL, "mongostore: finishing delivery %q: the attempt belongs to delivery %q", id, a.DeliveryID)
	}
	set := bson.D{
		{Key: "status", Value: string(r.Status)},
		{Key: "failures", Value: r.Failures},
		{Key: "needsLookup", Value: r.NeedsLookup},
		{Key: "nextAttemptAt", Value: utcPtr(r.NextAttemptAt)},
		{Key: "errorClass", Value: string(r.ErrorClass)},
		{Key: "errorMessage", Value: r.ErrorMessage},
		{Key: "platformMessage", Value: r.PlatformMessage},
		{Key: "externalId", Value: r.ExternalID},
		{Key: "externalUrl", Value: r.ExternalURL},
		{Key: "publishedAt", Value: utcPtr(r.PublishedAt)},
		{Key: "claimToken", Value: ""},
		{Key: "leaseUntil", Value: nil},
		{Key: "updatedAt", Value: at(r.At)},
	}
	filter := bson.D{{Key: "_id", Value: id}, {Key: "claimToken", Value: claimToken}, {Key: "status", Value: string(publisher.DeliverySending)}}
	update := bson.D{{Key: "$set", Value: set}}
	if r.Attempt != nil {
		update = append(update, bson.E{Key: "$push", Value: bson.D{{Key: attemptLog, Value: newAttemptDoc(r.Attempt)}}})
	}
	return s.changeDelivery(ctx, id, filter, update, "finishing delivery", "the claim was lost")
}

// ChangeDelivery applies c if the delivery's status is in c.From, and
// returns the updated delivery; ECONFLICT otherwise, ENOTFOUND if there is
// no such delivery.
func (s *Store) ChangeDelivery(ctx context.Context, id string, c publisher.DeliveryChange) (*publisher.Delivery, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	from := make(bson.A, len(c.From))
	for i, st := range c.From {
		from[i] = string(st)
	}
	set := bson.D{
		{Key: "status", Value: string(c.To)},
		{Key: "nextAttemptAt", Value: utcPtr(c.NextAttemptAt)},
		{Key: "errorClass", Value: string(c.ErrorClass)},
		{Key: "errorMessage", Value: c.ErrorMessage},
		{Key: "platformMessage", Value: c.PlatformMessage},
		{Key: "updatedAt", Value: at(c.At)},
	}
	if c.ResetFailures {
		set = append(set, bson.E{Key: "failures", Value: 0})
	}
	if c.NeedsLookup != nil {
		set = append(set, bson.E{Key: "needsLookup", Value: *c.NeedsLookup})
	}
	set = appendPublished(set, c.ExternalID, c.ExternalURL, c.PublishedAt)
	filter := bson.D{{Key: "_id", Value: id}, {Key: "status", Value: bson.D{{Key: "$in", Value: from}}}}
	return s.changeDelivery(ctx, id, filter, bson.D{{Key: "$set", Value: set}}, "changing delivery",
		fmt.Sprintf("the delivery's status is not one of %v", c.From))
}

// appendPublished adds the publication's fields that are set.
func appendPublished(set bson.D, externalID, externalURL string, publishedAt *time.Time) bson.D {
	if externalID != "" {
		set = append(set, bson.E{Key: "externalId", Value: externalID})
	}
	if externalURL != "" {
		set = append(set, bson.E{Key: "externalUrl", Value: externalURL})
	}
	if publishedAt != nil {
		set = append(set, bson.E{Key: "publishedAt", Value: publishedAt.UTC()})
	}
	return set
}

// at is the time a change is recorded at: t, or now if t is zero.
func at(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().UTC()
	}
	return t.UTC()
}

// changeDelivery applies update to the delivery if filter matches it and
// returns the result. (The server returns the whole document, attempts
// included: FerretDB does not serve a projection on findAndModify. A
// delivery has a handful of attempts.)
func (s *Store) changeDelivery(ctx context.Context, id string, filter, update bson.D, what, conflict string) (*publisher.Delivery, error) {
	var d deliveryDoc
	err := s.deliveries.FindOneAndUpdate(ctx, filter, update,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, s.notFoundOrConflict(ctx, s.deliveries, id, what, conflict)
	} else if err != nil {
		return nil, storeError(err, what)
	}
	return d.delivery(), nil
}

// ListDueDeliveries returns up to limit deliveries that a worker should be
// working on at now but is not: queued ones and due retrying ones that have
// not changed since staleBefore (updated before it), and sending ones whose
// lease expired before now, however recently they were claimed (the lease
// is their measure of staleness). The longest-unchanged come first.
func (s *Store) ListDueDeliveries(ctx context.Context, now, staleBefore time.Time, limit int) ([]*publisher.Delivery, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	now = now.UTC()
	unchanged := bson.E{Key: "updatedAt", Value: bson.D{{Key: "$lt", Value: staleBefore.UTC()}}}
	var states bson.A
	for _, st := range dueQueuedOrRetrying(now) {
		states = append(states, append(st.(bson.D), unchanged))
	}
	states = append(states, expiredSending(now)...)
	opts := options.Find().SetProjection(withoutAttempts).SetSort(bson.D{{Key: "updatedAt", Value: 1}, {Key: "_id", Value: 1}})
	out, err := findAll(ctx, s.deliveries, bson.D{{Key: "$or", Value: states}}, pageOptions(opts, limit, 0), (*deliveryDoc).delivery)
	return out, storeError(err, "listing due deliveries")
}

// attemptDoc is one attempt at a delivery, as stored in the delivery's
// document.
type attemptDoc struct {
	N          int       `bson:"n"`
	StartedAt  time.Time `bson:"startedAt"`
	EndedAt    time.Time `bson:"endedAt"`
	Outcome    string    `bson:"outcome"`
	ErrorClass string    `bson:"errorClass,omitempty"`
	Message    string    `bson:"message,omitempty"`
}

func newAttemptDoc(a *publisher.Attempt) *attemptDoc {
	return &attemptDoc{N: a.N, StartedAt: utc(a.StartedAt), EndedAt: utc(a.EndedAt), Outcome: a.Outcome,
		ErrorClass: string(a.ErrorClass), Message: a.Message}
}

func (d *attemptDoc) attempt(deliveryID string) *publisher.Attempt {
	return &publisher.Attempt{DeliveryID: deliveryID, N: d.N, StartedAt: utc(d.StartedAt), EndedAt: utc(d.EndedAt),
		Outcome: d.Outcome, ErrorClass: publisher.ErrorClass(d.ErrorClass), Message: d.Message}
}

// AddAttempt appends an attempt to a delivery's history: a $push onto the
// delivery's document. Returns ENOTFOUND if there is no such delivery.
func (s *Store) AddAttempt(ctx context.Context, a *publisher.Attempt) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.deliveries.UpdateOne(ctx, bson.D{{Key: "_id", Value: a.DeliveryID}},
		bson.D{{Key: "$push", Value: bson.D{{Key: attemptLog, Value: newAttemptDoc(a)}}}})
	if err != nil {
		return storeError(err, "adding attempt")
	}
	if res.MatchedCount == 0 {
		return publisher.Errorf(publisher.ENOTFOUND, "mongostore: adding attempt: no such delivery %q", a.DeliveryID)
	}
	return nil
}

// ListAttempts returns a delivery's attempts, oldest first (by number,
// then start, then the order they were added in); none if there is no such
// delivery.
func (s *Store) ListAttempts(ctx context.Context, deliveryID string) ([]*publisher.Attempt, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var d struct {
		Attempts []attemptDoc `bson:"attemptLog"`
	}
	err := s.deliveries.FindOne(ctx, bson.D{{Key: "_id", Value: deliveryID}},
		options.FindOne().SetProjection(bson.D{{Key: attemptLog, Value: 1}})).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return []*publisher.Attempt{}, nil
	} else if err != nil {
		return nil, storeError(err, "listing attempts")
	}
	slices.SortStableFunc(d.Attempts, func(a, b attemptDoc) int {
		return cmp.Or(cmp.Compare(a.N, b.N), a.StartedAt.Compare(b.StartedAt))
	})
	out := make([]*publisher.Attempt, len(d.Attempts))
	for i := range d.Attempts {
		out[i] = d.Attempts[i].attempt(deliveryID)
	}
	return out, nil
}
