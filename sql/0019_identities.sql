-- Identities at OpenID Connect providers (and GitHub) that readers sign in with: one account may
-- have several; each (provider, subject) belongs to one account. An account made by signing in
-- with a provider has no password.
CREATE TABLE identities (
    provider        text NOT NULL CHECK (provider ~ '^[a-z][a-z0-9]{0,19}$'),
    -- The provider's identifier for the person: printable, at most 255 characters (OpenID Connect).
    subject         text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255 AND subject !~ '[[:cntrl:]]'),
    user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The address the provider gave, and whether the provider said it verified it.
    email           text CHECK (length(email) BETWEEN 3 AND 254),
    email_verified  boolean NOT NULL DEFAULT false,
    linked_at       timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, subject)
);
CREATE INDEX identities_user ON identities (user_id);

ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;
