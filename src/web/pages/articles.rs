//! An article's page and what is done from it (flag, gloss, evidence), and a story's page.

use crate::model::{ArticleId, StoryId};
use crate::app::AppError;
use super::*;

pub async fn article(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
) -> PageResult {
    let lang = lang_of(&headers);
    let v = app::article(&st, ArticleId(id), lang).await?;
    let mut ctx = serde_json::to_value(&v).map_err(|e| Fail::App(AppError::Internal(e.to_string())))?;
    ctx["can_flag"] = json!(crate::web::access::allows(p.user.role, "POST", "/articles/{id}/flag"));
    ctx["can_gloss"] = json!(crate::web::access::allows(p.user.role, "POST", "/articles/{id}/gloss"));
    ctx["priorities"] = json!(Priority::ALL.map(|x| x.as_str()));
    let body = render(&st, "article.html", lang, Some(&p), &here(&uri), "search", ctx)?;
    Ok(html(StatusCode::OK, body))
}

/// The article's kept responses as a WARC file: what triage staff attach as proof.
pub async fn evidence_warc(State(st): State<AppState>, Path(id): Path<i64>) -> PageResult {
    use crate::evidence::warc::{write_selection, Selection, WarcWriter};
    let article = st.store.articles(&[ArticleId(id)]).await?.pop().ok_or_else(|| Fail::App(AppError::NotFound(format!("article {id}"))))?;
    let name = format!("presswatch-article-{}.warc.gz", article.id.0);
    let mut w = WarcWriter::new(Vec::new(), true, &name, Utc::now()).map_err(|e| Fail::App(AppError::Internal(e.to_string())))?;
    write_selection(&st.store, &mut w, &Selection::Articles(vec![article.id])).await.map_err(|e| Fail::App(AppError::Internal(e.to_string())))?;
    let body = w.finish().map_err(|e| Fail::App(AppError::Internal(e.to_string())))?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/warc".to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct FlagForm {
    reason: String,
    priority: Option<String>,
}

pub async fn flag(
    State(st): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Form(f): Form<FlagForm>,
) -> PageResult {
    let priority = parse_priority(f.priority.as_deref())?.unwrap_or(Priority::Normal);
    let item = app::flag(&st, &p.actor(), ArticleId(id), &f.reason, priority).await?;
    Ok(see_other(&format!("/queue/{}", item.id)))
}

#[derive(Deserialize)]
pub struct GlossForm {
    title_vi: String,
    /// Where to go back to (the queue item the form was on), if it is one of ours.
    back: Option<String>,
}

pub async fn gloss(
    State(st): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Form(f): Form<GlossForm>,
) -> PageResult {
    app::gloss(&st, &p.actor(), ArticleId(id), Some(&f.title_vi)).await?;
    let back = f.back.filter(|b| b.strip_prefix("/queue/").is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit())));
    Ok(see_other(&back.unwrap_or_else(|| format!("/articles/{id}"))))
}

pub(super) fn parse_priority(s: Option<&str>) -> Result<Option<Priority>, Fail> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Priority::parse(s).map(Some).ok_or_else(|| Fail::App(AppError::BadRequest(format!("priority `{s}`: low, normal, high or urgent")))),
    }
}

pub async fn story(State(st): State<AppState>, headers: HeaderMap, Extension(p): Extension<Principal>, Path(id): Path<i64>) -> PageResult {
    let lang = lang_of(&headers);
    let v = app::story(&st, StoryId(id)).await?;
    let mut ctx = serde_json::to_value(&v).map_err(|e| Fail::App(AppError::Internal(e.to_string())))?;
    // our own SVG (labels escaped when it was drawn), not crawled markup
    ctx["chart"] = json!(v.chart);
    ctx["can_flag"] = json!(crate::web::access::allows(p.user.role, "POST", "/articles/{id}/flag"));
    ctx["priorities"] = json!(Priority::ALL.map(|x| x.as_str()));
    let body = render(&st, "story.html", lang, Some(&p), &format!("/stories/{id}"), "search", ctx)?;
    Ok(html(StatusCode::OK, body))
}
