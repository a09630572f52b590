-- Stories. Every article gets a row here once the story stage has seen it (in id order, so the
-- highest id says how far it got): its story, named by the id of the story's first article, and its
-- MinHash signature (NULL when the text is too short to match). Kept beside `articles`, not in it:
-- updating an article row rewrites its text. LSH band keys let a new article find earlier ones
-- that may share text.
CREATE TABLE article_stories (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id),
    story_id   INTEGER NOT NULL,
    signature  BLOB
);
CREATE INDEX article_stories_story ON article_stories(story_id);

-- `key` is the band's rows hashed with its number: one b-tree, no separate index to keep in step
CREATE TABLE story_bands (
    key        INTEGER NOT NULL,
    article_id INTEGER NOT NULL,
    PRIMARY KEY (key, article_id)
) WITHOUT ROWID;
