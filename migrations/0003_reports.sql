-- Leadership reports as generated: the figures are kept as JSON so a past report reads the same
-- later, whatever has been crawled or triaged since; every format is rendered from this.
CREATE TABLE reports (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    label        TEXT NOT NULL,
    period_from  TEXT NOT NULL,
    period_to    TEXT NOT NULL,
    generated_at INTEGER NOT NULL,
    -- a user name, or 'schedule' for the weekly report `serve` writes
    generated_by TEXT NOT NULL,
    body         TEXT NOT NULL,
    emailed_at   INTEGER,
    email_error  TEXT
);
CREATE INDEX reports_period ON reports(period_from, period_to);

-- Reports and `export --since/--until` select by this expression; the index covers what the report
-- counts (source, language), so those never read the article rows (whose text comes first).
CREATE INDEX articles_when ON articles(COALESCE(published_at, fetched_at), source_id, lang);
