-- recovery_flows_identifier (0002) served the first design, in which a new request cancelled every
-- earlier flow for the same identifier. Since M4/L14 a request replaces only the same browser's own
-- flow (by the recovery cookie), and no query has filtered on identifier_key since. The index still
-- cost every reset, unlock and username request one more page written at commit: its key is an
-- HMAC, so each insert lands on a random leaf (issue 12: WAL frames written per unknown request, 22.4 → 21.0).
DROP INDEX recovery_flows_identifier;
