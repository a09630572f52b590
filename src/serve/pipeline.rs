//! What happens to an article after it is stored, as named steps in order: its story is found
//! (`assign_stories`; marker: an `article_stories` row), it is indexed (`Indexer::catch_up`; marker:
//! `articles.indexed`), then rules and alerts look at it (`watch::run`; marker: the watch cursor).
//! `PostStore` runs the three as one turn in the task that owns the index writer.

use crate::stories::{bands, signature, similarity, Signature, BANDS, SAME_STORY};
use crate::config::Config;
use crate::search::indexer::Indexer;
use crate::store::{Store, StoreError};
use chrono::Utc;
use std::sync::Arc;
use tokio::sync::Notify;

/// The steps after storing, with what they need: run `turn` whenever articles were stored.
pub struct PostStore {
    store: Store,
    cfg: Arc<Config>,
    indexer: Indexer,
    /// Woken when rules or alerts produced something to deliver.
    alerts: Arc<Notify>,
}

impl PostStore {
    pub fn new(store: Store, cfg: Arc<Config>, indexer: Indexer, alerts: Arc<Notify>) -> PostStore {
        PostStore { store, cfg, indexer, alerts }
    }

    /// One turn of every step, each on what is new for it.
    pub async fn turn(&mut self) {
        // stories first: an article's story is in the database before anyone searches for it
        match assign_stories(&self.store, crate::stories::BATCH).await {
            Ok(n) if n > 0 => tracing::info!(articles = n, "stories assigned"),
            Ok(_) => {}
            Err(e) => tracing::error!("story assignment failed: {e}"),
        }
        match self.indexer.catch_up().await {
            Ok(n) if n > 0 => tracing::info!(articles = n, "indexed"),
            Ok(_) => {}
            Err(e) => tracing::error!("indexing failed: {e}"),
        }
        // rules and alerts see articles once their story is known; digests and quiet hours are
        // re-examined on every turn (at least every 30 s)
        match crate::watch::run(&self.store, &self.cfg, Utc::now()).await {
            Ok(w) if w.items_opened + w.alert_events > 0 => {
                tracing::info!(items = w.items_opened, alerts = w.alert_events, "rules and alerts fired");
                self.alerts.notify_one();
            }
            Ok(w) if w.dispatched > 0 => self.alerts.notify_one(),
            Ok(_) => {}
            Err(e) => tracing::error!("rules and alerts failed: {e}"),
        }
    }

    /// At shutdown: what was stored last is indexed before the writer closes.
    pub async fn finish(&mut self) {
        if let Err(e) = self.indexer.catch_up().await {
            tracing::error!("indexing at shutdown failed: {e}");
        }
    }
}

/// Gives every article that has none a story: joins the story of its most similar earlier article,
/// or starts one (whose id is the article's). Returns how many articles were assigned. Runs in id
/// order, so a story's id names the first of its articles stored; a batch commits together.
pub async fn assign_stories(store: &Store, batch: i64) -> Result<usize, StoreError> {
    let mut done = 0;
    loop {
        match assign_stories_once(store, batch).await? {
            0 => return Ok(done),
            n => done += n,
        }
    }
}

/// One batch of `assign_stories`: at most `batch` articles, one transaction.
pub async fn assign_stories_once(store: &Store, batch: i64) -> Result<usize, StoreError> {
    {
        let pending = store.articles_without_story(batch).await?;
        if pending.is_empty() {
            return Ok(0);
        }
        let sigs: Vec<Option<Signature>> = pending.iter().map(|a| signature(&a.title, &a.text)).collect();
        let wanted: Vec<[i64; BANDS]> = sigs.iter().flatten().map(bands).collect();
        let mut found = store.story_candidates(&wanted).await?.into_iter();
        // (article, story, signature); a new story takes its first article's id
        let mut decided: Vec<(i64, i64, Option<Signature>)> = Vec::with_capacity(pending.len());
        for (a, sig) in pending.iter().zip(sigs) {
            let mut best: Option<(f64, i64)> = None;
            if let Some(sig) = &sig {
                let stored = found.next().unwrap_or_default();
                // articles decided earlier in this batch are not in the store yet
                let this_batch = decided.iter().filter_map(|(_, story, s)| Some((*story, s.clone()?)));
                for (story, other) in stored.into_iter().chain(this_batch) {
                    let s = similarity(sig, &other);
                    if s >= SAME_STORY && best.is_none_or(|(b, _)| s > b) {
                        best = Some((s, story));
                    }
                }
            }
            decided.push((a.id, best.map_or(a.id, |b| b.1), sig));
        }
        store.save_stories(&decided).await?;
        Ok(pending.len())
    }
}

