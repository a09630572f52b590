//! `bench topics`: the configured taxonomy and localities scored against hand labels in the format
//! of `../shared/eval/vntc-topics-dev/` (`articles.jsonl`: `{"i", "text"}`, headline on the first
//! line; `labels.jsonl`: `{"i", "topics", "localities"}`). Per topic precision/recall/F1 and
//! macro-F1, locality micro P/R/F1, reported for the tuning part and for the check third
//! (`i % 3 == 0`, never read while tuning) apart, plus every wrong article with the words that made
//! each tag, so an office can label fifty of its own articles and see where its taxonomy errs.

use crate::analyze::{Analyzer, Context};
use anyhow::{Context as _, Result};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Deserialize)]
struct ArticleRow {
    i: i64,
    text: String,
}

#[derive(Deserialize)]
struct LabelRow {
    i: i64,
    topics: Vec<String>,
    localities: Vec<String>,
    /// Per labelled place: named in the title or the lead (optional in an office's own labels).
    #[serde(default)]
    locality_in_title_or_lead: BTreeMap<String, bool>,
}

/// Counts for one label: true positives, false positives, false negatives.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    fn add(&mut self, predicted: bool, labelled: bool) {
        match (predicted, labelled) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => {}
        }
    }
}

/// The scores of one part of the labelled set.
#[derive(Debug, Default)]
pub struct Score {
    pub articles: usize,
    pub topics: BTreeMap<String, Counts>,
    pub localities: Counts,
    /// Places found and labelled, by (labelled as named in the title or lead, tagged as about):
    /// how "about" and "in passing" split the places against what the labels say of position.
    pub place_position: BTreeMap<(bool, bool), usize>,
    /// Per article, per topic (in `topics`' order): (tagged, labelled). What the interval resamples.
    pub outcomes: Vec<Vec<(bool, bool)>>,
}

impl Score {
    pub fn macro_f1(&self) -> f64 {
        if self.topics.is_empty() {
            return 0.0;
        }
        self.topics.values().map(Counts::f1).sum::<f64>() / self.topics.len() as f64
    }

    /// The 95 % percentile bootstrap interval of macro-F1: the articles drawn again with
    /// replacement `rounds` times (a fixed seed, so a run repeats). With a few dozen positives per
    /// topic one article moves a topic's F1 by 0.05 or more; the interval says how far apart two
    /// figures must be before they differ.
    pub fn interval(&self, rounds: usize) -> Option<(f64, f64)> {
        let n = self.outcomes.len();
        let k = self.outcomes.first()?.len();
        if k == 0 || rounds == 0 {
            return None;
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            // splitmix64: enough for resampling, no dependency
            seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let mut figures: Vec<f64> = (0..rounds)
            .map(|_| {
                let mut counts = vec![Counts::default(); k];
                for _ in 0..n {
                    let row = &self.outcomes[(next() % n as u64) as usize];
                    for (c, &(tagged, labelled)) in counts.iter_mut().zip(row) {
                        c.add(tagged, labelled);
                    }
                }
                counts.iter().map(Counts::f1).sum::<f64>() / k as f64
            })
            .collect();
        figures.sort_by(f64::total_cmp);
        let at = |q: f64| figures[((rounds - 1) as f64 * q).round() as usize];
        Some((at(0.025), at(0.975)))
    }
}

/// One article's outcome, for the list of mistakes.
pub struct Outcome {
    pub i: i64,
    pub title: String,
    pub wrong_topics: Vec<String>,
    pub missed_topics: Vec<String>,
    pub wrong_localities: Vec<String>,
    pub missed_localities: Vec<String>,
}

/// The headline is the first line when the text has several, as VNTC files are published.
pub fn split_title(text: &str) -> (String, String) {
    let text = crate::text::normalize(text.trim());
    match text.split_once('\n') {
        Some((t, b)) if t.chars().count() <= 300 => (t.trim().to_string(), b.trim().to_string()),
        _ => (String::new(), text),
    }
}

/// A labelled article of the chosen part, its headline split off.
struct Labelled {
    i: i64,
    title: String,
    body: String,
    label: LabelRow,
}

/// The labelled articles `part` chooses (by `i`), in the articles file's order, and every topic
/// id the labels use.
fn read_labelled(articles: &Path, labels: &Path, part: impl Fn(i64) -> bool) -> Result<(BTreeSet<String>, Vec<Labelled>)> {
    let read = |p: &Path| std::fs::read_to_string(p).with_context(|| format!("{}", p.display()));
    let mut labels: BTreeMap<i64, LabelRow> = read(labels)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, l)| serde_json::from_str::<LabelRow>(l).map(|r| (r.i, r)).with_context(|| format!("labels line {}", n + 1)))
        .collect::<Result<_>>()?;
    let topic_ids: BTreeSet<String> = labels.values().flat_map(|l| l.topics.iter().cloned()).collect();
    let mut rows = Vec::new();
    for (n, line) in read(articles)?.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let a: ArticleRow = serde_json::from_str(line).with_context(|| format!("articles line {}", n + 1))?;
        if !part(a.i) {
            continue;
        }
        let Some(label) = labels.remove(&a.i) else { continue };
        let (title, body) = split_title(&a.text);
        rows.push(Labelled { i: a.i, title, body, label });
    }
    Ok((topic_ids, rows))
}

/// What the labelled articles are analysed as: Vietnamese news of a domestic source.
const LABELLED: Context<'static> = Context { page_lang: None, source_lang: Some("vi"), source: "labelled", origin: "domestic" };

/// Scores `analyzer` on the labelled articles; `part` chooses which (by `i`).
pub fn score(analyzer: &Analyzer, articles: &Path, labels: &Path, part: impl Fn(i64) -> bool) -> Result<(Score, Vec<Outcome>)> {
    let (topic_ids, rows) = read_labelled(articles, labels, part)?;
    let mut s = Score::default();
    for id in &topic_ids {
        s.topics.insert(id.clone(), Counts::default());
    }
    let mut outcomes = Vec::new();
    for Labelled { i, title, body, label } in &rows {
        let got = analyzer.analyze(title, body, &LABELLED);
        s.articles += 1;
        let mut o = Outcome {
            i: *i,
            title: title.chars().take(90).collect(),
            wrong_topics: vec![],
            missed_topics: vec![],
            wrong_localities: vec![],
            missed_localities: vec![],
        };
        let mut row = Vec::with_capacity(topic_ids.len());
        for id in &topic_ids {
            let tag = got.topics.iter().find(|t| &t.id == id);
            let labelled = label.topics.contains(id);
            row.push((tag.is_some(), labelled));
            if let Some(c) = s.topics.get_mut(id) {
                c.add(tag.is_some(), labelled);
            }
            match (tag, labelled) {
                (Some(t), false) => o.wrong_topics.push(format!("{id} {:?}", t.matched)),
                (None, true) => o.missed_topics.push(id.clone()),
                _ => {}
            }
        }
        s.outcomes.push(row);
        let got_places: BTreeSet<&str> = got.localities.iter().map(|l| l.id.as_str()).collect();
        let want_places: BTreeSet<&str> = label.localities.iter().map(String::as_str).collect();
        for p in got_places.union(&want_places) {
            let (g, w) = (got_places.contains(p), want_places.contains(p));
            s.localities.add(g, w);
            if let (true, Some(lead)) = (g && w, label.locality_in_title_or_lead.get(*p)) {
                let about = got.localities.iter().any(|l| l.id == *p && !l.passing);
                *s.place_position.entry((*lead, about)).or_default() += 1;
            }
            if g && !w {
                let m = got.localities.iter().find(|l| l.id == *p).map(|l| format!("{:?}", l.matched)).unwrap_or_default();
                o.wrong_localities.push(format!("{p} {m}"));
            } else if w && !g {
                o.missed_localities.push(p.to_string());
            }
        }
        let wrong =
            !(o.wrong_topics.is_empty() && o.missed_topics.is_empty() && o.wrong_localities.is_empty() && o.missed_localities.is_empty());
        if wrong {
            outcomes.push(o);
        }
    }
    Ok((s, outcomes))
}

pub fn print(name: &str, s: &Score) {
    print_topics(name, s);
    let l = &s.localities;
    println!(
        "  localities   precision {:.3}  recall {:.3}  F1 {:.3}  (tp {}, fp {}, fn {})",
        l.precision(),
        l.recall(),
        l.f1(),
        l.tp,
        l.fp,
        l.fn_
    );
    let n = |lead: bool, about: bool| s.place_position.get(&(lead, about)).copied().unwrap_or(0);
    if !s.place_position.is_empty() {
        println!(
            "  places about / in passing: labelled in the title or lead {} / {}, further down {} / {}",
            n(true, true),
            n(true, false),
            n(false, true),
            n(false, false)
        );
    }
}

/// Bootstrap rounds for the interval printed beside macro-F1.
const ROUNDS: usize = 2000;

fn print_topics(name: &str, s: &Score) {
    let interval = s.interval(ROUNDS).map(|(lo, hi)| format!(" (95 % bootstrap interval {lo:.3}–{hi:.3})")).unwrap_or_default();
    println!("{name}: {} articles, topics macro-F1 {:.3}{interval}", s.articles, s.macro_f1());
    for (id, c) in &s.topics {
        println!(
            "  {id:<12} precision {:.3}  recall {:.3}  F1 {:.3}  (tp {}, fp {}, fn {})",
            c.precision(),
            c.recall(),
            c.f1(),
            c.tp,
            c.fp,
            c.fn_
        );
    }
}

/// Cross-validation of the thresholds: every topic's `min_score` is chosen on `folds - 1` folds
/// (the value of a grid with the best F1 there, the shipped one on ties) and the articles of the
/// fold left out are tagged with it. The figures are then what choosing thresholds on labelled
/// articles gives on articles it did not see; the words of the rules themselves are the office's.
pub fn cross_validate(cfg: &crate::config::Config, articles: &Path, labels: &Path, part: impl Fn(i64) -> bool, folds: usize) -> Result<Score> {
    anyhow::ensure!(folds >= 2, "--folds must be at least 2");
    let (topic_ids, rows) = read_labelled(articles, labels, part)?;
    let grid: Vec<f64> = (2..=12).map(|k| k as f64 / 2.0).collect();
    // tagged[g][r]: the topics article r is about with every threshold at grid[g]
    let mut tagged: Vec<Vec<BTreeSet<String>>> = Vec::new();
    for &v in &grid {
        let topics: Vec<_> = cfg
            .topics
            .iter()
            .cloned()
            .map(|mut t| {
                t.min_score = v;
                t
            })
            .collect();
        let analyzer = Analyzer::new(&topics, &[]);
        tagged.push(rows.iter().map(|r| analyzer.analyze(&r.title, &r.body, &LABELLED).topics.into_iter().map(|t| t.id).collect()).collect());
    }
    let mut s = Score { articles: rows.len(), outcomes: vec![Vec::with_capacity(topic_ids.len()); rows.len()], ..Score::default() };
    for id in &topic_ids {
        let shipped = cfg.topics.iter().find(|t| &t.id == id).map_or(1.0, |t| t.min_score);
        let mut out = Counts::default();
        let mut chosen = Vec::new();
        for f in 0..folds {
            let counts = |g: usize, held_out: bool| {
                let mut c = Counts::default();
                for (r, row) in rows.iter().enumerate().filter(|(r, _)| (r % folds == f) == held_out) {
                    c.add(tagged[g][r].contains(id), row.label.topics.contains(id));
                }
                c
            };
            // the best F1 on the other folds; on ties, the value nearer the shipped one
            let train: Vec<f64> = (0..grid.len()).map(|g| counts(g, false).f1()).collect();
            let best = (0..grid.len())
                .max_by(|&a, &b| train[a].total_cmp(&train[b]).then((grid[b] - shipped).abs().total_cmp(&(grid[a] - shipped).abs())))
                .unwrap_or(0);
            chosen.push(grid[best]);
            for (r, row) in rows.iter().enumerate().filter(|(r, _)| r % folds == f) {
                s.outcomes[r].push((tagged[best][r].contains(id), row.label.topics.contains(id)));
            }
            let held = counts(best, true);
            out.tp += held.tp;
            out.fp += held.fp;
            out.fn_ += held.fn_;
        }
        println!("  {id:<12} min_score chosen per fold {chosen:?} (shipped {shipped})");
        s.topics.insert(id.clone(), out);
    }
    Ok(s)
}

/// The command: scores on the tuning part and on the check third, and the mistakes (to `details`)
/// of the tuning part only, so the check third stays unread; with `all`, one set.
pub fn run(config: &Path, articles: &Path, labels: &Path, details: Option<&Path>, all: bool, folds: Option<usize>) -> Result<()> {
    let cfg = crate::config::Config::load(config)?;
    let analyzer = Analyzer::new(&cfg.topics, &cfg.localities);
    if let Some(k) = folds {
        let name = if all { "all articles" } else { "tuning part (i % 3 != 0)" };
        println!("{name}, {k}-fold cross-validated thresholds:");
        let s = cross_validate(&cfg, articles, labels, |i| all || i % 3 != 0, k)?;
        print_topics(&format!("{name}, {k}-fold cross-validated"), &s);
        return Ok(());
    }
    if all {
        let (s, mistakes) = score(&analyzer, articles, labels, |_| true)?;
        print("all articles", &s);
        write_details(details, &mistakes)?;
        return Ok(());
    }
    let (tune, mistakes) = score(&analyzer, articles, labels, |i| i % 3 != 0)?;
    print("tuning part (i % 3 != 0)", &tune);
    let (check, _) = score(&analyzer, articles, labels, |i| i % 3 == 0)?;
    print("check third (i % 3 == 0)", &check);
    write_details(details, &mistakes)?;
    Ok(())
}

fn write_details(details: Option<&Path>, mistakes: &[Outcome]) -> Result<()> {
    let Some(path) = details else { return Ok(()) };
    let mut out = String::new();
    for o in mistakes {
        out.push_str(&format!(
            "{}\t{}\twrong: {:?}\tmissed: {:?}\tplaces wrong: {:?}\tplaces missed: {:?}\n",
            o.i, o.title, o.wrong_topics, o.missed_topics, o.wrong_localities, o.missed_localities
        ));
    }
    std::fs::write(path, out).with_context(|| format!("{}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A labelled set of our own: `n` articles about borders (the word in three paragraphs) and `n`
    /// that mention it once in passing.
    fn labelled(dir: &Path, n: i64) -> (std::path::PathBuf, std::path::PathBuf) {
        let (mut arts, mut labs) = (String::new(), String::new());
        for i in 0..2 * n {
            let about = i % 2 == 0;
            let text = if about {
                "Tuần tra\nBiên giới được giữ yên.\nĐường biên giới dài.\nCột mốc biên giới mới.\nTin khác."
            } else {
                "Chợ phiên\nHàng hóa qua biên giới tăng.\nGiá rau ổn định.\nChợ đông khách.\nTin khác."
            };
            arts.push_str(&serde_json::json!({"i": i, "text": text}).to_string());
            arts.push('\n');
            let topics: Vec<&str> = if about { vec!["bien-gioi"] } else { vec![] };
            labs.push_str(&serde_json::json!({"i": i, "topics": topics, "localities": []}).to_string());
            labs.push('\n');
        }
        let (a, l) = (dir.join("articles.jsonl"), dir.join("labels.jsonl"));
        std::fs::write(&a, arts).expect("write");
        std::fs::write(&l, labs).expect("write");
        (a, l)
    }

    #[test]
    fn thresholds_chosen_on_other_folds_separate_aboutness_from_a_passing_word() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, l) = labelled(dir.path(), 10);
        // shipped with the lowest bar, so any mention tags: cross-validation must find a better one
        let main = dir.path().join("presswatch.toml");
        std::fs::write(&main, "[[topic]]\nid='bien-gioi'\nname='B'\nmin_score=1\nquery='\"biên giới\"'\n").expect("write");
        let cfg = crate::config::Config::load(&main).expect("config");
        let s = cross_validate(&cfg, &a, &l, |_| true, 4).expect("cv");
        let c = s.topics["bien-gioi"];
        assert_eq!((c.tp, c.fp, c.fn_), (10, 0, 0));
        assert!(cross_validate(&cfg, &a, &l, |_| true, 1).is_err(), "one fold is no cross-validation");
        // every article's held-out outcome is kept: a perfect score has a point interval
        assert_eq!(s.outcomes.len(), 20);
        assert_eq!(s.interval(200), Some((1.0, 1.0)));
    }

    #[test]
    fn the_interval_is_wide_on_few_articles_and_narrows_with_more() {
        // one topic tagged right on 3 of every 4 positives and wrong on 1 of every 8 negatives
        let score = |n: usize| Score {
            outcomes: (0..n).map(|i| vec![if i % 2 == 0 { (i % 8 != 0, true) } else { (i % 16 == 1, false) }]).collect(),
            ..Score::default()
        };
        let (small, large) = (score(40).interval(1000).expect("interval"), score(4000).interval(1000).expect("interval"));
        assert!(small.0 < small.1 && large.0 < large.1);
        assert!(small.1 - small.0 > 2.0 * (large.1 - large.0), "{small:?} {large:?}");
        assert!(large.0 < 0.8 && 0.8 < large.1, "the F1 (0.8) lies inside: {large:?}");
        assert_eq!(score(40).interval(1000), score(40).interval(1000), "a fixed seed repeats");
        assert_eq!(Score::default().interval(1000), None);
    }
}
