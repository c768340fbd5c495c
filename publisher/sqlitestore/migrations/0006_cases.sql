-- The fake-news rebuttal desk: cases, the URLs by which duplicates are
-- found, and each case's append-only trail.
CREATE TABLE cases (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL,
	status      TEXT NOT NULL,
	type        TEXT NOT NULL,
	platform    TEXT NOT NULL,
	district    TEXT NOT NULL,
	reported_at INTEGER NOT NULL,
	deadline_at INTEGER NOT NULL,
	doc         TEXT NOT NULL, -- the whole case as JSON (times in UTC milliseconds)
	version     INTEGER NOT NULL
) STRICT;
CREATE INDEX cases_by_reported ON cases (reported_at, id);
CREATE INDEX cases_by_org_reported ON cases (org_id, reported_at, id);
CREATE INDEX cases_by_status_deadline ON cases (status, deadline_at);

CREATE TABLE case_urls (
	url_key TEXT NOT NULL,
	case_id TEXT NOT NULL,
	PRIMARY KEY (url_key, case_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX case_urls_by_case ON case_urls (case_id);

CREATE TABLE case_events (
	case_id    TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	id         TEXT NOT NULL UNIQUE,
	at         INTEGER NOT NULL,
	actor_id   TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	actor_role TEXT NOT NULL,
	kind       TEXT NOT NULL,
	from_status TEXT NOT NULL,
	to_status  TEXT NOT NULL,
	note       TEXT NOT NULL,
	details    TEXT NOT NULL,
	hash       TEXT NOT NULL,
	PRIMARY KEY (case_id, seq)
) STRICT;

-- The trail is append-only, whatever writes to the file.
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'the case trail is append-only'); END;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'the case trail is append-only'); END;
