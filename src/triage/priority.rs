//! The priority score of a queue item, 0–100, and why: the priority people (or a rule) gave it,
//! how sensitive its topics are, how far the story has spread, where it was published and how
//! fresh it is. Pure; the weights are here in one place and every part is shown on the item.

use crate::model::{Origin, Priority};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone)]
pub struct Inputs {
    pub priority: Priority,
    /// Names of the article's topics marked sensitive in the taxonomy.
    pub sensitive_topics: Vec<String>,
    /// Distinct outlets carrying the story (1 when the article stands alone).
    pub outlets: i64,
    pub origin: Option<Origin>,
    /// When the story (or the article) was first seen.
    pub first_seen: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Part {
    /// i18n key of the part's name (`score.priority`, …)
    pub key: &'static str,
    pub points: u32,
    pub max: u32,
    /// What the points were given for, in the data's own words (topic names, counts).
    pub detail: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Score {
    pub total: u32,
    pub parts: Vec<Part>,
}

pub fn score(i: &Inputs) -> Score {
    let priority = match i.priority {
        Priority::Low => 0,
        Priority::Normal => 10,
        Priority::High => 20,
        Priority::Urgent => 30,
    };
    let sensitivity = match i.sensitive_topics.len() {
        0 => 0,
        1 => 15,
        _ => 25,
    };
    // each doubling of the outlets adds 7 points, up to 20 (8 outlets or more)
    let outlets = i.outlets.max(1);
    let reach = ((outlets as f64).log2() * 7.0).round().clamp(0.0, 20.0) as u32;
    let origin = match i.origin {
        Some(Origin::Foreign) | Some(Origin::Overseas) => 15,
        _ => 5,
    };
    // fresh stories first: 10 points when new, half after a day, next to nothing after a week
    let hours = (i.now - i.first_seen).num_minutes().max(0) as f64 / 60.0;
    let recency = (10.0 * 0.5f64.powf(hours / 24.0)).round() as u32;
    let parts = vec![
        Part { key: "score.priority", points: priority, max: 30, detail: i.priority.as_str().to_string() },
        Part { key: "score.sensitivity", points: sensitivity, max: 25, detail: i.sensitive_topics.join(", ") },
        Part { key: "score.reach", points: reach, max: 20, detail: outlets.to_string() },
        Part { key: "score.origin", points: origin, max: 15, detail: i.origin.map(|o| o.as_str()).unwrap_or("—").to_string() },
        Part { key: "score.recency", points: recency, max: 10, detail: format!("{hours:.0} h") },
    ];
    Score { total: parts.iter().map(|p| p.points).sum(), parts }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> Inputs {
        let now = Utc::now();
        Inputs { priority: Priority::Normal, sensitive_topics: vec![], outlets: 1, origin: Some(Origin::Domestic), first_seen: now, now }
    }

    #[test]
    fn each_factor_raises_the_score_and_is_explained() {
        let base = score(&inputs());
        assert_eq!(base.parts.iter().map(|p| p.max).sum::<u32>(), 100);
        let mut hot = inputs();
        hot.sensitive_topics = vec!["Biển đảo".into(), "Nhân quyền".into()];
        hot.outlets = 12;
        hot.origin = Some(Origin::Foreign);
        hot.priority = Priority::Urgent;
        let s = score(&hot);
        assert_eq!(s.total, 30 + 25 + 20 + 15 + 10);
        assert!(s.parts.iter().any(|p| p.detail.contains("Nhân quyền")));
        let mut spread = inputs();
        spread.outlets = 4;
        assert_eq!(score(&spread).total, base.total + 14);
        let mut old = inputs();
        old.first_seen = old.now - chrono::Duration::hours(24);
        assert_eq!(score(&old).total, base.total - 5, "a day old: half the freshness");
    }
}
