-- "This wasn't me" links per recipient (review L10, M3): each security notice creates one token
-- for each address or phone it goes to, single use, valid 7 days. The recipient is kept so that a
-- report's ticket names the person who reported (the one the notice reached), never the account's
-- current contact. A contact-changed notice sent to the previous address or phone carries the value
-- to put back if that person reports the change.
ALTER TABLE report_tokens ADD COLUMN channel TEXT CHECK (channel IN ('email', 'sms'));
ALTER TABLE report_tokens ADD COLUMN recipient TEXT;          -- the email address or E.164 phone the link was sent to
ALTER TABLE report_tokens ADD COLUMN restore_kind TEXT CHECK (restore_kind IN ('email', 'phone'));
ALTER TABLE report_tokens ADD COLUMN restore_value TEXT;      -- the previous email/phone, put back (verified) on report
ALTER TABLE report_tokens ADD COLUMN restore_replaced TEXT;   -- the value the change set (shown to support)
CREATE INDEX report_tokens_user ON report_tokens (user_id, used_at);
