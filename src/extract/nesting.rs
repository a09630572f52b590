//! Bounded nesting for crawled markup, before any parser sees it.
//!
//! The HTML5 tree builder checks element scopes by walking its stack of open elements, so a page of
//! N nested `<div>` costs O(N²) to parse (100,000 of them: minutes), and every recursive walk after it
//! (readability, ours, the tree's drop) can overflow a thread's stack. Real news pages nest a few dozen
//! levels. So one linear pass over the markup keeps the first `MAX_DEPTH` levels as they are and drops
//! the tags (not the text) of anything nested deeper: a hostile page costs what its size costs, and
//! its text is still read. XML feeds are not repaired but refused past the same depth (`xml_depth`).

use std::borrow::Cow;
use std::collections::HashMap;

/// Deepest element nesting kept. Real pages measured on the extraction benchmarks stay under 60.
pub const MAX_DEPTH: usize = 256;

/// The markup with every tag nested deeper than `max` removed (their text kept). Borrowed, and
/// unchanged, when nothing is that deep: the common case costs one scan.
pub fn flatten_html(html: &str, max: usize) -> Cow<'_, str> {
    let b = html.as_bytes();
    let mut open: Vec<&str> = Vec::new();
    // tags dropped because they were too deep, by name: their end tags are dropped too
    let mut dropped: HashMap<String, usize> = HashMap::new();
    let mut out: Option<String> = None;
    let mut kept = 0; // html[..kept] is copied to `out` (or unchanged, while `out` is None)
    let mut i = 0;
    while let Some(off) = memchr_lt(&b[i..]) {
        let at = i + off;
        let rest = &html[at..];
        if rest.starts_with("<!--") {
            i = rest[4..].find("-->").map_or(b.len(), |e| at + 4 + e + 3);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            i = rest.find('>').map_or(b.len(), |e| at + e + 1);
            continue;
        }
        let closing = rest.as_bytes().get(1) == Some(&b'/');
        let name_start = at + if closing { 2 } else { 1 };
        let name_len = b[name_start..].iter().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b':' | b'_')).count();
        if name_len == 0 || !b[name_start].is_ascii_alphabetic() {
            i = at + 1; // a `<` in text
            continue;
        }
        let name = &html[name_start..name_start + name_len];
        let Some(end) = tag_end(b, name_start + name_len) else { break };
        let kind = kind_of(name);
        let mut drop_tag = false;
        if closing {
            if let Some(n) = (!dropped.is_empty()).then(|| dropped.get_mut(&name.to_ascii_lowercase())).flatten().filter(|n| **n > 0) {
                *n -= 1;
                drop_tag = true;
            } else if let Some(pos) = open.iter().rposition(|o| o.eq_ignore_ascii_case(name)) {
                open.truncate(pos);
            }
        } else if kind != Kind::Flat {
            if open.len() >= max {
                *dropped.entry(name.to_ascii_lowercase()).or_default() += 1;
                drop_tag = true;
            } else {
                open.push(name);
            }
        }
        i = end;
        if !closing && kind == Kind::RawText {
            // skip to its end tag, which the loop then reads as an ordinary end tag
            let close = format!("</{name}");
            i = super::find_ci(b, end, close.as_bytes()).unwrap_or(b.len());
        }
        if drop_tag {
            let o = out.get_or_insert_with(|| String::with_capacity(html.len()));
            o.push_str(&html[kept..at]);
            kept = end;
        }
    }
    match out {
        None => Cow::Borrowed(html),
        Some(mut o) => {
            o.push_str(&html[kept..]);
            Cow::Owned(o)
        }
    }
}

/// How deep the elements of an XML document nest (start tags not yet closed), read in one pass
/// without building anything. Comments, CDATA, processing instructions and quoted attribute values
/// are skipped, so markup inside them does not count.
pub fn xml_depth(xml: &str) -> usize {
    let b = xml.as_bytes();
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut i = 0;
    while let Some(off) = memchr_lt(&b[i..]) {
        let at = i + off;
        let rest = &xml[at..];
        if rest.starts_with("<!--") {
            i = rest[4..].find("-->").map_or(b.len(), |e| at + 4 + e + 3);
        } else if rest.starts_with("<![CDATA[") {
            i = rest.find("]]>").map_or(b.len(), |e| at + e + 3);
        } else if rest.starts_with("<!") || rest.starts_with("<?") {
            i = rest.find('>').map_or(b.len(), |e| at + e + 1);
        } else if rest.starts_with("</") {
            depth = depth.saturating_sub(1);
            i = at + 2;
        } else {
            let Some(end) = tag_end(b, at + 1) else { break };
            if b[end - 2] != b'/' {
                depth += 1;
                deepest = deepest.max(depth);
            }
            i = end;
        }
    }
    deepest
}

/// How an element's start tag counts toward depth.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Opens a level, closed by its end tag.
    Nests,
    /// Never holds children (void elements), or is closed by the tree builder when another of its
    /// kind (or a block) opens, so repeating it unclosed does not nest (`<p><p><p>`, `<li><li>`,
    /// `<a><a>`): counting those would mistake sloppy but harmless markup for depth.
    Flat,
    /// Nests, and its content is raw text up to its end tag: a `<div>` inside `<textarea>` is not a tag.
    RawText,
}

/// The kind of an element by its tag name, any case: one lowercase match per tag (no listed name
/// is longer than ten bytes).
fn kind_of(name: &str) -> Kind {
    let mut buf = [0u8; 10];
    if name.len() > buf.len() {
        return Kind::Nests;
    }
    for (d, c) in buf.iter_mut().zip(name.bytes()) {
        *d = c.to_ascii_lowercase();
    }
    match &buf[..name.len()] {
        b"script" | b"style" | b"textarea" | b"title" | b"xmp" | b"iframe" | b"noembed" | b"noframes" | b"plaintext" => Kind::RawText,
        // void
        b"area" | b"base" | b"br" | b"col" | b"embed" | b"hr" | b"img" | b"input" | b"link" | b"meta" | b"param" | b"source"
        | b"track" | b"wbr" | b"keygen" | b"frame" | b"basefont" | b"bgsound" | b"command" | b"image"
        // closed by a sibling
        | b"p" | b"li" | b"dt" | b"dd" | b"option" | b"optgroup" | b"tr" | b"td" | b"th" | b"thead" | b"tbody" | b"tfoot" | b"a"
        | b"button" | b"nobr" | b"rb" | b"rt" | b"rp" | b"rtc" | b"html" | b"head" | b"body" => Kind::Flat,
        _ => Kind::Nests,
    }
}

fn memchr_lt(b: &[u8]) -> Option<usize> {
    memchr::memchr(b'<', b)
}

/// The index just past the `>` that ends a tag whose attributes start at `from`, skipping quoted
/// attribute values; None if the tag never ends.
fn tag_end(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        let at = i + memchr::memchr3(b'>', b'"', b'\'', &b[i..])?;
        match b[at] {
            b'>' => return Some(at + 1),
            q => i = at + 1 + memchr::memchr(q, &b[at + 1..])? + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(tag: &str, n: usize, inner: &str) -> String {
        format!("{}{inner}{}", format!("<{tag}>").repeat(n), format!("</{tag}>").repeat(n))
    }

    #[test]
    fn shallow_markup_is_untouched() {
        let html = "<html><body><div class=\"a>b\"><p>x<p>y<!-- <div><div> --><textarea><div></textarea></div></body></html>";
        assert!(matches!(flatten_html(html, 3), Cow::Borrowed(_)));
    }

    #[test]
    fn deep_tags_go_their_text_stays() {
        let html = nested("div", 10, "word");
        let flat = flatten_html(&html, 4);
        assert_eq!(flat, nested("div", 4, "word"));
    }

    #[test]
    fn deep_page_flattens_in_linear_time_and_parses() {
        // regression (issue 13): 100,000 nested divs took minutes to parse, then overflowed the stack
        let html = format!("<html><body>{}</body></html>", nested("div", 100_000, "Một câu văn bản trong trang."));
        let flat = flatten_html(&html, MAX_DEPTH);
        assert!(flat.len() < 10_000, "{}", flat.len());
        assert!(flat.contains("Một câu văn bản"));
    }

    #[test]
    fn unclosed_paragraphs_and_links_are_not_depth() {
        let html = format!("<div>{}</div>", "<p><a href=x>link".repeat(1000));
        assert!(matches!(flatten_html(&html, 8), Cow::Borrowed(_)));
        // unclosed formatting elements do nest in the tree builder, and are bounded
        let bold = "<b>x".repeat(1000);
        assert!(flatten_html(&bold, 8).matches("<b>").count() == 8);
    }

    #[test]
    fn tag_kinds_ignore_case() {
        assert_eq!(kind_of("DIV"), Kind::Nests);
        assert_eq!(kind_of("Br"), Kind::Flat);
        assert_eq!(kind_of("P"), Kind::Flat);
        assert_eq!(kind_of("TextArea"), Kind::RawText);
        assert_eq!(kind_of("plaintext"), Kind::RawText);
        assert_eq!(kind_of("blockquotes"), Kind::Nests, "longer than any listed name");
        assert_eq!(kind_of("scripts"), Kind::Nests);
    }

    #[test]
    fn xml_depth_counts_elements_not_text() {
        assert_eq!(
            xml_depth("<?xml version=\"1.0\"?><rss><channel><item a=\"<x>\"><br/><!-- <a><a> --><![CDATA[<b><b>]]></item></channel></rss>"),
            3
        );
        assert_eq!(xml_depth(&nested("a", 5000, "")), 5000);
    }
}
