-- Edits go through moderation, and a moderator's decision stays.
--
-- A comment's revision moves with every edit; a moderation item keeps the revision its comment
-- had when the item was opened. A decision names the revision the moderator was shown (or, when
-- it names none, the item's): one for another revision is refused, so nobody approves a text
-- they never saw. A new comment and the held item posting opens with it both start at 1.
ALTER TABLE comments ADD COLUMN revision integer NOT NULL DEFAULT 1 CHECK (revision >= 1);
ALTER TABLE moderation_items ADD COLUMN opened_revision integer NOT NULL DEFAULT 1 CHECK (opened_revision >= 1);

-- A rejection stays on its author's record when the comment is deleted afterwards: otherwise an
-- author deleting their removed comments erases what distrust_ratio and the moderators' view of
-- their history rest on. (Approvals still follow the comments that are published.) The trigger
-- keeps its name, so it still fires first and the lock order of 0005 holds.
DROP TRIGGER comments_author_standing ON comments;
CREATE TRIGGER comments_author_standing AFTER UPDATE OF status ON comments
    FOR EACH ROW WHEN (NOT (OLD.status IN ('rejected', 'spam') AND NEW.status = 'deleted'))
    EXECUTE FUNCTION author_standing_follows_comment();
