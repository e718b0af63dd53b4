-- Support reports (issue 14) read the audit events and the recovery flows of a date range. Without
-- these, each report scans both tables whole (1M audit rows: 594 ms → 195 ms for a 30-day range on
-- SQLite). Both grow only at their end in time, so the extra index costs little per insert.
CREATE INDEX audit_at ON audit_events (at);
CREATE INDEX recovery_flows_created ON recovery_flows (created_at);
