-- Recovery flows (DESIGN.md §4). A flow is one request: one message with a link and a code.
-- Unknown identifiers get a flow too (user_id NULL) so the outside behaves the same.
CREATE TABLE recovery_flows (
  id TEXT PRIMARY KEY,
  purpose TEXT NOT NULL CHECK (purpose IN ('reset', 'unlock')),
  identifier_key TEXT NOT NULL,            -- HMAC of the identifier as typed (normalised); no PII
  user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'none')),
  link_token_hash TEXT UNIQUE,             -- sha256(token), hex
  code_hash TEXT,                          -- HMAC(code), hex; the code itself is never stored
  code_attempts INTEGER NOT NULL DEFAULT 0, -- wrong tries on the current code
  failed_count INTEGER NOT NULL DEFAULT 0,  -- wrong tries over the flow's life; a resend keeps it
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'consumed', 'cancelled')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  code_expires_at INTEGER NOT NULL,
  last_sent_at INTEGER NOT NULL,
  consumed_at INTEGER
);
CREATE INDEX recovery_flows_user ON recovery_flows (user_id, purpose, status);
CREATE INDEX recovery_flows_identifier ON recovery_flows (identifier_key, purpose, status);

-- A browser's hold on a flow (the HttpOnly recovery cookie holds "<id>.<secret>").
-- The link may be opened in several browsers; each gets its own row.
CREATE TABLE recovery_sessions (
  id TEXT PRIMARY KEY,
  secret_hash BLOB NOT NULL,
  flow_id TEXT NOT NULL REFERENCES recovery_flows (id) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('pending', 'verified', 'second_factor_verified', 'completed')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX recovery_sessions_flow ON recovery_sessions (flow_id);
