package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/prasar/prasar/publisher"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// list runs a query on the read pool and scans every row with scan.
func list[T any](ctx context.Context, s *Store, op, query string, args []any, scan func(scanner) (*T, error)) ([]*T, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.fail(err, op)
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.fail(err, op)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(err, op)
	}
	return out, nil
}

// one runs a query on the read pool and scans its one row, or returns
// notFound(what). The query is prepared once (readStmt): it must be one of
// a few fixed texts, with the values as arguments.
func one[T any](ctx context.Context, s *Store, op, what, query string, args []any, scan func(scanner) (*T, error)) (*T, error) {
	st, err := s.readStmt(ctx, query)
	if err != nil {
		return nil, s.fail(err, op)
	}
	var row *sql.Row
	if st != nil {
		row = st.QueryRowContext(ctx, args...)
	} else {
		row = s.r.QueryRowContext(ctx, query, args...)
	}
	v, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(what)
	} else if err != nil {
		return nil, s.fail(err, op)
	}
	return v, nil
}

// exec runs one write statement as an operation of a group commit and
// returns how many rows it changed; constraint violations are ECONFLICT
// with conflictMsg (a generic message if it is empty).
func (s *Store) exec(ctx context.Context, op, conflictMsg, query string, args ...any) (int64, error) {
	var n int64
	err := s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			if conflictMsg == "" {
				return s.fail(err, op)
			}
			return s.fail(err, op, conflictMsg)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// update runs a write statement that must change one row, or returns
// notFound(what); constraint violations are ECONFLICT with conflictMsg.
func (s *Store) update(ctx context.Context, op, what, conflictMsg, query string, args ...any) error {
	n, err := s.exec(ctx, op, conflictMsg, query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}

// Organisations.

const orgCols = `id, code, type, parent_id, name_en, name_hi, district, active_from, active_to, created_at, updated_at`

func scanOrg(r scanner) (*publisher.Organisation, error) {
	var o publisher.Organisation
	err := r.Scan(&o.ID, &o.Code, &o.Type, &o.ParentID, &o.NameEN, &o.NameHI, &o.District,
		timePtrCol{&o.ActiveFrom}, timePtrCol{&o.ActiveTo}, timeCol{&o.CreatedAt}, timeCol{&o.UpdatedAt})
	return &o, err
}

func orgArgs(o *publisher.Organisation) []any {
	return []any{o.Code, o.Type, o.ParentID, o.NameEN, o.NameHI, o.District, msp(o.ActiveFrom), msp(o.ActiveTo), ms(o.CreatedAt), ms(o.UpdatedAt), o.ID}
}

const orgConflict = "Another organisation has this id or code."

// CreateOrg inserts o; ECONFLICT if its id or code exists.
func (s *Store) CreateOrg(ctx context.Context, o *publisher.Organisation) error {
	_, err := s.exec(ctx, "creating an organisation", orgConflict, `INSERT INTO organisations (code, type, parent_id, name_en, name_hi, district, active_from, active_to, created_at, updated_at, id)
		VALUES (`+placeholders(11)+`)`, orgArgs(o)...)
	return err
}

// UpdateOrg replaces o; ENOTFOUND if it does not exist, ECONFLICT if its
// code belongs to another organisation.
func (s *Store) UpdateOrg(ctx context.Context, o *publisher.Organisation) error {
	return s.update(ctx, "updating an organisation", "organisation", "Another organisation has this code.",
		`UPDATE organisations SET code = ?, type = ?, parent_id = ?, name_en = ?, name_hi = ?, district = ?, active_from = ?, active_to = ?,
		created_at = ?, updated_at = ? WHERE id = ?`, orgArgs(o)...)
}

// GetOrg returns an organisation; ENOTFOUND if there is none.
func (s *Store) GetOrg(ctx context.Context, id string) (*publisher.Organisation, error) {
	return one(ctx, s, "reading an organisation", "organisation", "SELECT "+orgCols+" FROM organisations WHERE id = ?", []any{id}, scanOrg)
}

// GetOrgByCode returns an organisation by code; ENOTFOUND if there is none.
func (s *Store) GetOrgByCode(ctx context.Context, code string) (*publisher.Organisation, error) {
	return one(ctx, s, "reading an organisation", "organisation", "SELECT "+orgCols+" FROM organisations WHERE code = ?", []any{code}, scanOrg)
}

// ListOrgs returns the organisations matching f, by code.
func (s *Store) ListOrgs(ctx context.Context, f publisher.OrgFilter) ([]*publisher.Organisation, error) {
	var w where
	in(&w, "id", f.IDs)
	if f.Type != "" {
		w.add("type = ?", f.Type)
	}
	return list(ctx, s, "listing organisations", "SELECT "+orgCols+" FROM organisations"+w.String()+" ORDER BY code", w.args, scanOrg)
}

// Officers.

const officerCols = `id, org_id, kind, name, designation, posting, rank, email, phone, account_details, order_ref, user_id,
	start_date, end_date, created_at, updated_at`

func scanOfficer(r scanner) (*publisher.Officer, error) {
	var o publisher.Officer
	err := r.Scan(&o.ID, &o.OrgID, &o.Kind, &o.Name, &o.Designation, &o.Posting, &o.Rank, &o.Email, &o.Phone, &o.AccountDetails,
		&o.OrderRef, &o.UserID, timeCol{&o.StartDate}, timePtrCol{&o.EndDate}, timeCol{&o.CreatedAt}, timeCol{&o.UpdatedAt})
	return &o, err
}

func officerArgs(o *publisher.Officer) []any {
	return []any{o.OrgID, o.Kind, o.Name, o.Designation, o.Posting, o.Rank, o.Email, o.Phone, o.AccountDetails, o.OrderRef, o.UserID,
		ms(o.StartDate), msp(o.EndDate), ms(o.CreatedAt), ms(o.UpdatedAt), o.ID}
}

// CreateOfficer inserts o; ECONFLICT if its id exists.
func (s *Store) CreateOfficer(ctx context.Context, o *publisher.Officer) error {
	_, err := s.exec(ctx, "creating an officer", "An officer with this id exists.", `INSERT INTO officers (org_id, kind, name, designation, posting, rank, email, phone, account_details,
		order_ref, user_id, start_date, end_date, created_at, updated_at, id) VALUES (`+placeholders(16)+`)`, officerArgs(o)...)
	return err
}

// UpdateOfficer replaces o; ENOTFOUND if it does not exist.
func (s *Store) UpdateOfficer(ctx context.Context, o *publisher.Officer) error {
	return s.update(ctx, "updating an officer", "officer", "",
		`UPDATE officers SET org_id = ?, kind = ?, name = ?, designation = ?, posting = ?, rank = ?, email = ?, phone = ?, account_details = ?,
		order_ref = ?, user_id = ?, start_date = ?, end_date = ?, created_at = ?, updated_at = ? WHERE id = ?`, officerArgs(o)...)
}

// GetOfficer returns an officer; ENOTFOUND if there is none.
func (s *Store) GetOfficer(ctx context.Context, id string) (*publisher.Officer, error) {
	return one(ctx, s, "reading an officer", "officer", "SELECT "+officerCols+" FROM officers WHERE id = ?", []any{id}, scanOfficer)
}

// ListOfficers returns the officers matching f, newest start date first.
func (s *Store) ListOfficers(ctx context.Context, f publisher.OfficerFilter) ([]*publisher.Officer, error) {
	var w where
	if f.OrgID != "" {
		w.add("org_id = ?", f.OrgID)
	}
	if !f.CurrentAt.IsZero() {
		t := ms(f.CurrentAt)
		w.add("start_date <= ? AND (end_date IS NULL OR end_date > ?)", t, t)
	}
	return list(ctx, s, "listing officers", "SELECT "+officerCols+" FROM officers"+w.String()+" ORDER BY start_date DESC, id", w.args, scanOfficer)
}

// Accounts.

const accountCols = `id, org_id, platform, handle, display_name, external_id, profile_url, status, status_reason, sandbox, secret,
	token_expires_at, scopes, created_at, updated_at`

func scanAccount(r scanner) (*publisher.Account, error) {
	var a publisher.Account
	err := r.Scan(&a.ID, &a.OrgID, &a.Platform, &a.Handle, &a.DisplayName, &a.ExternalID, &a.ProfileURL, &a.Status, &a.StatusReason,
		&a.Sandbox, &a.Secret, timePtrCol{&a.TokenExpiresAt}, jsonCol{&a.Scopes}, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt})
	return &a, err
}

func accountArgs(a *publisher.Account) ([]any, error) {
	scopes, err := jsonText(a.Scopes)
	if err != nil {
		return nil, err
	}
	return []any{a.OrgID, a.Platform, a.Handle, a.DisplayName, a.ExternalID, a.ProfileURL, a.Status, a.StatusReason, a.Sandbox, a.Secret,
		msp(a.TokenExpiresAt), scopes, ms(a.CreatedAt), ms(a.UpdatedAt), a.ID}, nil
}

// CreateAccount inserts a; ECONFLICT if its id, or its platform and
// external id, exist.
func (s *Store) CreateAccount(ctx context.Context, a *publisher.Account) error {
	args, err := accountArgs(a)
	if err != nil {
		return s.fail(err, "creating an account")
	}
	_, err = s.exec(ctx, "creating an account", "This account is already registered.", `INSERT INTO accounts (org_id, platform, handle, display_name, external_id, profile_url, status, status_reason,
		sandbox, secret, token_expires_at, scopes, created_at, updated_at, id) VALUES (`+placeholders(15)+`)`, args...)
	return err
}

// UpdateAccount replaces a; ENOTFOUND if it does not exist, ECONFLICT if
// another account has its platform and external id.
func (s *Store) UpdateAccount(ctx context.Context, a *publisher.Account) error {
	args, err := accountArgs(a)
	if err != nil {
		return s.fail(err, "updating an account")
	}
	return s.update(ctx, "updating an account", "account", "Another account has this platform and external id.",
		`UPDATE accounts SET org_id = ?, platform = ?, handle = ?, display_name = ?, external_id = ?, profile_url = ?, status = ?,
		status_reason = ?, sandbox = ?, secret = ?, token_expires_at = ?, scopes = ?, created_at = ?, updated_at = ? WHERE id = ?`, args...)
}

// GetAccount returns an account; ENOTFOUND if there is none.
func (s *Store) GetAccount(ctx context.Context, id string) (*publisher.Account, error) {
	return one(ctx, s, "reading an account", "account", "SELECT "+accountCols+" FROM accounts WHERE id = ?", []any{id}, scanAccount)
}

// ListAccounts returns the accounts matching f, by organisation then
// platform.
func (s *Store) ListAccounts(ctx context.Context, f publisher.AccountFilter) ([]*publisher.Account, error) {
	var w where
	if f.OrgID != "" {
		w.add("org_id = ?", f.OrgID)
	}
	if f.Platform != "" {
		w.add("platform = ?", f.Platform)
	}
	if f.ExternalID != "" {
		w.add("external_id = ?", f.ExternalID)
	}
	in(&w, "id", f.IDs)
	return list(ctx, s, "listing accounts", "SELECT "+accountCols+" FROM accounts"+w.String()+" ORDER BY org_id, platform, handle, id", w.args, scanAccount)
}

// Users.

const userCols = `id, email, name, role, org_id, lang, password_hash, disabled, created_at, updated_at, last_login_at`

func scanUser(r scanner) (*publisher.User, error) {
	var u publisher.User
	err := r.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.OrgID, &u.Lang, &u.PasswordHash, &u.Disabled,
		timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}, timePtrCol{&u.LastLoginAt})
	return &u, err
}

// emailKey is the form of an e-mail address that is unique and looked up.
func emailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func userArgs(u *publisher.User) []any {
	return []any{u.Email, emailKey(u.Email), u.Name, u.Role, u.OrgID, u.Lang, u.PasswordHash, u.Disabled,
		ms(u.CreatedAt), ms(u.UpdatedAt), msp(u.LastLoginAt), u.ID}
}

// CreateUser inserts u; ECONFLICT if its id, or its e-mail in any case,
// exists.
func (s *Store) CreateUser(ctx context.Context, u *publisher.User) error {
	_, err := s.exec(ctx, "creating a user", "Another user has this e-mail address.", `INSERT INTO users (email, email_key, name, role, org_id, lang, password_hash, disabled, created_at,
		updated_at, last_login_at, id) VALUES (`+placeholders(12)+`)`, userArgs(u)...)
	return err
}

// UpdateUser replaces u; ENOTFOUND if it does not exist, ECONFLICT if its
// e-mail belongs to another user.
func (s *Store) UpdateUser(ctx context.Context, u *publisher.User) error {
	return s.update(ctx, "updating a user", "user", "Another user has this e-mail address.",
		`UPDATE users SET email = ?, email_key = ?, name = ?, role = ?, org_id = ?, lang = ?, password_hash = ?, disabled = ?, created_at = ?,
		updated_at = ?, last_login_at = ? WHERE id = ?`, userArgs(u)...)
}

// GetUser returns a user; ENOTFOUND if there is none.
func (s *Store) GetUser(ctx context.Context, id string) (*publisher.User, error) {
	return one(ctx, s, "reading a user", "user", "SELECT "+userCols+" FROM users WHERE id = ?", []any{id}, scanUser)
}

// GetUserByEmail returns the user with the e-mail, in any case; ENOTFOUND
// if there is none.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*publisher.User, error) {
	return one(ctx, s, "reading a user", "user", "SELECT "+userCols+" FROM users WHERE email_key = ?", []any{emailKey(email)}, scanUser)
}

// ListUsers returns the users matching f, by e-mail.
func (s *Store) ListUsers(ctx context.Context, f publisher.UserFilter) ([]*publisher.User, error) {
	var w where
	if f.OrgID != "" {
		w.add("org_id = ?", f.OrgID)
	}
	if f.Role != "" {
		w.add("role = ?", f.Role)
	}
	return list(ctx, s, "listing users", "SELECT "+userCols+" FROM users"+w.String()+" ORDER BY email_key", w.args, scanUser)
}

// Sessions.

// CreateSession inserts ss; ECONFLICT if its id exists.
func (s *Store) CreateSession(ctx context.Context, ss *publisher.Session) error {
	_, err := s.exec(ctx, "creating a session", "The session exists.", "INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		ss.ID, ss.UserID, ss.CSRFToken, ms(ss.CreatedAt), ms(ss.ExpiresAt))
	return err
}

// GetSession returns a session, expired or not; ENOTFOUND if there is none.
func (s *Store) GetSession(ctx context.Context, id string) (*publisher.Session, error) {
	return one(ctx, s, "reading a session", "session", "SELECT id, user_id, csrf_token, created_at, expires_at FROM sessions WHERE id = ?", []any{id},
		func(r scanner) (*publisher.Session, error) {
			var ss publisher.Session
			err := r.Scan(&ss.ID, &ss.UserID, &ss.CSRFToken, timeCol{&ss.CreatedAt}, timeCol{&ss.ExpiresAt})
			return &ss, err
		})
}

// DeleteSession removes a session; removing a missing one is not an error.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.exec(ctx, "deleting a session", "", "DELETE FROM sessions WHERE id = ?", id)
	return err
}

// DeleteUserSessions removes every session of a user.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := s.exec(ctx, "deleting a user's sessions", "", "DELETE FROM sessions WHERE user_id = ?", userID)
	return err
}

// DeleteExpiredSessions removes the sessions that expired before now and
// returns how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	n, err := s.exec(ctx, "deleting expired sessions", "", "DELETE FROM sessions WHERE expires_at < ?", ms(now))
	return int(n), err
}
