package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/prasar/prasar/publisher"
)

// The publisher.ConnectionStore: connections in progress
// (oauth_authorizations), conditional credential updates of accounts, and
// the token lifecycle's per-account state (account_tokens). Every
// conditional write is one statement, or a few in one transaction of the
// write combiner, so it is atomic against the other writers.

const authorizationCols = `id, phase, session_id, user_id, org_id, platform, account_id, redirect_url, sealed, created_at, expires_at`

func scanAuthorization(r scanner) (*publisher.Authorization, error) {
	var a publisher.Authorization
	err := r.Scan(&a.ID, &a.Phase, &a.SessionID, &a.UserID, &a.OrgID, &a.Platform, &a.AccountID, &a.RedirectURL, &a.Sealed,
		timeCol{&a.CreatedAt}, timeCol{&a.ExpiresAt})
	return &a, err
}

// CreateAuthorization stores a; ECONFLICT if its id exists.
func (s *Store) CreateAuthorization(ctx context.Context, a *publisher.Authorization) error {
	_, err := s.exec(ctx, "creating an authorization", "This connection request exists already.",
		`INSERT INTO oauth_authorizations (`+authorizationCols+`) VALUES (`+placeholders(11)+`)`,
		a.ID, a.Phase, a.SessionID, a.UserID, a.OrgID, a.Platform, a.AccountID, a.RedirectURL, a.Sealed, ms(a.CreatedAt), ms(a.ExpiresAt))
	return err
}

// GetAuthorization returns an authorization; ENOTFOUND if there is none.
func (s *Store) GetAuthorization(ctx context.Context, id string) (*publisher.Authorization, error) {
	return one(ctx, s, "reading an authorization", "authorization", "SELECT "+authorizationCols+" FROM oauth_authorizations WHERE id = ?",
		[]any{id}, scanAuthorization)
}

// TakeAuthorization deletes and returns the authorization if it belongs to
// sessionID and is in phase: one DELETE … RETURNING, so of concurrent
// takes exactly one gets it.
func (s *Store) TakeAuthorization(ctx context.Context, id, sessionID string, phase publisher.AuthPhase) (*publisher.Authorization, error) {
	const op = "taking an authorization"
	var a *publisher.Authorization
	err := s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		a, err = scanAuthorization(tx.QueryRowContext(ctx, `DELETE FROM oauth_authorizations WHERE id = ? AND session_id = ? AND phase = ?
			RETURNING `+authorizationCols, id, sessionID, phase))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("authorization")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// DeleteExpiredAuthorizations removes authorizations that expired before
// now.
func (s *Store) DeleteExpiredAuthorizations(ctx context.Context, now time.Time) (int, error) {
	n, err := s.exec(ctx, "deleting expired authorizations", "", `DELETE FROM oauth_authorizations WHERE expires_at < ?`, ms(now))
	return int(n), err
}

// UpdateAccountCredentials writes the account's secret, token expiry,
// status and reason if its secret is still c.OldSecret.
func (s *Store) UpdateAccountCredentials(ctx context.Context, id string, c publisher.CredentialsUpdate) (*publisher.Account, error) {
	const op = "updating an account's credentials"
	var a *publisher.Account
	err := s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		a, err = scanAccount(tx.QueryRowContext(ctx, `UPDATE accounts SET secret = ?, token_expires_at = ?, status = ?, status_reason = ?, updated_at = ?
			WHERE id = ? AND secret = ? RETURNING `+accountCols,
			c.Secret, msp(c.TokenExpiresAt), c.Status, c.StatusReason, ms(c.At), id, c.OldSecret))
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		found, err := s.exists(ctx, tx, "accounts", id)
		switch {
		case err != nil:
			return err
		case !found:
			return notFound("account")
		}
		return conflict("The account's credentials changed meanwhile.")
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// AcquireTokenLease gives holder the account's token lease: one upsert
// whose update applies only when the lease is free, lapsed or holder's.
func (s *Store) AcquireTokenLease(ctx context.Context, accountID, holder string, now, until time.Time) error {
	n, err := s.exec(ctx, "taking a token lease", "",
		`INSERT INTO account_tokens (account_id, lease_holder, lease_until, alert_key, alerted_at) VALUES (?, ?, ?, '', NULL)
		ON CONFLICT (account_id) DO UPDATE SET lease_holder = excluded.lease_holder, lease_until = excluded.lease_until
		WHERE account_tokens.lease_until IS NULL OR account_tokens.lease_until <= ? OR account_tokens.lease_holder = excluded.lease_holder`,
		accountID, holder, ms(until), ms(now))
	if err != nil {
		return err
	}
	if n == 0 {
		return conflict("Another worker holds the account's token lease.")
	}
	return nil
}

// ReleaseTokenLease ends holder's lease of the account.
func (s *Store) ReleaseTokenLease(ctx context.Context, accountID, holder string) error {
	_, err := s.exec(ctx, "releasing a token lease", "",
		`UPDATE account_tokens SET lease_holder = '', lease_until = NULL WHERE account_id = ? AND lease_holder = ?`, accountID, holder)
	return err
}

// MarkAccountAlert records the alert key of the account if it differs from
// the one recorded: one upsert whose update applies only to another key.
func (s *Store) MarkAccountAlert(ctx context.Context, accountID, key string, at time.Time) (bool, error) {
	n, err := s.exec(ctx, "recording an account alert", "",
		`INSERT INTO account_tokens (account_id, lease_holder, lease_until, alert_key, alerted_at) VALUES (?, '', NULL, ?, ?)
		ON CONFLICT (account_id) DO UPDATE SET alert_key = excluded.alert_key, alerted_at = excluded.alerted_at
		WHERE account_tokens.alert_key <> excluded.alert_key`,
		accountID, key, ms(at))
	return n > 0, err
}
