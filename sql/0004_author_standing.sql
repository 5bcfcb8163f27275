-- Each author's published and removed comments per site, kept by the database on every insert
-- and status change: judging a new comment's author then reads one row instead of counting
-- their whole history, which grew with every comment they wrote.

CREATE TABLE author_standing (
    site_id     bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    approved    integer NOT NULL DEFAULT 0 CHECK (approved >= 0),
    rejected    integer NOT NULL DEFAULT 0 CHECK (rejected >= 0),
    PRIMARY KEY (site_id, user_id)
);

CREATE FUNCTION author_standing_follows_comment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    approved_delta integer := (NEW.status = 'approved')::integer;
    rejected_delta integer := (NEW.status IN ('rejected', 'spam'))::integer;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        approved_delta := approved_delta - (OLD.status = 'approved')::integer;
        rejected_delta := rejected_delta - (OLD.status IN ('rejected', 'spam'))::integer;
    END IF;
    IF NEW.author_id IS NULL OR (approved_delta = 0 AND rejected_delta = 0) THEN
        RETURN NULL;
    END IF;
    UPDATE author_standing s SET approved = s.approved + approved_delta, rejected = s.rejected + rejected_delta
        FROM articles a WHERE a.id = NEW.article_id AND s.site_id = a.site_id AND s.user_id = NEW.author_id;
    IF NOT FOUND THEN
        -- The author's first counted comment on the site (the row's checks apply before ON CONFLICT,
        -- which settles a concurrent first one).
        INSERT INTO author_standing AS s (site_id, user_id, approved, rejected)
            SELECT a.site_id, NEW.author_id, greatest(approved_delta, 0), greatest(rejected_delta, 0)
            FROM articles a WHERE a.id = NEW.article_id
        ON CONFLICT (site_id, user_id) DO UPDATE
            SET approved = s.approved + approved_delta, rejected = s.rejected + rejected_delta;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER comments_author_standing AFTER INSERT OR UPDATE OF status ON comments
    FOR EACH ROW EXECUTE FUNCTION author_standing_follows_comment();

INSERT INTO author_standing (site_id, user_id, approved, rejected)
SELECT a.site_id, c.author_id,
       count(*) FILTER (WHERE c.status = 'approved'),
       count(*) FILTER (WHERE c.status IN ('rejected', 'spam'))
FROM comments c JOIN articles a ON a.id = c.article_id
WHERE c.author_id IS NOT NULL
GROUP BY a.site_id, c.author_id;
