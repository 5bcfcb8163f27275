-- Comments brought in from another system (commentsvc import ...).
--
-- Their authors without an account here are guests: a users row that cannot sign in (no password,
-- no address in users; its username "<site slug>:<12 base32 letters>" derived from the source's
-- author key, as SSO accounts' are), named as the old system named them. The address the old
-- system knew waits here until a reader verifies it and claims the guest: the guest's comments then
-- show the reader's account.
CREATE TABLE guests (
    user_id    bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    site_id    bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    source     text NOT NULL CHECK (source IN ('disqus', 'wordpress', 'isso', 'remark42')),
    -- The author as the source tells them apart (a username, or a name and address).
    key        text NOT NULL CHECK (length(key) BETWEEN 1 AND 600),
    email      text CHECK (length(email) BETWEEN 3 AND 254),
    url        text CHECK (length(url) <= 2048),
    claimed_by bigint REFERENCES users (id) ON DELETE SET NULL,
    claimed_at timestamptz,
    UNIQUE (site_id, source, key)
);
CREATE INDEX guests_email ON guests (lower(email)) WHERE email IS NOT NULL AND claimed_by IS NULL;

-- Each imported comment under its id in the source: running an import again adds nothing twice.
CREATE TABLE imported_comments (
    site_id    bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    source     text NOT NULL CHECK (source IN ('disqus', 'wordpress', 'isso', 'remark42')),
    source_id  text NOT NULL CHECK (length(source_id) BETWEEN 1 AND 200),
    comment_id bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    PRIMARY KEY (site_id, source, source_id)
);
CREATE INDEX imported_comments_comment ON imported_comments (comment_id);
