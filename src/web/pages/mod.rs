//! The HTML pages: each handler turns a request into an `app` call and renders a template.
//! Forms post back here; after a successful change the browser is redirected (POST/redirect/GET).

use crate::app::AppError;
use crate::web::auth::{self, Principal};
use crate::web::error::{Fail, PageError};
use crate::i18n::{t, Lang};
use crate::app::{self, SearchParams};
use crate::web::AppState;
use crate::model::{Priority, QueueState, Role};
use crate::store::{AuditFilter, QueueFilter};
use crate::triage::Action;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;

mod admin;
mod articles;
mod queue;
mod report_pages;
mod search;

pub use admin::*;
pub use articles::*;
pub use queue::*;
pub use report_pages::*;
pub use search::*;

type PageResult = Result<Response, PageError>;

pub(super) fn lang_of(h: &HeaderMap) -> Lang {
    Lang::from_code(auth::read_cookie(h, auth::LANG_COOKIE).as_deref())
}

/// Only a path on this site: `next=` and `back=` must not send anyone elsewhere.
fn local_path(p: Option<&str>) -> String {
    match p {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_string(),
        // the landing page, which sends each role to where it starts
        _ => "/".to_string(),
    }
}

fn here(uri: &axum::http::Uri) -> String {
    uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into())
}

/// Renders `name` with the fields every page has (language, user, CSRF token, current path).
pub(super) fn render(st: &AppState, name: &str, lang: Lang, p: Option<&Principal>, here: &str, section: &str, extra: Value) -> Result<String, Fail> {
    let mut ctx = serde_json::Map::new();
    ctx.insert("lang".into(), json!(lang.code()));
    ctx.insert("here".into(), json!(here));
    ctx.insert("section".into(), json!(section));
    if let Some(p) = p {
        ctx.insert("user".into(), json!({"id": p.user.id, "name": p.user.name, "role": p.user.role}));
        ctx.insert("csrf".into(), json!(p.csrf.clone().unwrap_or_default()));
    }
    if let Value::Object(m) = extra {
        ctx.extend(m);
    }
    let tpl = st.templates.get_template(name).map_err(|e| Fail::App(AppError::Internal(e.to_string())))?;
    tpl.render(Value::Object(ctx)).map_err(|e| Fail::App(AppError::Internal(format!("template {name}: {e:#}"))))
}

/// The source-health banner, in the page's language, when enabled sources are failing: every user
/// sees it (an empty landing page otherwise looks like a quiet day), admins with the way to fix it.
async fn health_banner(st: &AppState, lang: Lang, p: &Principal) -> Result<Value, Fail> {
    let Some(a) = app::health_alarm(st).await? else { return Ok(Value::Null) };
    Ok(json!({"text": health_text(&a, lang), "admin": p.user.role == crate::model::Role::Admin}))
}

/// How many sources fail, since when and why, in one sentence.
pub(super) fn health_text(a: &app::HealthAlarm, lang: Lang) -> String {
    let vi = lang == Lang::Vi;
    let causes = a
        .causes
        .iter()
        .map(|(c, n)| {
            let (v, e) = c.describe();
            if vi { format!("{n} nguồn {v}") } else { format!("{n} × {e}") }
        })
        .collect::<Vec<_>>()
        .join("; ");
    let when = |t: chrono::DateTime<Utc>| t.with_timezone(&crate::time::ZONE).format("%d/%m/%Y %H:%M").to_string();
    let since = match (a.since, vi) {
        (Some(None), true) => ", có nguồn chưa lần nào thu thập được".to_string(),
        (Some(None), false) => ", some never fetched successfully".to_string(),
        (Some(Some(t)), true) => format!(", từ {}", when(t)),
        (Some(Some(t)), false) => format!(", since {}", when(t)),
        (None, _) => String::new(),
    };
    if vi {
        format!("{}/{} nguồn tin đang lỗi{since}. Nguyên nhân: {causes}.", a.failing, a.enabled)
    } else {
        format!("{} of {} sources are failing{since}. Causes: {causes}.", a.failing, a.enabled)
    }
}

fn html(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// The landing page: leaders see the overview first, everyone else the day's search.
pub async fn home(Extension(p): Extension<Principal>) -> Response {
    see_other(if p.user.role == crate::model::Role::Leader { "/overview" } else { "/search" })
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<NextQuery>) -> PageResult {
    let lang = lang_of(&headers);
    let body = render(&st, "login.html", lang, None, "/login", "login", json!({"next": local_path(q.next.as_deref()), "name": ""}))?;
    Ok(html(StatusCode::OK, body))
}

#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(st): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> PageResult {
    let lang = lang_of(&headers);
    let name = f.name.trim().to_string();
    // per name *and* address: failures elsewhere never lock the owner out
    let user_key = format!("u:{name}@{}", addr.ip());
    let ip_key = format!("ip:{}", addr.ip());
    if let Some(wait) = st.limiter.blocked(&[&user_key]).or_else(|| st.ip_limiter.blocked(&[&ip_key])) {
        return Err(Fail::RateLimited(wait).into());
    }
    let found = st.store.password_hash(&name).await?;
    let password = f.password.clone();
    let ok_user = tokio::task::spawn_blocking(move || match found {
        Some((user, hash)) if auth::verify_password(&password, &hash) && !user.disabled => Some(user),
        Some(_) => None,
        None => {
            auth::verify_dummy(&password);
            None
        }
    })
    .await
    .map_err(|e| Fail::App(AppError::Internal(e.to_string())))?;
    let Some(user) = ok_user else {
        st.limiter.failed(&[&user_key]);
        st.ip_limiter.failed(&[&ip_key]);
        tracing::warn!(user = name, client = %addr.ip(), "failed login");
        let body = render(
            &st,
            "login.html",
            lang,
            None,
            "/login",
            "login",
            json!({"next": local_path(f.next.as_deref()), "name": name, "error": t(lang, "login.failed")}),
        )?;
        return Ok(html(StatusCode::UNAUTHORIZED, body));
    };
    st.limiter.succeeded(&user_key);
    let sid = auth::new_secret();
    let now = Utc::now();
    let idle = chrono::Duration::from_std(st.cfg.server.session_idle).unwrap_or(chrono::Duration::hours(8));
    st.store.create_session(&auth::digest(&sid), user.id, &auth::new_secret(), now, now + idle).await?;
    let secure = secure(&st, &headers);
    let cookie = auth::cookie(auth::SESSION_COOKIE, &sid, None, secure, true);
    let mut r = see_other(&local_path(f.next.as_deref()));
    r.headers_mut().append(header::SET_COOKIE, cookie.parse().map_err(|_| Fail::App(AppError::Internal("cookie".into())))?);
    Ok(r)
}

fn secure(st: &AppState, h: &HeaderMap) -> bool {
    st.cfg.server.secure_cookies || h.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

pub async fn logout(State(st): State<AppState>, headers: HeaderMap, Extension(p): Extension<Principal>) -> PageResult {
    if let Some(h) = &p.session_hash {
        st.store.delete_session(h).await?;
    }
    let cookie = auth::cookie(auth::SESSION_COOKIE, "", Some(chrono::Duration::zero()), secure(&st, &headers), true);
    let mut r = see_other("/login");
    r.headers_mut().append(header::SET_COOKIE, cookie.parse().map_err(|_| Fail::App(AppError::Internal("cookie".into())))?);
    Ok(r)
}

#[derive(Deserialize)]
pub struct LangQuery {
    to: Option<String>,
    back: Option<String>,
}

pub async fn set_lang(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    let lang = Lang::from_code(q.to.as_deref());
    let cookie = auth::cookie(auth::LANG_COOKIE, lang.code(), Some(chrono::Duration::days(365)), secure(&st, &headers), true);
    let mut r = see_other(&local_path(q.back.as_deref()));
    if let Ok(v) = cookie.parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

pub async fn static_file(Path(file): Path<String>) -> Response {
    let (body, ty) = match file.as_str() {
        "app.css" => (include_str!("../static/app.css"), "text/css; charset=utf-8"),
        "app.js" => (include_str!("../static/app.js"), "text/javascript; charset=utf-8"),
        _ => return super::error::page_error(&Fail::App(AppError::NotFound(format!("static file {file}")))),
    };
    ([(header::CONTENT_TYPE, ty), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}
