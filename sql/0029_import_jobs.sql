-- Imports started from the dashboard: the uploaded file waits under the service's import
-- directory while a process of the service imports it in the background. A process claims a job
-- under a lease it keeps renewing; one that dies mid-import loses its lease, and the job is taken
-- again from the start (the import's one transaction died with it, leaving nothing). One job of a
-- site runs at a time, the oldest first.
CREATE TABLE import_jobs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    source text NOT NULL CHECK (source IN ('disqus', 'wordpress', 'isso', 'remark42')),
    key_mode text NOT NULL CHECK (key_mode IN ('path', 'url', 'identifier')),
    -- The upload's name in the import directory; the file is deleted once the job ends.
    file_name text NOT NULL CHECK (file_name ~ '^[0-9a-f]{32}\.upload$'),
    file_bytes bigint NOT NULL CHECK (file_bytes > 0),
    started_by bigint REFERENCES users (id) ON DELETE SET NULL,
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    -- Claims so far: each claim's number fences its writes (a process whose lease ran out and was
    -- taken over changes nothing more), and a file that keeps killing its process gives up.
    attempts integer NOT NULL DEFAULT 0,
    leased_until timestamptz,
    records_read bigint NOT NULL DEFAULT 0,
    summary jsonb,
    failure text CHECK (length(failure) <= 1000),
    CHECK ((state = 'running') = (leased_until IS NOT NULL)),
    CHECK ((state = 'failed') = (failure IS NOT NULL)),
    CHECK ((state = 'done') = (summary IS NOT NULL))
);
CREATE INDEX import_jobs_site ON import_jobs (site_id, id DESC);
-- The claim's scan: jobs not yet ended, the oldest first.
CREATE INDEX import_jobs_open ON import_jobs (id) WHERE state IN ('queued', 'running');
