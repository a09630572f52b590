//! Standing queries on new articles. After the story stage, every article not seen yet is held
//! against each auto-flag rule (which opens one queue item per story) and each alert (which records
//! one event per story, so a story alerts once however many outlets carry it). Spikes (a topic ×
//! locality day well above its four-week baseline, by the report's rule) are alert events too.
//! `dispatch` then hands due events to delivery: at once, or gathered into a digest, and held
//! through quiet hours; `notify` delivers them by e-mail and webhook with retries.
//!
//! Queries are evaluated by the tagging matcher on the article itself (precision first: a folded
//! match only counts in text written without diacritics), with `topic:`/`locality:` answered from
//! the article's tags.

pub mod notify;

use crate::analyze::matcher::{self, Doc, Rule};
use crate::config::{Alert, Conditions, Config};
use crate::model::Article;
use crate::store::{RuleItem, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

const CURSOR_KEY: &str = "watch_cursor";
const BATCH: i64 = 500;
/// On first start (no cursor yet) only articles fetched this recently are held against the rules:
/// a rule added to an install with years of articles must not flood the queue with old news.
const FIRST_RUN_LOOKBACK_HOURS: i64 = 48;
/// Days of history a spike is measured against (the report's baseline).
const SPIKE_BASELINE_DAYS: i64 = 28;

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct WatchSummary {
    pub articles: usize,
    pub items_opened: usize,
    pub alert_events: usize,
    pub dispatched: usize,
}

struct Compiled<'a> {
    when: &'a Conditions,
    query: Option<Rule>,
}

impl<'a> Compiled<'a> {
    fn new(when: &'a Conditions) -> Compiled<'a> {
        Compiled { when, query: when.query.as_ref().map(Rule::compile) }
    }

    fn needs_story(&self) -> bool {
        self.when.min_story_size > 1 || self.when.min_story_growth > 0
    }

    /// Whether the article meets every condition but the story's size and growth (cheap ones first).
    fn holds_before_story(&self, a: &Article, doc: &Doc) -> bool {
        let w = self.when;
        let origin = a.origin.map(|o| o.as_str()).unwrap_or("");
        if !w.origins.is_empty() && !w.origins.iter().any(|o| o.as_str() == origin) {
            return false;
        }
        if !w.sources.is_empty() && !w.sources.contains(&a.source.0) {
            return false;
        }
        if !w.langs.is_empty() && !w.langs.contains(&a.lang) {
            return false;
        }
        if !w.localities.is_empty() && !a.localities.iter().any(|l| !l.passing && w.localities.contains(&l.id)) {
            return false;
        }
        if let Some(q) = &self.query {
            if matcher::eval(q, doc).is_none() {
                return false;
            }
        }
        true
    }

    /// The story conditions, given the story's (size, articles within the growth window).
    fn story_holds(&self, stats: Option<(i64, i64)>) -> bool {
        let w = self.when;
        match stats {
            _ if !self.needs_story() => true,
            None => false,
            Some((size, recent)) => size as usize >= w.min_story_size && recent as usize >= w.min_story_growth,
        }
    }
}

/// A story's statistics, read at most once per growth window for one article, and only when a rule
/// or alert got as far as asking.
struct StoryCache<'a> {
    store: &'a Store,
    story: Option<i64>,
    now: DateTime<Utc>,
    seen: HashMap<u64, Option<(i64, i64)>>,
}

impl StoryCache<'_> {
    async fn holds(&mut self, c: &Compiled<'_>) -> Result<bool, StoreError> {
        if !c.needs_story() {
            return Ok(true);
        }
        let w = c.when.growth_window;
        let stats = match self.seen.get(&w.as_secs()) {
            Some(s) => *s,
            None => {
                let s = match self.story {
                    Some(id) => {
                        let st = self.store.story_stats(id, self.now - Duration::from_std(w).unwrap_or(Duration::days(1))).await?;
                        Some((st.articles, st.recent))
                    }
                    None => None,
                };
                self.seen.insert(w.as_secs(), s);
                s
            }
        };
        Ok(c.story_holds(stats))
    }
}

/// Whether evaluating the query looks at the text at all (`has_text` ignores negated terms; here
/// they count, since `-"du lịch"` must see the text to hold).
fn reads_text(r: &Rule) -> bool {
    match r {
        Rule::Text { .. } => true,
        Rule::And(v) | Rule::Or(v) => v.iter().any(reads_text),
        Rule::Not(x) => reads_text(x),
        Rule::Field { .. } | Rule::Never => false,
    }
}

/// Holds every article the story stage has reached since the last run against the rules and
/// alerts, then looks for spikes. Safe to run at any time; each article is seen once.
pub async fn run(store: &Store, cfg: &Config, now: DateTime<Utc>) -> Result<WatchSummary, StoreError> {
    let mut summary = WatchSummary::default();
    let in_force = alerts(store, cfg).await?;
    let rules: Vec<(&crate::config::FlagRule, Compiled)> = cfg.rules.iter().map(|r| (r, Compiled::new(&r.when))).collect();
    let alerts: Vec<(&Alert, Option<Compiled>)> = in_force.iter().map(|a| (a, a.when.as_ref().map(Compiled::new))).collect();
    let saved = store.meta(CURSOR_KEY).await?;
    let first_run = saved.is_none();
    let mut cursor: i64 = saved.and_then(|v| v.parse().ok()).unwrap_or(0);
    // keying every word of the text is most of the cost; queries that only name tags, origin or
    // source do not need it
    let needs_text =
        rules.iter().map(|(_, c)| c).chain(alerts.iter().filter_map(|(_, c)| c.as_ref())).any(|c| c.query.as_ref().is_some_and(reads_text));
    let oldest = now - Duration::hours(FIRST_RUN_LOOKBACK_HOURS);
    loop {
        let ids = store.storied_ids_after(cursor, BATCH).await?;
        let Some(last) = ids.last().cloned() else { break };
        if !rules.is_empty() || !alerts.is_empty() {
            for a in store.articles(&ids).await? {
                if first_run && a.fetched_at < oldest {
                    continue;
                }
                summary.articles += 1;
                let (o, e) = hold(store, cfg, &rules, &alerts, needs_text, &a, now).await?;
                summary.items_opened += o;
                summary.alert_events += e;
            }
        }
        cursor = last.0;
        store.set_meta(CURSOR_KEY, &cursor.to_string()).await?;
    }
    if first_run && cursor == 0 {
        store.set_meta(CURSOR_KEY, "0").await?;
    }
    summary.alert_events += spikes(store, cfg, now).await?;
    summary.dispatched = dispatch_to(store, cfg, &in_force, now).await?;
    Ok(summary)
}

/// The alerts in force: the configured ones, and saved searches that e-mail their owner (named
/// `saved.<id>`: a dot never appears in a configured id, so the two cannot collide).
pub async fn alerts(store: &Store, cfg: &Config) -> Result<Vec<Alert>, StoreError> {
    let mut all = cfg.alerts.clone();
    for s in store.alerting_searches().await? {
        let (Ok(query), Some(email)) = (crate::query::parse(&s.query), s.alert_email) else {
            tracing::warn!(search = s.id, "saved search cannot alert: its query no longer parses");
            continue;
        };
        all.push(Alert {
            id: format!("saved.{}", s.id),
            name: s.name,
            when: Some(Conditions { query: Some(query), query_text: Some(s.query), ..Default::default() }),
            rules: Vec::new(),
            spikes: false,
            email: vec![email],
            webhook: None,
            digest: s.alert_digest.then_some(std::time::Duration::from_secs(24 * 3600)),
            quiet_hours: None,
        });
    }
    Ok(all)
}

/// Makes the next run hold every stored article against the rules again (benchmarks).
pub async fn rewind(store: &Store) -> Result<(), StoreError> {
    store.set_meta(CURSOR_KEY, "0").await
}

/// One article against every rule and alert; returns (items opened, alert events recorded).
async fn hold(
    store: &Store,
    cfg: &Config,
    rules: &[(&crate::config::FlagRule, Compiled<'_>)],
    alerts: &[(&Alert, Option<Compiled<'_>>)],
    needs_text: bool,
    a: &Article,
    now: DateTime<Utc>,
) -> Result<(usize, usize), StoreError> {
    let origin = a.origin.map(|o| o.as_str()).unwrap_or("");
    let (title, text) = if needs_text { (a.title.as_str(), a.text.as_str()) } else { ("", "") };
    let mut doc = Doc::new(title, text, &a.lang, &a.source.0, origin);
    doc.topics = a.topics.iter().map(|t| t.id.clone()).collect();
    doc.mentions = a.topics.iter().chain(&a.mentions).map(|t| t.id.clone()).collect();
    // rules and alerts count the places an article is about, not those it names in passing
    doc.localities = a.localities.iter().filter(|l| !l.passing).map(|l| l.id.clone()).collect();
    let mut story = StoryCache { store, story: a.story_id, now, seen: HashMap::new() };
    let (mut opened, mut events) = (0, 0);
    let mut fired_rules: Vec<&str> = Vec::new();
    for (r, c) in rules {
        if !c.holds_before_story(a, &doc) || !story.holds(c).await? {
            continue;
        }
        fired_rules.push(&r.id);
        let item = RuleItem {
            article: a.id.clone(),
            story: a.story_id,
            rule_id: &r.id,
            reason: &r.reason,
            priority: r.priority,
            agency: r.agency.as_deref(),
        };
        if let Some(i) = store.open_rule_item(&item, now).await? {
            tracing::info!(rule = %r.id, item = i.id, article = a.id.0, "rule opened a queue item");
            opened += 1;
        }
    }
    for (alert, c) in alerts {
        let by_query = match c {
            Some(c) => c.holds_before_story(a, &doc) && story.holds(c).await?,
            None => false,
        };
        let by_rule = alert.rules.iter().any(|r| fired_rules.contains(&r.as_str()));
        if !(by_query || by_rule) {
            continue;
        }
        let key = match a.story_id {
            Some(s) => format!("story:{s}"),
            None => format!("article:{}", a.id.0),
        };
        let source = cfg.source(&a.source).map(|s| s.name.as_str()).unwrap_or(&a.source.0);
        let summary = format!("{} — {source}", a.title.trim());
        if store.add_alert_event(&alert.id, &key, Some(a.id.clone()), a.story_id, &summary, now).await? {
            events += 1;
        }
    }
    Ok((opened, events))
}

/// Topic × locality spikes on the current local day, for alerts that listen to them.
async fn spikes(store: &Store, cfg: &Config, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let listening: Vec<&Alert> = cfg.alerts.iter().filter(|a| a.spikes).collect();
    if listening.is_empty() {
        return Ok(0);
    }
    let today = (now.timestamp() + 7 * 3600).div_euclid(86400);
    let since = DateTime::from_timestamp((today - SPIKE_BASELINE_DAYS) * 86400 - 7 * 3600, 0).unwrap_or(now);
    let mut by_pair: HashMap<(String, String), (u64, u64)> = HashMap::new();
    for (topic, locality, day, n) in store.topic_locality_days(since).await? {
        let e = by_pair.entry((topic, locality)).or_default();
        if day == today {
            e.0 += n.max(0) as u64;
        } else if day < today {
            e.1 += n.max(0) as u64;
        }
    }
    let mut events = 0;
    let day = crate::time::local_date(now);
    for ((topic, locality), (n, before)) in by_pair {
        let baseline = before as f64 / SPIKE_BASELINE_DAYS as f64;
        if !crate::report::is_spike(n, baseline) {
            continue;
        }
        let tname = cfg.topics.iter().find(|t| t.id == topic).map(|t| t.name.as_str()).unwrap_or(&topic);
        let lname = cfg.localities.iter().find(|l| l.id == locality).map(|l| l.name.as_str()).unwrap_or(&locality);
        let summary = format!("Tăng đột biến / spike: {tname} × {lname}: {n} bài hôm nay (trung bình {baseline:.1}/ngày)");
        let key = format!("spike:{topic}:{locality}:{day}");
        for a in &listening {
            if store.add_alert_event(&a.id, &key, None, None, &summary, now).await? {
                events += 1;
            }
        }
    }
    Ok(events)
}

/// Whether `now` falls in the quiet hours (local minutes of the day, possibly wrapping midnight).
pub fn in_quiet_hours(quiet: Option<(u32, u32)>, now: DateTime<Utc>) -> bool {
    let Some((from, to)) = quiet else { return false };
    let local = now.with_timezone(&crate::time::ZONE);
    let m = chrono::Timelike::hour(&local) * 60 + chrono::Timelike::minute(&local);
    if from < to {
        (from..to).contains(&m)
    } else {
        m >= from || m < to
    }
}

/// Hands each alert's due events to delivery; returns how many events went out.
pub async fn dispatch(store: &Store, cfg: &Config, now: DateTime<Utc>) -> Result<usize, StoreError> {
    dispatch_to(store, cfg, &alerts(store, cfg).await?, now).await
}

async fn dispatch_to(store: &Store, cfg: &Config, alerts: &[Alert], now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut sent = 0;
    for alert in alerts {
        if in_quiet_hours(alert.quiet_hours, now) {
            continue;
        }
        let events = store.unsent_alert_events(&alert.id).await?;
        if events.is_empty() {
            continue;
        }
        if let Some(period) = alert.digest {
            let last = store.last_alert_dispatch(&alert.id).await?;
            if last.is_some_and(|t| now - t < Duration::from_std(period).unwrap_or(Duration::hours(1))) {
                continue;
            }
        }
        let message = notify::Message::new(alert, &events, cfg, now);
        let payload = serde_json::to_string(&message).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let first = events.first().map(|e| e.id).unwrap_or_default();
        let last = events.last().map(|e| e.id).unwrap_or_default();
        let mut jobs = Vec::new();
        if !alert.email.is_empty() {
            jobs.push((format!("{}:email:{first}-{last}", alert.id), payload.clone()));
        }
        if alert.webhook.is_some() {
            jobs.push((format!("{}:webhook:{first}-{last}", alert.id), payload.clone()));
        }
        let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
        store.dispatch_alert_events(&ids, &jobs, now).await?;
        sent += ids.len();
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        // local time = UTC + 7
        let local = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).and_then(|d| d.and_hms_opt(h, m, 0)).expect("time");
        local.and_utc() - Duration::hours(7)
    }

    #[test]
    fn negated_terms_read_the_text() {
        let q = |s: &str| Rule::compile(&crate::query::parse(s).expect("query"));
        assert!(!reads_text(&q("topic:bien-dao OR locality:can-gio")));
        assert!(reads_text(&q("topic:bien-dao -\"du lịch\"")));
        assert!(reads_text(&q("biển")));
    }

    #[test]
    fn quiet_hours_wrap_midnight_in_local_time() {
        let q = Some((22 * 60, 6 * 60));
        assert!(in_quiet_hours(q, at(23, 0)));
        assert!(in_quiet_hours(q, at(2, 30)));
        assert!(!in_quiet_hours(q, at(6, 0)));
        assert!(!in_quiet_hours(q, at(12, 0)));
        assert!(in_quiet_hours(Some((12 * 60, 13 * 60)), at(12, 59)));
        assert!(!in_quiet_hours(None, at(23, 0)));
    }
}
