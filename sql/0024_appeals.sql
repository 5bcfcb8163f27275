-- Edit history, appeals against removals, and the figures a transparency report asks for.

-- Every earlier text of a comment, kept by the edit that replaced it (in the edit's statement):
-- its author and the site's moderators can read what was said before. Edits made before this
-- migration kept nothing.
CREATE TABLE comment_versions (
    comment_id  bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    revision    integer NOT NULL CHECK (revision >= 1),
    body        text NOT NULL,
    -- When this text was written by an edit; NULL for the text as first posted.
    edited_at   timestamptz,
    PRIMARY KEY (comment_id, revision)
);

-- The rule that brought a removed comment before its moderator (held_because's name, or
-- 'reports'), kept with the removal and with what follows from it (its appeal, the appeal's
-- outcome): `commentsvc site stats` counts removals, appeals and reversals by it. NULL when the
-- comment was removed without a queue item.
ALTER TABLE audit_log ADD COLUMN rule text;
-- Removals decided before this column: the decision is the item's, written in the same
-- transaction as its audit entry (so at the same now()).
UPDATE audit_log l SET rule = CASE i.kind WHEN 'reported' THEN 'reports' ELSE c.held_because END
FROM moderation_items i JOIN comments c ON c.id = i.comment_id
WHERE l.action IN ('reject', 'spam') AND i.comment_id = l.comment_id AND i.decision = l.action
  AND i.decided_by = l.actor_id AND i.decided_at = l.created_at;

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check,
    ADD CONSTRAINT audit_log_action_check CHECK (action IN (
        'approve', 'reject', 'spam', 'keep', 'ban', 'unban', 'lock', 'unlock', 'delete', 'describe',
        'appeal', 'reinstate', 'uphold'));
CREATE INDEX audit_log_comment ON audit_log (comment_id) WHERE comment_id IS NOT NULL;

-- An appeal is a queue item of its own kind, decided like the others: approve reinstates the
-- comment, reject upholds its removal.
ALTER TABLE moderation_items DROP CONSTRAINT moderation_items_kind_check,
    ADD CONSTRAINT moderation_items_kind_check CHECK (kind IN ('held', 'reported', 'appeal'));

-- The author of a removed comment contests it once (the primary key), against the removal the
-- audit log recorded: its moderator may not decide the appeal.
CREATE TABLE appeals (
    comment_id  bigint PRIMARY KEY REFERENCES comments (id) ON DELETE CASCADE,
    item_id     bigint NOT NULL UNIQUE REFERENCES moderation_items (id) ON DELETE CASCADE,
    removal_id  bigint NOT NULL REFERENCES audit_log (id) ON DELETE CASCADE,
    text        text NOT NULL CHECK (length(text) BETWEEN 1 AND 2000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
