-- Domain events, written in the transaction of the change they record (the outbox), and each
-- subscriber's deliveries of them: a delivery row is the subscriber's progress on that event, gone
-- once acknowledged, kept as dead once its attempts are spent.
CREATE TABLE events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type text NOT NULL,
    site_id bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    article_id bigint REFERENCES articles (id) ON DELETE CASCADE,
    -- Events of one stream (an article, or a user on a site) are delivered in order.
    stream text NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    data jsonb NOT NULL
);

-- Registered by the service as it starts (the code says which types each one takes).
CREATE TABLE event_subscribers (
    name text PRIMARY KEY,
    types text[] NOT NULL,
    -- How long a new delivery is left to the process that wrote the event (it delivers it itself
    -- once committed) before any dispatcher may take it; zero for a subscriber served only by them.
    grace interval NOT NULL
);

CREATE TABLE event_deliveries (
    -- A subscriber's name, not a foreign key: every write of an event would lock the subscriber's
    -- row to check it, and concurrent writers would pile up on it.
    subscriber text NOT NULL,
    event_id bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    stream text NOT NULL,
    -- When it may next be taken: after its grace, its lease, or its retry's delay.
    due_at timestamptz NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    dead_at timestamptz,
    -- By event first: what an event still has to reach (pruning, deleting a site) is one look-up.
    PRIMARY KEY (event_id, subscriber)
);
-- A claim's: what of a subscriber's is due, and what comes before in each stream. (Few rows are
-- ever undelivered, and each index is written twice per delivery: there is no other.)
CREATE INDEX event_deliveries_stream ON event_deliveries (subscriber, stream, event_id) WHERE dead_at IS NULL;

-- Every event gets a delivery for each subscriber that takes its type, in the same transaction;
-- a dispatcher is woken (at commit) when one of them is not left to the writer.
CREATE FUNCTION events_to_deliver() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_deliveries (subscriber, event_id, stream, due_at)
    SELECT s.name, e.id, e.stream, clock_timestamp() + s.grace
    FROM written e JOIN event_subscribers s ON e.type = ANY (s.types);
    IF EXISTS (SELECT FROM written e JOIN event_subscribers s ON e.type = ANY (s.types)
               WHERE s.grace = interval '0') THEN
        PERFORM pg_notify('commentsvc_events', '');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER events_to_deliver AFTER INSERT ON events
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION events_to_deliver();
