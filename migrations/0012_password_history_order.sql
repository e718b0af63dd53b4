-- password_history gets a key of its own, so "newest first" breaks ties between hashes stored in
-- the same millisecond on every engine (it used SQLite's rowid, which PostgreSQL does not have).
-- The rebuild copies the rows in rowid order (a full scan's order), so the ids keep that order.
CREATE TABLE password_history_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
INSERT INTO password_history_new (user_id, password_hash, created_at)
  SELECT user_id, password_hash, created_at FROM password_history;
DROP TABLE password_history;
ALTER TABLE password_history_new RENAME TO password_history;
CREATE INDEX password_history_user ON password_history (user_id, created_at);
