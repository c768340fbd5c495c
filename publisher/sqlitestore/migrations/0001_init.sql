-- Prasar's embedded schema. Times are INTEGER milliseconds since the Unix
-- epoch (UTC); nested values are JSON text; booleans are 0/1.

CREATE TABLE organisations (
	id          TEXT PRIMARY KEY,
	code        TEXT NOT NULL UNIQUE,
	type        TEXT NOT NULL,
	parent_id   TEXT NOT NULL,
	name_en     TEXT NOT NULL,
	name_hi     TEXT NOT NULL,
	district    TEXT NOT NULL,
	active_from INTEGER,
	active_to   INTEGER,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX organisations_by_type ON organisations (type, code);

CREATE TABLE officers (
	id              TEXT PRIMARY KEY,
	org_id          TEXT NOT NULL,
	kind            TEXT NOT NULL,
	name            TEXT NOT NULL,
	designation     TEXT NOT NULL,
	posting         TEXT NOT NULL,
	rank            TEXT NOT NULL,
	email           TEXT NOT NULL,
	phone           TEXT NOT NULL,
	account_details TEXT NOT NULL,
	order_ref       TEXT NOT NULL,
	user_id         TEXT NOT NULL,
	start_date      INTEGER NOT NULL,
	end_date        INTEGER,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX officers_by_org ON officers (org_id, start_date);

CREATE TABLE accounts (
	id               TEXT PRIMARY KEY,
	org_id           TEXT NOT NULL,
	platform         TEXT NOT NULL,
	handle           TEXT NOT NULL,
	display_name     TEXT NOT NULL,
	external_id      TEXT NOT NULL,
	profile_url      TEXT NOT NULL,
	status           TEXT NOT NULL,
	status_reason    TEXT NOT NULL,
	sandbox          INTEGER NOT NULL,
	secret           TEXT NOT NULL,
	token_expires_at INTEGER,
	scopes           TEXT NOT NULL, -- JSON array
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	UNIQUE (platform, external_id)
) STRICT;
CREATE INDEX accounts_by_org ON accounts (org_id, platform);

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	email         TEXT NOT NULL,
	email_key     TEXT NOT NULL UNIQUE, -- the e-mail in lower case: unique case-insensitively
	name          TEXT NOT NULL,
	role          TEXT NOT NULL,
	org_id        TEXT NOT NULL,
	lang          TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	disabled      INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	last_login_at INTEGER
) STRICT;
CREATE INDEX users_by_org ON users (org_id, email_key);
CREATE INDEX users_by_role ON users (role, email_key);

CREATE TABLE sessions (
	id         TEXT PRIMARY KEY, -- SHA-256 of the cookie's token
	user_id    TEXT NOT NULL,
	csrf_token TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE posts (
	id                TEXT PRIMARY KEY,
	org_id            TEXT NOT NULL,
	author_id         TEXT NOT NULL,
	kind              TEXT NOT NULL,
	case_id           TEXT NOT NULL,
	title             TEXT NOT NULL,
	status            TEXT NOT NULL,
	revision          INTEGER NOT NULL,
	content           TEXT NOT NULL, -- JSON
	targets           TEXT NOT NULL, -- JSON array of account ids
	content_hash      TEXT NOT NULL,
	scheduled_at      INTEGER,
	submitted_at      INTEGER,
	approved_revision INTEGER NOT NULL,
	approved_by       TEXT NOT NULL,
	approved_at       INTEGER,
	fanout_revision   INTEGER NOT NULL,
	review            TEXT NOT NULL, -- JSON array
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	version           INTEGER NOT NULL
) STRICT;
CREATE INDEX posts_by_updated ON posts (updated_at);
CREATE INDEX posts_by_org ON posts (org_id, updated_at);
CREATE INDEX posts_by_status ON posts (status, updated_at);
CREATE INDEX posts_by_author ON posts (author_id, updated_at);

CREATE TABLE post_revisions (
	post_id      TEXT NOT NULL,
	revision     INTEGER NOT NULL,
	content      TEXT NOT NULL, -- JSON
	targets      TEXT NOT NULL, -- JSON array
	content_hash TEXT NOT NULL,
	edited_by    TEXT NOT NULL,
	edited_at    INTEGER NOT NULL,
	PRIMARY KEY (post_id, revision)
) STRICT;

CREATE TABLE deliveries (
	id               TEXT PRIMARY KEY,
	post_id          TEXT NOT NULL,
	revision         INTEGER NOT NULL,
	account_id       TEXT NOT NULL,
	org_id           TEXT NOT NULL,
	platform         TEXT NOT NULL,
	status           TEXT NOT NULL,
	attempts         INTEGER NOT NULL,
	failures         INTEGER NOT NULL,
	claim_token      TEXT NOT NULL,
	lease_until      INTEGER,
	sending_since    INTEGER,
	needs_lookup     INTEGER NOT NULL,
	next_attempt_at  INTEGER,
	external_id      TEXT NOT NULL,
	external_url     TEXT NOT NULL,
	published_at     INTEGER,
	error_class      TEXT NOT NULL,
	error_message    TEXT NOT NULL,
	platform_message TEXT NOT NULL,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	-- One delivery per post revision and account; this index also serves
	-- the look-ups by post.
	UNIQUE (post_id, revision, account_id)
) STRICT;
-- The publish history (newest first, ~1,000,000 rows) by each filter; every
-- index ends in the rowid, the tie-breaker of the ordering. Indexes that
-- hold the status are rewritten by every claim and finish (two commits per
-- attempt), so only the two that need it carry it.
CREATE INDEX deliveries_by_created ON deliveries (created_at);
CREATE INDEX deliveries_by_org ON deliveries (org_id, created_at);
CREATE INDEX deliveries_by_platform ON deliveries (platform, created_at);
CREATE INDEX deliveries_by_account ON deliveries (account_id, status);
-- Due work for the reconciler: retrying by time; queued and sending (few
-- at any time) by status.
CREATE INDEX deliveries_by_status ON deliveries (status, next_attempt_at);

CREATE TABLE attempts (
	delivery_id TEXT NOT NULL,
	n           INTEGER NOT NULL,
	started_at  INTEGER NOT NULL,
	ended_at    INTEGER NOT NULL,
	outcome     TEXT NOT NULL,
	error_class TEXT NOT NULL,
	message     TEXT NOT NULL
) STRICT;
CREATE INDEX attempts_by_delivery ON attempts (delivery_id, n, started_at);

CREATE TABLE audit (
	id          TEXT PRIMARY KEY,
	at          INTEGER NOT NULL,
	actor_id    TEXT NOT NULL,
	actor_role  TEXT NOT NULL,
	action      TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id   TEXT NOT NULL,
	org_id      TEXT NOT NULL,
	details     TEXT NOT NULL -- JSON object
) STRICT;
CREATE INDEX audit_by_at ON audit (at);
CREATE INDEX audit_by_org ON audit (org_id, at);
CREATE INDEX audit_by_object ON audit (object_id, at);
CREATE INDEX audit_by_actor ON audit (actor_id, at);

CREATE TABLE media (
	id           TEXT PRIMARY KEY,
	org_id       TEXT NOT NULL,
	filename     TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size         INTEGER NOT NULL,
	width        INTEGER NOT NULL,
	height       INTEGER NOT NULL,
	sha256       TEXT NOT NULL,
	uploaded_by  TEXT NOT NULL,
	created_at   INTEGER NOT NULL
) STRICT;

-- The bytes apart from the metadata, so that reading metadata never reads
-- a blob.
CREATE TABLE media_data (
	id   TEXT PRIMARY KEY,
	data BLOB NOT NULL
) STRICT;
