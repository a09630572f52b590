//! Article extraction from HTML bytes, with no I/O: main text without navigation, sidebars, related
//! links, comments, share bars or footers; plus title, publication time, canonical URL and language hint.
//!
//! The body comes from the source's own CSS selectors when configured (the outlets that matter get
//! exact rules), otherwise from dom_smoothie (a readability.js port), with a paragraph-cluster fallback
//! when readability finds nothing. The page is parsed once and shared by metadata and body extraction.

pub mod charset;
mod inert;
mod meta;
pub mod nesting;

pub(crate) use inert::find_ci;
use inert::parse_html;
use meta::metadata;

use crate::model::Extracted;
use crate::text::normalize;
use dom_query::Document;

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("no article text found")]
    NoText,
    #[error("the HTML parser failed on this page")]
    Failed,
}

/// Per-outlet extraction rules, from the source's configuration.
#[derive(Debug, Clone, Default)]
pub struct SiteRules {
    pub content: Vec<String>,
    pub exclude: Vec<String>,
}

/// Elements that are never article text on news pages, removed before readability scoring. Chosen
/// one by one on the extraction benchmark (BENCHMARKS.md): each kept entry raised precision without
/// costing recall. Broad class-substring matches never remove `body`, `main` or `article`
/// themselves. As a selector this was one CSS group of 30 (`nav, aside, …, [class*=share]:not(body)…`);
/// matched by hand in one walk over the tree it costs a fraction of what the selector engine did
/// (a sixth of extraction time in perf).
mod boilerplate {
    /// Elements removed by name.
    pub const TAGS: &[&str] = &["nav", "aside", "footer", "figure", "figcaption", "time"];
    /// Those of `TAGS` that `Cleaning::Light` keeps unless their attributes name them too.
    pub const SECTIONING: &[&str] = &["aside", "figure", "figcaption"];
    /// `role` values of page furniture.
    pub const ROLES: &[&str] = &["navigation", "complementary", "contentinfo"];
    /// Whole class names (`.related`).
    pub const CLASSES: &[&str] = &[
        "related",
        "related-news",
        "related-posts",
        "comments",
        "comment-list",
        "breadcrumb",
        "breadcrumbs",
        "most-read",
        "tags",
        "tag-list",
        "author",
    ];
    /// Substrings of the class attribute that remove any element (`[class*=byline]`).
    pub const CLASS_PARTS: &[&str] = &["byline", "credit", "timestamp"];
    /// Substrings that remove any element but `body`, `main` and `article`.
    pub const CLASS_PARTS_NOT_CONTAINERS: &[&str] = &["caption", "gallery", "related", "share", "social"];
    /// `id` values (`#comments`).
    pub const IDS: &[&str] = &["comments"];
}

/// How an element matched `boilerplate`'s lists.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Furniture {
    /// By name, role, a whole class name or id: removed.
    Named,
    /// By a part of a class name (`share_wrapper`, `byline-author`): removed unless it holds more
    /// prose than such an element ever does (`holds_prose`), for some sites wrap the article, or
    /// parts of it, in one.
    Guessed { prose: usize },
    /// By its tag alone, a sectioning or figure element (`boilerplate::SECTIONING`): removed, but
    /// some engines put the post in an `aside` or tell a story in photo captions.
    Sectioning,
}

/// Whether the element is page furniture by `boilerplate`'s lists, and how sure. Class and id
/// compare as CSS does: exactly, or ignoring ASCII case in quirks mode; attribute substrings always
/// exactly.
fn is_boilerplate(e: &dom_query::Element, quirks: bool) -> Option<Furniture> {
    use boilerplate::*;
    let name: &str = &e.name.local;
    if TAGS.contains(&name) {
        // a sectioning element named furniture by its attributes too is sure; the other tags always are
        let sure = !SECTIONING.contains(&name) || furniture_by_attributes(e, quirks) == Some(Furniture::Named);
        return Some(if sure { Furniture::Named } else { Furniture::Sectioning });
    }
    furniture_by_attributes(e, quirks)
}

fn furniture_by_attributes(e: &dom_query::Element, quirks: bool) -> Option<Furniture> {
    use boilerplate::*;
    let name: &str = &e.name.local;
    let same = |a: &str, b: &str| if quirks { a.eq_ignore_ascii_case(b) } else { a == b };
    // the page's own containers never go for naming comments (`comments-open` on `body`)
    let page = matches!(name, "html" | "body" | "main" | "article");
    for a in &e.attrs {
        let value: &str = &a.value;
        match &*a.name.local {
            "class" => {
                if value.split_ascii_whitespace().any(|c| CLASSES.iter().any(|k| same(c, k)) || (!page && is_comments(c))) {
                    return Some(Furniture::Named);
                }
                // a CMS labels the article's own container with its subject (WordPress
                // `tag-social-media`, TypePad `entry-category-social_media`): those words say what
                // the article is about, not what the element is
                let role_words = || value.split_ascii_whitespace().filter(|c| !(c.contains("tag-") || c.contains("category")));
                // a byline or a credit is a line; a share bar or a related list may hold teasers
                if role_words().any(|c| CLASS_PARTS.iter().any(|p| c.contains(p))) {
                    return Some(Furniture::Guessed { prose: LINE_PROSE });
                }
                if !matches!(name, "body" | "main" | "article") && role_words().any(|c| CLASS_PARTS_NOT_CONTAINERS.iter().any(|p| c.contains(p))) {
                    return Some(Furniture::Guessed { prose: BOX_PROSE });
                }
            }
            "role" if ROLES.contains(&value) => return Some(Furniture::Named),
            "itemprop" if value == "author" => return Some(Furniture::Named),
            "id" if IDS.iter().any(|k| same(value, k)) || (!page && is_comments(value)) => return Some(Furniture::Named),
            _ => {}
        }
    }
    None
}

/// A class or id naming readers' comments, whatever the engine calls them (`comment`,
/// `comments-body`, `comment_master_list`); a commentary is an article. Words that only mention
/// comments (`feature_newcomments` on `html`, `comments-open` on `body`) do not start with it.
fn is_comments(name: &str) -> bool {
    // every class word of every element comes here: compared in place, nothing lowercased
    let starts = |p: &str| name.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    starts("comment") && !starts("commentary")
}

/// Whether an element holds an article's worth of prose: text outside links, as sentences. Share
/// bars, related-link lists and galleries are links or a line each; bylines and captions are short;
/// some blog engines wrap a whole post in such an element (Blogger's `byline-author` span).
fn holds_prose(n: &dom_query::NodeRef, enough: usize) -> bool {
    fn walk(n: &dom_query::NodeRef, chars: &mut usize, enough: usize) -> bool {
        for c in n.children_it(false) {
            if c.is_text() {
                let t = c.text();
                if t.contains(['.', '!', '?', '。']) {
                    *chars += t.split_whitespace().map(|w| w.chars().count() + 1).sum::<usize>();
                }
            } else if c.is_element() && !c.has_name("a") && walk(&c, chars, enough) {
                return true;
            }
            if *chars >= enough {
                return true;
            }
        }
        false
    }
    walk(n, &mut 0, enough)
}

/// How much `remove_boilerplate` removes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cleaning {
    Full,
    Light,
}

/// Characters of prose that keep an element whose class only looks like a byline, credit, timestamp
/// (a line), or like a caption, gallery, share bar or related list (a box).
const LINE_PROSE: usize = 300;
const BOX_PROSE: usize = 1000;

/// Removes every boilerplate element (with what it holds) in one walk of the tree. `Light` removes
/// only what is named furniture beyond doubt: no `Furniture::Sectioning` or `Furniture::Guessed`.
/// Whether `Light` would have kept something that was removed: if not, its page is the same.
fn remove_boilerplate(doc: &Document, clean: Cleaning) -> bool {
    let quirks = doc.quirks_mode.get() == markup5ever::interface::QuirksMode::Quirks;
    let root = doc.root();
    let mut doomed = Vec::new();
    let mut light_keeps = false;
    let full = clean == Cleaning::Full;
    let mut next = root.first_child();
    while let Some(n) = next {
        let kind = n
            .query(|t| match &t.data {
                dom_query::NodeData::Element(e) => is_boilerplate(e, quirks),
                _ => None,
            })
            .flatten();
        let hit = match kind {
            Some(Furniture::Named) => true,
            Some(Furniture::Sectioning) => full,
            Some(Furniture::Guessed { prose }) => full && !holds_prose(&n, prose),
            None => false,
        };
        if hit {
            light_keeps |= kind != Some(Furniture::Named);
            doomed.push(n);
        }
        // depth first; what a removed element holds goes with it and is not visited
        next = if hit { None } else { n.first_child() };
        let mut at = Some(n);
        while next.is_none() {
            let Some(cur) = at else { break };
            next = cur.next_sibling();
            at = cur.parent().filter(|p| p.id != root.id);
        }
    }
    for n in doomed {
        n.remove_from_parent();
    }
    light_keeps
}

/// The article in a page. html5ever and dom_smoothie are others' code run on hostile markup: a
/// panic in them is this page's failure (`ExtractError::Failed`), never the crawler's.
pub fn extract(html: &str, url: Option<&str>, rules: &SiteRules) -> Result<Extracted, ExtractError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| extract_unguarded(html, url, rules))).unwrap_or(Err(ExtractError::Failed))
}

fn extract_unguarded(html: &str, url: Option<&str>, rules: &SiteRules) -> Result<Extracted, ExtractError> {
    let doc = parse_html(html);
    let meta = metadata(&doc);

    let mut text = String::new();
    if !rules.content.is_empty() {
        for sel in &rules.exclude {
            if let Some(s) = doc.try_select(sel) {
                s.remove();
            }
        }
        if let Some(s) = rules.content.iter().find_map(|sel| doc.try_select(sel)) {
            text = block_text(&s);
        }
    }
    if text.trim().is_empty() {
        text = readable_text(doc, html, url, rules);
    }
    let text = tidy(&normalize(&text));
    let title = normalize(meta.title.trim());
    if text.is_empty() && title.is_empty() {
        return Err(ExtractError::NoText);
    }
    let text = strip_leading_title(text, &title);
    Ok(Extracted { title, text, published_at: meta.published, canonical_url: meta.canonical, lang_hint: meta.lang })
}

/// The body by readability on the page without its boilerplate, or by `paragraph_fallback`.
///
/// dom_smoothie's `parse` tries its strictest policy first and, if that yields under
/// `char_threshold` characters, tries looser ones on fresh copies of the tree; each copy (and ours,
/// to keep the tree for the fallback) is a deep clone. So the strict attempt runs alone on the one
/// tree, and only the rare page where it falls short is parsed again for the full `parse`, which then
/// answers exactly as it always did. The margin over `char_threshold` covers the difference between
/// our count (formatted text) and its own (whitespace-collapsed text before post-processing).
fn readable_text(doc: Document, html: &str, url: Option<&str>, rules: &SiteRules) -> String {
    let prepare = |doc: &Document, clean: Cleaning| {
        let light_keeps = remove_boilerplate(doc, clean);
        for sel in &rules.exclude {
            if let Some(s) = doc.try_select(sel) {
                s.remove();
            }
        }
        light_keeps
    };
    let cfg = dom_smoothie::Config { text_mode: dom_smoothie::TextMode::Formatted, ..Default::default() };
    let strict_enough = cfg.char_threshold + cfg.char_threshold / 5;
    let url = url.filter(|u| u.starts_with("http"));
    let light_differs = prepare(&doc, Cleaning::Full);
    let strict = dom_smoothie::Readability::with_document(doc, url, Some(cfg.clone()))
        .ok()
        .and_then(|mut r| r.parse_with_policy(dom_smoothie::ParsePolicy::Strict).ok())
        .map(|a| a.text_content.to_string())
        .filter(|t| t.chars().count() >= strict_enough);
    let readable = |clean: Cleaning| {
        let doc = parse_html(html);
        prepare(&doc, clean);
        let text = dom_smoothie::Readability::with_document(doc.clone(), url, Some(cfg.clone()))
            .ok()
            .and_then(|mut r| r.parse().ok())
            .map(|a| a.text_content.to_string())
            .unwrap_or_default();
        if text.trim().chars().count() >= 100 { cut_at_furniture(text) } else { paragraph_fallback(&doc) }
    };
    let primary = match strict {
        Some(t) => cut_at_furniture(t),
        None => readable(Cleaning::Full),
    };
    if !light_differs {
        return primary;
    }
    second_opinion(primary, || readable(Cleaning::Light))
}

/// The answer on the fully cleaned page unless it holds hardly any prose while the page cleaned
/// only of named furniture holds much more: then the cleaning took the article for furniture (a
/// post inside an `aside`, a story told in photo captions, a script hook named `js-social-images`)
/// and readability was left with a menu or a sign-up box. A page whose answer has an article's
/// worth of sentences is never parsed a second time.
fn second_opinion(primary: String, other: impl FnOnce() -> String) -> String {
    let mine = prose_chars(&primary);
    if mine >= DOUBT_BELOW {
        return primary;
    }
    let other = other();
    if prose_chars(&other) >= OUTWEIGH * mine.max(DOUBT_BELOW / OUTWEIGH) { other } else { primary }
}

/// Characters of prose under which the fully cleaned page's answer is doubted.
const DOUBT_BELOW: usize = 400;
/// How many times more prose the lightly cleaned page's answer must hold to replace it.
const OUTWEIGH: usize = 4;

/// Characters in the lines of `text` that hold a sentence's end.
fn prose_chars(text: &str) -> usize {
    text.lines().filter(|l| l.contains(['.', '!', '?', '。'])).map(|l| l.chars().count()).sum()
}

/// Headings that open the page's furniture, not a part of the article: what readability keeps
/// after the article when they share a container. Lowercase, without a trailing colon. Not
/// "related ...", "tin liên quan" or "don't miss": outlets put such boxes inside the article,
/// between its paragraphs.
const FURNITURE_HEADINGS: &[&str] = &[
    "about the author",
    "about the authors",
    "you might like",
    "you might also like",
    "you may also like",
    "most popular",
    "most read",
    "leave a reply",
    "leave a comment",
    "post a comment",
    "comments",
    "more posts",
    "recommended",
    "recommended for you",
    "share this",
    "share this article",
    "trending",
    "featured posts",
    "popular posts",
    "recent posts",
    "newsletter sign up",
    "sign up for our newsletter",
    "we also recommend",
    "read next",
    "tin cùng chuyên mục",
    "các tin khác",
    "tin khác",
    "ý kiến bạn đọc",
    "gửi bình luận",
    "bình luận",
    "tin mới nhất",
    "đọc nhiều nhất",
    "có thể bạn quan tâm",
    "commentaires",
    "les plus lus",
    "热门文章",
    "评论",
];

/// The text up to the first line, past the article's first part, that is one of
/// `FURNITURE_HEADINGS`: from there on, readability kept what follows an article (author boxes,
/// teasers, comment forms), never the article itself.
fn cut_at_furniture(text: String) -> String {
    let total = text.chars().count();
    let mut seen = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let head = line.trim().trim_end_matches([':', '：', '»', '›', '.', '…']).trim();
        // only a short line past the first part can be a heading: the rest is not lowercased
        let heading = || head.chars().count() <= 40 && (FURNITURE_HEADINGS.contains(&head.to_lowercase().as_str()) || is_author_box(line));
        if seen * 10 >= total * FURNITURE_AFTER && heading() {
            let mut kept = text;
            kept.truncate(offset);
            return kept;
        }
        seen += line.chars().count();
        offset += line.len();
    }
    text
}

/// "About Becky", "About the Author": the heading of an author box (two or three words, a name).
fn is_author_box(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    (2..=3).contains(&words.len()) && words[0] == "About" && words[1].chars().next().is_some_and(char::is_uppercase)
}

/// How far into the text (tenths) a furniture heading may end it.
const FURNITURE_AFTER: usize = 4;

/// Text of a selection with one paragraph per line.
fn block_text(s: &dom_query::Selection) -> String {
    let paras = s.select("p, h2, h3, h4, li, blockquote, pre, td");
    if paras.length() >= 2 {
        paras.iter().map(|n| collapse_ws(&n.text())).filter(|t| !t.is_empty()).collect::<Vec<_>>().join("\n")
    } else {
        collapse_ws(&s.text())
    }
}

/// When readability finds nothing: the paragraphs of the element holding the most paragraph text.
fn paragraph_fallback(doc: &Document) -> String {
    let Some(ps) = doc.try_select("p") else { return String::new() };
    let paras: Vec<String> = ps.iter().map(|n| collapse_ws(&n.text())).filter(|t| t.chars().count() >= 30).collect();
    paras.join("\n")
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One paragraph per line, inner whitespace collapsed, empty lines dropped.
fn tidy(s: &str) -> String {
    s.lines().map(collapse_ws).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}

fn strip_leading_title(text: String, title: &str) -> String {
    if !title.is_empty() {
        if let Some(rest) = text.strip_prefix(title) {
            if rest.starts_with('\n') {
                return rest.trim_start().to_string();
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::inert::strip_inert;

    const PAGE: &str = r#"<!doctype html><html lang="vi"><head>
<title>Tin tức | Báo Mẫu</title>
<meta property="og:title" content="Ngư dân Cần Giờ ra khơi">
<meta property="article:published_time" content="2026-11-20T08:00:00+07:00">
<link rel="canonical" href="https://bao.example/ngu-dan-can-gio.html">
</head><body>
<nav><a href="/">Trang chủ</a> <a href="/bien-dao">Biển đảo</a> <a href="/ha-noi">Hà Nội</a></nav>
<article><h1>Ngư dân Cần Giờ ra khơi</h1>
<p>Sáng nay, hàng trăm tàu cá của ngư dân xã Cần Giờ đã rời cảng sau nhiều ngày nghỉ vì thời tiết xấu trên biển.</p>
<p>Theo ban quản lý cảng cá, các tàu được kiểm tra thiết bị an toàn và liên lạc trước khi xuất bến, bảo đảm đủ điều kiện hoạt động dài ngày.</p>
<p>Ngư dân cho biết giá dầu ổn định giúp họ yên tâm bám biển, đồng thời mong muốn có thêm hỗ trợ về bảo hiểm thân tàu.</p>
</article>
<aside class="related"><h3>Tin liên quan</h3><ul><li><a href="/x">Căng thẳng Biển Đông leo thang ở Trường Sa</a></li></ul></aside>
<footer>Bản quyền thuộc về Báo Mẫu. Địa chỉ: Hà Nội.</footer>
</body></html>"#;

    #[test]
    fn extracts_body_and_metadata_without_boilerplate() {
        let e = extract(PAGE, Some("https://bao.example/x"), &SiteRules::default()).expect("extract");
        assert_eq!(e.title, "Ngư dân Cần Giờ ra khơi");
        assert!(e.text.contains("hàng trăm tàu cá"), "{}", e.text);
        assert!(e.text.contains("bảo hiểm thân tàu"), "{}", e.text);
        assert!(!e.text.contains("Trường Sa"), "related links leaked: {}", e.text);
        assert!(!e.text.contains("Bản quyền"), "footer leaked: {}", e.text);
        assert_eq!(e.canonical_url.as_deref(), Some("https://bao.example/ngu-dan-can-gio.html"));
        assert_eq!(e.lang_hint.as_deref(), Some("vi"));
        assert_eq!(e.published_at, crate::time::parse_date("2026-11-20T01:00:00Z"));
    }

    /// Paragraphs of our own, long enough to be an article.
    fn story(n: usize) -> String {
        (0..n)
            .map(|k| format!("<p>Đoạn {k}: chính quyền xã đã họp với bà con để bàn về kế hoạch nạo vét kênh thủy lợi trước mùa mưa, dự kiến xong trong tháng tới.</p>"))
            .collect()
    }

    #[test]
    fn an_article_whose_container_only_looks_like_furniture_is_kept() {
        // a CMS's subject labels (WordPress, TypePad) name what the article is about
        let wp = format!(
            r#"<html><body><div class="hentry post tag-social-media category-related-news"><h1>Nạo vét kênh</h1>{}</div>
            <div class="sidebar"><p>Liên hệ quảng cáo.</p></div></body></html>"#,
            story(6)
        );
        let e = extract(&wp, None, &SiteRules::default()).expect("extract");
        assert!(e.text.contains("Đoạn 0:") && e.text.contains("Đoạn 5:"), "{}", e.text);
        // a class part (`share`) on an element that wraps the whole article
        let wrapped = format!(
            r#"<html><body><div class="share_wrapper"><div class="share-bar"><a href="/fb">Chia sẻ</a> <a href="/tw">Tweet</a></div>
            <div class="article">{}</div></div></body></html>"#,
            story(10)
        );
        let e = extract(&wrapped, None, &SiteRules::default()).expect("extract");
        assert!(e.text.contains("Đoạn 0:") && e.text.contains("Đoạn 9:"), "{}", e.text);
        assert!(!e.text.contains("Tweet"), "the share bar itself still goes: {}", e.text);
        // a blog engine that wraps each part of a post in a `byline-author` span
        let parts: String = (0..3)
            .map(|k| format!(r#"<span class="byline-author">Phần {k}. Chính quyền xã đã họp với bà con để bàn về kế hoạch nạo vét kênh thủy lợi trước mùa mưa. Công việc dự kiến xong trong tháng tới, kinh phí do tỉnh cấp. Người dân góp ngày công và đất làm đường công vụ. Sau khi nạo vét, kênh sẽ tưới cho hơn hai trăm héc-ta lúa của ba thôn. Ban giám sát cộng đồng theo dõi tiến độ và báo cáo mỗi tuần.</span><br>"#))
            .collect();
        let blog = format!(
            r#"<html><body><div class="post-body"><span class="byline-author">Đăng bởi Ban biên tập</span>{parts}</div>
            <div class="sidebar"><ul><li><a href="/a">Lưu trữ</a></li><li><a href="/b">Chuyên mục</a></li></ul></div></body></html>"#
        );
        let e = extract(&blog, None, &SiteRules::default()).expect("extract");
        assert!(e.text.contains("Phần 0.") && e.text.contains("Phần 2."), "{}", e.text);
        assert!(!e.text.contains("Đăng bởi"), "the byline itself still goes: {}", e.text);
        // a share box with a sentence of its own is still furniture
        let boxed = format!(
            r#"<html><body><article>{}</article><div class="social-box"><p>Hãy chia sẻ bài viết này với bạn bè của bạn trên mạng xã hội để nhiều người cùng đọc.</p></div></body></html>"#,
            story(6)
        );
        let e = extract(&boxed, None, &SiteRules::default()).expect("extract");
        assert!(!e.text.contains("Hãy chia sẻ"), "{}", e.text);
    }

    #[test]
    fn readers_comments_go_whatever_the_engine_calls_them_and_a_commentary_stays() {
        let comment = |k: usize| format!(r#"<div class="cbody" id="comment_body_{k}"><p>Bạn đọc {k} viết: tôi ở gần con kênh này và thấy việc nạo vét là rất cần thiết, mong chính quyền làm sớm.</p></div>"#);
        let thread: String = (0..8).map(comment).collect();
        let page = format!(
            r#"<html class="feature_newcomments"><body class="single comments-open"><div class="commentary-body">{}</div>
            <div class="comment_master_list">{thread}</div><div class="comments-body"><p>Gửi bình luận của bạn bằng cách điền vào ô bên dưới, chúng tôi sẽ duyệt trong ngày.</p></div></body></html>"#,
            story(5)
        );
        let e = extract(&page, None, &SiteRules::default()).expect("extract");
        assert!(e.text.contains("Đoạn 0:") && e.text.contains("Đoạn 4:"), "{}", e.text);
        assert!(!e.text.contains("Bạn đọc") && !e.text.contains("Gửi bình luận"), "comments leaked: {}", e.text);
    }

    #[test]
    fn the_article_ends_where_the_furniture_headings_begin() {
        let page = format!(
            r#"<html><body><div class="main"><h1>Nạo vét kênh</h1>{}<p>Tin liên quan:</p><p><a href="/x">Một bài khác về thủy lợi của huyện</a></p>{}
            <h3>Bình luận</h3><p>Hãy là người đầu tiên gửi ý kiến cho bài viết này, ý kiến sẽ được duyệt trước khi đăng.</p>
            <h3>Có thể bạn quan tâm</h3><p><a href="/y">Giá lúa hôm nay tăng nhẹ ở các tỉnh miền Tây, thương lái thu mua mạnh.</a></p></div></body></html>"#,
            story(4),
            story(4).replace("Đoạn", "Phần")
        );
        let e = extract(&page, None, &SiteRules::default()).expect("extract");
        assert!(e.text.contains("Đoạn 0:") && e.text.contains("Phần 3:"), "a related box between paragraphs does not end it: {}", e.text);
        assert!(!e.text.contains("Hãy là người đầu tiên") && !e.text.contains("Giá lúa"), "{}", e.text);
        // a heading early in the text is not taken for the end
        let text = "Bình luận\nMột bài bình luận dài của tác giả về chính sách thủy lợi, nhiều đoạn.\nĐoạn thứ hai của bài.".to_string();
        assert_eq!(cut_at_furniture(text.clone()), text);
        // an author box, headed by the author's name, and a heading with an ellipsis
        let bio = "Bài viết dài về chính sách thủy lợi của huyện, nhiều câu.\nĐoạn thứ hai của bài viết.\nAbout Lan Anh\nLan Anh viết về nông nghiệp.";
        assert_eq!(cut_at_furniture(bio.to_string()), "Bài viết dài về chính sách thủy lợi của huyện, nhiều câu.\nĐoạn thứ hai của bài viết.\n");
        let more = "Bài viết dài về chính sách thủy lợi của huyện, nhiều câu.\nĐoạn thứ hai của bài viết.\nAbout the author...\nTác giả.";
        assert!(!cut_at_furniture(more.to_string()).contains("Tác giả"));
    }

    #[test]
    fn an_article_the_cleaning_took_for_furniture_comes_back_from_a_lighter_cleaning() {
        // a theme that puts the post in an `aside`, beside a newsletter box
        let page = format!(
            r#"<html><body><nav><a href="/">Trang chủ</a></nav><div class="newsletter"><h3>Đăng ký nhận tin</h3><p>Nhận bản tin mỗi sáng qua thư điện tử!</p></div>
            <aside class="blogPost"><h1>Nạo vét kênh</h1><div class="blogContent">{}</div></aside>
            <aside class="related"><p>Tin liên quan: huyện bên cạnh cũng nạo vét kênh trước mùa mưa năm nay.</p></aside><footer>Bản quyền thuộc về Báo Mẫu.</footer></body></html>"#,
            story(5)
        );
        let e = extract(&page, None, &SiteRules::default()).expect("extract");
        assert!(e.text.contains("Đoạn 0:") && e.text.contains("Đoạn 4:"), "{}", e.text);
        assert!(!e.text.contains("Bản quyền") && !e.text.contains("Tin liên quan"), "a footer and an aside named related still go: {}", e.text);
        // a photo story told in captions
        let captions: String = (0..5)
            .map(|k| format!(r#"<div class="caption-image"><img src="/{k}.jpg"><p>Ảnh {k}: chính quyền xã đã họp với bà con để bàn về kế hoạch nạo vét kênh thủy lợi trước mùa mưa.</p></div>"#))
            .collect();
        let page = format!(r#"<html><body><div class="menu"><a href="/a">Ảnh</a> <a href="/b">Video</a></div><div class="post">{captions}</div></body></html>"#);
        let e = extract(&page, None, &SiteRules::default()).expect("extract");
        assert!(e.text.contains("Ảnh 0:") && e.text.contains("Ảnh 4:"), "{}", e.text);
        // a real sidebar `aside` is not pulled in when the article is found
        let page = format!(r#"<html><body><article>{}</article><aside><p>Giới thiệu: trang này đưa tin về thủy lợi của huyện từ năm 2010.</p></aside></body></html>"#, story(6));
        let e = extract(&page, None, &SiteRules::default()).expect("extract");
        assert!(e.text.contains("Đoạn 5:") && !e.text.contains("Giới thiệu"), "{}", e.text);
    }

    #[test]
    fn site_rules_take_precedence() {
        let rules = SiteRules { content: vec!["article".into()], exclude: vec!["h1".into()] };
        let e = extract(PAGE, None, &rules).expect("extract");
        assert!(e.text.starts_with("Sáng nay"), "{}", e.text);
        assert!(!e.text.contains("Trang chủ"));
    }

    #[test]
    fn scripts_and_styles_go_before_parsing_json_ld_stays() {
        let html = "<html><head><STYLE>p{x:1}</style><script type='application/ld+json'>{\"datePublished\":\"2026-11-20T08:00:00+07:00\"}</script>\
            <script>var s = '<p>not text</p>';</Script ><scripts>x</scripts></head><body><p>Giữ lại</p><script src=a.js></script>\
            <svg viewBox='0 0 1 1'><path d='M0 0'/></svg></body></html>";
        let out = strip_inert(html);
        assert!(!out.contains("p{x:1}") && !out.contains("not text") && !out.contains("a.js") && !out.contains("M0 0"), "{out}");
        assert!(out.contains("datePublished") && out.contains("<scripts>x</scripts>") && out.contains("Giữ lại"), "{out}");
        assert_eq!(strip_inert("<p>a</p><script>unclosed"), "<p>a</p><script>unclosed", "an unclosed script is left to the parser");
        let e = extract(&format!("{html}{}", PAGE), None, &SiteRules::default()).expect("extract");
        assert_eq!(e.published_at, crate::time::parse_date("2026-11-20T01:00:00Z"));
    }

    #[test]
    fn comments_go_where_the_tokenizer_ends_them() {
        assert_eq!(strip_inert("<p>a<!-- <p>b</p> -->c</p>"), "<p>ac</p>");
        // empty comments end at once: what follows is text
        assert_eq!(strip_inert("<!-->x<!--->y"), "xy");
        // `--!>` ends one too, but only before the first `-->`
        assert_eq!(strip_inert("<!-- a --!>b<!-- c -->d"), "bd");
        assert_eq!(strip_inert("<!-- a -->b --!>c"), "b --!>c");
        // unclosed: left to the parser, as are the fragments
        assert_eq!(strip_inert("x<!-- never closed"), "x<!-- never closed");
        for tail in ["<!--", "<!-", "<", "<!--->", "<!-->"] {
            let _ = strip_inert(&format!("a{tail}"));
        }
    }

    #[test]
    fn empty_page_is_an_error() {
        assert!(extract("<html><body></body></html>", None, &SiteRules::default()).is_err());
    }
}
