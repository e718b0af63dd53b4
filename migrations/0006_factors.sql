-- Stronger factors: passkeys (WebAuthn), authenticator apps (TOTP) and saved recovery codes.
CREATE TABLE passkeys (
  id TEXT PRIMARY KEY,                      -- credential id, base64url
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  public_key BLOB NOT NULL,
  counter INTEGER NOT NULL DEFAULT 0,
  transports TEXT NOT NULL DEFAULT '[]',
  device_type TEXT,
  backed_up INTEGER NOT NULL DEFAULT 0,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX passkeys_user ON passkeys (user_id);

CREATE TABLE user_totp (
  user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret TEXT NOT NULL,                     -- AES-256-GCM under a key derived from SECRET_KEY
  confirmed_at INTEGER,                     -- NULL while being set up
  last_step INTEGER NOT NULL DEFAULT 0,     -- replay cache: each 30-second step is accepted once
  created_at INTEGER NOT NULL
);

CREATE TABLE recovery_codes (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL UNIQUE,           -- HMAC-SHA256 under SECRET_KEY; codes carry 100 bits
  created_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- WebAuthn challenges: server-side, single use, short-lived, tied to the browser that asked.
CREATE TABLE webauthn_challenges (
  id TEXT PRIMARY KEY,
  challenge TEXT NOT NULL,
  purpose TEXT NOT NULL CHECK (purpose IN ('register', 'sign_in', 'second_factor', 'reset')),
  user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
