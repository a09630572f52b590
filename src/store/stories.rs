//! What the story stage reads and writes: articles still without a story, candidate earlier
//! articles sharing an LSH band, and the decisions, a batch per transaction.

use super::{placeholders, Result, Store};
use crate::stories::{Signature, BANDS};
use crate::time::from_unix;
use chrono::{DateTime, Utc};
use sqlx::Row;

/// An article waiting for its story.
#[derive(Debug, Clone)]
pub struct StoryInput {
    pub id: i64,
    pub title: String,
    pub text: String,
}

/// One article of a story, as the story view lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoryMember {
    pub id: i64,
    pub title: String,
    pub url: String,
    pub source_id: String,
    pub lang: String,
    pub published_at: Option<DateTime<Utc>>,
    pub fetched_at: DateTime<Utc>,
}

/// Candidates sharing one band are capped: a band shared by hundreds of articles is boilerplate.
const MAX_CANDIDATES: i64 = 200;

impl Store {
    pub async fn articles_without_story(&self, limit: i64) -> Result<Vec<StoryInput>> {
        let rows = sqlx::query("SELECT id, title, text FROM articles WHERE story_id IS NULL ORDER BY id LIMIT ?")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(StoryInput { id: r.try_get(0)?, title: r.try_get(1)?, text: r.try_get(2)? })).collect()
    }

    /// Earlier articles sharing at least one band with this signature: (their story, their signature).
    pub async fn story_candidates(&self, bands: &[(i64, i64); BANDS]) -> Result<Vec<(i64, Signature)>> {
        let cond = vec!["(b.band = ? AND b.hash = ?)"; BANDS].join(" OR ");
        let sql = format!(
            "SELECT DISTINCT s.story_id, s.signature FROM story_bands b JOIN story_signatures s ON s.article_id = b.article_id
             WHERE {cond} LIMIT {MAX_CANDIDATES}"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (band, hash) in bands {
            q = q.bind(band).bind(hash);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let bytes: Vec<u8> = r.try_get(1)?;
            if let Some(sig) = Signature::from_bytes(&bytes) {
                out.push((r.try_get(0)?, sig));
            }
        }
        Ok(out)
    }

    /// Writes a batch of decisions (article, its story, its signature if it has one) in one transaction.
    pub async fn save_stories(&self, decisions: &[(i64, i64, Option<Signature>)]) -> Result<()> {
        let mut tx = self.write_tx().await?;
        for (article, story, sig) in decisions {
            sqlx::query("UPDATE articles SET story_id = ? WHERE id = ?").bind(story).bind(article).execute(&mut *tx).await?;
            if let Some(sig) = sig {
                sqlx::query("INSERT OR REPLACE INTO story_signatures (article_id, story_id, signature) VALUES (?, ?, ?)")
                    .bind(article)
                    .bind(story)
                    .bind(sig.to_bytes())
                    .execute(&mut *tx)
                    .await?;
                let bands = crate::stories::bands(sig);
                let sql = format!("INSERT INTO story_bands (band, hash, article_id) VALUES {}", vec!["(?, ?, ?)"; BANDS].join(", "));
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (band, hash) in bands {
                    q = q.bind(band).bind(hash).bind(article);
                }
                q.execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The articles of a story, first published first.
    pub async fn story_members(&self, story: i64) -> Result<Vec<StoryMember>> {
        let rows = sqlx::query(
            "SELECT id, title, url, source_id, lang, published_at, fetched_at FROM articles WHERE story_id = ?
             ORDER BY COALESCE(published_at, fetched_at), id",
        )
        .bind(story)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoryMember {
                    id: r.try_get(0)?,
                    title: r.try_get(1)?,
                    url: r.try_get(2)?,
                    source_id: r.try_get(3)?,
                    lang: r.try_get(4)?,
                    published_at: r.try_get::<Option<i64>, _>(5)?.map(from_unix),
                    fetched_at: from_unix(r.try_get(6)?),
                })
            })
            .collect()
    }

    /// How many articles each of these articles' stories holds (for lists and the article view).
    pub async fn story_sizes(&self, stories: &[i64]) -> Result<std::collections::HashMap<i64, i64>> {
        let mut out = std::collections::HashMap::new();
        if stories.is_empty() {
            return Ok(out);
        }
        let sql = format!("SELECT story_id, COUNT(*) FROM articles WHERE story_id IN ({}) GROUP BY story_id", placeholders(stories.len()));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for s in stories {
            q = q.bind(s);
        }
        for r in q.fetch_all(&self.pool).await? {
            out.insert(r.try_get(0)?, r.try_get(1)?);
        }
        Ok(out)
    }
}
