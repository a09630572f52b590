//! What the story stage reads and writes: articles still without a story, candidate earlier
//! articles sharing an LSH band, and the decisions, a batch per transaction.

use super::sql::placeholders;
use super::{Result, Store};
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

/// At most this many candidates are checked per article.
const MAX_CANDIDATES: usize = 200;
/// Candidates sharing a single band that are still checked (the most recent ones).
const CHANCE_CANDIDATES: usize = 10;

impl Store {
    pub async fn articles_without_story(&self, limit: i64) -> Result<Vec<StoryInput>> {
        let rows = sqlx::query(
            "SELECT id, title, text FROM articles WHERE id > (SELECT COALESCE(MAX(article_id), 0) FROM article_stories) ORDER BY id LIMIT ?",
        )
        .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(StoryInput { id: r.try_get(0)?, title: r.try_get(1)?, text: r.try_get(2)? })).collect()
    }

    /// For each signature's band keys, earlier articles that may be the same story: (their story,
    /// their signature). Articles sharing two or more bands are all checked; of those sharing one
    /// (mostly chance: stock phrases), only the most recent few. Two queries per hundred signatures:
    /// the band matches first (small rows), then the signatures of the chosen candidates.
    pub async fn story_candidates(&self, wanted: &[[i64; BANDS]]) -> Result<Vec<Vec<(i64, Signature)>>> {
        let mut out: Vec<Vec<(i64, Signature)>> = vec![Vec::new(); wanted.len()];
        for (chunk_no, chunk) in wanted.chunks(100).enumerate() {
            let values = vec!["(?, ?)"; chunk.len() * BANDS].join(", ");
            let sql = format!(
                "WITH q(i, key) AS (VALUES {values})
                 SELECT q.i, b.article_id, COUNT(*) FROM q JOIN story_bands b ON b.key = q.key GROUP BY q.i, b.article_id"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (i, keys) in chunk.iter().enumerate() {
                for key in keys {
                    q = q.bind((chunk_no * 100 + i) as i64).bind(key);
                }
            }
            let mut shared: std::collections::HashMap<i64, Vec<(i64, i64)>> = std::collections::HashMap::new();
            for r in q.fetch_all(&self.pool).await? {
                shared.entry(r.try_get(0)?).or_default().push((r.try_get::<i64, _>(2)?, r.try_get(1)?));
            }
            let mut chosen: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
            for (i, mut cands) in shared {
                // most shared bands first, then the most recent
                cands.sort_unstable_by(|a, b| b.cmp(a));
                let strong = cands.iter().take_while(|c| c.0 >= 2).count();
                let keep = (strong + CHANCE_CANDIDATES).min(MAX_CANDIDATES);
                chosen.insert(i, cands.into_iter().take(keep).map(|c| c.1).collect());
            }
            let mut ids: Vec<i64> = chosen.values().flatten().copied().collect();
            ids.sort_unstable();
            ids.dedup();
            let mut sigs: std::collections::HashMap<i64, (i64, Signature)> = std::collections::HashMap::new();
            for part in ids.chunks(500) {
                let sql = format!(
                    "SELECT article_id, story_id, signature FROM article_stories WHERE article_id IN ({})",
                    placeholders(part.len())
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in part {
                    q = q.bind(id);
                }
                for r in q.fetch_all(&self.pool).await? {
                    let bytes: Option<Vec<u8>> = r.try_get(2)?;
                    if let Some(sig) = bytes.as_deref().and_then(Signature::from_bytes) {
                        sigs.insert(r.try_get(0)?, (r.try_get(1)?, sig));
                    }
                }
            }
            for (i, cands) in chosen {
                out[i as usize] = cands.iter().filter_map(|c| sigs.get(c).cloned()).collect();
            }
        }
        Ok(out)
    }

    /// Writes a batch of decisions (article, its story, its signature if it has one) in one transaction.
    pub async fn save_stories(&self, decisions: &[(i64, i64, Option<Signature>)]) -> Result<()> {
        let mut tx = self.write_tx().await?;
        for (article, story, sig) in decisions {
            sqlx::query("INSERT OR REPLACE INTO article_stories (article_id, story_id, signature) VALUES (?, ?, ?)")
                .bind(article)
                .bind(story)
                .bind(sig.as_ref().map(Signature::to_bytes))
                .execute(&mut *tx)
                .await?;
            if let Some(sig) = sig {
                let bands = crate::stories::bands(sig);
                let sql = format!("INSERT OR IGNORE INTO story_bands (key, article_id) VALUES {}", vec!["(?, ?)"; BANDS].join(", "));
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for key in bands {
                    q = q.bind(key).bind(article);
                }
                q.execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Forgets every story (the bench assigns them again from scratch).
    pub async fn reset_stories(&self) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM article_stories").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM story_bands").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// How many stories there are, and the size of the largest.
    pub async fn story_counts(&self) -> Result<(i64, i64)> {
        let r = sqlx::query("SELECT COUNT(*), COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM article_stories GROUP BY story_id)")
            .fetch_one(&self.pool)
            .await?;
        Ok((r.try_get(0)?, r.try_get(1)?))
    }

    /// The articles of a story, first published first.
    pub async fn story_members(&self, story: i64) -> Result<Vec<StoryMember>> {
        let rows = sqlx::query(
            "SELECT a.id, a.title, a.url, a.source_id, a.lang, a.published_at, a.fetched_at
             FROM article_stories st JOIN articles a ON a.id = st.article_id WHERE st.story_id = ?
             ORDER BY COALESCE(a.published_at, a.fetched_at), a.id",
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
        let sql =
            format!("SELECT story_id, COUNT(*) FROM article_stories WHERE story_id IN ({}) GROUP BY story_id", placeholders(stories.len()));
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
