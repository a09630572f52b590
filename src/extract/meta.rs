//! What the page's head says: title and publication date, from meta tags and JSON-LD.

use super::collapse_ws;
use dom_query::Document;

pub(super) struct Meta {
    pub(super) title: String,
    pub(super) published: Option<chrono::DateTime<chrono::Utc>>,
    pub(super) canonical: Option<String>,
    pub(super) lang: Option<String>,
}

/// What the metadata is read from, gathered in one walk of the tree (a selector per key was a
/// walk each): meta elements as `(attribute, its value, content)` in document order, and the first
/// of the elements asked for below.
#[derive(Default)]
pub(super) struct Head<'a> {
    metas: Vec<(&'static str, String, String)>,
    canonical_link: Option<String>,
    html_lang: Option<String>,
    time_datetime: Option<String>,
    h1: Option<dom_query::NodeRef<'a>>,
    title: Option<dom_query::NodeRef<'a>>,
    json_ld: Vec<dom_query::NodeRef<'a>>,
}

impl Head<'_> {
    /// Content of the first `<meta {attr}="{value}">` with a non-empty one.
    fn meta(&self, attr: &str, value: &str) -> Option<String> {
        self.metas.iter().find(|(a, v, c)| *a == attr && v == value && !c.is_empty()).map(|(_, _, c)| c.clone())
    }
}

pub(super) fn head(doc: &Document) -> Head<'_> {
    let mut h = Head::default();
    let non_empty = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    for n in doc.root().descendants_it() {
        n.query(|t| {
            let dom_query::NodeData::Element(e) = &t.data else { return };
            let attr = |name: &str| e.attrs.iter().find(|a| &*a.name.local == name).map(|a| &*a.value);
            match &*e.name.local {
                "meta" => {
                    let content = attr("content").map(|c| c.trim().to_string()).unwrap_or_default();
                    for key in ["property", "name", "itemprop", "http-equiv"] {
                        if let Some(v) = attr(key) {
                            h.metas.push((key, v.to_string(), content.clone()));
                        }
                    }
                }
                "link" if h.canonical_link.is_none() && attr("rel") == Some("canonical") => {
                    h.canonical_link = attr("href").and_then(non_empty);
                }
                "html" if h.html_lang.is_none() => h.html_lang = attr("lang").and_then(non_empty),
                "time" if h.time_datetime.is_none() => h.time_datetime = attr("datetime").and_then(non_empty),
                "script" if attr("type") == Some("application/ld+json") => h.json_ld.push(n),
                "h1" if h.h1.is_none() => h.h1 = Some(n),
                "title" if h.title.is_none() => h.title = Some(n),
                _ => {}
            }
        });
    }
    h
}

pub(super) fn metadata(doc: &Document) -> Meta {
    let h = head(doc);
    let title = h
        .meta("property", "og:title")
        .or_else(|| h.meta("name", "twitter:title"))
        .or_else(|| h.h1.map(|n| n.text().to_string()).filter(|t| !t.trim().is_empty()))
        .or_else(|| h.title.map(|n| n.text().to_string()))
        .unwrap_or_default();
    let published = h
        .meta("property", "article:published_time")
        .or_else(|| h.meta("itemprop", "datePublished"))
        .or_else(|| ["pubdate", "publishdate", "date", "dc.date", "DC.date.issued"].iter().find_map(|k| h.meta("name", k)))
        .or_else(|| json_ld_date(&h.json_ld))
        .or_else(|| h.time_datetime.clone())
        .and_then(|s| crate::time::parse_date(&s));
    let canonical = h.canonical_link.clone().or_else(|| h.meta("property", "og:url"));
    let lang = h
        .html_lang
        .clone()
        .or_else(|| h.meta("http-equiv", "content-language"))
        .or_else(|| h.meta("http-equiv", "Content-Language"))
        .or_else(|| h.meta("property", "og:locale"));
    Meta { title: collapse_ws(&title), published, canonical, lang }
}

pub(super) fn json_ld_date(scripts: &[dom_query::NodeRef<'_>]) -> Option<String> {
    for node in scripts {
        let raw = node.text();
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&raw) {
            if let Some(d) = find_key(&v, "datePublished") {
                return Some(d);
            }
        }
    }
    None
}

pub(super) fn find_key(v: &serde_json::Value, key: &str) -> Option<String> {
    match v {
        serde_json::Value::Object(m) => {
            m.get(key).and_then(|x| x.as_str().map(str::to_string)).or_else(|| m.values().find_map(|x| find_key(x, key)))
        }
        serde_json::Value::Array(a) => a.iter().find_map(|x| find_key(x, key)),
        _ => None,
    }
}

