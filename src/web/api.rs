//! The JSON API under `/api/v1`, documented in `openapi.json` (served at `/api/v1/openapi.json`).
//! Scripts authenticate with `Authorization: Bearer <token>`; a browser session works too, with its
//! CSRF token in `X-CSRF-Token` for changes. Errors are `{"error": {"code", "message"}}`.

use crate::model::{ArticleId, JobId, QueueItemId, ReportId, StoryId, UserId};
use crate::app::AppError;
use super::auth::Principal;
use super::error::{ApiError, ApiPath, ApiQuery, Fail};
use super::pages::{queue_filter, QueueQuery};
use crate::app::{self, SearchParams};
use super::{reports, AppState, Lang};
use crate::model::{Priority, Role};
use crate::store::AuditFilter;
use crate::triage::Action;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

type ApiResult = Result<Response, ApiError>;

fn ok(v: impl serde::Serialize) -> ApiResult {
    Ok(Json(v).into_response())
}

/// JSON bodies parsed by hand so that a malformed one gets our error shape, not axum's plain text.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Fail> {
    serde_json::from_slice(bytes).map_err(|e| Fail::App(AppError::BadRequest(format!("request body: {e}"))))
}

pub async fn healthz(State(st): State<AppState>) -> Response {
    match st.store.count_articles().await {
        Ok(n) => Json(json!({"status": "ok", "articles": n, "indexed": st.searcher.num_docs()})).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "error", "error": e.to_string()}))).into_response(),
    }
}

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=3600")], include_str!("openapi.json"))
        .into_response()
}

pub async fn me(Extension(p): Extension<Principal>) -> ApiResult {
    ok(json!({"id": p.user.id, "name": p.user.name, "role": p.user.role}))
}

/// The configured vocabulary clients need to build filters and forms.
pub async fn meta(State(st): State<AppState>) -> ApiResult {
    let c = &st.cfg;
    ok(json!({
        "topics": c.topics.iter().map(|t| json!({"id": t.id, "name": t.name, "name_en": t.name_en, "sensitive": t.sensitive})).collect::<Vec<_>>(),
        "localities": c.localities.iter().map(|l| json!({"id": l.id, "name": l.name})).collect::<Vec<_>>(),
        "agencies": c.agencies.iter().map(|a| json!({"id": a.id, "name": a.name})).collect::<Vec<_>>(),
        "sources": c.sources.iter().map(|s| json!({"id": s.id, "name": s.name, "origin": s.origin, "lang": s.lang, "enabled": s.enabled})).collect::<Vec<_>>(),
        "states": crate::model::QueueState::ALL,
        "priorities": Priority::ALL,
        "roles": Role::ALL,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GazetteerQuery {
    #[serde(default)]
    q: String,
    limit: Option<usize>,
}

/// The gazetteer's units whose name holds the words (an admin writing `[[locality]] unit = ...`).
pub async fn gazetteer(ApiQuery(q): ApiQuery<GazetteerQuery>) -> ApiResult {
    if q.q.trim().is_empty() {
        return Err(Fail::App(AppError::BadRequest("q: give part of a unit's name, e.g. q=can gio".into())).into());
    }
    let g = crate::gazetteer::get();
    let units: Vec<serde_json::Value> = g
        .find(&q.q, q.limit.unwrap_or(20).clamp(1, 100))
        .into_iter()
        .map(|id| {
            let u = &g.units[id];
            let era = if u.era == crate::gazetteer::Era::Current { "current" } else { "former" };
            json!({"code": u.code, "level": u.level.as_str(), "era": era, "kind": u.kind, "name": u.name, "label": g.label(id)})
        })
        .collect();
    ok(json!({ "units": units }))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    sort: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

pub async fn search(State(st): State<AppState>, ApiQuery(q): ApiQuery<SearchQuery>) -> ApiResult {
    let by_date = match q.sort.as_deref() {
        None | Some("relevance") => false,
        Some("date") => true,
        Some(other) => return Err(Fail::App(AppError::BadRequest(format!("sort `{other}`: relevance or date"))).into()),
    };
    let p = SearchParams { q: q.q, sort_by_date: by_date, offset: q.offset.unwrap_or(0), limit: q.limit.unwrap_or(20) };
    let v = app::search(&st, p, Lang::En).await?;
    let hits: Vec<Value> = v
        .hits
        .iter()
        .map(|h| {
            let snippet: String = h.snippet.iter().map(|(s, _)| s.as_str()).collect();
            let matched: Vec<&str> = h.snippet.iter().filter(|(_, m)| *m).map(|(s, _)| s.as_str()).collect();
            json!({
                "id": h.id, "url": h.url, "title": h.title, "title_vi": h.title_vi, "source": h.source, "source_name": h.source_name, "origin": h.origin,
                "lang": h.lang, "published_at": h.published_at, "score": h.score, "snippet": snippet, "highlights": matched,
                "topics": h.topics, "localities": h.localities, "flagged": h.flagged,
            })
        })
        .collect();
    let facets: serde_json::Map<String, Value> = v
        .facets
        .iter()
        .map(|f| {
            (
                f.name.to_string(),
                json!(f.values.iter().map(|x| json!({"value": x.value, "label": x.label, "count": x.count})).collect::<Vec<_>>()),
            )
        })
        .collect();
    ok(json!({"query": v.query, "total": v.total, "offset": v.offset, "limit": v.limit, "sort": v.sort, "hits": hits, "facets": facets}))
}

pub async fn article(State(st): State<AppState>, ApiPath(id): ApiPath<i64>) -> ApiResult {
    let v = app::article(&st, ArticleId(id), Lang::En).await?;
    ok(json!({
        "id": v.article.id, "url": v.article.url, "canonical_url": v.article.canonical_url, "source": v.article.source,
        "source_name": v.source_name, "origin": v.origin, "title": v.article.title, "title_vi": v.article.title_vi, "text": v.article.text, "lang": v.article.lang,
        "published_at": v.article.published_at, "fetched_at": v.article.fetched_at, "story_id": v.article.story_id,
        "topics": v.topics, "mentions": v.mentions, "localities": v.localities, "seen_in": v.seen_in, "queue_items": v.items,
    }))
}

#[derive(Deserialize)]
struct FlagBody {
    reason: String,
    #[serde(default)]
    priority: Option<Priority>,
}

pub async fn flag(
    State(st): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiPath(id): ApiPath<i64>,
    bytes: axum::body::Bytes,
) -> ApiResult {
    let b: FlagBody = body(&bytes)?;
    let item = app::flag(&st, &p.actor(), ArticleId(id), &b.reason, b.priority.unwrap_or(Priority::Normal)).await?;
    Ok((StatusCode::CREATED, Json(item)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArticlePatch {
    /// `null` or "" clears it.
    title_vi: Option<String>,
}

/// Changes what a colleague may change about an article: its Vietnamese title gloss.
pub async fn patch_article(
    State(st): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiPath(id): ApiPath<i64>,
    bytes: axum::body::Bytes,
) -> ApiResult {
    let b: ArticlePatch = body(&bytes)?;
    let a = app::gloss(&st, &p.actor(), ArticleId(id), b.title_vi.as_deref()).await?;
    Ok(Json(serde_json::json!({ "id": a.id, "title": a.title, "title_vi": a.title_vi })).into_response())
}

pub async fn queue(State(st): State<AppState>, ApiQuery(q): ApiQuery<QueueQuery>) -> ApiResult {
    let f = queue_filter(&q)?;
    let (rows, total) = st.store.queue_items(&f, Utc::now()).await?;
    ok(json!({"total": total, "offset": f.offset, "items": rows}))
}

pub async fn queue_item(State(st): State<AppState>, ApiPath(id): ApiPath<i64>) -> ApiResult {
    let v = app::item(&st, QueueItemId(id)).await?;
    ok(json!({
        "item": v.it, "article": v.article.map(|a| json!({"id": a.id, "title": a.title, "url": a.url, "source": a.source})),
        "assignee": v.assignee, "created_by": v.created_by, "overdue": v.overdue, "legal_actions": v.actions, "history": v.history,
        "score": v.score, "revisions": v.revisions, "recheck": v.check, "captures": v.captures,
    }))
}

#[derive(Deserialize)]
struct ActionBody {
    version: i64,
    #[serde(flatten)]
    action: Action,
}

pub async fn queue_action(
    State(st): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiPath(id): ApiPath<i64>,
    bytes: axum::body::Bytes,
) -> ApiResult {
    let b: ActionBody = body(&bytes)?;
    ok(app::act(&st, &p.actor(), QueueItemId(id), b.version, &b.action).await?)
}

#[derive(Deserialize)]
struct NoteBody {
    text: String,
}

pub async fn queue_note(
    State(st): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiPath(id): ApiPath<i64>,
    bytes: axum::body::Bytes,
) -> ApiResult {
    let b: NoteBody = body(&bytes)?;
    app::note(&st, &p.actor(), QueueItemId(id), &b.text).await?;
    Ok((StatusCode::CREATED, Json(json!({"ok": true}))).into_response())
}

pub async fn saved_searches(State(st): State<AppState>, Extension(p): Extension<Principal>) -> ApiResult {
    ok(st.store.saved_searches(p.user.id).await?)
}

#[derive(Deserialize)]
struct SaveBody {
    name: String,
    query: String,
    alert_email: Option<String>,
    #[serde(default)]
    alert_digest: bool,
}

pub async fn save_search(State(st): State<AppState>, Extension(p): Extension<Principal>, bytes: axum::body::Bytes) -> ApiResult {
    let b: SaveBody = body(&bytes)?;
    let id = app::save_search(&st, &p.actor(), &b.name, &b.query, b.alert_email.as_deref(), b.alert_digest).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))).into_response())
}

pub async fn delete_search(State(st): State<AppState>, Extension(p): Extension<Principal>, ApiPath(id): ApiPath<i64>) -> ApiResult {
    st.store.delete_saved_search(p.user.id, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct TokenBody {
    label: String,
    /// Admins may make a token for another user.
    user_id: Option<i64>,
}

pub async fn create_token(State(st): State<AppState>, Extension(p): Extension<Principal>, bytes: axum::body::Bytes) -> ApiResult {
    let b: TokenBody = body(&bytes)?;
    let user = b.user_id.unwrap_or(p.user.id);
    if user != p.user.id && p.user.role != Role::Admin {
        return Err(Fail::App(AppError::Forbidden("only an admin makes tokens for another user".into())).into());
    }
    let token = app::create_token(&st, &p.actor(), UserId(user), &b.label).await?;
    Ok((StatusCode::CREATED, Json(json!({"token": token}))).into_response())
}

pub async fn users(State(st): State<AppState>) -> ApiResult {
    ok(st.store.users().await?)
}

#[derive(Deserialize)]
struct UserBody {
    name: String,
    role: Role,
    password: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    unit: String,
}

pub async fn add_user(State(st): State<AppState>, Extension(p): Extension<Principal>, bytes: axum::body::Bytes) -> ApiResult {
    let b: UserBody = body(&bytes)?;
    let u = app::add_user(&st, &p.actor(), &b.name, b.role, b.password, app::Profile { full_name: &b.full_name, unit: &b.unit }).await?;
    Ok((StatusCode::CREATED, Json(u)).into_response())
}

#[derive(Deserialize)]
struct UserPatch {
    role: Option<Role>,
    disabled: Option<bool>,
    password: Option<String>,
    full_name: Option<String>,
    unit: Option<String>,
}

pub async fn update_user(
    State(st): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiPath(id): ApiPath<i64>,
    bytes: axum::body::Bytes,
) -> ApiResult {
    let b: UserPatch = body(&bytes)?;
    ok(app::update_user(&st, &p.actor(), UserId(id), b.role, b.disabled, b.password, (b.full_name, b.unit)).await?)
}

pub async fn sources(State(st): State<AppState>) -> ApiResult {
    ok(app::sources(&st).await?)
}

#[derive(Deserialize)]
struct NewSourceBody {
    name: String,
    url: String,
    #[serde(default = "domestic")]
    origin: String,
    lang: Option<String>,
    /// The address is on the office's own network (a private or loopback one is refused otherwise).
    #[serde(default)]
    internal: bool,
}

fn domestic() -> String {
    "domestic".into()
}

/// Adds a source to the configuration and reloads it (202: the workers restart on it).
pub async fn add_source(State(st): State<AppState>, Extension(p): Extension<Principal>, bytes: axum::body::Bytes) -> ApiResult {
    let b: NewSourceBody = body(&bytes)?;
    let new = crate::sources_file::NewSource { name: b.name, url: b.url, origin: b.origin, lang: b.lang };
    let id = app::add_source(&st, &p.actor(), new, b.internal).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"id": id}))).into_response())
}

#[derive(Deserialize)]
struct SourcePatch {
    enabled: bool,
}

/// Turns a source off or on in the configuration and reloads it.
pub async fn patch_source(State(st): State<AppState>, Extension(p): Extension<Principal>, ApiPath(id): ApiPath<String>, bytes: axum::body::Bytes) -> ApiResult {
    let b: SourcePatch = body(&bytes)?;
    app::set_source_enabled(&st, &p.actor(), &id, b.enabled).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"id": id, "enabled": b.enabled}))).into_response())
}

/// Reads the configuration file again (202 when valid: the workers restart on it; 400 with the
/// reason when not, and the running configuration stays).
pub async fn reload_config(State(st): State<AppState>, Extension(p): Extension<Principal>) -> ApiResult {
    app::reload_config(&st, &p.actor()).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"reloading": true}))).into_response())
}

/// When the running configuration was read and why the last reload was refused, if it was.
pub async fn config_status(State(st): State<AppState>) -> ApiResult {
    ok(st.reload.status())
}

pub async fn run_source(State(st): State<AppState>, Extension(p): Extension<Principal>, ApiPath(id): ApiPath<String>) -> ApiResult {
    app::run_source(&st, &p.actor(), &id).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"ok": true}))).into_response())
}

pub async fn poisoned_jobs(State(st): State<AppState>) -> ApiResult {
    ok(json!({"jobs": st.store.poisoned_jobs().await?}))
}

pub async fn retry_job(State(st): State<AppState>, Extension(p): Extension<Principal>, ApiPath(id): ApiPath<i64>) -> ApiResult {
    app::retry_job(&st, &p.actor(), JobId(id)).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"ok": true}))).into_response())
}

pub async fn retag_status(State(st): State<AppState>) -> ApiResult {
    ok(json!(st.retag.status()))
}

pub async fn start_retag(State(st): State<AppState>, Extension(p): Extension<Principal>) -> ApiResult {
    app::start_retag(&st, &p.actor()).await?;
    Ok((StatusCode::ACCEPTED, Json(json!(st.retag.status()))).into_response())
}

#[derive(Deserialize)]
pub struct AuditQuery {
    format: Option<String>,
    target_kind: Option<String>,
    target_id: Option<String>,
    actor: Option<String>,
}

/// The whole audit log (or a filtered part), oldest first: JSON, JSONL or CSV.
pub async fn audit_export(State(st): State<AppState>, ApiQuery(q): ApiQuery<AuditQuery>) -> ApiResult {
    let format = q.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "jsonl" | "csv") {
        return Err(Fail::App(AppError::BadRequest(format!("format `{format}`: json, jsonl or csv"))).into());
    }
    let mut all = Vec::new();
    let mut before = None;
    loop {
        let f = AuditFilter {
            target_kind: q.target_kind.clone(),
            target_id: q.target_id.clone(),
            actor: q.actor.clone(),
            before_id: before,
            limit: 5000,
        };
        let page = st.store.audit_entries(&f).await?;
        let n = page.len();
        before = page.last().map(|e| e.id);
        all.extend(page);
        if n < 5000 {
            break;
        }
    }
    all.reverse();
    match format {
        "json" => ok(json!({"entries": all})),
        "jsonl" => {
            let mut out = String::new();
            for e in &all {
                out.push_str(&serde_json::to_string(e).map_err(|e| Fail::App(AppError::Internal(e.to_string())))?);
                out.push('\n');
            }
            Ok((
                [
                    (header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"),
                    (header::CONTENT_DISPOSITION, "attachment; filename=\"audit.jsonl\""),
                ],
                out,
            )
                .into_response())
        }
        _ => {
            // a byte order mark first: Excel on Windows reads the file as UTF-8 only with it
            let mut w = csv::Writer::from_writer("\u{feff}".as_bytes().to_vec());
            let csv_err = |e: csv::Error| Fail::App(AppError::Internal(e.to_string()));
            w.write_record(["id", "at", "actor", "action", "target_kind", "target_id", "detail", "reason"]).map_err(csv_err)?;
            for e in &all {
                w.write_record([
                    e.id.to_string(),
                    e.at.with_timezone(&crate::time::ZONE).to_rfc3339(),
                    e.actor.clone(),
                    e.action.clone(),
                    e.target_kind.clone(),
                    e.target_id.clone(),
                    e.detail.to_string(),
                    e.reason.clone().unwrap_or_default(),
                ])
                .map_err(csv_err)?;
            }
            let bytes = w.into_inner().map_err(|e| Fail::App(AppError::Internal(e.to_string())))?;
            Ok((
                [(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"audit.csv\"")],
                bytes,
            )
                .into_response())
        }
    }
}

// ---- reports ----

pub async fn reports(State(st): State<AppState>) -> ApiResult {
    ok(json!({"reports": st.store.reports(200).await?}))
}

#[derive(Deserialize)]
struct ReportRequest {
    week: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// Writes a report for a period and answers with it (JSON), `Location` naming where it is kept.
pub async fn generate_report(State(st): State<AppState>, Extension(p): Extension<Principal>, bytes: axum::body::Bytes) -> ApiResult {
    let req: ReportRequest = if bytes.is_empty() { ReportRequest { week: None, from: None, to: None } } else { body(&bytes)? };
    let period = app::report_period(req.week.as_deref(), req.from.as_deref(), req.to.as_deref())?;
    let id = app::generate_report(&st, &p.actor(), period).await?;
    let (info, report) = app::report(&st, ReportId(id)).await?;
    let location = format!("/api/v1/reports/{id}");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(json!({"id": id, "info": info, "report": report}))).into_response())
}

#[derive(Deserialize)]
pub struct ReportQuery {
    format: Option<String>,
}

/// A kept report: its figures as JSON, or the rendered file with `?format=html|docx|md`.
pub async fn report(State(st): State<AppState>, ApiPath(id): ApiPath<i64>, ApiQuery(q): ApiQuery<ReportQuery>) -> ApiResult {
    let (info, report) = app::report(&st, ReportId(id)).await?;
    match q.format.as_deref() {
        None | Some("json") => ok(json!({"id": id, "info": info, "report": report})),
        Some(f) => Ok(reports::report_file(&report, f)?),
    }
}

/// A story: its articles (first published first), outlets, daily spread and queue items.
pub async fn story(State(st): State<AppState>, ApiPath(id): ApiPath<i64>) -> ApiResult {
    ok(app::story(&st, StoryId(id)).await?)
}
