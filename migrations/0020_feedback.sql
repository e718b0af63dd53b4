-- Customer feedback (issue 15, "After recovery"): "How easy was this?" (1–5) with an optional
-- comment, from the reset and unlock done pages (subject: the recovery flow) and from the link in
-- the ticket-closed e-mail (subject: the ticket). One answer per subject: the UNIQUE constraint
-- makes a second submission a no-op that the page reports as "already answered". No personal
-- data beyond the answer: no account, no address, no IP.
CREATE TABLE feedback (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('recovery', 'ticket')),
  subject_id TEXT NOT NULL,                  -- recovery_flows.id or tickets.id
  method TEXT NOT NULL,                      -- link, code, sms, passkey, sign-in, assisted, phone
  purpose TEXT NOT NULL CHECK (purpose IN ('reset', 'unlock', 'ticket')),
  score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (kind, subject_id)
);
CREATE INDEX feedback_created ON feedback (created_at);
