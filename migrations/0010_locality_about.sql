-- A place named only in passing (once outside the title and lead, or in a list of provinces) is
-- kept and searchable, but reports, rules and alerts count the places an article is about.
-- Rows stored before this are counted as about until `presswatch retag` judges them.
ALTER TABLE article_localities ADD COLUMN about INTEGER NOT NULL DEFAULT 1;
