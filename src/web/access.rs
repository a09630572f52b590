//! Who may do what: the roles each route admits (`routes::RULES`, from the route table), and the one
//! middleware that enforces them together with authentication, the same-origin check and CSRF. A route missing from the
//! table is refused (fail closed), so a new route cannot be forgotten open.

use crate::app::AppError;
use super::auth::{self, Principal};
use super::error::{page_error, Fail};
use super::AppState;
use crate::model::Role;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Need {
    /// Anyone, logged in or not.
    Public,
    /// A logged-in user with one of these roles.
    Roles(&'static [Role]),
}

pub use super::routes::RULES;

pub fn rule(method: &Method, route: &str) -> Option<Need> {
    // HEAD is answered by GET routes
    let m = if method == Method::HEAD { "GET" } else { method.as_str() };
    RULES.iter().find(|(rm, r, _)| *rm == m && *r == route).map(|(_, _, n)| *n)
}

/// Whether `role` may use the route (for menus: show only what works).
pub fn allows(role: Role, method: &str, route: &str) -> bool {
    RULES.iter().any(|(m, r, n)| *m == method && *r == route && matches!(n, Need::Roles(rs) if rs.contains(&role)))
}

/// Largest form body read to find its CSRF field.
const MAX_FORM: usize = 2 * 1024 * 1024;

pub async fn guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let fail = |f: Fail| if is_api { f.json() } else { page_error(&f) };
    let Some(route) = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()) else {
        return next.run(req).await;
    };
    let Some(need) = rule(req.method(), &route) else {
        tracing::error!(route, method = %req.method(), "route has no access rule; refused");
        return fail(Fail::App(AppError::Forbidden("this route has no access rule".into())));
    };
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && cross_site(req.headers()) {
        return fail(Fail::App(AppError::Forbidden("cross-site request refused".into())));
    }
    // public routes (login, static files, health) need no one: spare them the session lookup
    let principal = match need {
        Need::Public => None,
        Need::Roles(_) => match authenticate(&st, req.headers()).await {
            Ok(p) => p,
            Err(f) => return fail(f),
        },
    };
    if let Need::Roles(roles) = need {
        match &principal {
            None if is_api => return Fail::Unauthorized.json(),
            None => {
                let next_url = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/search");
                let target = if req.method() == Method::GET { next_url } else { "/search" };
                let q: String = url::form_urlencoded::Serializer::new(String::new()).append_pair("next", target).finish();
                return Redirect::to(&format!("/login?{q}")).into_response();
            }
            Some(p) if !roles.contains(&p.user.role) => {
                return fail(Fail::App(AppError::Forbidden(format!("the {} role may not do this", p.user.role.as_str()))));
            }
            Some(_) => {}
        }
    }
    let mut req = req;
    if unsafe_method {
        if let Some(expected) = principal.as_ref().and_then(|p| p.csrf.clone()) {
            req = match check_csrf(req, &expected).await {
                Ok(r) => r,
                Err(f) => return fail(f),
            };
        }
    }
    if let Some(p) = principal {
        req.extensions_mut().insert(p);
    }
    next.run(req).await
}

/// A browser says where an unsafe request comes from; refuse those from other sites.
fn cross_site(h: &HeaderMap) -> bool {
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "cross-site" | "same-site");
    }
    let Some(origin) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = h.get("x-forwarded-host").or_else(|| h.get(header::HOST)).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
    origin == "null" || !origin_host.eq_ignore_ascii_case(host)
}

/// The session or API token behind the request; an unknown or expired one is no one.
async fn authenticate(st: &AppState, h: &HeaderMap) -> Result<Option<Principal>, Fail> {
    let now = chrono::Utc::now();
    if let Some(bearer) = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")) {
        let user = st.store.user_by_token(&auth::digest(bearer.trim()), now).await?;
        return match user {
            Some(user) => Ok(Some(Principal { user, csrf: None, session_hash: None })),
            None => Err(Fail::Unauthorized),
        };
    }
    let Some(sid) = auth::read_cookie(h, auth::SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = auth::digest(&sid);
    let idle = chrono::Duration::from_std(st.cfg.server.session_idle).unwrap_or(chrono::Duration::hours(8));
    let s = st.store.session(&hash, now, idle, auth::SESSION_MAX_AGE).await?;
    Ok(s.map(|s| Principal { user: s.user, csrf: Some(s.csrf), session_hash: Some(hash) }))
}

/// The CSRF token must come back in `X-CSRF-Token` (scripts) or the form's `csrf` field (forms).
async fn check_csrf(req: Request, expected: &str) -> Result<Request, Fail> {
    if let Some(v) = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return if auth::same_secret(v, expected) { Ok(req) } else { Err(Fail::Csrf) };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(Fail::Csrf);
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM).await.map_err(|_| Fail::App(AppError::BadRequest(format!("form larger than {} bytes", MAX_FORM))))?;
    let token = url::form_urlencoded::parse(&bytes).find(|(k, _)| k == "csrf").map(|(_, v)| v.into_owned());
    match token {
        Some(t) if auth::same_secret(&t, expected) => Ok(Request::from_parts(parts, Body::from(bytes))),
        _ => Err(Fail::Csrf),
    }
}

/// Security headers on every response: nothing crawled can run script even if escaping failed, and
/// following a link to an outlet does not tell it where the reader came from.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    let set = |h: &mut HeaderMap, k: &'static str, v: &'static str| {
        h.insert(k, axum::http::HeaderValue::from_static(v));
    };
    // a handler may set a stricter policy of its own (the report view: inline styles, nothing else)
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        set(
            h,
            "content-security-policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        );
    }
    set(h, "x-content-type-options", "nosniff");
    // `same-origin`, not `no-referrer`: the latter makes browsers send `Origin: null` on our own
    // form posts, which the same-origin check must refuse
    set(h, "referrer-policy", "same-origin");
    set(h, "x-frame-options", "DENY");
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, "cache-control", "no-store");
    }
    r
}
