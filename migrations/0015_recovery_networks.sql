-- The suspicious-activity rule (issue 14): which client networks asked to recover one account
-- in the last hour. network_hash is a keyed hash (HMAC with SECRET_KEY) of the network (/24 for
-- IPv4, /64 for IPv6), never the address itself; one row per account and network, its last
-- request time in last_seen (epoch ms). Rows older than an hour are deleted as the account is
-- counted again.
CREATE TABLE recovery_networks (
  user_id TEXT NOT NULL,
  network_hash TEXT NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY (user_id, network_hash)
);
