-- Webhooks (issue 17, docs/decisions/0020-webhooks.md): endpoints that receive signed events
-- (Standard Webhooks), delivered through the outbox on its new channel 'webhook'.
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  event_types TEXT NOT NULL,                -- comma-separated event types, or '*'
  secret TEXT NOT NULL,                     -- the whsec_ secret, AES-256-GCM under SECRET_KEY
  previous_secret TEXT,                     -- after a rotation: still signs until previous_secret_until
  previous_secret_until INTEGER,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  failing_since INTEGER,                    -- first failed delivery since the last success
  disabled_at INTEGER,
  last_attempt_at INTEGER,
  last_result TEXT,                         -- 'ok 200', 'http 500', 'error timeout', 'refused …'
  last_success_at INTEGER,
  created_at INTEGER NOT NULL
);

-- The outbox learns the channel 'webhook' (recipient = the endpoint's id, message_id = the
-- stable webhook-id). A CHECK cannot be changed in place on SQLite: the table is rebuilt.
CREATE TABLE outbox_next (
  id TEXT PRIMARY KEY,
  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'webhook')),
  recipient TEXT NOT NULL,
  template TEXT NOT NULL,
  payload TEXT,
  message_id TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  claimed_until INTEGER,
  claimed_by TEXT
);
INSERT INTO outbox_next (id, channel, recipient, template, payload, message_id, status, attempts, next_attempt_at, last_error, created_at, sent_at, claimed_until, claimed_by)
  SELECT id, channel, recipient, template, payload, message_id, status, attempts, next_attempt_at, last_error, created_at, sent_at, claimed_until, claimed_by FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_next RENAME TO outbox;
CREATE INDEX outbox_queue ON outbox (next_attempt_at, created_at) WHERE status IN ('pending', 'sending');
CREATE INDEX outbox_claims ON outbox (claimed_by) WHERE status = 'sending';
