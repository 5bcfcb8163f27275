-- Single-use tokens that e-mails carry (an address to verify, a password to reset, a new address
-- to confirm). Only a hash of each is kept: the mail that carries one derives it again from its id.
CREATE TABLE account_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('verify', 'reset', 'email')),
    -- The address the token proves (verify: the account's address then; email: the new one).
    email       text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    token_hash  bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose) WHERE used_at IS NULL;

-- A site may hold the comments of accounts whose address is not verified.
ALTER TABLE sites ADD COLUMN require_verified_email boolean NOT NULL DEFAULT false;
