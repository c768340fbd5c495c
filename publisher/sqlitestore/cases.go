package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/prasar/prasar/publisher"
)

// Cases are kept as one JSON document each, with the columns that filters
// and orderings need beside it; their URL keys in case_urls (for finding
// duplicates); their trails in case_events, which triggers keep
// append-only.

// msCase returns a copy of c with every time truncated to milliseconds in
// UTC, as the store keeps times.
func msCase(c *publisher.Case) *publisher.Case {
	x := *c
	tp := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		v := msTime(*t)
		return &v
	}
	x.ReportedAt, x.DeadlineAt, x.EscalateDMSAt = msTime(c.ReportedAt), msTime(c.DeadlineAt), msTime(c.EscalateDMSAt)
	x.CreatedAt, x.UpdatedAt = msTime(c.CreatedAt), msTime(c.UpdatedAt)
	x.AssignedAt, x.SubmittedAt, x.ApprovedAt, x.PublishedAt, x.ClosedAt = tp(c.AssignedAt), tp(c.SubmittedAt), tp(c.ApprovedAt), tp(c.PublishedAt), tp(c.ClosedAt)
	x.EscalatedHoDAt, x.EscalatedDMSAt = tp(c.EscalatedHoDAt), tp(c.EscalatedDMSAt)
	if c.Triage != nil {
		t := *c.Triage
		t.At = msTime(t.At)
		x.Triage = &t
	}
	if c.Assignment != nil {
		a := *c.Assignment
		a.At = msTime(a.At)
		x.Assignment = &a
	}
	if c.Actions != nil {
		x.Actions = make([]publisher.CaseAction, len(c.Actions))
		for i, a := range c.Actions {
			a.At = msTime(a.At)
			x.Actions[i] = a
		}
	}
	return &x
}

// caseArgs returns c's columns after id: org_id, status, type, platform,
// district, reported_at, deadline_at, doc, version.
func caseArgs(c *publisher.Case, version int64) ([]any, error) {
	x := msCase(c)
	x.Version = version
	doc, err := jsonText(x)
	if err != nil {
		return nil, err
	}
	return []any{x.OrgID, x.Status, x.Type, x.Platform, x.District, ms(x.ReportedAt), ms(x.DeadlineAt), doc, version}, nil
}

func scanCase(r scanner) (*publisher.Case, error) {
	var doc string
	var version int64
	if err := r.Scan(&doc, &version); err != nil {
		return nil, err
	}
	var c publisher.Case
	if err := json.Unmarshal([]byte(doc), &c); err != nil {
		return nil, err
	}
	c.Version = version
	return &c, nil
}

func insertCaseURLs(ctx context.Context, tx *sql.Tx, c *publisher.Case) error {
	for _, k := range c.URLKeys {
		if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO case_urls (url_key, case_id) VALUES (?, ?)", k, c.ID); err != nil {
			return err
		}
	}
	return nil
}

func insertCaseEvents(ctx context.Context, tx *sql.Tx, evs []*publisher.CaseEvent) error {
	for _, e := range evs {
		details, err := jsonText(e.Details)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_events (case_id, seq, id, at, actor_id, actor_name, actor_role, kind, from_status, to_status,
			note, details, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.CaseID, e.Seq, e.ID, ms(e.At), e.ActorID, e.ActorName, e.ActorRole,
			e.Kind, e.From, e.To, e.Note, details, e.Hash); err != nil {
			return err
		}
	}
	return nil
}

// CreateCase inserts c at version 1 with its URL keys and first events, in
// one transaction; ECONFLICT if c.ID (or an event's id or seq) exists.
func (s *Store) CreateCase(ctx context.Context, c *publisher.Case, evs []*publisher.CaseEvent) error {
	const op = "creating a case"
	args, err := caseArgs(c, 1)
	if err != nil {
		return s.fail(err, op)
	}
	err = s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO cases (org_id, status, type, platform, district, reported_at, deadline_at, doc, version, id) VALUES ("+
			placeholders(10)+")", append(args, c.ID)...); err != nil {
			return s.fail(err, op, "A case with this id exists.")
		}
		if err := insertCaseURLs(ctx, tx, c); err != nil {
			return s.fail(err, op)
		}
		if err := insertCaseEvents(ctx, tx, evs); err != nil {
			return s.fail(err, op, "The case's trail already has this event.")
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.Version = 1
	return nil
}

// UpdateCase replaces c if its stored version is c.Version and appends
// evs, in one transaction; on success c.Version is incremented. ENOTFOUND
// if c does not exist; ECONFLICT if the version is stale or an event
// exists.
func (s *Store) UpdateCase(ctx context.Context, c *publisher.Case, evs []*publisher.CaseEvent) error {
	const op = "updating a case"
	args, err := caseArgs(c, c.Version+1)
	if err != nil {
		return s.fail(err, op)
	}
	err = s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE cases SET org_id = ?, status = ?, type = ?, platform = ?, district = ?, reported_at = ?, deadline_at = ?,
			doc = ?, version = ? WHERE id = ? AND version = ?`, append(args, c.ID, c.Version)...)
		if err != nil {
			return s.fail(err, op)
		}
		if n, err := res.RowsAffected(); err != nil {
			return s.fail(err, op)
		} else if n == 0 {
			if ok, err := s.exists(ctx, tx, "cases", c.ID); err != nil {
				return s.fail(err, op)
			} else if !ok {
				return notFound("case")
			}
			return conflict("Somebody else changed the case.")
		}
		if err := insertCaseURLs(ctx, tx, c); err != nil {
			return s.fail(err, op)
		}
		if err := insertCaseEvents(ctx, tx, evs); err != nil {
			return s.fail(err, op, "The case's trail already has this event.")
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.Version++
	return nil
}

// GetCase returns a case; ENOTFOUND if there is none.
func (s *Store) GetCase(ctx context.Context, id string) (*publisher.Case, error) {
	return one(ctx, s, "reading a case", "case", "SELECT doc, version FROM cases WHERE id = ?", []any{id}, scanCase)
}

// ListCases returns the cases matching f, most recently reported first,
// and the number of matches without Limit and Offset.
func (s *Store) ListCases(ctx context.Context, f publisher.CaseFilter) ([]*publisher.Case, int, error) {
	const op = "listing cases"
	var w where
	if f.OrgID != "" {
		w.add("org_id = ?", f.OrgID)
	}
	in(&w, "status", f.Statuses)
	if f.Type != "" {
		w.add("type = ?", f.Type)
	}
	if f.Platform != "" {
		w.add("platform = ?", f.Platform)
	}
	if f.District != "" {
		w.add("district = ?", f.District)
	}
	if !f.ReportedFrom.IsZero() {
		w.add("reported_at >= ?", ms(f.ReportedFrom))
	}
	if !f.ReportedTo.IsZero() {
		w.add("reported_at < ?", ms(f.ReportedTo))
	}
	if !f.DueBefore.IsZero() {
		w.add("deadline_at <= ?", ms(f.DueBefore))
	}
	var (
		out   []*publisher.Case
		total int
	)
	err := s.readTx(ctx, op, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM cases"+w.String(), w.args...).Scan(&total); err != nil {
			return err
		}
		var err error
		out, err = listTx(ctx, tx, "SELECT doc, version FROM cases"+w.String()+" ORDER BY reported_at DESC, id DESC"+page(f.Limit, f.Offset), w.args, scanCase)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// FindCasesByURL returns the cases with any of the URL keys, earliest
// reported first.
func (s *Store) FindCasesByURL(ctx context.Context, keys []string) ([]*publisher.Case, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var w where
	in(&w, "u.url_key", keys)
	return list(ctx, s, "finding cases by URL", "SELECT c.doc, c.version FROM cases c WHERE c.id IN (SELECT u.case_id FROM case_urls u"+w.String()+
		") ORDER BY c.reported_at, c.id", w.args, scanCase)
}

// ListCaseEvents returns a case's trail by seq.
func (s *Store) ListCaseEvents(ctx context.Context, caseID string) ([]*publisher.CaseEvent, error) {
	return list(ctx, s, "listing a case's trail", `SELECT case_id, seq, id, at, actor_id, actor_name, actor_role, kind, from_status, to_status, note, details, hash
		FROM case_events WHERE case_id = ? ORDER BY seq`, []any{caseID}, func(r scanner) (*publisher.CaseEvent, error) {
		var e publisher.CaseEvent
		err := r.Scan(&e.CaseID, &e.Seq, &e.ID, timeCol{&e.At}, &e.ActorID, &e.ActorName, &e.ActorRole, &e.Kind, &e.From, &e.To, &e.Note,
			jsonCol{&e.Details}, &e.Hash)
		return &e, err
	})
}
