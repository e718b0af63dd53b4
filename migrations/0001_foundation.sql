-- Accounts, staff, sessions, delivery outbox, audit log and the development mailbox.
-- Times are integer milliseconds since the Unix epoch (UTC).

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,            -- stored lower-case
  email TEXT NOT NULL,                      -- lower-case; several accounts may share one
  email_verified INTEGER NOT NULL DEFAULT 1,
  phone TEXT,                               -- E.164
  phone_verified INTEGER NOT NULL DEFAULT 0,
  password_hash TEXT,                       -- NULL: the account can only be entered through recovery
  password_changed_at INTEGER,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at INTEGER NOT NULL
);
CREATE INDEX users_email ON users (email);
CREATE INDEX users_phone ON users (phone);

CREATE TABLE password_history (
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, created_at);

CREATE TABLE staff (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  password_hash TEXT,
  totp_secret TEXT,                         -- encrypted at rest
  created_at INTEGER NOT NULL
);

-- Lucia's session model: the cookie holds "<id>.<secret>", only sha256(secret) is stored.
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  secret_hash BLOB NOT NULL,
  subject_type TEXT NOT NULL CHECK (subject_type IN ('user', 'staff')),
  subject_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  authenticated_at INTEGER NOT NULL,        -- last time a password (or factor) was proven
  absolute_expires_at INTEGER NOT NULL,
  ip TEXT,
  user_agent TEXT
);
CREATE INDEX sessions_subject ON sessions (subject_type, subject_id);

CREATE TABLE outbox (
  id TEXT PRIMARY KEY,
  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
  recipient TEXT NOT NULL,
  template TEXT NOT NULL,
  payload TEXT,                             -- JSON; may hold a token or code, so NULLed once sent
  message_id TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  sent_at INTEGER
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- Append-only, hash-chained.
CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  event TEXT NOT NULL,
  outcome TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  actor_id TEXT,
  user_id TEXT,
  ip TEXT,
  user_agent TEXT,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_user ON audit_events (user_id, seq);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;

CREATE TABLE dev_mailbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at INTEGER NOT NULL,
  channel TEXT NOT NULL,
  sender TEXT,
  recipients TEXT NOT NULL,
  subject TEXT,
  text_body TEXT,
  html_body TEXT
);

CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- rate-limiter-flexible's RateLimiterSQLite table (its own schema), shared by every limiter.
CREATE TABLE rate_limits (
  key TEXT PRIMARY KEY,
  points INTEGER NOT NULL DEFAULT 0,
  expire INTEGER
);
