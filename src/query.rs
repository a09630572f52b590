//! The query language users type and topics are written in: terms, `"phrases"`, `AND`/`OR`/`NOT`,
//! `-term`, parentheses, `field:value` and date ranges, with Lucene/Google precedence
//! (`a b OR c` is `(a AND b) OR c`). One parser serves search (built into a tantivy query in `search`)
//! and tagging (evaluated against an article in `analyze`), so a topic means the same in both.

use chrono::NaiveDate;
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A word, or several words typed as a phrase (`"Trường Sa"`); matched word by word in order.
    Text {
        words: Vec<String>,
        phrase: bool,
    },
    Field {
        field: Field,
        value: String,
    },
    Date(DateRange),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Restricts a term or phrase to the title.
    Title,
    Source,
    Lang,
    Topic,
    /// A topic whose words occur, whether or not the article is about it.
    Mentions,
    Locality,
    Origin,
}

impl Field {
    fn parse(s: &str) -> Option<Field> {
        Some(match s.to_ascii_lowercase().as_str() {
            "title" => Field::Title,
            "source" => Field::Source,
            "lang" | "language" => Field::Lang,
            "topic" => Field::Topic,
            "mentions" | "mention" => Field::Mentions,
            "locality" | "place" => Field::Locality,
            "origin" => Field::Origin,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Source => "source",
            Field::Lang => "lang",
            Field::Topic => "topic",
            Field::Mentions => "mentions",
            Field::Locality => "locality",
            Field::Origin => "origin",
        }
    }
}

/// Inclusive calendar dates, interpreted in Asia/Ho_Chi_Minh by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("empty query")]
    Empty,
    #[error("unclosed quote starting at character {0}")]
    UnclosedQuote(usize),
    #[error("unbalanced parenthesis at character {0}")]
    Unbalanced(usize),
    #[error("`{0}` needs something after it")]
    Dangling(String),
    #[error("unknown field `{0}` (known: title, source, lang, topic, mentions, locality, origin, date)")]
    UnknownField(String),
    #[error("bad date `{0}`: write YYYY-MM-DD, YYYY-MM-DD..YYYY-MM-DD, >=YYYY-MM-DD or <=YYYY-MM-DD")]
    BadDate(String),
    #[error("the query only excludes; add something to look for")]
    OnlyNegative,
    #[error("the query nests parentheses or NOT more than {MAX_DEPTH} deep")]
    TooDeep,
    #[error("the query has more than {MAX_TERMS} terms")]
    TooLong,
}

/// Deepest nesting of parentheses and negations a query may have. Parsing, simplifying, building
/// the tantivy query and evaluating a topic all recurse on the tree; this bound keeps them far from
/// any thread's stack limit whatever is typed (5,000 `(` used to abort the process).
pub const MAX_DEPTH: usize = 32;
/// Most terms (words, phrases, fields, operators) in one query; longer ones are refused before parsing.
pub const MAX_TERMS: usize = 1024;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Phrase(String),
    /// `field:` followed by a word or phrase
    Fielded(String, String, bool),
    And,
    Or,
    Not,
    Minus,
    Open(usize),
    Close(usize),
}

fn lex(input: &str) -> Result<Vec<Tok>, QueryError> {
    let chars: Vec<(usize, char)> = input.char_indices().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let read_quoted = |i: &mut usize| -> Result<String, QueryError> {
        let start = *i;
        *i += 1;
        let mut s = String::new();
        while *i < chars.len() && !matches!(chars[*i].1, '"' | '“' | '”') {
            s.push(chars[*i].1);
            *i += 1;
        }
        if *i >= chars.len() {
            return Err(QueryError::UnclosedQuote(start));
        }
        *i += 1;
        Ok(s)
    };
    while i < chars.len() {
        let c = chars[i].1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push(Tok::Open(i));
            i += 1;
        } else if c == ')' {
            out.push(Tok::Close(i));
            i += 1;
        } else if matches!(c, '"' | '“' | '”') {
            out.push(Tok::Phrase(read_quoted(&mut i)?));
        } else if c == '-'
            && i + 1 < chars.len()
            && !chars[i + 1].1.is_whitespace()
            && (i == 0 || chars[i - 1].1.is_whitespace() || chars[i - 1].1 == '(')
        {
            out.push(Tok::Minus);
            i += 1;
        } else if c == '+' {
            i += 1;
        } else {
            let mut s = String::new();
            while i < chars.len() && !chars[i].1.is_whitespace() && !matches!(chars[i].1, '(' | ')' | '"' | '“' | '”') {
                s.push(chars[i].1);
                i += 1;
                if s.ends_with(':') && s.len() > 1 && s[..s.len() - 1].chars().all(|c| c.is_ascii_alphabetic()) {
                    break;
                }
            }
            if let Some(field) = s.strip_suffix(':').filter(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphabetic())) {
                let field = field.to_string();
                if i < chars.len() && matches!(chars[i].1, '"' | '“' | '”') {
                    let v = read_quoted(&mut i)?;
                    out.push(Tok::Fielded(field, v, true));
                } else if i < chars.len() && chars[i].1 == '[' {
                    // date:[a TO b]
                    let mut v = String::new();
                    while i < chars.len() && chars[i].1 != ']' {
                        v.push(chars[i].1);
                        i += 1;
                    }
                    if i < chars.len() {
                        v.push(']');
                        i += 1;
                    }
                    out.push(Tok::Fielded(field, v, false));
                } else {
                    let mut v = String::new();
                    while i < chars.len() && !chars[i].1.is_whitespace() && !matches!(chars[i].1, '(' | ')') {
                        v.push(chars[i].1);
                        i += 1;
                    }
                    if v.is_empty() {
                        return Err(QueryError::Dangling(format!("{field}:")));
                    }
                    out.push(Tok::Fielded(field, v, false));
                }
                continue;
            }
            match s.as_str() {
                "AND" | "&&" => out.push(Tok::And),
                "OR" | "||" => out.push(Tok::Or),
                "NOT" => out.push(Tok::Not),
                _ => out.push(Tok::Word(s)),
            }
        }
    }
    Ok(out)
}

/// Parses a query. Words are split on punctuation the way indexed text is (`text::words`), so a
/// typed `Hoàng-Sa` or `Sa,` means what the index holds.
pub fn parse(input: &str) -> Result<Expr, QueryError> {
    let input = crate::text::normalize(input);
    let toks = lex(&input)?;
    if toks.is_empty() {
        return Err(QueryError::Empty);
    }
    if toks.len() > MAX_TERMS {
        return Err(QueryError::TooLong);
    }
    let mut p = Parser { toks, pos: 0, depth: 0 };
    let e = p.or()?;
    if let Some(t) = p.toks.get(p.pos) {
        return Err(match t {
            Tok::Close(i) | Tok::Open(i) => QueryError::Unbalanced(*i),
            _ => QueryError::Dangling(format!("{t:?}")),
        });
    }
    let e = simplify(e).ok_or(QueryError::Empty)?;
    if !has_positive(&e) {
        return Err(QueryError::OnlyNegative);
    }
    Ok(e)
}

fn has_positive(e: &Expr) -> bool {
    match e {
        Expr::Not(_) => false,
        Expr::And(v) => v.iter().any(has_positive),
        Expr::Or(v) => v.iter().all(has_positive),
        _ => true,
    }
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    /// parentheses and negations open at this point
    depth: usize,
}

impl Parser {
    fn deeper(&mut self) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError::TooDeep);
        }
        Ok(())
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut items = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            if self.peek().is_none() || matches!(self.peek(), Some(Tok::Close(_))) {
                return Err(QueryError::Dangling("OR".into()));
            }
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 { items.pop().unwrap_or(Expr::And(vec![])) } else { Expr::Or(items) })
    }
    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut items = vec![self.unary()?];
        loop {
            match self.peek() {
                None | Some(Tok::Or) | Some(Tok::Close(_)) => break,
                Some(Tok::And) => {
                    self.pos += 1;
                    if matches!(self.peek(), None | Some(Tok::Close(_)) | Some(Tok::Or)) {
                        return Err(QueryError::Dangling("AND".into()));
                    }
                }
                _ => {}
            }
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 { items.pop().unwrap_or(Expr::And(vec![])) } else { Expr::And(items) })
    }
    fn unary(&mut self) -> Result<Expr, QueryError> {
        match self.peek().cloned() {
            Some(Tok::Not) | Some(Tok::Minus) => {
                let what = if self.peek() == Some(&Tok::Not) { "NOT" } else { "-" };
                self.pos += 1;
                if matches!(self.peek(), None | Some(Tok::Close(_)) | Some(Tok::Or) | Some(Tok::And)) {
                    return Err(QueryError::Dangling(what.into()));
                }
                self.deeper()?;
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(Expr::Not(Box::new(inner)))
            }
            Some(Tok::Open(at)) => {
                self.pos += 1;
                if matches!(self.peek(), None | Some(Tok::Close(_))) {
                    return Err(QueryError::Unbalanced(at));
                }
                self.deeper()?;
                let e = self.or()?;
                self.depth -= 1;
                match self.peek() {
                    Some(Tok::Close(_)) => {
                        self.pos += 1;
                        Ok(e)
                    }
                    _ => Err(QueryError::Unbalanced(at)),
                }
            }
            Some(Tok::Close(at)) => Err(QueryError::Unbalanced(at)),
            Some(Tok::Word(w)) => {
                self.pos += 1;
                Ok(text_expr(&w, false))
            }
            Some(Tok::Phrase(w)) => {
                self.pos += 1;
                Ok(text_expr(&w, true))
            }
            Some(Tok::Fielded(f, v, quoted)) => {
                self.pos += 1;
                fielded(&f, &v, quoted)
            }
            Some(Tok::And) => Err(QueryError::Dangling("AND".into())),
            Some(Tok::Or) => Err(QueryError::Dangling("OR".into())),
            None => Err(QueryError::Empty),
        }
    }
}

fn text_expr(s: &str, quoted: bool) -> Expr {
    let words: Vec<String> = crate::text::words(s).iter().map(|w| w.raw.to_string()).collect();
    // An unquoted token that splits into several words (`Hoàng-Sa`, a CJK run) is matched as a phrase.
    let phrase = quoted || words.len() > 1;
    Expr::Text { words, phrase }
}

fn fielded(field: &str, value: &str, quoted: bool) -> Result<Expr, QueryError> {
    if field.eq_ignore_ascii_case("date") || field.eq_ignore_ascii_case("published") {
        return Ok(Expr::Date(parse_date_range(value)?));
    }
    let f = Field::parse(field).ok_or_else(|| QueryError::UnknownField(field.to_string()))?;
    // A quoted title value is a phrase; unquoted, its words are matched as a phrase too, which is
    // what `title:Hoàng-Sa` means.
    let _ = quoted;
    Ok(Expr::Field { field: f, value: value.trim().to_string() })
}

pub fn parse_date_range(v: &str) -> Result<DateRange, QueryError> {
    let bad = || QueryError::BadDate(v.to_string());
    let d = |s: &str| -> Result<Option<NaiveDate>, QueryError> {
        let s = s.trim();
        if s.is_empty() || s == "*" {
            return Ok(None);
        }
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(crate::time::within_years).map(Some).ok_or_else(bad)
    };
    let v = v.trim();
    if let Some(inner) = v.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        let (a, b) = inner.split_once(" TO ").ok_or_else(bad)?;
        let r = DateRange { from: d(a)?, to: d(b)? };
        if r.from.is_none() && r.to.is_none() {
            // `[* TO *]` bounds nothing (and an open range on both sides is no range to search)
            return Err(bad());
        }
        return Ok(r);
    }
    if let Some((a, b)) = v.split_once("..") {
        let r = DateRange { from: d(a)?, to: d(b)? };
        if r.from.is_none() && r.to.is_none() {
            return Err(bad());
        }
        return Ok(r);
    }
    if let Some(a) = v.strip_prefix(">=") {
        return Ok(DateRange { from: Some(d(a)?.ok_or_else(bad)?), to: None });
    }
    if let Some(b) = v.strip_prefix("<=") {
        return Ok(DateRange { from: None, to: Some(d(b)?.ok_or_else(bad)?) });
    }
    let day = d(v)?.ok_or_else(bad)?;
    Ok(DateRange { from: Some(day), to: Some(day) })
}

/// Drops empty text (a lone `,`) and flattens nested AND/OR.
fn simplify(e: Expr) -> Option<Expr> {
    match e {
        Expr::Text { ref words, .. } if words.is_empty() => None,
        Expr::Field { field: Field::Title, ref value } if crate::text::words(value).is_empty() => None,
        Expr::And(v) | Expr::Or(v) if v.is_empty() => None,
        Expr::And(v) => flatten(v, Expr::And, |x| if let Expr::And(inner) = x { Ok(inner) } else { Err(x) }),
        Expr::Or(v) => flatten(v, Expr::Or, |x| if let Expr::Or(inner) = x { Ok(inner) } else { Err(x) }),
        Expr::Not(inner) => simplify(*inner).map(|x| Expr::Not(Box::new(x))),
        other => Some(other),
    }
}

/// Simplifies the items of an AND (or OR), lifting nested ANDs (ORs) into it.
fn flatten(items: Vec<Expr>, make: fn(Vec<Expr>) -> Expr, same: fn(Expr) -> Result<Vec<Expr>, Expr>) -> Option<Expr> {
    let mut out = Vec::new();
    for x in items.into_iter().filter_map(simplify) {
        match same(x) {
            Ok(inner) => out.extend(inner),
            Err(x) => out.push(x),
        }
    }
    match out.len() {
        0 => None,
        1 => out.pop(),
        _ => Some(make(out)),
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Text { words, phrase: true } => write!(f, "\"{}\"", words.join(" ")),
            Expr::Text { words, .. } => write!(f, "{}", words.join(" ")),
            Expr::Field { field, value } => write!(f, "{}:{}", field.name(), value),
            Expr::Date(r) => {
                write!(f, "date:{}..{}", r.from.map(|d| d.to_string()).unwrap_or_default(), r.to.map(|d| d.to_string()).unwrap_or_default())
            }
            Expr::And(v) => write!(f, "({})", v.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(" AND ")),
            Expr::Or(v) => write!(f, "({})", v.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(" OR ")),
            Expr::Not(e) => write!(f, "-{e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(q: &str) -> String {
        parse(q).map(|e| e.to_string()).unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn or_binds_looser_than_and() {
        assert_eq!(s("Hoàng Sa OR Paracel"), "((Hoàng AND Sa) OR Paracel)");
        assert_eq!(s("\"Trường Sa\" OR Spratly OR 南沙"), "(\"Trường Sa\" OR Spratly OR 南沙)");
    }

    #[test]
    fn negation_fields_dates() {
        assert_eq!(s("biển -\"du lịch\""), "(biển AND -\"du lịch\")");
        assert_eq!(s("a NOT (b OR c)"), "(a AND -(b OR c))");
        assert_eq!(s("lang:vi topic:bien-dao"), "(lang:vi AND topic:bien-dao)");
        assert_eq!(s("x date:2026-11-01..2026-11-07"), "(x AND date:2026-11-01..2026-11-07)");
        assert_eq!(s("x date:[2026-11-01 TO *]"), "(x AND date:2026-11-01..)");
        assert_eq!(s("x date:>=2026-11-01"), "(x AND date:2026-11-01..)");
    }

    #[test]
    fn errors_say_what() {
        // a year chrono reads but no date arithmetic survives
        for q in ["date:-262143-01-01", "date:+262142-12-31..", "date:[1800-01-01 TO *]"] {
            assert!(matches!(parse(q), Err(QueryError::BadDate(_))), "{q}");
        }
        assert_eq!(parse("\"open"), Err(QueryError::UnclosedQuote(0)));
        assert!(matches!(parse("(a OR b"), Err(QueryError::Unbalanced(0))));
        assert!(matches!(parse("a)"), Err(QueryError::Unbalanced(1))));
        // a parenthesis left open at the end is unbalanced, not an empty query
        assert!(matches!(parse("topic:bien-dao ("), Err(QueryError::Unbalanced(15))));
        assert!(matches!(parse("a OR"), Err(QueryError::Dangling(_))));
        assert!(matches!(parse("foo:bar"), Err(QueryError::UnknownField(_))));
        assert!(matches!(parse("date:yesterday"), Err(QueryError::BadDate(_))));
        assert_eq!(parse("-x"), Err(QueryError::OnlyNegative));
        assert_eq!(parse("   "), Err(QueryError::Empty));
    }

    #[test]
    fn query_bombs_are_refused_not_recursed() {
        // regression (issue 13): 5,000 `(` or 10,000 `NOT ` overflowed a worker's stack
        assert_eq!(parse(&"(".repeat(5000)), Err(QueryError::TooLong));
        assert_eq!(parse(&"(".repeat(500)), Err(QueryError::TooDeep));
        assert_eq!(parse(&format!("{}x", "NOT ".repeat(10_000))), Err(QueryError::TooLong));
        assert_eq!(parse(&format!("{}x", "NOT ".repeat(100))), Err(QueryError::TooDeep));
        assert_eq!(parse(&format!("{}x{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1))), Err(QueryError::TooDeep));
        assert_eq!(s(&format!("{}x{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH))), "x");
        assert_eq!(parse(&"a ".repeat(MAX_TERMS + 1)), Err(QueryError::TooLong));
        assert!(parse(&"a ".repeat(MAX_TERMS)).is_ok());
    }

    #[test]
    fn open_date_range_on_both_sides_is_an_error() {
        // regression (issue 13): `date:[* TO *]` reached tantivy as a range with no bounds and panicked
        assert!(matches!(parse("x date:[* TO *]"), Err(QueryError::BadDate(_))));
        assert!(matches!(parse("date:[* TO *]"), Err(QueryError::BadDate(_))));
    }

    #[test]
    fn hyphenated_and_cjk_words_become_phrases() {
        assert_eq!(s("Hoàng-Sa"), "\"Hoàng Sa\"");
        assert_eq!(s("南沙群岛"), "\"南沙 沙群 群岛\"");
    }
}
