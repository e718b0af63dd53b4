-- A password that must be changed before the account gets a session again (PWD-06): set when the
-- owner reports "This wasn't me" (the password may be known to someone else), cleared when a new
-- password is stored.
ALTER TABLE users ADD COLUMN password_change_required INTEGER NOT NULL DEFAULT 0;
