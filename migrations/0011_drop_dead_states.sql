-- Dead schema the architecture review found (issue 11): a browser hold never reaches a
-- 'completed' state (finishing consumes the flow, and the hold goes with it), and a contact change
-- is proven by its code alone, so it never had a link token. SQLite cannot alter a CHECK
-- constraint or drop a UNIQUE column, so both tables are rebuilt; the statements are plain SQL
-- that PostgreSQL accepts too.

CREATE TABLE recovery_sessions_new (
  id TEXT PRIMARY KEY,
  secret_hash BLOB NOT NULL,
  flow_id TEXT NOT NULL REFERENCES recovery_flows (id) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('pending', 'verified', 'second_factor_verified')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
INSERT INTO recovery_sessions_new (id, secret_hash, flow_id, state, created_at, expires_at)
  SELECT id, secret_hash, flow_id, state, created_at, expires_at FROM recovery_sessions WHERE state <> 'completed';
DROP TABLE recovery_sessions;
ALTER TABLE recovery_sessions_new RENAME TO recovery_sessions;
CREATE INDEX recovery_sessions_flow ON recovery_sessions (flow_id);

CREATE TABLE contact_changes_new (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('email', 'phone')),
  new_value TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'cancelled')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
INSERT INTO contact_changes_new (id, user_id, kind, new_value, code_hash, attempts, status, created_at, expires_at)
  SELECT id, user_id, kind, new_value, code_hash, attempts, status, created_at, expires_at FROM contact_changes;
DROP TABLE contact_changes;
ALTER TABLE contact_changes_new RENAME TO contact_changes;
CREATE INDEX contact_changes_user ON contact_changes (user_id, status);
