//! Storage for standing queries: rule-opened queue items, alert events and their dispatch.

use super::queue::{append_audit, item_from_row, ITEM_COLS};
use super::{NewAudit, Result, Store, StoreError};
use crate::model::{ArticleId, Priority, QueueItem};
use crate::time::{from_unix, to_unix};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// A story's size and recent growth, for rule conditions and the priority score.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct StoryStats {
    pub articles: i64,
    /// Articles fetched since the asked-for time.
    pub recent: i64,
    pub outlets: i64,
    pub first_seen: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AlertEvent {
    pub id: i64,
    pub alert_id: String,
    pub key: String,
    pub article_id: Option<i64>,
    pub story_id: Option<i64>,
    pub summary: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A new item opened by a rule.
pub struct RuleItem<'a> {
    pub article: ArticleId,
    pub story: Option<i64>,
    pub rule_id: &'a str,
    pub reason: &'a str,
    pub priority: Priority,
    pub agency: Option<&'a str>,
}

impl Store {
    /// Article ids the story stage has reached, after `after`, in id order.
    pub async fn storied_ids_after(&self, after: i64, limit: i64) -> Result<Vec<ArticleId>> {
        let rows = sqlx::query("SELECT article_id FROM article_stories WHERE article_id > ? ORDER BY article_id LIMIT ?")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(ArticleId(r.try_get(0)?))).collect()
    }

    pub async fn story_stats(&self, story: i64, recent_since: DateTime<Utc>) -> Result<StoryStats> {
        let r = sqlx::query(
            "SELECT COUNT(*), COALESCE(SUM(a.fetched_at >= ?), 0), COUNT(DISTINCT a.source_id), MIN(a.fetched_at)
             FROM article_stories s JOIN articles a ON a.id = s.article_id WHERE s.story_id = ?",
        )
        .bind(to_unix(recent_since))
        .bind(story)
        .fetch_one(&self.pool)
        .await?;
        Ok(StoryStats {
            articles: r.try_get(0)?,
            recent: r.try_get(1)?,
            outlets: r.try_get(2)?,
            first_seen: r.try_get::<Option<i64>, _>(3)?.map(from_unix),
        })
    }

    /// `story_stats` for many stories in a few statements (a queue page sorted by score asks for
    /// hundreds): the stories without any article are absent.
    pub async fn stories_stats(&self, stories: &[i64], recent_since: DateTime<Utc>) -> Result<std::collections::HashMap<i64, StoryStats>> {
        let mut ids = stories.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut out = std::collections::HashMap::with_capacity(ids.len());
        // well under SQLite's limit on bound parameters
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT s.story_id, COUNT(*), COALESCE(SUM(a.fetched_at >= ?), 0), COUNT(DISTINCT a.source_id), MIN(a.fetched_at)
                 FROM article_stories s JOIN articles a ON a.id = s.article_id WHERE s.story_id IN ({marks}) GROUP BY s.story_id"
            );
            // only `?` marks are formatted in; every value is bound
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(to_unix(recent_since));
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(&self.pool).await? {
                let stats = StoryStats {
                    articles: r.try_get(1)?,
                    recent: r.try_get(2)?,
                    outlets: r.try_get(3)?,
                    first_seen: r.try_get::<Option<i64>, _>(4)?.map(from_unix),
                };
                out.insert(r.try_get::<i64, _>(0)?, stats);
            }
        }
        Ok(out)
    }

    /// Opens a queue item for a rule unless the story (or the article) already has one, open or not:
    /// a story is triaged once. Audited as the rule.
    pub async fn open_rule_item(&self, r: &RuleItem<'_>, now: DateTime<Utc>) -> Result<Option<QueueItem>> {
        let mut tx = self.write_tx().await?;
        let existing = sqlx::query("SELECT 1 FROM queue_items WHERE article_id = ? OR (story_id IS NOT NULL AND story_id = ?) LIMIT 1")
            .bind(r.article.0)
            .bind(r.story)
            .fetch_optional(&mut *tx)
            .await?;
        if existing.is_some() {
            return Ok(None);
        }
        let id = sqlx::query(
            "INSERT INTO queue_items (article_id, story_id, state, reason, priority, agency_id, rule_id, created_at, updated_at)
             VALUES (?, ?, 'new', ?, ?, ?, ?, ?, ?)",
        )
        .bind(r.article.0)
        .bind(r.story)
        .bind(r.reason)
        .bind(r.priority.as_str())
        .bind(r.agency)
        .bind(r.rule_id)
        .bind(to_unix(now))
        .bind(to_unix(now))
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
        let sql = format!("SELECT {ITEM_COLS} FROM queue_items q WHERE q.id = ?");
        let item = item_from_row(&sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(&mut *tx).await?)?;
        let actor = format!("rule:{}", r.rule_id);
        let audit = NewAudit {
            actor_id: None,
            actor: &actor,
            action: "queue.create",
            target_kind: "queue_item",
            target_id: id.to_string(),
            detail: serde_json::to_value(&item).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            reason: Some(r.reason),
        };
        append_audit(&mut tx, &audit, now).await?;
        tx.commit().await?;
        Ok(Some(item))
    }

    /// Records that an alert has something to tell; false when it already told (or holds) it.
    pub async fn add_alert_event(
        &self,
        alert: &str,
        key: &str,
        article: Option<ArticleId>,
        story: Option<i64>,
        summary: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let r = sqlx::query(
            "INSERT INTO alert_events (alert_id, key, article_id, story_id, summary, created_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT(alert_id, key) DO NOTHING",
        )
        .bind(alert)
        .bind(key)
        .bind(article.map(|a| a.0))
        .bind(story)
        .bind(summary)
        .bind(to_unix(now))
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn unsent_alert_events(&self, alert: &str) -> Result<Vec<AlertEvent>> {
        let rows = sqlx::query(
            "SELECT id, alert_id, key, article_id, story_id, summary, created_at, sent_at FROM alert_events
             WHERE alert_id = ? AND sent_at IS NULL ORDER BY id",
        )
        .bind(alert)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    pub async fn alert_events(&self, limit: i64) -> Result<Vec<AlertEvent>> {
        let rows = sqlx::query(
            "SELECT id, alert_id, key, article_id, story_id, summary, created_at, sent_at FROM alert_events ORDER BY id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// When the alert last handed events to delivery.
    pub async fn last_alert_dispatch(&self, alert: &str) -> Result<Option<DateTime<Utc>>> {
        let r = sqlx::query("SELECT MAX(sent_at) FROM alert_events WHERE alert_id = ?").bind(alert).fetch_one(&self.pool).await?;
        Ok(r.try_get::<Option<i64>, _>(0)?.map(from_unix))
    }

    /// Marks events as handed to delivery and queues the delivery jobs, in one transaction: an event
    /// is neither sent twice nor lost.
    pub async fn dispatch_alert_events(&self, events: &[i64], jobs: &[(String, String)], now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write_tx().await?;
        for id in events {
            sqlx::query("UPDATE alert_events SET sent_at = ? WHERE id = ?").bind(to_unix(now)).bind(id).execute(&mut *tx).await?;
        }
        for (key, payload) in jobs {
            super::jobs::enqueue_on(&mut tx, "notify", key, payload, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Articles per (topic, locality, local day number) since `since`, for spike detection.
    pub async fn topic_locality_days(&self, since: DateTime<Utc>) -> Result<Vec<(String, String, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT t.topic_id, l.locality_id, (COALESCE(a.published_at, a.fetched_at) + 25200) / 86400 AS day, COUNT(*)
             FROM articles a JOIN article_topics t ON t.article_id = a.id JOIN article_localities l ON l.article_id = a.id AND l.about = 1
             WHERE COALESCE(a.published_at, a.fetched_at) >= ? GROUP BY 1, 2, 3",
        )
        .bind(to_unix(since))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))).collect()
    }
}

fn event_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<AlertEvent> {
    Ok(AlertEvent {
        id: r.try_get(0)?,
        alert_id: r.try_get(1)?,
        key: r.try_get(2)?,
        article_id: r.try_get(3)?,
        story_id: r.try_get(4)?,
        summary: r.try_get(5)?,
        created_at: from_unix(r.try_get(6)?),
        sent_at: r.try_get::<Option<i64>, _>(7)?.map(from_unix),
    })
}
