-- Live updates resume from the outbox: a reader reconnecting after a few seconds asks for one
-- article's events after the last id it saw. Without this index that read walks every article's
-- events from that id on (or all seven days of them, for a made-up old id).
CREATE INDEX events_article ON events (article_id, id) WHERE article_id IS NOT NULL;
