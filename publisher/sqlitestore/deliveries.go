package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prasar/prasar/publisher"
)

const deliveryCols = `id, post_id, revision, account_id, org_id, platform, status, attempts, failures, claim_token, lease_until, sending_since,
	needs_lookup, next_attempt_at, external_id, external_url, published_at, error_class, error_message, platform_message, created_at, updated_at`

const deliveryColCount = 22

func scanDelivery(r scanner) (*publisher.Delivery, error) {
	var d publisher.Delivery
	err := r.Scan(&d.ID, &d.PostID, &d.Revision, &d.AccountID, &d.OrgID, &d.Platform, &d.Status, &d.Attempts, &d.Failures, &d.ClaimToken,
		timePtrCol{&d.LeaseUntil}, timePtrCol{&d.SendingSince}, &d.NeedsLookup, timePtrCol{&d.NextAttemptAt}, &d.ExternalID, &d.ExternalURL,
		timePtrCol{&d.PublishedAt}, &d.ErrorClass, &d.ErrorMessage, &d.PlatformMessage, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt})
	return &d, err
}

func appendDeliveryArgs(args []any, d *publisher.Delivery) []any {
	return append(args, d.ID, d.PostID, d.Revision, d.AccountID, d.OrgID, d.Platform, d.Status, d.Attempts, d.Failures, d.ClaimToken,
		msp(d.LeaseUntil), msp(d.SendingSince), d.NeedsLookup, msp(d.NextAttemptAt), d.ExternalID, d.ExternalURL, msp(d.PublishedAt),
		d.ErrorClass, d.ErrorMessage, d.PlatformMessage, ms(d.CreatedAt), ms(d.UpdatedAt))
}

// insertBatch is how many deliveries one INSERT statement carries (22
// values each, well under SQLite's limit of 32,766 parameters).
const insertBatch = 100

// insertDeliveriesSQL inserts n deliveries, skipping those that exist.
func insertDeliveriesSQL(n int) string {
	row := "(" + placeholders(deliveryColCount) + ")"
	return "INSERT INTO deliveries (" + deliveryCols + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ") +
		" ON CONFLICT DO NOTHING"
}

// CreateDeliveries inserts, atomically, the deliveries that do not exist
// yet (by id, and by post, revision and account) and returns how many it
// inserted.
func (s *Store) CreateDeliveries(ctx context.Context, ds []*publisher.Delivery) (int, error) {
	const op = "creating deliveries"
	if len(ds) == 0 {
		return 0, nil
	}
	inserted := 0
	err := s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		inserted = 0
		args := make([]any, 0, insertBatch*deliveryColCount)
		for start := 0; start < len(ds); start += insertBatch {
			batch := ds[start:min(start+insertBatch, len(ds))]
			args = args[:0]
			for _, d := range batch {
				args = appendDeliveryArgs(args, d)
			}
			var (
				res sql.Result
				err error
			)
			if len(batch) == insertBatch {
				res, err = tx.StmtContext(ctx, s.stmts.insertDeliveries).ExecContext(ctx, args...)
			} else {
				res, err = tx.ExecContext(ctx, insertDeliveriesSQL(len(batch)), args...)
			}
			if err != nil {
				return s.fail(err, op)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return s.fail(err, op)
			}
			inserted += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return inserted, nil
}

// GetDelivery returns a delivery; ENOTFOUND if there is none.
func (s *Store) GetDelivery(ctx context.Context, id string) (*publisher.Delivery, error) {
	return one(ctx, s, "reading a delivery", "delivery", "SELECT "+deliveryCols+" FROM deliveries WHERE id = ?", []any{id}, scanDelivery)
}

// deliveryWhere returns the conditions of f.
func deliveryWhere(f publisher.DeliveryFilter) *where {
	w := &where{}
	if f.OrgID != "" {
		w.add("org_id = ?", f.OrgID)
	}
	if f.PostID != "" {
		w.add("post_id = ?", f.PostID)
	}
	if f.AccountID != "" {
		w.add("account_id = ?", f.AccountID)
	}
	if f.Platform != "" {
		w.add("platform = ?", f.Platform)
	}
	in(w, "status", f.Statuses)
	if !f.From.IsZero() {
		w.add("created_at >= ?", ms(f.From))
	}
	if !f.To.IsZero() {
		w.add("created_at < ?", ms(f.To))
	}
	return w
}

// ListDeliveries returns the deliveries matching f, newest first, and the
// number of matches without Limit and Offset.
func (s *Store) ListDeliveries(ctx context.Context, f publisher.DeliveryFilter) ([]*publisher.Delivery, int, error) {
	w := deliveryWhere(f)
	var (
		out   []*publisher.Delivery
		total int
	)
	err := s.readTx(ctx, "listing deliveries", func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM deliveries"+w.String(), w.args...).Scan(&total); err != nil {
			return err
		}
		if f.Offset >= total && total > 0 || total == 0 {
			return nil
		}
		var err error
		out, err = listTx(ctx, tx, "SELECT "+deliveryCols+" FROM deliveries"+w.String()+" ORDER BY created_at DESC, rowid DESC"+page(f.Limit, f.Offset),
			w.args, scanDelivery)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// CountDeliveries counts the deliveries matching f by status.
func (s *Store) CountDeliveries(ctx context.Context, f publisher.DeliveryFilter) (publisher.DeliveryCounts, error) {
	const op = "counting deliveries"
	w := deliveryWhere(f)
	rows, err := s.r.QueryContext(ctx, "SELECT status, count(*) FROM deliveries"+w.String()+" GROUP BY status", w.args...)
	if err != nil {
		return nil, s.fail(err, op)
	}
	defer rows.Close()
	counts := publisher.DeliveryCounts{}
	for rows.Next() {
		var (
			st publisher.DeliveryStatus
			n  int
		)
		if err := rows.Scan(&st, &n); err != nil {
			return nil, s.fail(err, op)
		}
		counts[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(err, op)
	}
	return counts, nil
}

// conditional runs, in tx, an UPDATE … RETURNING of one delivery (SQL
// text or a statement prepared on the write connection). If it changed no
// row it returns ENOTFOUND when the delivery does not exist and ECONFLICT
// with msg when it is not in a state the update accepts.
func (s *Store) conditional(ctx context.Context, tx *sql.Tx, op, id, msg string, query any, args ...any) (*publisher.Delivery, error) {
	var row *sql.Row
	switch q := query.(type) {
	case *sql.Stmt:
		row = tx.StmtContext(ctx, q).QueryRowContext(ctx, args...)
	case string:
		row = tx.QueryRowContext(ctx, q, args...)
	default:
		panic("sqlitestore: conditional needs SQL or a prepared statement")
	}
	d, err := scanDelivery(row)
	if err == nil {
		return d, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, s.fail(err, op)
	}
	ok, err := s.exists(ctx, tx, "deliveries", id)
	if err != nil {
		return nil, s.fail(err, op)
	}
	if !ok {
		return nil, notFound("delivery")
	}
	return nil, conflict(msg)
}

// writeConditional runs conditional as one operation of a group commit.
func (s *Store) writeConditional(ctx context.Context, op, id, msg string, query any, args ...any) (*publisher.Delivery, error) {
	var d *publisher.Delivery
	err := s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		d, err = s.conditional(ctx, tx, op, id, msg, query, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// missingOrConflict returns ENOTFOUND if the delivery does not exist and
// ECONFLICT with msg if it does, for requests refused without a write.
func (s *Store) missingOrConflict(ctx context.Context, op, id, msg string) error {
	ok, err := s.exists(ctx, s.r, "deliveries", id)
	if err != nil {
		return s.fail(err, op)
	}
	if !ok {
		return notFound("delivery")
	}
	return conflict(msg)
}

// claimSQL takes a delivery for an attempt: ?1 token, ?2 lease end, ?3
// now, ?4 id.
const claimSQL = `UPDATE deliveries SET status = 'sending', attempts = attempts + 1, claim_token = ?1, lease_until = ?2, sending_since = ?3,
		updated_at = ?3, needs_lookup = CASE WHEN status = 'sending' THEN 1 ELSE needs_lookup END
	WHERE id = ?4 AND (status = 'queued'
		OR (status = 'retrying' AND next_attempt_at <= ?3)
		OR (status = 'sending' AND lease_until < ?3))
	RETURNING ` + deliveryCols

// finishSQL stores an attempt's result under its claim.
const finishSQL = `UPDATE deliveries SET status = ?, failures = ?, needs_lookup = ?, next_attempt_at = ?, external_id = ?, external_url = ?,
		published_at = ?, error_class = ?, error_message = ?, platform_message = ?, updated_at = ?, claim_token = '', lease_until = NULL
	WHERE id = ? AND status = 'sending' AND claim_token = ?
	RETURNING ` + deliveryCols

// ClaimDelivery takes a delivery for one attempt in one conditional
// statement: a queued one, a retrying one that is due at c.Now, or a
// sending one whose lease expired before c.Now (then NeedsLookup is set).
// ECONFLICT if it cannot be taken, ENOTFOUND if it does not exist.
func (s *Store) ClaimDelivery(ctx context.Context, id string, c publisher.Claim) (*publisher.Delivery, error) {
	return s.writeConditional(ctx, "claiming a delivery", id, "The delivery is not due or is held by another worker.",
		s.stmts.claim, c.Token, ms(c.LeaseUntil), ms(c.Now), id)
}

// FinishDelivery stores an attempt's result if the delivery is still
// sending under claimToken, clears the claim and returns the delivery;
// ECONFLICT if the claim was lost. r.Attempt, if set, is inserted in the
// same operation (one savepoint of a group commit): both are stored or
// neither is.
func (s *Store) FinishDelivery(ctx context.Context, id, claimToken string, r publisher.DeliveryResult) (*publisher.Delivery, error) {
	const op, msg = "finishing a delivery", "The delivery's claim was lost to another worker."
	if claimToken == "" {
		return nil, s.missingOrConflict(ctx, op, id, msg)
	}
	if a := r.Attempt; a != nil && a.DeliveryID != id {
		return nil, publisher.Errorf(publisher.EINTERNAL, "sqlitestore: %s %q: the attempt belongs to delivery %q", op, id, a.DeliveryID)
	}
	var d *publisher.Delivery
	err := s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		d, err = s.conditional(ctx, tx, op, id, msg, s.stmts.finish,
			r.Status, r.Failures, r.NeedsLookup, msp(r.NextAttemptAt), r.ExternalID, r.ExternalURL, msp(r.PublishedAt), r.ErrorClass,
			r.ErrorMessage, r.PlatformMessage, ms(r.At), id, claimToken)
		if err != nil || r.Attempt == nil {
			return err
		}
		return s.insertAttempt(ctx, tx, r.Attempt)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// ChangeDelivery applies c if the delivery's status is in c.From and
// returns the delivery; ECONFLICT otherwise. A change to a status other
// than sending also drops any claim, so that its holder cannot store a
// result over the change.
func (s *Store) ChangeDelivery(ctx context.Context, id string, c publisher.DeliveryChange) (*publisher.Delivery, error) {
	const op = "changing a delivery"
	msg := fmt.Sprintf("The delivery is no longer %s.", joinStatuses(c.From))
	if len(c.From) == 0 {
		return nil, s.missingOrConflict(ctx, op, id, msg)
	}
	var needsLookup any
	if c.NeedsLookup != nil {
		needsLookup = *c.NeedsLookup
	}
	args := []any{c.To, c.ResetFailures, needsLookup, msp(c.NextAttemptAt), c.ExternalID, c.ExternalURL, msp(c.PublishedAt),
		c.ErrorClass, c.ErrorMessage, c.PlatformMessage, ms(c.At), id}
	for _, st := range c.From {
		args = append(args, st)
	}
	return s.writeConditional(ctx, op, id, msg,
		`UPDATE deliveries SET status = ?1, failures = CASE WHEN ?2 THEN 0 ELSE failures END, needs_lookup = coalesce(?3, needs_lookup),
			next_attempt_at = ?4, external_id = CASE WHEN ?5 = '' THEN external_id ELSE ?5 END,
			external_url = CASE WHEN ?6 = '' THEN external_url ELSE ?6 END, published_at = coalesce(?7, published_at),
			error_class = ?8, error_message = ?9, platform_message = ?10, updated_at = ?11,
			claim_token = CASE WHEN ?1 = 'sending' THEN claim_token ELSE '' END,
			lease_until = CASE WHEN ?1 = 'sending' THEN lease_until ELSE NULL END
		WHERE id = ?12 AND status IN (`+placeholders(len(c.From))+`)
		RETURNING `+deliveryCols, args...)
}

func joinStatuses(sts []publisher.DeliveryStatus) string {
	parts := make([]string, len(sts))
	for i, st := range sts {
		parts[i] = strings.ReplaceAll(string(st), "_", " ")
	}
	if len(parts) == 0 {
		return "in a state that can be changed"
	}
	return strings.Join(parts, " or ")
}

// ListDueDeliveries returns up to limit deliveries (all for limit <= 0)
// that a worker should be working on at now: queued and retrying ones that
// are due and have not changed since staleBefore, and sending ones whose
// lease expired. Oldest change first.
func (s *Store) ListDueDeliveries(ctx context.Context, now, staleBefore time.Time, limit int) ([]*publisher.Delivery, error) {
	n, stale := ms(now), ms(staleBefore)
	return list(ctx, s, "listing due deliveries", "SELECT "+deliveryCols+` FROM deliveries
		WHERE (status = 'queued' AND updated_at < ?2)
			OR (status = 'retrying' AND next_attempt_at <= ?1 AND updated_at < ?2)
			OR (status = 'sending' AND lease_until < ?1)
		ORDER BY updated_at, rowid`+page(limit, 0), []any{n, stale}, scanDelivery)
}

// addAttemptSQL appends an attempt to the history of a delivery that
// exists: ?1 delivery id, ?2 n, ?3 start, ?4 end, ?5 outcome, ?6 error
// class, ?7 message.
const addAttemptSQL = `INSERT INTO attempts (delivery_id, n, started_at, ended_at, outcome, error_class, message)
	SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = ?1)`

// insertAttempt appends a to its delivery's history in tx; ENOTFOUND if
// there is no such delivery.
func (s *Store) insertAttempt(ctx context.Context, tx *sql.Tx, a *publisher.Attempt) error {
	const op = "adding an attempt"
	res, err := tx.StmtContext(ctx, s.stmts.addAttempt).ExecContext(ctx,
		a.DeliveryID, a.N, ms(a.StartedAt), ms(a.EndedAt), a.Outcome, a.ErrorClass, a.Message)
	if err != nil {
		return s.fail(err, op)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.fail(err, op)
	} else if n == 0 {
		return notFound("delivery")
	}
	return nil
}

// AddAttempt appends an attempt to a delivery's history; ENOTFOUND if
// there is no such delivery.
func (s *Store) AddAttempt(ctx context.Context, a *publisher.Attempt) error {
	return s.write(ctx, "adding an attempt", func(ctx context.Context, tx *sql.Tx) error { return s.insertAttempt(ctx, tx, a) })
}

// ListAttempts returns a delivery's attempts, oldest first.
func (s *Store) ListAttempts(ctx context.Context, deliveryID string) ([]*publisher.Attempt, error) {
	return list(ctx, s, "listing attempts", `SELECT delivery_id, n, started_at, ended_at, outcome, error_class, message FROM attempts
		WHERE delivery_id = ? ORDER BY n, started_at, rowid`, []any{deliveryID}, func(r scanner) (*publisher.Attempt, error) {
		var a publisher.Attempt
		err := r.Scan(&a.DeliveryID, &a.N, timeCol{&a.StartedAt}, timeCol{&a.EndedAt}, &a.Outcome, &a.ErrorClass, &a.Message)
		return &a, err
	})
}
