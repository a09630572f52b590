//! The crawler's writes, made in batches: what a feed listed (sightings and page jobs) and the
//! articles that finished together. Each batch is one transaction of a few multi-row statements:
//! with sqlx every statement is a round trip to the connection's thread, and a statement per row
//! (a dozen per article) was most of the store's cost in perf (BENCHMARKS.md, ingest).

use super::sql::{groups, placeholders, ROWS};
use crate::time::to_unix;
use super::{Result, Store, StoreError, Stored, REQUEUE_FAILED_AFTER};
use crate::model::{ArticleId, NewArticle, SourceId, Tag};
use chrono::{DateTime, Utc};
use sqlx::Row;
use std::collections::HashMap;

/// One article of a batch for `Store::insert_articles`; `job` is its page job, marked done with it.
pub struct ToStore<'a> {
    pub article: &'a NewArticle,
    pub urls: &'a [String],
    pub capture: Option<&'a crate::model::NewCapture>,
    pub job: Option<i64>,
}

/// One listed page for `Store::take_listings`.
pub struct Listed<'a> {
    pub url: &'a str,
    pub title: Option<&'a str>,
    /// The page job's payload, queued if the URL is not stored yet.
    pub payload: String,
}

impl Store {
    /// Records that `source` listed these pages now and queues a page job for each URL not stored
    /// yet (a job already queued or done is left alone; one failed long ago is queued again).
    /// Returns how many jobs were queued.
    pub async fn take_listings(&self, source: &SourceId, listed: &[Listed<'_>], now: DateTime<Utc>) -> Result<usize> {
        let mut tx = self.write_tx().await?;
        let now_s = to_unix(now);
        for chunk in listed.chunks(ROWS) {
            let sql = format!(
                "INSERT INTO sightings (url, source_id, title, first_seen_at, last_seen_at) VALUES {}
                 ON CONFLICT(url, source_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
                groups(chunk.len(), 5)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for l in chunk {
                q = q.bind(l.url).bind(&source.0).bind(l.title).bind(now_s).bind(now_s);
            }
            q.execute(&mut *tx).await?;
        }
        let urls: Vec<&str> = listed.iter().map(|l| l.url).collect();
        let stored = known_urls(&mut tx, &urls).await?;
        let new: Vec<&Listed> = listed.iter().filter(|l| !stored.contains_key(l.url)).collect();
        let mut queued = 0;
        for chunk in new.chunks(ROWS) {
            let sql = format!(
                "INSERT INTO jobs (kind, key, payload, state, run_at, updated_at) VALUES {}
                 ON CONFLICT(kind, key) DO UPDATE SET state = 'queued', attempts = 0, run_at = excluded.run_at,
                   payload = excluded.payload, updated_at = excluded.updated_at
                 WHERE jobs.state = 'failed' AND jobs.updated_at < excluded.updated_at - ?",
                vec!["('page', ?, ?, 'queued', ?, ?)"; chunk.len()].join(",")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for l in chunk {
                q = q.bind(l.url).bind(&l.payload).bind(now_s).bind(now_s);
            }
            queued += q.bind(REQUEUE_FAILED_AFTER).execute(&mut *tx).await?.rows_affected() as usize;
        }
        tx.commit().await?;
        Ok(queued)
    }

    /// Stores articles in one transaction, each as `insert_article_with` does and in order (a later
    /// one sees the earlier ones): an article already known by any of its URLs or its canonical URL,
    /// or by the same text on the same site, is not stored again, its URLs are added to it. Each
    /// one's page job is marked done in the same transaction.
    pub async fn insert_articles(&self, batch: &[ToStore<'_>]) -> Result<Vec<Stored>> {
        let mut tx = self.write_tx().await?;
        let all_urls: Vec<&str> =
            batch.iter().flat_map(|b| b.urls.iter().map(String::as_str).chain(std::iter::once(b.article.canonical_url.as_str()))).collect();
        let mut known = known_urls(&mut tx, &all_urls).await?;
        let long_enough = |a: &NewArticle| a.text.chars().count() >= 200;
        let hashes: Vec<&str> = batch.iter().map(|b| b.article).filter(|a| long_enough(a)).map(|a| a.content_hash.as_str()).collect();
        let mut same_text = by_content_hash(&mut tx, &hashes).await?;
        // AUTOINCREMENT never reuses an id: continue after the highest ever given
        let r = sqlx::query(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'articles'), 0),
                        COALESCE((SELECT MAX(id) FROM articles), 0))",
        )
        .fetch_one(&mut *tx)
        .await?;
        let mut next_id: i64 = r.try_get::<i64, _>(0)? + 1;

        let mut out = Vec::with_capacity(batch.len());
        let mut new: Vec<(i64, &ToStore)> = Vec::new();
        let mut url_rows: Vec<(&str, i64)> = Vec::new();
        for b in batch {
            let a = b.article;
            let urls = || b.urls.iter().map(String::as_str).chain(std::iter::once(a.canonical_url.as_str()));
            let site = crate::urlnorm::site(&a.canonical_url);
            let mut existing = urls().find_map(|u| known.get(u).copied());
            if existing.is_none() && long_enough(a) {
                existing = same_text.get(a.content_hash.as_str()).and_then(|v| v.iter().find(|(_, s)| *s == site).map(|(id, _)| *id));
            }
            let id = match existing {
                Some(id) => {
                    out.push(Stored::Known(ArticleId(id)));
                    id
                }
                None => {
                    let id = next_id;
                    next_id += 1;
                    new.push((id, b));
                    same_text.entry(a.content_hash.clone()).or_default().push((id, site));
                    out.push(Stored::New(ArticleId(id)));
                    id
                }
            };
            for u in urls() {
                // the first article to claim a URL keeps it
                if !known.contains_key(u) {
                    known.insert(u.to_string(), id);
                    url_rows.push((u, id));
                }
            }
        }

        for chunk in new.chunks(ROWS) {
            let sql = format!(
                "INSERT INTO articles (id, url, canonical_url, source_id, title, text, lang, published_at, fetched_at, content_hash) VALUES {}",
                groups(chunk.len(), 10)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, b) in chunk {
                let a = b.article;
                q = q
                    .bind(id)
                    .bind(&a.url)
                    .bind(&a.canonical_url)
                    .bind(&a.source_id.0)
                    .bind(&a.title)
                    .bind(&a.text)
                    .bind(&a.lang)
                    .bind(a.published_at.map(to_unix))
                    .bind(to_unix(a.fetched_at))
                    .bind(&a.content_hash);
            }
            q.execute(&mut *tx).await?;
        }
        let analyses: Vec<(i64, &crate::model::Analysis)> = new.iter().map(|(id, b)| (*id, &b.article.analysis)).collect();
        write_analyses(&mut tx, &analyses).await?;
        let captures: Vec<(i64, &crate::model::NewCapture)> = new.iter().filter_map(|(id, b)| b.capture.map(|c| (*id, c))).collect();
        super::evidence::insert_captures(&mut tx, &captures).await?;
        for chunk in url_rows.chunks(ROWS) {
            let sql = format!("INSERT INTO article_urls (url, article_id) VALUES {} ON CONFLICT(url) DO NOTHING", groups(chunk.len(), 2));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (u, id) in chunk {
                q = q.bind(*u).bind(id);
            }
            q.execute(&mut *tx).await?;
        }
        let jobs: Vec<i64> = batch.iter().filter_map(|b| b.job).collect();
        let now = to_unix(Utc::now());
        for chunk in jobs.chunks(ROWS) {
            let sql =
                format!("UPDATE jobs SET state = 'done', last_error = NULL, updated_at = ? WHERE id IN ({})", placeholders(chunk.len()));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
            for id in chunk {
                q = q.bind(id);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(out)
    }
}

/// The stored article of each of `urls` that is known.
async fn known_urls(tx: &mut sqlx::SqliteConnection, urls: &[&str]) -> Result<HashMap<String, i64>> {
    let mut known = HashMap::new();
    for chunk in urls.chunks(ROWS * 5) {
        let sql = format!("SELECT url, article_id FROM article_urls WHERE url IN ({})", placeholders(chunk.len()));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for u in chunk {
            q = q.bind(*u);
        }
        for r in q.fetch_all(&mut *tx).await? {
            known.insert(r.try_get(0)?, r.try_get(1)?);
        }
    }
    Ok(known)
}

/// Stored articles with any of these content hashes, as `(id, site)` in id order per hash.
async fn by_content_hash(tx: &mut sqlx::SqliteConnection, hashes: &[&str]) -> Result<HashMap<String, Vec<(i64, Option<String>)>>> {
    let mut found: HashMap<String, Vec<(i64, Option<String>)>> = HashMap::new();
    for chunk in hashes.chunks(ROWS * 5) {
        let sql = format!(
            "SELECT id, canonical_url, content_hash FROM articles WHERE content_hash IN ({}) ORDER BY id",
            placeholders(chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for h in chunk {
            q = q.bind(*h);
        }
        for r in q.fetch_all(&mut *tx).await? {
            let canonical: String = r.try_get(1)?;
            found.entry(r.try_get(2)?).or_default().push((r.try_get(0)?, crate::urlnorm::site(&canonical)));
        }
    }
    Ok(found)
}

fn json<T: serde::Serialize + ?Sized>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Writes each article's three kinds of tag: the topics it is about, those it mentions, its places.
async fn write_analyses(tx: &mut sqlx::SqliteConnection, analyses: &[(i64, &crate::model::Analysis)]) -> Result<()> {
    type Of = fn(&crate::model::Analysis) -> &[Tag];
    let kinds: [(&str, &str, Of); 3] = [
        ("article_topics", "topic_id", |a| &a.topics),
        ("article_mentions", "topic_id", |a| &a.mentions),
        ("article_localities", "locality_id", |a| &a.localities),
    ];
    for (table, col, of) in kinds {
        let tags: Vec<(i64, &Tag)> = analyses.iter().flat_map(|(id, a)| of(a).iter().map(move |t| (*id, t))).collect();
        write_tags(tx, table, col, &tags).await?;
    }
    Ok(())
}

/// Writes tags to `article_topics` (with their evidence), `article_mentions` or `article_localities`.
async fn write_tags(tx: &mut sqlx::SqliteConnection, table: &str, col: &str, tags: &[(i64, &Tag)]) -> Result<()> {
    let (with_evidence, with_about) = (table == "article_topics", table == "article_localities");
    for chunk in tags.chunks(ROWS) {
        let sql = if with_evidence {
            format!("INSERT INTO {table} (article_id, {col}, matched, in_title, evidence) VALUES {}", groups(chunk.len(), 5))
        } else if with_about {
            format!("INSERT INTO {table} (article_id, {col}, matched, in_title, about) VALUES {}", groups(chunk.len(), 5))
        } else {
            format!("INSERT INTO {table} (article_id, {col}, matched, in_title) VALUES {}", groups(chunk.len(), 4))
        };
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, t) in chunk {
            q = q.bind(id).bind(&t.id).bind(json(&t.matched)?).bind(t.in_title as i64);
            if with_evidence {
                q = q.bind(t.evidence.as_ref().map(json).transpose()?);
            }
            if with_about {
                q = q.bind(!t.passing as i64);
            }
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

impl Store {
    /// Replaces the topic and locality tags of articles re-analysed by `retag`, in one transaction,
    /// and marks them for indexing again (their facets and `topic:` change with the tags).
    pub async fn replace_tags(&self, tagged: &[(ArticleId, &crate::model::Analysis)]) -> Result<()> {
        if tagged.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        for chunk in tagged.chunks(500) {
            for head in [
                "DELETE FROM article_topics WHERE article_id",
                "DELETE FROM article_mentions WHERE article_id",
                "DELETE FROM article_localities WHERE article_id",
                "UPDATE articles SET indexed = 0 WHERE id",
            ] {
                let sql = format!("{head} IN ({})", placeholders(chunk.len()));
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, _) in chunk {
                    q = q.bind(id.0);
                }
                q.execute(&mut *tx).await?;
            }
            let analyses: Vec<(i64, &crate::model::Analysis)> = chunk.iter().map(|(id, a)| (id.0, *a)).collect();
            write_analyses(&mut tx, &analyses).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
