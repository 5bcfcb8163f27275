"""Live updates: each change that makes a comment public, or moves an article's public count,
announced to the article's readers as it commits (announcing.py), through Redis pub/sub to every
process, and fanned out there to the open streams (streams.py), which fill any gap from the
event outbox."""
