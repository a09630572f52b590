//! Computes a report's figures: a few bulk reads from the store, then counting in memory.

use super::*;
use crate::config::Config;
use crate::model::{QueueState, QueueItem};
use crate::store::{QueueFilter, ReportArticle, Store};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Days before the period that make a topic's baseline for spikes.
const BASELINE_DAYS: i64 = 28;
/// Stories listed per topic.
const STORIES_PER_TOPIC: usize = 5;
const TOP_SOURCES: usize = 15;

pub async fn build(store: &Store, cfg: &Config, period: Period, now: DateTime<Utc>) -> Result<Report, ReportError> {
    let prev = period.previous();
    let current = store.report_articles(period.start(), period.end(), true).await?;
    let baseline_from = period.from - chrono::Duration::days(BASELINE_DAYS.max(prev.days()));
    let earlier = store.report_articles(crate::time::day_start(baseline_from), prev_end(&period), false).await?;
    let previous: Vec<&ReportArticle> = earlier.iter().filter(|a| a.at >= prev.start()).collect();

    let local_q = locality_query(cfg);
    let pq = period.query();
    let count = |filter: &dyn Fn(&ReportArticle) -> bool, q: &str| -> Count {
        let mut c = Count::default();
        for a in &current {
            if filter(a) {
                c.all += 1;
                c.local += !a.localities.is_empty() as u64;
            }
        }
        for a in &previous {
            if filter(a) {
                c.prev_all += 1;
                c.prev_local += !a.localities.is_empty() as u64;
            }
        }
        c.query = join_query(q, &pq);
        c.local_query = join_query(&join_query(q, &local_q), &pq);
        c
    };

    let mut days = Vec::new();
    let mut d = period.from;
    while d <= period.to {
        days.push(d);
        d += chrono::Duration::days(1);
    }
    let mut daily = vec![0u64; days.len()];
    for a in &current {
        if let Some(i) = period.day_index(a.at) {
            daily[i] += 1;
        }
    }

    // by origin, language, locality, source: keys seen in either period
    let keys = |f: &dyn Fn(&ReportArticle) -> Vec<String>| -> Vec<String> {
        let mut set: Vec<String> = current.iter().chain(previous.iter().copied()).flat_map(f).collect();
        set.sort();
        set.dedup();
        set
    };
    let origin_of = |a: &ReportArticle| a.origin.clone().unwrap_or_else(|| "unknown".into());
    let mut by_origin: Vec<Row> = ["domestic", "overseas", "foreign"]
        .iter()
        .map(|o| o.to_string())
        .chain(keys(&|a| vec![origin_of(a)]).into_iter().filter(|o| !matches!(o.as_str(), "domestic" | "overseas" | "foreign")))
        .map(|o| Row {
            name: origin_name(&o).to_string(),
            count: count(&|a| origin_of(a) == o, &format!("origin:{o}")),
            id: o,
        })
        .collect();
    by_origin.retain(|r| r.id != "unknown" || r.count.all + r.count.prev_all > 0);
    let mut by_lang: Vec<Row> = keys(&|a| vec![a.lang.clone()])
        .into_iter()
        .map(|l| Row { name: lang_name(&l), count: count(&|a| a.lang == l, &format!("lang:{l}")), id: l })
        .collect();
    sort_rows(&mut by_lang);
    let by_locality: Vec<Row> = cfg
        .localities
        .iter()
        .map(|l| Row {
            id: l.id.clone(),
            name: l.name.clone(),
            count: count(&|a| a.localities.iter().any(|x| x == &l.id), &format!("locality:{}", l.id)),
        })
        .collect();
    let source_name = |id: &str| cfg.sources.iter().find(|s| s.id.0 == id).map(|s| s.name.clone()).unwrap_or_else(|| id.to_string());
    let mut top_sources: Vec<Row> = keys(&|a| vec![a.source_id.clone()])
        .into_iter()
        .map(|s| Row { name: source_name(&s), count: count(&|a| a.source_id == s, &format!("source:{s}")), id: s })
        .filter(|r| r.count.all > 0)
        .collect();
    sort_rows(&mut top_sources);
    top_sources.truncate(TOP_SOURCES);

    // topics: the sensitive ones first, in configured order
    let mut topic_order: Vec<&crate::config::Topic> = cfg.topics.iter().filter(|t| t.sensitive).collect();
    topic_order.extend(cfg.topics.iter().filter(|t| !t.sensitive));
    let mut topics = Vec::new();
    for t in topic_order {
        let has = |a: &ReportArticle| a.topics.iter().any(|x| x == &t.id);
        let mut daily = vec![0u64; days.len()];
        for a in current.iter().filter(|a| has(a)) {
            if let Some(i) = period.day_index(a.at) {
                daily[i] += 1;
            }
        }
        let base_n = earlier.iter().filter(|a| a.at < period.start() && a.at >= crate::time::day_start(period.from - chrono::Duration::days(BASELINE_DAYS)) && has(a)).count();
        let baseline = base_n as f64 / BASELINE_DAYS as f64;
        let spikes = days
            .iter()
            .zip(&daily)
            .filter(|(_, &n)| is_spike(n, baseline))
            .map(|(d, &n)| Spike { day: *d, articles: n, query: join_query(&format!("topic:{}", t.id), &format!("date:{d}")) })
            .collect();
        let stories = stories(current.iter().filter(|a| has(a)), &source_name);
        topics.push(TopicSection {
            id: t.id.clone(),
            name: t.name.clone(),
            sensitive: t.sensitive,
            count: count(&has, &format!("topic:{}", t.id)),
            daily,
            baseline,
            spikes,
            stories,
        });
    }

    // new sources: first article about a locality falls in the period
    let mut new_sources = Vec::new();
    for (sid, _first, first_local) in store.source_first_seen().await? {
        if first_local.is_some_and(|t| t >= period.start() && t <= period.end()) {
            new_sources.push(Row { name: source_name(&sid), count: count(&|a| a.source_id == sid, &format!("source:{sid}")), id: sid });
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
            localities: cfg.localities.iter().map(|l| l.name.clone()).collect(),
        },
        period: info(&period),
        previous: info(&prev),
        search_url: format!("{}/search", cfg.server.public_url.trim_end_matches('/')),
        days,
        totals: Totals { articles: count(&|_| true, ""), sources: sources.len() as u64, languages: langs.len() as u64 },
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

/// `(locality:a OR locality:b)`; with no locality configured, a query nothing matches is pointless,
/// so the plain period query stands.
fn locality_query(cfg: &Config) -> String {
    let parts: Vec<String> = cfg.localities.iter().map(|l| format!("locality:{}", l.id)).collect();
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
pub(crate) fn is_spike(n: u64, baseline: f64) -> bool {
    let n = n as f64;
    n >= 5.0 && n >= 2.0 * baseline && n > baseline + 3.0 * baseline.sqrt()
}

/// Groups articles into stories by story id, else by their folded title, and ranks them by the
/// number of outlets, then articles.
fn stories<'a>(articles: impl Iterator<Item = &'a ReportArticle>, source_name: &(dyn Fn(&str) -> String + Sync)) -> Vec<Story> {
    let mut groups: HashMap<String, Vec<&ReportArticle>> = HashMap::new();
    for a in articles {
        let key = match a.story_id {
            Some(s) => format!("s{s}"),
            None => {
                let words: Vec<String> = crate::text::words(&a.title).iter().map(|w| w.folded()).collect();
                if words.is_empty() {
                    format!("a{}", a.id)
                } else {
                    format!("t{}", words.join(" "))
                }
            }
        };
        groups.entry(key).or_default().push(a);
    }
    let mut out: Vec<Story> = groups
        .into_values()
        .map(|mut g| {
            g.sort_by_key(|a| (a.at, a.id));
            let first = g[0];
            let mut outlets: Vec<String> = Vec::new();
            for a in &g {
                let n = source_name(&a.source_id);
                if !outlets.contains(&n) {
                    outlets.push(n);
                }
            }
            Story {
                title: first.title.clone(),
                url: first.url.clone(),
                article_id: first.id,
                articles: g.len() as u64,
                first_source: source_name(&first.source_id),
                first_at: first.at,
                outlets,
                local: g.iter().any(|a| !a.localities.is_empty()),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.outlets
            .len()
            .cmp(&a.outlets.len())
            .then(b.articles.cmp(&a.articles))
            .then(b.local.cmp(&a.local))
            .then(a.first_at.cmp(&b.first_at))
            .then(a.article_id.cmp(&b.article_id))
    });
    out.truncate(STORIES_PER_TOPIC);
    out
}

async fn queue_section(store: &Store, cfg: &Config, period: &Period, now: DateTime<Utc>) -> Result<QueueSection, ReportError> {
    let (rows, _) = store.queue_items(&QueueFilter { limit: i64::MAX, ..Default::default() }, now).await?;
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
            let name = cfg.agencies.iter().find(|x| &x.id == a).map(|x| x.name.clone()).unwrap_or_else(|| a.clone());
            let row = agencies.entry(a.clone()).or_insert_with(|| AgencyRow { id: a.clone(), name, flagged: 0, responded: 0, open: 0, overdue: 0 });
            row.flagged += flagged as u64;
            row.responded += responded as u64;
            row.open += open as u64;
            row.overdue += overdue as u64;
        }
        if open && it.priority == crate::model::Priority::Urgent {
            q.urgent_open.push(QueueRef {
                id: it.id,
                title: r.article_title.clone().unwrap_or_else(|| it.reason.clone()),
                priority: it.priority.as_str().into(),
                state: it.state.as_str().into(),
                agency: it.agency_id.as_ref().map(|a| cfg.agencies.iter().find(|x| &x.id == a).map(|x| x.name.clone()).unwrap_or_else(|| a.clone())),
                due_at: it.due_at,
                overdue,
            });
        }
    }
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
        failures.entry(sid).or_default().push(format!("{class} ×{n}"));
    }
    let mut out = Vec::new();
    for (sid, classes) in failures {
        let h = health.get(&sid);
        let mut detail = classes.join(", ");
        if let Some(e) = h.and_then(|h| h.last_error.as_ref()) {
            detail.push_str(&format!(" — {}", e.chars().take(160).collect::<String>()));
        }
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
