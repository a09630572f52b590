//! Captures (kept responses), the re-check schedule of flagged articles, and revisions.

use super::sql::{groups, ROWS};
use super::{Result, Store};
use crate::model::{Capture, NewCapture};
use crate::model::ArticleId;
use crate::time::{from_unix, to_unix};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// A flagged article due for a re-check, with the version last seen.
#[derive(Debug, Clone)]
pub struct DueCheck {
    pub article_id: ArticleId,
    pub url: String,
    pub source_id: String,
    pub title: String,
    pub text: String,
    pub removed: bool,
}

/// What a re-check found, to be recorded with the schedule's next turn.
#[derive(Debug, Clone)]
pub enum CheckOutcome {
    Unchanged,
    /// The article answers again after a removal, with this version.
    Restored {
        title: String,
        text: String,
        capture: Option<NewCapture>,
    },
    Edited {
        title: String,
        text: String,
        capture: Option<NewCapture>,
    },
    Removed {
        detail: String,
    },
    /// Gone at the last check and still gone.
    StillRemoved,
    /// The fetch failed in a way that says nothing about the article (timeout, 5xx).
    Failed(String),
}

impl CheckOutcome {
    pub fn name(&self) -> &'static str {
        match self {
            CheckOutcome::Unchanged => "unchanged",
            CheckOutcome::Restored { .. } => "restored",
            CheckOutcome::Edited { .. } => "edited",
            CheckOutcome::Removed { .. } => "removed",
            CheckOutcome::StillRemoved => "still removed",
            CheckOutcome::Failed(_) => "failed",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Revision {
    pub id: i64,
    pub article_id: i64,
    pub at: DateTime<Utc>,
    /// `edited`, `removed` or `restored`
    pub kind: String,
    pub detail: String,
    pub prev_title: Option<String>,
    pub prev_text: Option<String>,
    pub title: Option<String>,
    pub text: Option<String>,
    pub capture_id: Option<i64>,
}

/// The re-check state of one article, for the queue item.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckState {
    pub next_at: DateTime<Utc>,
    pub last_at: Option<DateTime<Utc>>,
    pub last_outcome: Option<String>,
    pub removed_at: Option<DateTime<Utc>>,
}

const CAPTURE_COLS: &str = "id, article_id, url, fetched_at, status, headers, body, body_len, body_sha1";

fn capture_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<Capture> {
    Ok(Capture {
        id: r.try_get("id")?,
        article_id: r.try_get("article_id")?,
        url: r.try_get("url")?,
        fetched_at: from_unix(r.try_get("fetched_at")?),
        status: r.try_get::<i64, _>("status")?.clamp(0, 999) as u16,
        headers: r.try_get("headers")?,
        body_gz: r.try_get("body")?,
        body_len: r.try_get("body_len")?,
        body_sha1: r.try_get("body_sha1")?,
    })
}

pub(super) async fn insert_capture(conn: &mut sqlx::SqliteConnection, article: i64, c: &NewCapture) -> Result<i64> {
    insert_captures(conn, &[(article, c)]).await
}

/// Keeps each `(article, capture)`, a multi-row statement per `ROWS`; returns the last row's id.
pub(super) async fn insert_captures(conn: &mut sqlx::SqliteConnection, captures: &[(i64, &NewCapture)]) -> Result<i64> {
    let mut last = 0;
    for chunk in captures.chunks(ROWS) {
        let sql = format!(
            "INSERT INTO captures (article_id, url, fetched_at, status, headers, body, body_len, body_sha1) VALUES {}",
            groups(chunk.len(), 8)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (article, c) in chunk {
            q = q
                .bind(article)
                .bind(&c.url)
                .bind(to_unix(c.fetched_at))
                .bind(c.status as i64)
                .bind(&c.headers)
                .bind(&c.body_gz)
                .bind(c.body_len)
                .bind(&c.body_sha1);
        }
        last = q.execute(&mut *conn).await?.last_insert_rowid();
    }
    Ok(last)
}

impl Store {
    pub async fn captures_of(&self, article: ArticleId) -> Result<Vec<Capture>> {
        let sql = format!("SELECT {CAPTURE_COLS} FROM captures WHERE article_id = ? ORDER BY fetched_at, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(article.0).fetch_all(&self.pool).await?;
        rows.iter().map(capture_from_row).collect()
    }

    /// Captures after `after_id` whose article's date (published, else fetched) falls in the range,
    /// in id order, `limit` at a time: a WARC export of any size reads in pages.
    pub async fn captures_page(&self, after_id: i64, since: Option<i64>, until: Option<i64>, limit: i64) -> Result<Vec<Capture>> {
        let sql = format!(
            "SELECT {CAPTURE_COLS} FROM captures c WHERE c.id > ? AND c.article_id IN (
                SELECT id FROM articles WHERE COALESCE(published_at, fetched_at) >= ? AND COALESCE(published_at, fetched_at) < ?)
             ORDER BY c.id LIMIT ?"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after_id)
            .bind(since.unwrap_or(i64::MIN))
            .bind(until.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(capture_from_row).collect()
    }

    /// Puts the articles of open queue items under watch (due now) and takes the others off.
    pub async fn sync_checks(&self, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write_tx().await?;
        // an article watched before (its item closed, then reopened) resumes from the last version
        // and state its revisions recorded, not from the first fetch
        sqlx::query(
            "INSERT INTO article_checks (article_id, next_at, title, text, removed_at)
             SELECT a.id, ?,
               COALESCE((SELECT title FROM revisions WHERE article_id = a.id AND title IS NOT NULL ORDER BY id DESC LIMIT 1), a.title),
               COALESCE((SELECT text FROM revisions WHERE article_id = a.id AND text IS NOT NULL ORDER BY id DESC LIMIT 1), a.text),
               (SELECT CASE kind WHEN 'removed' THEN at END FROM revisions WHERE article_id = a.id ORDER BY id DESC LIMIT 1)
             FROM articles a
             WHERE a.id IN (SELECT article_id FROM queue_items WHERE article_id IS NOT NULL AND state NOT IN ('closed', 'dismissed'))
             ON CONFLICT(article_id) DO NOTHING",
        )
        .bind(to_unix(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM article_checks WHERE article_id NOT IN
               (SELECT article_id FROM queue_items WHERE article_id IS NOT NULL AND state NOT IN ('closed', 'dismissed'))",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes an article's re-check due now ("check again" on the item).
    pub async fn check_now(&self, article: ArticleId, now: DateTime<Utc>) -> Result<bool> {
        let r = sqlx::query("UPDATE article_checks SET next_at = ? WHERE article_id = ?")
            .bind(to_unix(now))
            .bind(article.0)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn due_checks(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<DueCheck>> {
        let rows = sqlx::query(
            "SELECT c.article_id, a.url, a.source_id, c.title, c.text, c.removed_at FROM article_checks c
             JOIN articles a ON a.id = c.article_id WHERE c.next_at <= ? ORDER BY c.next_at LIMIT ?",
        )
        .bind(to_unix(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DueCheck {
                    article_id: ArticleId(r.try_get(0)?),
                    url: r.try_get(1)?,
                    source_id: r.try_get(2)?,
                    title: r.try_get(3)?,
                    text: r.try_get(4)?,
                    removed: r.try_get::<Option<i64>, _>(5)?.is_some(),
                })
            })
            .collect()
    }

    /// Records a re-check and its revision (if it found one) together, and sets the next turn.
    pub async fn record_check(&self, check: &DueCheck, outcome: &CheckOutcome, now: DateTime<Utc>, next_at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let label = match outcome {
            CheckOutcome::Failed(why) => format!("failed: {why}"),
            o => o.name().to_string(),
        };
        sqlx::query("UPDATE article_checks SET last_at = ?, next_at = ?, last_outcome = ? WHERE article_id = ?")
            .bind(to_unix(now))
            .bind(to_unix(next_at))
            .bind(&label)
            .bind(check.article_id.0)
            .execute(&mut *tx)
            .await?;
        let id = check.article_id.0;
        match outcome {
            CheckOutcome::Unchanged | CheckOutcome::StillRemoved | CheckOutcome::Failed(_) => {}
            CheckOutcome::Removed { detail } => {
                sqlx::query("UPDATE article_checks SET removed_at = ? WHERE article_id = ?")
                    .bind(to_unix(now))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO revisions (article_id, at, kind, detail) VALUES (?, ?, 'removed', ?)")
                    .bind(id)
                    .bind(to_unix(now))
                    .bind(detail)
                    .execute(&mut *tx)
                    .await?;
            }
            CheckOutcome::Edited { title, text, capture } | CheckOutcome::Restored { title, text, capture } => {
                let capture_id = match capture {
                    Some(c) => Some(insert_capture(&mut tx, id, c).await?),
                    None => None,
                };
                let edited = matches!(outcome, CheckOutcome::Edited { .. });
                let changed = title != &check.title || text != &check.text;
                sqlx::query(
                    "INSERT INTO revisions (article_id, at, kind, detail, prev_title, prev_text, title, text, capture_id)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(id)
                .bind(to_unix(now))
                .bind(outcome.name())
                .bind(if edited {
                    "the text changed"
                } else if changed {
                    "answers again, with changes"
                } else {
                    "answers again"
                })
                .bind(changed.then_some(&check.title))
                .bind(changed.then_some(&check.text))
                .bind(changed.then_some(title))
                .bind(changed.then_some(text))
                .bind(capture_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE article_checks SET title = ?, text = ?, removed_at = NULL WHERE article_id = ?")
                    .bind(title)
                    .bind(text)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn revisions(&self, article: ArticleId) -> Result<Vec<Revision>> {
        let rows = sqlx::query(
            "SELECT id, article_id, at, kind, detail, prev_title, prev_text, title, text, capture_id FROM revisions
             WHERE article_id = ? ORDER BY at, id",
        )
        .bind(article.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Revision {
                    id: r.try_get(0)?,
                    article_id: r.try_get(1)?,
                    at: from_unix(r.try_get(2)?),
                    kind: r.try_get(3)?,
                    detail: r.try_get(4)?,
                    prev_title: r.try_get(5)?,
                    prev_text: r.try_get(6)?,
                    title: r.try_get(7)?,
                    text: r.try_get(8)?,
                    capture_id: r.try_get(9)?,
                })
            })
            .collect()
    }

    /// Of these articles, the ones taken down at their last re-check and the ones edited since
    /// they were stored (for the queue list's badges), in two statements.
    pub async fn revision_marks(&self, articles: &[i64]) -> Result<(std::collections::HashSet<i64>, std::collections::HashSet<i64>)> {
        let (mut removed, mut edited) = (std::collections::HashSet::new(), std::collections::HashSet::new());
        for chunk in articles.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            // only `?` marks are formatted in; every value is bound
            for (sql, into) in [
                (format!("SELECT article_id FROM article_checks WHERE removed_at IS NOT NULL AND article_id IN ({marks})"), &mut removed),
                (format!("SELECT DISTINCT article_id FROM revisions WHERE kind = 'edited' AND article_id IN ({marks})"), &mut edited),
            ] {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    q = q.bind(id);
                }
                for r in q.fetch_all(&self.pool).await? {
                    into.insert(r.try_get::<i64, _>(0)?);
                }
            }
        }
        Ok((removed, edited))
    }

    pub async fn check_state(&self, article: ArticleId) -> Result<Option<CheckState>> {
        let r = sqlx::query("SELECT next_at, last_at, last_outcome, removed_at FROM article_checks WHERE article_id = ?")
            .bind(article.0)
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| {
            Ok(CheckState {
                next_at: from_unix(r.try_get(0)?),
                last_at: r.try_get::<Option<i64>, _>(1)?.map(from_unix),
                last_outcome: r.try_get(2)?,
                removed_at: r.try_get::<Option<i64>, _>(3)?.map(from_unix),
            })
        })
        .transpose()
    }
}
