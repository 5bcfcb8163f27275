-- Pinned comments: a moderator puts a top-level comment first in every sort of its thread. A page
-- reads the article's few pinned comments through their own index, then the others as before (on
-- the sort indexes), so pinning costs the thread pages nothing.
ALTER TABLE comments ADD COLUMN pinned boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT comments_pinned_top_level CHECK (NOT pinned OR parent_id IS NULL);
CREATE INDEX comments_pinned ON comments (article_id) WHERE pinned;

-- Pinning and unpinning are moderation actions, in the audit log.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check,
    ADD CONSTRAINT audit_log_action_check CHECK (action IN (
        'approve', 'reject', 'spam', 'keep', 'ban', 'unban', 'lock', 'unlock', 'delete', 'describe',
        'settings', 'origin_add', 'origin_remove', 'moderator_grant', 'moderator_revoke',
        'webhook_add', 'webhook_remove', 'sso_rotate',
        'appeal', 'reinstate', 'uphold', 'pin', 'unpin'));

-- An author's record reads their bans and unbans on a site from the audit log.
CREATE INDEX audit_log_bans ON audit_log (site_id, target_user_id, id) WHERE action IN ('ban', 'unban');
