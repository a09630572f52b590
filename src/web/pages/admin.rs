//! The admin pages: users and tokens, sources and jobs, re-tags, the localities and the audit log.

use crate::model::{JobId, TokenId, UserId};
use crate::app::AppError;
use super::*;

pub(super) async fn render_users(
    st: &AppState,
    headers: &HeaderMap,
    p: &Principal,
    new_token: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let lang = lang_of(headers);
    let ctx = json!({
        "users": st.store.users().await?,
        "tokens": st.store.tokens().await?,
        "roles": Role::ALL.map(|r| r.as_str()),
        "new_token": new_token,
        "error": error,
    });
    let body = render(st, "users.html", lang, Some(p), "/admin/users", "users", ctx)?;
    Ok(html(status, body))
}

pub async fn users(State(st): State<AppState>, headers: HeaderMap, Extension(p): Extension<Principal>) -> PageResult {
    render_users(&st, &headers, &p, None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct AddUserForm {
    name: String,
    role: String,
    password: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    unit: String,
}

pub(super) fn parse_role(s: &str) -> Result<Role, Fail> {
    Role::parse(s.trim()).ok_or_else(|| Fail::App(AppError::BadRequest(format!("role `{s}`: admin, analyst, triage or leader"))))
}

pub async fn add_user(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Form(f): Form<AddUserForm>,
) -> PageResult {
    let r = match parse_role(&f.role) {
        Ok(role) => app::add_user(&st, &p.actor(), &f.name, role, f.password, app::Profile { full_name: &f.full_name, unit: &f.unit }).await.map_err(Fail::from),
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(see_other("/admin/users")),
        Err(e @ (Fail::App(AppError::BadRequest(_)) | Fail::App(AppError::Conflict(_)))) => render_users(&st, &headers, &p, None, Some(e.to_string()), e.status()).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct UpdateUserForm {
    role: Option<String>,
    disabled: Option<String>,
    password: Option<String>,
    full_name: Option<String>,
    unit: Option<String>,
}

pub async fn update_user(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Form(f): Form<UpdateUserForm>,
) -> PageResult {
    let role = match f.role.as_deref() {
        Some(r) => match parse_role(r) {
            Ok(r) => Some(r),
            Err(e) => return render_users(&st, &headers, &p, None, Some(e.to_string()), e.status()).await,
        },
        None => None,
    };
    let disabled = f.disabled.as_deref().map(|d| d == "1" || d == "true");
    match app::update_user(&st, &p.actor(), UserId(id), role, disabled, f.password, (f.full_name, f.unit)).await.map_err(Fail::from) {
        Ok(_) => Ok(see_other("/admin/users")),
        Err(e @ Fail::App(AppError::BadRequest(_))) => render_users(&st, &headers, &p, None, Some(e.to_string()), e.status()).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    label: String,
}

pub async fn create_token(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Form(f): Form<TokenForm>,
) -> PageResult {
    let token = app::create_token(&st, &p.actor(), UserId(id), &f.label).await?;
    render_users(&st, &headers, &p, Some(token), None, StatusCode::OK).await
}

pub async fn revoke_token(State(st): State<AppState>, Extension(p): Extension<Principal>, Path(id): Path<i64>) -> PageResult {
    app::revoke_token(&st, &p.actor(), TokenId(id)).await?;
    Ok(see_other("/admin/users"))
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

pub async fn sources(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let lang = lang_of(&headers);
    // only known messages: a link must not be able to put words on the page
    let notice = q
        .notice
        .as_deref()
        .filter(|n| matches!(*n, "sources.queued" | "sources.retried" | "retag.started" | "config.reloaded" | "sources.added" | "sources.toggled"))
        .map(|n| t(lang, n));
    render_sources(&st, lang, &p, StatusCode::OK, notice.map(str::to_string), None, Value::Null).await
}

pub(super) async fn render_sources(
    st: &AppState,
    lang: Lang,
    p: &Principal,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    form: Value,
) -> PageResult {
    let ctx = json!({
        "sources": app::sources(st).await?,
        "poisoned": st.store.poisoned_jobs().await?,
        "notice": notice,
        "error": error,
        "retag": st.retag.status(),
        "config": st.reload.status(),
        "form": form,
    });
    let body = render(st, "sources.html", lang, Some(p), "/admin/sources", "sources", ctx)?;
    Ok(html(status, body))
}

pub async fn reload_config(State(st): State<AppState>, headers: HeaderMap, Extension(p): Extension<Principal>) -> PageResult {
    match app::reload_config(&st, &p.actor()).await.map_err(Fail::from) {
        Ok(()) => Ok(see_other("/admin/sources?notice=config.reloaded")),
        Err(e) => render_sources(&st, lang_of(&headers), &p, e.status(), None, Some(e.to_string()), Value::Null).await,
    }
}

#[derive(Deserialize, serde::Serialize)]
pub struct SourceForm {
    name: String,
    url: String,
    origin: String,
    lang: Option<String>,
    internal: Option<String>,
}

pub async fn add_source(State(st): State<AppState>, headers: HeaderMap, Extension(p): Extension<Principal>, Form(f): Form<SourceForm>) -> PageResult {
    let new = crate::sources_file::NewSource { name: f.name.clone(), url: f.url.clone(), origin: f.origin.clone(), lang: f.lang.clone() };
    let internal = f.internal.as_deref().is_some_and(|v| !v.is_empty());
    match app::add_source(&st, &p.actor(), new, internal).await.map_err(Fail::from) {
        Ok(_) => Ok(see_other("/admin/sources?notice=sources.added")),
        Err(e) => render_sources(&st, lang_of(&headers), &p, e.status(), None, Some(e.to_string()), json!(f)).await,
    }
}

#[derive(Deserialize)]
pub struct EnabledForm {
    enabled: String,
}

pub async fn set_source_enabled(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    Form(f): Form<EnabledForm>,
) -> PageResult {
    match app::set_source_enabled(&st, &p.actor(), &id, f.enabled == "1" || f.enabled == "true").await.map_err(Fail::from) {
        Ok(()) => Ok(see_other("/admin/sources?notice=sources.toggled")),
        Err(e) => render_sources(&st, lang_of(&headers), &p, e.status(), None, Some(e.to_string()), Value::Null).await,
    }
}

pub async fn run_source(State(st): State<AppState>, Extension(p): Extension<Principal>, Path(id): Path<String>) -> PageResult {
    app::run_source(&st, &p.actor(), &id).await?;
    Ok(see_other("/admin/sources?notice=sources.queued"))
}

pub async fn start_retag(State(st): State<AppState>, Extension(p): Extension<Principal>) -> PageResult {
    app::start_retag(&st, &p.actor()).await?;
    Ok(see_other("/admin/sources?notice=retag.started"))
}

pub async fn retry_job(State(st): State<AppState>, Extension(p): Extension<Principal>, Path(id): Path<i64>) -> PageResult {
    app::retry_job(&st, &p.actor(), JobId(id)).await?;
    Ok(see_other("/admin/sources?notice=sources.retried"))
}

#[derive(Deserialize)]
pub struct LocalitiesQuery {
    q: Option<String>,
}

/// The configured localities with what each matches, and the gazetteer to find a unit's name in.
pub async fn localities(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Query(q): Query<LocalitiesQuery>,
) -> PageResult {
    let lang = lang_of(&headers);
    let places: Vec<Value> = st
        .cfg
        .localities
        .iter()
        .map(|l| {
            json!({
                "id": l.id, "name": l.name, "unit": l.unit,
                "anywhere": l.aliases,
                "near": l.near.iter().map(|(a, near)| json!({"text": a, "near": near.join(", ")})).collect::<Vec<_>>(),
                "not": l.not,
            })
        })
        .collect();
    let query = q.q.unwrap_or_default().trim().chars().take(100).collect::<String>();
    let g = crate::gazetteer::get();
    let found: Vec<Value> = if query.is_empty() {
        Vec::new()
    } else {
        g.find(&query, 50)
            .into_iter()
            .map(|id| {
                let u = &g.units[id];
                let label = g.label(id);
                // the era is said in the page's language
                let label = label.trim_end_matches(" (before 7/2025)");
                json!({"code": u.code, "level": u.level.as_str(), "former": u.era == crate::gazetteer::Era::Former, "label": label})
            })
            .collect()
    };
    let body = render(&st, "localities.html", lang, Some(&p), "/admin/localities", "localities", json!({"places": places, "q": query, "found": found}))?;
    Ok(html(StatusCode::OK, body))
}

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
}

pub async fn audit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let lang = lang_of(&headers);
    let entries = st.store.audit_entries(&AuditFilter { before_id: q.before, limit: 100, ..Default::default() }).await?;
    let next = if entries.len() == 100 { entries.last().map(|e| format!("/admin/audit?before={}", e.id)) } else { None };
    let users = st.store.users().await?;
    let words = Words { st: &st, lang, users: &users };
    let rows: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(e).unwrap_or_default();
            v["actor"] = json!(words.actor(&e.actor));
            v["detail_lines"] = json!(words.detail(&e.detail));
            v
        })
        .collect();
    let body = render(&st, "audit.html", lang, Some(&p), "/admin/audit", "audit", json!({"entries": rows, "next_href": next}))?;
    Ok(html(StatusCode::OK, body))
}
