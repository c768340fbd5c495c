package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/prasar/prasar/publisher"
)

// notificationDoc is a notification as stored.
type notificationDoc struct {
	ID        string     `bson:"_id"`
	UserID    string     `bson:"userId"`
	OrgID     string     `bson:"orgId,omitempty"`
	Kind      string     `bson:"kind"`
	Subject   string     `bson:"subject"`
	Body      string     `bson:"body"`
	Link      string     `bson:"link,omitempty"`
	CreatedAt time.Time  `bson:"createdAt"`
	ReadAt    *time.Time `bson:"readAt"`
}

func (d *notificationDoc) notification() *publisher.Notification {
	return &publisher.Notification{ID: d.ID, UserID: d.UserID, OrgID: d.OrgID, Kind: d.Kind, Subject: d.Subject, Body: d.Body, Link: d.Link,
		CreatedAt: utc(d.CreatedAt), ReadAt: utcPtr(d.ReadAt)}
}

// CreateNotifications inserts ns; ECONFLICT if an id exists.
func (s *Store) CreateNotifications(ctx context.Context, ns []*publisher.Notification) error {
	if len(ns) == 0 {
		return nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	docs := make([]any, 0, len(ns))
	for _, n := range ns {
		docs = append(docs, &notificationDoc{ID: n.ID, UserID: n.UserID, OrgID: n.OrgID, Kind: n.Kind, Subject: n.Subject, Body: n.Body,
			Link: n.Link, CreatedAt: utc(n.CreatedAt), ReadAt: utcPtr(n.ReadAt)})
	}
	_, err := s.notifications.InsertMany(ctx, docs)
	return storeError(err, "creating notifications")
}

// ListNotifications returns a user's notifications, newest first, and the
// total without Limit/Offset.
func (s *Store) ListNotifications(ctx context.Context, f publisher.NotificationFilter) ([]*publisher.Notification, int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{{Key: "userId", Value: f.UserID}}
	if f.UnreadOnly {
		filter = append(filter, bson.E{Key: "readAt", Value: nil})
	}
	total, err := s.notifications.CountDocuments(ctx, filter)
	if err != nil {
		return nil, 0, storeError(err, "counting notifications")
	}
	opts := options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}})
	out, err := findAll(ctx, s.notifications, filter, pageOptions(opts, f.Limit, f.Offset), (*notificationDoc).notification)
	return out, int(total), storeError(err, "listing notifications")
}

// MarkNotificationsRead marks a user's unread notifications (those with
// the given ids, or all) read.
func (s *Store) MarkNotificationsRead(ctx context.Context, userID string, ids []string, at time.Time) (int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{{Key: "userId", Value: userID}, {Key: "readAt", Value: nil}}
	if len(ids) > 0 {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}})
	}
	res, err := s.notifications.UpdateMany(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "readAt", Value: utc(at)}}}})
	if err != nil {
		return 0, storeError(err, "marking notifications read")
	}
	return int(res.ModifiedCount), nil
}
