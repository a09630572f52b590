//! The overview leaders open first ("Tổng quan") and the morning digest mails: the last 24 hours
//! beside the 24 before them, and the last seven days (today included) as a report of that
//! rolling period, so every figure, spike, story and queue count is the report's own.

use super::{build, Period, Report, ReportError, Story};
use crate::config::Config;
use crate::store::Store;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// Stories listed: the ones carried by most outlets.
const STORIES: usize = 8;

#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub generated_at: DateTime<Utc>,
    pub day: DayFigures,
    /// The seven days up to today; None before the first crawl (nothing to show yet).
    pub week: Option<Report>,
    /// The sensitive topics' stories of the week, by how many outlets carried them.
    pub stories: Vec<Story>,
}

/// The last 24 hours against the 24 hours before them.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct DayFigures {
    pub articles: u64,
    pub local: u64,
    /// About at least one sensitive topic.
    pub sensitive: u64,
    pub prev_articles: u64,
    pub prev_local: u64,
    pub prev_sensitive: u64,
}

pub async fn overview(store: &Store, cfg: &Config, now: DateTime<Utc>) -> Result<Overview, ReportError> {
    let today = crate::time::local_date(now);
    let period = Period::new(today - Duration::days(6), today)?;
    let week = match build(store, cfg, period, now).await {
        Ok(r) => Some(r),
        Err(ReportError::BeforeData { .. }) => None,
        Err(e) => return Err(e),
    };
    let sensitive: Vec<&str> = cfg.topics.iter().filter(|t| t.sensitive).map(|t| t.id.as_str()).collect();
    let mut day = DayFigures::default();
    for a in store.report_articles(now - Duration::hours(48), now, false).await? {
        let recent = a.at > now - Duration::hours(24);
        let local = a.localities.iter().any(|l| cfg.report.localities.contains(l));
        let touchy = a.topics.iter().any(|t| sensitive.contains(&t.as_str()));
        let (n, l, s) = if recent {
            (&mut day.articles, &mut day.local, &mut day.sensitive)
        } else {
            (&mut day.prev_articles, &mut day.prev_local, &mut day.prev_sensitive)
        };
        *n += 1;
        *l += local as u64;
        *s += touchy as u64;
    }
    let stories = week.as_ref().map(top_stories).unwrap_or_default();
    Ok(Overview { generated_at: now, day, week, stories })
}

/// The sensitive topics' stories, each once, most outlets first.
fn top_stories(r: &Report) -> Vec<Story> {
    let mut out: Vec<Story> = Vec::new();
    for s in r.topics.iter().filter(|t| t.sensitive).flat_map(|t| &t.stories) {
        if !out.iter().any(|o| o.article_id == s.article_id) {
            out.push(s.clone());
        }
    }
    out.sort_by(|a, b| b.outlets.len().cmp(&a.outlets.len()).then(b.articles.cmp(&a.articles)).then(b.first_at.cmp(&a.first_at)));
    out.truncate(STORIES);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn story(id: i64, outlets: usize, articles: u64) -> Story {
        Story {
            title: format!("s{id}"),
            url: String::new(),
            article_id: id,
            articles,
            first_source: String::new(),
            first_at: Utc::now(),
            outlets: (0..outlets).map(|i| format!("o{i}")).collect(),
            local: false,
        }
    }

    #[test]
    fn stories_are_listed_once_by_outlets_and_only_for_sensitive_topics() {
        let topic = |id: &str, sensitive: bool, stories: Vec<Story>| super::super::TopicSection {
            id: id.into(),
            name: id.into(),
            sensitive,
            count: Default::default(),
            daily: vec![],
            local_daily: vec![],
            baseline: 0.0,
            spikes: vec![],
            stories,
        };
        let mut r: Report = serde_json::from_value(serde_json::json!({
            "schema": 1, "generated_at": "2026-12-07T00:00:00Z",
            "header": {"parent_organization": null, "organization": "", "place": "", "signer": "", "localities": []},
            "period": {"label": "", "from": "2026-12-01", "to": "2026-12-07", "start": "2026-11-30T17:00:00Z", "end": "2026-12-07T16:59:59Z"},
            "previous": {"label": "", "from": "2026-11-24", "to": "2026-11-30", "start": "2026-11-23T17:00:00Z", "end": "2026-11-30T16:59:59Z"},
            "search_url": "", "days": [], "totals": {"articles": {"all": 0, "local": 0, "prev_all": 0, "prev_local": 0, "query": "", "local_query": ""}, "sources": 0, "languages": 0},
            "daily": [], "by_origin": [], "by_lang": [], "by_locality": [], "topics": [], "top_sources": [], "new_sources": [],
            "queue": {"flagged": 0, "responded": 0, "closed": 0, "dismissed": 0, "open": 0, "overdue": 0, "median_hours_to_response": null, "by_agency": [], "urgent_open": []},
            "source_health": []
        }))
        .expect("a minimal report");
        r.topics = vec![
            topic("bien-dao", true, vec![story(1, 2, 5), story(2, 4, 4)]),
            topic("ton-giao", true, vec![story(2, 4, 4), story(3, 3, 9)]),
            topic("du-lich", false, vec![story(4, 9, 20)]),
        ];
        let ids: Vec<i64> = top_stories(&r).iter().map(|s| s.article_id).collect();
        assert_eq!(ids, vec![2, 3, 1]);
    }
}
