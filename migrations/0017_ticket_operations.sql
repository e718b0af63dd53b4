-- Support operations (issue 14): tiers and escalation, assignment, the customer's status page,
-- staff-opened phone tickets, four eyes for risky actions and staff-led contact changes.
-- Columns are added, not rebuilt: SQLite cannot alter the CHECKs of `tickets` without rebuilding
-- a table that ticket_events references, so new values get new columns.

-- Tier 1 takes every new ticket; an SLA breach without a first response (or an agent, by hand)
-- moves it to tier 2, once.
ALTER TABLE tickets ADD COLUMN tier INTEGER NOT NULL DEFAULT 1 CHECK (tier IN (1, 2));
ALTER TABLE tickets ADD COLUMN assigned_to TEXT REFERENCES staff (id);
-- How the customer reached us: the web form (and "This wasn't me" reports) or a phone call
-- taken by an agent.
ALTER TABLE tickets ADD COLUMN channel TEXT NOT NULL DEFAULT 'web' CHECK (channel IN ('web', 'phone'));
-- The first staff action the customer sees (a question, an approval, a decision): the SLA
-- clock stops here.
ALTER TABLE tickets ADD COLUMN first_response_at INTEGER;
ALTER TABLE tickets ADD COLUMN escalated_at INTEGER;
-- The first time the ticket reached approved, rejected or closed (time to resolution).
ALTER TABLE tickets ADD COLUMN resolved_at INTEGER;
-- The customer's status page: SHA-256 of the token in the acknowledgement's status link. Unlike
-- confirm_token_hash it is kept after the contact is confirmed, until the ticket is closed.
ALTER TABLE tickets ADD COLUMN status_token_hash TEXT;
CREATE UNIQUE INDEX tickets_status_token ON tickets (status_token_hash);
CREATE INDEX tickets_assigned ON tickets (assigned_to, status);
CREATE INDEX tickets_escalation ON tickets (status, escalated_at, sla_due_at);
CREATE INDEX tickets_created ON tickets (created_at);

-- Four eyes: a risky action an agent asked for, waiting for a second staff member (supervisor or
-- admin, never the requester) to approve. `detail` is JSON the action needs (for a contact
-- change: the kind and the new value). Decided once, by one conditional UPDATE.
CREATE TABLE ticket_approvals (
  id TEXT PRIMARY KEY,
  ticket_id TEXT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
  action TEXT NOT NULL CHECK (action IN ('remove_factors', 'lift_compromise_lock', 'change_contact')),
  detail TEXT,
  note TEXT NOT NULL,
  requested_by TEXT NOT NULL REFERENCES staff (id),
  requested_at INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'declined', 'cancelled')),
  decided_by TEXT REFERENCES staff (id),
  decided_at INTEGER,
  decision_note TEXT
);
CREATE INDEX ticket_approvals_ticket ON ticket_approvals (ticket_id, status);
CREATE INDEX ticket_approvals_pending ON ticket_approvals (status, requested_at);

-- A contact change made by staff for a ticket (the customer lost the old address): the new
-- contact proves itself with a code entered on the ticket's status page before it is saved.
ALTER TABLE contact_changes ADD COLUMN ticket_id TEXT REFERENCES tickets (id) ON DELETE CASCADE;
