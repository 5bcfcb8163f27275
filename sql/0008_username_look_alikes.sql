-- Each username's look-alike key (domain.names.look_alike_key), so that a display name or a new
-- username that a reader could not tell from an existing username is found with one index probe.
-- Usernames are ASCII (users' CHECK), where the key comes down to this: lower case; i, 1 and l
-- fall together, as do 0 and o; m reads as rn. A unit test holds the two to the same answers.
ALTER TABLE users ADD COLUMN username_skeleton text NOT NULL
    GENERATED ALWAYS AS (replace(translate(lower(username), 'i01', 'lol'), 'm', 'rn')) STORED;
CREATE INDEX users_username_skeleton ON users (username_skeleton);
