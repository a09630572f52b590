-- presswatch schema. Times are Unix seconds (UTC). Written in the subset of SQL that SQLite and
-- PostgreSQL share, apart from the id columns, so a PostgreSQL migration set can mirror it.

CREATE TABLE sources (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    url         TEXT NOT NULL,
    origin      TEXT NOT NULL,
    lang        TEXT,
    enabled     INTEGER NOT NULL DEFAULT 1,
    updated_at  INTEGER NOT NULL
);

-- Per-feed fetch state and health.
CREATE TABLE feed_state (
    source_id            TEXT PRIMARY KEY REFERENCES sources(id),
    etag                 TEXT,
    last_modified        TEXT,
    body_hash            TEXT,
    interval_secs        INTEGER NOT NULL,
    next_fetch_at        INTEGER NOT NULL DEFAULT 0,
    last_fetch_at        INTEGER,
    last_success_at      INTEGER,
    last_change_at       INTEGER,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    total_failures       INTEGER NOT NULL DEFAULT 0,
    last_error_class     TEXT,
    last_error           TEXT,
    items_last_fetch     INTEGER NOT NULL DEFAULT 0,
    articles_stored      INTEGER NOT NULL DEFAULT 0
);

-- Failures by class, per source: what source health shows.
CREATE TABLE failure_counts (
    source_id  TEXT NOT NULL,
    class      TEXT NOT NULL,
    count      INTEGER NOT NULL,
    last_at    INTEGER NOT NULL,
    last_url   TEXT,
    PRIMARY KEY (source_id, class)
);

CREATE TABLE articles (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    url           TEXT NOT NULL,
    canonical_url TEXT NOT NULL UNIQUE,
    source_id     TEXT NOT NULL,
    title         TEXT NOT NULL,
    text          TEXT NOT NULL,
    lang          TEXT NOT NULL,
    published_at  INTEGER,
    fetched_at    INTEGER NOT NULL,
    content_hash  TEXT NOT NULL,
    story_id      INTEGER,
    indexed       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX articles_published ON articles(published_at);
CREATE INDEX articles_fetched ON articles(fetched_at);
CREATE INDEX articles_hash ON articles(content_hash);
CREATE INDEX articles_unindexed ON articles(indexed) WHERE indexed = 0;

-- Every normalised URL an article is known by: listed, fetched, redirected to, canonical.
CREATE TABLE article_urls (
    url        TEXT PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id)
);
CREATE INDEX article_urls_article ON article_urls(article_id);

-- Every time a feed or sitemap listed a URL.
CREATE TABLE sightings (
    url           TEXT NOT NULL,
    source_id     TEXT NOT NULL,
    title         TEXT,
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    PRIMARY KEY (url, source_id)
);

CREATE TABLE article_topics (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    topic_id   TEXT NOT NULL,
    matched    TEXT NOT NULL,
    in_title   INTEGER NOT NULL,
    PRIMARY KEY (article_id, topic_id)
);
CREATE INDEX article_topics_topic ON article_topics(topic_id);

CREATE TABLE article_localities (
    article_id  INTEGER NOT NULL REFERENCES articles(id),
    locality_id TEXT NOT NULL,
    matched     TEXT NOT NULL,
    in_title    INTEGER NOT NULL,
    PRIMARY KEY (article_id, locality_id)
);
CREATE INDEX article_localities_locality ON article_localities(locality_id);

-- Durable background work: named, deduplicated by (kind, key), retried with backoff.
CREATE TABLE jobs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    payload    TEXT NOT NULL,
    state      TEXT NOT NULL,
    run_at     INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    updated_at INTEGER NOT NULL,
    UNIQUE (kind, key)
);
CREATE INDEX jobs_due ON jobs(state, run_at);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
