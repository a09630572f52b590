//! Search as the UI and API show it: hits with snippets and tag names, facets, broader readings when
//! nothing is found, and saved searches.

use super::{Actor, App, AppError};
use crate::i18n::{t, Lang};
use crate::model::{Article, ArticleId, SourceId, Tag};
use crate::query::Expr;
use crate::search::highlight::{self, Wanted};
use crate::search::searcher::SearchRequest;
use chrono::Utc;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
pub struct TagView {
    pub id: String,
    pub name: String,
    pub matched: Vec<String>,
    pub in_title: bool,
    /// For a topic the article is about: its score against the threshold and where it matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<crate::model::Evidence>,
    /// A place named only in passing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub passing: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct HitView {
    pub id: i64,
    pub url: String,
    pub title: String,
    /// A foreign title's Vietnamese gloss, when a colleague wrote one.
    pub title_vi: Option<String>,
    pub source: String,
    pub source_name: String,
    pub origin: String,
    pub lang: String,
    pub published_at: Option<chrono::DateTime<Utc>>,
    pub score: f32,
    pub topics: Vec<TagView>,
    pub localities: Vec<TagView>,
    /// The snippet as (text, is_match) pieces: the template escapes each and marks the matches.
    pub snippet: Vec<(String, bool)>,
    pub flagged: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FacetValue {
    pub value: String,
    pub label: String,
    pub count: u64,
    pub href: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FacetView {
    pub name: &'static str,
    pub values: Vec<FacetValue>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchView {
    pub q: String,
    /// The query actually run (the landing view runs "today").
    pub query: String,
    pub landing: bool,
    pub today: String,
    pub sort: &'static str,
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub hits: Vec<HitView>,
    pub facets: Vec<FacetView>,
    /// When nothing matched: broader queries that do match, with their counts and links.
    pub broader: Vec<(String, usize, String)>,
    /// "Ý bạn là": an unaccented phrase read in several ways by the hits (`bien dong`: Biển Đông,
    /// biến động), each with the number of hits on this page that read it so and the link that
    /// searches that reading alone.
    pub readings: Vec<(String, usize, String)>,
}

/// Broader readings of a query that found nothing, most like it first: without the quotes, without
/// its field filters, without diacritics, any of its words instead of all.
pub fn broader_queries(q: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |c: String| {
        let c = c.split_whitespace().collect::<Vec<_>>().join(" ");
        if !c.is_empty() && c != q.trim() && !out.contains(&c) {
            out.push(c);
        }
    };
    if q.contains(['"', '“', '”']) {
        push(q.replace(['"', '“', '”'], ""));
    }
    let tokens: Vec<&str> = q.split_whitespace().collect();
    let plain: Vec<&str> = tokens.iter().copied().filter(|t| !t.contains(':')).collect();
    if plain.len() < tokens.len() {
        push(plain.join(" "));
    }
    if plain.iter().any(|t| crate::text::has_diacritics(t)) {
        push(tokens.iter().map(|t| if t.contains(':') { t.to_string() } else { crate::text::fold(t) }).collect::<Vec<_>>().join(" "));
    }
    let words: Vec<String> = plain
        .iter()
        .map(|t| t.trim_matches(['"', '“', '”', '(', ')']).to_string())
        .filter(|t| !t.is_empty() && !t.starts_with('-') && !matches!(t.as_str(), "AND" | "OR" | "NOT"))
        .collect();
    if words.len() >= 2 {
        push(words.join(" OR "));
    }
    out
}

/// A topic's name in the reader's language (English falls back to the Vietnamese name), or its id.
pub fn topic_name(cfg: &crate::config::Config, id: &str, lang: Lang) -> String {
    match cfg.topics.iter().find(|x| x.id == id) {
        Some(x) if lang == Lang::En => x.name_en.clone().unwrap_or_else(|| x.name.clone()),
        Some(x) => x.name.clone(),
        None => id.to_string(),
    }
}

pub struct SearchParams {
    pub q: String,
    pub sort_by_date: bool,
    pub offset: usize,
    pub limit: usize,
}

impl App {
    pub fn source_name(&self, id: &str) -> String {
        self.cfg.source(&SourceId(id.to_string())).map(|s| s.name.clone()).unwrap_or_else(|| id.to_string())
    }
    pub fn topic_name(&self, id: &str, lang: Lang) -> String {
        topic_name(&self.cfg, id, lang)
    }
    pub fn locality_name(&self, id: &str) -> String {
        self.cfg.localities.iter().find(|x| x.id == id).map(|x| x.name.clone()).unwrap_or_else(|| id.to_string())
    }
    pub fn agency_names(&self) -> HashMap<String, String> {
        self.cfg.agencies.iter().map(|a| (a.id.clone(), a.name.clone())).collect()
    }
    pub fn tag_views(&self, tags: &[Tag], topic: bool, lang: Lang) -> Vec<TagView> {
        tags.iter()
            .map(|x| TagView {
                id: x.id.clone(),
                name: if topic { self.topic_name(&x.id, lang) } else { self.locality_name(&x.id) },
                matched: x.matched.clone(),
                in_title: x.in_title,
                evidence: x.evidence.clone(),
                passing: x.passing,
            })
            .collect()
    }
}

pub fn search_href(q: &str, sort_by_date: bool, offset: usize) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    s.append_pair("q", q);
    if sort_by_date {
        s.append_pair("sort", "date");
    }
    if offset > 0 {
        s.append_pair("offset", &offset.to_string());
    }
    format!("/search?{}", s.finish())
}

pub async fn search(st: &App, p: SearchParams, lang: Lang) -> Result<SearchView, AppError> {
    let today = Utc::now().with_timezone(&crate::time::ZONE).date_naive();
    let q = p.q.trim().to_string();
    let landing = q.is_empty();
    let limit = p.limit.clamp(1, 100);
    let run = |query: String, by_date: bool| {
        let searcher = st.searcher.clone();
        let req = SearchRequest { query, limit, offset: p.offset, sort_by_date: by_date, facets: true };
        async move { tokio::task::spawn_blocking(move || searcher.search(&req)).await.map_err(|e| AppError::Internal(e.to_string())) }
    };
    // the landing view is today's coverage, newest first; before anything arrives today, the newest
    let (mut query, mut by_date) = if landing { (format!("date:{today}"), true) } else { (q.clone(), p.sort_by_date) };
    let mut res = run(query.clone(), by_date).await??;
    if landing && res.total == 0 {
        query = format!("date:<={today}");
        by_date = true;
        res = run(query.clone(), by_date).await??;
    }
    let ids: Vec<ArticleId> = res.hits.iter().map(|h| ArticleId(h.id)).collect();
    let articles: HashMap<i64, Article> = st.store.articles(&ids).await?.into_iter().map(|a| (a.id.0, a)).collect();
    let flagged = st.store.flagged_articles(&ids).await?;
    let wanted = Wanted::of(res.expr.as_ref());
    let hits = res
        .hits
        .iter()
        .map(|h| {
            let a = articles.get(&h.id);
            let snip = a.map(|a| highlight::snippet(&a.text, &wanted, 260)).unwrap_or_default();
            HitView {
                id: h.id,
                url: h.url.clone(),
                title: h.title.clone(),
                title_vi: a.and_then(|a| a.title_vi.clone()),
                source: h.source.clone(),
                source_name: st.source_name(&h.source),
                origin: a.and_then(|a| a.origin).map(|o| o.as_str()).unwrap_or("unknown").to_string(),
                lang: h.lang.clone(),
                published_at: h.published_at,
                score: h.score,
                topics: a.map(|a| st.tag_views(&a.topics, true, lang)).unwrap_or_default(),
                localities: a.map(|a| st.tag_views(&a.localities, false, lang)).unwrap_or_default(),
                snippet: highlight::marks(&snip, &wanted),
                flagged: flagged.contains(&h.id),
            }
        })
        .collect();
    let mut facets = Vec::new();
    for name in ["topic", "locality", "origin", "lang", "source", "date"] {
        let Some(list) = res.facets.get(name) else { continue };
        let values = list
            .iter()
            .map(|(value, count)| {
                let label = match name {
                    "topic" => st.topic_name(value, lang),
                    "locality" => st.locality_name(value),
                    "source" => st.source_name(value),
                    "origin" => t(lang, &format!("origin.{value}")).to_string(),
                    "lang" => crate::i18n::t_or(lang, &format!("language.{value}"), value),
                    _ => value.clone(),
                };
                let refined = if q.is_empty() { format!("{name}:{value}") } else { format!("{q} {name}:{value}") };
                FacetValue { value: value.clone(), label, count: *count, href: search_href(&refined, p.sort_by_date, 0) }
            })
            .collect::<Vec<_>>();
        if !values.is_empty() {
            facets.push(FacetView { name, values });
        }
    }
    if let Some(date) = facets.iter_mut().find(|f| f.name == "date") {
        date.values.reverse(); // newest day first
        date.values.truncate(14);
    }
    // an unaccented phrase the hits spell in more than one way: offer each spelling as a search
    let mut readings: Vec<(String, usize, String)> = Vec::new();
    for a in articles.values() {
        for r in highlight::readings(&a.text, &wanted).into_iter().chain(highlight::readings(&a.title, &wanted)) {
            match readings.iter_mut().find(|x| x.0 == r) {
                Some(x) => x.1 += 1,
                None => readings.push((r, 1, String::new())),
            }
        }
    }
    if readings.len() < 2 {
        readings.clear();
    }
    readings.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    readings.truncate(4);
    for r in &mut readings {
        r.2 = search_href(&format!("\"{}\"", r.0), p.sort_by_date, 0);
    }
    // nothing found: say what would find something (only readings that do)
    let mut broader = Vec::new();
    if !landing && res.total == 0 {
        for b in broader_queries(&q) {
            let searcher = st.searcher.clone();
            let req = SearchRequest { query: b.clone(), limit: 1, offset: 0, sort_by_date: false, facets: false };
            if let Ok(Ok(r)) = tokio::task::spawn_blocking(move || searcher.search(&req)).await {
                if r.total > 0 {
                    let href = search_href(&b, p.sort_by_date, 0);
                    broader.push((b, r.total, href));
                }
            }
        }
    }
    Ok(SearchView {
        q,
        query,
        landing,
        today: today.format("%d/%m/%Y").to_string(),
        sort: if by_date { "date" } else { "relevance" },
        total: res.total,
        offset: p.offset,
        limit,
        hits,
        facets,
        broader,
        readings,
    })
}

/// What a query like `q` would find, without running it (for a saved search's validity).
pub fn check_query(q: &str) -> Result<Expr, AppError> {
    crate::query::parse(q).map_err(AppError::InvalidQuery)
}

/// Saves a search, with an e-mail alert when an address is given; the page and the API share it.
pub async fn save_search(
    st: &App,
    p: &Actor,
    name: &str,
    query: &str,
    alert_email: Option<&str>,
    digest: bool,
) -> Result<i64, AppError> {
    check_query(query)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::BadRequest("a saved search needs a name".into()));
    }
    let email = alert_email.map(str::trim).filter(|e| !e.is_empty());
    if let Some(e) = email {
        if st.cfg.smtp.is_none() {
            return Err(AppError::BadRequest("e-mail alerts need an [smtp] section in the configuration".into()));
        }
        e.parse::<lettre::message::Mailbox>().map_err(|err| AppError::BadRequest(format!("alert_email `{e}`: {err}")))?;
    }
    Ok(st.store.save_search(p.person()?.0, name, query.trim(), email.map(|e| (e, digest)), Utc::now()).await?)
}


#[cfg(test)]
mod tests {
    use super::broader_queries;

    #[test]
    fn a_search_that_finds_nothing_is_offered_broader_readings() {
        assert_eq!(
            broader_queries("\"đảo biển\" lang:vi"),
            vec!["đảo biển lang:vi", "\"đảo biển\"", "\"dao bien\" lang:vi", "đảo OR biển"]
        );
        assert_eq!(broader_queries("Cần Giờ"), vec!["can gio", "Cần OR Giờ"]);
        assert!(broader_queries("bien").is_empty(), "one unaccented word has no broader reading");
        assert_eq!(broader_queries("biển -du lịch"), vec!["bien -du lich", "biển OR lịch"]);
    }
}
