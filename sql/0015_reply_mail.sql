-- Replies already told of by e-mail, each by the letter that told it: a reply is told once (a
-- reply approved again after an edit is not news), and a letter tried again after a failure says
-- the same replies as the first attempt (sql/0013's mail_sent then keeps it from leaving twice).
CREATE TABLE reply_notices (
    reply_id    bigint PRIMARY KEY REFERENCES comments (id) ON DELETE CASCADE,
    -- The letter's key (domain/letters/replies.py): the event that started it and its recipient.
    letter      text NOT NULL,
    noticed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reply_notices_letter ON reply_notices (letter);
