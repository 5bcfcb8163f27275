-- Moderation: items awaiting a decision (the outbox the Redis queue is fed
-- from), bans, the audit log, and what readers are told about removals.

ALTER TABLE comments
    -- Why a new comment was held (a spam signal, pre-moderation, trust).
    ADD COLUMN held_because text,
    -- The moderator's statement of reasons, shown to the author of a removed comment.
    ADD COLUMN moderation_reason text CHECK (length(moderation_reason) <= 1000),
    -- Spotting the same text posted again by its author.
    ADD COLUMN body_hash bytea;
CREATE INDEX comments_author_body ON comments (author_id, body_hash) WHERE body_hash IS NOT NULL;

CREATE TABLE moderation_items (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id         bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    comment_id      bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('held', 'reported')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- Set once the item is in the Redis stream (with its entry id there);
    -- NULL means "to be queued": this table is the outbox the stream is fed from.
    queued_at       timestamptz,
    stream_id       text,
    decision        text CHECK (decision IN ('approve', 'reject', 'spam', 'keep')),
    decided_by      bigint REFERENCES users (id) ON DELETE SET NULL,
    decided_at      timestamptz,
    reason          text CHECK (length(reason) <= 1000),
    ban_days        integer CHECK (ban_days >= 0),
    CHECK ((decision IS NULL) = (decided_at IS NULL))
);
-- At most one open item per comment: further reports join it.
CREATE UNIQUE INDEX moderation_items_open ON moderation_items (comment_id) WHERE decision IS NULL;
CREATE INDEX moderation_items_to_queue ON moderation_items (site_id, id) WHERE decision IS NULL;

CREATE TABLE bans (
    site_id     bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    until       timestamptz,  -- NULL: permanent
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    banned_by   bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, user_id)
);

CREATE TABLE audit_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id         bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    actor_id        bigint REFERENCES users (id) ON DELETE SET NULL,
    action          text NOT NULL CHECK (action IN (
                        'approve', 'reject', 'spam', 'keep', 'ban', 'unban', 'lock', 'unlock', 'delete')),
    comment_id      bigint REFERENCES comments (id) ON DELETE SET NULL,
    target_user_id  bigint REFERENCES users (id) ON DELETE SET NULL,
    article_key     text,
    reason          text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_site ON audit_log (site_id, id DESC);
