//! A story as its page shows it: its articles, in order, with what is new since a moment.

use super::articles::safe_link;
use crate::model::StoryId;
use super::{App, AppError};
use crate::model::QueueItem;
use chrono::Utc;
use serde::Serialize;

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

pub(super) async fn story_articles(st: &App, story: i64, since: Option<chrono::DateTime<Utc>>) -> Result<Vec<StoryArticleView>, AppError> {
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

pub async fn story(st: &App, id: StoryId) -> Result<StoryView, AppError> {
    let id = id.0;
    let articles = story_articles(st, id, None).await?;
    let first = articles.first().ok_or_else(|| AppError::NotFound(format!("story {id}")))?;
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

