//! Sources and their feeds: the configured list kept in step, each feed's schedule, validators and
//! health, and the URLs each source was seen listing.

use super::sql::placeholders;
use super::{Result, Store};
use crate::config::Source;
use crate::model::{ArticleId, FailureClass, SourceId};
use crate::time::{from_unix, to_unix};
use chrono::{DateTime, Utc};
use sqlx::Row;
use std::time::Duration;

/// Per-feed fetch state: validators for conditional GET, the schedule and health counters.
#[derive(Debug, Clone, Default)]
pub struct FeedState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body_hash: Option<String>,
    pub interval_secs: i64,
    pub next_fetch_at: i64,
    pub consecutive_failures: i64,
}

/// Source health as shown to admins.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceHealth {
    pub source_id: String,
    pub last_success_at: Option<DateTime<Utc>>,
    pub next_fetch_at: DateTime<Utc>,
    pub consecutive_failures: i64,
    pub total_failures: i64,
    pub last_error_class: Option<String>,
    pub last_error: Option<String>,
    pub articles_stored: i64,
}

impl Store {
    // ---- sources and feed state ----

    /// Makes the sources table match the configuration; fetch state of existing sources is kept.
    pub async fn sync_sources(&self, sources: &[Source], default_interval: Duration, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE sources SET enabled = 0").execute(&mut *tx).await?;
        for s in sources {
            sqlx::query(
                "INSERT INTO sources (id, name, url, origin, lang, enabled, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, url = excluded.url, origin = excluded.origin,
                 lang = excluded.lang, enabled = excluded.enabled, updated_at = excluded.updated_at",
            )
            .bind(&s.id.0)
            .bind(&s.name)
            .bind(s.url.as_str())
            .bind(s.origin.as_str())
            .bind(&s.lang)
            .bind(s.enabled as i64)
            .bind(to_unix(now))
            .execute(&mut *tx)
            .await?;
            let interval = s.interval.unwrap_or(default_interval).as_secs() as i64;
            sqlx::query(
                "INSERT INTO feed_state (source_id, interval_secs, next_fetch_at) VALUES (?, ?, 0) ON CONFLICT(source_id) DO NOTHING",
            )
            .bind(&s.id.0)
            .bind(interval)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn feed_state(&self, source: &SourceId) -> Result<FeedState> {
        let row = sqlx::query(
            "SELECT etag, last_modified, body_hash, interval_secs, next_fetch_at, consecutive_failures FROM feed_state WHERE source_id = ?",
        )
        .bind(&source.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            None => FeedState::default(),
            Some(r) => FeedState {
                etag: r.try_get(0)?,
                last_modified: r.try_get(1)?,
                body_hash: r.try_get(2)?,
                interval_secs: r.try_get(3)?,
                next_fetch_at: r.try_get(4)?,
                consecutive_failures: r.try_get(5)?,
            },
        })
    }

    /// Enabled sources whose next fetch is due.
    pub async fn due_sources(&self, now: DateTime<Utc>) -> Result<Vec<SourceId>> {
        let rows = sqlx::query(
            "SELECT s.id FROM sources s JOIN feed_state f ON f.source_id = s.id WHERE s.enabled = 1 AND f.next_fetch_at <= ? ORDER BY f.next_fetch_at",
        )
        .bind(to_unix(now))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(SourceId(r.try_get(0)?))).collect()
    }

    /// Seconds until the next enabled source is due (None when there is none).
    pub async fn next_due_at(&self) -> Result<Option<i64>> {
        let r = sqlx::query("SELECT MIN(f.next_fetch_at) FROM sources s JOIN feed_state f ON f.source_id = s.id WHERE s.enabled = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get(0)?)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn record_feed_success(
        &self,
        source: &SourceId,
        now: DateTime<Utc>,
        etag: Option<&str>,
        last_modified: Option<&str>,
        body_hash: Option<&str>,
        changed: bool,
        interval_secs: i64,
        items: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE feed_state SET etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified), body_hash = COALESCE(?, body_hash),
             interval_secs = ?, next_fetch_at = ?, last_fetch_at = ?, last_success_at = ?,
             last_change_at = CASE WHEN ? THEN ? ELSE last_change_at END,
             consecutive_failures = 0, items_last_fetch = ? WHERE source_id = ?",
        )
        .bind(etag)
        .bind(last_modified)
        .bind(body_hash)
        .bind(interval_secs)
        .bind(to_unix(now) + interval_secs)
        .bind(to_unix(now))
        .bind(to_unix(now))
        .bind(changed)
        .bind(to_unix(now))
        .bind(items)
        .bind(&source.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Counts a failure of the source's feed and schedules the retry.
    pub async fn record_feed_failure(
        &self,
        source: &SourceId,
        now: DateTime<Utc>,
        class: FailureClass,
        message: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE feed_state SET next_fetch_at = ?, last_fetch_at = ?, consecutive_failures = consecutive_failures + 1,
             total_failures = total_failures + 1, last_error_class = ?, last_error = ? WHERE source_id = ?",
        )
        .bind(to_unix(retry_at))
        .bind(to_unix(now))
        .bind(class.as_str())
        .bind(message)
        .bind(&source.0)
        .execute(&self.pool)
        .await?;
        self.count_failure(source, class, None, now).await
    }

    /// Counts a failure by class for the source (feed or one of its articles).
    pub async fn count_failure(&self, source: &SourceId, class: FailureClass, url: Option<&str>, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO failure_counts (source_id, class, count, last_at, last_url) VALUES (?, ?, 1, ?, ?)
             ON CONFLICT(source_id, class) DO UPDATE SET count = count + 1, last_at = excluded.last_at, last_url = COALESCE(excluded.last_url, last_url)",
        )
        .bind(&source.0)
        .bind(class.as_str())
        .bind(to_unix(now))
        .bind(url)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn failure_counts(&self, source: &SourceId) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT class, count FROM failure_counts WHERE source_id = ? ORDER BY class")
            .bind(&source.0)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// Every source's feed health, those turned off too (the Sources page lists them, to turn back on).
    pub async fn source_health(&self) -> Result<Vec<SourceHealth>> {
        let rows = sqlx::query(
            "SELECT f.source_id, f.last_success_at, f.next_fetch_at, f.consecutive_failures, f.total_failures, f.last_error_class, f.last_error,
             (SELECT COUNT(*) FROM articles a WHERE a.source_id = f.source_id)
             FROM feed_state f JOIN sources s ON s.id = f.source_id ORDER BY f.source_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SourceHealth {
                    source_id: r.try_get(0)?,
                    last_success_at: r.try_get::<Option<i64>, _>(1)?.map(from_unix),
                    next_fetch_at: from_unix(r.try_get(2)?),
                    consecutive_failures: r.try_get(3)?,
                    total_failures: r.try_get(4)?,
                    last_error_class: r.try_get(5)?,
                    last_error: r.try_get(6)?,
                    articles_stored: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// Makes a source due now (admin "re-run"); false if no such enabled source.
    pub async fn run_source_now(&self, source: &SourceId, now: DateTime<Utc>) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE feed_state SET next_fetch_at = ? WHERE source_id = ? AND source_id IN (SELECT id FROM sources WHERE enabled = 1)",
        )
        .bind(to_unix(now))
        .bind(&source.0)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    // ---- sightings and URLs ----

    pub async fn record_sighting(&self, url: &str, source: &SourceId, title: Option<&str>, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO sightings (url, source_id, title, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT(url, source_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
        )
        .bind(url)
        .bind(&source.0)
        .bind(title)
        .bind(to_unix(now))
        .bind(to_unix(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn article_for_url(&self, url: &str) -> Result<Option<ArticleId>> {
        let r = sqlx::query("SELECT article_id FROM article_urls WHERE url = ?").bind(url).fetch_optional(&self.pool).await?;
        Ok(match r {
            Some(r) => Some(ArticleId(r.try_get(0)?)),
            None => None,
        })
    }

    /// Sources (feeds) that listed the article under any of its URLs.
    pub async fn sightings_of(&self, id: ArticleId) -> Result<Vec<String>> {
        Ok(self.sightings_of_many(&[id]).await?.into_values().next().unwrap_or_default())
    }

    /// `sightings_of` for many articles in one query.
    pub async fn sightings_of_many(&self, ids: &[ArticleId]) -> Result<std::collections::HashMap<i64, Vec<String>>> {
        let mut map: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT DISTINCT u.article_id, s.source_id FROM sightings s JOIN article_urls u ON u.url = s.url
                 WHERE u.article_id IN ({}) ORDER BY u.article_id, s.source_id",
                placeholders(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.0);
            }
            for r in q.fetch_all(&self.pool).await? {
                map.entry(r.try_get(0)?).or_default().push(r.try_get(1)?);
            }
        }
        Ok(map)
    }
}
