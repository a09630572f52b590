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
        let items: String = (0..sim.items)
            .map(|i| format!("<item><title>Tin {feed}-{i}</title><link>http://{host}/a/{feed}/{i}.html</link><pubDate>Mon, 30 Nov 2026 0{}:00:00 GMT</pubDate></item>", i % 10))
            .collect();
        return ok(
            "application/rss+xml",
            format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{feed}</title>{items}</channel></rss>"),
        );
    }
    if let Some(rest) = path.strip_prefix("/a/") {
        let n: usize = rest.bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
        let mut r = crate::bench_corpus::Rng::new(n as u64 + 1);
        return ok("text/html; charset=utf-8", crate::bench_corpus::article(n % 28, &mut r).html);
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

pub async fn run(config: &Path, feeds: usize, hosts: usize, items: usize) -> Result<()> {
    let sim = Arc::new(Sim { items, seen: Mutex::new(HashMap::new()) });
    let s2 = sim.clone();
    let app = axum::Router::new().fallback(move |req: Request| {
        let sim = s2.clone();
        async move {
            let host = req.headers().get("host").and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
            respond(&sim, &host, req.uri().path(), req.headers())
        }
    });
    // every 127.x.y.z reaches this listener: one simulated host per address
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let mut cfg = Config::load(config)?;
    let dir = tempfile::tempdir()?;
    cfg.storage.database_url = format!("sqlite://{}", dir.path().join("crawl.sqlite").display());
    cfg.sources = (0..feeds)
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
        .collect::<Result<_>>()?;
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
