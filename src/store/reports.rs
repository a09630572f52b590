//! What the leadership report reads (compact rows over a time window, loaded in a few queries so a
//! report over 100k articles stays well under a second) and the reports kept once generated.

use super::{Result, Store};
use crate::time::{from_unix, to_unix};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// One article as the report counts it.
#[derive(Debug, Clone)]
pub struct ReportArticle {
    pub id: i64,
    pub source_id: String,
    pub origin: Option<String>,
    pub lang: String,
    /// Publication time, or fetch time when the page gave none (what `export --since` filters on).
    pub at: DateTime<Utc>,
    pub story_id: Option<i64>,
    /// Empty unless asked for (only the report's own period needs titles); "original (gloss)" for a
    /// foreign title with a Vietnamese gloss.
    pub title: String,
    pub url: String,
    pub topics: Vec<String>,
    pub localities: Vec<String>,
}

/// A kept report, without its body.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReportInfo {
    pub id: i64,
    pub label: String,
    pub period_from: String,
    pub period_to: String,
    pub generated_at: DateTime<Utc>,
    pub generated_by: String,
    pub emailed_at: Option<DateTime<Utc>>,
    pub email_error: Option<String>,
}

/// Feed health as the report shows it.
#[derive(Debug, Clone)]
pub struct FeedHealthRow {
    pub source_id: String,
    pub last_fetch_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub consecutive_failures: i64,
    pub last_error_class: Option<String>,
    pub last_error: Option<String>,
}

const WHEN: &str = "COALESCE(a.published_at, a.fetched_at)";

impl Store {
    /// Every article whose time falls in `[from, to]` (inclusive), with its tags.
    pub async fn report_articles(&self, from: DateTime<Utc>, to: DateTime<Utc>, with_titles: bool) -> Result<Vec<ReportArticle>> {
        // titles only where a story needs them (articles with a topic): the rest stay in the index;
        // a foreign title carries its Vietnamese gloss, when a colleague wrote one, in brackets
        let cols = if with_titles {
            "CASE WHEN EXISTS (SELECT 1 FROM article_topics x WHERE x.article_id = a.id) THEN a.title ELSE '' END,
             CASE WHEN EXISTS (SELECT 1 FROM article_topics x WHERE x.article_id = a.id) THEN a.url ELSE '' END, a.title_vi"
        } else {
            "'', '', NULL"
        };
        // tags come folded into one column each: one row per article keeps the row count (and the
        // per-row decoding cost) at the number of articles, not of tags. Tag ids never hold commas.
        let sql = format!(
            "SELECT a.id, a.source_id, s.origin, a.lang, {WHEN}, (SELECT st.story_id FROM article_stories st WHERE st.article_id = a.id), {cols},
                    (SELECT group_concat(topic_id) FROM article_topics t WHERE t.article_id = a.id),
                    (SELECT group_concat(locality_id) FROM article_localities l WHERE l.article_id = a.id AND l.about = 1)
             FROM articles a LEFT JOIN sources s ON s.id = a.source_id
             WHERE {WHEN} >= ? AND {WHEN} <= ? ORDER BY a.id"
        );
        let split = |v: Option<String>| -> Vec<String> { v.map(|s| s.split(',').map(String::from).collect()).unwrap_or_default() };
        // fetch_all, not a stream: sqlx hands a stream's rows over one by one, which measured 20%
        // slower over 100k rows (at twice the peak memory: 280 MB against 140 MB for that month)
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(to_unix(from)).bind(to_unix(to)).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(ReportArticle {
                id: r.try_get(0)?,
                source_id: r.try_get(1)?,
                origin: r.try_get(2)?,
                lang: r.try_get(3)?,
                at: from_unix(r.try_get(4)?),
                story_id: r.try_get(5)?,
                title: crate::model::glossed_title(r.try_get(6)?, r.try_get::<Option<String>, _>(8)?.as_deref()),
                url: r.try_get(7)?,
                topics: split(r.try_get(9)?),
                localities: split(r.try_get(10)?),
            });
        }
        Ok(out)
    }

    /// For each source, when it first published an article covering a configured locality: the
    /// report's "new sources".
    /// When each source first published an article about one of `localities`.
    pub async fn source_first_local(&self, localities: &[String]) -> Result<Vec<(String, DateTime<Utc>)>> {
        if localities.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; localities.len()].join(", ");
        let sql = format!(
            "SELECT a.source_id, MIN({WHEN}) FROM articles a
             WHERE EXISTS (SELECT 1 FROM article_localities l WHERE l.article_id = a.id AND l.about = 1 AND l.locality_id IN ({marks}))
             GROUP BY a.source_id"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for l in localities {
            q = q.bind(l);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, from_unix(r.try_get(1)?)))).collect()
    }

    pub async fn feed_health_rows(&self) -> Result<Vec<FeedHealthRow>> {
        let rows = sqlx::query(
            "SELECT source_id, last_fetch_at, last_success_at, consecutive_failures, last_error_class, last_error
             FROM feed_state ORDER BY source_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FeedHealthRow {
                    source_id: r.try_get(0)?,
                    last_fetch_at: r.try_get::<Option<i64>, _>(1)?.map(from_unix),
                    last_success_at: r.try_get::<Option<i64>, _>(2)?.map(from_unix),
                    consecutive_failures: r.try_get(3)?,
                    last_error_class: r.try_get(4)?,
                    last_error: r.try_get(5)?,
                })
            })
            .collect()
    }

    /// Failures by class whose last occurrence falls in `[from, to]`.
    pub async fn failures_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<(String, String, i64)>> {
        let rows =
            sqlx::query("SELECT source_id, class, count FROM failure_counts WHERE last_at >= ? AND last_at <= ? ORDER BY source_id, class")
                .bind(to_unix(from))
                .bind(to_unix(to))
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    pub async fn save_report(&self, label: &str, from: &str, to: &str, by: &str, body: &str, now: DateTime<Utc>) -> Result<i64> {
        let r = sqlx::query(
            "INSERT INTO reports (label, period_from, period_to, generated_at, generated_by, body) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(label)
        .bind(from)
        .bind(to)
        .bind(to_unix(now))
        .bind(by)
        .bind(body)
        .fetch_one(&self.pool)
        .await?;
        Ok(r.try_get(0)?)
    }

    pub async fn record_report_email(&self, id: i64, error: Option<&str>, now: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE reports SET emailed_at = ?, email_error = ? WHERE id = ?")
            .bind(error.is_none().then_some(to_unix(now)))
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Kept reports, newest first.
    pub async fn reports(&self, limit: i64) -> Result<Vec<ReportInfo>> {
        let rows = sqlx::query(
            "SELECT id, label, period_from, period_to, generated_at, generated_by, emailed_at, email_error
             FROM reports ORDER BY id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(report_info).collect()
    }

    /// A kept report and its body (the report's JSON).
    pub async fn report(&self, id: i64) -> Result<Option<(ReportInfo, String)>> {
        let r = sqlx::query(
            "SELECT id, label, period_from, period_to, generated_at, generated_by, emailed_at, email_error, body
             FROM reports WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        match r {
            None => Ok(None),
            Some(r) => Ok(Some((report_info(&r)?, r.try_get(8)?))),
        }
    }

    /// Whether the scheduler already wrote the report for this period label.
    pub async fn scheduled_report_exists(&self, label: &str) -> Result<bool> {
        let r = sqlx::query("SELECT COUNT(*) FROM reports WHERE label = ? AND generated_by = 'schedule'")
            .bind(label)
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get::<i64, _>(0)? > 0)
    }
}

fn report_info(r: &sqlx::sqlite::SqliteRow) -> Result<ReportInfo> {
    Ok(ReportInfo {
        id: r.try_get(0)?,
        label: r.try_get(1)?,
        period_from: r.try_get(2)?,
        period_to: r.try_get(3)?,
        generated_at: from_unix(r.try_get(4)?),
        generated_by: r.try_get(5)?,
        emailed_at: r.try_get::<Option<i64>, _>(6)?.map(from_unix),
        email_error: r.try_get(7)?,
    })
}
