//! The web UI and JSON API, served by `serve` next to the crawler. Server-rendered HTML (minijinja,
//! auto-escaped) with a little plain JS, everything served from the binary. Every route and the
//! roles it admits are one table, `routes`; what pages and API do is `app`'s, called with the
//! request's `Actor`.

pub mod access;
mod api;
pub mod auth;
pub mod error;
pub mod metrics;
mod overview;
pub use overview::{digest_if_due, digest_message};
mod pages;
mod reports;
mod routes;
mod server;

use crate::app::AppError;
use crate::app::App;
use crate::config::Config;
use crate::search::searcher::Searcher;
use crate::store::Store;
use axum::extract::Request;
use axum::middleware;
use axum::routing::MethodRouter;
use axum::Router;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

pub use crate::i18n::Lang;

/// What every request handler can reach: the application (`Deref`s to it) and what only the web
/// needs.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    overview: Arc<overview::Cache>,
    templates: Arc<minijinja::Environment<'static>>,
    limiter: Arc<auth::LoginLimiter>,
    ip_limiter: Arc<auth::LoginLimiter>,
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

impl AppState {
    /// The notify the index-owning task waits on (without it, that task's own 30 s turn applies).
    pub fn with_indexer(mut self, wake: Arc<Notify>) -> AppState {
        self.app.wake_indexer = wake;
        self
    }

    /// The notify the re-check worker waits on between its turns.
    pub fn with_rechecker(mut self, wake: Arc<Notify>) -> AppState {
        self.app.wake_rechecker = wake;
        self
    }

    /// Reloads and source edits go through `reload`'s file.
    pub fn with_reload(mut self, reload: Arc<crate::reload::Reload>) -> AppState {
        self.app.reload = reload;
        self
    }

    pub fn new(
        cfg: Arc<Config>,
        store: Store,
        searcher: Arc<Searcher>,
        metrics: Arc<crate::metrics::Metrics>,
        wake_crawler: Arc<Notify>,
    ) -> AppState {
        AppState {
            app: App::new(cfg, store, searcher, metrics, wake_crawler),
            overview: Arc::new(overview::Cache::default()),
            templates: Arc::new(templates()),
            // per (name, address): 5 failures, then 30 s, doubling with each failure after; an
            // office behind one address gets more, so one person's typos do not lock out colleagues
            limiter: Arc::new(auth::LoginLimiter::new(5, Duration::from_secs(30), Duration::from_secs(900))),
            // per address, whatever names it tries: 30 failures, then 60 s, doubling
            ip_limiter: Arc::new(auth::LoginLimiter::new(30, Duration::from_secs(60), Duration::from_secs(900))),
        }
    }
}

pub fn router(state: AppState) -> Router {
    let mut by_path: Vec<(&'static str, MethodRouter<AppState>)> = Vec::new();
    for (path, handler) in routes::handlers() {
        match by_path.iter_mut().find(|(p, _)| *p == path) {
            Some((_, methods)) => *methods = std::mem::take(methods).merge(handler),
            None => by_path.push((path, handler)),
        }
    }
    let app = by_path.into_iter().fold(Router::new(), |r, (path, methods)| r.route(path, methods))
        .route_layer(middleware::from_fn_with_state(state.clone(), access::guard))
        .fallback(not_found)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            state.cfg.server.request_timeout,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(middleware::from_fn(access::security_headers))
        .layer(axum::extract::DefaultBodyLimit::max(2 * 1024 * 1024));
    app.with_state(state)
}

async fn not_found(req: Request) -> axum::response::Response {
    let f = error::Fail::App(AppError::NotFound(format!("page {}", req.uri().path())));
    if req.uri().path().starts_with("/api/") {
        f.json()
    } else {
        error::page_error(&f)
    }
}

/// Serves until `shutdown` turns true, then finishes the requests in flight; the connection limits
/// are `[server]`'s (`server`).
pub async fn serve(listener: tokio::net::TcpListener, state: AppState, shutdown: watch::Receiver<bool>) -> std::io::Result<()> {
    let limits = state.cfg.server.clone();
    server::serve(listener, router(state), &limits, shutdown).await
}


fn templates() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    for (name, src) in [
        ("base.html", include_str!("templates/base.html")),
        ("login.html", include_str!("templates/login.html")),
        ("search.html", include_str!("templates/search.html")),
        ("article.html", include_str!("templates/article.html")),
        ("queue.html", include_str!("templates/queue.html")),
        ("item.html", include_str!("templates/item.html")),
        ("users.html", include_str!("templates/users.html")),
        ("sources.html", include_str!("templates/sources.html")),
        ("audit.html", include_str!("templates/audit.html")),
        ("localities.html", include_str!("templates/localities.html")),
        ("reports.html", include_str!("templates/reports.html")),
        ("story.html", include_str!("templates/story.html")),
        ("items_and_flag.html", include_str!("templates/items_and_flag.html")),
        ("gloss.html", include_str!("templates/gloss.html")),
        ("overview.html", include_str!("templates/overview.html")),
        ("overview_body.html", include_str!("templates/overview_body.html")),
        ("overview_mail.html", include_str!("templates/overview_mail.html")),
    ] {
        // the templates are part of the binary: a broken one is a build bug caught by the tests
        env.add_template(name, src).unwrap_or_else(|e| panic!("template {name}: {e}"));
    }
    // a missing value is an empty field, never the word "None" in a form or a table
    env.set_formatter(|out, state, value| if value.is_none() { Ok(()) } else { minijinja::escape_formatter(out, state, value) });
    env.add_function("t", crate::i18n::t_function);
    env.add_function("failure", crate::i18n::failure_function);
    env.add_function("language", crate::i18n::language_function);
    env.add_filter("vntime", |s: String| vn_time(&s, "%d/%m/%Y %H:%M"));
    env.add_filter("vndate", |s: String| vn_time(&s, "%d/%m/%Y"));
    env
}

/// An RFC 3339 time as Vietnam local time; empty for none.
fn vn_time(s: &str, fmt: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&crate::time::ZONE).format(fmt).to_string()).unwrap_or_default()
}
