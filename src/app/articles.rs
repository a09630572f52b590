//! One article as its page shows it, and what staff do to it: flag it for the queue, gloss a foreign
//! title.

use super::search::TagView;
use super::{Actor, App, AppError};
use crate::triage;
use crate::i18n::Lang;
use crate::model::{Article, ArticleId, Priority, QueueItem};
use chrono::Utc;
use serde::Serialize;

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

pub async fn article(st: &App, id: ArticleId, lang: Lang) -> Result<ArticleView, AppError> {
    let id = id.0;
    let a = st.store.articles(&[ArticleId(id)]).await?.pop().ok_or_else(|| AppError::NotFound(format!("article {id}")))?;
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

pub async fn flag(st: &App, p: &Actor, article: ArticleId, reason: &str, priority: Priority) -> Result<QueueItem, AppError> {
    let article = article.0;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::BadRequest("a reason is required to flag an article".into()));
    }
    if reason.chars().count() > 4000 {
        return Err(AppError::BadRequest("the reason is longer than 4000 characters".into()));
    }
    Ok(st.store.create_queue_item(ArticleId(article), reason, priority, p.person()?, Utc::now()).await?)
}

/// The longest title gloss we keep: a title, not an article.
const GLOSS_MAX: usize = 300;

/// Sets a foreign article's Vietnamese title gloss (empty clears it), audited, and has the indexer
/// pick it up so a Vietnamese search finds the article. Vietnamese articles need none.
/// Returns the article with the gloss as stored.
pub async fn gloss(st: &App, p: &Actor, article: ArticleId, text: Option<&str>) -> Result<Article, AppError> {
    let article = article.0;
    let text = text.map(|t| crate::text::normalize(t).split_whitespace().collect::<Vec<_>>().join(" ")).filter(|t| !t.is_empty());
    if text.as_ref().is_some_and(|t| t.chars().count() > GLOSS_MAX) {
        return Err(AppError::BadRequest(format!("title_vi: the gloss is longer than {GLOSS_MAX} characters")));
    }
    let mut a = st.store.articles(&[ArticleId(article)]).await?.pop().ok_or_else(|| AppError::NotFound(format!("article {article}")))?;
    if a.lang == "vi" {
        return Err(AppError::BadRequest(format!("title_vi: article {article} is in Vietnamese; a gloss is for a foreign title")));
    }
    if st.store.set_title_gloss(ArticleId(article), text.as_deref(), p.person()?, Utc::now()).await? {
        st.wake_indexer.notify_one();
    }
    a.title_vi = text;
    Ok(a)
}
