-- In-app notifications, newest first per user.
CREATE TABLE notifications (
	id         TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL,
	org_id     TEXT NOT NULL,
	kind       TEXT NOT NULL,
	subject    TEXT NOT NULL,
	body       TEXT NOT NULL,
	link       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	read_at    INTEGER
) STRICT;
CREATE INDEX notifications_by_user ON notifications (user_id, created_at);
CREATE INDEX notifications_unread_by_user ON notifications (user_id, created_at) WHERE read_at IS NULL;
