-- Connecting accounts and keeping their tokens fresh (publisher/connect.go,
-- publisher/tokens.go).

-- Connections in progress: the OAuth state waiting for the platform's
-- callback, and the accounts one login granted waiting for the user's
-- choice. Single use; forgotten once expired.
CREATE TABLE oauth_authorizations (
	id           TEXT PRIMARY KEY, -- the OAuth state, or the selection's id
	phase        TEXT NOT NULL,    -- authorize or select
	session_id   TEXT NOT NULL,    -- the session that started it (hash of its token)
	user_id      TEXT NOT NULL,
	org_id       TEXT NOT NULL,
	platform     TEXT NOT NULL,
	account_id   TEXT NOT NULL,    -- the account being reconnected, or ''
	redirect_url TEXT NOT NULL,
	sealed       TEXT NOT NULL,    -- sealed PKCE verifier or granted accounts
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX oauth_authorizations_by_expiry ON oauth_authorizations (expires_at);

-- The token lifecycle's own state per account, apart from the account's
-- row so that registry edits never race with it: who holds the refresh
-- lease, and the last alert sent.
CREATE TABLE account_tokens (
	account_id   TEXT PRIMARY KEY,
	lease_holder TEXT NOT NULL,
	lease_until  INTEGER,
	alert_key    TEXT NOT NULL,
	alerted_at   INTEGER
) STRICT;
