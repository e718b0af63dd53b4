-- Several workers share one outbox (issue 13): a claim is a lease. claimed_by names the process
-- that holds a 'sending' row and claimed_until (epoch ms) when its lease runs out; a row whose
-- lease ran out (its process died mid-send) may be claimed again by any worker.
ALTER TABLE outbox ADD COLUMN claimed_until INTEGER;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
CREATE INDEX outbox_lease ON outbox (status, claimed_until);
