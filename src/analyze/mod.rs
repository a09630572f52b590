//! Analysis of extracted text, with no I/O: language, localities and topics, each tag carrying the
//! words that made it, so a user can see why an article was tagged.

pub mod lang;
pub mod matcher;

use crate::config::{Locality, Topic};
use crate::model::{Analysis, Tag};
use matcher::{count_phrase, Doc, QWord, Rule};

/// Topics and localities prepared once (aliases keyed), then applied to every article.
pub struct Analyzer {
    topics: Vec<(Topic, Rule)>,
    localities: Vec<LocalityRule>,
}

/// A locality with its aliases keyed for matching.
struct LocalityRule {
    id: String,
    aliases: Vec<(String, Vec<QWord>)>,
}

/// What we know about an article besides its text.
pub struct Context<'a> {
    pub page_lang: Option<&'a str>,
    pub source_lang: Option<&'a str>,
    pub source: &'a str,
    pub origin: &'a str,
}

impl Analyzer {
    pub fn new(topics: &[Topic], localities: &[Locality]) -> Analyzer {
        let localities = localities
            .iter()
            .map(|l| {
                let aliases = l
                    .aliases
                    .iter()
                    .map(|a| {
                        let a = crate::text::normalize(a);
                        let q = crate::text::words(&a).iter().map(|w| QWord::new(w.raw)).collect();
                        (a, q)
                    })
                    .collect();
                LocalityRule { id: l.id.clone(), aliases }
            })
            .collect();
        Analyzer { topics: topics.iter().map(|t| (t.clone(), Rule::compile(&t.query))).collect(), localities }
    }

    /// `title` and `text` must already be normalised (`text::normalize`).
    pub fn analyze(&self, title: &str, text: &str, ctx: &Context) -> Analysis {
        let lang = lang::identify(title, text, &lang::Hints { page: ctx.page_lang, source: ctx.source_lang });
        let doc = Doc::new(title, text, &lang, ctx.source, ctx.origin);
        let mut localities = Vec::new();
        for LocalityRule { id, aliases } in &self.localities {
            let mut matched = Vec::new();
            let mut in_title = false;
            for (alias, q) in aliases {
                let t = count_phrase(&doc.title, q, doc.plain);
                let b = count_phrase(&doc.body, q, doc.plain);
                if t + b > 0 {
                    matched.push(alias.clone());
                    in_title |= t > 0;
                }
            }
            if !matched.is_empty() {
                localities.push(Tag { id: id.clone(), matched, in_title });
            }
        }
        let topics = self.topics.iter().filter_map(|(t, rule)| topic_tag(t, rule, &doc)).collect();
        Analysis { lang, topics, localities }
    }
}

fn topic_tag(t: &Topic, rule: &Rule, doc: &Doc) -> Option<Tag> {
    let hits = matcher::eval(rule, doc)?;
    // A purely negative or field-only rule matched nothing positive: not evidence of the topic.
    if hits.terms.is_empty() && rule.has_text() {
        return None;
    }
    // Title mentions weigh more: one in the title is enough; the body needs `min_mentions`.
    if !hits.in_title() && hits.body_mentions() < t.min_mentions {
        return None;
    }
    Some(Tag { id: t.id.clone(), matched: hits.matched(), in_title: hits.in_title() })
}
