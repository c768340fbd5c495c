-- Reach: raw metric readings, each delivery's contribution, the roll-ups
-- the dashboards read, the collection schedule and the sent weekly digests
-- (publisher/reach.go).

-- Raw readings, never changed: the platform's own metric names and values
-- (JSON objects), so that the definitions can change without losing history.
CREATE TABLE metric_readings (
	id           TEXT PRIMARY KEY,
	delivery_id  TEXT NOT NULL,
	post_id      TEXT NOT NULL,
	org_id       TEXT NOT NULL,
	account_id   TEXT NOT NULL,
	platform     TEXT NOT NULL,
	api_version  TEXT NOT NULL,
	published_at INTEGER NOT NULL,
	fetched_at   INTEGER NOT NULL,
	vals         TEXT NOT NULL, -- JSON: metric name → value
	unavailable  TEXT NOT NULL  -- JSON: metric name → the platform's words
) STRICT;
CREATE INDEX metric_readings_by_delivery ON metric_readings (delivery_id, fetched_at);

-- One row per measured delivery: its figures as of its latest reading (NULL:
-- not available), on the IST day it was published.
CREATE TABLE reach_contributions (
	delivery_id TEXT PRIMARY KEY,
	post_id     TEXT NOT NULL,
	org_id      TEXT NOT NULL,
	account_id  TEXT NOT NULL,
	platform    TEXT NOT NULL,
	day         TEXT NOT NULL, -- YYYY-MM-DD
	reach       INTEGER,
	views       INTEGER,
	engagements INTEGER,
	as_of       INTEGER NOT NULL
) STRICT;
-- Top posts: a short range by day, a long one down a figure's order, one
-- organisation's by its days. Each index holds what the query filters and
-- sorts on, so that only the few rows shown are read from the table.
CREATE INDEX reach_contributions_by_day ON reach_contributions (day, platform, org_id, reach, views, engagements, delivery_id);
CREATE INDEX reach_contributions_by_org ON reach_contributions (org_id, day, platform, reach, views, engagements, delivery_id);
CREATE INDEX reach_contributions_by_reach ON reach_contributions (reach DESC, delivery_id, day, platform, org_id) WHERE reach IS NOT NULL;
CREATE INDEX reach_contributions_by_views ON reach_contributions (views DESC, delivery_id, day, platform, org_id) WHERE views IS NOT NULL;
CREATE INDEX reach_contributions_by_engagements ON reach_contributions (engagements DESC, delivery_id, day, platform, org_id) WHERE engagements IS NOT NULL;

-- Sums of contributions per period (day, month) × platform (or '*') × start
-- × organisation (or '*'). Each figure carries how many deliveries it covers.
CREATE TABLE reach_rollups (
	period           TEXT NOT NULL,
	platform         TEXT NOT NULL,
	start            TEXT NOT NULL,
	org_id           TEXT NOT NULL,
	posts            INTEGER NOT NULL,
	reach            INTEGER NOT NULL,
	reach_posts      INTEGER NOT NULL,
	views            INTEGER NOT NULL,
	views_posts      INTEGER NOT NULL,
	engagements      INTEGER NOT NULL,
	engagement_posts INTEGER NOT NULL,
	PRIMARY KEY (period, platform, start, org_id)
) STRICT, WITHOUT ROWID;
-- The primary key serves the organisations ranked (every organisation over
-- a range); this covering index one organisation's series.
CREATE INDEX reach_rollups_by_org ON reach_rollups (period, org_id, platform, start, posts, reach, reach_posts, views, views_posts,
	engagements, engagement_posts);

-- The collection schedule of each published delivery.
CREATE TABLE reach_tracks (
	delivery_id     TEXT PRIMARY KEY,
	org_id          TEXT NOT NULL,
	platform        TEXT NOT NULL,
	published_at    INTEGER NOT NULL,
	next_at         INTEGER, -- NULL: nothing more to read
	fetches         INTEGER NOT NULL,
	last_fetched_at INTEGER,
	last_error      TEXT NOT NULL,
	updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX reach_tracks_due ON reach_tracks (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX reach_tracks_active_by_org ON reach_tracks (org_id, next_at) WHERE next_at IS NOT NULL;
CREATE INDEX reach_tracks_by_published ON reach_tracks (published_at);

-- Weekly digests already sent (claimed by one process), by Monday.
CREATE TABLE reach_digests (
	week       TEXT PRIMARY KEY,
	claimed_at INTEGER NOT NULL
) STRICT;

-- Newly published deliveries, for the collection sweep: an entry only for
-- deliveries that have a published time, written once when they publish.
CREATE INDEX deliveries_by_published ON deliveries (published_at) WHERE published_at IS NOT NULL;
