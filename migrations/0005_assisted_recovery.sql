-- Assisted recovery: tickets worked by support staff, their history, and the single-use
-- "This wasn't me" links carried by security notifications.
CREATE TABLE tickets (
  id TEXT PRIMARY KEY,
  reference TEXT NOT NULL UNIQUE,            -- AR-XXXX-XXXX, random
  category TEXT NOT NULL CHECK (category IN ('lost_email', 'lost_factor', 'locked', 'compromised', 'other')),
  priority TEXT NOT NULL CHECK (priority IN ('high', 'normal')),
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'waiting_customer', 'approved', 'rejected', 'closed')),
  source TEXT NOT NULL DEFAULT 'form' CHECK (source IN ('form', 'report')),
  sla_due_at INTEGER NOT NULL,
  full_name TEXT NOT NULL,
  account_hint TEXT,
  contact_email TEXT NOT NULL,
  contact_phone TEXT,
  details TEXT,
  last_sign_in_claim TEXT,
  opened_claim TEXT,
  matched_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
  contact_confirmed INTEGER NOT NULL DEFAULT 0,
  confirm_token_hash TEXT UNIQUE,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX tickets_open ON tickets (status, sla_due_at);

CREATE TABLE ticket_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ticket_id TEXT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,                       -- "customer", "system" or "staff:<id>"
  action TEXT NOT NULL,
  note TEXT,
  from_status TEXT,
  to_status TEXT
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

CREATE TABLE report_tokens (
  token_hash TEXT PRIMARY KEY,               -- sha256 of the link token
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  event TEXT NOT NULL,                       -- what the notification was about
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);

ALTER TABLE staff ADD COLUMN totp_confirmed_at INTEGER;
ALTER TABLE staff ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
