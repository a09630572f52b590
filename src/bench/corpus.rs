//! A generated corpus for ingest and search benchmarks: Vietnamese-heavy news pages of realistic
//! length with navigation and related-link boilerplate, written from our own word lists.

use crate::analyze::{Analyzer, Context};
use crate::model::NewCapture;
use crate::extract::{self, SiteRules};
use crate::model::{NewArticle, SourceId};
use crate::search::indexer::Indexer;
use crate::search::searcher::{SearchRequest, Searcher};
use crate::store::Store;
use anyhow::Result;
use chrono::Utc;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Small deterministic PRNG (xorshift64*): benchmarks must be reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    pub fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next_u64() % v.len() as u64) as usize]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

const SYLLABLES: &[&str] = &[
    "người",
    "dân",
    "tỉnh",
    "huyện",
    "xã",
    "phát",
    "triển",
    "kinh",
    "tế",
    "chính",
    "quyền",
    "địa",
    "phương",
    "công",
    "trình",
    "dự",
    "án",
    "đầu",
    "tư",
    "hạ",
    "tầng",
    "giao",
    "thông",
    "nông",
    "nghiệp",
    "thủy",
    "sản",
    "ngư",
    "dân",
    "tàu",
    "cá",
    "cảng",
    "biển",
    "rừng",
    "ngập",
    "mặn",
    "du",
    "lịch",
    "văn",
    "hóa",
    "giáo",
    "dục",
    "y",
    "tế",
    "bệnh",
    "viện",
    "học",
    "sinh",
    "trường",
    "lớp",
    "năm",
    "tháng",
    "ngày",
    "hội",
    "nghị",
    "lãnh",
    "đạo",
    "cán",
    "bộ",
    "đoàn",
    "kiểm",
    "tra",
    "thực",
    "hiện",
    "kế",
    "hoạch",
    "mục",
    "tiêu",
    "tăng",
    "trưởng",
    "ổn",
    "định",
    "an",
    "ninh",
    "trật",
    "tự",
    "mùa",
    "mưa",
    "bão",
    "lũ",
    "sạt",
    "lở",
    "đê",
    "điều",
    "nước",
    "sạch",
    "điện",
    "đường",
    "cầu",
    "chợ",
    "giá",
    "cả",
    "thị",
    "trường",
    "doanh",
    "nghiệp",
    "việc",
    "làm",
    "lao",
    "động",
    "thu",
    "nhập",
    "bảo",
    "hiểm",
    "xã",
    "hội",
    "môi",
    "sinh",
];

const TOPIC_PHRASES: &[&str] = &[
    "Biển Đông",
    "Trường Sa",
    "Hoàng Sa",
    "chủ quyền biển đảo",
    "đường biên giới",
    "cột mốc",
    "nhân quyền",
    "tự do tôn giáo",
    "đồng bào dân tộc thiểu số",
    "dân chủ",
    "nhà thờ",
    "chùa",
    "tín đồ",
];
const PLACES: &[&str] = &["Cần Giờ", "Cần Thạnh", "Long Hòa", "Thạnh An", "Nhà Bè", "Bình Chánh", "Vũng Tàu", "Đà Nẵng"];
const ENGLISH: &[&str] = &[
    "the",
    "government",
    "said",
    "officials",
    "fishing",
    "vessels",
    "province",
    "coast",
    "report",
    "week",
    "investment",
    "mangrove",
    "forest",
    "tourism",
    "port",
    "South",
    "China",
    "Sea",
    "islands",
    "border",
    "human",
    "rights",
    "Vietnam",
];

pub struct GenArticle {
    pub url: String,
    pub html: String,
}

fn sentence(r: &mut Rng, words: &[&str], min: u64, max: u64) -> String {
    let n = min + r.next_u64() % (max - min + 1);
    let mut s: Vec<String> = (0..n).map(|_| r.pick(words).to_string()).collect();
    if r.chance(25) {
        let k = (r.next_u64() % n) as usize;
        s[k] = r.pick(TOPIC_PHRASES).to_string();
    }
    if r.chance(20) {
        let k = (r.next_u64() % n) as usize;
        s[k] = r.pick(PLACES).to_string();
    }
    let mut out = s.join(" ");
    if let Some(c) = out.chars().next() {
        out = c.to_uppercase().collect::<String>() + &out[c.len_utf8()..];
    }
    out.push('.');
    out
}

/// Page `i` of the corpus: ~85% Vietnamese, the rest English; 6–14 paragraphs; menu, related
/// links and footer full of topic and place names that must not be counted.
pub fn article(i: usize, r: &mut Rng) -> GenArticle {
    let english = r.chance(15);
    let words = if english { ENGLISH } else { SYLLABLES };
    let title = sentence(r, words, 6, 12);
    let paras: Vec<String> = (0..6 + r.next_u64() % 9)
        .map(|_| (0..3 + r.next_u64() % 3).map(|_| sentence(r, words, 12, 24)).collect::<Vec<_>>().join(" "))
        .collect();
    let body: String = paras.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    let day = 1 + (i % 28);
    let html = format!(
        r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title} | Báo Thử</title>
<meta property="og:title" content="{title}"><meta property="article:published_time" content="2026-10-{day:02}T08:00:00+07:00">
<link rel="canonical" href="https://bao-thu.example/tin/{i}.html"></head><body>
<header><nav><a href="/">Trang chủ</a> <a href="/bien-dao">Biển Đông</a> <a href="/tg">Trường Sa</a> <a href="/cg">Cần Giờ</a> <a href="/tg">Tôn giáo</a></nav></header>
<main><article><h1>{title}</h1>
{body}</article>
<aside class="related"><h3>Tin liên quan</h3><ul><li><a href="/a">Nhân quyền và dân chủ: {p1}</a></li><li><a href="/b">Hoàng Sa, Trường Sa: {p2}</a></li></ul></aside></main>
<footer>Báo Thử, 12 Nguyễn Huệ, Cần Giờ. Giấy phép số 1/GP. Tổng biên tập: Nguyễn Văn A.</footer></body></html>"#,
        lang = if english { "en" } else { "vi" },
        p1 = sentence(r, SYLLABLES, 5, 8),
        p2 = sentence(r, SYLLABLES, 5, 8),
    );
    GenArticle { url: format!("https://bao-thu.example/tin/{i}.html"), html }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[k.min(sorted.len() - 1)]
}

/// A bench's `--dir`, created, or a temporary directory when absent (removed when the returned
/// guard is dropped: keep it until the bench ends).
pub fn work_dir(dir: Option<PathBuf>) -> Result<(PathBuf, Option<tempfile::TempDir>)> {
    let (dir, tmp) = match dir {
        Some(d) => (d, None),
        None => {
            let t = tempfile::tempdir()?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    std::fs::create_dir_all(&dir)?;
    Ok((dir, tmp))
}

pub async fn run(config: &Path, n: usize, dir: Option<PathBuf>, queries: usize) -> Result<()> {
    let cfg = crate::config::Config::load(config)?;
    let (dir, _tmp) = work_dir(dir)?;
    let db = format!("sqlite://{}", dir.join("bench.sqlite").display());
    let store = Store::open(&db).await?;
    let existing = store.count_articles().await? as usize;
    let analyzer = Analyzer::new(&cfg.topics, &cfg.localities);
    let source = SourceId("bench".into());
    let mut rng = Rng::new(42);
    for i in 0..existing {
        let _ = article(i, &mut rng); // keep the generator in step with what is stored
    }

    // ingest: HTML → extract → analyze → store, then index
    let t0 = Instant::now();
    let (mut t_extract, mut t_analyze, mut t_keep, mut t_store) = (0.0, 0.0, 0.0, 0.0);
    let headers = vec![("content-type".to_string(), "text/html; charset=utf-8".to_string())];
    for i in existing..n {
        let g = article(i, &mut rng);
        let a = Instant::now();
        let ex = extract::extract(&g.html, Some(&g.url), &SiteRules::default())?;
        let b = Instant::now();
        let ctx = Context { page_lang: ex.lang_hint.as_deref(), source_lang: Some("vi"), source: "bench", origin: "domestic" };
        let analysis = analyzer.analyze(&ex.title, &ex.text, &ctx);
        let c = Instant::now();
        // the raw response, kept as evidence as the crawler keeps it (`[evidence] keep_raw`)
        let capture = cfg.evidence.keep_raw.then(|| NewCapture::new(&g.url, Utc::now(), 200, &headers, g.html.as_bytes()));
        let k = Instant::now();
        let found = crate::model::Found { url: g.url.clone(), canonical_url: g.url.clone(), source_id: source.clone(), fetched_at: Utc::now() };
        let new = NewArticle::analysed(found, ex.title, ex.text, ex.published_at, analysis);
        store.insert_article_with(&new, std::slice::from_ref(&g.url), capture.as_ref()).await?;
        let d = Instant::now();
        t_extract += (b - a).as_secs_f64();
        t_analyze += (c - b).as_secs_f64();
        t_keep += (k - c).as_secs_f64();
        t_store += (d - k).as_secs_f64();
    }
    let ingested = n.saturating_sub(existing);
    let t_idx = Instant::now();
    let mut indexer = Indexer::open(store.clone(), &dir.join("index")).await?;
    let indexed = indexer.catch_up().await?;
    let idx_secs = t_idx.elapsed().as_secs_f64();
    let total = t0.elapsed().as_secs_f64();
    drop(indexer);
    if ingested > 0 {
        println!(
            "ingest: {ingested} articles in {total:.1} s = {:.0} articles/s (extract {:.0}/s, analyze {:.0}/s, keep raw {:.0}/s, store {:.0}/s, index {:.0}/s)",
            ingested as f64 / total,
            ingested as f64 / t_extract,
            ingested as f64 / t_analyze,
            ingested as f64 / t_keep.max(1e-9),
            ingested as f64 / t_store,
            indexed as f64 / idx_secs.max(1e-9)
        );
    }

    let searcher = Searcher::open(&dir.join("index"))?;
    searcher.reload()?;
    println!("search: index of {} articles, {queries} runs per query", searcher.num_docs());
    let mix: &[(&str, &str)] = &[
        ("term", "ngư"),
        ("term-diacritics", "biển"),
        ("unaccented", "bien dong"),
        ("phrase", "\"Trường Sa\""),
        ("boolean", "(\"Hoàng Sa\" OR \"Trường Sa\") -\"du lịch\""),
        ("faceted", "topic:bien-dao lang:vi ngư dân"),
        ("date-range", "cảng date:2026-10-03..2026-10-10"),
    ];
    for (name, q) in mix {
        let mut times = Vec::with_capacity(queries);
        let mut total_hits = 0;
        for k in 0..queries {
            let req =
                SearchRequest { query: q.to_string(), limit: 20, offset: 0, sort_by_date: false, facets: k % 2 == 0 && *name == "faceted" };
            let s = Instant::now();
            let r = searcher.search(&req)?;
            times.push(s.elapsed().as_secs_f64() * 1000.0);
            total_hits = r.total;
        }
        times.sort_by(|a, b| a.total_cmp(b));
        println!(
            "  {name:<16} {q:<45} hits {total_hits:>7}  p50 {:>7.2} ms  p99 {:>7.2} ms",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
    store.close().await;
    Ok(())
}
