-- A search's words become one constant query when it is planned: comment_search_config names the
-- same configuration for the same language always, and said so (IMMUTABLE) the planner folds
-- websearch_to_tsquery(comment_search_config($3), $4) once. As STABLE, it was evaluated again for
-- every comment a search walked past: most of the time of a search for words that are common but
-- rarely together (a phrase), which tests thousands of comments.
ALTER FUNCTION comment_search_config(text) IMMUTABLE;
