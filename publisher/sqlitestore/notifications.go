package sqlitestore

import (
	"context"
	"database/sql"
	"time"

	"github.com/prasar/prasar/publisher"
)

// CreateNotifications inserts ns in one transaction; ECONFLICT if an id
// exists (and then none is inserted).
func (s *Store) CreateNotifications(ctx context.Context, ns []*publisher.Notification) error {
	const op = "creating notifications"
	if len(ns) == 0 {
		return nil
	}
	return s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		for _, n := range ns {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (id, user_id, org_id, kind, subject, body, link, created_at, read_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, n.ID, n.UserID, n.OrgID, n.Kind, n.Subject, n.Body, n.Link, ms(n.CreatedAt), msp(n.ReadAt)); err != nil {
				return s.fail(err, op, "A notification with this id exists.")
			}
		}
		return nil
	})
}

// ListNotifications returns a user's notifications, newest first, and the
// total without Limit/Offset.
func (s *Store) ListNotifications(ctx context.Context, f publisher.NotificationFilter) ([]*publisher.Notification, int, error) {
	const op = "listing notifications"
	var w where
	w.add("user_id = ?", f.UserID)
	if f.UnreadOnly {
		w.add("read_at IS NULL")
	}
	var total int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM notifications"+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, s.fail(err, op)
	}
	ns, err := list(ctx, s, op, `SELECT id, user_id, org_id, kind, subject, body, link, created_at, read_at FROM notifications`+w.String()+
		" ORDER BY created_at DESC, rowid DESC"+page(f.Limit, f.Offset), w.args, func(r scanner) (*publisher.Notification, error) {
		var n publisher.Notification
		err := r.Scan(&n.ID, &n.UserID, &n.OrgID, &n.Kind, &n.Subject, &n.Body, &n.Link, timeCol{&n.CreatedAt}, timePtrCol{&n.ReadAt})
		return &n, err
	})
	return ns, total, err
}

// MarkNotificationsRead marks a user's unread notifications (those with
// the given ids, or all) read.
func (s *Store) MarkNotificationsRead(ctx context.Context, userID string, ids []string, at time.Time) (int, error) {
	const op = "marking notifications read"
	q := "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL"
	args := []any{ms(at), userID}
	if len(ids) > 0 {
		q += " AND id IN (" + placeholders(len(ids)) + ")"
		for _, id := range ids {
			args = append(args, id)
		}
	}
	var n int64
	err := s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return s.fail(err, op)
		}
		n, err = res.RowsAffected()
		return s.fail(err, op)
	})
	return int(n), err
}
