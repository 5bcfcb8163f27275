-- A moderator's decision stays.

-- A rejection stays on its author's record when the comment is deleted afterwards: otherwise an
-- author deleting their removed comments erases what distrust_ratio and the moderators' view of
-- their history rest on. (Approvals still follow the comments that are published.) The trigger
-- keeps its name, so it still fires first and the lock order of 0005 holds.
DROP TRIGGER comments_author_standing ON comments;
CREATE TRIGGER comments_author_standing AFTER UPDATE OF status ON comments
    FOR EACH ROW WHEN (NOT (OLD.status IN ('rejected', 'spam') AND NEW.status = 'deleted'))
    EXECUTE FUNCTION author_standing_follows_comment();
