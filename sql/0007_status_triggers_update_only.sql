-- Since 0006 the row-level triggers fire on status changes only (inserts are counted per
-- statement): their functions lose the insert case no trigger calls any more.

CREATE OR REPLACE FUNCTION author_standing_follows_comment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    approved_delta integer := (NEW.status = 'approved')::integer - (OLD.status = 'approved')::integer;
    rejected_delta integer := (NEW.status IN ('rejected', 'spam'))::integer - (OLD.status IN ('rejected', 'spam'))::integer;
BEGIN
    IF NEW.author_id IS NULL OR (approved_delta = 0 AND rejected_delta = 0) THEN
        RETURN NULL;
    END IF;
    UPDATE author_standing s SET approved = s.approved + approved_delta, rejected = s.rejected + rejected_delta
        FROM articles a WHERE a.id = NEW.article_id AND s.site_id = a.site_id AND s.user_id = NEW.author_id;
    IF NOT FOUND THEN
        -- The author's first counted comment on the site (a held first comment being decided).
        INSERT INTO author_standing AS s (site_id, user_id, approved, rejected)
            SELECT a.site_id, NEW.author_id, greatest(approved_delta, 0), greatest(rejected_delta, 0)
            FROM articles a WHERE a.id = NEW.article_id
        ON CONFLICT (site_id, user_id) DO UPDATE
            SET approved = s.approved + approved_delta, rejected = s.rejected + rejected_delta;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION public_count_follows_comment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta integer := (NEW.status = 'approved')::integer - (OLD.status = 'approved')::integer;
BEGIN
    IF delta <> 0 THEN
        UPDATE articles SET comment_count = comment_count + delta WHERE id = NEW.article_id;
    END IF;
    RETURN NULL;
END
$$;
