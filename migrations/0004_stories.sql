-- Stories: an article's story is the id of the first article of the story (so `story_id` says who
-- carried it first). Signatures and LSH bands let a new article find earlier ones that share text.
CREATE TABLE story_signatures (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id),
    story_id   INTEGER NOT NULL,
    signature  BLOB NOT NULL
);
CREATE TABLE story_bands (
    band       INTEGER NOT NULL,
    hash       INTEGER NOT NULL,
    article_id INTEGER NOT NULL
);
CREATE INDEX story_bands_lookup ON story_bands(band, hash);
CREATE INDEX articles_story ON articles(story_id);
CREATE INDEX articles_without_story ON articles(id) WHERE story_id IS NULL;
