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
    /// Every province's name, now and before 2025: a paragraph naming several is a list.
    provinces: Vec<Vec<QWord>>,
}

/// A paragraph that names this many provinces is a list (weather, a ranking, a tour): a place in
/// it is named in passing.
const LIST_OF_PROVINCES: usize = 4;

/// A locality with its aliases keyed for matching.
struct LocalityRule {
    id: String,
    aliases: Vec<PlaceName>,
}

/// One name of a place, keyed.
struct PlaceName {
    text: String,
    phrase: Vec<QWord>,
    /// The `not` phrases that hold it: an occurrence of `Cần Giờ` inside `tàu Cần Giờ` is the ship's.
    not: Vec<Vec<QWord>>,
    /// A name shared with a place elsewhere counts only in a paragraph (or the title) that also
    /// names one of these (its parents); empty: anywhere.
    near: Vec<Vec<QWord>>,
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
        let localities: Vec<LocalityRule> = localities
            .iter()
            .map(|l| {
                let key = |s: &str| QWord::phrase(&crate::text::normalize(s));
                let name = |text: &str, near: &[String]| {
                    let a = crate::text::normalize(text);
                    let not = l.not.iter().filter(|n| crate::text::contains_phrase(n, &a)).map(|n| key(n)).collect();
                    PlaceName { phrase: QWord::phrase(&a), text: a, not, near: near.iter().map(|n| key(n)).collect() }
                };
                let mut aliases: Vec<PlaceName> = l.aliases.iter().map(|a| name(a, &[])).collect();
                aliases.extend(l.near.iter().map(|(a, near)| name(a, near)));
                LocalityRule { id: l.id.clone(), aliases }
            })
            .collect();
        let provinces = if localities.is_empty() { Vec::new() } else { province_names() };
        Analyzer { topics: topics.iter().map(TopicRule::new).collect(), localities, provinces }
    }

    /// `title` and `text` must already be normalised (`text::normalize`).
    pub fn analyze(&self, title: &str, text: &str, ctx: &Context) -> Analysis {
        let lang = lang::identify(title, text, &lang::Hints { page: ctx.page_lang, source: ctx.source_lang });
        let doc = Doc::paragraphs(title, text, &lang, ctx.source, ctx.origin);
        let mut localities = Vec::new();
        let mut lists: Vec<Option<bool>> = vec![None; doc.paragraphs.len()];
        for LocalityRule { id, aliases } in &self.localities {
            let mut matched = Vec::new();
            let mut in_title = false;
            // how often the place is named in each paragraph
            let mut per_paragraph = vec![0usize; doc.paragraphs.len()];
            for PlaceName { text, phrase, not, near } in aliases {
                // Named in a field's range: the phrase's occurrences outside its `not` phrases, and
                // for a shared name only where one of its parents is named too.
                let named = |words: &matcher::Words, range: std::ops::Range<u32>| {
                    let here = |q: &[QWord]| matcher::count_phrase_in(words, q, doc.plain, range.clone());
                    if !near.is_empty() && !near.iter().any(|n| here(n) > 0) {
                        return 0;
                    }
                    here(phrase).saturating_sub(not.iter().map(|n| here(n)).sum())
                };
                // one lookup over the whole field first: most names are in neither
                let t = if count_phrase(&doc.title, phrase, doc.plain) > 0 { named(&doc.title, 0..doc.title.len()) } else { 0 };
                let mut b = 0;
                if count_phrase(&doc.body, phrase, doc.plain) > 0 {
                    for (k, r) in doc.paragraphs.iter().enumerate() {
                        let n = named(&doc.body, r.clone());
                        per_paragraph[k] += n;
                        b += n;
                    }
                }
                if t + b > 0 {
                    matched.push(text.clone());
                    in_title |= t > 0;
                }
            }
            if !matched.is_empty() {
                let mut is_list = |k: usize| {
                    *lists[k].get_or_insert_with(|| {
                        let r = doc.paragraphs[k].clone();
                        self.provinces.iter().filter(|p| matcher::count_phrase_in(&doc.body, p, doc.plain, r.clone()) > 0).count() >= LIST_OF_PROVINCES
                    })
                };
                let mut tag = Tag::new(id.clone(), matched, in_title);
                tag.passing = !about_place(in_title, &per_paragraph, &mut is_list);
                localities.push(tag);
            }
        }
        let (mut topics, mut mentions) = (Vec::new(), Vec::new());
        for t in &self.topics {
            match topic_tag(t, &doc) {
                Ok(tag) => topics.push(tag),
                Err(Some(tag)) => mentions.push(tag),
                Err(None) => {}
            }
        }
        Analysis { lang, topics, mentions, localities }
    }
}

/// The article is about the place, not passing through: it is named in the title, in the lead (the
/// first paragraph, where a dateline is), twice in one paragraph, or in two paragraphs; a paragraph
/// that is a list of provinces counts for nothing.
fn about_place(in_title: bool, per_paragraph: &[usize], is_list: &mut impl FnMut(usize) -> bool) -> bool {
    if in_title {
        return true;
    }
    let mut paragraphs = 0;
    for (k, &n) in per_paragraph.iter().enumerate() {
        if n == 0 || is_list(k) {
            continue;
        }
        if k == 0 || n >= 2 {
            return true;
        }
        paragraphs += 1;
    }
    paragraphs >= 2
}

/// Every province's name in the gazetteer, now and before 2025, keyed once.
fn province_names() -> Vec<Vec<QWord>> {
    let g = crate::gazetteer::get();
    let mut names: Vec<&str> = g.units.iter().filter(|u| u.level == crate::gazetteer::Level::Province).map(|u| u.name).collect();
    names.sort_unstable();
    names.dedup();
    names.into_iter().map(|n| QWord::phrase(&crate::text::normalize(n))).collect()
}

/// A topic compiled for tagging: its rule, and the rule without negations, which an article must
/// satisfy as a whole before its paragraphs are judged one by one (most articles fail it at once).
pub struct TopicRule {
    pub topic: Topic,
    pub rule: Rule,
    /// The topic's strong cues (`Topic::strong`), compiled.
    strong: Option<Rule>,
    positive: Rule,
    /// Any match makes the tag (`min_score` at most 1) and the rule only ORs terms: what holds in a
    /// paragraph holds in the article and back, so the article as a whole decides at once.
    whole: bool,
}

impl TopicRule {
    pub fn new(topic: &Topic) -> TopicRule {
        let rule = Rule::compile(&topic.query);
        let whole = topic.min_score <= 1.0 && rule.only_or();
        let strong = topic.strong.as_ref().map(Rule::compile);
        TopicRule { topic: topic.clone(), positive: rule.positive(), rule, strong, whole }
    }
}

/// Where and how strongly an article matches a topic (`aboutness`).
#[derive(Debug, Default)]
pub struct Aboutness {
    pub score: f64,
    /// The words that matched, title first, each once.
    pub matched: Vec<String>,
    pub in_title: bool,
    pub body_mentions: usize,
    /// The paragraphs (from 1) the query matched in.
    pub paragraphs: Vec<u32>,
    /// The query without its vetoes matched somewhere: the article at least mentions the topic.
    pub mentioned: bool,
}

/// How much an article is about a topic, from where its query matches: judged in the title and in
/// each paragraph on its own (so `AND` means "in the same paragraph" and `-term` removes only the
/// paragraph it is in), the title counts `title_weight`, each paragraph it matches in 1 (1.5 when
/// it mentions the topic twice, 2 for three times or more: that paragraph deals with it), the lead
/// paragraph 0.5 more.
pub fn aboutness(t: &TopicRule, doc: &Doc) -> Aboutness {
    let (topic, rule) = (&t.topic, &t.rule);
    let Some(whole) = matcher::eval(&t.positive, doc) else { return Aboutness::default() };
    if t.whole {
        // the score is then a lower bound (one paragraph), which is all `min_score <= 1` asks
        let in_title = whole.in_title();
        let score = if in_title { topic.title_weight.max(1.0) } else { 1.0 };
        return Aboutness {
            score,
            matched: whole.matched(),
            in_title,
            body_mentions: whole.body_mentions(),
            paragraphs: Vec::new(),
            mentioned: true,
        };
    }
    let positive = |h: &matcher::Hits| !(h.terms.is_empty() && rule.has_text());
    let mut a = Aboutness { mentioned: !(whole.terms.is_empty() && rule.has_text()), ..Aboutness::default() };
    // a strong cue where the query holds counts one more; its words are part of the reason
    let strong = |scope: &Scope, a: &mut Aboutness| {
        if let Some(h) = t.strong.as_ref().and_then(|s| matcher::eval_in(s, doc, scope)).filter(positive) {
            a.score += 1.0;
            a.matched.extend(h.matched());
        }
    };
    if let Some(h) = matcher::eval_in(rule, doc, &Scope::Title).filter(positive) {
        a.score += topic.title_weight;
        a.in_title = true;
        a.matched.extend(h.matched());
        strong(&Scope::Title, &mut a);
    }
    for (k, range) in doc.paragraphs.iter().enumerate() {
        let Some(h) = matcher::eval_in(rule, doc, &Scope::Paragraph(range.clone())).filter(positive) else { continue };
        let mentions = h.body_mentions();
        a.body_mentions += mentions;
        // a paragraph that mentions it again and again deals with it: 1, 1.5, then 2
        a.score += 1.0 + 0.5 * (mentions.saturating_sub(1).min(2) as f64);
        if k == 0 {
            a.score += 0.5;
        }
        a.paragraphs.push(k as u32 + 1);
        a.matched.extend(h.matched());
        strong(&Scope::Paragraph(range.clone()), &mut a);
    }
    let mut seen = std::collections::HashSet::new();
    a.matched.retain(|w| seen.insert(w.clone()));
    if a.mentioned && a.matched.is_empty() {
        a.matched = whole.matched();
        a.in_title = whole.in_title();
    }
    a
}

/// The article is about the topic (`Ok`), only mentions it (`Err(Some)`), or neither.
fn topic_tag(t: &TopicRule, doc: &Doc) -> Result<Tag, Option<Tag>> {
    let a = aboutness(t, doc);
    if !a.mentioned || a.matched.is_empty() && t.rule.has_text() {
        return Err(None);
    }
    let mention = || Err(Some(Tag::new(t.topic.id.clone(), a.matched.clone(), a.in_title)));
    if a.score == 0.0 {
        return mention();
    }
    // Title mentions weigh more: one in the title is enough for `min_mentions`.
    if !a.in_title && a.body_mentions < t.topic.min_mentions {
        return mention();
    }
    // A short article is about what one of its few paragraphs deals with: the bar is lower for it
    // (one paragraph: 1.5, two: 2...), up to the topic's own.
    let needed = t.topic.min_score.min(1.0 + 0.5 * doc.paragraphs.len() as f64);
    if a.score < needed {
        return mention();
    }
    let evidence = crate::model::Evidence {
        score: a.score,
        needed,
        title: a.in_title,
        paragraphs: a.paragraphs.clone(),
        of_paragraphs: doc.paragraphs.len() as u32,
    };
    Ok(Tag { id: t.topic.id.clone(), matched: a.matched, in_title: a.in_title, evidence: Some(evidence), passing: false })
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
            strong: None,
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
    fn a_mention_is_kept_apart_and_a_tag_says_why() {
        let t = topic("\"biên giới\"", 2.0);
        let a = Analyzer::new(std::slice::from_ref(&t), &[]);
        let ctx = Context { page_lang: Some("vi"), source_lang: None, source: "s", origin: "domestic" };
        let passing = a.analyze("Tin tức", &["Hàng hóa qua biên giới tăng.", FILLER, FILLER, FILLER].join("\n"), &ctx);
        assert!(passing.topics.is_empty());
        assert_eq!(passing.mentions.len(), 1);
        assert_eq!(passing.mentions[0].matched, vec!["biên giới".to_string()]);
        assert!(passing.mentions[0].evidence.is_none());
        let about = a.analyze("Tin tức", &[FILLER, "Đường biên giới dài.", "Cột mốc biên giới mới.", FILLER].join("\n"), &ctx);
        assert!(about.mentions.is_empty(), "about is not also a mention");
        let ev = about.topics[0].evidence.as_ref().expect("evidence");
        assert_eq!((ev.paragraphs.clone(), ev.of_paragraphs, ev.title), (vec![2, 3], 4, false));
        assert_eq!((ev.score, ev.needed), (2.0, 2.0));
        // a word that does not occur at all is neither
        assert_eq!(a.analyze("Tin tức", FILLER, &ctx), Analysis { lang: "vi".into(), ..Analysis::default() });
    }

    #[test]
    fn a_strong_cue_outweighs_a_passing_word() {
        let mut t = topic("\"nhân quyền\" OR \"quyền con người\"", 2.0);
        t.strong = Some(crate::query::parse("\"vi phạm nhân quyền\" OR \"tra tấn\"").expect("query"));
        // the weak word once, far from the lead: a passing mention
        assert!(!tagged(&t, "Tin tức", &[FILLER, FILLER, "Ông nói về nhân quyền trong bài phát biểu.", FILLER]));
        // one paragraph on an accusation of abuse: the strong cue makes it count 2
        assert!(tagged(&t, "Tin tức", &[FILLER, FILLER, "Đơn vị bị cáo buộc vi phạm nhân quyền.", FILLER]));
        // a strong cue alone, where the query does not hold, adds nothing
        assert!(!tagged(&t, "Tin tức", &[FILLER, "Cảnh sát điều tra vụ tra tấn.", FILLER, FILLER]));
        let a = Analyzer::new(std::slice::from_ref(&t), &[]);
        let ctx = Context { page_lang: Some("vi"), source_lang: None, source: "s", origin: "domestic" };
        let got = a.analyze("Tin tức", &[FILLER, FILLER, "Đơn vị bị cáo buộc vi phạm nhân quyền.", FILLER].join("\n"), &ctx);
        assert_eq!(got.topics[0].matched, vec!["nhân quyền".to_string(), "vi phạm nhân quyền".to_string()], "the strong cue is part of why");
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

    #[test]
    fn a_place_name_inside_another_name_is_not_the_place() {
        let place = |id: &str, name: &str, aliases: &[&str], not: &[&str]| Locality {
            id: id.into(),
            name: name.into(),
            aliases: std::iter::once(name).chain(aliases.iter().copied()).map(String::from).collect(),
            near: Vec::new(),
            not: not.iter().map(|n| n.to_string()).collect(),
            unit: None,
            derived: Vec::new(),
        };
        let places = [
            place("can-gio", "Cần Giờ", &["Can Gio"], &["tàu Cần Giờ"]),
            place("phu-yen", "Phú Yên", &["Sông Cầu"], &["công ty Sông Cầu"]),
            place("son-duong", "Sơn Dương", &[], &[]),
        ];
        let a = Analyzer::new(&[], &places);
        let ctx = Context { page_lang: Some("vi"), source_lang: None, source: "s", origin: "domestic" };
        let ids = |title: &str, body: &str| -> Vec<String> { a.analyze(title, body, &ctx).localities.into_iter().map(|l| l.id).collect() };
        assert!(ids("Tàu biển bị giữ", "Thủy thủ trên tàu Cần Giờ đã được thả.").is_empty(), "the ship");
        assert_eq!(ids("Tàu biển bị giữ", "Thủy thủ tàu Cần Giờ về quê ở huyện Cần Giờ."), ["can-gio"], "the ship and the place");
        assert!(ids("", "Nước sông Cầu đen kịt vì chất thải.").is_empty(), "the river");
        assert!(ids("", "Nhân viên công ty Sông Cầu nộp tờ khai.").is_empty(), "the company");
        assert_eq!(ids("", "Đường đèo từ Sông Cầu vào Tuy An sạt lở."), ["phu-yen"], "the town");
        assert!(ids("", "Đàn sơn dương sống trên vách núi đá.").is_empty(), "the goat");
        assert_eq!(ids("Huyện Sơn Dương đón khách", ""), ["son-duong"]);
    }

    #[test]
    fn a_place_named_in_passing_is_kept_apart_from_a_place_the_article_is_about() {
        let place = Locality {
            id: "phu-yen".into(),
            name: "Phú Yên".into(),
            aliases: vec!["Phú Yên".into(), "Tuy Hòa".into()],
            near: Vec::new(),
            not: Vec::new(),
            unit: None,
            derived: Vec::new(),
        };
        let a = Analyzer::new(&[], std::slice::from_ref(&place));
        let ctx = Context { page_lang: Some("vi"), source_lang: None, source: "s", origin: "domestic" };
        // Some(true): about; Some(false): in passing; None: not named
        let about = |title: &str, paragraphs: &[&str]| -> Option<bool> {
            let body = paragraphs.join("\n");
            a.analyze(title, &body, &ctx).localities.first().map(|l| !l.passing)
        };
        assert_eq!(about("Tuy Hòa mở đường ven biển", &[FILLER, FILLER]), Some(true), "title");
        assert_eq!(about("", &["TUY HÒA - Sáng nay tỉnh khởi công cầu mới.", FILLER, FILLER]), Some(true), "dateline in the lead");
        assert_eq!(about("", &[FILLER, "Đoàn công tác ghé Phú Yên trên đường ra Bắc.", FILLER]), Some(false), "once, further down");
        assert_eq!(about("", &[FILLER, "Phú Yên có nhiều bãi biển. Du khách đến Phú Yên ngày càng đông.", FILLER]), Some(true), "a paragraph on it");
        assert_eq!(about("", &[FILLER, "Ở Phú Yên, mùa mưa đến sớm.", FILLER, "Nông dân Phú Yên lo thu hoạch.", FILLER]), Some(true), "two paragraphs");
        assert_eq!(
            about("", &["Mưa lớn ở Quảng Ngãi, Bình Định, Phú Yên và Khánh Hòa trong hai ngày tới.", FILLER]),
            Some(false),
            "one of a list of provinces, even in the lead"
        );
        assert_eq!(about("", &[FILLER, FILLER]), None);
    }
}
