-- Sign-in failure counting. Keyed on the account when the identifier names one, otherwise on
-- an HMAC of the identifier, so unknown names are delayed exactly like real ones.
CREATE TABLE sign_in_failures (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL DEFAULT 0,      -- distinct wrong passwords since the last success
  recent TEXT NOT NULL DEFAULT '[]',        -- short HMACs of those wrong passwords (repeats count once)
  delay_until INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);

-- Every lock and unlock of an account, with its reason and how it ended.
CREATE TABLE account_locks (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  reason TEXT NOT NULL CHECK (reason IN ('failed_attempts', 'suspicious_activity', 'reported_compromise', 'staff')),
  locked_at INTEGER NOT NULL,
  locked_until INTEGER,                     -- NULL: until unlocked
  trigger_ip TEXT,
  trigger_user_agent TEXT,
  details TEXT NOT NULL DEFAULT '{}',       -- counts and context, never secrets
  created_by TEXT NOT NULL DEFAULT 'system',
  ended_at INTEGER,
  end_reason TEXT CHECK (end_reason IN ('expired', 'self_service_unlock', 'password_reset', 'staff')),
  ended_by TEXT
);
CREATE INDEX account_locks_user ON account_locks (user_id, locked_at);
