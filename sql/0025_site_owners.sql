-- Site owners: a role per site, like moderator (an owner moderates the site too), that also
-- edits the site's settings, origins, moderators, webhooks and SSO secret. Each such change is
-- in the site's audit log, with what changed (never a secret) in `change`.
ALTER TABLE user_roles DROP CONSTRAINT user_roles_role_check,
    ADD CONSTRAINT user_roles_role_check CHECK (role IN ('admin', 'moderator', 'owner'));

ALTER TABLE audit_log ADD COLUMN change jsonb CHECK (jsonb_typeof(change) = 'object');
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check,
    ADD CONSTRAINT audit_log_action_check CHECK (action IN (
        'approve', 'reject', 'spam', 'keep', 'ban', 'unban', 'lock', 'unlock', 'delete', 'describe',
        'settings', 'origin_add', 'origin_remove', 'moderator_grant', 'moderator_revoke',
        'webhook_add', 'webhook_remove', 'sso_rotate',
        'appeal', 'reinstate', 'uphold', 'pin', 'unpin'));
