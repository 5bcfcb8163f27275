-- Readers' e-mails in every language the service speaks (commentsvc.i18n.LANGUAGES), not French
-- and English alone: the language an account chose at registration (its Accept-Language).
ALTER TABLE users DROP CONSTRAINT users_language_check;
ALTER TABLE users ADD CONSTRAINT users_language_check
    CHECK (language IN ('fr', 'en', 'de', 'es', 'it', 'nl', 'pt', 'pl', 'ar'));
