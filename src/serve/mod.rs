//! The daemon: `serve` runs the web server, the crawl loop and the background jobs on one
//! configuration (a "generation"), and starts a new generation when the configuration is reloaded.
//! Each background job is a named function run by `every`; what happens to an article after it is
//! stored is `pipeline`.

pub mod pipeline;

use crate::config::Config;
use crate::crawl::{Crawler, Progress};
use crate::search::indexer::Indexer;
use crate::search::searcher::Searcher;
use crate::store::Store;
use anyhow::{bail, Context as _, Result};
use chrono::Utc;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Runs `job` now, then again every `period` (sooner when `wake` is notified) until `shutdown`.
pub async fn every<F, Fut>(period: Duration, wake: Option<Arc<Notify>>, mut shutdown: watch::Receiver<bool>, mut job: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        job().await;
        let woken = async {
            match &wake {
                Some(w) => w.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = woken => {}
            _ = shutdown.changed() => break,
        }
    }
}

/// The store as the crawler needs it: sources synced with the configuration, interrupted work requeued.
pub async fn open_store(cfg: &Config) -> Result<Store> {
    let store = Store::open(&cfg.storage.database_url).await?;
    store.sync_sources(&cfg.sources, cfg.crawl.interval, Utc::now()).await?;
    let interrupted = store.requeue_interrupted().await?;
    if interrupted.requeued > 0 {
        tracing::info!(jobs = interrupted.requeued, "requeued work the last process was doing when it died");
    }
    if interrupted.poisoned > 0 {
        tracing::error!(
            jobs = interrupted.poisoned,
            "set aside work that was running each time the process died (poisoned: see the Sources page to retry)"
        );
    }
    Ok(store)
}

/// Resolves when SIGINT or SIGTERM arrives.
pub fn shutdown_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    let _ = tx.send(true);
                    return;
                }
            };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down");
        let _ = tx.send(true);
    });
    rx
}

/// Serves the web UI and API, crawls on schedule and keeps the index current until SIGINT/SIGTERM.
/// SIGHUP (or an admin) reloads `path`: a valid file restarts the workers and the web server on it,
/// a broken one is refused and the running configuration stays (`reload`).
pub async fn serve(cfg: Config, path: &Path) -> Result<()> {
    let reload = Arc::new(crate::reload::Reload::new(path, Utc::now()));
    let stop = shutdown_signal();
    #[cfg(unix)]
    {
        let reload = reload.clone();
        if let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    match reload.request(Utc::now()) {
                        Ok(()) => tracing::info!("SIGHUP: configuration valid, restarting on it"),
                        Err(e) => tracing::error!("SIGHUP: configuration not reloaded, the running one stays: {e}"),
                    }
                }
            });
        }
    }
    let mut cfg = cfg;
    // the configuration of the last generation that started: a reloaded file that validates but
    // cannot start (a database it cannot open, an address it cannot listen on) falls back to it
    let mut previous: Option<Config> = None;
    // the listening socket outlives each generation (each serves a clone of it), so a browser that
    // connects while workers restart waits in the backlog instead of being refused
    let mut socket: Option<(std::net::SocketAddr, std::net::TcpListener)> = None;
    loop {
        // this generation ends on a stop signal or an accepted reload
        let (tx, generation) = watch::channel(false);
        let ender = {
            let (mut stop, reload) = (stop.clone(), reload.clone());
            tokio::spawn(async move {
                tokio::select! {
                    _ = stop.changed() => {}
                    _ = reload.accepted() => {}
                }
                let _ = tx.send(true);
            })
        };
        let ran = match listen(&mut socket, &cfg) {
            Ok(listener) => serve_generation(cfg.clone(), listener, generation, reload.clone()).await,
            Err(e) => Err(e),
        };
        ender.abort();
        match (ran, previous.clone()) {
            (Ok(()), _) => previous = Some(cfg.clone()),
            (Err(e), None) => return Err(e),
            (Err(e), Some(good)) => {
                tracing::error!("the reloaded configuration cannot start; serving with the previous one: {e:#}");
                reload.refused(Utc::now(), format!("{e:#}"));
                // once: if the previous one cannot start either, serve stops with its error
                previous = None;
                cfg = good;
                continue;
            }
        }
        if *stop.borrow() {
            break;
        }
        match reload.take_pending(Utc::now()) {
            Some(next) => {
                tracing::info!("serving with the reloaded configuration");
                cfg = next;
            }
            None => break,
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// A listener on `cfg.server.listen`: a clone of the socket already bound there, or a new one.
fn listen(socket: &mut Option<(std::net::SocketAddr, std::net::TcpListener)>, cfg: &Config) -> Result<tokio::net::TcpListener> {
    let at = cfg.server.listen;
    if socket.as_ref().is_none_or(|(bound, _)| *bound != at) {
        let l = std::net::TcpListener::bind(at).with_context(|| format!("server.listen: cannot listen on {at}"))?;
        l.set_nonblocking(true).context("server.listen: non-blocking socket")?;
        *socket = Some((at, l));
    }
    let Some((_, l)) = socket.as_ref() else { bail!("server.listen: no socket for {at}") };
    tokio::net::TcpListener::from_std(l.try_clone().context("server.listen: socket")?).context("server.listen: socket")
}

/// One run of every worker and the web server on one configuration, until `shutdown`.
async fn serve_generation(
    cfg: Config,
    listener: tokio::net::TcpListener,
    shutdown: watch::Receiver<bool>,
    reload: Arc<crate::reload::Reload>,
) -> Result<()> {
    let store = open_store(&cfg).await?;
    let indexer = Indexer::open(store.clone(), &cfg.storage.index_dir).await?;
    let searcher = Arc::new(Searcher::open(&cfg.storage.index_dir)?);
    let stored = Arc::new(Notify::new());
    let wake = Arc::new(Notify::new());
    let metrics = Arc::new(crate::metrics::Metrics::new());
    let cfg = Arc::new(cfg);
    let crawler = Crawler::new(cfg.clone(), store.clone(), stored.clone()).map_err(anyhow::Error::msg)?;

    // the one task that owns the index writer: stories, then the index, then rules and alerts
    let notify = Arc::new(Notify::new());
    let post = Arc::new(tokio::sync::Mutex::new(pipeline::PostStore::new(store.clone(), cfg.clone(), indexer, notify.clone())));
    let indexer_task = tokio::spawn({
        let turn = post.clone();
        let turns = every(Duration::from_secs(30), Some(stored.clone()), shutdown.clone(), move || {
            let post = turn.clone();
            async move { post.lock().await.turn().await }
        });
        async move {
            turns.await;
            post.lock().await.finish().await;
        }
    });

    let recheck_now = Arc::new(Notify::new());
    let state = crate::web::AppState::new(cfg.clone(), store.clone(), searcher, metrics.clone(), wake.clone())
        .with_indexer(stored.clone())
        .with_reload(reload)
        .with_rechecker(recheck_now.clone());
    let web_task = tokio::spawn(crate::web::serve(listener, state, shutdown.clone()));
    let report_task = tokio::spawn(report_schedule(cfg.clone(), store.clone(), shutdown.clone()));
    let digest_task = tokio::spawn(digest_schedule(cfg.clone(), store.clone(), shutdown.clone()));
    let notify_task = tokio::spawn(notifier(cfg.clone(), store.clone(), notify, shutdown.clone()));
    let recheck_task = tokio::spawn(rechecker(crawler.clone(), recheck_now, shutdown.clone()));
    if store.count_users().await? == 0 {
        tracing::warn!("no users yet: create one with `presswatch user add admin --role admin` (password on stdin)");
    }
    tracing::info!(sources = cfg.sources.len(), "presswatch serving on http://{}", cfg.server.listen);
    let mut shutdown_wait = shutdown.clone();
    while !*shutdown.borrow() {
        // a panic anywhere in a pass (a parser on a hostile body) fails that pass, not the service
        let quiet = Progress::new(false);
        let pass = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(crawler.pass(false, &shutdown, &quiet)));
        match pass.await {
            Err(_) => tracing::error!("crawl pass stopped by a panic; the next pass goes on"),
            Ok(Ok(s)) => {
                metrics.record_pass(&s);
                if s.sources > 0 {
                    tracing::info!(sources = s.sources, new = s.articles_new, failed_sources = s.sources_failed, "crawl pass done")
                }
            }
            Ok(Err(e)) => tracing::error!("crawl pass failed: {e}"),
        }
        stored.notify_one();
        let now = Utc::now().timestamp();
        let next_source = store.next_due_at().await.ok().flatten().unwrap_or(now + 60);
        let next_page = store.next_job_at("page").await.ok().flatten().unwrap_or(i64::MAX);
        let wait = (next_source.min(next_page) - now).clamp(1, 300) as u64;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(wait)) => {}
            _ = wake.notified() => {}
            _ = shutdown_wait.changed() => {}
        }
    }
    let _ = indexer_task.await;
    let _ = report_task.await;
    let _ = digest_task.await;
    let _ = notify_task.await;
    let _ = recheck_task.await;
    match web_task.await {
        Ok(Err(e)) => tracing::error!("web server: {e}"),
        Err(e) => tracing::error!("web server task: {e}"),
        Ok(Ok(())) => {}
    }
    // a clean stop: what was in hand goes back to the queue, not counted as a crash
    if let Err(e) = store.release_running().await {
        tracing::error!("handing running jobs back: {e}");
    }
    store.close().await;
    Ok(())
}

/// Delivers alert notifications as they are dispatched, and retries failed ones when due.
async fn notifier(cfg: Arc<Config>, store: Store, wake: Arc<Notify>, shutdown: watch::Receiver<bool>) {
    let client = match crate::watch::notify::webhook_client(&cfg.crawl.user_agent) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("alerts cannot be delivered: {e}");
            return;
        }
    };
    let (store, cfg, client) = (&store, &cfg, &client);
    every(Duration::from_secs(10), Some(wake), shutdown, move || async move {
        match crate::watch::notify::deliver_due(store, cfg, client).await {
            Ok(d) if d.sent > 0 => tracing::info!(sent = d.sent, "alert notifications sent"),
            Ok(_) => {}
            Err(e) => tracing::error!("alert delivery failed: {e}"),
        }
    })
    .await
}

/// Re-checks flagged articles as they fall due (looked at every minute, and at once when someone
/// asks for a re-check now).
async fn rechecker(crawler: Crawler, now: Arc<Notify>, shutdown: watch::Receiver<bool>) {
    let stop = shutdown.clone();
    let (crawler, stop) = (&crawler, &stop);
    every(Duration::from_secs(60), Some(now), shutdown, move || async move {
        match crawler.recheck_due(stop).await {
            Ok(r) if r.edited + r.removed + r.restored > 0 => {
                tracing::info!(edited = r.edited, removed = r.removed, back = r.restored, "flagged articles re-checked")
            }
            Ok(_) => {}
            Err(e) => tracing::error!("re-check failed: {e}"),
        }
    })
    .await
}

/// Writes the weekly report when it falls due (checked every few minutes, so a machine that was off at
/// the due time catches up when it starts).
async fn report_schedule(cfg: Arc<Config>, store: Store, shutdown: watch::Receiver<bool>) {
    if cfg.report.schedule.is_none() {
        return;
    }
    let (store, cfg) = (&store, &cfg);
    every(Duration::from_secs(300), None, shutdown, move || async move {
        match crate::report::scheduled(store, cfg, Utc::now()).await {
            Ok(Some(id)) => tracing::info!(report = id, "weekly report written"),
            Ok(None) => {}
            Err(e) => tracing::error!("weekly report failed: {e}"),
        }
    })
    .await
}

/// Mails the morning overview when it falls due (`web::digest_if_due`), checked every few minutes.
async fn digest_schedule(cfg: Arc<Config>, store: Store, shutdown: watch::Receiver<bool>) {
    if cfg.report.digest_hour.is_none() || cfg.smtp.is_none() || cfg.report.email_to.is_empty() {
        return;
    }
    let (store, cfg) = (&store, &cfg);
    every(Duration::from_secs(300), None, shutdown, move || async move {
        match crate::web::digest_if_due(cfg, store, Utc::now()).await {
            Ok(true) => tracing::info!("morning overview mailed"),
            Ok(false) => {}
            Err(e) => tracing::error!("morning overview mail failed: {e}"),
        }
    })
    .await
}
