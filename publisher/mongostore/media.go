package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/prasar/prasar/publisher"
)

// mediaDoc is an uploaded image as stored: its description and, in the
// same document, its bytes (images are at most a few MiB, well under
// MongoDB's 16 MiB document limit).
type mediaDoc struct {
	ID          string    `bson:"_id"`
	OrgID       string    `bson:"orgId"`
	Filename    string    `bson:"filename"`
	ContentType string    `bson:"contentType"`
	Size        int64     `bson:"size"`
	Width       int       `bson:"width"`
	Height      int       `bson:"height"`
	SHA256      string    `bson:"sha256"`
	UploadedBy  string    `bson:"uploadedBy"`
	CreatedAt   time.Time `bson:"createdAt"`
	Data        []byte    `bson:"data,omitempty"`
}

func (d *mediaDoc) media() *publisher.Media {
	return &publisher.Media{ID: d.ID, OrgID: d.OrgID, Filename: d.Filename, ContentType: d.ContentType, Size: d.Size,
		Width: d.Width, Height: d.Height, SHA256: d.SHA256, UploadedBy: d.UploadedBy, CreatedAt: utc(d.CreatedAt)}
}

// PutMedia stores m and its bytes. Returns ECONFLICT if m.ID exists.
func (s *Store) PutMedia(ctx context.Context, m *publisher.Media, data []byte) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.media.InsertOne(ctx, &mediaDoc{ID: m.ID, OrgID: m.OrgID, Filename: m.Filename, ContentType: m.ContentType,
		Size: m.Size, Width: m.Width, Height: m.Height, SHA256: m.SHA256, UploadedBy: m.UploadedBy, CreatedAt: utc(m.CreatedAt),
		Data: data})
	return storeError(err, "storing media")
}

// GetMedia returns the description of an image, without its bytes;
// ENOTFOUND if there is no such media.
func (s *Store) GetMedia(ctx context.Context, id string) (*publisher.Media, error) {
	return getOne(ctx, s, s.media, bson.D{{Key: "_id", Value: id}}, "getting media", (*mediaDoc).media,
		options.FindOne().SetProjection(bson.D{{Key: "data", Value: 0}}))
}

// GetMediaData returns the bytes of an image; ENOTFOUND if there is no
// such media.
func (s *Store) GetMediaData(ctx context.Context, id string) ([]byte, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var d struct {
		Data []byte `bson:"data"`
	}
	err := s.media.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, options.FindOne().SetProjection(bson.D{{Key: "data", Value: 1}})).Decode(&d)
	if err != nil {
		return nil, storeError(err, "getting media data")
	}
	if d.Data == nil {
		d.Data = []byte{}
	}
	return d.Data, nil
}
