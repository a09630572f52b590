//! Turns a fetched listing (RSS 0.9x/1.0/2.0, Atom, JSON Feed, XML or text sitemap, sitemap index, or an
//! HTML page announcing its feed) into one model: the article URLs it lists, with what it says of each.
//! No I/O. Listing text is reduced to plain text here: crawled markup never travels further.

use crate::model::Listing;
use crate::time::parse_date;
use quick_xml::events::Event;
use std::io::Read;
use url::Url;

#[derive(Debug, Clone, PartialEq)]
pub enum Discovered {
    Listings(Vec<Listing>),
    /// A sitemap index: the sitemaps to fetch next.
    Sitemaps(Vec<String>),
    /// An HTML page whose `<link rel=alternate>` names its feed.
    FeedLink(String),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DiscoverError {
    #[error("not a feed or sitemap ({0})")]
    NotAFeed(String),
    #[error("malformed {kind}: {message}")]
    Malformed { kind: &'static str, message: String },
    #[error("elements nested {0} deep (at most {max} read)", max = crate::extract::nesting::MAX_DEPTH)]
    TooDeep(usize),
    #[error("decompressed sitemap exceeds {0} bytes")]
    TooLarge(u64),
}

/// Listings in a fetched body. The parsers beneath (feed-rs, quick-xml, html5ever) are others'
/// code run on hostile bytes: a panic in one of them is this body's failure, never the crawler's
/// (fuzzing found one: an XML declaration naming an encoding late in the document).
pub fn discover(body: &[u8], content_type: Option<&str>, base: &Url, max_bytes: u64) -> Result<Discovered, DiscoverError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| discover_unguarded(body, content_type, base, max_bytes)))
        .unwrap_or_else(|_| Err(DiscoverError::Malformed { kind: "listing", message: "the parser failed on this body".into() }))
}

fn discover_unguarded(body: &[u8], content_type: Option<&str>, base: &Url, max_bytes: u64) -> Result<Discovered, DiscoverError> {
    let inflated;
    let body = if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let mut dec = flate2::read::MultiGzDecoder::new(body).take(max_bytes + 1);
        dec.read_to_end(&mut out).map_err(|e| DiscoverError::Malformed { kind: "gzip", message: e.to_string() })?;
        if out.len() as u64 > max_bytes {
            return Err(DiscoverError::TooLarge(max_bytes));
        }
        inflated = out;
        &inflated[..]
    } else {
        body
    };
    let text = crate::extract::charset::decode(body, content_type);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let head: String = text.chars().take(2048).collect::<String>().to_ascii_lowercase();

    if head.contains("<urlset") {
        return sitemap(text, base).map(Discovered::Listings);
    }
    if head.contains("<sitemapindex") {
        return sitemap_index(text, base).map(Discovered::Sitemaps);
    }
    if head.starts_with('{') || head.contains("<rss") || head.contains("<feed") || head.contains("<rdf:rdf") || head.contains("<channel") {
        return feed(text, base).map(Discovered::Listings);
    }
    if head.contains("<html") || head.starts_with("<!doctype html") || head.contains("<head") || head.contains("<body") {
        return match feed_link(text, base) {
            Some(link) => Ok(Discovered::FeedLink(link)),
            None => Err(DiscoverError::NotAFeed("an HTML page with no feed link".into())),
        };
    }
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if !lines.is_empty() && lines.iter().all(|l| l.starts_with("http://") || l.starts_with("https://")) {
        // a text sitemap: one URL per line
        let listings =
            lines.iter().filter_map(|l| crate::urlnorm::resolve(base, l)).map(|url| Listing { url, ..Default::default() }).collect();
        return Ok(Discovered::Listings(listings));
    }
    let what = content_type.unwrap_or("unknown content type");
    Err(DiscoverError::NotAFeed(what.to_string()))
}

fn feed(text: &str, base: &Url) -> Result<Vec<Listing>, DiscoverError> {
    let cleaned = strip_xml_declarations(text);
    // feed-rs slices contact strings (`€name@example.org`) inside a character and panics; we never
    // read contacts, so they are dropped before parsing instead of losing the feed
    let cleaned = drop_elements(&cleaned, &["managingEditor", "webMaster", "author", "dc:creator"]);
    // feed-rs builds its element tree recursively: refuse what would overflow the stack
    let depth = crate::extract::nesting::xml_depth(&cleaned);
    if depth > crate::extract::nesting::MAX_DEPTH {
        return Err(DiscoverError::TooDeep(depth));
    }
    let parsed = match feed_rs::parser::parse(cleaned.as_bytes()) {
        Ok(f) => f,
        // Bare `&` in links is the commonest breakage of real feeds; repair it once, else report.
        Err(e) => feed_rs::parser::parse(escape_bare_ampersands(&cleaned).as_bytes())
            .map_err(|_| DiscoverError::Malformed { kind: "feed", message: e.to_string() })?,
    };
    let mut out = Vec::new();
    for entry in parsed.entries {
        let link = entry
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate") && l.media_type.as_deref().is_none_or(|m| m.contains("html")))
            .or_else(|| entry.links.first())
            .map(|l| l.href.clone())
            .or_else(|| entry.id.starts_with("http").then(|| entry.id.clone()));
        let Some(url) = link.and_then(|l| crate::urlnorm::resolve(base, &l)) else { continue };
        let summary = entry
            .summary
            .as_ref()
            .map(|t| t.content.clone())
            .or_else(|| entry.content.as_ref().and_then(|c| c.body.clone()))
            .map(|h| html_to_text(&h))
            .filter(|s| !s.is_empty());
        out.push(Listing {
            url,
            title: entry.title.map(|t| html_to_text(&t.content)).filter(|s| !s.is_empty()),
            summary,
            published_at: entry.published.or(entry.updated),
        });
    }
    Ok(out)
}

/// The text without XML declarations: we decoded the bytes already, so a declaration's encoding is
/// stale, and feed-rs panics when it meets one late in the document (fuzzing found it, then found
/// a cut that joined two broken declarations into a new one). Every `<?xml … ?>` goes, until none
/// is left; the parser then reads UTF-8, as it should.
fn strip_xml_declarations(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("<?xml") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    // each round removes at least five bytes, so this ends; what a body built to need more rounds
    // leaves is the parser's to refuse (and a panic there is caught by `discover`)
    for _ in 0..16 {
        let Some(i) = out.find("<?xml") else { break };
        let end = out[i..].find("?>").map_or(out.len(), |e| i + e + 2);
        out.replace_range(i..end, "");
    }
    std::borrow::Cow::Owned(out)
}

/// The text without the named elements (start tag to end tag, or self-closed).
fn drop_elements<'t>(text: &'t str, names: &[&str]) -> std::borrow::Cow<'t, str> {
    if !names.iter().any(|n| text.contains(&format!("<{n}"))) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for n in names {
        let (open, close) = (format!("<{n}"), format!("</{n}>"));
        let mut kept = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(i) = rest.find(&open) {
            let after = &rest[i + open.len()..];
            // `<author>` but not `<authority>`
            if !after.starts_with(['>', ' ', '/', '\t', '\n', '\r']) {
                kept.push_str(&rest[..i + open.len()]);
                rest = after;
                continue;
            }
            kept.push_str(&rest[..i]);
            let tag_end = after.find('>').map_or(after.len(), |e| e + 1);
            rest = if after[..tag_end].ends_with("/>") {
                &after[tag_end..]
            } else {
                after.find(&close).map_or("", |c| &after[c + close.len()..])
            };
        }
        kept.push_str(rest);
        out = kept;
    }
    std::borrow::Cow::Owned(out)
}

/// Escapes `&` that does not start an entity or character reference.
fn escape_bare_ampersands(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let name_len = after.find(';').filter(|&n| {
            n > 0 && n <= 10 && {
                let name = &after[..n];
                name.chars().all(|c| c.is_ascii_alphanumeric())
                    || (name.starts_with('#') && name[1..].chars().all(|c| c.is_ascii_alphanumeric()))
            }
        });
        out.push_str(if name_len.is_some() { "&" } else { "&amp;" });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Plain text of an HTML fragment (feed titles and summaries are often HTML or escaped HTML).
pub fn html_to_text(s: &str) -> String {
    if !s.contains('<') && !s.contains('&') {
        return crate::text::normalize(&s.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    let s = crate::extract::nesting::flatten_html(s, crate::extract::nesting::MAX_DEPTH);
    let frag = scraper::Html::parse_fragment(&s);
    let text: String = frag.root_element().text().collect::<Vec<_>>().join(" ");
    crate::text::normalize(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn xml_reader(text: &str) -> quick_xml::Reader<&[u8]> {
    let mut r = quick_xml::Reader::from_str(text);
    r.config_mut().trim_text(false);
    r.config_mut().check_end_names = false;
    r
}

fn sitemap(text: &str, base: &Url) -> Result<Vec<Listing>, DiscoverError> {
    let mut r = xml_reader(text);
    let mut out = Vec::new();
    let mut cur: Option<Listing> = None;
    let mut field = String::new();
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase();
                if name == "url" {
                    cur = Some(Listing::default());
                }
                field = name;
            }
            Ok(Event::Text(t)) => {
                let v = t.decode().map(|c| c.into_owned()).unwrap_or_default();
                let v = quick_xml::escape::unescape(&v).map(|c| c.into_owned()).unwrap_or(v);
                set_field(&mut cur, &field, &v, base);
            }
            Ok(Event::CData(t)) => {
                let v = String::from_utf8_lossy(&t).into_owned();
                set_field(&mut cur, &field, &v, base);
            }
            Ok(Event::GeneralRef(e)) => {
                // entity references arrive separately in quick-xml; keep them in place
                let name = String::from_utf8_lossy(&e).into_owned();
                let v = quick_xml::escape::unescape(&format!("&{name};")).map(|c| c.into_owned()).unwrap_or_default();
                set_field(&mut cur, &field, &v, base);
            }
            Ok(Event::End(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase();
                if name == "url" {
                    if let Some(l) = cur.take().filter(|l| !l.url.is_empty()) {
                        if let Some(u) = crate::urlnorm::resolve(base, &l.url) {
                            let title = l.title.as_deref().map(html_to_text).filter(|t| !t.is_empty());
                            out.push(Listing { url: u, title, ..l });
                        }
                    }
                }
                field.clear();
            }
            Ok(Event::Eof) => break,
            Err(e) => {
                if out.is_empty() {
                    return Err(DiscoverError::Malformed { kind: "sitemap", message: format!("at byte {}: {e}", r.buffer_position()) });
                }
                break; // a truncated sitemap still yields what it listed before the damage
            }
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

fn set_field(cur: &mut Option<Listing>, field: &str, v: &str, _base: &Url) {
    let Some(l) = cur.as_mut() else { return };
    match field {
        "loc" => l.url.push_str(v),
        "publication_date" => l.published_at = parse_date(v).or(l.published_at),
        "lastmod" if l.published_at.is_none() => l.published_at = parse_date(v),
        "title" => {
            let t = l.title.get_or_insert_with(String::new);
            t.push_str(v);
        }
        _ => {}
    }
}

fn sitemap_index(text: &str, base: &Url) -> Result<Vec<String>, DiscoverError> {
    let mut r = xml_reader(text);
    let mut out = Vec::new();
    let mut in_loc = false;
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => in_loc = e.local_name().as_ref().eq_ignore_ascii_case(b"loc"),
            Ok(Event::Text(t)) if in_loc => {
                let v = t.decode().map(|c| c.into_owned()).unwrap_or_default();
                if v.trim().is_empty() {
                    continue;
                }
                if let Some(u) = crate::urlnorm::resolve(base, v.trim()) {
                    out.push(u);
                }
            }
            Ok(Event::End(_)) => in_loc = false,
            Ok(Event::Eof) => break,
            Err(e) => {
                if out.is_empty() {
                    return Err(DiscoverError::Malformed { kind: "sitemap index", message: e.to_string() });
                }
                break;
            }
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

fn feed_link(text: &str, base: &Url) -> Option<String> {
    let text = crate::extract::nesting::flatten_html(text, crate::extract::nesting::MAX_DEPTH);
    let doc = scraper::Html::parse_document(&text);
    let sel = scraper::Selector::parse("link[rel~=alternate][href]").ok()?;
    doc.select(&sel)
        .filter(|e| {
            let t = e.value().attr("type").unwrap_or("").to_ascii_lowercase();
            t.contains("rss") || t.contains("atom") || t.contains("feed+json")
        })
        .find_map(|e| e.value().attr("href").and_then(|h| crate::urlnorm::resolve(base, h)))
}

#[cfg(test)]
mod tests {
    /// Regression (fuzzing, issue 13): feed-rs panicked on a contact like `€name@example.org`
    /// (it slices inside the character); the feed is read without its contacts.
    #[test]
    fn a_contact_with_a_multibyte_prefix_does_not_lose_the_feed() {
        let base = Url::parse("https://bao.example/rss.xml").expect("url");
        let feed = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>\
            <managingEditor>€toa.soan@bao.example</managingEditor><webMaster/>\
            <item><title>Tin</title><link>https://bao.example/1</link><author>€ptv@bao.example</author><authority>x</authority></item>\
            </channel></rss>";
        match discover(feed.as_bytes(), None, &base, 1 << 20) {
            Ok(Discovered::Listings(l)) => assert_eq!(l.len(), 1),
            other => panic!("{other:?}"),
        }
    }

    /// Regression (fuzzing, issue 13): an encoding value starting with a multi-byte character was
    /// sliced inside that character; and cutting one broken declaration out of another joined the
    /// rest into a new one that feed-rs panicked on.
    #[test]
    fn xml_declarations_go_whatever_they_hold() {
        let base = Url::parse("https://bao.example/atom.xml").expect("url");
        for decl in [
            "<?xml version=\"1.0\" encoding=\u{fffd}\u{fffd}\"iso-8859-1\"?>",
            "<?xml version=\"1.0\" encoding=?>",
            "<?xml encoding='tcvn'?>",
            "<?xml version=\"1.0<?xml version=\"1.%%0\"?>\n<!-- x encoding=\"euc-kr\"?> -->",
        ] {
            let body = format!(
                "{decl}\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>T</title><entry><title>Tin</title><link href=\"https://bao.example/1\"/></entry></feed>"
            );
            assert!(!strip_xml_declarations(&body).contains("<?xml"), "{decl}");
            match discover(body.as_bytes(), None, &base, 1 << 20) {
                Ok(Discovered::Listings(l)) => assert!(l.len() <= 1, "{decl}"),
                Ok(other) => panic!("{decl}: {other:?}"),
                Err(e) => assert!(matches!(e, DiscoverError::Malformed { .. } | DiscoverError::NotAFeed(_)), "{decl}: {e}"),
            }
        }
    }

    /// Regression (fuzzing, issue 13): an XML declaration with an encoding after other text made
    /// feed-rs's reader panic (quick-xml `set_encoding` after its prefix buffer was drained), and
    /// the crawl task with it.
    #[test]
    fn a_late_xml_declaration_is_no_panic() {
        let base = Url::parse("https://bao.example/rss.xml").expect("url");
        let mut body = "Dòng chữ không phải XML đứng trước.\n".repeat(40).into_bytes();
        body.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"euc-kr\"?>\n<rss version=\"2.0\"><channel><item><title>Tin</title><link>https://bao.example/tin/1.html</link></item></channel></rss>");
        let head = b"<rss version=\"2.0\">".to_vec();
        for b in [body.clone(), [head, body].concat()] {
            match discover(&b, Some("application/rss+xml"), &base, 1 << 20) {
                Ok(Discovered::Listings(l)) => assert!(l.iter().all(|x| x.url.starts_with("https://bao.example/"))),
                Ok(other) => panic!("{other:?}"),
                Err(e) => assert!(matches!(e, DiscoverError::Malformed { .. } | DiscoverError::NotAFeed(_)), "{e}"),
            }
        }
    }

    use super::*;

    fn base() -> Url {
        Url::parse("https://bao.example/").expect("url")
    }

    #[test]
    fn rss_with_relative_links_and_html_titles() {
        let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>Tin &lt;b&gt;mới&lt;/b&gt;</title><link>/a.html?utm_source=rss</link><pubDate>Fri, 20 Nov 2026 01:00:00 GMT</pubDate>
<description><![CDATA[<p>Tóm tắt <script>x</script></p>]]></description></item></channel></rss>"#;
        let Ok(Discovered::Listings(l)) = discover(rss.as_bytes(), None, &base(), 1 << 20) else { panic!("not listings") };
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].url, "https://bao.example/a.html");
        assert_eq!(l[0].title.as_deref(), Some("Tin mới"));
        assert!(l[0].published_at.is_some());
    }

    #[test]
    fn news_sitemap_and_index() {
        let sm = r#"<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://bao.example/x.html</loc><news:news><news:publication_date>2026-11-20T08:00:00+07:00</news:publication_date><news:title>Tiêu đề &amp; tin</news:title></news:news></url></urlset>"#;
        let Ok(Discovered::Listings(l)) = discover(sm.as_bytes(), None, &base(), 1 << 20) else { panic!("not listings") };
        assert_eq!(l[0].url, "https://bao.example/x.html");
        assert_eq!(l[0].title.as_deref(), Some("Tiêu đề & tin"));
        assert!(l[0].published_at.is_some());
        let idx = r#"<sitemapindex><sitemap><loc>https://bao.example/s1.xml</loc></sitemap></sitemapindex>"#;
        assert_eq!(discover(idx.as_bytes(), None, &base(), 1 << 20), Ok(Discovered::Sitemaps(vec!["https://bao.example/s1.xml".into()])));
    }

    #[test]
    fn html_page_with_and_without_feed_link() {
        let with = r#"<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml"></head></html>"#;
        assert_eq!(discover(with.as_bytes(), None, &base(), 1 << 20), Ok(Discovered::FeedLink("https://bao.example/rss.xml".into())));
        let without = "<html><body>hello</body></html>";
        assert!(matches!(discover(without.as_bytes(), None, &base(), 1 << 20), Err(DiscoverError::NotAFeed(_))));
    }

    #[test]
    fn bare_ampersands_are_repaired() {
        let rss = r#"<rss version="2.0"><channel><title>T</title><item><title>A &amp; B</title><link>https://bao.example/a?x=1&y=2</link></item></channel></rss>"#;
        let Ok(Discovered::Listings(l)) = discover(rss.as_bytes(), None, &base(), 1 << 20) else { panic!("not repaired") };
        assert_eq!(l[0].url, "https://bao.example/a?x=1&y=2");
        assert_eq!(l[0].title.as_deref(), Some("A & B"));
    }

    #[test]
    fn truncated_feed_is_malformed_not_a_panic() {
        let r = discover(b"<rss><channel><item><title>x", None, &base(), 1 << 20);
        assert!(r.is_err() || matches!(r, Ok(Discovered::Listings(_))));
    }

    #[test]
    fn gzip_bomb_sitemap_is_bounded() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(b"<urlset>").expect("w");
        enc.write_all(&vec![b' '; 5_000_000]).expect("w");
        let gz = enc.finish().expect("gz");
        assert_eq!(discover(&gz, None, &base(), 1_000_000), Err(DiscoverError::TooLarge(1_000_000)));
    }
}
