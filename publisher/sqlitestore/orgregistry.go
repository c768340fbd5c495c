package sqlitestore

import (
	"context"
	"database/sql"
	"time"

	"github.com/prasar/prasar/publisher"
)

// The registry's own records (publisher.RegistryStore). Each table keeps
// the whole record as JSON in doc and copies what it is looked up or
// ordered by into columns (migrations/0005_registry.sql).

// docScan scans a JSON doc column into a new T.
func docScan[T any](r scanner) (*T, error) {
	var v T
	err := r.Scan(jsonCol{&v})
	return &v, err
}

// Organisation events.

// CreateOrgEvent inserts e; ECONFLICT if its id exists.
func (s *Store) CreateOrgEvent(ctx context.Context, e *publisher.OrgEvent) error {
	args, err := orgEventArgs(e)
	if err != nil {
		return s.fail(err, "creating an organisation event")
	}
	_, err = s.exec(ctx, "creating an organisation event", "An organisation event with this id exists.",
		`INSERT INTO org_events (org_id, org_ids, kind, status, effective_at, created_at, doc, id) VALUES (`+placeholders(8)+`)`, args...)
	return err
}

// UpdateOrgEvent replaces e; ENOTFOUND if it does not exist.
func (s *Store) UpdateOrgEvent(ctx context.Context, e *publisher.OrgEvent) error {
	args, err := orgEventArgs(e)
	if err != nil {
		return s.fail(err, "updating an organisation event")
	}
	return s.update(ctx, "updating an organisation event", "organisation event", "",
		`UPDATE org_events SET org_id = ?, org_ids = ?, kind = ?, status = ?, effective_at = ?, created_at = ?, doc = ? WHERE id = ?`, args...)
}

func orgEventArgs(e *publisher.OrgEvent) ([]any, error) {
	ids, err := jsonText(e.OrgIDs())
	if err != nil {
		return nil, err
	}
	doc, err := jsonText(e)
	if err != nil {
		return nil, err
	}
	return []any{e.OrgID, ids, e.Kind, e.Status, ms(e.EffectiveAt), ms(e.CreatedAt), doc, e.ID}, nil
}

// ListOrgEvents returns the events matching f, by effective time, creation
// time and id.
func (s *Store) ListOrgEvents(ctx context.Context, f publisher.OrgEventFilter) ([]*publisher.OrgEvent, error) {
	var w where
	if len(f.OrgIDs) > 0 {
		args := make([]any, len(f.OrgIDs))
		for i, id := range f.OrgIDs {
			args[i] = id
		}
		w.add("EXISTS (SELECT 1 FROM json_each(org_events.org_ids) j WHERE j.value IN ("+placeholders(len(args))+"))", args...)
	}
	if f.Kind != "" {
		w.add("kind = ?", f.Kind)
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	return list(ctx, s, "listing organisation events", "SELECT doc FROM org_events"+w.String()+" ORDER BY effective_at, created_at, id",
		w.args, docScan[publisher.OrgEvent])
}

// Handovers.

// runningKey is the value of handovers.running_key: set while a handover
// runs, so that the unique index allows one running handover per
// organisation and kind.
func runningKey(h *publisher.Handover) any {
	if h.Status != publisher.HandoverRunning {
		return nil
	}
	return h.OrgID + "/" + string(h.Kind)
}

func handoverArgs(h *publisher.Handover) ([]any, error) {
	doc, err := jsonText(h)
	if err != nil {
		return nil, err
	}
	return []any{h.OrgID, h.Kind, h.Status, runningKey(h), ms(h.CreatedAt), doc, h.ID}, nil
}

// CreateHandover inserts h; ECONFLICT if its id exists or another handover
// of its organisation and kind is running.
func (s *Store) CreateHandover(ctx context.Context, h *publisher.Handover) error {
	args, err := handoverArgs(h)
	if err != nil {
		return s.fail(err, "creating a handover")
	}
	_, err = s.exec(ctx, "creating a handover", "Another handover of this organisation's officer is in progress.",
		`INSERT INTO handovers (org_id, kind, status, running_key, created_at, doc, id) VALUES (`+placeholders(7)+`)`, args...)
	return err
}

// UpdateHandover replaces h; ENOTFOUND if it does not exist.
func (s *Store) UpdateHandover(ctx context.Context, h *publisher.Handover) error {
	args, err := handoverArgs(h)
	if err != nil {
		return s.fail(err, "updating a handover")
	}
	return s.update(ctx, "updating a handover", "handover", "Another handover of this organisation's officer is in progress.",
		`UPDATE handovers SET org_id = ?, kind = ?, status = ?, running_key = ?, created_at = ?, doc = ? WHERE id = ?`, args...)
}

// GetHandover returns a handover; ENOTFOUND if there is none.
func (s *Store) GetHandover(ctx context.Context, id string) (*publisher.Handover, error) {
	return one(ctx, s, "reading a handover", "handover", "SELECT doc FROM handovers WHERE id = ?", []any{id}, docScan[publisher.Handover])
}

// ListHandovers returns the handovers matching f, newest first.
func (s *Store) ListHandovers(ctx context.Context, f publisher.HandoverFilter) ([]*publisher.Handover, error) {
	var w where
	if f.OrgID != "" {
		w.add("org_id = ?", f.OrgID)
	}
	in(&w, "status", f.Statuses)
	return list(ctx, s, "listing handovers", "SELECT doc FROM handovers"+w.String()+" ORDER BY created_at DESC, id DESC"+page(f.Limit, 0),
		w.args, docScan[publisher.Handover])
}

// Officer revisions.

// AddOfficerRevision inserts r; ECONFLICT if its id exists.
func (s *Store) AddOfficerRevision(ctx context.Context, r *publisher.OfficerRevision) error {
	doc, err := jsonText(r)
	if err != nil {
		return s.fail(err, "adding an officer revision")
	}
	_, err = s.exec(ctx, "adding an officer revision", "An officer revision with this id exists.",
		`INSERT INTO officer_revisions (id, officer_id, org_id, at, doc) VALUES (?, ?, ?, ?, ?)`, r.ID, r.OfficerID, r.OrgID, ms(r.At), doc)
	return err
}

// ListOfficerRevisions returns the revisions matching f, oldest first.
func (s *Store) ListOfficerRevisions(ctx context.Context, f publisher.OfficerRevisionFilter) ([]*publisher.OfficerRevision, error) {
	var w where
	if f.OfficerID != "" {
		w.add("officer_id = ?", f.OfficerID)
	}
	if f.OrgID != "" {
		w.add("org_id = ?", f.OrgID)
	}
	return list(ctx, s, "listing officer revisions", "SELECT doc FROM officer_revisions"+w.String()+" ORDER BY at, id", w.args,
		docScan[publisher.OfficerRevision])
}

// Officer changes.

func officerChangeArgs(c *publisher.OfficerChange) ([]any, error) {
	doc, err := jsonText(c)
	if err != nil {
		return nil, err
	}
	return []any{c.OfficerID, c.OrgID, c.Status, ms(c.RequestedAt), doc, c.ID}, nil
}

// CreateOfficerChange inserts c; ECONFLICT if its id exists.
func (s *Store) CreateOfficerChange(ctx context.Context, c *publisher.OfficerChange) error {
	args, err := officerChangeArgs(c)
	if err != nil {
		return s.fail(err, "creating an officer change")
	}
	_, err = s.exec(ctx, "creating an officer change", "An officer change with this id exists.",
		`INSERT INTO officer_changes (officer_id, org_id, status, requested_at, doc, id) VALUES (`+placeholders(6)+`)`, args...)
	return err
}

// GetOfficerChange returns a change; ENOTFOUND if there is none.
func (s *Store) GetOfficerChange(ctx context.Context, id string) (*publisher.OfficerChange, error) {
	return one(ctx, s, "reading an officer change", "officer change", "SELECT doc FROM officer_changes WHERE id = ?", []any{id},
		docScan[publisher.OfficerChange])
}

// DecideOfficerChange replaces c if the stored one is pending; ENOTFOUND
// if there is none, ECONFLICT if it was decided.
func (s *Store) DecideOfficerChange(ctx context.Context, c *publisher.OfficerChange) error {
	const op = "deciding an officer change"
	args, err := officerChangeArgs(c)
	if err != nil {
		return s.fail(err, op)
	}
	return s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE officer_changes SET officer_id = ?, org_id = ?, status = ?, requested_at = ?, doc = ?
			WHERE id = ? AND status = 'pending'`, args...)
		if err != nil {
			return s.fail(err, op)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		if ok, err := s.exists(ctx, tx, "officer_changes", c.ID); err != nil {
			return s.fail(err, op)
		} else if !ok {
			return notFound("officer change")
		}
		return conflict("This change was decided already.")
	})
}

// ListOfficerChanges returns the changes matching f, newest first.
func (s *Store) ListOfficerChanges(ctx context.Context, f publisher.OfficerChangeFilter) ([]*publisher.OfficerChange, error) {
	var w where
	if f.OrgID != "" {
		w.add("org_id = ?", f.OrgID)
	}
	if f.OfficerID != "" {
		w.add("officer_id = ?", f.OfficerID)
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	return list(ctx, s, "listing officer changes", "SELECT doc FROM officer_changes"+w.String()+" ORDER BY requested_at DESC, id DESC",
		w.args, docScan[publisher.OfficerChange])
}

// Account profiles.

// PutAccountProfile creates or replaces the profile of p.AccountID.
func (s *Store) PutAccountProfile(ctx context.Context, p *publisher.AccountProfile) error {
	doc, err := jsonText(p)
	if err != nil {
		return s.fail(err, "saving an account profile")
	}
	_, err = s.exec(ctx, "saving an account profile", "",
		`INSERT INTO account_profiles (account_id, doc) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET doc = excluded.doc`, p.AccountID, doc)
	return err
}

// ListAccountProfiles returns the profiles of the given accounts (all for
// none), by account id.
func (s *Store) ListAccountProfiles(ctx context.Context, accountIDs []string) ([]*publisher.AccountProfile, error) {
	var w where
	in(&w, "account_id", accountIDs)
	return list(ctx, s, "listing account profiles", "SELECT doc FROM account_profiles"+w.String()+" ORDER BY account_id", w.args,
		docScan[publisher.AccountProfile])
}

// Import batches.

func importBatchArgs(b *publisher.ImportBatch) ([]any, error) {
	doc, err := jsonText(b)
	if err != nil {
		return nil, err
	}
	return []any{b.Status, ms(b.CreatedAt), doc, b.ID}, nil
}

// CreateImportBatch inserts b; ECONFLICT if its id exists.
func (s *Store) CreateImportBatch(ctx context.Context, b *publisher.ImportBatch) error {
	args, err := importBatchArgs(b)
	if err != nil {
		return s.fail(err, "creating an import batch")
	}
	_, err = s.exec(ctx, "creating an import batch", "An import batch with this id exists.",
		`INSERT INTO import_batches (status, created_at, doc, id) VALUES (?, ?, ?, ?)`, args...)
	return err
}

// UpdateImportBatch replaces b; ENOTFOUND if it does not exist.
func (s *Store) UpdateImportBatch(ctx context.Context, b *publisher.ImportBatch) error {
	args, err := importBatchArgs(b)
	if err != nil {
		return s.fail(err, "updating an import batch")
	}
	return s.update(ctx, "updating an import batch", "import batch", "",
		`UPDATE import_batches SET status = ?, created_at = ?, doc = ? WHERE id = ?`, args...)
}

// GetImportBatch returns a batch; ENOTFOUND if there is none.
func (s *Store) GetImportBatch(ctx context.Context, id string) (*publisher.ImportBatch, error) {
	return one(ctx, s, "reading an import batch", "import batch", "SELECT doc FROM import_batches WHERE id = ?", []any{id},
		docScan[publisher.ImportBatch])
}

// ListImportBatches returns the newest batches, at most limit (0: all).
func (s *Store) ListImportBatches(ctx context.Context, limit int) ([]*publisher.ImportBatch, error) {
	return list(ctx, s, "listing import batches", "SELECT doc FROM import_batches ORDER BY created_at DESC, id DESC"+page(limit, 0), nil,
		docScan[publisher.ImportBatch])
}

// Activity.

// PublishedActivity counts the deliveries published since since, by
// organisation.
func (s *Store) PublishedActivity(ctx context.Context, since time.Time) ([]*publisher.OrgActivity, error) {
	return list(ctx, s, "reading published activity", `SELECT org_id, count(DISTINCT post_id), count(*), max(published_at) FROM deliveries
		WHERE status = ? AND published_at >= ? GROUP BY org_id ORDER BY org_id`, []any{publisher.DeliveryPublished, ms(since)},
		func(r scanner) (*publisher.OrgActivity, error) {
			var a publisher.OrgActivity
			err := r.Scan(&a.OrgID, &a.Posts, &a.Deliveries, timeCol{&a.LastPublishedAt})
			return &a, err
		})
}
