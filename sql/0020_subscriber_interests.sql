-- A subscriber may want only some events of its types: those whose data contains one of the
-- patterns of `wants` (NULL: every one). An event no subscriber wants gets no delivery row for
-- it, so a subscriber that acts on a few events (a moderator alert: comments held or reported)
-- costs the many others nothing.
ALTER TABLE event_subscribers ADD COLUMN wants jsonb;

CREATE OR REPLACE FUNCTION events_to_deliver() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_deliveries (subscriber, event_id, stream, due_at)
    SELECT s.name, e.id, e.stream, clock_timestamp() + s.grace
    FROM written e JOIN event_subscribers s ON e.type = ANY (s.types)
    WHERE s.wants IS NULL OR EXISTS (SELECT FROM jsonb_array_elements(s.wants) w WHERE e.data @> w);
    IF EXISTS (SELECT FROM written e JOIN event_subscribers s ON e.type = ANY (s.types)
               WHERE s.grace = interval '0'
                 AND (s.wants IS NULL OR EXISTS (SELECT FROM jsonb_array_elements(s.wants) w WHERE e.data @> w))) THEN
        PERFORM pg_notify('commentsvc_events', '');
    END IF;
    RETURN NULL;
END $$;
