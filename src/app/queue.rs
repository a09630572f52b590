//! The review queue: actions on an item (checked by `triage`), notes, an item with its history and
//! its article's revisions, and the priority scores the list shows.

use super::articles::safe_link;
use super::stories::{story_articles, StoryArticleView};
use crate::model::QueueItemId;
use super::{Actor, App, AppError};
use crate::model::{Article, ArticleId, QueueItem, User};
use crate::store::NewAudit;
use crate::triage::{self, Action, Known};
use chrono::Utc;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Applies a triage action if the item is still at `version`; the audit entry commits with it.
pub async fn act(st: &App, p: &Actor, id: QueueItemId, version: i64, action: &Action) -> Result<QueueItem, AppError> {
    let id = id.0;
    let item = st.store.queue_item(id).await?.ok_or_else(|| AppError::NotFound(format!("queue item {id}")))?;
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
        actor_id: p.user_id(),
        actor: p.name(),
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

pub async fn note(st: &App, p: &Actor, id: QueueItemId, text: &str) -> Result<(), AppError> {
    let id = id.0;
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::BadRequest("the note is empty".into()));
    }
    st.store.add_queue_note(id, p.person()?, text, Utc::now()).await?;
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

pub async fn item(st: &App, id: QueueItemId) -> Result<ItemView, AppError> {
    let id = id.0;
    let it = st.store.queue_item(id).await?.ok_or_else(|| AppError::NotFound(format!("queue item {id}")))?;
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
pub async fn row_scores(st: &App, rows: &[crate::store::QueueRow]) -> Result<Vec<(Option<u32>, Option<&'static str>)>, AppError> {
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

async fn item_score(st: &App, it: &QueueItem, a: &Article) -> Result<crate::triage::priority::Score, AppError> {
    let now = Utc::now();
    let stats = match it.story_id.or(a.story_id) {
        Some(s) => Some(st.store.story_stats(s, now).await?),
        None => None,
    };
    Ok(score_with(st, it, a, stats, now))
}

/// The priority score from the item, its article and its story's figures.
fn score_with(st: &App, it: &QueueItem, a: &Article, stats: Option<crate::store::StoryStats>, now: chrono::DateTime<Utc>) -> crate::triage::priority::Score {
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

pub fn show(v: &serde_json::Value) -> String {
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


/// Parses `YYYY-MM-DD` (the end of that day in Vietnam: a deadline) or an RFC 3339 time.
pub fn parse_due(s: &str) -> Result<Option<chrono::DateTime<Utc>>, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    crate::time::parse_bound(s, true).map(Some).ok_or_else(|| AppError::BadRequest(format!("hạn xử lý «{s}» không hợp lệ: viết dd/mm/yyyy / due date `{s}`: write DD/MM/YYYY")))
}
