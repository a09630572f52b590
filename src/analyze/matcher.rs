//! Evaluates a parsed query against one article's title and body, for tagging. Precision first:
//! a query word with diacritics matches the exact (NFC, tone-placement-insensitive) word; folded
//! matching is allowed only in text written without diacritics; a capitalised query word (a proper
//! name) only matches a capitalised or all-caps word, so `Sơn Dương` the district is not `sơn dương`
//! the animal and `Cao Đài` is not found inside `tối cao Đài Loan`.

use crate::query::{Expr, Field};
use crate::text;

#[derive(Debug)]
pub struct DocWord {
    exact: String,
    folded: String,
    has_dia: bool,
    cap: bool,
    all_caps: bool,
}

/// An article prepared for matching: each word keyed once, reused by every topic and locality.
#[derive(Debug)]
pub struct Doc<'a> {
    pub title: Vec<DocWord>,
    pub body: Vec<DocWord>,
    pub plain: bool,
    pub lang: &'a str,
    pub source: &'a str,
    pub origin: &'a str,
}

fn prepare(s: &str) -> Vec<DocWord> {
    text::words(s)
        .iter()
        .map(|w| DocWord {
            exact: w.exact(),
            folded: w.folded(),
            has_dia: !w.bigram && text::has_diacritics(w.raw),
            cap: w.capitalized,
            all_caps: w.all_caps,
        })
        .collect()
}

impl<'a> Doc<'a> {
    pub fn new(title: &str, body: &str, lang: &'a str, source: &'a str, origin: &'a str) -> Doc<'a> {
        let plain = text::is_plain(&format!("{title} {body}"));
        Doc { title: prepare(title), body: prepare(body), plain, lang, source, origin }
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
    pub fn new(raw: &str) -> QWord {
        let bigram = raw.chars().next().is_some_and(text::is_bigram_script);
        QWord {
            exact: if bigram { raw.to_string() } else { text::exact_key(raw) },
            folded: if bigram { raw.to_string() } else { text::fold(raw) },
            has_dia: !bigram && text::has_diacritics(raw),
            cap: raw.chars().next().is_some_and(char::is_uppercase),
        }
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
pub fn count_phrase(words: &[DocWord], phrase: &[QWord], plain: bool) -> usize {
    if phrase.is_empty() || words.len() < phrase.len() {
        return 0;
    }
    let mut n = 0;
    let mut i = 0;
    while i + phrase.len() <= words.len() {
        if phrase.iter().enumerate().all(|(k, q)| q.matches(&words[i + k], plain)) {
            n += 1;
            i += phrase.len();
        } else {
            i += 1;
        }
    }
    n
}

/// What a successful evaluation matched: each positive phrase with its title and body counts.
#[derive(Debug, Default, Clone)]
pub struct Hits {
    pub terms: Vec<(String, usize, usize)>,
}

impl Hits {
    pub fn in_title(&self) -> bool {
        self.terms.iter().any(|t| t.1 > 0)
    }
    pub fn body_mentions(&self) -> usize {
        self.terms.iter().map(|t| t.2).sum()
    }
    pub fn matched(&self) -> Vec<String> {
        let mut v: Vec<String> = self.terms.iter().map(|t| t.0.clone()).collect();
        v.dedup();
        v
    }
}

/// Evaluates the expression; `Some(hits)` when it holds.
pub fn eval(e: &Expr, doc: &Doc) -> Option<Hits> {
    match e {
        Expr::Text { words, .. } => {
            let q: Vec<QWord> = words.iter().map(|w| QWord::new(w)).collect();
            let t = count_phrase(&doc.title, &q, doc.plain);
            let b = count_phrase(&doc.body, &q, doc.plain);
            (t + b > 0).then(|| Hits { terms: vec![(words.join(" "), t, b)] })
        }
        Expr::Field { field: Field::Title, value } => {
            let q: Vec<QWord> = text::words(value).iter().map(|w| QWord::new(w.raw)).collect();
            let t = count_phrase(&doc.title, &q, doc.plain);
            (t > 0).then(|| Hits { terms: vec![(value.clone(), t, 0)] })
        }
        Expr::Field { field, value } => {
            let v = match field {
                Field::Lang => doc.lang,
                Field::Source => doc.source,
                Field::Origin => doc.origin,
                // rejected for topics at config validation; never true here
                Field::Topic | Field::Locality | Field::Title => return None,
            };
            v.eq_ignore_ascii_case(value).then(Hits::default)
        }
        Expr::Date(_) => None,
        Expr::And(items) => {
            let mut hits = Hits::default();
            for x in items {
                hits.terms.extend(eval(x, doc)?.terms);
            }
            Some(hits)
        }
        Expr::Or(items) => {
            let mut hits = Hits::default();
            let mut any = false;
            for x in items {
                if let Some(h) = eval(x, doc) {
                    any = true;
                    hits.terms.extend(h.terms);
                }
            }
            any.then_some(hits)
        }
        Expr::Not(x) => match eval(x, doc) {
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
        eval(&e, &d).is_some()
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
}
