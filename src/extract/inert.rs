//! Before the parser: inert elements (scripts, styles, templates, comments) taken out with light
//! byte scans, so the tree holds only what can be read.

use super::nesting;
use dom_query::Document;

/// The page parsed as the HTML5 parser would, without inert elements and nested no deeper than
/// `nesting::MAX_DEPTH` (so parsing and every walk of the tree stay linear and shallow).
pub(super) fn parse_html(html: &str) -> Document {
    let stripped = strip_inert(html);
    Document::from(nesting::flatten_html(&stripped, nesting::MAX_DEPTH).as_ref())
}

/// Drops `<script>` (except JSON-LD, read for dates), `<style>` and inline `<svg>` elements, and
/// comments, before parsing. They never hold article text, readability removes them anyway, and on the extraction
/// benchmark they are 60 % of the bytes: the HTML5 tokenizer was spending most of its time in them.
pub(super) fn strip_inert(html: &str) -> std::borrow::Cow<'_, str> {
    let b = html.as_bytes();
    let mut out: Option<String> = None;
    let mut kept = 0; // bytes of `html` up to here are copied (or still to be copied) as they are
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let at = i + off;
        let end = if b[at + 1..].starts_with(b"!--") {
            // a comment never holds text: it goes too, ended as the HTML5 tokenizer ends it
            let Some(end) = comment_end(b, at) else { break };
            end
        } else {
            let tag = if starts_tag(b, at + 1, b"script") {
                Some(&b"</script"[..])
            } else if starts_tag(b, at + 1, b"style") {
                Some(&b"</style"[..])
            } else if starts_tag(b, at + 1, b"svg") {
                Some(&b"</svg"[..])
            } else {
                None
            };
            let Some(close) = tag else {
                i = at + 1;
                continue;
            };
            let open_end = match html[at..].find('>') {
                Some(e) => at + e + 1,
                None => break,
            };
            if close == b"</script" && html[at..open_end].to_ascii_lowercase().contains("ld+json") {
                i = open_end;
                continue;
            }
            // the element ends at the first closing tag (HTML's rule for raw text); unclosed: keep all
            let Some(end) = find_ci(b, open_end, close).and_then(|c| html[c..].find('>').map(|e| c + e + 1)) else { break };
            end
        };
        let o = out.get_or_insert_with(|| String::with_capacity(html.len() / 2));
        o.push_str(&html[kept..at]);
        kept = end;
        i = end;
    }
    match out {
        None => std::borrow::Cow::Borrowed(html),
        Some(mut o) => {
            o.push_str(&html[kept..]);
            std::borrow::Cow::Owned(o)
        }
    }
}

/// Just past the end of the comment opening at `at` (`<!--`): `<!-->` and `<!--->` are empty
/// comments, otherwise the first `-->` or `--!>`; None if it never ends (then it runs to the end).
pub(super) fn comment_end(b: &[u8], at: usize) -> Option<usize> {
    let body = at + 4;
    if b[body..].starts_with(b">") {
        return Some(body + 1);
    }
    if b[body..].starts_with(b"->") {
        return Some(body + 2);
    }
    // the rare `--!>` counts only before the first `-->` (searched there alone, not to the end)
    let close = memchr::memmem::find(&b[body..], b"-->").map(|e| body + e);
    let upto = close.unwrap_or(b.len());
    match memchr::memmem::find(&b[body..upto], b"--!>") {
        Some(e) => Some(body + e + 4),
        None => close.map(|c| c + 3),
    }
}

/// `name` at `at`, case-insensitively, followed by whitespace, `>` or `/` (so `<scripts>` is not it).
pub(super) fn starts_tag(b: &[u8], at: usize, name: &[u8]) -> bool {
    b.len() > at + name.len()
        && b[at..at + name.len()].eq_ignore_ascii_case(name)
        && matches!(b[at + name.len()], b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'>' | b'/')
}

/// First case-insensitive occurrence of `needle` at or after `from`.
pub(crate) fn find_ci(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let (lower, upper) = (needle[0].to_ascii_lowercase(), needle[0].to_ascii_uppercase());
    let mut i = from;
    while i + needle.len() <= b.len() {
        let off = memchr::memchr2(lower, upper, &b[i..])?;
        let at = i + off;
        if at + needle.len() <= b.len() && b[at..at + needle.len()].eq_ignore_ascii_case(needle) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

