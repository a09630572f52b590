//! A crawl pass over many feeds on simulated hosts: a local server answers on every address of
//! 127.0.0.0/8 (one "host" per address), serves an RSS feed per source with a few new articles,
//! honours conditional GET (ETag), and records when each host was asked for what. Two passes run
//! through the real crawler: a cold one (every feed new, every article fetched, extracted, analysed
//! and stored) and a warm one (every feed answers 304). Reported: wall time of each pass, requests,
//! the shortest gap between two requests to one host (never below `per_host_interval`), and the
//! process's peak resident memory.

use crate::config::{Config, Source};
use crate::crawl::{Crawler, Progress};
use crate::model::{Origin, SourceId};
use crate::store::Store;
use anyhow::Result;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Response, StatusCode};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Sim {
    items: usize,
    /// Serving the generated corpus (`bench ingest`): this many distinct articles in all, feed `f`
    /// listing articles `f * items ..`; otherwise every feed lists `items` of 28 repeated pages.
    corpus: Option<usize>,
    /// Per host: when each request arrived.
    seen: Mutex<HashMap<String, Vec<Instant>>>,
}

fn respond(sim: &Sim, host: &str, path: &str, headers: &HeaderMap) -> Response<Body> {
    let record = Instant::now();
    sim.seen.lock().unwrap_or_else(|e| e.into_inner()).entry(host.to_string()).or_default().push(record);
    let ok = |ct: &str, body: String| {
        Response::builder()
            .status(StatusCode::OK)
            .header("content-type", ct)
            .header("etag", "\"v1\"")
            .body(Body::from(body))
            .unwrap_or_default()
    };
    if path == "/robots.txt" {
        return ok("text/plain", "User-agent: *\nAllow: /\n".into());
    }
    if let Some(feed) = path.strip_prefix("/f/").and_then(|p| p.strip_suffix(".xml")) {
        if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some("\"v1\"") {
            return Response::builder().status(StatusCode::NOT_MODIFIED).body(Body::empty()).unwrap_or_default();
        }
        let n_items = match (sim.corpus, feed.parse::<usize>()) {
            (Some(total), Ok(f)) => total.saturating_sub(f * sim.items).min(sim.items),
            _ => sim.items,
        };
        let items: String = (0..n_items)
            .map(|i| format!("<item><title>Tin {feed}-{i}</title><link>http://{host}/a/{feed}/{i}.html</link><pubDate>Mon, 30 Nov 2026 0{}:00:00 GMT</pubDate></item>", i % 10))
            .collect();
        return ok(
            "application/rss+xml",
            format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{feed}</title>{items}</channel></rss>"),
        );
    }
    if let Some(rest) = path.strip_prefix("/a/") {
        if sim.corpus.is_some() {
            let nth = rest.strip_suffix(".html").and_then(|r| r.split_once('/'));
            if let Some((Ok(f), Ok(i))) = nth.map(|(f, i)| (f.parse::<usize>(), i.parse::<usize>())) {
                let n = f * sim.items + i;
                let mut r = crate::bench::corpus::Rng::new(n as u64 + 1);
                return ok("text/html; charset=utf-8", crate::bench::corpus::article(n, &mut r).html);
            }
        }
        let n: usize = rest.bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
        let mut r = crate::bench::corpus::Rng::new(n as u64 + 1);
        return ok("text/html; charset=utf-8", crate::bench::corpus::article(n % 28, &mut r).html);
    }
    Response::builder().status(StatusCode::NOT_FOUND).body(Body::from("not found")).unwrap_or_default()
}

/// Peak resident set of this process (Linux), in MB.
fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// CPU seconds (user + system) from a `/proc/.../stat` line: fields 14 and 15, in clock ticks
/// (100 per second on Linux).
fn cpu_secs(stat_path: &str) -> Option<f64> {
    let s = std::fs::read_to_string(stat_path).ok()?;
    // the command name (field 2) may hold spaces: count fields after its closing parenthesis
    let rest = &s[s.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn sim_router(sim: Arc<Sim>) -> axum::Router {
    axum::Router::new().fallback(move |req: Request| {
        let sim = sim.clone();
        async move {
            let host = req.headers().get("host").and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
            respond(&sim, &host, req.uri().path(), req.headers())
        }
    })
}

/// Sources for `feeds` feeds spread over `hosts` addresses of 127.0.0.0/8, all on `port`.
fn sources(feeds: usize, hosts: usize, port: u16) -> Result<Vec<Source>> {
    (0..feeds)
        .map(|i| {
            let h = i % hosts;
            let url = format!("http://127.0.{}.{}:{port}/f/{i}.xml", h / 250, h % 250 + 1);
            Ok(Source {
                id: SourceId(format!("feed-{i}")),
                name: format!("Feed {i}"),
                url: url::Url::parse(&url)?,
                lang: Some("vi".into()),
                origin: Origin::Domestic,
                enabled: true,
                interval: None,
                content_selectors: Vec::new(),
                exclude_selectors: Vec::new(),
            })
        })
        .collect()
}

/// `bench ingest`: the generated corpus through the real crawler and indexer, as `serve` runs them,
/// with the per-host interval at zero (the server is ours) so the pipeline, not politeness, is
/// measured. The simulated server runs on a thread of its own so its CPU time can be left out.
pub async fn ingest(config: &Path, articles: usize, hosts: usize, concurrency: usize, dir: Option<std::path::PathBuf>) -> Result<()> {
    let mut cfg = Config::load(config)?;
    let items = cfg.crawl.max_articles_per_feed.max(1);
    let feeds = articles.div_ceil(items);
    let sim = Arc::new(Sim { items, corpus: Some(articles), seen: Mutex::new(HashMap::new()) });
    let std_listener = std::net::TcpListener::bind("0.0.0.0:0")?;
    std_listener.set_nonblocking(true)?;
    let port = std_listener.local_addr()?.port();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let app = sim_router(sim.clone());
    let server = std::thread::spawn(move || -> Result<f64> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener)?;
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop_rx.await;
                })
                .await?;
            Ok::<(), anyhow::Error>(())
        })?;
        Ok(cpu_secs("/proc/thread-self/stat").unwrap_or(0.0))
    });

    let (dir, _tmp) = crate::bench::corpus::work_dir(dir)?;
    cfg.storage.database_url = format!("sqlite://{}", dir.join("ingest.sqlite").display());
    cfg.sources = sources(feeds, hosts, port)?;
    cfg.crawl.per_host_interval = Duration::ZERO;
    cfg.crawl.concurrency = concurrency;
    let store = Store::open(&cfg.storage.database_url).await?;
    if store.count_articles().await? > 0 {
        anyhow::bail!("{} already holds articles: give `bench ingest` a new --dir", dir.display());
    }
    store.sync_sources(&cfg.sources, cfg.crawl.interval, chrono::Utc::now()).await?;
    println!(
        "ingest: {articles} articles listed by {feeds} feeds on {hosts} hosts; concurrency {concurrency}, no per-host interval; keep raw {}",
        cfg.evidence.keep_raw
    );
    let stored = Arc::new(tokio::sync::Notify::new());
    let crawler = Crawler::new(Arc::new(cfg), store.clone(), stored.clone()).map_err(anyhow::Error::msg)?;
    let mut indexer = crate::search::indexer::Indexer::open(store.clone(), &dir.join("index")).await?;
    let (done_tx, mut done_rx) = tokio::sync::watch::channel(false);
    let cpu0 = cpu_secs("/proc/self/stat").unwrap_or(0.0);
    let t = Instant::now();
    // the indexer follows the crawl as in `serve`: woken whenever articles were stored
    let index_task = tokio::spawn(async move {
        let mut n = 0;
        loop {
            n += indexer.catch_up().await?;
            if *done_rx.borrow() {
                n += indexer.catch_up().await?;
                return Ok::<usize, anyhow::Error>(n);
            }
            tokio::select! {
                _ = stored.notified() => {}
                _ = done_rx.changed() => {}
            }
        }
    });
    let (_tx, shutdown) = tokio::sync::watch::channel(false);
    let s = crawler.pass(true, &shutdown, &Progress::new(false)).await?;
    let crawl_secs = t.elapsed().as_secs_f64();
    let _ = done_tx.send(true);
    let indexed = index_task.await??;
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_secs("/proc/self/stat").unwrap_or(0.0) - cpu0;
    let _ = stop_tx.send(());
    let server_cpu = server.join().map_err(|_| anyhow::anyhow!("simulated server thread panicked"))??;
    let ours = (cpu - server_cpu).max(1e-9);
    println!(
        "  stored {} new articles ({} known, {} pages failed), indexed {indexed}; crawl {crawl_secs:.1} s, searchable after {secs:.1} s",
        s.articles_new, s.articles_known, s.pages_failed
    );
    println!(
        "  {:.0} articles/s wall time; CPU {ours:.1} s (server {server_cpu:.1} s left out) = {:.0} articles per CPU-second; peak RSS {:.0} MB",
        indexed as f64 / secs,
        indexed as f64 / ours,
        peak_rss_mb().unwrap_or(0.0)
    );
    store.close().await;
    Ok(())
}

/// `bench hosts`: the simulated hosts of `bench crawl` as a server of their own, until SIGINT or
/// SIGTERM, for measuring another process against them (`benches/serve-memory.sh` runs `serve`
/// crawling them). Writes the sources file that lists its feeds; on stop, prints the requests seen.
pub async fn hosts(feeds: usize, hosts: usize, items: usize, port: u16, sources_out: &Path) -> Result<()> {
    let sim = Arc::new(Sim { items, corpus: None, seen: Mutex::new(HashMap::new()) });
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
    let port = listener.local_addr()?.port();
    let mut toml = String::from("# Written by `presswatch bench hosts`: the simulated feeds.\n");
    for s in sources(feeds, hosts, port)? {
        toml.push_str(&format!(
            "\n[[source]]\nid = \"{}\"\nname = \"{}\"\nurl = \"{}\"\nlang = \"vi\"\norigin = \"domestic\"\n",
            s.id.0, s.name, s.url
        ));
    }
    std::fs::write(sources_out, toml)?;
    println!("hosts: {feeds} feeds on {hosts} hosts, port {port}; sources in {}", sources_out.display());
    let mut stop = crate::serve::shutdown_signal();
    axum::serve(listener, sim_router(sim.clone()))
        .with_graceful_shutdown(async move {
            let _ = stop.changed().await;
        })
        .await?;
    let seen = sim.seen.lock().unwrap_or_else(|e| e.into_inner());
    println!("hosts: {} requests to {} hosts", seen.values().map(Vec::len).sum::<usize>(), seen.len());
    Ok(())
}

pub async fn run(config: &Path, feeds: usize, hosts: usize, items: usize) -> Result<()> {
    let sim = Arc::new(Sim { items, corpus: None, seen: Mutex::new(HashMap::new()) });
    let app = sim_router(sim.clone());
    // every 127.x.y.z reaches this listener: one simulated host per address
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let mut cfg = Config::load(config)?;
    let dir = tempfile::tempdir()?;
    cfg.storage.database_url = format!("sqlite://{}", dir.path().join("crawl.sqlite").display());
    cfg.sources = sources(feeds, hosts, port)?;
    cfg.crawl.max_articles_per_feed = items;
    let per_host = cfg.crawl.per_host_interval;
    println!(
        "crawl: {feeds} feeds on {hosts} hosts, {items} new articles per feed; concurrency {}, per-host interval {:?}",
        cfg.crawl.concurrency, per_host
    );
    let store = Store::open(&cfg.storage.database_url).await?;
    store.sync_sources(&cfg.sources, cfg.crawl.interval, chrono::Utc::now()).await?;
    let crawler = Crawler::new(Arc::new(cfg), store.clone(), Arc::new(tokio::sync::Notify::new())).map_err(anyhow::Error::msg)?;
    let (_tx, shutdown) = tokio::sync::watch::channel(false);
    for name in ["cold (all new)", "warm (all 304)"] {
        let before: usize = sim.seen.lock().unwrap_or_else(|e| e.into_inner()).values().map(Vec::len).sum();
        let t = Instant::now();
        let s = crawler.pass(true, &shutdown, &Progress::new(false)).await?;
        let secs = t.elapsed().as_secs_f64();
        let after: usize = sim.seen.lock().unwrap_or_else(|e| e.into_inner()).values().map(Vec::len).sum();
        println!(
            "  {name:<15} {secs:>7.1} s  requests {:>7}  feeds changed {:>6}, unchanged {:>6}, failed {:>3}; articles stored {:>7}; peak RSS {:.0} MB",
            after - before,
            s.sources_changed,
            s.sources_unchanged,
            s.sources_failed,
            s.articles_new,
            peak_rss_mb().unwrap_or(0.0)
        );
    }
    // politeness: the shortest gap between two requests to one host, over both passes
    let seen = sim.seen.lock().unwrap_or_else(|e| e.into_inner());
    let mut min_gap = Duration::MAX;
    let mut busiest = 0;
    for times in seen.values() {
        let mut t = times.clone();
        t.sort();
        busiest = busiest.max(t.len());
        for w in t.windows(2) {
            min_gap = min_gap.min(w[1] - w[0]);
        }
    }
    println!(
        "  politeness: shortest gap between two requests to one host {:.3} s (limit {:.3} s); busiest host {busiest} requests",
        min_gap.as_secs_f64(),
        per_host.as_secs_f64()
    );
    store.close().await;
    Ok(())
}
