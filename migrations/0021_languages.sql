-- Languages (issue 16). users.locale: the customer's preferred language ('en', 'es', 'ar'), set
-- when they choose one while signed in or complete a recovery in one; their e-mails and text
-- messages go out in it. NULL: never chosen (messages use DEFAULT_LOCALE).
-- tickets.locale: the language of the page the ticket was opened from, so staff see it and the
-- replies to the customer go out in it.
ALTER TABLE users ADD COLUMN locale TEXT CHECK (locale IS NULL OR locale IN ('en', 'es', 'ar'));
ALTER TABLE tickets ADD COLUMN locale TEXT CHECK (locale IS NULL OR locale IN ('en', 'es', 'ar'));
