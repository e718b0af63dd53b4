-- Several workers share one outbox (issue 13): a claim is a lease. claimed_by names the worker
-- that holds a 'sending' row and claimed_until (epoch ms) when its lease runs out; a row whose
-- lease ran out (its worker died mid-send) may be claimed again by any worker. A claimed row's
-- next_attempt_at is its lease's end too (when another worker may try it), so one index in claim
-- order serves both kinds of claimable rows, and a claim reads only the rows it takes.
ALTER TABLE outbox ADD COLUMN claimed_until INTEGER;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
CREATE INDEX outbox_queue ON outbox (next_attempt_at, created_at) WHERE status IN ('pending', 'sending');
-- A worker's own claims (renewing its leases, giving them back): only the rows in flight.
CREATE INDEX outbox_claims ON outbox (claimed_by) WHERE status = 'sending';
-- outbox_queue replaces it: the claim was its only reader, and with it SQLite's planner sorted
-- every due row on each claim.
DROP INDEX outbox_due;
