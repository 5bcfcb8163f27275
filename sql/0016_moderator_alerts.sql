-- Moderator alerts: when each moderator was last sent an instant alert, and for which event
-- (at most one every COMMENTSVC_MODERATOR_ALERT_SECONDS; that event's delivery, tried again after
-- a failure, may still send it), and the day (UTC) of their last daily digest.
ALTER TABLE users
    ADD COLUMN alerted_at timestamptz,
    ADD COLUMN alerted_for_event bigint,
    ADD COLUMN digest_sent_on date;
