-- Provisioning API (issue 17, docs/decisions/0021-provisioning-api.md): bearer API keys and the
-- idempotency records of account creation.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,                      -- the id part of the key (rp_live_<id>_<secret>), not secret
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL,                   -- SHA-256 (hex) of the whole key; the key itself is never stored
  scopes TEXT NOT NULL,                     -- comma-separated: accounts:read, accounts:write
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);

-- One row per (key, Idempotency-Key header) of POST /api/v1/accounts, kept 24 h: the hash of the
-- request it answered and the response it gave, replayed for the same request.
CREATE TABLE api_idempotency (
  key_id TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  response_status INTEGER NOT NULL,
  response_body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (key_id, idempotency_key)
);
CREATE INDEX api_idempotency_expiry ON api_idempotency (expires_at);
