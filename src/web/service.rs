//! What the HTML pages and the JSON API share: searching with facets and highlights, the article view,
//! queue actions with their audit entries, and admin changes. Handlers only translate HTTP to these.

use super::auth::{self, Principal};
use super::error::Fail;
use super::i18n::{t, Lang};
use super::AppState;
use crate::model::{Article, ArticleId, Priority, QueueItem, Role, SourceId, Tag, User};
use crate::query::Expr;
use crate::search::highlight::{self, Wanted};
use crate::search::searcher::SearchRequest;
use crate::store::NewAudit;
use crate::triage::{self, Action, Known};
use chrono::Utc;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

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
pub(super) fn topic_name(cfg: &crate::config::Config, id: &str, lang: Lang) -> String {
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

impl AppState {
    fn source_name(&self, id: &str) -> String {
        self.cfg.source(&SourceId(id.to_string())).map(|s| s.name.clone()).unwrap_or_else(|| id.to_string())
    }
    fn topic_name(&self, id: &str, lang: Lang) -> String {
        topic_name(&self.cfg, id, lang)
    }
    fn locality_name(&self, id: &str) -> String {
        self.cfg.localities.iter().find(|x| x.id == id).map(|x| x.name.clone()).unwrap_or_else(|| id.to_string())
    }
    pub fn agency_names(&self) -> HashMap<String, String> {
        self.cfg.agencies.iter().map(|a| (a.id.clone(), a.name.clone())).collect()
    }
    pub(super) fn tag_views(&self, tags: &[Tag], topic: bool, lang: Lang) -> Vec<TagView> {
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

pub async fn search(st: &AppState, p: SearchParams, lang: Lang) -> Result<SearchView, Fail> {
    let today = Utc::now().with_timezone(&crate::time::ZONE).date_naive();
    let q = p.q.trim().to_string();
    let landing = q.is_empty();
    let limit = p.limit.clamp(1, 100);
    let run = |query: String, by_date: bool| {
        let searcher = st.searcher.clone();
        let req = SearchRequest { query, limit, offset: p.offset, sort_by_date: by_date, facets: true };
        async move { tokio::task::spawn_blocking(move || searcher.search(&req)).await.map_err(|e| Fail::Internal(e.to_string())) }
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
                    "lang" => crate::web::i18n::t_or(lang, &format!("language.{value}"), value),
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

#[derive(Debug, Clone, Serialize)]
pub struct ArticleView {
    #[serde(rename = "a")]
    pub article: Article,
    pub source_name: String,
    pub origin: String,
    /// The original URL when it is an http(s) link (never a `javascript:` or other scheme).
    pub link: Option<String>,
    pub seen_in: Vec<String>,
    pub topics: Vec<TagView>,
    /// Topics the article only mentions: shown, searchable with `mentions:`, never counted.
    pub mentions: Vec<TagView>,
    pub localities: Vec<TagView>,
    pub paragraphs: Vec<String>,
    pub items: Vec<QueueItem>,
    /// The story the article belongs to and how many articles it holds, when it holds more than one.
    pub story: Option<(i64, i64)>,
}

pub fn safe_link(u: &str) -> Option<String> {
    triage::check_link(u).ok().map(|_| u.to_string())
}

pub async fn article(st: &AppState, id: i64, lang: Lang) -> Result<ArticleView, Fail> {
    let a = st.store.articles(&[ArticleId(id)]).await?.pop().ok_or_else(|| Fail::NotFound(format!("article {id}")))?;
    let seen_in = st.store.sightings_of(a.id.clone()).await?.iter().map(|s| st.source_name(s)).collect();
    let filter = crate::store::QueueFilter { article: Some(a.id.clone()), limit: 100, ..Default::default() };
    let items = st.store.queue_items(&filter, Utc::now()).await?.0.into_iter().map(|r| r.item).collect();
    // the stored text is plain text: paragraphs by line
    let paragraphs = a.text.split('\n').map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect();
    let story = match a.story_id {
        Some(s) => st.store.story_sizes(&[s]).await?.get(&s).filter(|&&n| n > 1).map(|&n| (s, n)),
        None => None,
    };
    Ok(ArticleView {
        story,
        source_name: st.source_name(&a.source.0),
        origin: a.origin.map(|o| o.as_str()).unwrap_or("unknown").to_string(),
        link: safe_link(&a.url),
        seen_in,
        topics: st.tag_views(&a.topics, true, lang),
        mentions: st.tag_views(&a.mentions, true, lang),
        localities: st.tag_views(&a.localities, false, lang),
        paragraphs,
        items,
        article: a,
    })
}

fn actor(p: &Principal) -> (i64, &str) {
    (p.user.id, p.user.name.as_str())
}

pub async fn flag(st: &AppState, p: &Principal, article: i64, reason: &str, priority: Priority) -> Result<QueueItem, Fail> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Fail::BadRequest("a reason is required to flag an article".into()));
    }
    if reason.chars().count() > 4000 {
        return Err(Fail::BadRequest("the reason is longer than 4000 characters".into()));
    }
    Ok(st.store.create_queue_item(ArticleId(article), reason, priority, actor(p), Utc::now()).await?)
}

/// The longest title gloss we keep: a title, not an article.
const GLOSS_MAX: usize = 300;

/// Sets a foreign article's Vietnamese title gloss (empty clears it), audited, and has the indexer
/// pick it up so a Vietnamese search finds the article. Vietnamese articles need none.
/// Returns the article with the gloss as stored.
pub async fn gloss(st: &AppState, p: &Principal, article: i64, text: Option<&str>) -> Result<Article, Fail> {
    let text = text.map(|t| crate::text::normalize(t).split_whitespace().collect::<Vec<_>>().join(" ")).filter(|t| !t.is_empty());
    if text.as_ref().is_some_and(|t| t.chars().count() > GLOSS_MAX) {
        return Err(Fail::BadRequest(format!("title_vi: the gloss is longer than {GLOSS_MAX} characters")));
    }
    let mut a = st.store.articles(&[ArticleId(article)]).await?.pop().ok_or_else(|| Fail::NotFound(format!("article {article}")))?;
    if a.lang == "vi" {
        return Err(Fail::BadRequest(format!("title_vi: article {article} is in Vietnamese; a gloss is for a foreign title")));
    }
    if st.store.set_title_gloss(ArticleId(article), text.as_deref(), actor(p), Utc::now()).await? {
        st.wake_indexer.notify_one();
    }
    a.title_vi = text;
    Ok(a)
}

/// Applies a triage action if the item is still at `version`; the audit entry commits with it.
pub async fn act(st: &AppState, p: &Principal, id: i64, version: i64, action: &Action) -> Result<QueueItem, Fail> {
    let item = st.store.queue_item(id).await?.ok_or_else(|| Fail::NotFound(format!("queue item {id}")))?;
    if item.version != version {
        return Err(crate::store::StoreError::Conflict { current: item.version }.into());
    }
    let active: HashSet<i64> = st.store.users().await?.into_iter().filter(|u| !u.disabled).map(|u| u.id).collect();
    let agencies: HashSet<&str> = st.cfg.agencies.iter().map(|a| a.id.as_str()).collect();
    let known = Known { agency: &|a| agencies.contains(a), user: &|u| active.contains(&u) };
    let now = Utc::now();
    let next = triage::apply(&item, action, &known, now)?;
    let name = format!("queue.{}", action.name());
    let audit = NewAudit {
        actor_id: Some(p.user.id),
        actor: &p.user.name,
        action: &name,
        target_kind: "queue_item",
        target_id: id.to_string(),
        detail: triage::diff(&item, &next),
        reason: action.reason(),
    };
    st.store.update_queue_item(version, &next, &audit, now).await?;
    st.metrics.queue_action(action.name());
    Ok(next)
}

pub async fn note(st: &AppState, p: &Principal, id: i64, text: &str) -> Result<(), Fail> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Fail::BadRequest("the note is empty".into()));
    }
    st.store.add_queue_note(id, actor(p), text, Utc::now()).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryView {
    pub at: chrono::DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub reason: Option<String>,
    /// (field, before, after) as text.
    pub changes: Vec<(String, String, String)>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub it: QueueItem,
    pub article: Option<Article>,
    pub source_name: Option<String>,
    pub assignee: Option<String>,
    pub created_by: Option<String>,
    pub overdue: bool,
    pub response_link: Option<String>,
    pub actions: Vec<&'static str>,
    pub history: Vec<HistoryView>,
    /// The other articles of the item's story; `new` marks those that appeared after it was opened.
    pub story: Vec<StoryArticleView>,
    /// The priority score and its parts.
    pub score: Option<crate::triage::priority::Score>,
    /// What re-checks of the article found (edits with their diff, removals), oldest first.
    pub revisions: Vec<RevisionView>,
    /// The re-check schedule, while the item is open.
    pub check: Option<crate::store::CheckState>,
    /// The responses kept as evidence (download as WARC).
    pub captures: Vec<crate::evidence::Capture>,
    /// Every user (the page offers the active ones as assignees); one load serves the names too.
    #[serde(skip)]
    pub users: Vec<User>,
}

pub async fn item(st: &AppState, id: i64) -> Result<ItemView, Fail> {
    let it = st.store.queue_item(id).await?.ok_or_else(|| Fail::NotFound(format!("queue item {id}")))?;
    let article = match &it.article_id {
        Some(a) => st.store.articles(std::slice::from_ref(a)).await?.pop(),
        None => None,
    };
    let story_id = it.story_id.or_else(|| article.as_ref().and_then(|a| a.story_id));
    let story = match story_id {
        Some(s) => story_articles(st, s, Some(it.created_at))
            .await?
            .into_iter()
            .filter(|m| Some(m.id) != it.article_id.as_ref().map(|a| a.0))
            .collect(),
        None => Vec::new(),
    };
    let users = st.store.users().await?;
    let names: HashMap<i64, String> = users.iter().map(|u| (u.id, u.display())).collect();
    let assignee = it.assignee_id.and_then(|u| names.get(&u).cloned());
    let created_by = it.created_by.and_then(|u| names.get(&u).cloned());
    let filter = crate::store::AuditFilter {
        target_kind: Some("queue_item".into()),
        target_id: Some(id.to_string()),
        limit: 500,
        ..Default::default()
    };
    let mut entries = st.store.audit_entries(&filter).await?;
    // changes to the article itself (its title gloss) belong to the item's story too
    if let Some(a) = &it.article_id {
        let of_article = crate::store::AuditFilter { target_kind: Some("article".into()), target_id: Some(a.0.to_string()), ..filter };
        entries.extend(st.store.audit_entries(&of_article).await?);
    }
    entries.sort_by_key(|e| e.id); // oldest first reads as a story
    let history = entries
        .into_iter()
        .map(|e| {
            let changes = match (&e.action[..], e.detail.as_object()) {
                ("queue.create" | "queue.note", _) | (_, None) => Vec::new(),
                (_, Some(m)) => m.iter().map(|(k, v)| (k.clone(), show(&v[0]), show(&v[1]))).collect(),
            };
            let note = if e.action == "queue.note" { e.detail["note"].as_str().map(str::to_string) } else { None };
            HistoryView { at: e.at, actor: e.actor, action: e.action, reason: e.reason, changes, note }
        })
        .collect();
    let (revisions, check, captures, score) = match &article {
        Some(a) => {
            let revisions = st.store.revisions(a.id.clone()).await?.into_iter().map(RevisionView::from).collect();
            (
                revisions,
                st.store.check_state(a.id.clone()).await?,
                st.store.captures_of(a.id.clone()).await?,
                Some(item_score(st, &it, a).await?),
            )
        }
        None => (Vec::new(), None, Vec::new(), None),
    };
    Ok(ItemView {
        score,
        revisions,
        check,
        captures,
        story,
        overdue: it.is_overdue(Utc::now()),
        response_link: it.response_url.as_deref().and_then(safe_link),
        actions: triage::legal_actions(it.state).to_vec(),
        source_name: article.as_ref().map(|a| st.source_name(&a.source.0)),
        article,
        assignee,
        created_by,
        history,
        users,
        it,
    })
}

/// A revision as the item shows it: the change as a word diff of title and text.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RevisionView {
    #[serde(flatten)]
    pub rev: crate::store::Revision,
    pub title_diff: Vec<crate::evidence::DiffPart>,
    pub text_diff: Vec<crate::evidence::DiffPart>,
}

impl From<crate::store::Revision> for RevisionView {
    fn from(rev: crate::store::Revision) -> RevisionView {
        let d = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(a), Some(b)) if a != b => crate::evidence::diff(a, b),
            _ => Vec::new(),
        };
        let title_diff = d(&rev.prev_title, &rev.title);
        let text_diff = d(&rev.prev_text, &rev.text);
        RevisionView { rev, title_diff, text_diff }
    }
}

/// Each queue row's priority score (0–100) and its article's origin, in the rows' order: what the
/// queue list shows and sorts by. One query for the articles, one or a few for their stories.
pub async fn row_scores(st: &AppState, rows: &[crate::store::QueueRow]) -> Result<Vec<(Option<u32>, Option<&'static str>)>, Fail> {
    let ids: Vec<ArticleId> = rows.iter().filter_map(|r| r.item.article_id.clone()).collect();
    let articles: HashMap<i64, Article> = st.store.articles(&ids).await?.into_iter().map(|a| (a.id.0, a)).collect();
    let story = |r: &crate::store::QueueRow| r.item.story_id.or(r.item.article_id.as_ref().and_then(|a| articles.get(&a.0)).and_then(|a| a.story_id));
    let stories: Vec<i64> = rows.iter().filter_map(story).collect();
    let now = Utc::now();
    let stats = st.store.stories_stats(&stories, now).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        match r.item.article_id.as_ref().and_then(|a| articles.get(&a.0)) {
            Some(a) => {
                // a story whose articles are all gone counts as the article alone, as before
                let s = story(r).map(|id| stats.get(&id).copied().unwrap_or_default());
                out.push((Some(score_with(st, &r.item, a, s, now).total), a.origin.map(|o| o.as_str())))
            }
            None => out.push((None, None)),
        }
    }
    Ok(out)
}

async fn item_score(st: &AppState, it: &QueueItem, a: &Article) -> Result<crate::triage::priority::Score, Fail> {
    let now = Utc::now();
    let stats = match it.story_id.or(a.story_id) {
        Some(s) => Some(st.store.story_stats(s, now).await?),
        None => None,
    };
    Ok(score_with(st, it, a, stats, now))
}

/// The priority score from the item, its article and its story's figures.
fn score_with(st: &AppState, it: &QueueItem, a: &Article, stats: Option<crate::store::StoryStats>, now: chrono::DateTime<Utc>) -> crate::triage::priority::Score {
    let sensitive_topics =
        a.topics.iter().filter_map(|t| st.cfg.topics.iter().find(|c| c.id == t.id && c.sensitive).map(|c| c.name.clone())).collect();
    crate::triage::priority::score(&crate::triage::priority::Inputs {
        priority: it.priority,
        sensitive_topics,
        outlets: stats.map(|s| s.outlets).unwrap_or(1),
        origin: a.origin,
        first_seen: stats.and_then(|s| s.first_seen).unwrap_or(a.fetched_at),
        now,
    })
}

pub(super) fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".into(),
        // times as a reader in Vietnam reads them
        serde_json::Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(d) => d.with_timezone(&crate::time::ZONE).format("%d/%m/%Y %H:%M").to_string(),
            Err(_) => s.clone(),
        },
        other => other.to_string(),
    }
}

// ---- admin ----

pub async fn hash(password: String) -> Result<String, Fail> {
    auth::check_new_password(&password).map_err(Fail::BadRequest)?;
    tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| Fail::Internal(e.to_string()))?
        .map_err(Fail::Internal)
}

/// Longest full name or unit a user may have.
const PROFILE_MAX: usize = 120;

/// A full name and unit given for an account (None: not given) fit `PROFILE_MAX`.
fn check_profile(full_name: Option<&str>, unit: Option<&str>) -> Result<(), Fail> {
    for (what, v) in [("full name", full_name), ("unit", unit)] {
        if v.is_some_and(|v| v.chars().count() > PROFILE_MAX) {
            return Err(Fail::BadRequest(format!("{what}: at most {PROFILE_MAX} characters")));
        }
    }
    Ok(())
}

/// A user's full name and unit as given (either may be empty).
pub struct Profile<'a> {
    pub full_name: &'a str,
    pub unit: &'a str,
}

pub async fn add_user(st: &AppState, p: &Principal, name: &str, role: Role, password: String, profile: Profile<'_>) -> Result<User, Fail> {
    let name = name.trim();
    auth::check_user_name(name).map_err(Fail::BadRequest)?;
    check_profile(Some(profile.full_name), Some(profile.unit))?;
    let h = hash(password).await?;
    let now = Utc::now();
    let mut u = st.store.create_user(name, role, &h, now).await?;
    if !(profile.full_name.trim().is_empty() && profile.unit.trim().is_empty()) {
        st.store.set_user_profile(u.id, profile.full_name, profile.unit).await?;
        u = st.store.user(u.id).await?.unwrap_or(u);
    }
    let detail = serde_json::json!({"name": u.name, "role": role.as_str(), "full_name": u.full_name, "unit": u.unit});
    admin_audit(st, p, "user.create", "user", u.id.to_string(), detail, None).await?;
    Ok(u)
}

pub async fn update_user(
    st: &AppState,
    p: &Principal,
    id: i64,
    role: Option<Role>,
    disabled: Option<bool>,
    password: Option<String>,
    profile: (Option<String>, Option<String>),
) -> Result<User, Fail> {
    let before = st.store.user(id).await?.ok_or_else(|| Fail::NotFound(format!("user {id}")))?;
    // the full name and unit as given, when they differ from what is stored (blank clears)
    let (full_name, unit) = profile;
    check_profile(full_name.as_deref(), unit.as_deref())?;
    let changed = |given: &Option<String>, stored: &Option<String>| {
        given.as_deref().map(str::trim).is_some_and(|g| g != stored.as_deref().unwrap_or_default())
    };
    let profile_changed = changed(&full_name, &before.full_name) || changed(&unit, &before.unit);
    if id == p.user.id && (role.is_some_and(|r| r != before.role) || disabled == Some(true)) {
        return Err(Fail::BadRequest("you cannot change your own role or disable yourself; ask another admin".into()));
    }
    let h = match password.filter(|s| !s.is_empty()) {
        Some(pw) => Some(hash(pw).await?),
        None => None,
    };
    let role = role.filter(|r| *r != before.role);
    let disabled = disabled.filter(|d| *d != before.disabled);
    if role.is_none() && disabled.is_none() && h.is_none() && !profile_changed {
        return Ok(before);
    }
    let mut after = st.store.update_user(id, role, disabled, h.as_deref()).await?;
    let mut detail = serde_json::Map::new();
    if profile_changed {
        let full = full_name.as_deref().unwrap_or(before.full_name.as_deref().unwrap_or_default());
        let unit = unit.as_deref().unwrap_or(before.unit.as_deref().unwrap_or_default());
        st.store.set_user_profile(id, full, unit).await?;
        after = st.store.user(id).await?.unwrap_or(after);
        detail.insert("full_name".into(), serde_json::json!([before.full_name, after.full_name]));
        detail.insert("unit".into(), serde_json::json!([before.unit, after.unit]));
    }
    if role.is_some() {
        detail.insert("role".into(), serde_json::json!([before.role, after.role]));
    }
    if disabled.is_some() {
        detail.insert("disabled".into(), serde_json::json!([before.disabled, after.disabled]));
    }
    if h.is_some() {
        detail.insert("password".into(), serde_json::json!("changed"));
    }
    admin_audit(st, p, "user.update", "user", id.to_string(), detail.into(), None).await?;
    Ok(after)
}

/// A new API token for `user_id`; the token itself is returned once and only its hash is kept.
pub async fn create_token(st: &AppState, p: &Principal, user_id: i64, label: &str) -> Result<String, Fail> {
    let label = label.trim();
    if label.is_empty() {
        return Err(Fail::BadRequest("a token needs a label saying what uses it".into()));
    }
    let u = st.store.user(user_id).await?.ok_or_else(|| Fail::NotFound(format!("user {user_id}")))?;
    let token = auth::new_token();
    let id = st.store.create_token(&auth::digest(&token), u.id, label, Utc::now()).await?;
    admin_audit(st, p, "token.create", "api_token", id.to_string(), serde_json::json!({"user": u.name, "label": label}), None).await?;
    Ok(token)
}

pub async fn revoke_token(st: &AppState, p: &Principal, id: i64) -> Result<(), Fail> {
    st.store.revoke_token(id).await?;
    admin_audit(st, p, "token.revoke", "api_token", id.to_string(), serde_json::json!({}), None).await
}

pub async fn run_source(st: &AppState, p: &Principal, id: &str) -> Result<(), Fail> {
    if !st.store.run_source_now(&SourceId(id.to_string()), Utc::now()).await? {
        return Err(Fail::NotFound(format!("enabled source `{id}`")));
    }
    st.wake_crawler.notify_one();
    admin_audit(st, p, "source.run", "source", id.to_string(), serde_json::json!({}), None).await
}

/// Queues a poisoned job again (it took the process down twice: an admin decides to try once more).
pub async fn retry_job(st: &AppState, p: &Principal, id: i64) -> Result<(), Fail> {
    let Some(job) = st.store.retry_poisoned(id, Utc::now()).await? else {
        return Err(Fail::NotFound(format!("poisoned job {id}")));
    };
    st.wake_crawler.notify_one();
    let detail = serde_json::json!({"kind": job.kind, "key": job.key, "crashes": job.crashes});
    admin_audit(st, p, "job.retry", "job", id.to_string(), detail, None).await
}

/// Starts re-tagging every stored article with the running configuration, in the background (the
/// page shows its progress); a second start while one runs is a conflict.
pub async fn start_retag(st: &AppState, p: &Principal) -> Result<(), Fail> {
    if !st.retag.start() {
        return Err(Fail::Conflict("a re-tag is already running".into()));
    }
    admin_audit(st, p, "taxonomy.retag", "taxonomy", "all".into(), serde_json::json!({}), None).await?;
    let (store, cfg, progress, wake) = (st.store.clone(), st.cfg.clone(), st.retag.clone(), st.wake_indexer.clone());
    tokio::spawn(async move {
        let outcome = crate::retag::run(&store, &cfg, None, &progress).await;
        match &outcome {
            Ok(r) => tracing::info!(examined = r.examined, changed = r.changed, "re-tag finished"),
            Err(e) => tracing::error!("re-tag failed: {e}"),
        }
        progress.finish(&outcome);
        wake.notify_one();
    });
    Ok(())
}

async fn admin_audit(
    st: &AppState,
    p: &Principal,
    action: &str,
    kind: &str,
    target: String,
    detail: serde_json::Value,
    reason: Option<&str>,
) -> Result<(), Fail> {
    let e = NewAudit { actor_id: Some(p.user.id), actor: &p.user.name, action, target_kind: kind, target_id: target, detail, reason };
    st.store.audit(&e, Utc::now()).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceRow {
    pub name: String,
    pub url: String,
    pub origin: String,
    pub enabled: bool,
    #[serde(flatten)]
    pub health: crate::store::SourceHealth,
}

/// The configured sources with their health, failing ones first (longest failing first), then by name.
pub async fn sources(st: &AppState) -> Result<Vec<SourceRow>, Fail> {
    let health = st.store.source_health().await?;
    let mut rows: Vec<SourceRow> = health
        .into_iter()
        .filter_map(|h| {
            let s = st.cfg.source(&SourceId(h.source_id.clone()))?;
            Some(SourceRow {
                name: s.name.clone(),
                url: s.url.to_string(),
                origin: s.origin.as_str().into(),
                enabled: s.enabled,
                health: h,
            })
        })
        .collect();
    // turned off last: their old failures are not news
    rows.sort_by(|a, b| {
        (!a.enabled, a.health.consecutive_failures == 0, -a.health.consecutive_failures, &a.name)
            .cmp(&(!b.enabled, b.health.consecutive_failures == 0, -b.health.consecutive_failures, &b.name))
    });
    Ok(rows)
}

/// The configuration file `serve` runs on, for changes made from the web.
fn config_file(st: &AppState) -> Result<std::path::PathBuf, Fail> {
    st.reload.path().map(|p| p.to_path_buf()).ok_or_else(|| Fail::Conflict("this server does not know its configuration file".into()))
}

/// Reads the configuration file again: a valid one restarts the workers and the web server on it
/// (the answer goes out first), a broken one is refused with the reason and changes nothing.
pub async fn reload_config(st: &AppState, p: &Principal) -> Result<(), Fail> {
    let file = config_file(st)?;
    let outcome = st.reload.request(Utc::now());
    let detail = serde_json::json!({"file": file.display().to_string(), "error": outcome.as_ref().err()});
    admin_audit(st, p, "config.reload", "config", file.display().to_string(), detail, None).await?;
    outcome.map_err(|e| Fail::BadRequest(format!("cấu hình mới có lỗi, vẫn chạy cấu hình cũ / the new configuration is invalid, the running one stays: {e}")))
}

fn edit_fail(e: crate::sources_file::EditError) -> Fail {
    use crate::sources_file::EditError as E;
    match e {
        E::UnknownSource(id) => Fail::NotFound(format!("source `{id}`")),
        E::Exists(what) => Fail::Conflict(format!("nguồn đã có / already a source: {what}")),
        E::File { .. } => Fail::Internal(e.to_string()),
        other => Fail::BadRequest(other.to_string()),
    }
}

/// Adds a source to the configuration (as `sources import` does) and has `serve` run on the
/// configuration the edit validated; returns its id.
pub async fn add_source(st: &AppState, p: &Principal, new: crate::sources_file::NewSource, allow_private: bool) -> Result<String, Fail> {
    let file = config_file(st)?;
    let by = p.user.name.clone();
    let n = new.clone();
    let (id, cfg) = tokio::task::spawn_blocking(move || crate::sources_file::add(&file, &n, allow_private, &by))
        .await
        .map_err(|e| Fail::Internal(e.to_string()))?
        .map_err(edit_fail)?;
    let detail = serde_json::json!({"name": new.name, "url": new.url, "origin": new.origin, "lang": new.lang});
    admin_audit(st, p, "source.add", "source", id.clone(), detail, None).await?;
    st.reload.accept(cfg);
    Ok(id)
}

/// Turns a source off or back on in the configuration and has `serve` run on the result.
pub async fn set_source_enabled(st: &AppState, p: &Principal, id: &str, enabled: bool) -> Result<(), Fail> {
    let file = config_file(st)?;
    let owned = id.to_string();
    let cfg = tokio::task::spawn_blocking(move || crate::sources_file::set_enabled(&file, &owned, enabled))
        .await
        .map_err(|e| Fail::Internal(e.to_string()))?
        .map_err(edit_fail)?;
    let action = if enabled { "source.enable" } else { "source.disable" };
    admin_audit(st, p, action, "source", id.to_string(), serde_json::json!({}), None).await?;
    st.reload.accept(cfg);
    Ok(())
}

/// Enabled sources whose last fetch failed, for the banner every user sees: how many of how many,
/// since when the earliest of them last worked (None: never), and the causes, most common first.
pub struct HealthAlarm {
    pub failing: usize,
    pub enabled: usize,
    pub since: Option<Option<chrono::DateTime<Utc>>>,
    pub causes: Vec<(crate::model::FailureClass, usize)>,
}

pub async fn health_alarm(st: &AppState) -> Result<Option<HealthAlarm>, Fail> {
    Ok(health_alarm_of(&st.cfg, &st.store).await?)
}

/// `health_alarm` without a running server (the morning digest).
pub async fn health_alarm_of(cfg: &crate::config::Config, store: &crate::store::Store) -> Result<Option<HealthAlarm>, crate::store::StoreError> {
    let enabled: Vec<&str> = cfg.sources.iter().filter(|s| s.enabled).map(|s| s.id.0.as_str()).collect();
    let failing: Vec<crate::store::FeedHealthRow> = store
        .feed_health_rows()
        .await?
        .into_iter()
        .filter(|h| h.consecutive_failures > 0 && enabled.contains(&h.source_id.as_str()))
        .collect();
    if failing.is_empty() {
        return Ok(None);
    }
    let mut causes: Vec<(crate::model::FailureClass, usize)> = Vec::new();
    for h in &failing {
        let class = h.last_error_class.as_deref().and_then(crate::model::FailureClass::parse).unwrap_or(crate::model::FailureClass::Other);
        match causes.iter_mut().find(|(c, _)| *c == class) {
            Some((_, n)) => *n += 1,
            None => causes.push((class, 1)),
        }
    }
    causes.sort_by(|a, b| b.1.cmp(&a.1));
    // the earliest "last worked" among them; a source that never worked makes it "never"
    let since = if failing.iter().any(|h| h.last_success_at.is_none()) {
        Some(None)
    } else {
        failing.iter().filter_map(|h| h.last_success_at).min().map(Some)
    };
    Ok(Some(HealthAlarm { failing: failing.len(), enabled: enabled.len(), since, causes }))
}

/// Parses `YYYY-MM-DD` (the end of that day in Vietnam: a deadline) or an RFC 3339 time.
pub fn parse_due(s: &str) -> Result<Option<chrono::DateTime<Utc>>, Fail> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    crate::time::parse_bound(s, true).map(Some).ok_or_else(|| Fail::BadRequest(format!("hạn xử lý «{s}» không hợp lệ: viết dd/mm/yyyy / due date `{s}`: write DD/MM/YYYY")))
}

/// What a query like `q` would find, without running it (for a saved search's validity).
pub fn check_query(q: &str) -> Result<Expr, Fail> {
    crate::query::parse(q).map_err(Fail::InvalidQuery)
}

/// Saves a search, with an e-mail alert when an address is given; the page and the API share it.
pub async fn save_search(
    st: &AppState,
    p: &Principal,
    name: &str,
    query: &str,
    alert_email: Option<&str>,
    digest: bool,
) -> Result<i64, Fail> {
    check_query(query)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(Fail::BadRequest("a saved search needs a name".into()));
    }
    let email = alert_email.map(str::trim).filter(|e| !e.is_empty());
    if let Some(e) = email {
        if st.cfg.smtp.is_none() {
            return Err(Fail::BadRequest("e-mail alerts need an [smtp] section in the configuration".into()));
        }
        e.parse::<lettre::message::Mailbox>().map_err(|err| Fail::BadRequest(format!("alert_email `{e}`: {err}")))?;
    }
    Ok(st.store.save_search(p.user.id, name, query.trim(), email.map(|e| (e, digest)), Utc::now()).await?)
}

// ---- reports ----

/// The period a request names: `week`, or `from` and `to`, or (nothing) the last full week.
pub fn report_period(week: Option<&str>, from: Option<&str>, to: Option<&str>) -> Result<crate::report::Period, Fail> {
    use crate::report::Period;
    fn given(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    let p = match (given(week), given(from), given(to)) {
        (Some(w), None, None) => Period::parse_week(w),
        (None, Some(f), Some(t)) => Period::parse_dates(f, t),
        (None, None, None) => Ok(Period::last_full_week(Utc::now())),
        _ => return Err(Fail::BadRequest("give either a week (YYYY-Www) or both from and to (YYYY-MM-DD)".into())),
    };
    p.map_err(|e| Fail::BadRequest(e.to_string()))
}

pub async fn generate_report(st: &AppState, p: &Principal, period: crate::report::Period) -> Result<i64, Fail> {
    let (id, _) = crate::report::generate(&st.store, &st.cfg, period, Utc::now(), &p.user.name).await?;
    Ok(id)
}

pub async fn report(st: &AppState, id: i64) -> Result<(crate::store::ReportInfo, crate::report::Report), Fail> {
    crate::report::kept(&st.store, id).await?.ok_or_else(|| Fail::NotFound(format!("report {id}")))
}

/// A report as a download in the format asked for (`html`, `docx`, `md`, `json`).
pub fn report_file(r: &crate::report::Report, format: &str) -> Result<axum::response::Response, Fail> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let f = crate::report::Format::parse(format).ok_or_else(|| Fail::BadRequest(format!("format {format:?}: html, docx, md or json")))?;
    let bytes = crate::report::render(r, f)?;
    let disposition = format!("attachment; filename=\"{}\"", crate::report::file_name(r, f));
    Ok(([(header::CONTENT_TYPE, f.mime().to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

/// A report shown in the browser: its own self-contained page, under a policy that allows its inline
/// styles and nothing else (it has no script).
pub fn report_page(r: &crate::report::Report) -> Result<axum::response::Response, Fail> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let bytes = crate::report::render(r, crate::report::Format::Html)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---- stories ----

#[derive(Debug, Clone, Serialize)]
pub struct StoryArticleView {
    pub id: i64,
    pub title: String,
    pub link: Option<String>,
    pub source: String,
    pub source_name: String,
    pub lang: String,
    pub published_at: Option<chrono::DateTime<Utc>>,
    pub fetched_at: chrono::DateTime<Utc>,
    /// Seen after the given time (a queue item's opening).
    pub new: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoryView {
    pub id: i64,
    pub title: String,
    pub first_source: String,
    pub first_at: chrono::DateTime<Utc>,
    pub articles: Vec<StoryArticleView>,
    /// Outlets in the order they carried it.
    pub outlets: Vec<String>,
    /// Articles per day (Vietnam time) from the first to the last.
    pub spread: Vec<(chrono::NaiveDate, u64)>,
    #[serde(skip)]
    pub chart: String,
    pub items: Vec<QueueItem>,
}

async fn story_articles(st: &AppState, story: i64, since: Option<chrono::DateTime<Utc>>) -> Result<Vec<StoryArticleView>, Fail> {
    Ok(st
        .store
        .story_members(story)
        .await?
        .into_iter()
        .map(|m| StoryArticleView {
            id: m.id,
            link: safe_link(&m.url),
            source_name: st.source_name(&m.source_id),
            new: since.is_some_and(|t| m.fetched_at > t),
            title: m.title,
            source: m.source_id,
            lang: m.lang,
            published_at: m.published_at,
            fetched_at: m.fetched_at,
        })
        .collect())
}

pub async fn story(st: &AppState, id: i64) -> Result<StoryView, Fail> {
    let articles = story_articles(st, id, None).await?;
    let first = articles.first().ok_or_else(|| Fail::NotFound(format!("story {id}")))?;
    let day = |a: &StoryArticleView| a.published_at.unwrap_or(a.fetched_at).with_timezone(&crate::time::ZONE).date_naive();
    let (from, to) = (day(first), articles.iter().map(day).max().unwrap_or(day(first)));
    let mut spread: Vec<(chrono::NaiveDate, u64)> = Vec::new();
    let mut d = from;
    while d <= to && spread.len() < 366 {
        spread.push((d, articles.iter().filter(|a| day(a) == d).count() as u64));
        d += chrono::Duration::days(1);
    }
    let (days, counts): (Vec<_>, Vec<_>) = spread.iter().copied().unzip();
    let chart = crate::report::chart::daily_bars("", &days, &counts, &[], 640, 150);
    let mut outlets: Vec<String> = Vec::new();
    for a in &articles {
        if !outlets.contains(&a.source_name) {
            outlets.push(a.source_name.clone());
        }
    }
    let f = crate::store::QueueFilter { story: Some(id), limit: 100, ..Default::default() };
    let items = st.store.queue_items(&f, Utc::now()).await?.0.into_iter().map(|r| r.item).collect();
    Ok(StoryView {
        id,
        title: first.title.clone(),
        first_source: first.source_name.clone(),
        first_at: first.published_at.unwrap_or(first.fetched_at),
        outlets,
        spread,
        chart,
        items,
        articles,
    })
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
