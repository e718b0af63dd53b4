-- Account security page (issue 15): a customer may turn off the "new device" sign-in notice
-- (security-critical notices cannot be turned off), and the first full sign-in of an account
-- never sends one (nothing to compare the browser with). Accounts that already signed in are
-- marked from the audit log, so their next sign-in from a new browser is announced.
ALTER TABLE users ADD COLUMN new_device_notices INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN signed_in_before INTEGER NOT NULL DEFAULT 0;
UPDATE users SET signed_in_before = 1
  WHERE id IN (SELECT user_id FROM audit_events WHERE event = 'sign_in' AND outcome = 'success' AND user_id IS NOT NULL);
