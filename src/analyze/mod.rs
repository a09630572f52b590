//! Analysis of extracted text, with no I/O: language, localities and topics, each tag carrying the
//! words that made it, so a user can see why an article was tagged.

pub mod lang;
pub mod matcher;

use crate::config::{Locality, Topic};
use crate::model::{Analysis, Tag};
use matcher::{count_phrase, Doc, QWord, Rule, Scope};

/// Topics and localities prepared once (aliases keyed), then applied to every article.
pub struct Analyzer {
    topics: Vec<TopicRule>,
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
        Analyzer { topics: topics.iter().map(TopicRule::new).collect(), localities }
    }

    /// `title` and `text` must already be normalised (`text::normalize`).
    pub fn analyze(&self, title: &str, text: &str, ctx: &Context) -> Analysis {
        let lang = lang::identify(title, text, &lang::Hints { page: ctx.page_lang, source: ctx.source_lang });
        let doc = Doc::paragraphs(title, text, &lang, ctx.source, ctx.origin);
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
        let topics = self.topics.iter().filter_map(|t| topic_tag(t, &doc)).collect();
        Analysis { lang, topics, localities }
    }
}

/// A topic compiled for tagging: its rule, and the rule without negations, which an article must
/// satisfy as a whole before its paragraphs are judged one by one (most articles fail it at once).
pub struct TopicRule {
    pub topic: Topic,
    pub rule: Rule,
    positive: Rule,
    /// Any match makes the tag (`min_score` at most 1) and the rule only ORs terms: what holds in a
    /// paragraph holds in the article and back, so the article as a whole decides at once.
    whole: bool,
}

impl TopicRule {
    pub fn new(topic: &Topic) -> TopicRule {
        let rule = Rule::compile(&topic.query);
        let whole = topic.min_score <= 1.0 && rule.only_or();
        TopicRule { topic: topic.clone(), positive: rule.positive(), rule, whole }
    }
}

/// How much an article is about a topic, from where its query matches: judged in the title and in
/// each paragraph on its own (so `AND` means "in the same paragraph" and `-term` removes only the
/// paragraph it is in), the title counts `title_weight`, each paragraph it matches in 1 (1.5 when
/// it mentions the topic twice, 2 for three times or more: that paragraph deals with it), the lead
/// paragraph 0.5 more. Returns the score, the words that matched (title first, each once), whether
/// the title matched, and the body mentions.
pub fn aboutness(t: &TopicRule, doc: &Doc) -> (f64, Vec<String>, bool, usize) {
    let (topic, rule) = (&t.topic, &t.rule);
    let none = (0.0, Vec::new(), false, 0);
    let Some(whole) = matcher::eval(&t.positive, doc) else { return none };
    if t.whole {
        // the score is then a lower bound (one paragraph), which is all `min_score <= 1` asks
        let in_title = whole.in_title();
        let score = if in_title { topic.title_weight.max(1.0) } else { 1.0 };
        return (score, whole.matched(), in_title, whole.body_mentions());
    }
    let positive = |h: &matcher::Hits| !(h.terms.is_empty() && rule.has_text());
    let mut score = 0.0;
    let mut words: Vec<String> = Vec::new();
    let mut in_title = false;
    let mut body_mentions = 0;
    if let Some(h) = matcher::eval_in(rule, doc, &Scope::Title).filter(positive) {
        score += topic.title_weight;
        in_title = true;
        words.extend(h.matched());
    }
    for (k, range) in doc.paragraphs.iter().enumerate() {
        let Some(h) = matcher::eval_in(rule, doc, &Scope::Paragraph(range.clone())).filter(positive) else { continue };
        let mentions = h.body_mentions();
        body_mentions += mentions;
        // a paragraph that mentions it again and again deals with it: 1, 1.5, then 2
        score += 1.0 + 0.5 * (mentions.saturating_sub(1).min(2) as f64);
        if k == 0 {
            score += 0.5;
        }
        words.extend(h.matched());
    }
    let mut seen = std::collections::HashSet::new();
    words.retain(|w| seen.insert(w.clone()));
    (score, words, in_title, body_mentions)
}

fn topic_tag(t: &TopicRule, doc: &Doc) -> Option<Tag> {
    let (score, matched, in_title, body_mentions) = aboutness(t, doc);
    if score == 0.0 || (matched.is_empty() && t.rule.has_text()) {
        return None;
    }
    // Title mentions weigh more: one in the title is enough for `min_mentions`.
    if !in_title && body_mentions < t.topic.min_mentions {
        return None;
    }
    // A short article is about what one of its few paragraphs deals with: the bar is lower for it
    // (one paragraph: 1.5, two: 2...), up to the topic's own.
    let needed = t.topic.min_score.min(1.0 + 0.5 * doc.paragraphs.len() as f64);
    if score < needed {
        return None;
    }
    Some(Tag { id: t.topic.id.clone(), matched, in_title })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(query: &str, min_score: f64) -> Topic {
        Topic {
            id: "t".into(),
            name: "T".into(),
            name_en: None,
            query: crate::query::parse(query).expect("query"),
            query_text: query.into(),
            sensitive: true,
            min_mentions: 1,
            min_score,
            title_weight: 2.0,
        }
    }

    fn tagged(t: &Topic, title: &str, paragraphs: &[&str]) -> bool {
        let a = Analyzer::new(std::slice::from_ref(t), &[]);
        let ctx = Context { page_lang: Some("vi"), source_lang: None, source: "s", origin: "domestic" };
        !a.analyze(title, &paragraphs.join("\n"), &ctx).topics.is_empty()
    }

    const FILLER: &str = "Một đoạn văn khác của bài, không nói gì về chủ đề này.";

    #[test]
    fn a_passing_mention_in_a_long_article_is_not_aboutness() {
        let t = topic("\"biên giới\"", 2.0);
        assert!(!tagged(&t, "Tin tức", &["Hàng hóa qua biên giới tăng.", FILLER, FILLER, FILLER]));
        // in the title, in two paragraphs, or again and again in one: it is
        assert!(tagged(&t, "Tình hình biên giới", &[FILLER, FILLER, FILLER, FILLER]));
        assert!(tagged(&t, "Tin tức", &[FILLER, "Đường biên giới dài.", "Cột mốc biên giới mới.", FILLER]));
        assert!(tagged(&t, "Tin tức", &[FILLER, "Biên phòng tuần tra biên giới, giữ biên giới, mở đường biên giới.", FILLER, FILLER]));
        // a short article needs less: its one paragraph is the article
        assert!(tagged(&t, "", &["Hàng hóa qua biên giới tăng mạnh."]));
    }

    #[test]
    fn and_means_the_same_paragraph() {
        let t = topic("\"biên giới\" AND (\"Lạng Sơn\" OR \"cửa khẩu\")", 1.0);
        assert!(tagged(&t, "", &["Xe hàng qua biên giới ở Lạng Sơn.", FILLER]));
        assert!(!tagged(&t, "", &["Xe hàng qua biên giới.", "Thời tiết Lạng Sơn lạnh.", FILLER]));
        // and a veto removes only the paragraph it is in
        let v = topic("\"dân chủ\" -\"Đảng Dân chủ\"", 1.0);
        assert!(!tagged(&v, "", &["Đảng Dân chủ thắng cử, nói về dân chủ.", FILLER]));
        assert!(tagged(&v, "", &["Đảng Dân chủ thắng cử.", "Cuộc tranh luận về dân chủ.", FILLER]));
    }
}
