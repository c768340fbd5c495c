package sqlitestore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/prasar/prasar/publisher"
)

// AppendAudit appends an event to the audit log.
func (s *Store) AppendAudit(ctx context.Context, e *publisher.AuditEvent) error {
	details, err := jsonText(e.Details)
	if err != nil {
		return s.fail(err, "appending to the audit log")
	}
	_, err = s.exec(ctx, "appending to the audit log", "An audit event with this id exists.",
		`INSERT INTO audit (id, at, actor_id, actor_role, action, object_type, object_id, org_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, ms(e.At), e.ActorID, e.ActorRole, e.Action, e.ObjectType, e.ObjectID, e.OrgID, details)
	return err
}

// ListAudit returns the events matching f, newest first.
func (s *Store) ListAudit(ctx context.Context, f publisher.AuditFilter) ([]*publisher.AuditEvent, error) {
	var w where
	if f.OrgID != "" {
		w.add("org_id = ?", f.OrgID)
	}
	if f.ObjectID != "" {
		w.add("object_id = ?", f.ObjectID)
	}
	if f.ActorID != "" {
		w.add("actor_id = ?", f.ActorID)
	}
	return list(ctx, s, "listing the audit log", `SELECT id, at, actor_id, actor_role, action, object_type, object_id, org_id, details
		FROM audit`+w.String()+" ORDER BY at DESC, rowid DESC"+page(f.Limit, f.Offset), w.args, func(r scanner) (*publisher.AuditEvent, error) {
		var e publisher.AuditEvent
		err := r.Scan(&e.ID, timeCol{&e.At}, &e.ActorID, &e.ActorRole, &e.Action, &e.ObjectType, &e.ObjectID, &e.OrgID, jsonCol{&e.Details})
		return &e, err
	})
}

// PutMedia stores m and its bytes atomically; ECONFLICT if m.ID exists.
func (s *Store) PutMedia(ctx context.Context, m *publisher.Media, data []byte) error {
	const op = "storing media"
	if data == nil {
		data = []byte{}
	}
	return s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO media (id, org_id, filename, content_type, size, width, height, sha256, uploaded_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, m.OrgID, m.Filename, m.ContentType, m.Size, m.Width, m.Height, m.SHA256, m.UploadedBy,
			ms(m.CreatedAt)); err != nil {
			return s.fail(err, op, "An image with this id exists.")
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO media_data (id, data) VALUES (?, ?)", m.ID, data); err != nil {
			return s.fail(err, op, "An image with this id exists.")
		}
		return nil
	})
}

// GetMedia returns an image's metadata; ENOTFOUND if there is none.
func (s *Store) GetMedia(ctx context.Context, id string) (*publisher.Media, error) {
	return one(ctx, s, "reading media", "image", `SELECT id, org_id, filename, content_type, size, width, height, sha256, uploaded_by, created_at
		FROM media WHERE id = ?`, []any{id}, func(r scanner) (*publisher.Media, error) {
		var m publisher.Media
		err := r.Scan(&m.ID, &m.OrgID, &m.Filename, &m.ContentType, &m.Size, &m.Width, &m.Height, &m.SHA256, &m.UploadedBy, timeCol{&m.CreatedAt})
		return &m, err
	})
}

// GetMediaData returns an image's bytes; ENOTFOUND if there is none.
func (s *Store) GetMediaData(ctx context.Context, id string) ([]byte, error) {
	var data []byte
	err := s.r.QueryRowContext(ctx, "SELECT data FROM media_data WHERE id = ?", id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("image")
	} else if err != nil {
		return nil, s.fail(err, "reading media")
	}
	return data, nil
}
