-- Users, sessions, API tokens, the review queue, saved searches and the audit log.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

-- Only a hash of the session id is kept: a copy of the database does not log anyone in.
CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    label      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE saved_searches (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL,
    query      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX saved_searches_user ON saved_searches(user_id);

-- A queue item concerns an article or a whole story. `version` grows with every change: an update
-- names the version it saw, so the second of two concurrent writers gets a conflict.
CREATE TABLE queue_items (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id    INTEGER REFERENCES articles(id),
    story_id      INTEGER,
    state         TEXT NOT NULL,
    reason        TEXT NOT NULL,
    priority      TEXT NOT NULL,
    agency_id     TEXT,
    assignee_id   INTEGER REFERENCES users(id),
    due_at        INTEGER,
    response_url  TEXT,
    response_text TEXT,
    created_by    INTEGER REFERENCES users(id),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    responded_at  INTEGER,
    closed_at     INTEGER,
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX queue_state ON queue_items(state, due_at);
CREATE INDEX queue_article ON queue_items(article_id);

CREATE TABLE queue_notes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id    INTEGER NOT NULL REFERENCES queue_items(id),
    user_id    INTEGER REFERENCES users(id),
    text       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX queue_notes_item ON queue_notes(item_id);

-- Append-only: who, when, what changed (JSON before/after), why.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor_id    INTEGER,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    detail      TEXT NOT NULL,
    reason      TEXT
);
CREATE INDEX audit_target ON audit_log(target_kind, target_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
