-- A statement inserting comments (a batch of posts, a bulk load) moves the authors' standings
-- and the articles' public counts once for all its rows, rather than once per row: posting's
-- hot path then runs two statements in the database per batch instead of two per comment.
-- It takes the standings, then the articles, each in order; a status change, counted row by
-- row (0004, 0005), takes its author's standing, then its article: no two of them can wait
-- for each other in a circle (deadlock).

DROP TRIGGER comments_author_standing ON comments;
CREATE TRIGGER comments_author_standing AFTER UPDATE OF status ON comments
    FOR EACH ROW EXECUTE FUNCTION author_standing_follows_comment();
DROP TRIGGER comments_public_count ON comments;
CREATE TRIGGER comments_public_count AFTER UPDATE OF status ON comments
    FOR EACH ROW EXECUTE FUNCTION public_count_follows_comment();

CREATE FUNCTION counts_follow_new_comments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO author_standing AS s (site_id, user_id, approved, rejected)
    SELECT a.site_id, n.author_id,
           count(*) FILTER (WHERE n.status = 'approved'),
           count(*) FILTER (WHERE n.status IN ('rejected', 'spam'))
    FROM new_comments n JOIN articles a ON a.id = n.article_id
    WHERE n.author_id IS NOT NULL AND n.status IN ('approved', 'rejected', 'spam')
    GROUP BY a.site_id, n.author_id
    ORDER BY a.site_id, n.author_id
    ON CONFLICT (site_id, user_id) DO UPDATE
        SET approved = s.approved + EXCLUDED.approved, rejected = s.rejected + EXCLUDED.rejected;
    PERFORM 1 FROM articles a WHERE a.id IN (SELECT article_id FROM new_comments WHERE status = 'approved')
        ORDER BY a.id FOR NO KEY UPDATE;
    UPDATE articles a SET comment_count = a.comment_count + n.approved
    FROM (SELECT article_id, count(*) AS approved FROM new_comments
          WHERE status = 'approved' GROUP BY article_id) n
    WHERE a.id = n.article_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER comments_counted_on_insert AFTER INSERT ON comments
    REFERENCING NEW TABLE AS new_comments
    FOR EACH STATEMENT EXECUTE FUNCTION counts_follow_new_comments();
