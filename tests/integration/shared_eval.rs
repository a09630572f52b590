//! Tests on the public data in ../shared/eval (others' data, never copied here). A user's clone has no
//! ../shared: these tests then print that they are skipped and pass; CI has the data and runs them.

use std::path::{Path, PathBuf};

fn eval_dir(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval").join(name);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIPPED: {} is absent (../shared/eval is not part of a user's clone)", p.display());
        None
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
}

#[test]
fn every_feed_fixture_goes_through_discovery_without_panic() {
    let Some(dir) = eval_dir("feed-fixtures") else { return };
    let mut files = Vec::new();
    walk(&dir, &mut files);
    let base = url::Url::parse("https://fixture.example/feed").expect("url");
    let (mut ok, mut errors) = (0, 0);
    for f in &files {
        let Ok(bytes) = std::fs::read(f) else { continue };
        match presswatch::crawl::discover::discover(&bytes, None, &base, 50_000_000) {
            Ok(_) => ok += 1,
            Err(_) => errors += 1,
        }
    }
    eprintln!("feed fixtures: {} files, {ok} parsed, {errors} rejected with an error", files.len());
    assert!(files.len() > 50, "expected the fixture corpus, found {} files", files.len());
    assert!(ok > files.len() / 2, "most fixtures are valid feeds or sitemaps: {ok} of {}", files.len());
}

#[test]
fn real_vietnamese_feeds_parse() {
    let Some(dir) = eval_dir("feeds-vietnamese-vnexpress") else { return };
    let mut files = Vec::new();
    walk(&dir, &mut files);
    let base = url::Url::parse("https://vnexpress.net/rss/").expect("url");
    let mut listed = 0;
    for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "rss" || e == "xml")) {
        let bytes = std::fs::read(f).expect("read");
        if let Ok(presswatch::crawl::discover::Discovered::Listings(l)) =
            presswatch::crawl::discover::discover(&bytes, None, &base, 50_000_000)
        {
            listed += l.len();
            for item in &l {
                assert!(item.url.starts_with("http"), "{}", item.url);
            }
        }
    }
    assert!(listed > 0, "no items from the VnExpress feeds");
}

/// Stops the extraction score from regressing (BENCHMARKS.md has the measured figures): on the
/// Scrapinghub set the boilerplate lists were chosen on, and on Dragnet's 1,381 pages, which they
/// were not (issue 14: 0.971 and 0.903, trafilatura 0.960 and 0.906).
#[test]
fn extraction_f1_does_not_regress() {
    for (set, floor) in [("scrapinghub-article-extraction-benchmark", 0.965), ("dragnet-extraction-benchmark", 0.90)] {
        let Some(dir) = eval_dir(set) else { continue };
        let r = presswatch::bench::extraction(&dir, None).expect("benchmark");
        eprintln!("extraction on {set}: P {:.3} R {:.3} F1 {:.3}", r.precision, r.recall, r.f1);
        assert!(r.f1 >= floor, "{set}: extraction F1 fell to {:.3}", r.f1);
    }
}

/// Topic tagging on the hand-labelled development set (issue 20): the shipped taxonomy must keep
/// what aboutness, strong cues and the named groups gained over "any word once" (macro-F1 0.54 tuning
/// part, 0.56 check third; now 0.855 and 0.696).
#[test]
fn topic_tagging_keeps_its_floor_on_labelled_news() {
    let Some(dir) = eval_dir("vntc-topics-dev") else { return };
    let cfg = presswatch::config::Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/presswatch.toml")).expect("config");
    let analyzer = presswatch::analyze::Analyzer::new(&cfg.topics, &cfg.localities);
    let (articles, labels) = (dir.join("articles.jsonl"), dir.join("labels.jsonl"));
    let (tune, _) = presswatch::bench::topics::score(&analyzer, &articles, &labels, |i| i % 3 != 0).expect("score");
    let (check, _) = presswatch::bench::topics::score(&analyzer, &articles, &labels, |i| i % 3 == 0).expect("score");
    eprintln!("topics macro-F1: tuning part {:.3}, check third {:.3}", tune.macro_f1(), check.macro_f1());
    assert!(tune.macro_f1() >= 0.83, "tuning part macro-F1 fell to {:.3}", tune.macro_f1());
    assert!(check.macro_f1() >= 0.67, "check third macro-F1 fell to {:.3}", check.macro_f1());
}
