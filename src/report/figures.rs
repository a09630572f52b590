//! Computes a report's figures: a few bulk reads from the store, then counting in memory.

use super::*;
use crate::config::Config;
use crate::model::{QueueItem, QueueState};
use crate::store::{QueueFilter, ReportArticle, Store};
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Days before the period that make a topic's baseline for spikes.
const BASELINE_DAYS: i64 = 28;
/// Stories listed per topic.
const STORIES_PER_TOPIC: usize = 5;
const TOP_SOURCES: usize = 15;

pub async fn build(store: &Store, cfg: &Config, period: Period, now: DateTime<Utc>) -> Result<Report, ReportError> {
    let prev = period.previous();
    let baseline_from = period.from - chrono::Duration::days(BASELINE_DAYS.max(prev.days()));
    // "local" is the report's own localities: the others configured do not count as the office's
    let own = |mut v: Vec<ReportArticle>| {
        v.iter_mut().for_each(|a| a.localities.retain(|l| cfg.report.localities.contains(l)));
        v
    };
    let current = own(store.report_articles(period.start(), period.end(), true).await?);
    if current.is_empty() {
        let first = store.first_crawl_at().await?;
        if first.is_none_or(|f| f >= period.end()) {
            return Err(ReportError::BeforeData { period: period.label(), first: first.map(crate::time::local_date) });
        }
    }
    let earlier = own(store.report_articles(crate::time::day_start(baseline_from), prev_end(&period), false).await?);
    let firsts = store.source_first_local(&cfg.report.localities).await?;
    let previous: Vec<&ReportArticle> = earlier.iter().filter(|a| a.at >= prev.start()).collect();

    let local_q = locality_query(cfg);
    let pq = period.query();
    let tally = Tally::of(&current, &previous);
    let count = |dim: Dim, key: &str, q: &str| -> Count {
        let [all, local, prev_all, prev_local] = tally.get(dim, key);
        Count { all, local, prev_all, prev_local, query: join_query(q, &pq), local_query: join_query(&join_query(q, &local_q), &pq) }
    };

    let days: Vec<NaiveDate> = (0..period.days()).map(|i| period.from + chrono::Duration::days(i)).collect();
    // daily series, in total and per topic; and each topic's baseline from the weeks before
    let mut daily = vec![0u64; days.len()];
    let mut topic_daily: HashMap<&str, Vec<u64>> = HashMap::new();
    let mut topic_local_daily: HashMap<&str, Vec<u64>> = HashMap::new();
    for a in &current {
        if let Some(i) = period.day_index(a.at) {
            daily[i] += 1;
            for t in &a.topics {
                topic_daily.entry(t.as_str()).or_insert_with(|| vec![0; days.len()])[i] += 1;
                if !a.localities.is_empty() {
                    topic_local_daily.entry(t.as_str()).or_insert_with(|| vec![0; days.len()])[i] += 1;
                }
            }
        }
    }
    let baseline_start = crate::time::day_start(period.from - chrono::Duration::days(BASELINE_DAYS));
    let mut baseline_n: HashMap<&str, u64> = HashMap::new();
    for a in earlier.iter().filter(|a| a.at >= baseline_start) {
        for t in &a.topics {
            *baseline_n.entry(t.as_str()).or_default() += 1;
        }
    }

    let unknown = |o: &str| !matches!(o, "domestic" | "overseas" | "foreign");
    let mut by_origin: Vec<Row> = ["domestic", "overseas", "foreign"]
        .into_iter()
        .map(String::from)
        .chain(tally.keys(Dim::Origin).into_iter().filter(|o| unknown(o)))
        .map(|o| Row { name: origin_name(&o).to_string(), count: count(Dim::Origin, &o, &format!("origin:{o}")), id: o })
        .collect();
    by_origin.retain(|r| !unknown(&r.id) || r.count.all + r.count.prev_all > 0);
    let mut by_lang: Vec<Row> = tally
        .keys(Dim::Lang)
        .into_iter()
        .map(|l| Row { name: lang_name(&l), count: count(Dim::Lang, &l, &format!("lang:{l}")), id: l })
        .collect();
    sort_rows(&mut by_lang);
    let by_locality: Vec<Row> = own_localities(cfg)
        .map(|l| Row { id: l.id.clone(), name: l.name.clone(), count: count(Dim::Locality, &l.id, &format!("locality:{}", l.id)) })
        .collect();
    let source_name = |id: &str| cfg.sources.iter().find(|s| s.id.0 == id).map(|s| s.name.clone()).unwrap_or_else(|| id.to_string());
    let mut top_sources: Vec<Row> = tally
        .keys(Dim::Source)
        .into_iter()
        .map(|s| Row { name: source_name(&s), count: count(Dim::Source, &s, &format!("source:{s}")), id: s })
        .filter(|r| r.count.all > 0)
        .collect();
    sort_rows(&mut top_sources);
    top_sources.truncate(TOP_SOURCES);

    // topics: the sensitive ones first, in configured order
    let mut topic_order: Vec<&crate::config::Topic> = cfg.topics.iter().filter(|t| t.sensitive).collect();
    topic_order.extend(cfg.topics.iter().filter(|t| !t.sensitive));
    let mut stories = stories(&current, &source_name);
    let mut topics = Vec::new();
    for t in topic_order {
        let daily = topic_daily.remove(t.id.as_str()).unwrap_or_else(|| vec![0; days.len()]);
        let local_daily = topic_local_daily.remove(t.id.as_str()).unwrap_or_else(|| vec![0; days.len()]);
        let baseline = baseline_n.get(t.id.as_str()).copied().unwrap_or(0) as f64 / BASELINE_DAYS as f64;
        let spikes = days
            .iter()
            .zip(&daily)
            .filter(|(_, &n)| is_spike(n, baseline))
            .map(|(d, &n)| Spike { day: *d, articles: n, query: join_query(&format!("topic:{}", t.id), &format!("date:{d}")) })
            .collect();
        topics.push(TopicSection {
            id: t.id.clone(),
            name: t.name.clone(),
            sensitive: t.sensitive,
            count: count(Dim::Topic, &t.id, &format!("topic:{}", t.id)),
            daily,
            local_daily,
            baseline,
            spikes,
            stories: stories.remove(t.id.as_str()).unwrap_or_default(),
        });
    }

    // new sources: first article about a locality falls in the period
    let mut new_sources = Vec::new();
    for (sid, first_local) in firsts {
        if first_local >= period.start() && first_local <= period.end() {
            new_sources.push(Row { name: source_name(&sid), count: count(Dim::Source, &sid, &format!("source:{sid}")), id: sid });
        }
    }
    sort_rows(&mut new_sources);

    let queue = queue_section(store, cfg, &period, now).await?;
    let source_health = source_health(store, cfg, &period, &current, &earlier, &source_name).await?;

    let sources: HashSet<&str> = current.iter().map(|a| a.source_id.as_str()).collect();
    let langs: HashSet<&str> = current.iter().map(|a| a.lang.as_str()).collect();
    let info = |p: &Period| PeriodInfo { label: p.label(), from: p.from, to: p.to, start: p.start(), end: p.end() };
    Ok(Report {
        schema: SCHEMA,
        generated_at: now,
        header: Header {
            parent_organization: cfg.report.parent_organization.clone(),
            organization: cfg.report.organization.clone(),
            place: cfg.report.place.clone(),
            signer: cfg.report.signer.clone(),
            localities: own_localities(cfg).map(|l| l.name.clone()).collect(),
        },
        period: info(&period),
        previous: info(&prev),
        search_url: format!("{}/search", cfg.server.public_url.trim_end_matches('/')),
        days,
        totals: Totals { articles: count(Dim::All, "", ""), sources: sources.len() as u64, languages: langs.len() as u64 },
        daily,
        by_origin,
        by_lang,
        by_locality,
        topics,
        top_sources,
        new_sources,
        queue,
        source_health,
    })
}

fn prev_end(p: &Period) -> DateTime<Utc> {
    p.start() - chrono::Duration::seconds(1)
}

/// The localities the report is about (`report.localities`), in configuration order.
fn own_localities(cfg: &Config) -> impl Iterator<Item = &crate::config::Locality> {
    cfg.localities.iter().filter(|l| cfg.report.localities.contains(&l.id))
}

/// `(locality:a OR locality:b)`; with no locality configured, a query nothing matches is pointless,
/// so the plain period query stands.
fn locality_query(cfg: &Config) -> String {
    let parts: Vec<String> = own_localities(cfg).map(|l| format!("locality:{}", l.id)).collect();
    match parts.len() {
        0 => String::new(),
        1 => parts[0].clone(),
        _ => format!("({})", parts.join(" OR ")),
    }
}

fn join_query(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a} {b}"),
    }
}

fn sort_rows(rows: &mut [Row]) {
    rows.sort_by(|a, b| b.count.all.cmp(&a.count.all).then(b.count.prev_all.cmp(&a.count.prev_all)).then(a.id.cmp(&b.id)));
}

/// A day is a spike when it has at least 5 articles, at least twice the baseline, and more than
/// three standard deviations above it (counts taken as Poisson, so the deviation is √baseline).
pub fn is_spike(n: u64, baseline: f64) -> bool {
    let n = n as f64;
    n >= 5.0 && n >= 2.0 * baseline && n > baseline + 3.0 * baseline.sqrt()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Dim {
    All,
    Origin,
    Lang,
    Source,
    Locality,
    Topic,
}

/// Counts per (dimension, key) for both periods, in one pass over each: [all, local, prev_all, prev_local].
struct Tally<'a>(HashMap<(Dim, &'a str), [u64; 4]>);

impl<'a> Tally<'a> {
    fn of(current: &'a [ReportArticle], previous: &[&'a ReportArticle]) -> Tally<'a> {
        let mut m: HashMap<(Dim, &'a str), [u64; 4]> = HashMap::new();
        for (articles, col) in [(current.iter().collect::<Vec<_>>(), 0), (previous.to_vec(), 2)] {
            for a in articles {
                let local = !a.localities.is_empty() as u64;
                let mut add = |k: (Dim, &'a str)| {
                    let c = m.entry(k).or_default();
                    c[col] += 1;
                    c[col + 1] += local;
                };
                add((Dim::All, ""));
                add((Dim::Origin, a.origin.as_deref().unwrap_or("unknown")));
                add((Dim::Lang, &a.lang));
                add((Dim::Source, &a.source_id));
                a.localities.iter().for_each(|l| add((Dim::Locality, l)));
                a.topics.iter().for_each(|t| add((Dim::Topic, t)));
            }
        }
        Tally(m)
    }

    fn get(&self, dim: Dim, key: &str) -> [u64; 4] {
        self.0.get(&(dim, key)).copied().unwrap_or_default()
    }

    /// The keys seen in either period, sorted.
    fn keys(&self, dim: Dim) -> Vec<String> {
        let mut k: Vec<String> = self.0.keys().filter(|(d, _)| *d == dim).map(|(_, k)| k.to_string()).collect();
        k.sort();
        k
    }
}

/// What makes two articles one story until stories are clustered: the same story id, else the same
/// title (case, punctuation and spacing aside).
fn story_key(a: &ReportArticle) -> String {
    match a.story_id {
        Some(s) => format!("s{s}"),
        None => {
            let mut k = String::with_capacity(a.title.len() + 1);
            k.push('t');
            for w in a.title.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
                if k.len() > 1 {
                    k.push(' ');
                }
                k.extend(w.chars().flat_map(char::to_lowercase));
            }
            if k.len() == 1 {
                k = format!("a{}", a.id);
            }
            k
        }
    }
}

/// Each topic's most carried stories: articles grouped by `story_key`, ranked by the number of
/// outlets, then articles. Keys are interned and each topic's (key, article) pairs sorted, so the
/// grouping allocates per topic, not per group.
fn stories<'a>(articles: &'a [ReportArticle], source_name: &dyn Fn(&str) -> String) -> HashMap<&'a str, Vec<Story>> {
    let mut interned: HashMap<String, u32> = HashMap::new();
    let mut pairs: HashMap<&str, Vec<(u32, usize)>> = HashMap::new();
    for (i, a) in articles.iter().enumerate() {
        if a.topics.is_empty() {
            continue;
        }
        let next = interned.len() as u32;
        let key = *interned.entry(story_key(a)).or_insert(next);
        for t in &a.topics {
            pairs.entry(t.as_str()).or_default().push((key, i));
        }
    }
    pairs
        .into_iter()
        .map(|(topic, mut v)| {
            v.sort_unstable();
            // (outlets, articles, local, first time, first id, run) with cheap figures first
            let mut ranked: Vec<(usize, usize, bool, DateTime<Utc>, i64, &[(u32, usize)])> = v
                .chunk_by(|x, y| x.0 == y.0)
                .map(|run| {
                    let first = run.iter().map(|p| &articles[p.1]).min_by_key(|a| (a.at, a.id)).unwrap_or(&articles[run[0].1]);
                    let outlets =
                        if run.len() == 1 { 1 } else { run.iter().map(|p| articles[p.1].source_id.as_str()).collect::<HashSet<_>>().len() };
                    let local = run.iter().any(|p| !articles[p.1].localities.is_empty());
                    (outlets, run.len(), local, first.at, first.id, run)
                })
                .collect();
            let order = |a: &(usize, usize, bool, DateTime<Utc>, i64, &[(u32, usize)]),
                         b: &(usize, usize, bool, DateTime<Utc>, i64, &[(u32, usize)])| {
                b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2)).then(a.3.cmp(&b.3)).then(a.4.cmp(&b.4))
            };
            if ranked.len() > STORIES_PER_TOPIC {
                ranked.select_nth_unstable_by(STORIES_PER_TOPIC - 1, order);
                ranked.truncate(STORIES_PER_TOPIC);
            }
            ranked.sort_by(order);
            let list = ranked
                .into_iter()
                .map(|(_, n, local, at, id, run)| {
                    let mut members: Vec<&ReportArticle> = run.iter().map(|p| &articles[p.1]).collect();
                    members.sort_by_key(|a| (a.at, a.id));
                    let mut outlets: Vec<String> = Vec::new();
                    for a in &members {
                        let name = source_name(&a.source_id);
                        if !outlets.contains(&name) {
                            outlets.push(name);
                        }
                    }
                    Story {
                        title: members[0].title.clone(),
                        url: members[0].url.clone(),
                        article_id: id,
                        articles: n as u64,
                        first_source: source_name(&members[0].source_id),
                        first_at: at,
                        outlets,
                        local,
                    }
                })
                .collect();
            (topic, list)
        })
        .collect()
}

async fn queue_section(store: &Store, cfg: &Config, period: &Period, now: DateTime<Utc>) -> Result<QueueSection, ReportError> {
    // every item: `queue_items` pages (at most 500 a page), so read page by page
    let mut rows = Vec::new();
    loop {
        let (page, total) = store.queue_items(&QueueFilter { limit: 500, offset: rows.len() as i64, ..Default::default() }, now).await?;
        let last = page.is_empty() || rows.len() + page.len() >= total as usize;
        rows.extend(page);
        if last {
            break;
        }
    }
    let agency_name = |a: &String| cfg.agencies.iter().find(|x| &x.id == a).map(|x| x.name.clone()).unwrap_or_else(|| a.clone());
    let within = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t >= period.start() && t <= period.end());
    let mut q = QueueSection::default();
    let mut agencies: BTreeMap<String, AgencyRow> = BTreeMap::new();
    let mut hours = Vec::new();
    for r in &rows {
        let it: &QueueItem = &r.item;
        let open = it.state.is_open();
        let overdue = it.is_overdue(now);
        let flagged = within(Some(it.created_at));
        let responded = within(it.responded_at);
        q.flagged += flagged as u64;
        q.responded += responded as u64;
        q.closed += (it.state == QueueState::Closed && within(it.closed_at)) as u64;
        q.dismissed += (it.state == QueueState::Dismissed && within(it.closed_at)) as u64;
        q.open += open as u64;
        q.overdue += overdue as u64;
        if responded {
            if let Some(t) = it.responded_at {
                hours.push((t - it.created_at).num_seconds() as f64 / 3600.0);
            }
        }
        if let Some(a) = &it.agency_id {
            let row = agencies.entry(a.clone()).or_insert_with(|| AgencyRow {
                id: a.clone(),
                name: agency_name(a),
                flagged: 0,
                responded: 0,
                open: 0,
                overdue: 0,
            });
            row.flagged += flagged as u64;
            row.responded += responded as u64;
            row.open += open as u64;
            row.overdue += overdue as u64;
        }
        // "urgent" alone left a week of open high-priority items reported as "none"
        if open && matches!(it.priority, crate::model::Priority::Urgent | crate::model::Priority::High) {
            q.urgent_open.push(QueueRef {
                id: it.id,
                title: r.title_with_gloss().unwrap_or_else(|| it.reason.clone()),
                priority: it.priority.as_str().into(),
                state: it.state.as_str().into(),
                agency: it.agency_id.as_ref().map(agency_name),
                due_at: it.due_at,
                overdue,
            });
        }
    }
    // urgent before high; overdue first within each (the order they were read in otherwise)
    q.urgent_open.sort_by_key(|r| (r.priority != "urgent", !r.overdue));
    q.median_hours_to_response = median(&mut hours);
    q.by_agency = agencies.into_values().filter(|a| a.flagged + a.responded + a.open > 0).collect();
    Ok(q)
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 })
}

/// Sources whose fetches failed during the period, and sources that published in the four weeks
/// before it but nothing in it.
async fn source_health(
    store: &Store,
    cfg: &Config,
    period: &Period,
    current: &[ReportArticle],
    earlier: &[ReportArticle],
    source_name: &(dyn Fn(&str) -> String + Sync),
) -> Result<Vec<SourceIssue>, ReportError> {
    let health: HashMap<String, crate::store::FeedHealthRow> =
        store.feed_health_rows().await?.into_iter().map(|h| (h.source_id.clone(), h)).collect();
    let mut failures: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (sid, class, n) in store.failures_between(period.start(), period.end()).await? {
        // named for the reader (the raw error is on the Sources page, not in a leader's report)
        let said = crate::model::FailureClass::parse(&class).map_or(class.clone(), |c| c.describe().0.to_string());
        failures.entry(sid).or_default().push(format!("{said} ×{n}"));
    }
    let mut out = Vec::new();
    for (sid, classes) in failures {
        let h = health.get(&sid);
        let detail = classes.join("; ");
        out.push(SourceIssue {
            name: source_name(&sid),
            problem: "failing".into(),
            detail,
            last_success_at: h.and_then(|h| h.last_success_at),
            id: sid,
        });
    }
    let active: HashSet<&str> = current.iter().map(|a| a.source_id.as_str()).collect();
    let before: BTreeMap<&str, usize> = earlier.iter().fold(BTreeMap::new(), |mut m, a| {
        *m.entry(a.source_id.as_str()).or_default() += 1;
        m
    });
    for (sid, n) in before {
        let enabled = cfg.sources.iter().any(|s| s.id.0 == sid && s.enabled);
        if enabled && !active.contains(sid) && !out.iter().any(|o| o.id == sid) {
            out.push(SourceIssue {
                id: sid.to_string(),
                name: source_name(sid),
                problem: "silent".into(),
                detail: format!("{n} bài trong 4 tuần trước, không có bài nào trong kỳ"),
                last_success_at: health.get(sid).and_then(|h| h.last_success_at),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spikes_need_volume_and_distance() {
        assert!(!is_spike(4, 0.0), "too few articles to matter");
        assert!(is_spike(5, 0.0));
        assert!(is_spike(12, 3.0));
        assert!(!is_spike(8, 3.0), "within three deviations of 3/day");
        assert!(!is_spike(40, 30.0), "not twice the baseline");
    }

    #[test]
    fn median_even_and_odd() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
