-- A Vietnamese rendering of a foreign article's title, written by a colleague who read it, so the
-- queue, search and reports carry its meaning to readers who do not read the language.
ALTER TABLE articles ADD COLUMN title_vi TEXT;
