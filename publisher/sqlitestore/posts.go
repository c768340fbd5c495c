package sqlitestore

import (
	"context"
	"database/sql"

	"github.com/prasar/prasar/publisher"
)

const postCols = `id, org_id, author_id, kind, case_id, title, status, revision, content, targets, content_hash, scheduled_at, submitted_at,
	approved_revision, approved_by, approved_at, fanout_revision, review, created_at, updated_at, version`

func scanPost(r scanner) (*publisher.Post, error) {
	var p publisher.Post
	err := r.Scan(&p.ID, &p.OrgID, &p.AuthorID, &p.Kind, &p.CaseID, &p.Title, &p.Status, &p.Revision, jsonCol{&p.Content}, jsonCol{&p.Targets},
		&p.ContentHash, timePtrCol{&p.ScheduledAt}, timePtrCol{&p.SubmittedAt}, &p.ApprovedRevision, &p.ApprovedBy, timePtrCol{&p.ApprovedAt},
		&p.FanoutRevision, jsonCol{&p.Review}, timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt}, &p.Version)
	return &p, err
}

// postArgs returns p's columns in postCols order after id, ending with
// version.
func postArgs(p *publisher.Post, version int64) ([]any, error) {
	content, err := jsonText(p.Content)
	if err != nil {
		return nil, err
	}
	targets, err := jsonText(p.Targets)
	if err != nil {
		return nil, err
	}
	review := make([]publisher.ReviewEntry, len(p.Review))
	for i, e := range p.Review {
		e.At = msTime(e.At) // as the columns keep times
		review[i] = e
	}
	rv, err := jsonText(review)
	if err != nil {
		return nil, err
	}
	return []any{p.OrgID, p.AuthorID, p.Kind, p.CaseID, p.Title, p.Status, p.Revision, content, targets, p.ContentHash,
		msp(p.ScheduledAt), msp(p.SubmittedAt), p.ApprovedRevision, p.ApprovedBy, msp(p.ApprovedAt), p.FanoutRevision, rv,
		ms(p.CreatedAt), ms(p.UpdatedAt), version}, nil
}

func insertRevision(ctx context.Context, tx *sql.Tx, r *publisher.PostRevision) error {
	content, err := jsonText(r.Content)
	if err != nil {
		return err
	}
	targets, err := jsonText(r.Targets)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO post_revisions (post_id, revision, content, targets, content_hash, edited_by, edited_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, r.PostID, r.Revision, content, targets, r.ContentHash, r.EditedBy, ms(r.EditedAt))
	return err
}

// CreatePost inserts p at version 1 and its first revision atomically;
// ECONFLICT if p.ID exists.
func (s *Store) CreatePost(ctx context.Context, p *publisher.Post, rev *publisher.PostRevision) error {
	const op = "creating a post"
	args, err := postArgs(p, 1)
	if err != nil {
		return s.fail(err, op)
	}
	err = s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO posts (org_id, author_id, kind, case_id, title, status, revision, content, targets, content_hash, "+
			"scheduled_at, submitted_at, approved_revision, approved_by, approved_at, fanout_revision, review, created_at, updated_at, version, id) "+
			"VALUES ("+placeholders(21)+")", append(args, p.ID)...); err != nil {
			return s.fail(err, op, "A post with this id exists.")
		}
		if rev != nil {
			if err := insertRevision(ctx, tx, rev); err != nil {
				return s.fail(err, op, "The post's revision exists.")
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	p.Version = 1
	return nil
}

// UpdatePost replaces p if its stored version is p.Version, and stores rev
// if it is not nil, atomically; on success p.Version is
// incremented. ENOTFOUND if p does not exist; ECONFLICT if the version is
// stale or rev exists.
func (s *Store) UpdatePost(ctx context.Context, p *publisher.Post, rev *publisher.PostRevision) error {
	const op = "updating a post"
	args, err := postArgs(p, p.Version+1)
	if err != nil {
		return s.fail(err, op)
	}
	err = s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE posts SET org_id = ?, author_id = ?, kind = ?, case_id = ?, title = ?, status = ?, revision = ?,
			content = ?, targets = ?, content_hash = ?, scheduled_at = ?, submitted_at = ?, approved_revision = ?, approved_by = ?, approved_at = ?,
			fanout_revision = ?, review = ?, created_at = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?`, append(args, p.ID, p.Version)...)
		if err != nil {
			return s.fail(err, op)
		}
		if n, err := res.RowsAffected(); err != nil {
			return s.fail(err, op)
		} else if n == 0 {
			if ok, err := s.exists(ctx, tx, "posts", p.ID); err != nil {
				return s.fail(err, op)
			} else if !ok {
				return notFound("post")
			}
			return conflict("Somebody else changed the post.")
		}
		if rev != nil {
			if err := insertRevision(ctx, tx, rev); err != nil {
				return s.fail(err, op, "The post's revision exists.")
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	p.Version++
	return nil
}

// GetPost returns a post; ENOTFOUND if there is none.
func (s *Store) GetPost(ctx context.Context, id string) (*publisher.Post, error) {
	return one(ctx, s, "reading a post", "post", "SELECT "+postCols+" FROM posts WHERE id = ?", []any{id}, scanPost)
}

// ListPosts returns the posts matching f, most recently updated first (with
// f.OldestFirst: by submission, creation and id, ascending), and the number
// of matches without Limit and Offset.
func (s *Store) ListPosts(ctx context.Context, f publisher.PostFilter) ([]*publisher.Post, int, error) {
	const op = "listing posts"
	var w where
	in(&w, "id", f.IDs)
	if f.OrgID != "" {
		w.add("org_id = ?", f.OrgID)
	}
	in(&w, "status", f.Statuses)
	if f.AuthorID != "" {
		w.add("author_id = ?", f.AuthorID)
	}
	if f.Kind != "" {
		w.add("kind = ?", f.Kind)
	}
	if !f.UpdatedAfter.IsZero() {
		w.add("updated_at > ?", ms(f.UpdatedAfter))
	}
	var (
		out   []*publisher.Post
		total int
	)
	err := s.readTx(ctx, op, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM posts"+w.String(), w.args...).Scan(&total); err != nil {
			return err
		}
		order := " ORDER BY updated_at DESC, rowid DESC"
		if f.OldestFirst {
			// NULLs (never submitted) sort first in ascending order.
			order = " ORDER BY submitted_at ASC, created_at ASC, id ASC"
		}
		var err error
		out, err = listTx(ctx, tx, "SELECT "+postCols+" FROM posts"+w.String()+order+page(f.Limit, f.Offset), w.args, scanPost)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// GetRevision returns a post's revision; ENOTFOUND if there is none.
func (s *Store) GetRevision(ctx context.Context, postID string, revision int) (*publisher.PostRevision, error) {
	return one(ctx, s, "reading a revision", "revision", "SELECT "+revisionCols+" FROM post_revisions WHERE post_id = ? AND revision = ?",
		[]any{postID, revision}, scanRevision)
}

// ListRevisions returns a post's revisions, oldest first.
func (s *Store) ListRevisions(ctx context.Context, postID string) ([]*publisher.PostRevision, error) {
	return list(ctx, s, "listing revisions", "SELECT "+revisionCols+" FROM post_revisions WHERE post_id = ? ORDER BY revision",
		[]any{postID}, scanRevision)
}

const revisionCols = `post_id, revision, content, targets, content_hash, edited_by, edited_at`

func scanRevision(r scanner) (*publisher.PostRevision, error) {
	var v publisher.PostRevision
	err := r.Scan(&v.PostID, &v.Revision, jsonCol{&v.Content}, jsonCol{&v.Targets}, &v.ContentHash, &v.EditedBy, timeCol{&v.EditedAt})
	return &v, err
}

// readTx runs f in a read transaction, so that a count and a page see the
// same snapshot.
func (s *Store) readTx(ctx context.Context, op string, f func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return s.fail(err, op)
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return s.fail(err, op)
	}
	return nil
}

// listTx runs a query in tx and scans every row with scan.
func listTx[T any](ctx context.Context, tx *sql.Tx, query string, args []any, scan func(scanner) (*T, error)) ([]*T, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
