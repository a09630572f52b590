-- Evidence: what a server answered when an article was fetched (first time and at every re-check),
-- kept so the office can prove what was published. The body is the decoded response, gzip
-- compressed; `headers` are the response headers as received, one "Name: value" per line.
CREATE TABLE captures (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id INTEGER NOT NULL REFERENCES articles(id),
    url        TEXT NOT NULL,
    fetched_at INTEGER NOT NULL,
    status     INTEGER NOT NULL,
    headers    TEXT NOT NULL,
    body       BLOB NOT NULL,
    body_len   INTEGER NOT NULL,
    -- WARC-Payload-Digest of the decoded body: "sha1:" + base32
    body_sha1  TEXT NOT NULL
);
CREATE INDEX captures_article ON captures(article_id, fetched_at);

-- Flagged articles are fetched again on a schedule. One row per article under watch: when it is
-- due, and the version last seen (the base the next edit is compared with).
CREATE TABLE article_checks (
    article_id   INTEGER PRIMARY KEY REFERENCES articles(id),
    next_at      INTEGER NOT NULL,
    last_at      INTEGER,
    last_outcome TEXT,
    title        TEXT NOT NULL,
    text         TEXT NOT NULL,
    removed_at   INTEGER
);
CREATE INDEX article_checks_due ON article_checks(next_at);

-- What a re-check found: an edit (the version before and after), a removal, or a return.
CREATE TABLE revisions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id INTEGER NOT NULL REFERENCES articles(id),
    at         INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_title TEXT,
    prev_text  TEXT,
    title      TEXT,
    text       TEXT,
    capture_id INTEGER REFERENCES captures(id)
);
CREATE INDEX revisions_article ON revisions(article_id, at);

-- Alerts. One row per thing an alert told (or will tell) someone about; `key` is what makes it
-- one: the story (one story, one alert) or a spike (topic, locality, day). `sent_at` stays NULL
-- while a digest or quiet hours hold it.
CREATE TABLE alert_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id   TEXT NOT NULL,
    key        TEXT NOT NULL,
    article_id INTEGER REFERENCES articles(id),
    story_id   INTEGER,
    summary    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at    INTEGER,
    UNIQUE (alert_id, key)
);
CREATE INDEX alert_events_unsent ON alert_events(alert_id, sent_at);

-- Which rule opened a queue item (NULL: a person did).
ALTER TABLE queue_items ADD COLUMN rule_id TEXT;
CREATE INDEX queue_story ON queue_items(story_id);

-- A saved search can alert its owner by e-mail: at once, or in a daily digest.
ALTER TABLE saved_searches ADD COLUMN alert_email TEXT;
ALTER TABLE saved_searches ADD COLUMN alert_digest INTEGER NOT NULL DEFAULT 0;
