-- E-mail: whether each account's address is verified, the language its mail is written in, which
-- notifications it wants; and the messages already handed to the mail relay, so that a retried
-- delivery never sends one twice.
ALTER TABLE users
    ADD COLUMN email_verified boolean NOT NULL DEFAULT false,
    ADD COLUMN language text NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
    ADD COLUMN notify_replies boolean NOT NULL DEFAULT false,
    ADD COLUMN moderation_alerts text NOT NULL DEFAULT 'off' CHECK (moderation_alerts IN ('instant', 'digest', 'off'));

-- An account's own events (a verification or reset asked for, an address changed) belong to no site.
ALTER TABLE events ALTER COLUMN site_id DROP NOT NULL;

CREATE TABLE mail_sent (
    -- The message's Message-ID, derived from what caused it (an event, a digest's day).
    message_id text PRIMARY KEY,
    sent_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mail_sent_at ON mail_sent (sent_at);
