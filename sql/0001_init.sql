-- Accounts, sites, roles and refresh tokens.

CREATE TABLE sites (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug                    text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Normalised origins (scheme://host[:port]) allowed to embed the widget and call the API.
    origins                 text[] NOT NULL DEFAULT '{}',
    moderation              text NOT NULL DEFAULT 'post' CHECK (moderation IN ('pre', 'post')),
    trust_after             integer NOT NULL DEFAULT 3 CHECK (trust_after >= 0),
    distrust_ratio          real NOT NULL DEFAULT 0.3 CHECK (distrust_ratio BETWEEN 0 AND 1),
    hold_first_comment      boolean NOT NULL DEFAULT false,
    max_links               integer NOT NULL DEFAULT 3 CHECK (max_links >= 0),
    blocked_words           text[] NOT NULL DEFAULT '{}',
    burst_count             integer NOT NULL DEFAULT 10 CHECK (burst_count >= 1),
    burst_minutes           integer NOT NULL DEFAULT 10 CHECK (burst_minutes >= 1),
    report_threshold        integer NOT NULL DEFAULT 1 CHECK (report_threshold >= 1),
    edit_window_minutes     integer NOT NULL DEFAULT 15 CHECK (edit_window_minutes >= 0),
    max_depth               integer NOT NULL DEFAULT 5 CHECK (max_depth BETWEEN 0 AND 50),
    created_at              timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username        text NOT NULL CHECK (username ~ '^[A-Za-z0-9_.-]{3,32}$'),
    email           text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    display_name    text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 64),
    password_hash   text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- admin is global (site_id NULL); moderator is per site.
CREATE TABLE user_roles (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('admin', 'moderator')),
    site_id     bigint REFERENCES sites (id) ON DELETE CASCADE,
    granted_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'admin') = (site_id IS NULL))
);
CREATE UNIQUE INDEX user_roles_key ON user_roles (user_id, role, site_id) NULLS NOT DISTINCT;

-- Opaque refresh tokens, stored only as SHA-256 hashes. A family is every
-- token descended from one login; reusing a spent token revokes its family.
CREATE TABLE refresh_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE,
    family_id   uuid NOT NULL,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    spent_at    timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
