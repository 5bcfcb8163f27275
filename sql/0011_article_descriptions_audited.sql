-- An article's title and URL are set by the site's moderators (a reader's first comment no longer
-- sets them for everyone): each change is in the audit log, like a lock.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check,
    ADD CONSTRAINT audit_log_action_check CHECK (action IN (
        'approve', 'reject', 'spam', 'keep', 'ban', 'unban', 'lock', 'unlock', 'delete', 'describe'));
