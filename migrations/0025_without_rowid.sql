-- Three tables that every reset, unlock or username request writes, stored as WITHOUT ROWID
-- tables (SQLite only; PostgreSQL has no rowid, see migrations/postgres/0025_without_rowid.sql).
-- Each has a TEXT primary key, so as rowid tables they kept two B-trees: the rows in rowid order
-- and the key's index. Their keys are random (hashes, random ids), so every insert dirtied a leaf
-- of each, and each dirty page is one more WAL frame at commit. Keyed by the primary key alone,
-- an insert dirties one leaf (issue 12: WAL frames written per unknown request 21.0 → 19.2).

CREATE TABLE rate_limits_new (
  key TEXT PRIMARY KEY,
  points INTEGER NOT NULL DEFAULT 0,
  expire INTEGER
) WITHOUT ROWID;
INSERT INTO rate_limits_new (key, points, expire) SELECT key, points, expire FROM rate_limits;
DROP TABLE rate_limits;
ALTER TABLE rate_limits_new RENAME TO rate_limits;

-- Nothing references recovery_sessions, so dropping the old table deletes nothing else.
CREATE TABLE recovery_sessions_new (
  id TEXT PRIMARY KEY,
  secret_hash BLOB NOT NULL,
  flow_id TEXT NOT NULL REFERENCES recovery_flows (id) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('pending', 'verified', 'second_factor_verified')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO recovery_sessions_new (id, secret_hash, flow_id, state, created_at, expires_at)
  SELECT id, secret_hash, flow_id, state, created_at, expires_at FROM recovery_sessions;
DROP TABLE recovery_sessions;
ALTER TABLE recovery_sessions_new RENAME TO recovery_sessions;
CREATE INDEX recovery_sessions_flow ON recovery_sessions (flow_id);

CREATE TABLE recovery_networks_new (
  user_id TEXT NOT NULL,
  network_hash TEXT NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY (user_id, network_hash)
) WITHOUT ROWID;
INSERT INTO recovery_networks_new (user_id, network_hash, last_seen) SELECT user_id, network_hash, last_seen FROM recovery_networks;
DROP TABLE recovery_networks;
ALTER TABLE recovery_networks_new RENAME TO recovery_networks;
