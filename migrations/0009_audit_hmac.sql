-- L6: the audit chain is keyed (HMAC-SHA256 with a key derived from SECRET_KEY) from now on.
-- Rows written before this migration keep their plain SHA-256 hashes and are marked 'sha256';
-- `audit verify` accepts them only as the oldest rows, and the first process that opens the
-- database afterwards appends a keyed 'audit_chain_keyed' row that pins them
-- (docs/decisions/0007-audit-chain.md). ALTER TABLE ... ADD COLUMN does not fire the
-- append-only triggers.
ALTER TABLE audit_events ADD COLUMN alg TEXT NOT NULL DEFAULT 'sha256';
