-- Staff sign-in hardening (review H2, L1, L12; issue 10 "Staff sign-in").
--
-- Per-staff counters of consecutive wrong passwords and wrong authenticator codes, counted
-- across pending cookies and client addresses. Wrong passwords only slow sign-in down (a growing
-- delay from the 5th); the 10th consecutive wrong code locks the staff member until another staff
-- member (console) or an operator (CLI) unlocks them. `status` is the operator's switch
-- (`staff disable|enable`). `totp_setup_nonce` ties an unconfirmed authenticator secret to the one
-- "password passed" cookie it was shown to, so a second visit by anyone else never sees it.
ALTER TABLE staff ADD COLUMN status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled'));
ALTER TABLE staff ADD COLUMN failed_password_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN password_delay_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN password_failed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN failed_code_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN locked_at INTEGER;
ALTER TABLE staff ADD COLUMN locked_reason TEXT CHECK (locked_reason IN ('failed_codes'));
ALTER TABLE staff ADD COLUMN locked_ip TEXT;
ALTER TABLE staff ADD COLUMN totp_setup_nonce TEXT;

-- Wrong passwords typed for an e-mail that names no staff member, counted exactly like a staff
-- member's own (same delays, same answers). The key is an HMAC of the normalised e-mail.
CREATE TABLE staff_unknown_login_failures (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  delay_until INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX staff_unknown_login_failures_updated ON staff_unknown_login_failures (updated_at);

-- What happened to a staff account and who did it (lock, unlock with its note, disable, enable).
CREATE TABLE staff_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  staff_id TEXT NOT NULL REFERENCES staff (id),
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,                       -- "system", "operator:cli" or "staff:<id>"
  action TEXT NOT NULL CHECK (action IN ('locked', 'unlocked', 'disabled', 'enabled')),
  note TEXT
);
CREATE INDEX staff_events_staff ON staff_events (staff_id, at);
