-- A signed-in reader's part of a thread (their votes on its comments, their own comments there)
-- is read beside the page every reader shares, on each of their reads: from the reader's side,
-- so that it costs what they did on the article, whatever the article's size or the reader's
-- doings elsewhere. A vote carries its comment's article for that, set by the database whoever
-- writes the vote (a comment never moves to another article).
ALTER TABLE votes ADD COLUMN article_id bigint;
UPDATE votes v SET article_id = c.article_id FROM comments c WHERE c.id = v.comment_id;
ALTER TABLE votes ALTER COLUMN article_id SET NOT NULL;

CREATE FUNCTION votes_article() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.article_id := (SELECT c.article_id FROM comments c WHERE c.id = NEW.comment_id);
    RETURN NEW;
END $$;
CREATE TRIGGER votes_article BEFORE INSERT ON votes FOR EACH ROW EXECUTE FUNCTION votes_article();

-- Also what votes_user served: a user's votes (their data, their erasure).
CREATE INDEX votes_reader ON votes (user_id, article_id);
DROP INDEX votes_user;
CREATE INDEX comments_author_article ON comments (author_id, article_id);
