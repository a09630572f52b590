//! `crawl --once`, `retag` and `reindex`: the pipeline run once from the command line.

use crate::config::Config;
use crate::crawl::{Crawler, PassSummary, Progress};
use crate::search::indexer::Indexer;
use crate::serve::{open_store, shutdown_signal};
use crate::store::Store;
use anyhow::{bail, Result};
use std::io::IsTerminal;
use std::time::Duration;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio::sync::Notify;

/// What `crawl --once` did: the pass, the re-checks of flagged articles, rules and alerts.
pub struct OnceSummary {
    pub pass: PassSummary,
    pub recheck: crate::crawl::recheck::RecheckSummary,
    pub watch: crate::watch::WatchSummary,
    pub delivery: crate::watch::notify::DeliverySummary,
}

pub async fn crawl_once(cfg: Config) -> Result<OnceSummary> {
    let store = open_store(&cfg).await?;
    // `serve` owns the crawl queue and the index while it runs: a second crawler beside it would
    // hand its running jobs back and race it for hosts, so say what to use instead
    let mut indexer = match Indexer::open(store.clone(), &cfg.storage.index_dir).await {
        Err(crate::search::SearchError::Locked) => bail!(
            "`presswatch serve` is running on this data and crawls on its own schedule; to fetch now, use \"Thu thập ngay\" on the Sources page (/admin/sources) or POST /api/v1/sources/ID/run, or stop serve first"
        ),
        other => other?,
    };
    let cfg = Arc::new(cfg);
    let crawler = Crawler::new(cfg.clone(), store.clone(), Arc::new(Notify::new())).map_err(anyhow::Error::msg)?;
    let shutdown = shutdown_signal();
    let progress = Progress::new(std::io::stderr().is_terminal());
    let pass = crawler.pass(true, &shutdown, &progress).await?;
    crate::serve::pipeline::assign_stories(&store, crate::stories::BATCH).await?;
    indexer.catch_up().await?;
    let recheck = crawler.recheck_due(&shutdown).await?;
    let watch = crate::watch::run(&store, &cfg, Utc::now()).await?;
    let client = crate::watch::notify::webhook_client(&cfg.crawl.user_agent).map_err(anyhow::Error::msg)?;
    let delivery = crate::watch::notify::deliver_due(&store, &cfg, &client).await?;
    store.release_running().await?;
    store.close().await;
    Ok(OnceSummary { pass, recheck, watch, delivery })
}

pub fn print_once_summary(o: &OnceSummary) {
    print_summary(&o.pass);
    let (r, w, d) = (&o.recheck, &o.watch, &o.delivery);
    if r.checked > 0 {
        println!(
            "re-checked {} flagged articles: {} unchanged, {} edited, {} removed, {} back, {} could not be fetched",
            r.checked, r.unchanged, r.edited, r.removed, r.restored, r.failed
        );
    }
    if w.items_opened + w.alert_events + w.dispatched + d.sent + d.retrying + d.failed > 0 {
        println!(
            "rules opened {} queue items; alerts: {} new, {} dispatched; notifications sent {}, to retry {}, failed {}",
            w.items_opened, w.alert_events, w.dispatched, d.sent, d.retrying, d.failed
        );
    }
}

pub fn print_summary(s: &PassSummary) {
    println!(
        "sources: {} ({} changed, {} unchanged, {} failed); listed {}, queued {}; articles: {} new, {} already known; pages failed {}, to retry {}",
        s.sources, s.sources_changed, s.sources_unchanged, s.sources_failed, s.listed, s.queued, s.articles_new, s.articles_known, s.pages_failed, s.pages_retry_later
    );
    if !s.failures.is_empty() {
        let f: Vec<String> = s.failures.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("failures: {}", f.join(", "));
    }
}

/// What `retag` did.
pub struct Retagged {
    pub examined: u64,
    pub changed: u64,
    pub indexed: Option<usize>,
}

/// `retag` (the work is `retag::run`): then the index follows, unless `serve` holds it, whose
/// indexer then picks the articles up itself.
pub async fn retag(cfg: Config, since: Option<DateTime<Utc>>, progress: bool) -> Result<Retagged> {
    let store = Store::open(&cfg.storage.database_url).await?;
    let state = Arc::new(crate::retag::Progress::default());
    state.start();
    let bar = if progress { indicatif::ProgressBar::new(0) } else { indicatif::ProgressBar::hidden() };
    let ticker = {
        let (state, bar) = (state.clone(), bar.clone());
        tokio::spawn(async move {
            loop {
                let s = state.status();
                bar.set_length(s.total);
                bar.set_position(s.done);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let outcome = crate::retag::run(&store, &cfg, since, &state).await;
    ticker.abort();
    bar.finish_and_clear();
    let r = outcome?;
    let indexed = match Indexer::open(store.clone(), &cfg.storage.index_dir).await {
        Ok(mut ix) => Some(ix.catch_up().await?),
        Err(crate::search::SearchError::Locked) => None,
        Err(e) => return Err(e.into()),
    };
    store.close().await;
    Ok(Retagged { examined: r.examined, changed: r.changed, indexed })
}

pub async fn reindex(cfg: Config) -> Result<usize> {
    let store = Store::open(&cfg.storage.database_url).await?;
    let n = Indexer::rebuild_aside(store.clone(), &cfg.storage.index_dir).await?;
    // articles stored while it ran (none while it held the writer, but a crawler may have stored
    // some before) are indexed as usual
    let mut indexer = Indexer::open(store.clone(), &cfg.storage.index_dir).await?;
    let more = indexer.catch_up().await?;
    store.close().await;
    Ok(n + more)
}
