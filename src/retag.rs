//! Re-analysis of stored articles with the current taxonomy and localities (`presswatch retag`,
//! and the admin's "re-tag" button in `serve`): after an office edits `topics.toml` or
//! `localities.toml`, or after an upgrade that stores more per tag (mentions, evidence).
//!
//! A batch at a time: an article whose tags change gets its new tags in one transaction per batch
//! and is marked for indexing again. A run stopped midway keeps what it did, and a second run finds
//! those articles unchanged. Queue items are not touched: their history says which tag opened them.

use crate::analyze::{Analyzer, Context};
use crate::config::Config;
use crate::model::{Analysis, Article, ArticleId, Tag};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Articles read, analysed and written per transaction.
pub const BATCH: i64 = 500;

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Retagged {
    pub examined: u64,
    pub changed: u64,
}

/// A run's progress, shared with whoever watches it (a progress bar, the admin page).
#[derive(Default)]
pub struct Progress {
    running: AtomicBool,
    total: AtomicU64,
    done: AtomicU64,
    examined: AtomicU64,
    changed: AtomicU64,
    last: Mutex<Option<Finished>>,
}

/// How the last run in this process ended.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finished {
    pub at: DateTime<Utc>,
    pub examined: u64,
    pub changed: u64,
    pub error: Option<String>,
}

/// A snapshot of `Progress`, for display.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    pub running: bool,
    pub total: u64,
    pub done: u64,
    pub examined: u64,
    pub changed: u64,
    pub last: Option<Finished>,
}

impl Progress {
    /// Claims the run: false when one is already going (two would only do the work twice).
    pub fn start(&self) -> bool {
        if self.running.swap(true, Ordering::SeqCst) {
            return false;
        }
        for n in [&self.total, &self.done, &self.examined, &self.changed] {
            n.store(0, Ordering::SeqCst);
        }
        true
    }

    /// Ends the run claimed by `start`, keeping its outcome.
    pub fn finish(&self, outcome: &Result<Retagged, StoreError>) {
        let (examined, changed, error) = match outcome {
            Ok(r) => (r.examined, r.changed, None),
            Err(e) => (self.examined.load(Ordering::SeqCst), self.changed.load(Ordering::SeqCst), Some(e.to_string())),
        };
        if let Ok(mut last) = self.last.lock() {
            *last = Some(Finished { at: Utc::now(), examined, changed, error });
        }
        self.running.store(false, Ordering::SeqCst);
    }

    pub fn status(&self) -> Status {
        Status {
            running: self.running.load(Ordering::SeqCst),
            total: self.total.load(Ordering::SeqCst),
            done: self.done.load(Ordering::SeqCst),
            examined: self.examined.load(Ordering::SeqCst),
            changed: self.changed.load(Ordering::SeqCst),
            last: self.last.lock().ok().and_then(|l| l.clone()),
        }
    }
}

/// Re-analyses the articles published (or fetched) since `since`, all of them without it, and
/// stores the tags that changed (evidence counts: tags stored before it was kept are filled in).
/// The caller indexes afterwards (`Indexer::catch_up`), or wakes the indexer that owns the index.
pub async fn run(store: &Store, cfg: &Config, since: Option<DateTime<Utc>>, progress: &Progress) -> Result<Retagged, StoreError> {
    let analyzer = Arc::new(Analyzer::new(&cfg.topics, &cfg.localities));
    let sources: Arc<Vec<(String, Option<String>)>> = Arc::new(cfg.sources.iter().map(|s| (s.id.0.clone(), s.lang.clone())).collect());
    progress.total.store(store.count_articles().await?.max(0) as u64, Ordering::SeqCst);
    let (mut last, mut out) = (0i64, Retagged::default());
    loop {
        let ids = store.article_ids_after(last, BATCH).await?;
        let Some(end) = ids.last() else { break };
        last = end.0;
        let articles = store.articles(&ids).await?;
        let (analyzer, sources) = (analyzer.clone(), sources.clone());
        // analysis is CPU work: off the async workers, so `serve` keeps answering while it runs
        let (examined, fresh) = tokio::task::spawn_blocking(move || changed_tags(&analyzer, &sources, &articles, since))
            .await
            .map_err(|e| StoreError::Corrupt(format!("re-tagging a batch failed: {e}")))?;
        let refs: Vec<(ArticleId, &Analysis)> = fresh.iter().map(|(id, a)| (id.clone(), a)).collect();
        store.replace_tags(&refs).await?;
        out.examined += examined;
        out.changed += fresh.len() as u64;
        progress.done.fetch_add(ids.len() as u64, Ordering::SeqCst);
        progress.examined.store(out.examined, Ordering::SeqCst);
        progress.changed.store(out.changed, Ordering::SeqCst);
    }
    Ok(out)
}

/// The articles of one batch (within `since`) whose analysis differs from their stored tags.
fn changed_tags(
    analyzer: &Analyzer,
    sources: &[(String, Option<String>)],
    articles: &[Article],
    since: Option<DateTime<Utc>>,
) -> (u64, Vec<(ArticleId, Analysis)>) {
    let mut examined = 0;
    let mut fresh = Vec::new();
    for a in articles.iter().filter(|a| since.is_none_or(|s| a.published_at.unwrap_or(a.fetched_at) >= s)) {
        examined += 1;
        let ctx = Context {
            page_lang: Some(&a.lang),
            source_lang: sources.iter().find(|s| s.0 == a.source.0).and_then(|s| s.1.as_deref()),
            source: &a.source.0,
            origin: a.origin.map(|o| o.as_str()).unwrap_or("domestic"),
        };
        let analysis = analyzer.analyze(&a.title, &a.text, &ctx);
        if !(same(&a.topics, &analysis.topics) && same(&a.mentions, &analysis.mentions) && same(&a.localities, &analysis.localities)) {
            fresh.push((a.id.clone(), analysis));
        }
    }
    (examined, fresh)
}

fn same(old: &[Tag], new: &[Tag]) -> bool {
    let sorted = |v: &[Tag]| {
        let mut v = v.to_vec();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    };
    sorted(old) == sorted(new)
}
