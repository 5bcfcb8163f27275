-- Webhooks: URLs a site's admin registered for some of its event types, and each webhook's
-- deliveries of each event, which are also its delivery log (kept a week once finished).
CREATE TABLE webhooks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    url text NOT NULL,
    events text[] NOT NULL CHECK (cardinality(events) > 0),
    -- Stored as it is shown once: every delivery is signed with it.
    secret text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- The latest attempt of any of its deliveries: when, the receiver's HTTP status (none when it
    -- was not reached or did not answer in time), why it failed, and which attempt it was.
    last_delivery_at timestamptz,
    last_status integer,
    last_error text,
    last_attempt integer
);
CREATE INDEX webhooks_site ON webhooks (site_id);

CREATE TABLE webhook_deliveries (
    event_id bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    -- Deleting a webhook deletes its deliveries, pending ones included (a rare scan of this table).
    webhook_id bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    -- When it may next be tried: at once, after a sender's lease, or after its retry's delay.
    due_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    last_status integer,
    last_error text,
    delivered_at timestamptz,
    dead_at timestamptz,
    -- By event first: pruning the events outbox deletes an event's deliveries in one look-up.
    PRIMARY KEY (event_id, webhook_id)
);
-- A sender's claim: each webhook's due deliveries.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, due_at)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
-- Pruning the log.
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries ((coalesce(delivered_at, dead_at)))
    WHERE delivered_at IS NOT NULL OR dead_at IS NOT NULL;
