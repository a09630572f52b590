//! `presswatch bench ...`: the measurements recorded in BENCHMARKS.md. Extraction is scored on the
//! Scrapinghub article-extraction benchmark (shared eval data, not shipped); ingest and search run on
//! a generated Vietnamese-heavy corpus of our own making (`corpus`). Built only with the `bench`
//! feature (on for the tests and the `benches/` scripts), so the binary `serve` runs carries none of it.

pub mod corpus;
pub mod crawl;
pub mod stories;
pub mod topics;

use crate::extract::{self, SiteRules};
use anyhow::{bail, Context as _, Result};
use clap::Subcommand;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The simulated hosts of `bench crawl` and `bench hosts`: feeds spread over hosts.
#[derive(clap::Args, Debug)]
pub struct SimulatedHosts {
    #[arg(long, default_value_t = 10_000)]
    feeds: usize,
    #[arg(long, default_value_t = 500)]
    hosts: usize,
    /// New articles per feed (on the cold pass of `bench crawl`).
    #[arg(long, default_value_t = 2)]
    items: usize,
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Extraction precision/recall/F1 and pages per second on one core.
    Extract {
        #[arg(long, default_value = "../shared/eval/scrapinghub-article-extraction-benchmark")]
        dir: PathBuf,
        /// Write per-page scores (JSON lines) here, with the text extracted, to read the worst pages.
        #[arg(long)]
        details: Option<PathBuf>,
        /// Score another extractor's output instead (JSON: `{"<id>": {"articleBody": "..."}}`),
        /// with the same metric: how `benches/extraction-vs-trafilatura.sh` scores trafilatura.
        #[arg(long)]
        predictions: Option<PathBuf>,
    },
    /// Topic and locality tagging scored against hand labels (the format of
    /// `../shared/eval/vntc-topics-dev/`): the tuning part and the check third (`i % 3 == 0`) apart.
    Topics {
        #[arg(long, default_value = "../shared/eval/vntc-topics-dev/articles.jsonl")]
        articles: PathBuf,
        #[arg(long, default_value = "../shared/eval/vntc-topics-dev/labels.jsonl")]
        labels: PathBuf,
        /// Write the tuning part's wrong articles, with the words behind each tag, here.
        #[arg(long)]
        details: Option<PathBuf>,
        /// Score every article as one set (your own labelled articles, with no check third).
        #[arg(long)]
        all: bool,
        /// Cross-validate the thresholds instead: each topic's `min_score` chosen on all folds but
        /// one, scored on that one (on the tuning part, or on every article with `--all`).
        #[arg(long)]
        folds: Option<usize>,
    },
    /// Ingest (HTML → extracted, analysed, stored, indexed) and search latency on a generated corpus.
    Corpus {
        #[arg(long, default_value_t = 100_000)]
        articles: usize,
        /// Work directory (database and index); a temporary one when absent.
        #[arg(long)]
        dir: Option<PathBuf>,
        #[arg(long, default_value_t = 200)]
        queries: usize,
    },
    /// Search pages and API answered by the real web server over HTTP, on a corpus made by `corpus`.
    Web {
        /// The `--dir` of a `bench corpus` run.
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 100)]
        requests: usize,
    },
    /// Story assignment over a corpus made by `corpus`: every article's story assigned again from
    /// scratch, in id order, timed per 10,000 articles (so the last figure is at 90–100k stored).
    Stories {
        /// The `--dir` of a `bench corpus` run.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Times given queries on a corpus made by `corpus` (p50/p99 of N runs): for profiling one query.
    Query {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 50)]
        runs: usize,
        #[arg(long)]
        facets: bool,
        queries: Vec<String>,
    },
    /// A crawl pass over many feeds on simulated local hosts (every 127.x.y.z address is a host):
    /// cold (all new) then warm (all 304); wall time, requests, politeness and peak memory.
    Crawl {
        #[command(flatten)]
        site: SimulatedHosts,
    },
    /// Ingest through the real crawler: a local server on simulated hosts lists the generated corpus
    /// in feeds and serves its pages; every page is fetched, extracted, analysed, stored (with its
    /// raw response) and indexed while the crawl runs. Reports articles per second of wall time and
    /// per CPU-second of this process (the simulated server's own CPU left out).
    Ingest {
        #[arg(long, default_value_t = 100_000)]
        articles: usize,
        #[arg(long, default_value_t = 64)]
        hosts: usize,
        /// Requests in flight (`crawl.concurrency`).
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Work directory (database and index); a temporary one when absent. Must not hold an earlier run.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// The simulated hosts of `crawl` as a server of their own until stopped (SIGINT/SIGTERM), with
    /// a sources file listing their feeds: for `benches/serve-memory.sh`.
    Hosts {
        #[command(flatten)]
        site: SimulatedHosts,
        /// 0 picks a free port (printed).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Where to write the `[[source]]` list.
        #[arg(long)]
        sources_out: PathBuf,
    },
    /// Rules and alerts (the configuration's) held against every article of a corpus made by
    /// `corpus` (stories assigned first), timed per article.
    Watch {
        #[arg(long)]
        dir: PathBuf,
    },
    /// Story grouping quality (pairwise precision and recall) on generated syndication: copies,
    /// rewrites, truncations and copies without diacritics among same-subject stories.
    StoryQuality {
        #[arg(long, default_value_t = 600)]
        stories: usize,
        #[arg(long, default_value_t = 20261201)]
        seed: u64,
    },
    /// The leadership report over every article of a corpus made by `corpus`: figures, then each format.
    Report {
        /// The `--dir` of a `bench corpus` run.
        #[arg(long)]
        dir: PathBuf,
        /// The period (the generated corpus is dated 1–28 October 2026).
        #[arg(long, default_value = "2026-10-01")]
        from: String,
        #[arg(long, default_value = "2026-10-31")]
        to: String,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
}

pub async fn run(cmd: BenchCommand, config: &Path) -> Result<()> {
    match cmd {
        BenchCommand::Extract { dir, details, predictions: Some(file) } => {
            let r = score_predictions(&dir, &file, details.as_deref())?;
            println!(
                "extraction ({}): {} pages, precision {:.3}, recall {:.3}, F1 {:.3}, accuracy {:.3}",
                file.display(),
                r.pages,
                r.precision,
                r.recall,
                r.f1,
                r.accuracy
            );
            Ok(())
        }
        BenchCommand::Extract { dir, details, predictions: None } => {
            let r = extraction(&dir, details.as_deref())?;
            println!(
                "extraction: {} pages, precision {:.3}, recall {:.3}, F1 {:.3}, accuracy {:.3}, {:.0} pages/s on one core",
                r.pages, r.precision, r.recall, r.f1, r.accuracy, r.pages_per_sec
            );
            Ok(())
        }
        BenchCommand::Topics { articles, labels, details, all, folds } => {
            crate::bench::topics::run(config, &articles, &labels, details.as_deref(), all, folds)
        }
        BenchCommand::Corpus { articles, dir, queries } => crate::bench::corpus::run(config, articles, dir, queries).await,
        BenchCommand::Web { dir, requests } => web(config, &dir, requests).await,
        BenchCommand::Stories { dir } => stories(config, &dir).await,
        BenchCommand::Watch { dir } => watch(config, &dir).await,
        BenchCommand::Query { dir, runs, facets, queries } => {
            let searcher = crate::search::searcher::Searcher::open(&dir.join("index"))?;
            for q in &queries {
                let mut t = Vec::with_capacity(runs);
                let mut total = 0;
                for _ in 0..runs.max(1) {
                    let req =
                        crate::search::searcher::SearchRequest { query: q.clone(), limit: 20, offset: 0, sort_by_date: false, facets };
                    let s = Instant::now();
                    total = searcher.search(&req)?.total;
                    t.push(s.elapsed().as_secs_f64() * 1000.0);
                }
                t.sort_by(|a, b| a.total_cmp(b));
                println!(
                    "{q:<50} hits {total:>8}  p50 {:>7.2} ms  p99 {:>7.2} ms",
                    t[t.len() / 2],
                    t[(t.len() * 99 / 100).min(t.len() - 1)]
                );
            }
            Ok(())
        }
        BenchCommand::Crawl { site } => crate::bench::crawl::run(config, site.feeds, site.hosts, site.items).await,
        BenchCommand::Ingest { articles, hosts, concurrency, dir } => {
            crate::bench::crawl::ingest(config, articles, hosts, concurrency, dir).await
        }
        BenchCommand::Hosts { site, port, sources_out } => {
            crate::bench::crawl::hosts(site.feeds, site.hosts, site.items, port, &sources_out).await
        }
        BenchCommand::StoryQuality { stories, seed } => crate::bench::stories::run(stories, seed).await,
        BenchCommand::Report { dir, from, to, runs } => report(config, &dir, &from, &to, runs).await,
    }
}

pub struct ExtractionScore {
    pub pages: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub accuracy: f64,
    pub pages_per_sec: f64,
}

/// Tokens as Python's `re.findall(r'\w+')` sees them, on NFC text.
fn py_tokens(s: &str) -> Vec<String> {
    let s = crate::text::normalize(s);
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() || c == '_' {
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn shingles(tokens: &[String]) -> HashMap<Vec<&str>, i64> {
    let mut m = HashMap::new();
    if tokens.is_empty() {
        return m;
    }
    let n = tokens.len().saturating_sub(3).max(1);
    for i in 0..n {
        let end = (i + 4).min(tokens.len());
        *m.entry(tokens[i..end].iter().map(String::as_str).collect()).or_insert(0) += 1;
    }
    m
}

/// Per-document (precision, recall) per the benchmark's README; None where undefined.
pub fn score(truth: &str, pred: &str) -> (Option<f64>, Option<f64>, bool) {
    let (tt, pt) = (py_tokens(truth), py_tokens(pred));
    let (t, p) = (shingles(&tt), shingles(&pt));
    let (mut tp, mut fp, mut fne) = (0i64, 0i64, 0i64);
    for (k, &tc) in &t {
        let pc = p.get(k).copied().unwrap_or(0);
        tp += tc.min(pc);
        fne += (tc - pc).max(0);
    }
    for (k, &pc) in &p {
        let tc = t.get(k).copied().unwrap_or(0);
        fp += (pc - tc).max(0);
    }
    let sum = (tp + fp + fne) as f64;
    let (tpf, fpf, fnf) = if sum > 0.0 { (tp as f64 / sum, fp as f64 / sum, fne as f64 / sum) } else { (0.0, 0.0, 0.0) };
    let (prec, rec) = if fp == 0 && fne == 0 {
        (Some(1.0), Some(1.0))
    } else {
        let prec = if tp + fp > 0 { Some(tpf / (tpf + fpf)) } else { None };
        let rec = if tp + fne > 0 { Some(tpf / (tpf + fnf)) } else { None };
        (prec, rec)
    };
    (prec, rec, tt == pt)
}

/// The benchmark's pages: (id, HTML bytes, true body, URL).
fn benchmark_pages(dir: &Path) -> Result<Vec<(String, Vec<u8>, String, String)>> {
    let gt_path = dir.join("ground-truth.json");
    let gt: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&gt_path).with_context(|| format!("{}: cannot read (is ../shared/eval present?)", gt_path.display()))?,
    )?;
    let Some(entries) = gt.as_object() else { bail!("{}: not a JSON object", gt_path.display()) };
    let mut pages = Vec::new();
    for (id, v) in entries {
        let mut gz = Vec::new();
        let p = dir.join("html").join(format!("{id}.html.gz"));
        std::fs::File::open(&p).with_context(|| format!("{}", p.display()))?.read_to_end(&mut gz)?;
        let mut html = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut html)?;
        pages.push((id.clone(), html, v["articleBody"].as_str().unwrap_or("").to_string(), v["url"].as_str().unwrap_or("").to_string()));
    }
    Ok(pages)
}

/// Scores predictions against the truth with the benchmark's metric (README of the data set).
fn score_all(truths: &[(&str, &str)], preds: &[String], details: Option<&Path>) -> Result<ExtractionScore> {
    let (mut ps, mut rs, mut acc) = (Vec::new(), Vec::new(), 0usize);
    let mut detail_lines = String::new();
    for ((id, truth), pred) in truths.iter().zip(preds) {
        let (p, r, exact) = score(truth, pred);
        if let Some(p) = p {
            ps.push(p);
        }
        if let Some(r) = r {
            rs.push(r);
        }
        acc += exact as usize;
        detail_lines.push_str(&serde_json::json!({"id": id, "precision": p, "recall": r, "truth_chars": truth.chars().count(), "extracted": pred}).to_string());
        detail_lines.push('\n');
    }
    if let Some(d) = details {
        std::fs::write(d, detail_lines)?;
    }
    let mean = |v: &[f64]| if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 };
    let (precision, recall) = (mean(&ps), mean(&rs));
    let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    Ok(ExtractionScore {
        pages: truths.len(),
        precision,
        recall,
        f1,
        accuracy: acc as f64 / truths.len().max(1) as f64,
        pages_per_sec: 0.0,
    })
}

pub fn extraction(dir: &Path, details: Option<&Path>) -> Result<ExtractionScore> {
    let pages = benchmark_pages(dir)?;
    let start = Instant::now();
    let mut preds = Vec::with_capacity(pages.len());
    for (_, html, _, url) in &pages {
        let text = extract::charset::decode(html, None);
        let e = extract::extract(&text, Some(url), &SiteRules::default()).map(|e| e.text).unwrap_or_default();
        preds.push(e);
    }
    let secs = start.elapsed().as_secs_f64();
    let truths: Vec<(&str, &str)> = pages.iter().map(|(id, _, t, _)| (id.as_str(), t.as_str())).collect();
    let mut r = score_all(&truths, &preds, details)?;
    r.pages_per_sec = pages.len() as f64 / secs;
    Ok(r)
}

/// Another extractor's output on the same pages, scored the same way (a missing page scores as empty).
pub fn score_predictions(dir: &Path, file: &Path, details: Option<&Path>) -> Result<ExtractionScore> {
    let pages = benchmark_pages(dir)?;
    let raw: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).with_context(|| format!("{}: cannot read", file.display()))?)
            .with_context(|| format!("{}: not JSON", file.display()))?;
    let out = raw.get("output").unwrap_or(&raw);
    let preds: Vec<String> = pages.iter().map(|(id, ..)| out[id.as_str()]["articleBody"].as_str().unwrap_or("").to_string()).collect();
    let truths: Vec<(&str, &str)> = pages.iter().map(|(id, _, t, _)| (id.as_str(), t.as_str())).collect();
    score_all(&truths, &preds, details)
}

/// Debug aid for extraction work: prints what we extract from one benchmark page.
pub fn show_one(dir: &Path, prefix: &str) -> Result<String> {
    let entries = std::fs::read_dir(dir.join("html"))?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with(prefix) {
            let mut gz = Vec::new();
            std::fs::File::open(e.path())?.read_to_end(&mut gz)?;
            let mut html = Vec::new();
            flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut html)?;
            let text = extract::charset::decode(&html, None);
            return Ok(extract::extract(&text, Some("https://example.org/"), &SiteRules::default()).map(|e| e.text).unwrap_or_default());
        }
    }
    bail!("no page {prefix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_matches_definition() {
        let (p, r, exact) = score("a b c d e", "a b c d e");
        assert_eq!((p, r, exact), (Some(1.0), Some(1.0), true));
        let (p, r, _) = score("a b c d e", "x y z w");
        assert_eq!(p, Some(0.0));
        assert_eq!(r, Some(0.0));
        let (p, r, _) = score("a b c d e", "");
        assert_eq!(p, None);
        assert_eq!(r, Some(0.0));
    }
}

/// Times `/search` (the HTML page: search, facets, snippets, template) and `/api/v1/search` over
/// loopback HTTP, one request at a time, as a user's browser sees the server.
async fn web(config: &Path, dir: &Path, requests: usize) -> Result<()> {
    use crate::metrics::Metrics;
use crate::web::{auth, AppState};
    use std::sync::Arc;
    let mut cfg = crate::config::Config::load(config)?;
    cfg.storage.database_url = format!("sqlite://{}", dir.join("bench.sqlite").display());
    cfg.storage.index_dir = dir.join("index");
    let cfg = Arc::new(cfg);
    let store = crate::store::Store::open(&cfg.storage.database_url).await?;
    let searcher = Arc::new(crate::search::searcher::Searcher::open(&cfg.storage.index_dir)?);
    let now = chrono::Utc::now();
    let user = match store.user_by_name("bench").await? {
        Some(u) => u,
        None => {
            store
                .create_user("bench", crate::model::Role::Analyst, &auth::hash_password("bench-password").map_err(anyhow::Error::msg)?, now)
                .await?
        }
    };
    let sid = auth::new_secret();
    store.create_session(&auth::digest(&sid), user.id, &auth::new_secret(), now, now + chrono::Duration::hours(1)).await?;
    let token = auth::new_token();
    store.create_token(&auth::digest(&token), user.id, "bench", now).await?;
    let state = AppState::new(cfg.clone(), store.clone(), searcher.clone(), Arc::new(Metrics::new()), Arc::new(tokio::sync::Notify::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (_stop, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(crate::web::serve(listener, state, rx));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    println!("web: {} articles indexed, {requests} sequential requests per query", searcher.num_docs());
    let queries = [
        "",
        "biển đảo",
        "bien dao",
        "\"Trường Sa\"",
        "Cần Giờ OR \"Can Gio\"",
        "topic:bien-dao lang:vi",
        "nhân quyền -tôn",
        "date:2026-01-01..2026-12-31 Hoàng Sa",
    ];
    for q in queries {
        for (what, path) in [("page", "/search"), ("api", "/api/v1/search")] {
            let url = format!("http://{addr}{path}?q={}", url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>());
            let mut times = Vec::with_capacity(requests);
            let mut total = 0;
            for i in 0..requests + 5 {
                let t = Instant::now();
                let req = http.get(&url);
                let req =
                    if what == "page" { req.header("cookie", format!("{}={sid}", auth::SESSION_COOKIE)) } else { req.bearer_auth(&token) };
                let r = req.send().await?;
                if !r.status().is_success() {
                    bail!("{url}: {}", r.status());
                }
                let body = r.bytes().await?;
                total = body.len();
                if i >= 5 {
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }
            times.sort_by(|a, b| a.total_cmp(b));
            let p = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
            println!("  {what:4} {:<38} p50 {:>6.2} ms  p99 {:>6.2} ms  ({} bytes)", format!("{q:?}"), p(0.5), p(0.99), total);
        }
    }
    store.close().await;
    Ok(())
}

async fn report(config: &Path, dir: &Path, from: &str, to: &str, runs: usize) -> Result<()> {
    use crate::report::{self, Format, Period};
    let mut cfg = crate::config::Config::load(config)?;
    cfg.storage.database_url = format!("sqlite://{}", dir.join("bench.sqlite").display());
    let store = crate::store::Store::open(&cfg.storage.database_url).await?;
    let period = Period::parse_dates(from, to)?;
    let runs = runs.max(1);
    let mut times: Vec<(&str, Vec<f64>, usize)> =
        ["figures", "json", "md", "html", "docx", "total"].iter().map(|n| (*n, Vec::new(), 0)).collect();
    let mut articles = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let r = report::build(&store, &cfg, period, chrono::Utc::now()).await?;
        times[0].1.push(start.elapsed().as_secs_f64() * 1000.0);
        articles = r.totals.articles.all;
        for (i, f) in [Format::Json, Format::Md, Format::Html, Format::Docx].into_iter().enumerate() {
            let t = Instant::now();
            let bytes = report::render(&r, f)?;
            times[i + 1].1.push(t.elapsed().as_secs_f64() * 1000.0);
            times[i + 1].2 = bytes.len();
        }
        times[5].1.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    println!("report {}: {articles} articles, {} runs (median, max)", period.label(), runs);
    for (name, mut t, bytes) in times {
        t.sort_by(|a, b| a.total_cmp(b));
        let size = if bytes > 0 { format!("  ({bytes} bytes)") } else { String::new() };
        println!("  {name:<8} {:>8.1} ms {:>8.1} ms{size}", t[t.len() / 2], t[t.len() - 1]);
    }
    store.close().await;
    Ok(())
}

async fn watch(config: &Path, dir: &Path) -> Result<()> {
    let mut cfg = crate::config::Config::load(config)?;
    cfg.storage.database_url = format!("sqlite://{}", dir.join("bench.sqlite").display());
    let store = crate::store::Store::open(&cfg.storage.database_url).await?;
    crate::serve::pipeline::assign_stories(&store, crate::stories::BATCH).await?;
    crate::watch::rewind(&store).await?;
    println!("watch: {} rules, {} alerts over every stored article", cfg.rules.len(), cfg.alerts.len());
    let t = Instant::now();
    let s = crate::watch::run(&store, &cfg, chrono::Utc::now()).await?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "  {} articles in {secs:.1} s = {:.3} ms per article; {} queue items opened, {} alert events",
        s.articles,
        secs * 1000.0 / s.articles.max(1) as f64,
        s.items_opened,
        s.alert_events
    );
    store.close().await;
    Ok(())
}

async fn stories(config: &Path, dir: &Path) -> Result<()> {
    /// What `serve` and `crawl --once` use too (`stories::BATCH`).
    const BATCH: i64 = crate::stories::BATCH;
    let mut cfg = crate::config::Config::load(config)?;
    cfg.storage.database_url = format!("sqlite://{}", dir.join("bench.sqlite").display());
    let store = crate::store::Store::open(&cfg.storage.database_url).await?;
    store.reset_stories().await?;
    let total = store.count_articles().await?;
    println!("stories: assigning {total} articles from scratch, batches of {BATCH}");
    let start = Instant::now();
    let mut done = 0usize;
    while done < total as usize {
        let t = Instant::now();
        let mut n = 0;
        while n < 10_000 {
            let k = crate::serve::pipeline::assign_stories_once(&store, BATCH).await?;
            if k == 0 {
                break;
            }
            n += k;
        }
        if n == 0 {
            break;
        }
        done += n;
        println!("  {done:>7} stored: {:.3} ms per article", t.elapsed().as_secs_f64() * 1000.0 / n as f64);
    }
    let (stories, biggest) = store.story_counts().await?;
    println!("  total {:.1} s; {stories} stories, largest {biggest} articles", start.elapsed().as_secs_f64());
    store.close().await;
    Ok(())
}
