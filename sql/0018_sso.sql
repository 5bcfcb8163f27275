-- Host-site SSO: a site's secrets for signing its readers' tokens (the newest, and the ones it
-- replaced, valid for a day after), and the accounts those tokens made, each tied to its site and
-- to the host's own user id ("subject"). The secrets are kept as they are: verifying HS256 needs
-- the key itself.
CREATE TABLE sso_secrets (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id     bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    secret      text NOT NULL CHECK (length(secret) >= 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- When a newer secret replaced it; NULL for the site's current one.
    replaced_at timestamptz
);
CREATE UNIQUE INDEX sso_secrets_current ON sso_secrets (site_id) WHERE replaced_at IS NULL;
CREATE INDEX sso_secrets_site ON sso_secrets (site_id, replaced_at);

CREATE TABLE sso_accounts (
    user_id     bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    site_id     bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    subject     text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255 AND subject !~ '[[:cntrl:]]'),
    -- What the host said of its reader in its latest token: kept here, not in users, so that a
    -- host's address never takes one a local account has (or another site's reader's).
    email       text CHECK (length(email) BETWEEN 3 AND 254),
    avatar_url  text CHECK (length(avatar_url) <= 2048),
    -- The latest token's iat: an older token arriving late does not undo a newer one's update.
    issued_at   timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (site_id, subject)
);

-- An SSO account has no password and no address of its own in users; its username is
-- "<site slug>:<12 base32 letters derived from the subject>", which no local username can be
-- (local ones never hold ":").
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_username_check;
ALTER TABLE users ADD CONSTRAINT users_username_check CHECK (
    username ~ '^[A-Za-z0-9_.-]{3,32}$' OR username ~ '^[a-z0-9][a-z0-9-]{0,62}:[a-z2-7]{12}$'
);
