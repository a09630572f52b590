//! The commands of the `presswatch` binary, as glue between stages. `main.rs` parses arguments and
//! calls one of these; errors here are `anyhow` because this is the edge.

use crate::config::Config;
use crate::crawl::{Crawler, PassSummary, Progress};
use crate::model::{Article, ArticleId};
use crate::search::indexer::Indexer;
use crate::search::searcher::{snippet, SearchRequest, Searcher};
use crate::store::Store;
use anyhow::{bail, Context as _, Result};
use chrono::{DateTime, Utc};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

pub fn load_config(path: &Path) -> Result<Config> {
    Ok(Config::load(path)?)
}

pub fn check_config(path: &Path) -> Result<()> {
    let c = load_config(path)?;
    let enabled = c.sources.iter().filter(|s| s.enabled).count();
    println!(
        "{}: ok ({} sources, {} enabled; {} topics; {} localities; {} agencies; {} rules; {} alerts)",
        path.display(),
        c.sources.len(),
        enabled,
        c.topics.len(),
        c.localities.len(),
        c.agencies.len(),
        c.rules.len(),
        c.alerts.len()
    );
    // a locality taken from the gazetteer: what its shared names need before they count
    for l in c.localities.iter().filter(|l| l.unit.is_some()) {
        println!(
            "locality {}: {} ({} names anywhere, {} shared names that count only beside a parent; `presswatch locality show {}` lists them)",
            l.id,
            l.unit.as_deref().unwrap_or_default(),
            l.aliases.len(),
            l.near.len(),
            l.id
        );
        for (a, near) in l.near.iter().take(10) {
            println!("  {a}: near {}", near.join(" | "));
        }
        if l.near.len() > 10 {
            println!("  ... and {} more", l.near.len() - 10);
        }
    }
    Ok(())
}

/// `locality find`: the gazetteer's units that hold the words, closest first.
pub fn locality_find(name: &str, limit: usize) -> Result<()> {
    let g = crate::gazetteer::get();
    let found = g.find(name, limit);
    if found.is_empty() {
        anyhow::bail!("no administrative unit's name holds \"{name}\"");
    }
    for id in found {
        let u = &g.units[id];
        println!("{:<6} {:<9} {}", u.code, u.level.as_str(), g.label(id));
    }
    Ok(())
}

/// `locality show`: every name a locality matches, and why.
pub fn locality_show(cfg: &Config, id: &str) -> Result<()> {
    let Some(l) = cfg.localities.iter().find(|l| l.id == id) else {
        let known: Vec<&str> = cfg.localities.iter().map(|l| l.id.as_str()).collect();
        anyhow::bail!("no locality \"{id}\" is configured (configured: {})", known.join(", "));
    };
    print!("{}", describe_locality(l));
    Ok(())
}

/// What a locality matches, for `locality show` and `check-config`.
pub fn describe_locality(l: &crate::config::Locality) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", l.id, l.name);
    if let Some(unit) = &l.unit {
        let _ = writeln!(out, "  unit: {unit}");
    }
    let why = |text: &str| l.derived.iter().find(|a| a.text == *text && a.near.is_empty()).map(|a| a.why.as_str());
    let _ = writeln!(out, "  matches anywhere ({}):", l.aliases.len());
    for a in &l.aliases {
        match why(a) {
            Some(w) => _ = writeln!(out, "    {a:<32} {w}"),
            None if *a == l.name => _ = writeln!(out, "    {a:<32} the locality's name"),
            None => _ = writeln!(out, "    {a:<32} configured alias"),
        }
    }
    if !l.near.is_empty() {
        let _ = writeln!(out, "  shared with places elsewhere: count only in a paragraph that also names one of the words after \"near\" ({}):", l.near.len());
        for (a, near) in &l.near {
            let _ = writeln!(out, "    {a:<32} near {}", near.join(" | "));
        }
    }
    if !l.not.is_empty() {
        let _ = writeln!(out, "  not inside: {}", l.not.join(" | "));
    }
    out
}

/// The store as the crawler needs it: sources synced with the configuration, interrupted work requeued.
async fn open_store(cfg: &Config) -> Result<Store> {
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
    let mut indexer = Indexer::open(store.clone(), &cfg.storage.index_dir).await?;
    let searcher = Arc::new(Searcher::open(&cfg.storage.index_dir)?);
    let stored = Arc::new(Notify::new());
    let wake = Arc::new(Notify::new());
    let metrics = Arc::new(crate::metrics::Metrics::new());
    let cfg = Arc::new(cfg);
    let crawler = Crawler::new(cfg.clone(), store.clone(), stored.clone()).map_err(anyhow::Error::msg)?;

    // the one task that owns the index writer
    let mut idx_shutdown = shutdown.clone();
    let idx_stored = stored.clone();
    let idx_store = store.clone();
    let idx_cfg = cfg.clone();
    let notify = Arc::new(Notify::new());
    let idx_notify = notify.clone();
    let indexer_task = tokio::spawn(async move {
        loop {
            // stories first: an article's story is in the database before anyone searches for it
            match crate::serve::pipeline::assign_stories(&idx_store, crate::stories::BATCH).await {
                Ok(n) if n > 0 => tracing::info!(articles = n, "stories assigned"),
                Ok(_) => {}
                Err(e) => tracing::error!("story assignment failed: {e}"),
            }
            match indexer.catch_up().await {
                Ok(n) if n > 0 => tracing::info!(articles = n, "indexed"),
                Ok(_) => {}
                Err(e) => tracing::error!("indexing failed: {e}"),
            }
            // rules and alerts see articles once their story is known; digests and quiet hours are
            // re-examined on every turn (at least every 30 s)
            match crate::watch::run(&idx_store, &idx_cfg, Utc::now()).await {
                Ok(w) if w.items_opened + w.alert_events > 0 => {
                    tracing::info!(items = w.items_opened, alerts = w.alert_events, "rules and alerts fired");
                    idx_notify.notify_one();
                }
                Ok(w) if w.dispatched > 0 => idx_notify.notify_one(),
                Ok(_) => {}
                Err(e) => tracing::error!("rules and alerts failed: {e}"),
            }
            tokio::select! {
                _ = idx_stored.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(30)) => {}
                _ = idx_shutdown.changed() => break,
            }
        }
        if let Err(e) = indexer.catch_up().await {
            tracing::error!("indexing at shutdown failed: {e}");
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
async fn notifier(cfg: Arc<Config>, store: Store, wake: Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
    let client = match crate::watch::notify::webhook_client(&cfg.crawl.user_agent) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("alerts cannot be delivered: {e}");
            return;
        }
    };
    loop {
        match crate::watch::notify::deliver_due(&store, &cfg, &client).await {
            Ok(d) if d.sent > 0 => tracing::info!(sent = d.sent, "alert notifications sent"),
            Ok(_) => {}
            Err(e) => tracing::error!("alert delivery failed: {e}"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(10)) => {}
            _ = shutdown.changed() => break,
        }
    }
}

/// Re-checks flagged articles as they fall due (looked at every minute, and at once when someone
/// asks for a re-check now).
async fn rechecker(crawler: Crawler, now: Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
    loop {
        match crawler.recheck_due(&shutdown).await {
            Ok(r) if r.edited + r.removed + r.restored > 0 => {
                tracing::info!(edited = r.edited, removed = r.removed, back = r.restored, "flagged articles re-checked")
            }
            Ok(_) => {}
            Err(e) => tracing::error!("re-check failed: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            _ = now.notified() => {}
            _ = shutdown.changed() => break,
        }
    }
}

/// Writes the weekly report when it falls due (checked every few minutes, so a machine that was off at
/// the due time catches up when it starts).
async fn report_schedule(cfg: Arc<Config>, store: Store, mut shutdown: watch::Receiver<bool>) {
    if cfg.report.schedule.is_none() {
        return;
    }
    loop {
        match crate::report::scheduled(&store, &cfg, Utc::now()).await {
            Ok(Some(id)) => tracing::info!(report = id, "weekly report written"),
            Ok(None) => {}
            Err(e) => tracing::error!("weekly report failed: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(300)) => {}
            _ = shutdown.changed() => break,
        }
    }
}

/// Mails the morning overview when it falls due (`web::digest_if_due`), checked every few minutes.
async fn digest_schedule(cfg: Arc<Config>, store: Store, mut shutdown: watch::Receiver<bool>) {
    if cfg.report.digest_hour.is_none() || cfg.smtp.is_none() || cfg.report.email_to.is_empty() {
        return;
    }
    loop {
        match crate::web::digest_if_due(&cfg, &store, Utc::now()).await {
            Ok(true) => tracing::info!("morning overview mailed"),
            Ok(false) => {}
            Err(e) => tracing::error!("morning overview mail failed: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(300)) => {}
            _ = shutdown.changed() => break,
        }
    }
}

/// `user add`: the password comes from stdin (one line), never from the command line.
pub async fn user_add(cfg: Config, name: &str, role: &str) -> Result<()> {
    let role = crate::model::Role::parse(role).with_context(|| format!("role `{role}`: admin, analyst, triage or leader"))?;
    let mut password = String::new();
    if std::io::stdin().is_terminal() {
        eprint!("password for {name}: ");
    }
    std::io::stdin().read_line(&mut password).context("reading the password from stdin")?;
    let password = password.trim_end_matches(['\n', '\r']).to_string();
    crate::web::auth::check_new_password(&password).map_err(anyhow::Error::msg)?;
    crate::web::auth::check_user_name(name).map_err(anyhow::Error::msg)?;
    let hash = crate::web::auth::hash_password(&password).map_err(anyhow::Error::msg)?;
    let store = Store::open(&cfg.storage.database_url).await?;
    let now = Utc::now();
    let user = store.create_user(name, role, &hash, now).await?;
    let audit = crate::store::NewAudit {
        actor_id: None,
        actor: "cli",
        action: "user.create",
        target_kind: "user",
        target_id: user.id.to_string(),
        detail: serde_json::json!({"name": user.name, "role": role.as_str()}),
        reason: None,
    };
    store.audit(&audit, now).await?;
    store.close().await;
    println!("user {} ({}) created", user.name, role.as_str());
    Ok(())
}

/// `user token`: prints a new API token for a user (shown once; only its hash is stored).
pub async fn user_token(cfg: Config, name: &str, label: &str) -> Result<()> {
    let store = Store::open(&cfg.storage.database_url).await?;
    let user = store.user_by_name(name).await?.with_context(|| format!("no user `{name}`"))?;
    let token = crate::web::auth::new_token();
    let now = Utc::now();
    let id = store.create_token(&crate::web::auth::digest(&token), user.id, label, now).await?;
    let audit = crate::store::NewAudit {
        actor_id: None,
        actor: "cli",
        action: "token.create",
        target_kind: "api_token",
        target_id: id.to_string(),
        detail: serde_json::json!({"user": user.name, "label": label}),
        reason: None,
    };
    store.audit(&audit, now).await?;
    store.close().await;
    println!("{token}");
    Ok(())
}

pub async fn user_list(cfg: Config) -> Result<()> {
    let store = Store::open(&cfg.storage.database_url).await?;
    for u in store.users().await? {
        println!("{}\t{}\t{}", u.name, u.role.as_str(), if u.disabled { "disabled" } else { "active" });
    }
    store.close().await;
    Ok(())
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
    let ids: Vec<_> = res.hits.iter().map(|h| crate::model::ArticleId(h.id)).collect();
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

fn matched_json(a: &Article) -> serde_json::Value {
    let m = |tags: &[crate::model::Tag]| -> serde_json::Value {
        tags.iter().map(|t| (t.id.clone(), serde_json::json!(t.matched))).collect::<serde_json::Map<_, _>>().into()
    };
    serde_json::json!({"topics": m(&a.topics), "mentions": m(&a.mentions), "localities": m(&a.localities)})
}

/// A date on the command line (`time::parse_bound`), or an error that says what to write.
pub fn parse_cli_date(s: &str, end: bool) -> Result<DateTime<Utc>> {
    crate::time::parse_bound(s, end).with_context(|| format!("bad date {s:?}: write DD/MM/YYYY, YYYY-MM-DD or an RFC 3339 time"))
}

/// `report`: renders the period's report to a file or standard output.
pub async fn report(
    cfg: Config,
    week: Option<String>,
    range: Option<(String, String)>,
    format: Option<String>,
    out: Option<std::path::PathBuf>,
    keep: bool,
) -> Result<()> {
    use crate::report::{Format, Period};
    let now = Utc::now();
    let period = match (week, range) {
        (Some(w), _) => Period::parse_week(&w)?,
        (None, Some((from, to))) => Period::parse_dates(&from, &to)?,
        (None, None) => Period::last_full_week(now),
    };
    let from_ext = out.as_ref().and_then(|p| p.extension()).and_then(|e| e.to_str()).and_then(Format::parse);
    let format = match format {
        Some(f) => Format::parse(&f).with_context(|| format!("--format {f}: write html, docx, md or json"))?,
        None => from_ext.unwrap_or(Format::Html),
    };
    if format == Format::Docx && out.is_none() && std::io::stdout().is_terminal() {
        bail!("a DOCX report is binary: give --out FILE.docx (or redirect standard output)");
    }
    let store = Store::open_existing(&cfg.storage.database_url).await?;
    let report = if keep {
        let (id, r) = crate::report::generate(&store, &cfg, period, now, "cli").await?;
        match crate::report::email(&store, &cfg, id, &r, now).await {
            Ok(true) => eprintln!("report {id} kept and e-mailed to {}", cfg.report.email_to.join(", ")),
            Ok(false) => eprintln!("report {id} kept"),
            Err(e) => eprintln!("report {id} kept; {e}"),
        }
        r
    } else {
        crate::report::build(&store, &cfg, period, now).await?
    };
    store.close().await;
    let bytes = crate::report::render(&report, format)?;
    match out {
        Some(p) => {
            // write beside, then rename: a failed run never leaves half a report under the name
            let tmp = p.with_extension("partial");
            std::fs::write(&tmp, &bytes).with_context(|| format!("--out {}: cannot write", p.display()))?;
            std::fs::rename(&tmp, &p).with_context(|| format!("--out {}: cannot write", p.display()))?;
        }
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(&bytes)?;
            o.flush()?;
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExportFormat {
    Jsonl,
    Csv,
    /// A spreadsheet (binary: to a file or a pipe, never a terminal).
    Xlsx,
}

/// The columns of the CSV and XLSX exports: DESIGN's fields first, in their order, then names.
const EXPORT_COLUMNS: &[&str] = &[
    "id",
    "url",
    "canonical_url",
    "source",
    "origin",
    "title",
    "text",
    "lang",
    "topics",
    "localities",
    "published_at",
    "fetched_at",
    "story_id",
    "mentions",
    "topic_names",
    "locality_names",
];

/// Longest text a spreadsheet cell holds (Excel's limit); longer article texts are cut there.
const XLSX_CELL_CHARS: usize = 32_767;

/// One article as the cells of a CSV or XLSX row: times in Vietnam time with their offset (what an
/// analyst reads), lists joined with `;`, names from the configuration beside the ids.
fn export_cells(row: &ExportRow, cfg: &Config) -> Vec<String> {
    let local = |d: DateTime<Utc>| d.with_timezone(&crate::time::ZONE).to_rfc3339();
    let topic_name = |id: &&str| cfg.topics.iter().find(|t| t.id == *id).map_or(id.to_string(), |t| t.name.clone());
    let locality_name = |id: &&str| cfg.localities.iter().find(|l| l.id == *id).map_or(id.to_string(), |l| l.name.clone());
    vec![
        row.id.to_string(),
        row.url.to_string(),
        row.canonical_url.to_string(),
        row.source.to_string(),
        row.origin.unwrap_or("").to_string(),
        row.title.to_string(),
        row.text.to_string(),
        row.lang.to_string(),
        row.topics.join(";"),
        row.localities.join(";"),
        row.published_at.map(local).unwrap_or_default(),
        local(row.fetched_at),
        row.story_id.map(|s| s.to_string()).unwrap_or_default(),
        row.mentions.join(";"),
        row.topics.iter().map(topic_name).collect::<Vec<_>>().join("; "),
        row.localities.iter().map(locality_name).collect::<Vec<_>>().join("; "),
    ]
}

/// Where `export` writes its rows.
enum ExportSink {
    Jsonl(std::io::BufWriter<std::io::Stdout>),
    Csv(csv::Writer<std::io::BufWriter<std::io::Stdout>>),
    Xlsx { book: rust_xlsxwriter::Workbook, rows: u32 },
}

#[derive(serde::Serialize)]
struct ExportRow<'a> {
    id: i64,
    url: &'a str,
    canonical_url: &'a str,
    source: &'a str,
    origin: Option<&'static str>,
    title: &'a str,
    /// A colleague's Vietnamese gloss of a foreign title (JSON lines only; absent when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    title_vi: Option<&'a str>,
    text: &'a str,
    lang: &'a str,
    topics: Vec<&'a str>,
    localities: Vec<&'a str>,
    published_at: Option<DateTime<Utc>>,
    fetched_at: DateTime<Utc>,
    story_id: Option<i64>,
    seen_in: Vec<String>,
    matched: serde_json::Value,
    /// Topics the article only mentions (not counted as coverage).
    mentions: Vec<&'a str>,
    /// Per topic it is about: the score against the threshold and the paragraphs that matched.
    evidence: serde_json::Map<String, serde_json::Value>,
}

/// `warc`: writes to a temporary file beside `out` and renames it, so a failed export never leaves
/// a truncated archive under the asked-for name.
pub async fn warc(
    cfg: Config,
    out: &std::path::Path,
    articles: Vec<i64>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Result<usize> {
    use crate::evidence::warc::{write_selection, Selection, WarcWriter};
    let name = out.file_name().and_then(|n| n.to_str()).with_context(|| format!("--out {}: not a file name", out.display()))?;
    if !(name.ends_with(".warc") || name.ends_with(".warc.gz")) {
        anyhow::bail!("--out {}: name the file .warc or .warc.gz", out.display());
    }
    let store = Store::open(&cfg.storage.database_url).await?;
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    let file = std::io::BufWriter::new(tmp.reopen()?);
    let mut w = WarcWriter::new(file, name.ends_with(".gz"), name, Utc::now())?;
    let sel = if articles.is_empty() {
        Selection::Range { since, until }
    } else {
        Selection::Articles(articles.into_iter().map(ArticleId).collect())
    };
    let n = write_selection(&store, &mut w, &sel).await?;
    w.finish()?.into_inner().map_err(|e| anyhow::anyhow!("writing {}: {}", out.display(), e.error()))?.sync_all()?;
    tmp.persist(out).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(n)
}

pub async fn export(cfg: Config, format: ExportFormat, since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> Result<usize> {
    if format == ExportFormat::Xlsx && std::io::stdout().is_terminal() {
        bail!("an XLSX export is binary: redirect standard output to a file (presswatch export --format xlsx > articles.xlsx)");
    }
    let store = Store::open_existing(&cfg.storage.database_url).await?;
    let stdout = || std::io::BufWriter::new(std::io::stdout());
    let mut sink = match format {
        ExportFormat::Jsonl => ExportSink::Jsonl(stdout()),
        ExportFormat::Csv => {
            let mut out = stdout();
            // the byte order mark is how Excel on Windows knows the file is UTF-8 (else "Biá»ƒn")
            out.write_all("\u{feff}".as_bytes())?;
            let mut w = csv::Writer::from_writer(out);
            w.write_record(EXPORT_COLUMNS)?;
            ExportSink::Csv(w)
        }
        ExportFormat::Xlsx => {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet_with_constant_memory();
            sheet.set_name("articles")?;
            let bold = rust_xlsxwriter::Format::new().set_bold();
            for (col, name) in EXPORT_COLUMNS.iter().enumerate() {
                let width = match *name {
                    "title" | "topic_names" | "locality_names" => 40.0,
                    "text" | "url" | "canonical_url" => 60.0,
                    _ => 14.0,
                };
                sheet.set_column_width(col as u16, width)?;
                sheet.write_string_with_format(0, col as u16, *name, &bold)?;
            }
            sheet.set_freeze_panes(1, 0)?;
            ExportSink::Xlsx { book, rows: 1 }
        }
    };
    let mut after = 0;
    let mut n = 0;
    loop {
        let page = store.articles_page(after, 500, since, until).await?;
        let Some(last) = page.last() else { break };
        after = last.id.0;
        let ids: Vec<_> = page.iter().map(|a| a.id.clone()).collect();
        let mut seen = store.sightings_of_many(&ids).await?;
        for a in &page {
            let seen_in = seen.remove(&a.id.0).unwrap_or_default();
            let row = ExportRow {
                id: a.id.0,
                url: &a.url,
                canonical_url: &a.canonical_url,
                source: &a.source.0,
                origin: a.origin.map(|o| o.as_str()),
                title: &a.title,
                title_vi: a.title_vi.as_deref(),
                text: &a.text,
                lang: &a.lang,
                topics: a.topics.iter().map(|t| t.id.as_str()).collect(),
                localities: a.localities.iter().map(|t| t.id.as_str()).collect(),
                published_at: a.published_at,
                fetched_at: a.fetched_at,
                story_id: a.story_id,
                seen_in,
                matched: matched_json(a),
                mentions: a.mentions.iter().map(|t| t.id.as_str()).collect(),
                evidence: a
                    .topics
                    .iter()
                    .filter_map(|t| Some((t.id.clone(), serde_json::to_value(t.evidence.as_ref()?).ok()?)))
                    .collect(),
            };
            match &mut sink {
                ExportSink::Jsonl(out) => writeln!(out, "{}", serde_json::to_string(&row)?)?,
                ExportSink::Csv(w) => w.write_record(export_cells(&row, &cfg))?,
                ExportSink::Xlsx { book, rows } => {
                    let sheet = book.worksheet_from_index(0)?;
                    for (col, mut cell) in export_cells(&row, &cfg).into_iter().enumerate() {
                        if let Some((cut, _)) = cell.char_indices().nth(XLSX_CELL_CHARS - 1) {
                            cell.truncate(cut);
                            cell.push('…');
                        }
                        sheet.write_string(*rows, col as u16, cell)?;
                    }
                    *rows += 1;
                }
            }
            n += 1;
        }
    }
    match sink {
        ExportSink::Jsonl(mut out) => out.flush()?,
        ExportSink::Csv(mut w) => w.flush()?,
        ExportSink::Xlsx { mut book, .. } => {
            let mut out = stdout();
            book.save_to_writer(&mut out)?;
            out.flush()?;
        }
    }
    store.close().await;
    Ok(n)
}
