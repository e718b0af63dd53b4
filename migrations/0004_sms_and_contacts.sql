-- How the customer asked (typed a phone number, or a username/email). The code page's wording
-- follows what was typed, never whether an account matched.
ALTER TABLE recovery_flows ADD COLUMN requested_via TEXT NOT NULL DEFAULT 'email' CHECK (requested_via IN ('email', 'phone'));

-- A pending change of a signed-in customer's email or phone, proven by a code (and, for email,
-- a link) sent to the new address before it is saved as verified (NTF-04).
CREATE TABLE contact_changes (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('email', 'phone')),
  new_value TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  link_token_hash TEXT UNIQUE,
  attempts INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'cancelled')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX contact_changes_user ON contact_changes (user_id, status);
