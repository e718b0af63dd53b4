-- Staff invitations (issue 14, "Staff and roles"): an admin invites a new staff member by e-mail
-- from the console. The staff row is created at once (role chosen by the admin, no password); the
-- e-mail carries a one-time set-up link whose token is stored only as its SHA-256. Opening the
-- link changes nothing; choosing a password spends it (one conditional UPDATE … WHERE used_at IS
-- NULL), and the authenticator is set up at the first sign-in as for every staff member.
CREATE TABLE staff_invites (
  token_hash TEXT PRIMARY KEY,
  staff_id TEXT NOT NULL REFERENCES staff (id),
  created_by TEXT NOT NULL,                  -- "staff:<id>"
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX staff_invites_staff ON staff_invites (staff_id);
