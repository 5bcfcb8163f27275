-- Moderators search every comment of a site, in the site's language, and see what each rule that
-- held a comment found.

-- Words compared without their accents and case: "élève", "Eleve" and "ELEVE" are one word. Each
-- configuration is its language's (stop words, stems) with unaccent before the stemmer.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION commentsvc_fr (COPY = pg_catalog.french);
ALTER TEXT SEARCH CONFIGURATION commentsvc_fr
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
CREATE TEXT SEARCH CONFIGURATION commentsvc_en (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION commentsvc_en
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;

-- The language a site's comments are written in (model.sites.SiteSettings.language).
ALTER TABLE sites ADD COLUMN language text NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en'));

CREATE FUNCTION comment_search_config(language text) RETURNS regconfig LANGUAGE sql STABLE AS $$
    SELECT CASE language WHEN 'en' THEN 'commentsvc_en' ELSE 'commentsvc_fr' END::regconfig
$$;

ALTER TABLE comments
    -- Its article's site, kept beside it: a site's comments newest first, from one index.
    ADD COLUMN site_id bigint,
    -- Its text's words as the site's language reads them (comment_search_config).
    ADD COLUMN search_vector tsvector,
    -- What each rule that held it found, when it was last held (policy.findings): a JSON list of
    -- {rule, count?, limit?, minutes?, words?}. held_because keeps the first rule's name.
    ADD COLUMN held_findings jsonb;

-- The rows there already: one pass over the table.
UPDATE comments c SET site_id = a.site_id, search_vector = to_tsvector(comment_search_config(s.language), c.body)
FROM articles a JOIN sites s ON s.id = a.site_id
WHERE a.id = c.article_id;
ALTER TABLE comments ALTER COLUMN site_id SET NOT NULL;

-- Whoever writes a comment (posting, an import, a bulk load), its site and words follow it; an
-- edit's new text is read again.
CREATE FUNCTION comment_searchable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    site_language text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT a.site_id, s.language INTO NEW.site_id, site_language
        FROM articles a JOIN sites s ON s.id = a.site_id WHERE a.id = NEW.article_id;
    ELSE
        SELECT s.language INTO site_language FROM sites s WHERE s.id = NEW.site_id;
    END IF;
    NEW.search_vector := to_tsvector(comment_search_config(site_language), NEW.body);
    RETURN NEW;
END
$$;
CREATE TRIGGER comments_searchable BEFORE INSERT OR UPDATE OF body ON comments
    FOR EACH ROW EXECUTE FUNCTION comment_searchable();

-- A site that changes its language has its comments read again in the new one, in the same
-- transaction (its comments' rows are locked meanwhile: a rare change, made by its owner).
CREATE FUNCTION site_language_searched() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE comments SET search_vector = to_tsvector(comment_search_config(NEW.language), body)
    WHERE site_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER sites_language_searched AFTER UPDATE OF language ON sites
    FOR EACH ROW WHEN (OLD.language IS DISTINCT FROM NEW.language)
    EXECUTE FUNCTION site_language_searched();

-- The search's indexes (store/search.py): words; a site's comments newest first (read backwards);
-- an article's; and those in a status other than published, which are few but sought.
CREATE INDEX comments_search ON comments USING gin (search_vector);
CREATE INDEX comments_site_newest ON comments (site_id, created_at, id);
CREATE INDEX comments_article_newest ON comments (article_id, created_at, id);
CREATE INDEX comments_site_unpublished ON comments (site_id, status, created_at, id) WHERE status <> 'approved';
