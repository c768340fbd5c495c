package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/prasar/prasar/publisher"
)

// settingsID is the id of the one row of publishing settings.
const settingsID = "publishing"

// GetSettings returns the publishing settings, or empty ones (Version 0)
// if none were saved.
func (s *Store) GetSettings(ctx context.Context) (*publisher.PublishingSettings, error) {
	const op = "reading the publishing settings"
	var ps publisher.PublishingSettings
	err := s.r.QueryRowContext(ctx, "SELECT doc, version, updated_at FROM settings WHERE id = ?", settingsID).
		Scan(jsonCol{&ps}, &ps.Version, timeCol{&ps.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return &publisher.PublishingSettings{}, nil
	} else if err != nil {
		return nil, s.fail(err, op)
	}
	normaliseSettings(&ps)
	return &ps, nil
}

// normaliseSettings puts the times inside the JSON in UTC milliseconds, as
// the columns keep them.
func normaliseSettings(ps *publisher.PublishingSettings) {
	if ps.Paused != nil {
		ps.Paused.At = msTime(ps.Paused.At)
	}
	for _, p := range ps.PausedOrgs {
		p.At = msTime(p.At)
	}
	if len(ps.PausedOrgs) == 0 {
		ps.PausedOrgs = nil
	}
}

// SaveSettings stores ps if the stored version is ps.Version (0: none
// stored), and increments ps.Version; ECONFLICT otherwise.
func (s *Store) SaveSettings(ctx context.Context, ps *publisher.PublishingSettings) error {
	const op = "saving the publishing settings"
	c := *ps
	c.Version, c.UpdatedAt = 0, msTime(ps.UpdatedAt)
	doc, err := jsonText(struct {
		Paused     *publisher.Pause            `json:"paused,omitempty"`
		PausedOrgs map[string]*publisher.Pause `json:"pausedOrgs,omitempty"`
	}{c.Paused, c.PausedOrgs})
	if err != nil {
		return s.fail(err, op)
	}
	var n int64
	if ps.Version == 0 {
		n, err = s.exec(ctx, op, "", "INSERT INTO settings (id, doc, version, updated_at) VALUES (?, ?, 1, ?) ON CONFLICT DO NOTHING",
			settingsID, doc, ms(ps.UpdatedAt))
	} else {
		n, err = s.exec(ctx, op, "", "UPDATE settings SET doc = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
			doc, ms(ps.UpdatedAt), settingsID, ps.Version)
	}
	if err != nil {
		return err
	}
	if n == 0 {
		return conflict("Somebody changed the publishing settings at the same time.")
	}
	ps.Version++
	return nil
}

// CountPublished counts a window's published deliveries and calls in
// flight, from the partial indexes of migration 0008.
func (s *Store) CountPublished(ctx context.Context, w publisher.PublishWindow) (publisher.PublishCount, error) {
	const op = "counting published deliveries"
	var (
		c      publisher.PublishCount
		oldest sql.NullInt64
	)
	q, args := "SELECT count(*), min(published_at) FROM deliveries WHERE status = 'published' AND platform = ? AND published_at >= ?",
		[]any{w.Platform, ms(w.Since)}
	if w.AccountID != "" {
		q, args = "SELECT count(*), min(published_at) FROM deliveries WHERE status = 'published' AND account_id = ? AND platform = ? AND published_at >= ?",
			[]any{w.AccountID, w.Platform, ms(w.Since)}
	}
	if err := s.r.QueryRowContext(ctx, q, args...).Scan(&c.Published, &oldest); err != nil {
		return c, s.fail(err, op)
	}
	if oldest.Valid {
		t := time.UnixMilli(oldest.Int64).UTC()
		c.Oldest = &t
	}
	q, args = "SELECT count(*) FROM deliveries WHERE status = 'sending' AND platform = ? AND lease_until > ? AND id != ?",
		[]any{w.Platform, ms(w.Now), w.ExcludeID}
	if w.AccountID != "" {
		q, args = "SELECT count(*) FROM deliveries WHERE account_id = ? AND status = 'sending' AND platform = ? AND lease_until > ? AND id != ?",
			[]any{w.AccountID, w.Platform, ms(w.Now), w.ExcludeID}
	}
	if err := s.r.QueryRowContext(ctx, q, args...).Scan(&c.InFlight); err != nil {
		return c, s.fail(err, op)
	}
	return c, nil
}

// CancelDeliveries cancels a post's deliveries in c.From in one statement.
func (s *Store) CancelDeliveries(ctx context.Context, c publisher.DeliveryCancel) (int, error) {
	const op = "cancelling deliveries"
	if len(c.From) == 0 {
		return 0, nil
	}
	args := []any{c.Message, ms(c.At), c.PostID}
	for _, st := range c.From {
		args = append(args, st)
	}
	n, err := s.exec(ctx, op, "", `UPDATE deliveries SET status = 'cancelled', error_class = '', error_message = ?, platform_message = '',
			next_attempt_at = NULL, claim_token = '', lease_until = NULL, updated_at = ?
		WHERE post_id = ? AND status IN (`+placeholders(len(c.From))+`)`, args...)
	return int(n), err
}

// CreateRetraction inserts r with Version 1; ECONFLICT if the post has one.
func (s *Store) CreateRetraction(ctx context.Context, r *publisher.Retraction) error {
	const op = "recording a retraction"
	doc, err := retractionDoc(r)
	if err != nil {
		return s.fail(err, op)
	}
	if _, err := s.exec(ctx, op, "This post has a retraction already.",
		"INSERT INTO retractions (post_id, org_id, done, requested_at, doc, version, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
		r.PostID, r.OrgID, r.Done, ms(r.RequestedAt), doc, ms(r.UpdatedAt)); err != nil {
		return err
	}
	r.Version = 1
	return nil
}

// GetRetraction returns a post's retraction; ENOTFOUND if there is none.
func (s *Store) GetRetraction(ctx context.Context, postID string) (*publisher.Retraction, error) {
	return one(ctx, s, "reading a retraction", "retraction", "SELECT doc, version FROM retractions WHERE post_id = ?", []any{postID},
		func(r scanner) (*publisher.Retraction, error) {
			var rt publisher.Retraction
			if err := r.Scan(jsonCol{&rt}, &rt.Version); err != nil {
				return nil, err
			}
			normaliseRetraction(&rt)
			return &rt, nil
		})
}

// UpdateRetraction replaces r if its version is current, and increments
// r.Version; ENOTFOUND or ECONFLICT otherwise.
func (s *Store) UpdateRetraction(ctx context.Context, r *publisher.Retraction) error {
	const op = "updating a retraction"
	doc, err := retractionDoc(r)
	if err != nil {
		return s.fail(err, op)
	}
	var n int64
	err = s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE retractions SET done = ?, doc = ?, version = version + 1, updated_at = ? WHERE post_id = ? AND version = ?",
			r.Done, doc, ms(r.UpdatedAt), r.PostID, r.Version)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		ok, err := s.retractionExists(ctx, tx, r.PostID)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("retraction")
		}
		return conflict("Somebody changed the retraction at the same time.")
	})
	if err != nil {
		return err
	}
	r.Version++
	return nil
}

// retractionExists reports whether a post has a retraction row.
func (s *Store) retractionExists(ctx context.Context, tx *sql.Tx, postID string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, "SELECT count(*) FROM retractions WHERE post_id = ?", postID).Scan(&n)
	return n > 0, err
}

// retractionDoc is r as stored JSON, its times in UTC milliseconds.
func retractionDoc(r *publisher.Retraction) (string, error) {
	c := *r
	c.Version = 0
	c.Items = append([]publisher.RetractionItem(nil), r.Items...)
	normaliseRetraction(&c)
	return jsonText(&c)
}

func normaliseRetraction(r *publisher.Retraction) {
	r.RequestedAt, r.UpdatedAt = msTime(r.RequestedAt), msTime(r.UpdatedAt)
	if r.CompletedAt != nil {
		t := msTime(*r.CompletedAt)
		r.CompletedAt = &t
	}
	for i := range r.Items {
		r.Items[i].At = msTime(r.Items[i].At)
	}
}
