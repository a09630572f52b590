//! Articles: storing one, reading them back with their tags, and the marks the indexer keeps.

use super::sql::placeholders;
use super::{Result, Store, StoreError, ToStore};
use crate::model::{Article, ArticleId, NewArticle, SourceId, Tag};
use crate::time::{from_unix, to_unix};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// Result of storing an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    New(ArticleId),
    /// Already known under another URL (canonical link, redirect, same text on the same host).
    Known(ArticleId),
}

impl Store {
    /// Articles stored but not yet searchable (for /metrics).
    pub async fn count_unindexed(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM articles WHERE indexed = 0").fetch_one(&self.pool).await?.try_get(0)?)
    }

    // ---- articles ----

    /// Stores an article once: if any of `urls` (normalised) or its canonical URL is already known, or
    /// the same text was stored from the same host, the URLs are added to the existing article.
    pub async fn insert_article(&self, a: &NewArticle, urls: &[String]) -> Result<Stored> {
        self.insert_article_with(a, urls, None).await
    }

    /// `insert_article`, keeping the response that brought a new article in the same transaction.
    pub async fn insert_article_with(
        &self,
        a: &NewArticle,
        urls: &[String],
        capture: Option<&crate::model::NewCapture>,
    ) -> Result<Stored> {
        let mut stored = self.insert_articles(&[ToStore { article: a, urls, capture, job: None }]).await?;
        stored.pop().ok_or_else(|| StoreError::Corrupt("a batch of one stored nothing".into()))
    }

    pub async fn count_articles(&self) -> Result<i64> {
        let r = sqlx::query("SELECT COUNT(*) FROM articles").fetch_one(&self.pool).await?;
        Ok(r.try_get(0)?)
    }

    pub async fn unindexed_ids(&self, limit: i64) -> Result<Vec<ArticleId>> {
        let rows = sqlx::query("SELECT id FROM articles WHERE indexed = 0 ORDER BY id LIMIT ?").bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(ArticleId(r.try_get(0)?))).collect()
    }

    pub async fn mark_indexed(&self, ids: &[ArticleId]) -> Result<()> {
        let mut tx = self.write_tx().await?;
        for chunk in ids.chunks(500) {
            let sql = format!("UPDATE articles SET indexed = 1 WHERE id IN ({})", placeholders(chunk.len()));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.0);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Marks every article as missing from the index (before a rebuild or when the index was lost).
    /// Article ids above `after`, in order, at most `limit`: a walk over every article in batches.
    pub async fn article_ids_after(&self, after: i64, limit: i64) -> Result<Vec<ArticleId>> {
        let rows =
            sqlx::query("SELECT id FROM articles WHERE id > ? ORDER BY id LIMIT ?").bind(after).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(ArticleId(r.try_get(0)?))).collect()
    }

    /// Marks every article up to `last` indexed (a rebuilt index holds them all).
    pub async fn mark_indexed_through(&self, last: i64) -> Result<()> {
        sqlx::query("UPDATE articles SET indexed = 1 WHERE id <= ? AND indexed = 0").bind(last).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn mark_all_unindexed(&self) -> Result<()> {
        sqlx::query("UPDATE articles SET indexed = 0").execute(&self.pool).await?;
        Ok(())
    }

    /// Articles by id, in the order given, with their tags and the origin of their source.
    pub async fn articles(&self, ids: &[ArticleId]) -> Result<Vec<Article>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sql = format!("{} WHERE a.id IN ({})", ARTICLE_SELECT.as_str(), placeholders(chunk.len()));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.0);
            }
            let rows = q.fetch_all(&self.pool).await?;
            let mut found = self.articles_from_rows(&rows).await?;
            // keep the caller's order
            let pos: std::collections::HashMap<i64, usize> = chunk.iter().enumerate().map(|(i, id)| (id.0, i)).collect();
            found.sort_by_key(|a| pos.get(&a.id.0).copied().unwrap_or(usize::MAX));
            out.extend(found);
        }
        Ok(out)
    }

    /// One page of articles with `id > after_id`, in id order, optionally within published/fetched dates.
    pub async fn articles_page(
        &self,
        after_id: i64,
        limit: i64,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<Article>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(ARTICLE_PAGE.as_str()))
            .bind(after_id)
            .bind(since.map(to_unix).unwrap_or(i64::MIN))
            .bind(until.map(to_unix).unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        self.articles_from_rows(&rows).await
    }

    /// Builds articles from rows of `ARTICLE_SELECT`, loading all their tags in two queries.
    async fn articles_from_rows(&self, rows: &[sqlx::sqlite::SqliteRow]) -> Result<Vec<Article>> {
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(article_from_row(r)?);
        }
        let ids: Vec<i64> = out.iter().map(|a| a.id.0).collect();
        let mut topics = self.tags_of("article_topics", "topic_id", &ids).await?;
        let mut mentions = self.tags_of("article_mentions", "topic_id", &ids).await?;
        let mut places = self.tags_of("article_localities", "locality_id", &ids).await?;
        for a in &mut out {
            a.topics = topics.remove(&a.id.0).unwrap_or_default();
            a.mentions = mentions.remove(&a.id.0).unwrap_or_default();
            a.localities = places.remove(&a.id.0).unwrap_or_default();
        }
        Ok(out)
    }

    async fn tags_of(&self, table: &str, col: &str, ids: &[i64]) -> Result<std::collections::HashMap<i64, Vec<Tag>>> {
        let mut map: std::collections::HashMap<i64, Vec<Tag>> = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(map);
        }
        let evidence = if table == "article_topics" { "evidence" } else { "CAST(NULL AS TEXT)" };
        let about = if table == "article_localities" { "about" } else { "1" };
        let sql = format!(
            "SELECT article_id, {col}, matched, in_title, {evidence}, {about} FROM {table} WHERE article_id IN ({}) ORDER BY article_id, {col}",
            placeholders(ids.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&self.pool).await? {
            let matched: String = r.try_get(2)?;
            let evidence: Option<String> = r.try_get(4)?;
            map.entry(r.try_get(0)?).or_default().push(Tag {
                id: r.try_get(1)?,
                matched: serde_json::from_str(&matched).map_err(|e| StoreError::Corrupt(format!("{table}.matched: {e}")))?,
                in_title: r.try_get::<i64, _>(3)? != 0,
                evidence: evidence
                    .map(|e| serde_json::from_str(&e).map_err(|e| StoreError::Corrupt(format!("{table}.evidence: {e}"))))
                    .transpose()?,
                passing: r.try_get::<i64, _>(5)? == 0,
            });
        }
        Ok(map)
    }
}

fn article_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<Article> {
    let id: i64 = r.try_get("id")?;
    let origin: Option<String> = r.try_get("origin")?;
    Ok(Article {
        id: ArticleId(id),
        url: r.try_get("url")?,
        canonical_url: r.try_get("canonical_url")?,
        source: SourceId(r.try_get("source_id")?),
        origin: origin.as_deref().and_then(|o| o.parse().ok()),
        title: r.try_get("title")?,
        title_vi: r.try_get("title_vi")?,
        text: r.try_get("text")?,
        lang: r.try_get("lang")?,
        published_at: r.try_get::<Option<i64>, _>("published_at")?.map(from_unix),
        fetched_at: from_unix(r.try_get("fetched_at")?),
        story_id: r.try_get("story_id")?,
        topics: Vec::new(),
        mentions: Vec::new(),
        localities: Vec::new(),
    })
}

const ARTICLE_COLUMNS: &str = "a.id, a.url, a.canonical_url, a.source_id, s.origin, a.title, a.title_vi, a.text, a.lang, a.published_at, a.fetched_at,
     (SELECT st.story_id FROM article_stories st WHERE st.article_id = a.id) AS story_id";

static ARTICLE_SELECT: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("SELECT {ARTICLE_COLUMNS} FROM articles a LEFT JOIN sources s ON s.id = a.source_id"));

static ARTICLE_PAGE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {ARTICLE_COLUMNS} FROM articles a LEFT JOIN sources s ON s.id = a.source_id
         WHERE a.id > ? AND COALESCE(a.published_at, a.fetched_at) >= ? AND COALESCE(a.published_at, a.fetched_at) <= ?
         ORDER BY a.id LIMIT ?"
    )
});

