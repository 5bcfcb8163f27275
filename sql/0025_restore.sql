-- A site restored from an export (commentsvc restore) keeps the authors that have no account on
-- this instance as guests, as an import does: their source is 'restore', their key the username
-- the export gave them, and the address it held waits in guests.email until a reader claims them.
ALTER TABLE guests DROP CONSTRAINT guests_source_check,
    ADD CONSTRAINT guests_source_check CHECK (source IN ('disqus', 'wordpress', 'isso', 'remark42', 'restore'));
