//! `search`: the index asked from the command line, as text or JSON lines.

use crate::config::Config;
use crate::model::{Article, ArticleId};
use crate::search::searcher::{snippet, SearchRequest, Searcher};
use crate::store::Store;
use anyhow::Result;
use chrono::{DateTime, Utc};
use std::io::Write;

#[derive(serde::Serialize)]
struct JsonHit<'a> {
    id: i64,
    url: &'a str,
    title: &'a str,
    source: &'a str,
    lang: &'a str,
    published_at: Option<DateTime<Utc>>,
    topics: &'a [String],
    localities: &'a [String],
    score: f32,
    snippet: String,
    /// Why the article carries each tag: the words that matched.
    matched: serde_json::Value,
}

pub async fn search(cfg: Config, query: &str, limit: usize, offset: usize, by_date: bool, json: bool) -> Result<()> {
    let store = Store::open_existing(&cfg.storage.database_url).await?;
    let searcher = Searcher::open(&cfg.storage.index_dir)?;
    let res = searcher.search(&SearchRequest { query: query.to_string(), limit, offset, sort_by_date: by_date, facets: json })?;
    let ids: Vec<_> = res.hits.iter().map(|h| ArticleId(h.id)).collect();
    let articles = store.articles(&ids).await?;
    let text_of = |id: i64| articles.iter().find(|a| a.id.0 == id);
    let mut out = std::io::stdout().lock();
    if json {
        let hits: Vec<JsonHit> = res
            .hits
            .iter()
            .map(|h| {
                let a = text_of(h.id);
                JsonHit {
                    id: h.id,
                    url: &h.url,
                    title: &h.title,
                    source: &h.source,
                    lang: &h.lang,
                    published_at: h.published_at,
                    topics: &h.topics,
                    localities: &h.localities,
                    score: h.score,
                    snippet: a.map(|a| snippet(&a.text, res.expr.as_ref(), 240)).unwrap_or_default(),
                    matched: a.map(matched_json).unwrap_or(serde_json::Value::Null),
                }
            })
            .collect();
        let v = serde_json::json!({"total": res.total, "hits": hits, "facets": res.facets});
        writeln!(out, "{}", serde_json::to_string(&v)?)?;
    } else {
        writeln!(out, "{} results", res.total)?;
        for (i, h) in res.hits.iter().enumerate() {
            let when = h.published_at.map(|d| d.with_timezone(&crate::time::ZONE).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default();
            writeln!(out, "{:>3}. {}  [{} · {} · {}]", offset + i + 1, h.title, h.source, h.lang, when)?;
            writeln!(out, "     {}", h.url)?;
            if !h.topics.is_empty() || !h.localities.is_empty() {
                writeln!(out, "     topics: {}  localities: {}", h.topics.join(", "), h.localities.join(", "))?;
            }
            if let Some(a) = text_of(h.id) {
                writeln!(out, "     {}", snippet(&a.text, res.expr.as_ref(), 200))?;
            }
        }
    }
    store.close().await;
    Ok(())
}

pub(super) fn matched_json(a: &Article) -> serde_json::Value {
    let m = |tags: &[crate::model::Tag]| -> serde_json::Value {
        tags.iter().map(|t| (t.id.clone(), serde_json::json!(t.matched))).collect::<serde_json::Map<_, _>>().into()
    };
    serde_json::json!({"topics": m(&a.topics), "mentions": m(&a.mentions), "localities": m(&a.localities)})
}
