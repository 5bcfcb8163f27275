-- A comment's score is the sum of its votes, moved by the database whatever writes or removes a
-- vote: a reader voting, and the cascade that takes an erased account's votes (which used to
-- leave their effect on scores behind). Per statement, like the counts (0006): a bulk load or an
-- erasure moves each comment's score once, and takes the comments in id order, so two erasures
-- cannot deadlock over comments both accounts voted on; a vote on one comment waits for the
-- vote before it on the comment's row. Votes removed with their comment (its article deleted)
-- find no comment left to move.

CREATE FUNCTION scores_follow_votes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    comment_ids bigint[];
    deltas integer[];
BEGIN
    -- What the statement did to each score: the votes it wrote count, those it replaced or removed no longer do.
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(comment_id), array_agg(value::integer) INTO comment_ids, deltas FROM new_votes;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT array_agg(comment_id), array_agg(delta) INTO comment_ids, deltas
        FROM (SELECT comment_id, value::integer AS delta FROM new_votes
              UNION ALL SELECT comment_id, -value::integer FROM old_votes) changed;
    ELSE
        SELECT array_agg(comment_id), array_agg(-value::integer) INTO comment_ids, deltas FROM old_votes;
    END IF;
    -- One move per comment, in id order: the order every statement takes the comments in.
    SELECT array_agg(id ORDER BY id), array_agg(delta ORDER BY id) INTO comment_ids, deltas
    FROM (SELECT id, sum(delta)::integer AS delta FROM unnest(comment_ids, deltas) AS u (id, delta) GROUP BY id) moved
    WHERE delta <> 0;
    PERFORM 1 FROM unnest(comment_ids) AS u (id) JOIN comments c ON c.id = u.id ORDER BY c.id FOR NO KEY UPDATE OF c;
    UPDATE comments c SET score = c.score + u.delta FROM unnest(comment_ids, deltas) AS u (id, delta) WHERE c.id = u.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER votes_move_scores_on_insert AFTER INSERT ON votes
    REFERENCING NEW TABLE AS new_votes
    FOR EACH STATEMENT EXECUTE FUNCTION scores_follow_votes();
CREATE TRIGGER votes_move_scores_on_update AFTER UPDATE ON votes
    REFERENCING OLD TABLE AS old_votes NEW TABLE AS new_votes
    FOR EACH STATEMENT EXECUTE FUNCTION scores_follow_votes();
CREATE TRIGGER votes_move_scores_on_delete AFTER DELETE ON votes
    REFERENCING OLD TABLE AS old_votes
    FOR EACH STATEMENT EXECUTE FUNCTION scores_follow_votes();

-- Scores as the votes that remain make them: the votes of accounts erased until now no longer count.
UPDATE comments c SET score = counted.score
FROM (SELECT c.id, coalesce(sum(v.value), 0)::integer AS score
      FROM comments c LEFT JOIN votes v ON v.comment_id = c.id GROUP BY c.id) counted
WHERE c.id = counted.id AND c.score <> counted.score;
