//! Evaluates a query against one article's title and body, for tagging. Precision first:
//! a query word with diacritics matches the exact (NFC, tone-placement-insensitive) word; folded
//! matching is allowed only in text written without diacritics; a capitalised query word (a proper
//! name) only matches a capitalised or all-caps word, so `Sơn Dương` the district is not `sơn dương`
//! the animal and `Cao Đài` is not found inside `tối cao Đài Loan`.
//!
//! Rules are compiled once (`Rule`); each article's words are keyed once and indexed by key, so a
//! phrase is only checked where its first word occurs.

use crate::query::{Expr, Field};
use crate::text;
use std::collections::HashMap;

#[derive(Debug)]
struct DocWord {
    exact: String,
    folded: String,
    has_dia: bool,
    cap: bool,
    all_caps: bool,
}

/// One field's words, with positions by exact and by folded key.
#[derive(Debug, Default)]
pub struct Words {
    words: Vec<DocWord>,
    by_exact: HashMap<String, Vec<u32>>,
    by_folded: HashMap<String, Vec<u32>>,
}

/// Records a position under a key, copying the key only the first time it is seen (most words of
/// an article repeat).
fn add_position(map: &mut HashMap<String, Vec<u32>>, key: &str, at: u32) {
    match map.get_mut(key) {
        Some(v) => v.push(at),
        None => {
            map.insert(key.to_string(), vec![at]);
        }
    }
}

impl Words {
    /// How many words: the range of the whole field.
    pub fn len(&self) -> u32 {
        self.words.len() as u32
    }

    fn new(s: &str) -> Words {
        let mut w = Words::default();
        w.push_text(s);
        w
    }

    /// The words of several paragraphs in one index, with each paragraph's word range.
    fn from_paragraphs<'p>(paragraphs: impl Iterator<Item = &'p str>) -> (Words, Vec<std::ops::Range<u32>>) {
        let mut w = Words::default();
        let mut ranges = Vec::new();
        for p in paragraphs {
            let start = w.words.len() as u32;
            w.push_text(p);
            let end = w.words.len() as u32;
            if end > start {
                ranges.push(start..end);
            }
        }
        (w, ranges)
    }

    fn push_text(&mut self, s: &str) {
        let w = self;
        let base = w.words.len();
        for (i, word) in text::words(s).iter().enumerate() {
            let i = base + i;
            let (exact, folded) = if word.bigram { (word.raw.to_string(), word.raw.to_string()) } else { text::keys(word.raw) };
            add_position(&mut w.by_exact, &exact, i as u32);
            if folded != exact {
                add_position(&mut w.by_folded, &folded, i as u32);
            }
            w.words.push(DocWord {
                has_dia: !word.bigram && exact != folded,
                exact,
                folded,
                cap: word.capitalized,
                all_caps: word.all_caps,
            });
        }
    }

    /// Positions where `q` may match (checked fully by `QWord::matches`).
    fn candidates(&self, q: &QWord, plain: bool) -> Vec<u32> {
        let mut v: Vec<u32> = Vec::new();
        if q.has_dia {
            v.extend(self.by_exact.get(&q.exact).into_iter().flatten());
            if plain {
                v.extend(self.by_exact.get(&q.folded).into_iter().flatten());
                v.extend(self.by_folded.get(&q.folded).into_iter().flatten());
            }
        } else {
            // a word without diacritics is its own exact key; with them, its folded key
            v.extend(self.by_exact.get(&q.folded).into_iter().flatten());
            if plain {
                v.extend(self.by_folded.get(&q.folded).into_iter().flatten());
            }
        }
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// An article prepared for matching: each word keyed once, reused by every topic and locality.
#[derive(Debug)]
pub struct Doc<'a> {
    pub title: Words,
    pub body: Words,
    /// Word ranges of the body's paragraphs (one range for a body given whole).
    pub paragraphs: Vec<std::ops::Range<u32>>,
    pub plain: bool,
    pub lang: &'a str,
    pub source: &'a str,
    pub origin: &'a str,
    /// The article's topic and locality ids, for standing queries (rules, alerts) that name them;
    /// empty while tagging, where topics may not refer to tags.
    pub topics: Vec<String>,
    /// Topics the article is about or mentions (`mentions:`).
    pub mentions: Vec<String>,
    pub localities: Vec<String>,
}

impl<'a> Doc<'a> {
    pub fn new(title: &str, body: &str, lang: &'a str, source: &'a str, origin: &'a str) -> Doc<'a> {
        let plain = text::is_plain_parts(&[title, body]);
        let body = Words::new(body);
        let paragraphs = vec![0..body.words.len() as u32];
        Doc { title: Words::new(title), body, paragraphs, plain, lang, source, origin, topics: Vec::new(), mentions: Vec::new(), localities: Vec::new() }
    }

    /// An article whose body is cut into paragraphs (lines), keyed once: rules can then be judged
    /// in the title or in one paragraph (`eval_in`) without keying anything again.
    pub fn paragraphs(title: &str, body: &str, lang: &'a str, source: &'a str, origin: &'a str) -> Doc<'a> {
        let plain = text::is_plain_parts(&[title, body]);
        let (words, paragraphs) = Words::from_paragraphs(body.split('\n').map(str::trim).filter(|p| !p.is_empty()));
        Doc { title: Words::new(title), body: words, paragraphs, plain, lang, source, origin, topics: Vec::new(), mentions: Vec::new(), localities: Vec::new() }
    }
}

/// A query word, keyed once.
#[derive(Debug, Clone)]
pub struct QWord {
    exact: String,
    folded: String,
    has_dia: bool,
    cap: bool,
}

impl QWord {
    /// A phrase's words, keyed (`s` already normalised).
    pub fn phrase(s: &str) -> Vec<QWord> {
        text::words(s).iter().map(|w| QWord::new(w.raw)).collect()
    }

    pub fn new(raw: &str) -> QWord {
        let bigram = raw.chars().next().is_some_and(text::is_bigram_script);
        let (exact, folded) = if bigram { (raw.to_string(), raw.to_string()) } else { text::keys(raw) };
        QWord { has_dia: !bigram && exact != folded, exact, folded, cap: raw.chars().next().is_some_and(char::is_uppercase) }
    }

    fn matches(&self, w: &DocWord, plain: bool) -> bool {
        if self.cap && !(w.cap || w.all_caps) {
            return false;
        }
        if self.has_dia {
            w.exact == self.exact || (plain && w.folded == self.folded)
        } else {
            // a query word without diacritics matches a word written without them, not `đạo` for `dao`
            w.folded == self.folded && (plain || !w.has_dia)
        }
    }
}

/// Counts non-overlapping occurrences of the phrase in the words.
pub fn count_phrase(words: &Words, phrase: &[QWord], plain: bool) -> usize {
    phrase_starts_in(words, phrase, plain, 0..words.words.len() as u32).len()
}

/// Counts non-overlapping occurrences of the phrase within a range of word positions (a paragraph).
pub fn count_phrase_in(words: &Words, phrase: &[QWord], plain: bool, range: std::ops::Range<u32>) -> usize {
    phrase_starts_in(words, phrase, plain, range).len()
}

/// Where the phrase starts (non-overlapping occurrences) within a range of word positions (one
/// paragraph, or the whole text): a phrase never spans two paragraphs.
fn phrase_starts_in(words: &Words, phrase: &[QWord], plain: bool, range: std::ops::Range<u32>) -> Vec<u32> {
    let Some(first) = phrase.first() else { return Vec::new() };
    if !plain {
        // text with diacritics: the candidates are one sorted list, read in place within the range
        // (this runs once per term and paragraph, so no list is built)
        let key = if first.has_dia { &first.exact } else { &first.folded };
        let Some(all) = words.by_exact.get(key) else { return Vec::new() };
        let from = all.partition_point(|&p| p < range.start);
        return starts_from(words, phrase, plain, all[from..].iter().copied().take_while(|&p| p < range.end), range.end);
    }
    let candidates = words.candidates(first, plain);
    starts_from(words, phrase, plain, candidates.into_iter().filter(|p| range.contains(p)), range.end)
}

/// Non-overlapping matches of the phrase starting at the candidate positions (ascending), each
/// ending by `end`: their first words' positions.
fn starts_from(words: &Words, phrase: &[QWord], plain: bool, candidates: impl Iterator<Item = u32>, end: u32) -> Vec<u32> {
    let n = end as usize;
    let mut starts = Vec::new();
    let mut next_free = 0usize;
    for start in candidates {
        let start = start as usize;
        if start < next_free || start + phrase.len() > n {
            continue;
        }
        if phrase.iter().enumerate().all(|(k, q)| q.matches(&words.words[start + k], plain)) {
            starts.push(start as u32);
            next_free = start + phrase.len();
        }
    }
    starts
}

/// A query compiled for tagging: every word keyed once, at configuration time.
#[derive(Debug, Clone)]
pub enum Rule {
    Text { label: String, words: Vec<QWord>, title_only: bool },
    Field { field: Field, value: String },
    Never,
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
}

impl Rule {
    pub fn compile(e: &Expr) -> Rule {
        match e {
            Expr::Text { words, .. } => {
                Rule::Text { label: label(words), words: words.iter().map(|w| QWord::new(w)).collect(), title_only: false }
            }
            Expr::Field { field: Field::Title, value } => Rule::Text {
                label: value.clone(),
                words: QWord::phrase(&text::normalize(value)),
                title_only: true,
            },
            Expr::Field { field, value } => Rule::Field { field: *field, value: value.clone() },
            Expr::Date(_) => Rule::Never,
            Expr::And(v) => Rule::And(v.iter().map(Rule::compile).collect()),
            Expr::Or(v) => Rule::Or(v.iter().map(Rule::compile).collect()),
            Expr::Not(x) => Rule::Not(Box::new(Rule::compile(x))),
        }
    }

    /// The rule without its negations: it holds wherever the rule holds in any part of an article,
    /// so an article it does not hold in as a whole can skip the paragraph-by-paragraph judgement.
    pub fn positive(&self) -> Rule {
        match self {
            Rule::Not(_) => Rule::And(Vec::new()),
            Rule::And(v) => Rule::And(v.iter().map(Rule::positive).collect()),
            Rule::Or(v) => Rule::Or(v.iter().map(Rule::positive).collect()),
            other => other.clone(),
        }
    }

    /// Whether the rule is terms and fields joined by OR only (no AND, no NOT).
    pub fn only_or(&self) -> bool {
        match self {
            Rule::Text { .. } | Rule::Field { .. } | Rule::Never => true,
            Rule::Or(v) => v.iter().all(Rule::only_or),
            Rule::And(_) | Rule::Not(_) => false,
        }
    }

    /// Whether the rule has anything to find in text (a purely negative or field-only rule does not).
    pub fn has_text(&self) -> bool {
        match self {
            Rule::Text { .. } => true,
            Rule::And(v) | Rule::Or(v) => v.iter().any(Rule::has_text),
            _ => false,
        }
    }
}

/// The term as a user wrote it: CJK/Lao bigrams (`南沙`, `沙群`) are joined back (`南沙群`).
fn label(words: &[String]) -> String {
    let bigrams = words.iter().all(|w| w.chars().next().is_some_and(text::is_bigram_script) && w.chars().count() == 2);
    if bigrams && words.len() > 1 {
        let mut s = words[0].clone();
        for w in &words[1..] {
            s.extend(w.chars().last());
        }
        s
    } else {
        words.join(" ")
    }
}

/// What a successful evaluation matched: each positive phrase with its title and body counts, and
/// where in the body each occurrence lies (word positions, end exclusive).
#[derive(Debug, Default, Clone)]
pub struct Hits {
    pub terms: Vec<(String, usize, usize)>,
    body_spans: Vec<(u32, u32)>,
}

impl Hits {
    pub fn in_title(&self) -> bool {
        self.terms.iter().any(|t| t.1 > 0)
    }
    /// Mentions in the body: occurrences of the matched phrases, where phrases that overlap in the
    /// text are one mention ("người dân tộc thiểu số" holds both "người dân tộc" and "dân tộc thiểu
    /// số", and a phrase a query names twice is still written once).
    pub fn body_mentions(&self) -> usize {
        let mut spans = self.body_spans.clone();
        spans.sort_unstable();
        let mut count = 0;
        let mut end = 0;
        for (s, e) in spans {
            if count == 0 || s >= end {
                count += 1;
                end = e;
            } else {
                end = end.max(e);
            }
        }
        count
    }
    pub fn matched(&self) -> Vec<String> {
        let mut v: Vec<String> = self.terms.iter().map(|t| t.0.clone()).collect();
        v.dedup();
        v
    }
    fn extend(&mut self, other: Hits) {
        self.terms.extend(other.terms);
        self.body_spans.extend(other.body_spans);
    }
}

/// Where a rule is judged: the whole article, its title alone, or one paragraph of its body.
#[derive(Debug, Clone)]
pub enum Scope {
    All,
    Title,
    Paragraph(std::ops::Range<u32>),
}

/// Evaluates a compiled rule; `Some(hits)` when it holds.
pub fn eval(r: &Rule, doc: &Doc) -> Option<Hits> {
    eval_in(r, doc, &Scope::All)
}

/// `eval` in part of the article (`Scope`).
pub fn eval_in(r: &Rule, doc: &Doc, scope: &Scope) -> Option<Hits> {
    let eval = |r: &Rule, doc: &Doc| eval_in(r, doc, scope);
    match r {
        Rule::Text { label, words, title_only } => {
            let t = if matches!(scope, Scope::Paragraph(_)) { 0 } else { count_phrase(&doc.title, words, doc.plain) };
            let starts = match scope {
                _ if *title_only => Vec::new(),
                Scope::All => phrase_starts_in(&doc.body, words, doc.plain, 0..doc.body.words.len() as u32),
                Scope::Title => Vec::new(),
                Scope::Paragraph(range) => phrase_starts_in(&doc.body, words, doc.plain, range.clone()),
            };
            let b = starts.len();
            let len = words.len() as u32;
            (t + b > 0).then(|| Hits { terms: vec![(label.clone(), t, b)], body_spans: starts.into_iter().map(|s| (s, s + len)).collect() })
        }
        Rule::Field { field, value } => {
            let v = match field {
                Field::Lang => doc.lang,
                Field::Source => doc.source,
                Field::Origin => doc.origin,
                Field::Topic => return doc.topics.iter().any(|t| t.eq_ignore_ascii_case(value)).then(Hits::default),
                Field::Mentions => return doc.mentions.iter().any(|t| t.eq_ignore_ascii_case(value)).then(Hits::default),
                Field::Locality => return doc.localities.iter().any(|t| t.eq_ignore_ascii_case(value)).then(Hits::default),
                // compiled as text
                Field::Title => return None,
            };
            v.eq_ignore_ascii_case(value).then(Hits::default)
        }
        Rule::Never => None,
        Rule::And(items) => {
            let mut hits = Hits::default();
            for x in items {
                hits.extend(eval(x, doc)?);
            }
            Some(hits)
        }
        Rule::Or(items) => {
            let mut hits = Hits::default();
            let mut any = false;
            for x in items {
                if let Some(h) = eval(x, doc) {
                    any = true;
                    hits.extend(h);
                }
            }
            any.then_some(hits)
        }
        Rule::Not(x) => match eval(x, doc) {
            Some(_) => None,
            None => Some(Hits::default()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(q: &str, title: &str, body: &str) -> bool {
        let e = crate::query::parse(q).expect("query");
        let d = Doc::new(&text::normalize(title), &text::normalize(body), "vi", "s", "domestic");
        eval(&Rule::compile(&e), &d).is_some()
    }

    #[test]
    fn phrases_that_overlap_in_the_text_are_one_mention() {
        let body = text::normalize("Một phụ nữ người dân tộc thiểu số. Hai em người dân tộc khác.");
        let d = Doc::new("", &body, "vi", "s", "domestic");
        let mentions = |q: &str| eval(&Rule::compile(&crate::query::parse(q).expect("query")), &d).map(|h| h.body_mentions());
        // "người dân tộc thiểu số" holds both phrases once: one mention; the second sentence another
        assert_eq!(mentions("\"người dân tộc\" OR \"dân tộc thiểu số\""), Some(2));
        assert_eq!(mentions("\"dân tộc thiểu số\""), Some(1));
        // a phrase the query names twice is still written once
        assert_eq!(mentions("\"người dân tộc\" OR (\"người dân tộc\" AND -xe)"), Some(2));
        assert_eq!(mentions("\"người dân tộc\" OR \"em người\""), Some(2), "overlapping in the second sentence");
    }

    #[test]
    fn collisions_from_vietnamese_news_do_not_fire() {
        assert!(!holds("\"Biển Đông\"", "Thị trường biến động mạnh", ""));
        assert!(holds("\"Biển Đông\"", "Tình hình Biển Đông", ""));
        assert!(!holds("chùa", "Dự án chưa hoàn thành", ""));
        assert!(!holds("\"nhà thờ\"", "Nhà thơ trẻ ra mắt tập thơ", ""));
        assert!(!holds("\"nhân quyền\"", "", "cấp giấy chứng nhận quyền sử dụng đất"));
        assert!(!holds("\"Sơn Dương\"", "Đàn sơn dương trên núi", ""));
        assert!(holds("\"Sơn Dương\"", "Huyện Sơn Dương đón khách", ""));
        assert!(!holds("\"son dưỡng\"", "Huyện Sơn Dương", ""));
        assert!(!holds("\"Cao Đài\"", "", "tòa án tối cao Đài Loan"));
        assert!(holds("\"Cao Đài\"", "", "tín đồ đạo Cao Đài"));
    }

    #[test]
    fn folded_matching_only_on_text_without_diacritics() {
        assert!(holds("\"Trường Sa\"", "Tin Truong Sa moi nhat", ""));
        assert!(!holds("dao", "", "lãnh đạo tỉnh"));
        assert!(holds("Spratly", "Spratly Islands", ""));
        assert!(holds("Spratly", "", "Tàu cá gần quần đảo Spratly"));
    }

    #[test]
    fn nfd_and_tone_placement_match() {
        use unicode_normalization::UnicodeNormalization;
        let nfd: String = "Khánh Hòa".nfd().collect();
        assert!(holds("\"Khánh Hoà\"", &nfd, ""));
    }

    #[test]
    fn boolean_and_fields() {
        assert!(holds("biển -\"du lịch\"", "biển xanh", ""));
        assert!(!holds("biển -\"du lịch\"", "du lịch biển", ""));
        assert!(holds("lang:vi AND biển", "biển", ""));
        assert!(!holds("title:biển", "", "biển"));
        assert!(holds("南沙", "", "中国在南沙群岛"));
    }

    #[test]
    fn cjk_terms_are_reported_as_written() {
        let e = crate::query::parse("남중국해").expect("query");
        let d = Doc::new("베트남, 남중국해 영유권 주장", "", "ko", "s", "foreign");
        assert_eq!(eval(&Rule::compile(&e), &d).map(|h| h.matched()), Some(vec!["남중국해".to_string()]));
    }

    #[test]
    fn repeated_phrases_are_counted_without_overlap() {
        let d = Doc::new("", "Biển Đông, Biển Đông và Biển Đông", "vi", "s", "d");
        let q: Vec<QWord> = ["Biển", "Đông"].iter().map(|w| QWord::new(w)).collect();
        assert_eq!(count_phrase(&d.body, &q, d.plain), 3);
    }
}
