-- Publishing control (publisher/control.go): the publishing switches, one
-- row; retractions, one per post; and what the publish budgets count.

CREATE TABLE settings (
	id         TEXT PRIMARY KEY,       -- 'publishing'
	doc        TEXT NOT NULL,          -- JSON: paused, pausedOrgs
	version    INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE retractions (
	post_id      TEXT PRIMARY KEY,
	org_id       TEXT NOT NULL,
	done         INTEGER NOT NULL,
	requested_at INTEGER NOT NULL,
	doc          TEXT NOT NULL,        -- JSON: the whole publisher.Retraction
	version      INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
) STRICT;

-- The publish budgets count published deliveries per account (and per
-- platform) in a window before every call on a budgeted platform. Partial
-- indexes: only a delivery that turns published (or leaves published)
-- writes them, never a claim.
CREATE INDEX deliveries_published_by_account ON deliveries (account_id, published_at) WHERE status = 'published';
CREATE INDEX deliveries_published_by_platform ON deliveries (platform, published_at) WHERE status = 'published';
