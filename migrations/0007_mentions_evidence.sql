-- Topic tagging keeps two levels (issue 20): article_topics holds the topics an article is *about*
-- (everything that counts coverage reads it), article_mentions the topics whose words merely occur
-- (searchable with `mentions:`, shown on the article, never counted). `evidence` is the JSON of
-- model::Evidence (score, threshold, where it matched); NULL for tags stored before it was kept.
ALTER TABLE article_topics ADD COLUMN evidence TEXT;

CREATE TABLE article_mentions (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    topic_id   TEXT NOT NULL,
    matched    TEXT NOT NULL,
    in_title   INTEGER NOT NULL,
    PRIMARY KEY (article_id, topic_id)
);
CREATE INDEX article_mentions_topic ON article_mentions(topic_id);
