//! Crawling: schedule → fetch → discover → fetch page → extract → analyze → store.
//!
//! A pass fetches every due source's listing (feed, sitemap, or a page announcing a feed), records a
//! sighting for each listed URL and queues unknown URLs as durable `page` jobs; then it works the
//! page jobs (see `page`). Each source's failures are classified, counted and retried with backoff;
//! a failing source never stops the pass, and per-host turns in `fetch` keep slow hosts to themselves.

pub mod discover;
pub mod fetch;
pub mod page;
pub mod recheck;

use crate::analyze::Analyzer;
use crate::config::{Config, Source};
use crate::model::{FailureClass, Listing, SourceId};
use crate::store::{Listed, Store, StoreError};
use chrono::{DateTime, Utc};
use discover::{discover, Discovered};
use fetch::{Fetch, FetchError, Fetcher, Validators};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use url::Url;

/// Most child sitemaps followed from one sitemap index per pass.
const MAX_CHILD_SITEMAPS: usize = 20;
const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone)]
pub struct Crawler {
    pub(crate) cfg: Arc<Config>,
    pub(crate) store: Store,
    pub(crate) fetcher: Arc<Fetcher>,
    pub(crate) analyzer: Arc<Analyzer>,
    /// Woken when articles were stored, so the indexer picks them up.
    pub(crate) stored: Arc<Notify>,
    /// Whether this process has recorded a first crawl (`Store::note_crawl_started`) already.
    noted_start: Arc<std::sync::atomic::AtomicBool>,
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct PassSummary {
    pub sources: usize,
    pub sources_changed: usize,
    pub sources_unchanged: usize,
    pub sources_failed: usize,
    pub listed: usize,
    pub queued: usize,
    pub pages_fetched: usize,
    pub articles_new: usize,
    pub articles_known: usize,
    pub pages_failed: usize,
    pub pages_retry_later: usize,
    pub failures: BTreeMap<String, usize>,
}

impl PassSummary {
    fn stored(&mut self, s: crate::store::Stored) {
        self.pages_fetched += 1;
        match s {
            crate::store::Stored::New(_) => self.articles_new += 1,
            crate::store::Stored::Known(_) => self.articles_known += 1,
        }
    }

    fn fail(&mut self, class: FailureClass) {
        *self.failures.entry(class.as_str().to_string()).or_default() += 1;
    }
}

/// Outcome of one source's listing fetch.
enum FeedOutcome {
    Changed { listed: usize, queued: usize },
    Unchanged,
    Failed(FailureClass),
}

impl Crawler {
    pub fn new(cfg: Arc<Config>, store: Store, stored: Arc<Notify>) -> Result<Crawler, String> {
        let source_urls: Vec<Url> = cfg.sources.iter().map(|s| s.url.clone()).collect();
        let fetcher = Arc::new(Fetcher::new(&cfg.crawl, &source_urls)?);
        let analyzer = Arc::new(Analyzer::new(&cfg.topics, &cfg.localities));
        Ok(Crawler { cfg, store, fetcher, analyzer, stored, noted_start: Arc::default() })
    }

    /// One pass: the due sources (or all enabled ones), then every page job that is due.
    pub async fn pass(&self, all_sources: bool, shutdown: &watch::Receiver<bool>, progress: &Progress) -> Result<PassSummary, StoreError> {
        let now = Utc::now();
        if !self.noted_start.load(std::sync::atomic::Ordering::Relaxed) {
            self.store.note_crawl_started(now).await?;
            self.noted_start.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let due: Vec<SourceId> = if all_sources {
            self.cfg.sources.iter().filter(|s| s.enabled).map(|s| s.id.clone()).collect()
        } else {
            self.store.due_sources(now).await?
        };
        let mut summary = PassSummary { sources: due.len(), ..Default::default() };
        progress.start("feeds", due.len() as u64);
        let mut set = tokio::task::JoinSet::new();
        for id in due {
            let Some(source) = self.cfg.source(&id).cloned() else { continue };
            let me = self.clone();
            set.spawn(async move { me.fetch_source(&source).await });
        }
        let mut sd = shutdown.clone();
        while let Some(r) = next_or_shutdown(&mut set, &mut sd).await {
            progress.inc();
            match r {
                Ok(Ok(FeedOutcome::Changed { listed, queued })) => {
                    summary.sources_changed += 1;
                    summary.listed += listed;
                    summary.queued += queued;
                }
                Ok(Ok(FeedOutcome::Unchanged)) => summary.sources_unchanged += 1,
                Ok(Ok(FeedOutcome::Failed(class))) => {
                    summary.sources_failed += 1;
                    summary.fail(class);
                }
                Ok(Err(e)) => return Err(e),
                Err(e) => tracing::error!("feed task failed: {e}"),
            }
        }
        progress.finish();
        if *shutdown.borrow() {
            return Ok(summary);
        }
        self.pages(&mut summary, shutdown, progress).await?;
        Ok(summary)
    }

    async fn fetch_source(&self, source: &Source) -> Result<FeedOutcome, StoreError> {
        let now = Utc::now();
        let state = self.store.feed_state(&source.id).await?;
        let base = source.interval.unwrap_or(self.cfg.crawl.interval).as_secs() as i64;
        let validators = Validators { etag: state.etag.clone(), last_modified: state.last_modified.clone() };
        let grown = ((state.interval_secs.max(base) as f64) * 1.5) as i64;
        let slower = grown.min(self.cfg.crawl.max_interval.as_secs() as i64).max(base);
        let mut result = self.fetcher.get(&source.url, &validators).await;
        if let Err(e) = &result {
            let wait = e.retry_after.unwrap_or(Duration::from_secs(2));
            if worth_quick_retry(e.class) && wait <= Duration::from_secs(10) {
                tokio::time::sleep(wait).await;
                result = self.fetcher.get(&source.url, &validators).await;
            }
        }
        let fetched = match result {
            Ok(Fetch::NotModified) => {
                self.store.record_feed_success(&source.id, now, None, None, None, false, slower, 0).await?;
                return Ok(FeedOutcome::Unchanged);
            }
            Ok(Fetch::Ok(f)) => *f,
            Err(e) => return self.feed_failed(source, &state, e.class, &e.to_string(), e.retry_after).await,
        };
        let hash = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&fetched.body));
        if state.body_hash.as_deref() == Some(hash.as_str()) {
            self.store
                .record_feed_success(&source.id, now, fetched.etag.as_deref(), fetched.last_modified.as_deref(), None, false, slower, 0)
                .await?;
            return Ok(FeedOutcome::Unchanged);
        }
        let listings = match self.listings(&fetched).await {
            Ok(l) => l,
            Err((class, msg)) => return self.feed_failed(source, &state, class, &msg, None).await,
        };
        let (listed, queued) = self.take_listings(source, listings).await?;
        let interval = if queued > 0 { base } else { slower };
        self.store
            .record_feed_success(
                &source.id,
                now,
                fetched.etag.as_deref(),
                fetched.last_modified.as_deref(),
                Some(&hash),
                queued > 0,
                interval,
                listed as i64,
            )
            .await?;
        Ok(FeedOutcome::Changed { listed, queued })
    }

    async fn feed_failed(
        &self,
        source: &Source,
        state: &crate::store::FeedState,
        class: FailureClass,
        message: &str,
        retry_after: Option<Duration>,
    ) -> Result<FeedOutcome, StoreError> {
        let now = Utc::now();
        let base = source.interval.unwrap_or(self.cfg.crawl.interval);
        // exponential backoff that never gives up: a source that recovers is picked up again
        let factor = 2u32.saturating_pow(state.consecutive_failures.clamp(0, 16) as u32);
        let backoff = base.saturating_mul(factor).min(MAX_BACKOFF);
        let wait = retry_after.map(|r| r.max(base)).unwrap_or(backoff);
        let retry_at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
        tracing::warn!(source = %source.id, class = class.as_str(), "{message}");
        self.store.record_feed_failure(&source.id, now, class, message, retry_at).await?;
        Ok(FeedOutcome::Failed(class))
    }

    /// Discovers listings in a fetched body, following a sitemap index or an HTML feed link one level.
    async fn listings(&self, fetched: &fetch::Fetched) -> Result<Vec<Listing>, (FailureClass, String)> {
        let max = self.cfg.crawl.max_body_bytes * 4;
        let discovered = discover(&fetched.body, fetched.content_type.as_deref(), &fetched.final_url, max)
            .map_err(|e| (discover_class(&e), format!("{}: {e}", fetched.final_url)))?;
        match discovered {
            Discovered::Listings(l) => Ok(l),
            Discovered::FeedLink(link) => {
                let f = self.fetch_plain(&link).await?;
                match discover(&f.body, f.content_type.as_deref(), &f.final_url, max) {
                    Ok(Discovered::Listings(l)) => Ok(l),
                    Ok(_) => Err((FailureClass::NotAFeed, format!("{link}: the announced feed is not a feed"))),
                    Err(e) => Err((discover_class(&e), format!("{link}: {e}"))),
                }
            }
            Discovered::Sitemaps(children) => {
                let mut all = Vec::new();
                let mut last_err = None;
                for child in children.iter().take(MAX_CHILD_SITEMAPS) {
                    match self.fetch_plain(child).await {
                        Ok(f) => match discover(&f.body, f.content_type.as_deref(), &f.final_url, max) {
                            Ok(Discovered::Listings(l)) => all.extend(l),
                            Ok(_) => {}
                            Err(e) => last_err = Some((discover_class(&e), format!("{child}: {e}"))),
                        },
                        Err(e) => last_err = Some(e),
                    }
                }
                match (all.is_empty(), last_err) {
                    (true, Some(e)) => Err(e),
                    _ => Ok(all),
                }
            }
        }
    }

    async fn fetch_plain(&self, url: &str) -> Result<fetch::Fetched, (FailureClass, String)> {
        let u = Url::parse(url).map_err(|e| (FailureClass::Malformed, format!("{url}: {e}")))?;
        match self.fetcher.get(&u, &Validators::default()).await {
            Ok(Fetch::Ok(f)) => Ok(*f),
            Ok(Fetch::NotModified) => Err((FailureClass::Other, format!("{url}: unexpected 304"))),
            Err(FetchError { class, url, message, .. }) => Err((class, format!("{url}: {message}"))),
        }
    }

    /// Records sightings and queues the URLs not stored yet; returns (listed, queued).
    async fn take_listings(&self, source: &Source, mut listings: Vec<Listing>) -> Result<(usize, usize), StoreError> {
        let now = Utc::now();
        listings.sort_by_key(|l| std::cmp::Reverse(l.published_at));
        listings.dedup_by(|a, b| a.url == b.url);
        listings.truncate(self.cfg.crawl.max_articles_per_feed);
        let listed = listings
            .iter()
            .map(|l| {
                let payload = serde_json::to_string(&page::PagePayload::from_listing(&source.id, l))
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(Listed { url: &l.url, title: l.title.as_deref(), payload })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let queued = self.store.take_listings(&source.id, &listed, now).await?;
        Ok((listings.len(), queued))
    }
}

/// The next finished task, or None when all are done or shutdown was asked for (then the rest are
/// aborted: a fetch in flight must not hold up a clean stop).
pub(crate) async fn next_or_shutdown<T: 'static>(
    set: &mut tokio::task::JoinSet<T>,
    shutdown: &mut watch::Receiver<bool>,
) -> Option<Result<T, tokio::task::JoinError>> {
    if *shutdown.borrow() {
        set.abort_all();
        return None;
    }
    tokio::select! {
        r = set.join_next() => r,
        _ = shutdown.changed() => {
            set.abort_all();
            None
        }
    }
}

fn discover_class(e: &discover::DiscoverError) -> FailureClass {
    match e {
        discover::DiscoverError::NotAFeed(_) => FailureClass::NotAFeed,
        discover::DiscoverError::Malformed { .. } | discover::DiscoverError::TooDeep(_) => FailureClass::Malformed,
        discover::DiscoverError::TooLarge(_) => FailureClass::TooLarge,
    }
}

/// Progress on a terminal; silent in pipes and logs.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    pub fn new(enabled: bool) -> Progress {
        Progress { bar: enabled.then(indicatif::ProgressBar::hidden) }
    }
    pub fn start(&self, what: &str, len: u64) {
        if let Some(b) = &self.bar {
            b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            b.set_length(len);
            b.set_position(0);
            b.set_style(
                indicatif::ProgressStyle::with_template("{msg:>8} [{bar:30}] {pos}/{len} {elapsed}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b.set_message(what.to_string());
        }
    }
    pub fn inc(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// When a page job that failed transiently is tried again: soon at first (a pass waits for retries
/// due within `RETRY_WAIT_IN_PASS`), then 1, 4, 16, 64 minutes.
pub(crate) fn retry_at(attempts: i64) -> DateTime<Utc> {
    let wait = match attempts {
        ..=1 => chrono::Duration::seconds(3),
        n => chrono::Duration::minutes(4i64.saturating_pow((n - 2).clamp(0, 6) as u32)),
    };
    Utc::now() + wait
}

/// A pass waits this long at most for page retries that are about to come due.
pub(crate) const RETRY_WAIT_IN_PASS: Duration = Duration::from_secs(10);

/// Worth one quick retry within the pass: the server answered but not this time. Host-level
/// failures (timeouts above all) are not: a slow host stays slow.
fn worth_quick_retry(class: FailureClass) -> bool {
    class.is_transient() && !class.is_host_level()
}
