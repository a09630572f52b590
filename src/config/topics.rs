//! `[[topic]]`: what the office follows, as search-syntax queries judged per paragraph.

use super::raw::RawTopic;
use super::{At, ConfigError};
use crate::query::{self, Expr};

#[derive(Debug, Clone)]
pub struct Topic {
    pub id: String,
    pub name: String,
    pub name_en: Option<String>,
    pub query: Expr,
    pub query_text: String,
    /// Strong cues (`strong`): a paragraph, or the title, where the query holds and this also
    /// holds counts one more, so a phrase that only a story about the topic uses ("vi phạm nhân
    /// quyền") outweighs a word that many stories use in passing.
    pub strong: Option<Expr>,
    pub sensitive: bool,
    pub min_mentions: usize,
    /// Aboutness needed for the tag (`analyze::aboutness`): each paragraph the query matches in
    /// counts 1 (1.5 with two mentions or more), the lead 0.5 more, the title `title_weight`.
    pub min_score: f64,
    pub title_weight: f64,
}

/// One `[[topic]]` (its id already checked).
pub(super) fn validate(at: &At, i: usize, t: &RawTopic) -> Result<Topic, ConfigError> {
        let key = |k: &str| format!("topic[{i}].{k}");
        // the query and the strong cues: the search syntax, without fields that name tags
        let topic_query = |k: &str, q: &str| -> Result<Expr, ConfigError> {
            let e = query::parse(q).map_err(|e| at.err(key(k), format!("topic \"{}\": {e}", t.id)))?;
            check_topic_fields(&e).map_err(|m| at.err(key(k), format!("topic \"{}\": {m}", t.id)))?;
            Ok(e)
        };
        let query = topic_query("query", &t.query)?;
        let strong = t.strong.as_deref().map(|q| topic_query("strong", q)).transpose()?;
        let min_mentions = match t.min_mentions {
            None => 1,
            Some(n) if (1..=100).contains(&n) => n as usize,
            Some(n) => return Err(at.err(key("min_mentions"), format!("{n} is out of range 1..=100"))),
        };
        let weight = |v: Option<f64>, k: &str, default: f64| -> Result<f64, ConfigError> {
            match v {
                None => Ok(default),
                Some(x) if x.is_finite() && (0.0..=100.0).contains(&x) => Ok(x),
                Some(x) => Err(at.err(key(k), format!("{x} is out of range 0..=100"))),
            }
        };
        let min_score = weight(t.min_score, "min_score", 1.0)?;
        let title_weight = weight(t.title_weight, "title_weight", 2.0)?;
        Ok(Topic {
            id: t.id.clone(),
            name: t.name.clone(),
            name_en: t.name_en.clone(),
            query,
            query_text: t.query.clone(),
            strong,
            sensitive: t.sensitive,
            min_mentions,
            min_score,
            title_weight,
        })
}

/// Topics are evaluated per article, so they may not refer to other tags or dates.
fn check_topic_fields(e: &Expr) -> Result<(), String> {
    use crate::query::Field;
    match e {
        Expr::Field { field: Field::Topic | Field::Mentions | Field::Locality, .. } => {
            Err("topic rules cannot refer to topic:, mentions: or locality:".into())
        },
        Expr::Date(_) => Err("topic rules cannot use date:".into()),
        Expr::And(v) | Expr::Or(v) => v.iter().try_for_each(check_topic_fields),
        Expr::Not(x) => check_topic_fields(x),
        _ => Ok(()),
    }
}

