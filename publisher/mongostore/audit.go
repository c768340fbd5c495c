package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/prasar/prasar/publisher"
)

// auditDoc is an audit event as stored.
type auditDoc struct {
	ID         string            `bson:"_id"`
	At         time.Time         `bson:"at"`
	ActorID    string            `bson:"actorId,omitempty"`
	ActorRole  string            `bson:"actorRole,omitempty"`
	Action     string            `bson:"action"`
	ObjectType string            `bson:"objectType"`
	ObjectID   string            `bson:"objectId"`
	OrgID      string            `bson:"orgId,omitempty"`
	Details    map[string]string `bson:"details"`
}

func (d *auditDoc) event() *publisher.AuditEvent {
	return &publisher.AuditEvent{ID: d.ID, At: utc(d.At), ActorID: d.ActorID, ActorRole: publisher.Role(d.ActorRole),
		Action: d.Action, ObjectType: d.ObjectType, ObjectID: d.ObjectID, OrgID: d.OrgID, Details: d.Details}
}

// AppendAudit appends e to the audit log, giving it an id if it has none.
// Returns ECONFLICT if its id exists: the log is append-only.
func (s *Store) AppendAudit(ctx context.Context, e *publisher.AuditEvent) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if e.ID == "" {
		e.ID = publisher.NewID()
	}
	_, err := s.audit.InsertOne(ctx, &auditDoc{ID: e.ID, At: utc(e.At), ActorID: e.ActorID, ActorRole: string(e.ActorRole),
		Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, OrgID: e.OrgID, Details: e.Details})
	return storeError(err, "appending audit event")
}

// ListAudit returns events matching f, newest first.
func (s *Store) ListAudit(ctx context.Context, f publisher.AuditFilter) ([]*publisher.AuditEvent, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	filter := bson.D{}
	if f.OrgID != "" {
		filter = append(filter, bson.E{Key: "orgId", Value: f.OrgID})
	}
	if f.ObjectID != "" {
		filter = append(filter, bson.E{Key: "objectId", Value: f.ObjectID})
	}
	if f.ActorID != "" {
		filter = append(filter, bson.E{Key: "actorId", Value: f.ActorID})
	}
	opts := options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}})
	out, err := findAll(ctx, s.audit, filter, pageOptions(opts, f.Limit, f.Offset), (*auditDoc).event)
	return out, storeError(err, "listing audit events")
}
