//! The review queue and the audit log. A queue change and its audit entry commit together; an update
//! names the version it read and fails with `Conflict` if someone else wrote first.

use super::sql::placeholders;
use super::{Result, Store, StoreError};
use crate::model::{ArticleId, AuditEntry, Priority, QueueItem, QueueState};
use crate::time::{from_unix, to_unix};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// Who did something and why, for the audit log.
#[derive(Debug, Clone)]
pub struct NewAudit<'a> {
    pub actor_id: Option<i64>,
    pub actor: &'a str,
    pub action: &'a str,
    pub target_kind: &'a str,
    pub target_id: String,
    pub detail: serde_json::Value,
    pub reason: Option<&'a str>,
}

/// A queue item as listed: the item plus what the list shows about its article and people.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QueueRow {
    #[serde(flatten)]
    pub item: QueueItem,
    pub article_title: Option<String>,
    /// The title's Vietnamese gloss, for a foreign article that has one.
    pub article_title_vi: Option<String>,
    pub article_source: Option<String>,
    pub assignee: Option<String>,
    pub created_by_name: Option<String>,
    pub overdue: bool,
}

impl QueueRow {
    /// The article's title as a Vietnamese reader needs it: "original (gloss)" when a foreign title
    /// has a gloss.
    pub fn title_with_gloss(&self) -> Option<String> {
        Some(crate::model::glossed_title(self.article_title.clone()?, self.article_title_vi.as_deref()))
    }
}

#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub states: Vec<QueueState>,
    pub priority: Option<Priority>,
    pub agency: Option<String>,
    pub assignee: Option<i64>,
    pub due_before: Option<DateTime<Utc>>,
    pub overdue_only: bool,
    pub article: Option<ArticleId>,
    /// Items concerning this story or any of its articles.
    pub story: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub actor: Option<String>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub(super) const ITEM_COLS: &str =
    "q.id, q.article_id, q.story_id, q.state, q.reason, q.priority, q.agency_id, q.assignee_id, q.due_at, q.response_url,
    q.response_text, q.created_by, q.rule_id, q.created_at, q.updated_at, q.responded_at, q.closed_at, q.version";

pub(super) fn item_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<QueueItem> {
    let state: String = r.try_get("state")?;
    let priority: String = r.try_get("priority")?;
    let opt_time = |c: &str| -> Result<Option<DateTime<Utc>>> { Ok(r.try_get::<Option<i64>, _>(c)?.map(from_unix)) };
    Ok(QueueItem {
        id: r.try_get("id")?,
        article_id: r.try_get::<Option<i64>, _>("article_id")?.map(ArticleId),
        story_id: r.try_get("story_id")?,
        state: QueueState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("queue_items.state `{state}`")))?,
        reason: r.try_get("reason")?,
        priority: Priority::parse(&priority).ok_or_else(|| StoreError::Corrupt(format!("queue_items.priority `{priority}`")))?,
        agency_id: r.try_get("agency_id")?,
        assignee_id: r.try_get("assignee_id")?,
        due_at: opt_time("due_at")?,
        response_url: r.try_get("response_url")?,
        response_text: r.try_get("response_text")?,
        created_by: r.try_get("created_by")?,
        rule_id: r.try_get("rule_id")?,
        created_at: from_unix(r.try_get("created_at")?),
        updated_at: from_unix(r.try_get("updated_at")?),
        responded_at: opt_time("responded_at")?,
        closed_at: opt_time("closed_at")?,
        version: r.try_get("version")?,
    })
}

pub(super) async fn append_audit(conn: &mut sqlx::SqliteConnection, e: &NewAudit<'_>, now: DateTime<Utc>) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor, action, target_kind, target_id, detail, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(to_unix(now))
    .bind(e.actor_id)
    .bind(e.actor)
    .bind(e.action)
    .bind(e.target_kind)
    .bind(&e.target_id)
    .bind(e.detail.to_string())
    .bind(e.reason)
    .execute(conn)
    .await?;
    Ok(r.last_insert_rowid())
}

impl Store {
    /// Opens a queue item for an article and records who flagged it and why. The item concerns the
    /// article's story too when it has one (so later articles of the story show on it).
    pub async fn create_queue_item(
        &self,
        article: ArticleId,
        reason: &str,
        priority: Priority,
        actor: (i64, &str),
        now: DateTime<Utc>,
    ) -> Result<QueueItem> {
        let mut tx = self.write_tx().await?;
        let exists = sqlx::query("SELECT 1 FROM articles WHERE id = ?").bind(article.0).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("article {article}")));
        }
        let r = sqlx::query(
            "INSERT INTO queue_items (article_id, story_id, state, reason, priority, created_by, created_at, updated_at)
             VALUES (?, (SELECT story_id FROM article_stories WHERE article_id = ?), 'new', ?, ?, ?, ?, ?)",
        )
        .bind(article.0)
        .bind(article.0)
        .bind(reason)
        .bind(priority.as_str())
        .bind(actor.0)
        .bind(to_unix(now))
        .bind(to_unix(now))
        .execute(&mut *tx)
        .await?;
        let id = r.last_insert_rowid();
        let sql = format!("SELECT {ITEM_COLS} FROM queue_items q WHERE q.id = ?");
        let item = item_from_row(&sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(&mut *tx).await?)?;
        let detail = serde_json::to_value(&item).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let audit = NewAudit {
            actor_id: Some(actor.0),
            actor: actor.1,
            action: "queue.create",
            target_kind: "queue_item",
            target_id: id.to_string(),
            detail,
            reason: Some(reason),
        };
        append_audit(&mut *tx, &audit, now).await?;
        tx.commit().await?;
        Ok(item)
    }

    pub async fn queue_item(&self, id: i64) -> Result<Option<QueueItem>> {
        let sql = format!("SELECT {ITEM_COLS} FROM queue_items q WHERE q.id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(item_from_row).transpose()
    }

    /// Writes `next` over the item if it is still at `expected_version`, with its audit entry, in one
    /// transaction. `next.version` must be `expected_version + 1`.
    pub async fn update_queue_item(&self, expected_version: i64, next: &QueueItem, audit: &NewAudit<'_>, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let r = sqlx::query(
            "UPDATE queue_items SET state = ?, priority = ?, agency_id = ?, assignee_id = ?, due_at = ?, response_url = ?, response_text = ?,
             updated_at = ?, responded_at = ?, closed_at = ?, version = ? WHERE id = ? AND version = ?",
        )
        .bind(next.state.as_str())
        .bind(next.priority.as_str())
        .bind(&next.agency_id)
        .bind(next.assignee_id)
        .bind(next.due_at.map(to_unix))
        .bind(&next.response_url)
        .bind(&next.response_text)
        .bind(to_unix(next.updated_at))
        .bind(next.responded_at.map(to_unix))
        .bind(next.closed_at.map(to_unix))
        .bind(next.version)
        .bind(next.id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            let current = sqlx::query("SELECT version FROM queue_items WHERE id = ?").bind(next.id).fetch_optional(&mut *tx).await?;
            return Err(match current {
                Some(row) => StoreError::Conflict { current: row.try_get(0)? },
                None => StoreError::NotFound(format!("queue item {}", next.id)),
            });
        }
        append_audit(&mut *tx, audit, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn add_queue_note(&self, item: i64, actor: (i64, &str), text: &str, now: DateTime<Utc>) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        if sqlx::query("SELECT 1 FROM queue_items WHERE id = ?").bind(item).fetch_optional(&mut *tx).await?.is_none() {
            return Err(StoreError::NotFound(format!("queue item {item}")));
        }
        let r = sqlx::query("INSERT INTO queue_notes (item_id, user_id, text, created_at) VALUES (?, ?, ?, ?)")
            .bind(item)
            .bind(actor.0)
            .bind(text)
            .bind(to_unix(now))
            .execute(&mut *tx)
            .await?;
        let audit = NewAudit {
            actor_id: Some(actor.0),
            actor: actor.1,
            action: "queue.note",
            target_kind: "queue_item",
            target_id: item.to_string(),
            detail: serde_json::json!({ "note": text }),
            reason: None,
        };
        append_audit(&mut *tx, &audit, now).await?;
        tx.commit().await?;
        Ok(r.last_insert_rowid())
    }

    pub async fn queue_items(&self, f: &QueueFilter, now: DateTime<Utc>) -> Result<(Vec<QueueRow>, i64)> {
        let mut cond = vec!["1 = 1".to_string()];
        if !f.states.is_empty() {
            cond.push(format!("q.state IN ({})", placeholders(f.states.len())));
        }
        for (on, c) in [
            (f.priority.is_some(), "q.priority = ?"),
            (f.agency.is_some(), "q.agency_id = ?"),
            (f.assignee.is_some(), "q.assignee_id = ?"),
            (f.due_before.is_some(), "q.due_at <= ?"),
            (f.overdue_only, "q.due_at < ? AND q.state NOT IN ('closed', 'dismissed')"),
            (f.article.is_some(), "q.article_id = ?"),
            (f.story.is_some(), "(q.story_id = ? OR q.article_id IN (SELECT article_id FROM article_stories WHERE story_id = ?))"),
        ] {
            if on {
                cond.push(c.to_string());
            }
        }
        let where_ = cond.join(" AND ");
        // overdue first, then urgent first, then the nearest deadline, then the oldest
        let sql = format!(
            "SELECT {ITEM_COLS}, a.title AS a_title, a.title_vi AS a_title_vi, a.source_id AS a_source, COALESCE(u.full_name, u.name) AS assignee_name, COALESCE(c.full_name, c.name) AS creator_name,
             COUNT(*) OVER () AS total
             FROM queue_items q LEFT JOIN articles a ON a.id = q.article_id LEFT JOIN users u ON u.id = q.assignee_id
             LEFT JOIN users c ON c.id = q.created_by
             WHERE {where_}
             ORDER BY (q.state NOT IN ('closed', 'dismissed') AND q.due_at IS NOT NULL AND q.due_at < ?) DESC,
               CASE q.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END,
               q.due_at IS NULL, q.due_at, q.created_at
             LIMIT ? OFFSET ?"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for s in &f.states {
            q = q.bind(s.as_str());
        }
        if let Some(p) = f.priority {
            q = q.bind(p.as_str());
        }
        if let Some(a) = &f.agency {
            q = q.bind(a.clone());
        }
        if let Some(u) = f.assignee {
            q = q.bind(u);
        }
        if let Some(d) = f.due_before {
            q = q.bind(to_unix(d));
        }
        if f.overdue_only {
            q = q.bind(to_unix(now));
        }
        if let Some(a) = &f.article {
            q = q.bind(a.0);
        }
        if let Some(s) = f.story {
            q = q.bind(s).bind(s);
        }
        let limit = if f.limit <= 0 { 50 } else { f.limit.min(500) };
        let rows = q.bind(to_unix(now)).bind(limit).bind(f.offset.max(0)).fetch_all(&self.pool).await?;
        let mut total = 0;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            total = r.try_get("total")?;
            let item = item_from_row(r)?;
            out.push(QueueRow {
                overdue: item.is_overdue(now),
                item,
                article_title: r.try_get("a_title")?,
                article_title_vi: r.try_get("a_title_vi")?,
                article_source: r.try_get("a_source")?,
                assignee: r.try_get("assignee_name")?,
                created_by_name: r.try_get("creator_name")?,
            });
        }
        Ok((out, total))
    }

    /// Sets (or with `None` clears) an article's Vietnamese title gloss and marks it for the index
    /// (the gloss is searchable); the audit entry, with the text before and after, commits with it.
    /// Returns false when the gloss was already that.
    pub async fn set_title_gloss(&self, article: ArticleId, gloss: Option<&str>, actor: (i64, &str), now: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let before: Option<Option<String>> =
            sqlx::query("SELECT title_vi FROM articles WHERE id = ?").bind(article.0).fetch_optional(&mut *tx).await?.map(|r| r.try_get(0)).transpose()?;
        let Some(before) = before else { return Err(StoreError::NotFound(format!("article {}", article.0))) };
        if before.as_deref() == gloss {
            return Ok(false);
        }
        sqlx::query("UPDATE articles SET title_vi = ?, indexed = 0 WHERE id = ?").bind(gloss).bind(article.0).execute(&mut *tx).await?;
        let audit = NewAudit {
            actor_id: Some(actor.0),
            actor: actor.1,
            action: "article.gloss",
            target_kind: "article",
            target_id: article.0.to_string(),
            detail: serde_json::json!({ "title_vi": [before, gloss] }),
            reason: None,
        };
        append_audit(&mut *tx, &audit, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Open items per state, for the queue's header and /metrics.
    pub async fn queue_counts(&self, now: DateTime<Utc>) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT state, COUNT(*) FROM queue_items GROUP BY state
             UNION ALL SELECT 'overdue', COUNT(*) FROM queue_items WHERE due_at < ? AND state NOT IN ('closed', 'dismissed')",
        )
        .bind(to_unix(now))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// Which of these articles have a queue item (any state).
    pub async fn flagged_articles(&self, ids: &[ArticleId]) -> Result<std::collections::HashSet<i64>> {
        let mut out = std::collections::HashSet::new();
        for chunk in ids.chunks(500) {
            let sql = format!("SELECT DISTINCT article_id FROM queue_items WHERE article_id IN ({})", placeholders(chunk.len()));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.0);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.insert(r.try_get(0)?);
            }
        }
        Ok(out)
    }

    // ---- audit log ----

    /// Appends an entry on its own (admin changes); queue changes append inside their transaction.
    pub async fn audit(&self, e: &NewAudit<'_>, now: DateTime<Utc>) -> Result<i64> {
        let mut conn = self.pool.acquire().await?;
        append_audit(&mut *conn, e, now).await
    }

    /// Newest first.
    pub async fn audit_entries(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let mut cond = vec!["1 = 1"];
        if f.target_kind.is_some() {
            cond.push("target_kind = ?");
        }
        if f.target_id.is_some() {
            cond.push("target_id = ?");
        }
        if f.actor.is_some() {
            cond.push("actor = ?");
        }
        if f.before_id.is_some() {
            cond.push("id < ?");
        }
        let sql = format!(
            "SELECT id, at, actor_id, actor, action, target_kind, target_id, detail, reason FROM audit_log WHERE {} ORDER BY id DESC LIMIT ?",
            cond.join(" AND ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in [&f.target_kind, &f.target_id, &f.actor].into_iter().flatten() {
            q = q.bind(v.clone());
        }
        if let Some(b) = f.before_id {
            q = q.bind(b);
        }
        let limit = if f.limit <= 0 { 100 } else { f.limit };
        let rows = q.bind(limit).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let detail: String = r.try_get(7)?;
                Ok(AuditEntry {
                    id: r.try_get(0)?,
                    at: from_unix(r.try_get(1)?),
                    actor_id: r.try_get(2)?,
                    actor: r.try_get(3)?,
                    action: r.try_get(4)?,
                    target_kind: r.try_get(5)?,
                    target_id: r.try_get(6)?,
                    detail: serde_json::from_str(&detail).map_err(|e| StoreError::Corrupt(format!("audit_log.detail: {e}")))?,
                    reason: r.try_get(8)?,
                })
            })
            .collect()
    }

    /// Notes on an item, oldest first: (author, text, time).
    pub async fn queue_notes(&self, item: i64) -> Result<Vec<(Option<String>, String, DateTime<Utc>)>> {
        let rows = sqlx::query(
            "SELECT u.name, n.text, n.created_at FROM queue_notes n LEFT JOIN users u ON u.id = n.user_id WHERE n.item_id = ? ORDER BY n.id",
        )
        .bind(item)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, from_unix(r.try_get(2)?)))).collect()
    }
}
