-- Articles, threaded comments, votes, reports and idempotent posting.

CREATE TABLE articles (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id         bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 512),
    title           text CHECK (length(title) <= 300),
    url             text CHECK (length(url) <= 2048),
    locked          boolean NOT NULL DEFAULT false,
    -- Public (approved) comments; moved in the same transaction as every status change.
    comment_count   integer NOT NULL DEFAULT 0 CHECK (comment_count >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (site_id, key)
);

CREATE TABLE comments (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    article_id      bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    parent_id       bigint,
    -- The thread's top-level comment (NULL for a top-level one): one index
    -- probe fetches every reply of a page of threads.
    root_id         bigint REFERENCES comments (id),
    depth           smallint NOT NULL CHECK (depth BETWEEN 0 AND 50),
    status          text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'spam', 'deleted')),
    author_id       bigint REFERENCES users (id) ON DELETE SET NULL,
    body            text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    body_html       text NOT NULL,
    -- Keyed hash of the client address: enough to spot abuse, useless to identify.
    client_hash     bytea,
    score           integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    edited_at       timestamptz,
    deleted_at      timestamptz,
    UNIQUE (id, article_id),
    -- A parent is a comment of the same article, and only a top-level comment has none.
    FOREIGN KEY (parent_id, article_id) REFERENCES comments (id, article_id),
    CHECK ((parent_id IS NULL) = (depth = 0)),
    CHECK ((parent_id IS NULL) = (root_id IS NULL)),
    CHECK ((status = 'deleted') = (deleted_at IS NOT NULL))
);
-- Top-level comments of an article in each sort order, and replies by thread.
CREATE INDEX comments_top_oldest ON comments (article_id, created_at, id) WHERE parent_id IS NULL;
CREATE INDEX comments_top_score ON comments (article_id, score DESC, created_at DESC, id DESC) WHERE parent_id IS NULL;
CREATE INDEX comments_thread ON comments (root_id, created_at, id) WHERE root_id IS NOT NULL;
CREATE INDEX comments_author ON comments (author_id, created_at);

CREATE TABLE votes (
    comment_id  bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    value       smallint NOT NULL CHECK (value IN (-1, 1)),
    voted_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (comment_id, user_id)
);
CREATE INDEX votes_user ON votes (user_id);

CREATE TABLE reports (
    comment_id  bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason      text NOT NULL CHECK (reason IN ('spam', 'abuse', 'off_topic', 'other')),
    note        text CHECK (length(note) <= 1000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (comment_id, user_id)
);
CREATE INDEX reports_user ON reports (user_id);

-- A POST retried with the same Idempotency-Key gets the comment it created.
CREATE TABLE idempotency_keys (
    user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash    bytea NOT NULL,
    comment_id      bigint REFERENCES comments (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
