"""Redis: rate limiting, and later the moderation queue and caches. Redis is for
speed and coordination only; nothing here is the source of truth."""
