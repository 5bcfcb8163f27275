-- An article's public count follows its comments' statuses in the database: every insert and
-- status change moves it in the same transaction, and only once (a guarded status change that
-- matched no row fires nothing). It fires after comments_author_standing (triggers fire in the
-- order of their names), so every path locks the author's standing before the article: a post
-- and a moderator's decision about the same author and article cannot deadlock.

CREATE FUNCTION public_count_follows_comment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta integer := (NEW.status = 'approved')::integer;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        delta := delta - (OLD.status = 'approved')::integer;
    END IF;
    IF delta <> 0 THEN
        UPDATE articles SET comment_count = comment_count + delta WHERE id = NEW.article_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER comments_public_count AFTER INSERT OR UPDATE OF status ON comments
    FOR EACH ROW EXECUTE FUNCTION public_count_follows_comment();
