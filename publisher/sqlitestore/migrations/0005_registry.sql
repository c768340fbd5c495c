-- The registry's own records (issue 5): organisation lineage (renames and
-- merges), nodal-officer handovers, officers' versions and proposed
-- changes, accounts' registry details and import batches. Each row keeps
-- the whole record as JSON (doc) and copies the fields it is looked up or
-- ordered by into columns.

CREATE TABLE org_events (
	id           TEXT PRIMARY KEY,
	org_id       TEXT NOT NULL,
	org_ids      TEXT NOT NULL, -- JSON array: org_id and the merged organisations
	kind         TEXT NOT NULL,
	status       TEXT NOT NULL,
	effective_at INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	doc          TEXT NOT NULL
) STRICT;
CREATE INDEX org_events_by_org ON org_events (org_id, effective_at);
CREATE INDEX org_events_by_time ON org_events (effective_at, created_at, id);

CREATE TABLE handovers (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL,
	kind        TEXT NOT NULL,
	status      TEXT NOT NULL,
	running_key TEXT UNIQUE, -- org_id/kind while running, NULL after: one running handover per organisation and kind
	created_at  INTEGER NOT NULL,
	doc         TEXT NOT NULL
) STRICT;
CREATE INDEX handovers_by_org ON handovers (org_id, created_at);
CREATE INDEX handovers_by_time ON handovers (created_at, id);

CREATE TABLE officer_revisions (
	id         TEXT PRIMARY KEY,
	officer_id TEXT NOT NULL,
	org_id     TEXT NOT NULL,
	at         INTEGER NOT NULL,
	doc        TEXT NOT NULL
) STRICT;
CREATE INDEX officer_revisions_by_officer ON officer_revisions (officer_id, at);
CREATE INDEX officer_revisions_by_org ON officer_revisions (org_id, at);

CREATE TABLE officer_changes (
	id           TEXT PRIMARY KEY,
	officer_id   TEXT NOT NULL,
	org_id       TEXT NOT NULL,
	status       TEXT NOT NULL,
	requested_at INTEGER NOT NULL,
	doc          TEXT NOT NULL
) STRICT;
CREATE INDEX officer_changes_by_status ON officer_changes (status, requested_at);
CREATE INDEX officer_changes_by_org ON officer_changes (org_id, requested_at);

CREATE TABLE account_profiles (
	account_id TEXT PRIMARY KEY,
	doc        TEXT NOT NULL
) STRICT;

CREATE TABLE import_batches (
	id         TEXT PRIMARY KEY,
	status     TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	doc        TEXT NOT NULL
) STRICT;
CREATE INDEX import_batches_by_time ON import_batches (created_at, id);

